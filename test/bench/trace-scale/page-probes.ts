/**
 * What the trace-scale bench measures inside the lab page, from outside it: scripts evaluated in the
 * page (no hook in the renderer), Playwright's mouse and keyboard on the timeline canvas, and Chrome's
 * DevTools protocol for the JS heap. Times are the page's performance.now() (ms since the page's
 * navigation started), lossy floats: display only.
 *
 *   - first paint: the end of the first animation frame after which the timeline canvas holds more
 *     than its background (a frame's rAF callbacks, the painter's among them, then a message posted from
 *     the first of them runs: its time is the frame's end, at most one frame late).
 *   - frame time: per animation frame, from the frame's start (rAF's timestamp) to the end of its work
 *     (that same posted message): input handling, the painter and rendering. The interval between frame
 *     starts is reported beside it: at 60 Hz a frame that took longer than ~17 ms was dropped.
 *   - click answer: from a pointerdown's timeStamp (when the input arrived, however busy the page was)
 *     to the end of the next frame, the one that paints what the click changed.
 */
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../support/chromium.js';

export const CANVAS = '[data-testid="timeline-canvas"]';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A fresh context and page (its own renderer process and heap), and a DevTools session on it. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; cdp: CDPSession }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { context, page, cdp };
}

/** Installed before the page's own scripts: records the first paint of the timeline. */
export const FIRST_PAINT_SCRIPT = `(() => {
  const bench = { firstPaintMs: null };
  globalThis.__traceBench = bench;
  const channel = new MessageChannel();
  const painted = () => {
    const canvas = document.querySelector('${CANVAS}');
    if (!canvas || canvas.width === 0 || canvas.height === 0 || !document.querySelector('[data-testid="lane"]')) return false;
    const pixels = new Uint32Array(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.buffer);
    const background = pixels[0];
    for (let i = 1; i < pixels.length; i++) if (pixels[i] !== background) return true;
    return false;
  };
  channel.port1.onmessage = () => {
    if (painted()) bench.firstPaintMs = performance.now();
    else requestAnimationFrame(frame);
  };
  const frame = () => channel.port2.postMessage(0);
  requestAnimationFrame(frame);
})()`;

/**
 * Evaluates `expression` in the page every `everyMs` until it gives a truthy value, and returns that
 * value. Not page.waitForFunction: the page's CSP (script-src 'self') refuses the string evaluation it
 * does inside the page, while Runtime.evaluate (page.evaluate) is allowed. An evaluation waits for the
 * page's main thread, so a busy page is polled late, never skipped. Gives up (throws) after `timeoutMs`.
 */
export async function pollPage<T>(page: Page, expression: string, everyMs: number, timeoutMs: number): Promise<T> {
  const giveUpAt = performance.now() + timeoutMs;
  while (performance.now() < giveUpAt) {
    const value = (await page.evaluate(expression)) as T;
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`the page did not show ${expression} within ${Math.round(timeoutMs / 1000)} s`);
}

/** JSHeapUsedSize of the page, bytes (after a full garbage collection when `collect`). */
export async function jsHeapBytes(cdp: CDPSession, collect: boolean): Promise<number> {
  if (collect) await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
}

/** The page's event count as the event list shows it, or null when it shows none. */
export async function shownEventCount(page: Page): Promise<number | null> {
  const text = await page.evaluate(`document.querySelector('[data-testid="event-count"]')?.textContent ?? null`);
  return typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : null;
}

/** Starts recording every animation frame: [frame start, end of the frame's work], ms. */
const FRAME_RECORDER = `(() => {
  const rec = { frames: [], running: true };
  globalThis.__frames = rec;
  const channel = new MessageChannel();
  channel.port1.onmessage = (message) => rec.frames.push([message.data, performance.now()]);
  const tick = (ts) => {
    if (!rec.running) return;
    channel.port2.postMessage(ts);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()`;

export interface FrameTimes {
  /** Main-thread time per frame, ms. */
  work: number[];
  /** Between frame starts, ms. */
  intervals: number[];
  /** The timeline's window (ms of the run) before, zoomed in (once played) and after: proof the gestures took effect. */
  windows: { when: 'before' | 'zoomed' | 'after'; t0: number; t1: number }[];
  /** Gestures played, of all that were planned (fewer when the deadline came first). */
  played: number;
  planned: number;
}

