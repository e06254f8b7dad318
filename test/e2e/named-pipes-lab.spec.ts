/**
 * The named-pipes lab in the real UI, over real processes and real FIFOs. It waits only on what the
 * page shows (the kernel view, the run's status), never on a fixed time.
 */
import { expect, test, labCard } from './app-fixture.js';

test('a writer blocked in open() on a FIFO shows live in the kernel, the FIFO is listed, and the step passes', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'named-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'open() waits for the other end' }).click();
  // The reader makes the FIFO, then waits 6 s before opening it: the writer's open() blocks meanwhile.
  await page.locator('[data-param="readerOpenDelayMs"] input').fill('6000');
  await page.getByTestId('run').click();

  const writer = page.getByTestId('kernel-process').filter({ has: page.locator('h3', { hasText: /^writer/ }) });
  await expect(writer).toContainText(/sleeping/i);
  await expect(writer).toContainText(/wait_for_partner|fifo_open/);
  await expect(page.locator('[data-testid="kernel-object"][data-path$="/chat.fifo"]').first()).toBeVisible();

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['open-waited-for-reader', 'messages-through-fifo']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});

test('one FIFO both ways: the client reads back its own ping, and the check says so', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'named-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'A conversation over two FIFOs' }).click();
  await page.locator('[data-param="fifos"] select').selectOption('one');
  await page.getByTestId('run').click();

  // One FIFO both ways is the step's control: what fails is what it should.
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });
  const check = page.locator('[data-testid="check"][data-check-id="no-message-read-back"]');
  await expect(check).toHaveAttribute('data-passed', 'false');
  await expect(check).toContainText('read back its own message');
});
