/**
 * Run history on the lab page, in the real UI over real processes (the ordinary-pipes lab): each step's
 * runs listed newest first, any run reopened by its URL after a reload, two runs compared on one time
 * scale, the form showing the values of the run on screen, past runs reopened after the app restarts,
 * a live run found again after a reload and
 * stopped from the page, links to runs that cannot be shown answered with a way back, and a run of
 * more events than one runs.get page opened whole.
 */
import type { Locator, Page } from '@playwright/test';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { RUN_EVENTS_PAGE_EVENTS } from '../../main/contract/commands.js';
import { timeToX } from '../../renderer/src/lib/trace/trace-painter.js';
import { RUN_VIEW_WHOLE_MAX } from '../../renderer/src/lib/trace/window-scene.js';
import { expect, startServer, stopServer, test, labCard } from './app-fixture.js';

const CAPACITY = 'How much does a pipe hold?';
const ONE_WAY = 'One direction only';

async function openStep(page: Page, url: string, title: string): Promise<void> {
  await page.goto(url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: title }).click();
  await expect(page.locator('#step-title')).toHaveText(title);
}

/** Presses Run and waits for the URL to name the new run; returns its id. */
async function run(page: Page): Promise<number> {
  const before = page.url();
  await page.getByTestId('run').click();
  await expect(page).not.toHaveURL(before);
  await expect(page).toHaveURL(/\/run\/\d+$/);
  const runId = Number(/\/run\/(\d+)$/.exec(page.url())![1]);
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(runId));
  return runId;
}

/** The event list's rows as text, once the run on screen has ended and its count no longer changes. */
async function eventRows(page: Page): Promise<string[]> {
  return page.getByTestId('event-row').allInnerTexts();
}

function param(page: Page, name: string): Locator {
  return page.locator(`[data-testid="param"][data-param="${name}"] input`);
}

