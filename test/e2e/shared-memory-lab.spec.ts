/**
 * The shared-memory lab's bounded buffer in the real UI, over real processes and a real segment.
 *
 * Every wait is on a state that, once reached, stays: the occupancy track's capacity (set by the first
 * level event), the run's final status, the checks' results, and the kernel view at the moment the
 * checks point to (the consumer asks for a kernel snapshot once it has mapped the buffer, so both
 * mappings are recorded before that moment whatever the load). Nothing depends on catching the run
 * while it is in some passing state.
 */
import { readdirSync } from 'node:fs';
import { expect, test, labCard } from './app-fixture.js';

test('the bounded buffer shows its occupancy, passes, and the kernel view at the evidence shows one segment mapped shared by both', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'shared-memory').click();
  await page.getByTestId('step-link').filter({ hasText: 'The bounded buffer' }).click();

  // The buffer's size is picked for each student (this data folder's): the questions name the value
  // the form shows, and follow it when it is changed.
  const slotsField = page.locator('[data-param="slots"]');
  await expect(slotsField.getByTestId('param-picked')).toContainText('picked for you from 3, 4, 5 or 6 slots');
  const slots = await slotsField.locator('input').inputValue();
  expect(['3', '4', '5', '6']).toContain(slots);
  const fullWaits = page.locator('[data-testid="question"][data-question-id="full-waits"]');
  await expect(fullWaits).toContainText(`With ${slots} slots and 10 items at full speed`);
  await slotsField.locator('input').fill('12');
  await expect(fullWaits).toContainText('With 12 slots and 10 items at full speed');
  await page.getByTestId('param-reset').click();
  await expect(fullWaits).toContainText(`With ${slots} slots and 10 items at full speed`);
  await page.getByTestId('run').click();

  const occupancy = page.locator('[data-testid="occupancy"][data-channel="buffer"]');
  await expect(occupancy).toHaveAttribute('data-capacity', slots);

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 45_000 });
  for (const id of ['producer-waits-when-full', 'consumer-waits-when-empty', 'items-once-in-order']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }

  // After the run the kernel view opens at the first check's moment: the producer blocked on a full buffer.
  await expect(page.getByTestId('timeline-cursor')).toBeVisible();
  const shared = page.locator('[data-testid="kernel-map"][data-shared="true"]');
  await expect(shared).toHaveCount(2);
  const paths = await shared.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
  const pids = await shared.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-pid')));
  expect(paths[0]).toMatch(/^\/dev\/shm\/ipc-lab-\d+-\d+-buffer$/);
  expect(paths[1]).toBe(paths[0]);
  expect(pids[1]).not.toBe(pids[0]);
  expect(readdirSync('/dev/shm')).not.toContain(paths[0]!.slice('/dev/shm/'.length));
});
