/**
 * The event list reads the trace as Perfetto users do (issue 13), in the real UI over a real run of
 * more events than one block of rows (the ordinary-pipes lab's capacity step with small writes): every
 * event in time order as a virtual list paged from the engine, text search and a kind filter answered
 * by the engine, a row chosen by click or by keyboard shows all its fields and moves the timeline's
 * cursor, and a mark chosen on the timeline scrolls the list to its event; "next of this kind" and
 * "follow this message" (trace.find, trace.follow); while a run goes on the list keeps its count and
 * follows the end, until a row is chosen.
 */
import type { Locator, Page } from '@playwright/test';
import { EVENT_BLOCK_ROWS } from '../../renderer/src/lib/state/event-window.js';
import { expect, test, labCard } from './app-fixture.js';

const CAPACITY = 'How much does a pipe hold?';

/** The ms column of the rows in the page, in their order. */
async function rowTimes(page: Page): Promise<number[]> {
  return page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => Number(r.querySelector('td')!.textContent)));
}

function expectTimeOrder(times: number[]): void {
  expect(times.length, 'some rows are shown').toBeGreaterThan(0);
  for (let i = 1; i < times.length; i++) expect(times[i]!, `row ${i} is not before row ${i - 1}`).toBeGreaterThanOrEqual(times[i - 1]!);
}

/** Whether a row lies wholly within the list's scroll box (below its sticky header), whatever the page's scroll. */
async function shownInBox(row: Locator): Promise<boolean> {
  return row.evaluate((el) => {
    const box = el.closest('.scroll')!.getBoundingClientRect();
    const head = el.closest('table')!.querySelector('thead')!.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= head.bottom - 1 && r.bottom <= box.bottom + 1;
  });
}

/** The count the list's grid says the filter keeps, once the engine has answered for it. */
async function gridTotal(grid: Locator): Promise<number> {
  return Number(await grid.getAttribute('data-total'));
}

test('the event list pages every event in time order, searches and filters in the engine, and follows the timeline', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: CAPACITY }).click();
  await expect(page.locator('#step-title')).toHaveText(CAPACITY);
  await page.locator('[data-testid="param"][data-param="chunkBytes"] input').fill('64');
  await page.locator('[data-testid="param"][data-param="totalKiB"] input').fill('128');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 60_000 });

  // Every event is in the list's count, but only one block of rows is in the page.
  const grid = page.getByTestId('event-grid');
  const count = Number(await page.getByTestId('event-count').textContent());
  expect(count, 'the run has more events than one block of rows').toBeGreaterThan(1000);
  await expect(grid).toHaveAttribute('data-total', String(count));
  await expect(grid).toHaveAttribute('aria-rowcount', String(count + 1));
  expect(await page.getByTestId('event-row').count()).toBeLessThanOrEqual(EVENT_BLOCK_ROWS);
  // The list followed the run to its end: the last event is shown, in time order.
  await expect(page.getByTestId('event-row').last()).toHaveAttribute('aria-rowindex', String(count + 1));
  expectTimeOrder(await rowTimes(page));

  // Keyboard: Home chooses the first event (the list pages back to it), ArrowDown the next.
  await grid.focus();
  await page.keyboard.press('Home');
  const selected = grid.locator('tr[aria-selected="true"]');
  await expect(selected).toHaveAttribute('data-index', '0');
  await expect(grid.getByTestId('event-row').first()).toHaveAttribute('aria-rowindex', '2');
  expectTimeOrder(await rowTimes(page));
  await page.keyboard.press('ArrowDown');
  await expect(selected).toHaveAttribute('data-index', '1');
  await expect(page.getByTestId('event-details-head')).toContainText(`event 2 of ${count}`);
  await expect(grid).toHaveAttribute('aria-activedescendant', `event-row-${await selected.getAttribute('data-seq')}`);

  // A click chooses a row: the details pane shows its fields, and the timeline's cursor moves to it.
  const row = grid.getByTestId('event-row').nth(40);
  const rowSeq = await row.getAttribute('data-seq');
  const rowKind = await row.getAttribute('data-kind');
  const rowMs = Number(await row.locator('td').first().textContent());
  await row.click();
  await expect(selected).toHaveAttribute('data-seq', rowSeq!);
  const details = page.getByTestId('event-details');
  await expect(details.locator('[data-field="seq"] dd')).toHaveText(rowSeq!);
  await expect(details.locator('[data-field="kind"] dd')).toHaveText(rowKind!);
  await expect(details.locator('[data-field="pid"] dd')).not.toBeEmpty();
  await expect(details.locator('[data-field="time"] dd')).toContainText(`${rowMs.toFixed(3)} ms since the start`);
  const cursor = page.locator('.cursor-line strong');
  await expect(cursor).toHaveText(/ ms$/);
  const cursorMs = Number((await cursor.textContent())!.replace(/[, ms]/g, ''));
  expect(Math.abs(cursorMs - rowMs), `the cursor (${cursorMs} ms) is at the row's time (${rowMs} ms)`).toBeLessThanOrEqual(0.051);

  // "Next of this kind" (trace.find): a later event of the same kind is chosen.
  await page.getByTestId('event-next-of-kind').click();
  await expect(selected).not.toHaveAttribute('data-seq', rowSeq!);
  await expect(selected).toHaveAttribute('data-kind', rowKind!);
  expect(Number(await selected.getAttribute('data-index'))).toBeGreaterThan(Number(await row.getAttribute('data-index')));

  // The timeline back to the list: End on the timeline chooses its last mark; the list scrolls to that event.
  await page.getByTestId('timeline-canvas').focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('timeline-selection')).toContainText('Event ');
  await expect.poll(() => shownInBox(selected), { message: "the chosen row is scrolled into the list's box" }).toBe(true);
  expect(Number(await selected.getAttribute('data-index')), 'the last mark is among the last events').toBeGreaterThan(count - EVENT_BLOCK_ROWS);

  // Text search, answered by the engine: only the processes' starts.
  const search = page.getByTestId('event-search');
  await search.fill('process.start');
  await expect.poll(() => gridTotal(grid)).toBeLessThan(10);
  const starts = await gridTotal(grid);
  expect(starts).toBeGreaterThan(0);
  await expect(page.getByTestId('event-row')).toHaveCount(starts);
  for (const kind of await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind'))))
    expect(kind).toBe('process.start');
  await search.fill('no event says this 7d1f');
  await expect(page.getByTestId('event-list-empty')).toHaveText('No event matches the filter.');
  await search.fill('');

  // A kind filter: every row of that kind, still in time order, fewer than all.
  await page.getByTestId('event-filter-kind').selectOption('io.end');
  await expect.poll(() => gridTotal(grid)).toBeLessThan(count);
  await expect(page.getByTestId('event-row').first()).toBeVisible();
  expect(new Set(await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind'))))).toEqual(new Set(['io.end']));
  expectTimeOrder(await rowTimes(page));
  await page.getByTestId('event-filter-kind').selectOption('');
  await expect(grid).toHaveAttribute('data-total', String(count));

  // A process filter: only that process's events.
  const pid = (await page.getByTestId('lane').first().getAttribute('data-pid'))!;
  await page.getByTestId('event-filter-pid').selectOption(pid);
  await expect.poll(() => gridTotal(grid)).toBeLessThan(count);
  expect(new Set(await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.querySelectorAll('td')[1]!.textContent)))).toEqual(new Set([pid]));
});

