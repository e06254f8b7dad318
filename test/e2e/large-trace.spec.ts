/**
 * A million-event run in the real UI (issue 13): the page never downloads the trace, it asks the engine
 * for what it shows. The run is the trace-scale fixture (test/tools/store-trace-fixture.ts: four
 * processes, message arrows, blocked calls, pipe occupancy, kernel snapshots), stored as a finished run
 * before the server starts. Asserted: the timeline draws it from windowed answers (summarised when
 * fitted, raw once zoomed in far enough), follows pans and zooms, a summarised mark chosen by a click
 * leads the event list to an event of that process; the event list's search and "follow this message"
 * work over the whole run; and the page took in far fewer bytes than the trace holds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from '@playwright/test';
import { expect, startServer, stopServer, test, type AppServer } from './app-fixture.js';

const EVENTS = 1_000_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let home = '';
let server: AppServer;
let runId = 0;

test.describe.configure({ mode: 'serial', timeout: 300_000 });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  home = mkdtempSync(join(tmpdir(), 'ipc-lab-e2e-large-'));
  const stored = JSON.parse(
    execFileSync(process.execPath, [join(root, 'dist', 'test', 'tools', 'store-trace-fixture.js'), home, String(EVENTS)], { encoding: 'utf8' }),
  ) as {
    runId: number;
    events: number;
  };
  expect(stored.events).toBe(EVENTS);
  runId = stored.runId;
  server = await startServer(home);
});

test.afterAll(async () => {
  if (server) await stopServer(server);
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The visible window of the timeline, ms since the start. */
async function shownWindow(canvas: Locator): Promise<{ t0: number; t1: number }> {
  return canvas.evaluate((c: HTMLElement) => ({ t0: Number(c.dataset.windowT0), t1: Number(c.dataset.windowT1) }));
}

/** Whether the last windowed answer covers the visible window (the page asked for what it shows). */
async function answerCovers(canvas: Locator): Promise<boolean> {
  return canvas.evaluate((c: HTMLElement) => {
    const d = c.dataset;
    return d.sceneFrom !== '' && Number(d.sceneFrom) <= Number(d.windowT0) && Number(d.sceneTo) >= Math.min(Number(d.windowT1), Number(d.sceneTo));
  });
}

async function openRun(page: Page): Promise<void> {
  await page.goto(server.url);
  await page.evaluate((hash) => (location.hash = hash), `#/lab/ordinary-pipes/one-way/run/${runId}`);
}

