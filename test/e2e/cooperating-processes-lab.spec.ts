/**
 * The cooperating-processes lab's speed-up step in the real UI, over real worker processes: the student
 * chooses how many workers to go up to, runs, and reads the check and the speed-up curve drawn from
 * what the run measured. It waits only on what the page shows, never on a fixed time.
 */
import { expect, test, labCard } from './app-fixture.js';

test('speed-up: choose k, run, and the check and the speed-up chart appear', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'cooperating-processes').click();
  await page.getByTestId('step-link').filter({ hasText: 'Computation speed-up' }).click();
  await expect(page.getByTestId('step-body')).toContainText('trial division');
  // k = 1, 2, 4 over a smaller job: a few seconds, even beside other load.
  await page.locator('[data-param="maxWorkers"] input').fill('4');
  await page.locator('[data-param="primesBelow"] input').fill('2000000');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 120_000 });
  const check = page.locator('[data-testid="check"][data-check-id="speed-up"]');
  await expect(check).toHaveAttribute('data-passed', 'true');
  await expect(check).toContainText(/Wall times: k=1 [\d.]+ s, k=2 [\d.]+ s \([\d.]+×\), k=4/);
  // The curve, drawn under the check from the run's own measurements (<figure> named by its caption).
  await expect(page.getByRole('figure', { name: 'Speed-up against the number of workers' })).toBeVisible();
});