test('while a run goes on the list keeps its count and follows the end, until a row is chosen', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: CAPACITY }).click();
  // Small writes fill the pipe with over a thousand events; the reader waits 10 s, so the run goes on.
  await page.locator('[data-testid="param"][data-param="chunkBytes"] input').fill('64');
  await page.locator('[data-param="readerDelayMs"] input').fill('10000');
  await page.getByTestId('run').click();
  const grid = page.getByTestId('event-grid');
  /** The status, the list's count and its last row's position, read at one moment (one answer fills both). */
  const now = () =>
    page.evaluate(() => {
      const table = document.querySelector('[data-testid="event-grid"]');
      const rows = table?.querySelectorAll('[data-testid="event-row"]') ?? [];
      return {
        running: document.querySelector('[data-testid="run-status"]')?.textContent === 'running',
        total: Number(table?.getAttribute('data-total') ?? 0),
        last: Number(rows[rows.length - 1]?.getAttribute('aria-rowindex') ?? 0),
      };
    });
  await expect
    .poll(async () => ((s) => s.running && s.total > 1000 && s.last === s.total + 1)(await now()), { message: 'the live list is at its end' })
    .toBe(true);

  // A chosen row stays chosen and in view while more events arrive.
  const row = grid.getByTestId('event-row').nth(10);
  const seq = (await row.getAttribute('data-seq'))!;
  await row.click();
  const seen = (await now()).total;
  await expect.poll(async () => (await now()).total, { message: 'more events arrive (kernel snapshots)' }).toBeGreaterThan(seen);
  const selected = grid.locator('tr[aria-selected="true"]');
  await expect(selected).toHaveAttribute('data-seq', seq);
  expect(await shownInBox(selected), 'the list did not scroll away from the chosen row').toBe(true);
  // The reader wakes and the run ends by itself.
  await expect(page.getByTestId('run-status')).not.toHaveText('running', { timeout: 30_000 });
});

test("follow this message: a send's details lead to its receive, even when the filter hides it", async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'message-passing').click();
  await page.getByTestId('step-link').filter({ hasText: 'Blocking and non-blocking' }).click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  await page.getByTestId('event-filter-kind').selectOption('message.send');
  const send = page.locator('[data-testid="event-row"][data-kind="message.send"]').first();
  await expect(page.getByTestId('event-row')).not.toHaveCount(0);
  await expect(page.locator('[data-testid="event-row"]:not([data-kind="message.send"])')).toHaveCount(0);
  await send.click();
  const details = page.getByTestId('event-details');
  const messageId = (await details.locator('[data-field="messageId"] dd').textContent())!;
  await details.getByTestId('event-follow').click();
  await expect(details.locator('[data-field="kind"] dd')).toHaveText('message.receive');
  await expect(details.locator('[data-field="messageId"] dd')).toHaveText(messageId);
  await expect(page.getByTestId('event-details-head')).toContainText('(not kept by the filter)');
  // Without the filter its row is there, chosen.
  await page.getByTestId('event-filter-kind').selectOption('');
  await expect(page.locator('[data-testid="event-grid"] tr[aria-selected="true"]')).toHaveAttribute('data-kind', 'message.receive');
});