/** How many events of a run the app's database holds (read-only, beside the running app: SQLite's WAL allows it). */
function storedEventCount(home: string, runId: number): number {
  const db = new Database(join(home, 'ipc-lab.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM events WHERE run_id = ?').get(runId) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Where time `t` (ms) falls on a compare canvas, from the window and width it says it paints. */
async function xOn(canvas: Locator, t: number): Promise<number> {
  const [t0, t1, width] = await canvas.evaluate((el) => [Number(el.dataset.windowT0), Number(el.dataset.windowT1), Number(el.dataset.width)]);
  return timeToX(t, { t0: t0!, t1: t1! }, width!);
}

test("lists a step's runs newest first, reopens a past run after a reload, and compares two on one time scale", async ({ page, app }) => {
  await openStep(page, app.url, CAPACITY);
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await expect(page.getByTestId('param-origin')).toHaveAttribute('data-origin', 'step');

  // Run 1 at the step's values, run 2 with less data than the pipe holds.
  const first = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await param(page, 'totalKiB').fill('16');
  await expect(page.locator('[data-testid="param"][data-param="totalKiB"]')).toHaveAttribute('data-changed', 'true');
  await expect(page.getByTestId('param-origin')).toHaveAttribute('data-edited', 'true');
  const second = await run(page);
  expect(second).toBeGreaterThan(first);
  // Less data than the pipe holds is the step's control: its failed checks are as expected.
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });

  // Newest first; the changed parameter highlighted in run 2 only.
  const rows = page.getByTestId('history-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute('data-run-id', String(second));
  await expect(rows.nth(1)).toHaveAttribute('data-run-id', String(first));
  await expect(rows.nth(0)).toHaveAttribute('data-shown', 'true');
  await expect(rows.nth(0).locator('[data-testid="history-param"][data-changed="true"]')).toHaveText(['totalKiB=16, changed from 128']);
  await expect(rows.nth(1).locator('[data-testid="history-param"][data-changed="true"]')).toHaveCount(0);
  await expect(rows.nth(0).getByTestId('history-status')).toHaveText('as expected');
  await expect(rows.nth(0).getByTestId('history-status')).toHaveAttribute('data-status', 'failed');
  await expect(rows.nth(1).getByTestId('history-status')).toHaveText('passed');
  await expect(rows.nth(1).getByTestId('history-checks')).toHaveText('2/2');
  await expect(rows.nth(0).getByTestId('history-checks')).toHaveText('0/2');

  // The form shows the values of the run on screen; Reset brings back the step's.
  await expect(param(page, 'totalKiB')).toHaveValue('16');
  await expect(page.getByTestId('param-origin')).toHaveAttribute('data-origin', 'run');
  await page.getByTestId('param-reset').click();
  await expect(param(page, 'totalKiB')).toHaveValue('128');
  await expect(page.getByTestId('param-origin')).toHaveAttribute('data-origin', 'step');
  await expect(page.getByTestId('param-reset')).toBeDisabled();
  // ...and the run on screen still says what it was made with.
  await expect(rows.nth(0).locator('[data-testid="history-param"][data-param="totalKiB"]')).toContainText('totalKiB=16');

  // Open the older run: its own values in the form, its own events.
  await rows.nth(1).getByTestId('history-open').click();
  await expect(page).toHaveURL(new RegExp(`/run/${first}$`));
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(first));
  await expect(param(page, 'totalKiB')).toHaveValue('128');
  await expect(page.getByTestId('run-older')).toContainText(`run #${second}`);
  const count = await page.getByTestId('event-count').textContent();
  const before = await eventRows(page);
  expect(before.length).toBeGreaterThan(0);

  // A reload opens the same run, with the same events.
  await page.reload();
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(first));
  await expect(page.getByTestId('run-status')).toHaveText('passed');
  await expect(page.getByTestId('event-count')).toHaveText(count!);
  expect(await eventRows(page)).toEqual(before);
  await expect(param(page, 'totalKiB')).toHaveValue('128');

  // Compare the two: pick both, then Compare.
  await expect(page.getByTestId('compare-runs')).toBeDisabled();
  for (const row of await rows.all()) await row.getByTestId('history-pick').check();
  await expect(page.getByTestId('compare-runs')).toBeEnabled();
  await page.getByTestId('compare-runs').click();
  await expect(page).toHaveURL(new RegExp(`/compare/${first}/${second}$`));

  const compare = page.getByTestId('compare');
  await expect(compare.getByTestId('compare-timeline')).toHaveCount(2);
  const total = compare.locator('[data-testid="compare-param"][data-param="totalKiB"]');
  await expect(total).toHaveAttribute('data-differs', 'true');
  await expect(total.getByTestId('compare-param-a')).toHaveText('128 KiB');
  await expect(total.getByTestId('compare-param-b')).toHaveText('16 KiB');
  await expect(compare.locator('[data-testid="compare-param"][data-param="chunkBytes"]')).toHaveAttribute('data-differs', 'false');
  await expect(compare.locator('[data-testid="compare-check"][data-check-id="writer-blocked"]')).toHaveAttribute('data-differs', 'true');
  await expect(compare.locator('[data-testid="compare-check"][data-check-id="writer-blocked"] [data-testid="compare-check-a"]')).toHaveAttribute(
    'data-state',
    'passed',
  );
  await expect(compare.locator('[data-testid="compare-measure"][data-name="F_GETPIPE_SZ"] [data-testid="compare-measure-a"]')).toContainText('bytes');
  await expect(compare.locator('[data-testid="compare-measure"][data-name="F_GETPIPE_SZ"] [data-testid="compare-measure-b"]')).toContainText('bytes');

  // One time scale: a moment both runs lived through lands at the same x; the shorter canvas ends sooner.
  const [canvasA, canvasB] = [compare.getByTestId('compare-canvas').nth(0), compare.getByTestId('compare-canvas').nth(1)];
  const ends = await Promise.all([canvasA, canvasB].map((c) => c.evaluate((el) => [Number(el.dataset.windowT1), Number(el.dataset.width)])));
  expect(ends[0]![1]).not.toBe(ends[1]![1]);
  const shorterT = Math.min(ends[0]![0]!, ends[1]![0]!) / 2;
  expect(Math.abs((await xOn(canvasA, shorterT)) - (await xOn(canvasB, shorterT)))).toBeLessThan(0.5);

  // A comparison's URL reopens it after a reload, and leads back to a run.
  await page.reload();
  await expect(page.getByTestId('compare').getByTestId('compare-timeline')).toHaveCount(2);
  await page.getByTestId('compare-back').click();
  await expect(page).toHaveURL(new RegExp(`/run/${second}$`));
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(second));

  // After a restart of the app (same data folder, a new server and token), the same run, the same events.
  await stopServer(app);
  const restarted = await startServer(app.home);
  try {
    await page.goto(`${restarted.url}#/lab/ordinary-pipes/capacity/run/${first}`);
    await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(first));
    await expect(page.getByTestId('event-count')).toHaveText(count!);
    expect(await eventRows(page)).toEqual(before);
    await expect(page.getByTestId('history-row')).toHaveCount(2);
  } finally {
    await stopServer(restarted);
  }
});

