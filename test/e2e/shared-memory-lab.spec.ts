/**
 * The shared-memory lab's bounded buffer in the real UI, over real processes and a real segment.
 */
import { readdirSync } from 'node:fs';
import { expect, test } from './app-fixture.js';

test('the bounded buffer shows occupancy and the blocked producer live, maps one segment in both, and passes', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('lab-card').filter({ hasText: 'Shared memory' }).click();
  await page.getByTestId('step-link').filter({ hasText: 'The bounded buffer' }).click();
  // A slow consumer keeps the buffer full for ~3 s, then a slower producer lets it run empty.
  await page.locator('[data-param="consumerDelayMs"] input').fill('300');
  await page.locator('[data-param="producerDelayMs"] input').fill('600');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('running');
  const occupancy = page.locator('[data-testid="occupancy"][data-channel="buffer"]');
  await expect(occupancy).toHaveAttribute('data-capacity', '4');
  await expect(occupancy).toHaveAttribute('data-used', '4');
  // While it is full, the producer is blocked in a wait on "empty slots", and the segment is mapped by both.
  await expect(page.locator('[data-testid="event-row"][data-kind="io.begin"]').filter({ hasText: 'empty slots' }).first()).toBeVisible();
  await expect(page.locator('[data-testid="kernel-map"][data-shared="true"]')).toHaveCount(2);
  const path = await page.locator('[data-testid="kernel-map"][data-shared="true"]').first().getAttribute('data-path');
  expect(path).toMatch(/^\/dev\/shm\/ipc-lab-\d+-\d+-buffer$/);
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['producer-waits-when-full', 'consumer-waits-when-empty', 'items-once-in-order']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
  expect(readdirSync('/dev/shm')).not.toContain(path!.slice('/dev/shm/'.length));
});
