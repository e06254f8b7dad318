/**
 * "Shared memory or message passing?", the sweep step in the real UI over real processes, a real
 * segment, real pipes and real message queues: once the run has passed, its check draws the two
 * measured charts (throughput and round trip against message size), each with a Numbers table that
 * holds every point, a row per mechanism, language (TypeScript, C) and size. The waits are on states that stay once reached
 * (the run's final status, the check's result); no figure is compared, since the load decides them.
 */
import { readdirSync } from 'node:fs';
import { expect, test, labCard } from './app-fixture.js';

test('the sweep passes and draws throughput and round trip against message size, with their numbers', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'shared-memory-or-message-passing').click();
  await page.getByTestId('step-link').filter({ hasText: 'Where each one wins' }).click();
  // Less data per size than the step's 4 MiB: the same curves, sooner, on a loaded machine.
  await page.locator('[data-param="bulkKiBPerSize"] input').fill('1024');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 90_000 });
  const check = page.locator('[data-testid="check"][data-check-id="where-each-wins"]');
  await expect(check).toHaveAttribute('data-passed', 'true');
  await expect(check).toContainText('The queue carried up to 4 KiB; a send of 16 KiB got EMSGSIZE.');

  // 8 sizes (64 B to 1 MiB, times 4) through the ring and the pipe, 4 through the queue (up to 4096 B),
  // each from TypeScript and from C.
  for (const title of ['Bulk throughput against message size', 'Median round trip against message size']) {
    const chart = check.locator('figure.measured-chart').filter({ has: page.locator('figcaption', { hasText: title }) });
    await expect(chart).toHaveCount(1);
    await expect(chart.locator('svg[role="img"]')).toHaveAttribute('aria-label', /.+/);
    await chart.getByText('Numbers').click();
    const rows = chart.locator('table tbody tr');
    await expect(rows).toHaveCount(2 * (8 + 8 + 4));
    await expect(rows.filter({ hasText: 'shared ring, TypeScript' })).toHaveCount(8);
    await expect(rows.filter({ hasText: 'shared ring, C' })).toHaveCount(8);
    await expect(rows.filter({ hasText: 'message queue, C' })).toHaveCount(4);
  }
  // The run's segment went with it (named /ipc-lab-<the serving engine's pid>-<run>-ring).
  expect(readdirSync('/dev/shm').filter((name) => name.startsWith(`ipc-lab-${app.process.pid}-`))).toEqual([]);
});