test('a live run survives a reload: shown live again, Stop works; Run elsewhere names it and offers to open or stop it', async ({ page, app }) => {
  await openStep(page, app.url, ONE_WAY);
  // 600 messages half a second apart: about 5 min of run, events all along; the test stops it. (60, 30 s,
  // ended by itself before the Stop once, on a loaded machine where this test took 66 s.)
  await param(page, 'messages').fill('600');
  await param(page, 'messageDelayMs').fill('500');
  const live = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await page.reload();
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(live));
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect(page.getByTestId('run-live')).toBeVisible();
  await expect(page.getByTestId('history-row').first().getByTestId('history-live')).toBeVisible();
  await expect(param(page, 'messages')).toHaveValue('600');
  // Live: events keep arriving after the reload.
  const seen = Number(await page.getByTestId('event-count').textContent());
  await expect
    .poll(async () => Number(await page.getByTestId('event-count').textContent()), { message: 'events arrive after the reload' })
    .toBeGreaterThan(seen);

  // From another step, Run says which run is going, and leads to it.
  await page.getByTestId('step-link').filter({ hasText: CAPACITY }).click();
  await expect(page.locator('#step-title')).toHaveText(CAPACITY);
  await page.getByTestId('run').click();
  const blocked = page.getByTestId('run-blocked');
  await expect(blocked).toContainText(`Run ${live} of the step “${ONE_WAY}” is still going.`);
  await blocked.getByTestId('run-blocked-open').click();
  await expect(page).toHaveURL(new RegExp(`/run/${live}$`));
  await expect(page.getByTestId('run-status')).toHaveText('running');

  // Back at the step of the live run (by its step link, no run in the URL), it is on screen again.
  await page.getByTestId('step-link').filter({ hasText: CAPACITY }).click();
  await expect(page.locator('#step-title')).toHaveText(CAPACITY);
  await page.getByTestId('step-link').filter({ hasText: ONE_WAY }).click();
  await expect(page).toHaveURL(new RegExp(`/run/${live}$`));
  await expect(page.getByTestId('run-live')).toBeVisible();

  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
  await expect(page.getByTestId('history-row').first().getByTestId('history-status')).toHaveText('stopped');
  await expect(page.getByTestId('history-live')).toHaveCount(0);
});

test("the Stop of the note that blocked Run ends the other step's run", async ({ page, app }) => {
  await openStep(page, app.url, CAPACITY);
  await param(page, 'readerDelayMs').fill('30000');
  const live = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await page.getByTestId('step-link').filter({ hasText: ONE_WAY }).click();
  await expect(page.locator('#step-title')).toHaveText(ONE_WAY);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-blocked')).toContainText(`Run ${live} of the step “${CAPACITY}”`);
  await page.getByTestId('run-blocked-stop').click();
  await expect(page.getByTestId('run-blocked')).toHaveCount(0);

  // Now Run goes.
  await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await page.getByTestId('step-link').filter({ hasText: CAPACITY }).click();
  await expect(page).toHaveURL(new RegExp(`/run/${live}$`));
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
});

test('a link to a run that does not exist, or of another step, or to no run at all says so with a way back', async ({ page, app }) => {
  await openStep(page, app.url, 'A writer with no reader');
  const other = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  await page.goto(`${app.url}#/lab/ordinary-pipes/one-way/run/99999`);
  await expect(page.getByTestId('run-problem-note')).toContainText('There is no run 99999.');
  await expect(page.getByTestId('run-panel')).toHaveCount(0);
  await page.getByTestId('run-problem-link').filter({ hasText: 'Open the latest run' }).click();
  await expect(page).toHaveURL(/#\/lab\/ordinary-pipes\/one-way$/);
  await expect(page.getByTestId('history-empty')).toBeVisible();
  await expect(page.getByTestId('run-problem')).toHaveCount(0);

  await page.goto(`${app.url}#/lab/ordinary-pipes/one-way/run/${other}`);
  await expect(page.getByTestId('run-problem-note')).toContainText(`Run ${other} is a run of the step “A writer with no reader”, not of “${ONE_WAY}”.`);
  await page.getByTestId('run-problem-link').filter({ hasText: 'in its step' }).click();
  await expect(page).toHaveURL(new RegExp(`/broken-pipe/run/${other}$`));
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(other));

  await page.goto(`${app.url}#/lab/ordinary-pipes/one-way/run/latest`);
  await expect(page.getByTestId('run-problem-note')).toContainText('“run/latest” does not name a run of this step.');

  await page.goto(`${app.url}#/lab/ordinary-pipes/one-way/compare/${other}/99999`);
  await expect(page.getByTestId('run-problem-note')).toContainText(`Run ${other} is a run of the step “A writer with no reader”`);
});

