/**
 * A check's chart in the real UI, in Chromium: the fixture lab test/fixtures/labs/06-charts (served by
 * test/support/fixture-labs-server.ts, since `ipc-lab serve` shows only labs/) draws the time of each
 * write and read against its size. The DOM other specs rely on: a figure named by its caption (the
 * chart's title), an svg role=img with a label, and a Numbers table with every point.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from './app-fixture.js';
import { expectNoAxeViolations } from './axe.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const fixtureApp = test.extend<{ fixtureUrl: string }>({
  // Playwright reads a fixture's dependencies from this destructuring: it must be a pattern, even empty.
  // eslint-disable-next-line no-empty-pattern
  fixtureUrl: async ({}, use) => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-e2e-charts-'));
    const child = spawn(process.execPath, [join(root, 'dist', 'test', 'support', 'fixture-labs-server.js')], {
      env: { ...process.env, IPC_LAB_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      url = /running at (http:\/\/\S+)/.exec(line)?.[1];
      if (url) break;
    }
    try {
      if (!url) throw new Error('fixture-labs-server exited before printing its URL (run npm run build first)');
      await use(url);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    }
  },
});

fixtureApp('draws the chart a check returned under its result, with its numbers, in both colour schemes', async ({ page, fixtureUrl }) => {
  await page.goto(fixtureUrl);
  await page.getByTestId('lab-card').filter({ hasText: 'Charts' }).click();
  await page.locator('[data-param="largest"] input').fill('4096');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  const check = page.locator('[data-testid="check"][data-check-id="times-by-size"]');
  const figure = check.getByRole('figure', { name: 'Time of each call against message size' });
  await expect(figure).toBeVisible();
  await expect(check.locator('figure.measured-chart')).toHaveCount(1);
  const img = figure.getByRole('img');
  await expect(img).toHaveAttribute(
    'aria-label',
    /^Time of each call against message size: time \(µs\) against message size \(bytes\) \(log2 scale\), 2 series \(write, read\)\./,
  );
  // Drawn: two lines, 7 markers each, ticks at the powers of two with binary prefixes.
  await expect(img.locator('path.line')).toHaveCount(2);
  await expect(img.locator('path.marker')).toHaveCount(14);
  await expect(img.locator('text.tick').filter({ hasText: /^4 KiB$/ })).toHaveCount(1);
  await expect(figure.locator('.legend li')).toHaveText(['write', 'read']);
  const box = await img.boundingBox();
  expect(box!.width, 'the chart takes the width of its row').toBeGreaterThan(300);

  const table = figure.locator('details table');
  await expect(table).toBeHidden();
  await figure.getByText('Numbers', { exact: true }).click();
  await expect(table.locator('tbody tr')).toHaveCount(14);
  await expect(table.locator('thead th')).toHaveText(['Series', 'message size', 'time']);
  await expect(table.locator('tbody tr').first().locator('td')).toHaveText(['write', '64 bytes', /^[\d.,]+ µs$/]);

  await expectNoAxeViolations(page, 'a check with its chart and numbers open');
  await page.emulateMedia({ colorScheme: 'dark' });
  const stroke = await img
    .locator('path.line')
    .first()
    .evaluate((el) => getComputedStyle(el).stroke);
  expect(stroke, 'the dark theme gives the series its own colour').toBe('rgb(96, 165, 250)');
  await expectNoAxeViolations(page, 'the chart in the dark colour scheme');
});
