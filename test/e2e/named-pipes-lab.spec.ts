/**
 * The named-pipes lab's "open() waits" step in the real UI, over real processes and a real FIFO.
 */
import { expect, test } from './app-fixture.js';

test('a writer blocked in open() on a FIFO shows live, the FIFO is listed, and the step passes', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('lab-card').filter({ hasText: 'Named pipes' }).click();
  await page.getByTestId('step-link').filter({ hasText: 'open() waits for the other end' }).click();
  // The reader makes the FIFO, then waits 4 s before opening it: the writer's open() blocks meanwhile.
  await page.locator('[data-param="readerOpenDelayMs"] input').fill('4000');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect(page.locator('[data-testid="event-row"][data-kind="io.begin"]').filter({ hasText: 'open' }).first()).toBeVisible();
  await expect(page.locator('[data-testid="kernel-object"][data-path$=".fifo"]').first()).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['open-waited-for-reader', 'messages-through-fifo']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