test('exports the trace of the run on screen as Perfetto JSON and as CSV', async ({ page, app }) => {
  await openStep(page, app.url, 'A writer with no reader');
  const runId = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  const menu = page.getByTestId('run-panel').getByTestId('trace-export');
  await menu.getByTestId('trace-export-toggle').click();
  const [perfetto] = await Promise.all([page.waitForEvent('download'), menu.getByTestId('trace-export-perfetto').click()]);
  expect(perfetto.suggestedFilename()).toMatch(/\.json$/);
  const json = JSON.parse(await streamText(await perfetto.createReadStream()));
  expect(Array.isArray(json.traceEvents ?? json), 'Chrome Trace Event Format: an array of events, or traceEvents').toBe(true);

  await menu.getByTestId('trace-export-toggle').click();
  const [csv] = await Promise.all([page.waitForEvent('download'), menu.getByTestId('trace-export-csv').click()]);
  expect(csv.suggestedFilename()).toMatch(/\.csv$/);
  const lines = (await streamText(await csv.createReadStream())).trim().split(/\r?\n/);
  expect(lines.length, `a header and a row per event of run ${runId}`).toBeGreaterThan(2);
  await expect(page.getByTestId('trace-export-error')).toHaveCount(0);
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

test('a run of more events than one runs.get page opens whole after a reload, and in a comparison', async ({ page, app }) => {
  await openStep(page, app.url, CAPACITY);
  // 64-byte writes of 256 KiB: about 14,000 events (each call also traces the pipe's level), three
  // runs.get pages, under RUN_VIEW_WHOLE_MAX: the page holds it whole.
  await param(page, 'chunkBytes').fill('64');
  await param(page, 'totalKiB').fill('256');
  const runId = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 60_000 });
  const stored = storedEventCount(app.home, runId);
  expect(stored, 'the run has more events than two pages').toBeGreaterThan(2 * RUN_EVENTS_PAGE_EVENTS);
  expect(stored, 'and no more than the page holds whole').toBeLessThanOrEqual(RUN_VIEW_WHOLE_MAX);

  // Opened from the database: shown from its first page, then every page appended.
  await page.reload();
  await expect(page.getByTestId('run-panel')).toHaveAttribute('data-run-id', String(runId));
  await expect(page.getByTestId('events-loading')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByTestId('event-count')).toHaveText(String(stored));

  // Compared with a small run, it is read whole too: its "bytes read" is measured in its last page.
  await param(page, 'totalKiB').fill('16');
  const small = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });
  for (const row of await page.getByTestId('history-row').all()) await row.getByTestId('history-pick').check();
  await page.getByTestId('compare-runs').click();
  await expect(page).toHaveURL(new RegExp(`/compare/${runId}/${small}$`));
  const bytesRead = page.getByTestId('compare').locator('[data-testid="compare-measure"][data-name="bytes read"]');
  await expect(bytesRead.getByTestId('compare-measure-a')).not.toHaveClass(/missing/);
  await expect(bytesRead.getByTestId('compare-measure-b')).not.toHaveClass(/missing/);

  // A run too large to hold whole is not compared: the page says so and links to each run alone.
  await page.goto(`${app.url.split('#')[0]}#/lab/ordinary-pipes/capacity`);
  await param(page, 'totalKiB').fill('512');
  const large = await run(page);
  await expect(page.getByTestId('run-status')).not.toHaveText('running', { timeout: 60_000 });
  expect(storedEventCount(app.home, large)).toBeGreaterThan(RUN_VIEW_WHOLE_MAX);
  await page.evaluate((hash) => (location.hash = hash), `#/lab/ordinary-pipes/capacity/compare/${large}/${small}`);
  await expect(page.getByTestId('run-problem-note')).toContainText('too many to compare side by side');
  await expect(page.getByTestId('run-problem-link')).toHaveText([`Open run ${large} alone`, `Open run ${small} alone`]);
});