test('a million-event run is drawn from windowed answers, panned, zoomed and clicked, never downloaded', async ({ page }) => {
  let received = 0;
  page.on('websocket', (ws) =>
    ws.on('framereceived', (frame) => (received += typeof frame.payload === 'string' ? frame.payload.length : frame.payload.byteLength)),
  );
  await openRun(page);
  const canvas = page.getByTestId('timeline-canvas');
  await expect(canvas).toHaveAttribute('data-windowed', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('event-count')).toHaveText(String(EVENTS));
  await expect(page.getByTestId('lane')).toHaveCount(4);
  // Fitted: the whole run, summarised.
  await expect(canvas).toHaveAttribute('data-scene-summarised', 'true', { timeout: 30_000 });
  await expect.poll(() => answerCovers(canvas)).toBe(true);
  const fitted = await shownWindow(canvas);

  // Zoom in around the middle until every series comes raw: the page asks again at each resolution.
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 40);
  await page.keyboard.down('Control');
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  const zoomed = await shownWindow(canvas);
  expect(zoomed.t1 - zoomed.t0, 'zoomed in').toBeLessThan((fitted.t1 - fitted.t0) / 1000);
  await expect(canvas).toHaveAttribute('data-scene-summarised', 'false', { timeout: 30_000 });
  await expect.poll(() => answerCovers(canvas)).toBe(true);

  // Pan right by a few screens: the window moves and the answer follows it.
  await page.keyboard.down('Shift');
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, box.width / 2);
  await page.keyboard.up('Shift');
  const panned = await shownWindow(canvas);
  expect(panned.t0, 'panned right').toBeGreaterThan(zoomed.t0);
  await expect.poll(() => answerCovers(canvas)).toBe(true);
  await expect(canvas).toHaveAttribute('data-scene-summarised', 'false');

  // Hover a raw mark: its card shows the event, fetched from the engine.
  const details = page.getByTestId('timeline-details');
  let shown = false;
  for (let x = 10; x < box.width - 10 && !shown; x += 3) {
    await page.mouse.move(box.x + x, box.y + 26 + 22);
    shown = await details.isVisible();
  }
  expect(shown, 'a mark on the first lane has a hover card').toBe(true);
  await expect(details).not.toContainText('…');

  // Back to the fit, then click a summarised mark: the event list shows an event of that process.
  await page.getByRole('button', { name: 'Fit' }).click();
  await expect(canvas).toHaveAttribute('data-scene-summarised', 'true', { timeout: 30_000 });
  const pid = (await page.getByTestId('lane').nth(1).getAttribute('data-pid'))!;
  await page.mouse.click(box.x + box.width / 2, box.y + 26 + 44 + 22);
  const eventDetails = page.getByTestId('event-details');
  await expect(eventDetails.locator('[data-field="pid"] dd')).toHaveText(pid, { timeout: 30_000 });

  // The overview strip holds the whole run; a click there shows that part of it.
  const strip = page.getByTestId('trace-overview');
  await expect(strip).toHaveAttribute('data-lanes', '4');
  const stripBox = (await strip.boundingBox())!;
  await page.mouse.click(stripBox.x + stripBox.width * 0.75, stripBox.y + stripBox.height / 2);
  await expect.poll(async () => (await shownWindow(canvas)).t1 - (await shownWindow(canvas)).t0).toBeLessThan((fitted.t1 - fitted.t0) / 2);
  const picked = await shownWindow(canvas);
  expect((picked.t0 + picked.t1) / 2 / (fitted.t1 / 1.03), 'centred three quarters into the run').toBeCloseTo(0.75, 1);
  await expect.poll(() => answerCovers(canvas)).toBe(true);

  // A million events were shown without taking them in: a run's JSON is ~200 bytes an event.
  expect(received, `the page received ${received} bytes`).toBeLessThan(20 * 1024 * 1024);
});

test('the event list searches a million events in the engine and follows a message to its receive', async ({ page }) => {
  await openRun(page);
  await expect(page.getByTestId('timeline-canvas')).toHaveAttribute('data-windowed', 'true', { timeout: 60_000 });
  const grid = page.getByTestId('event-grid');
  await expect(grid).toHaveAttribute('data-total', String(EVENTS), { timeout: 30_000 });

  await page.getByTestId('event-search').fill('process.exit');
  await expect(grid).toHaveAttribute('data-total', '4', { timeout: 60_000 });
  for (const kind of await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))) expect(kind).toBe('process.exit');
  await page.getByTestId('event-search').fill('');

  await page.getByTestId('event-filter-kind').selectOption('message.send');
  const send = page.locator('[data-testid="event-row"][data-kind="message.send"]').nth(3);
  await expect(send).toBeVisible({ timeout: 60_000 });
  await send.click();
  const details = page.getByTestId('event-details');
  const messageId = (await details.locator('[data-field="messageId"] dd').textContent())!;
  const channel = (await details.locator('[data-field="channel"] dd').textContent())!;
  await details.getByTestId('event-follow').click();
  await expect(details.locator('[data-field="kind"] dd')).toHaveText('message.receive', { timeout: 30_000 });
  await expect(details.locator('[data-field="messageId"] dd')).toHaveText(messageId);
  await expect(details.locator('[data-field="channel"] dd')).toHaveText(channel);
});
