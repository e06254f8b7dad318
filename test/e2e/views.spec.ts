/**
 * The views say what happened, in the real UI over real processes: the textbook end-of-file hang (the
 * parent keeps the write end, the child blocks in read() until its parent ends it with SIGTERM) drawn
 * as a blocked bar up to the child's death, the death marked, the kernel view opened at the moment the
 * check points to (the lab's pipe still open), and every process shown as ended once it has.
 */
import type { Locator, Page } from '@playwright/test';
import { timeToX, laneCenterY, MARK_VARS } from '../../renderer/src/lib/trace/trace-painter.js';
import { expect, test, labCard } from './app-fixture.js';

/** The RGB of one CSS pixel of the timeline's canvas. */
async function pixel(canvas: Locator, x: number, y: number): Promise<[number, number, number]> {
  return canvas.evaluate(
    (el, [px, py]) => {
      const c = el as HTMLCanvasElement;
      const scale = c.width / c.clientWidth;
      const data = c.getContext('2d')!.getImageData(Math.round(px! * scale), Math.round(py! * scale), 1, 1).data;
      return [data[0]!, data[1]!, data[2]!] as [number, number, number];
    },
    [x, y],
  );
}

function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

/** Where time `t` (ms) is drawn on the canvas, from the window the canvas says it shows. */
async function xOf(canvas: Locator, t: number): Promise<number> {
  const [t0, t1, width] = await canvas.evaluate((el) => [Number(el.dataset.windowT0), Number(el.dataset.windowT1), (el as HTMLCanvasElement).clientWidth]);
  return timeToX(t, { t0: t0!, t1: t1! }, width!);
}

async function openEndOfFile(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'End of file' }).click();
  await expect(page.getByTestId('step-body')).toContainText('end of file');
}