async function timelineWindow(page: Page, when: FrameTimes['windows'][number]['when']): Promise<FrameTimes['windows'][number]> {
  const [t0, t1] = await page.locator(CANVAS).evaluate((c) => [Number(c.getAttribute('data-window-t0')), Number(c.getAttribute('data-window-t1'))]);
  return { when, t0: t0!, t1: t1! };
}

/** One round: Ctrl + wheel in, Shift + wheel right and back, a drag of the cursor, Ctrl + wheel out. */
function gestures(page: Page, box: { x: number; y: number; width: number; height: number }, y: number): (() => Promise<void>)[] {
  const steps: (() => Promise<void>)[] = [];
  const wheel = (dy: number) => () => page.mouse.wheel(0, dy);
  steps.push(
    () => page.keyboard.down('Control'),
    ...Array.from({ length: 12 }, () => wheel(-100)),
    () => page.keyboard.up('Control'),
  );
  steps.push(() => page.keyboard.down('Shift'), ...Array.from({ length: 20 }, () => wheel(100)), ...Array.from({ length: 20 }, () => wheel(-100)));
  steps.push(
    () => page.keyboard.up('Shift'),
    () => page.mouse.move(box.x + box.width * 0.2, y),
    () => page.mouse.down(),
  );
  steps.push(...Array.from({ length: 30 }, (_, i) => () => page.mouse.move(box.x + box.width * (0.2 + (0.6 * (i + 1)) / 30), y)), () => page.mouse.up());
  steps.push(
    () => page.keyboard.down('Control'),
    ...Array.from({ length: 12 }, () => wheel(100)),
    () => page.keyboard.up('Control'),
  );
  return steps;
}

/**
 * Plays zoom, pan and drag gestures on the timeline (`rounds` times), recording every animation frame
 * meanwhile. Stops playing at `deadlineMs` (performance.now() of this process): a page too busy to take
 * input gives the frames it drew until then.
 */
export async function panZoomFrames(page: Page, rounds: number, deadlineMs: number): Promise<FrameTimes> {
  const canvas = page.locator(CANVAS);
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  const y = box.y + Math.min(box.height / 2, 60);
  const windows = [await timelineWindow(page, 'before')];
  await page.mouse.move(box.x + box.width / 2, y);
  await page.evaluate(FRAME_RECORDER);
  const round = gestures(page, box, y);
  const zoomedIn = 14; // after the Ctrl + wheel in of the first round
  let played = 0;
  for (let r = 0; r < rounds; r++)
    for (const gesture of round) {
      if (performance.now() > deadlineMs) break;
      await gesture();
      if (++played === zoomedIn) windows.push(await timelineWindow(page, 'zoomed'));
    }
  // Modifier keys and the button are let go whatever was played.
  await page.keyboard.up('Control');
  await page.keyboard.up('Shift');
  await page.mouse.up();
  // The last gesture's frame, then stop.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))');
  const frames = (await page.evaluate('(globalThis.__frames.running = false, globalThis.__frames.frames)')) as [number, number][];
  windows.push(await timelineWindow(page, 'after'));
  return {
    work: frames.map(([start, end]) => end - start),
    intervals: frames.slice(1).map(([start], i) => start - frames[i]![0]),
    windows,
    played,
    planned: rounds * round.length,
  };
}

/** Records, for every pointerdown on the page, the time to the end of the next frame (ms). */
export const CLICK_RECORDER = `(() => {
  const rec = { answers: [] };
  globalThis.__clicks = rec;
  const channel = new MessageChannel();
  channel.port1.onmessage = (message) => rec.answers.push(performance.now() - message.data);
  document.addEventListener('pointerdown', (event) => {
    const arrived = event.timeStamp;
    requestAnimationFrame(() => channel.port2.postMessage(arrived));
  }, true);
})()`;

export async function clickAnswers(page: Page): Promise<number[]> {
  return (await page.evaluate('globalThis.__clicks?.answers ?? []')) as number[];
}