test("the end-of-file hang: a blocked read up to the SIGTERM, the kernel view at the check's moment, ended processes shown as ended", async ({ page, app }) => {
  await openEndOfFile(page, app.url);
  await page.locator('[data-param="closeWriteEnd"] input').uncheck();
  await page.getByTestId('run').click();
  // The step's control (the parent never closes the write end): the hang is the lesson, as expected.
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });
  await expect(page.locator('[data-testid="check"][data-check-id="eof-after-close"]')).toHaveAttribute('data-passed', 'false');
  // Said once: the word, then what it does not say ("FAILED Failed" was the bug).
  await expect(page.getByTestId('run-status-text')).not.toContainText(/fail/i);

  // The child's lane: its death, by SIGTERM, and the read() it never returned from, ending there.
  const child = page.locator('[data-testid="lane"][data-role="child"]');
  await expect(child).toHaveAttribute('data-end', 'SIGTERM');
  await expect(child.getByTestId('lane-end')).toContainText('SIGTERM');
  const read = child.locator('[data-testid="lane-unreturned"][data-op="read"]');
  await expect(read).toHaveCount(1);
  await expect(read).toHaveAttribute('data-until', 'SIGTERM');
  const deathT = Number(await child.getAttribute('data-end-t'));
  const [t0, t1] = [Number(await read.getAttribute('data-t0')), Number(await read.getAttribute('data-t1'))];
  expect(t1).toBe(deathT);
  expect(t1 - t0, 'blocked from the last message until the parent gave up, about 3 s').toBeGreaterThan(2000);

  // And on the canvas: the bar's fill in the middle of the wait, its hard end and the cross at the death.
  const canvas = page.getByTestId('timeline-canvas');
  const laneIndex = await page.getByTestId('lane').evaluateAll((els) => els.findIndex((el) => el.getAttribute('data-role') === 'child'));
  const y = laneCenterY(laneIndex);
  const midX = await xOf(canvas, (t0 + t1) / 2);
  // rgba(234, 88, 12, 0.22) over the lane's band: an orange tint (above the bar's label). Polled: the
  // canvas paints in the next animation frame.
  await expect
    .poll(
      async () => {
        const [r, g, b] = await pixel(canvas, midX, y - 6);
        return r > g + 20 && g > b + 10;
      },
      { message: 'the blocked bar is drawn in the middle of the wait' },
    )
    .toBe(true);

  // The kernel view opened at the moment the check points to, and the lab's pipe is there.
  await expect(page.getByTestId('timeline-cursor')).toBeVisible();
  const pipe = (await page.locator('[data-testid="event-row"][data-kind="object.create"]').first().textContent())!.match(/pipe:\[\d+\]/)?.[0];
  expect(pipe, 'the pipe the parent created').toBeTruthy();
  await expect(page.locator(`[data-testid="kernel-fd"][data-target="${pipe}"][data-runtime=""]`).first()).toBeVisible();
  // Node's own descriptors are hidden until asked for, then marked as the runtime's.
  await expect(page.locator('[data-testid="kernel-fd"]:not([data-runtime=""])')).toHaveCount(0);
  await page.getByTestId('kernel-show-runtime').check();
  await expect(page.locator('[data-testid="kernel-fd"]:not([data-runtime=""])').first()).toContainText("the runtime's");
  await page.getByTestId('kernel-show-runtime').uncheck();

  // After the run, latest: each process ended, with how; none shown sleeping.
  await page.getByTestId('kernel-live').click();
  // With the cursor gone (it sits at the check's moment, which may be at the death), the bar's end:
  const deathX = await xOf(canvas, deathT);
  // The theme's colour for a death by signal, as the canvas read it.
  const killed = rgb(await canvas.evaluate((el, property) => getComputedStyle(el).getPropertyValue(property).trim(), MARK_VARS.killed));
  // The hard edge fills [x1 - 2, x1): the whole pixel column just left of floor(x1) is inside it.
  await expect(page.getByTestId('kernel-live')).toHaveCount(0);
  await expect
    .poll(
      async () => {
        const [r, g] = await pixel(canvas, Math.floor(deathX) - 1, y + 7);
        return r > killed[0] - 40 && g < killed[1] + 60;
      },
      { message: "the bar ends at the death, in the death mark's colour" },
    )
    .toBe(true);

  const childPid = await child.getAttribute('data-pid');
  const childCard = page.locator(`[data-testid="kernel-process"][data-pid="${childPid}"]`);
  await expect(childCard).toHaveAttribute('data-state', 'ended');
  await expect(childCard.getByTestId('kernel-ended')).toHaveText('killed by SIGTERM');
  const parentPid = await page.locator('[data-testid="lane"][data-role="parent"]').getAttribute('data-pid');
  await expect(page.locator(`[data-testid="kernel-process"][data-pid="${parentPid}"]`).getByTestId('kernel-ended')).toHaveText('exited (code 0)');
  const cards = await page.getByTestId('kernel-process').allTextContents();
  expect(cards).toHaveLength(2);
  for (const text of cards) expect(text).not.toMatch(/sleeping/i);
});

test('a stopped run says for every check that it was not checked, and why', async ({ page, app }) => {
  await openEndOfFile(page, app.url);
  // 20 messages a second apart: the run goes on for 20 s, stopped after the first one arrives.
  await page.locator('[data-param="messages"] input').fill('20');
  await page.locator('[data-param="messageDelayMs"] input').fill('1000');
  await page.getByTestId('run').click();
  await expect(page.locator('[data-testid="event-row"][data-kind="message.receive"]').first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
  await expect(page.getByTestId('check')).toHaveCount(0);
  // Every check of the step, each saying why (not "not checked yet", not a result).
  const rows = await page.getByTestId('check-pending').count();
  expect(rows).toBeGreaterThan(0);
  await expect(page.getByTestId('check-not-checked')).toHaveText(Array<string>(rows).fill('Not checked: the run was stopped.'));
  await expect(page.getByTestId('run-status-text')).not.toContainText(/stopped/i);
});
