/**
 * Trace scale (issue 13): how the lab page and the engine cope with large traces, so that the figures
 * of today's viewer ("before") and of the windowed one ("after") come from the same script.
 *
 *   A. A finished run of N events (fixture-trace.ts: messages with arrows, blocked calls, occupancy,
 *      kernel snapshots over 4 lanes), stored straight into a real EventStore on a temporary data
 *      folder as a run of the ordinary-pipes lab's first step, opened in headless Chromium over the
 *      browser host at #/lab/ordinary-pipes/one-way/run/<id>: first paint of the timeline, the whole
 *      run shown, the page's JS heap, the engine's RSS; then pan and zoom frame times while scripted
 *      wheel and drag gestures play on the timeline canvas (page-probes.ts says what each time is).
 *   B. The step's checks over that stored run, as the engine runs them (runChecksInWorker): time, RSS.
 *   C. A live run: the trace-flood bench lab's two flooders at a fixed rate (its ratePerSecond
 *      parameter, half the total each), shown live in the page: whether the page is dropped as too slow,
 *      how far behind the engine it is, how long a click on the timeline takes to be answered.
 *
 * `--trace-checks-only` measures B alone (no Chromium, no page, no live run): the fixture runs stored
 * on a temporary data folder and their checks, in seconds rather than minutes.
 *
 * Every measurement has a deadline (`timeoutMs`): one that does not finish is reported as such and
 * the next goes on. The engine, the browser host and this script share one process: "engine RSS" is
 * that process (the Playwright client in it is small).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksFileOf, runChecksInWorker } from '../../main/engine/check-runner.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import type { NamedCheck } from '../../main/engine/run-checks.js';
import { startBrowserHost, type BrowserHost } from '../../main/hosts/browser/browser-host.js';
import { fixed, percentile, table, thousands } from './bench-stats.js';
import { storeFixtureRun } from './trace-scale/fixture-run.js';
import {
  CANVAS,
  CLICK_RECORDER,
  clickAnswers,
  FIRST_PAINT_SCRIPT,
  jsHeapBytes,
  launchChromium,
  openPage,
  panZoomFrames,
  pollPage,
  shownEventCount,
  type FrameTimes,
} from './trace-scale/page-probes.js';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH } from '../support/chromium.js';

export interface TraceScaleParams {
  /** Event counts of the finished runs. */
  sizes: number[];
  /** Deadline of each measurement, ms. */
  timeoutMs: number;
  /** The live run: events per second (both flooders together) and for how long. */
  liveRatePerSecond: number;
  liveSeconds: number;
}

export const DEFAULT_TRACE_SCALE_PARAMS: TraceScaleParams = { sizes: [100_000, 1_000_000], timeoutMs: 120_000, liveRatePerSecond: 200_000, liveSeconds: 10 };

/** The lab step the fixture runs belong to, and the processes besides the parent. */
const FIXTURE_LAB = 'ordinary-pipes';
const FIXTURE_STEP = 'one-way';
const FIXTURE_CHILDREN = 3;

/** How long the pan and zoom gestures may go on. */
const PAN_ZOOM_MS = 30_000;
/** How long the page may take to catch up after the live run ended (when it was not dropped). */
const CATCH_UP_MS = 60_000;

const TARGETS = {
  firstPaintMs: 1000,
  frameP95Ms: 16,
  frameMaxMs: 50,
  heapBytes: 100 * 2 ** 20,
  rssBytes: 300 * 2 ** 20,
  checksMs: 1000,
  clickMs: 50,
};

const mib = (bytes: number) => `${fixed(bytes / 2 ** 20, 0)} MiB`;
const ms = (value: number) => `${fixed(value, value < 100 ? 1 : 0)} ms`;
const msSince = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const verdict = (met: boolean) => (met ? 'MET' : 'NOT MET');

/** A check the worker stopped (check-runner.ts: time or memory limit) says so in its detail: keep that part. */
function overLimit(detail: string): string {
  const limit = /took longer than [\d.]+ s|used more than \d+ MB/i.exec(detail);
  return limit ? ` (${limit[0]})` : '';
}

type Timed<T> = { done: true; value: T } | { done: false; why: string };

/** `work` with a deadline: a result, or why there is none ("did not finish in 120 s", or its error). */
async function within<T>(timeoutMs: number, work: () => Promise<T>): Promise<Timed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false, why: `did not finish in ${fixed(timeoutMs / 1000, 0)} s` }), timeoutMs);
  });
  try {
    return await Promise.race([
      work().then(
        (value): Timed<T> => ({ done: true, value }),
        (error: unknown): Timed<T> => ({ done: false, why: `failed: ${(error as Error).message.split('\n')[0]}` }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** This process's highest RSS between start and stop, sampled every `everyMs` (and at both ends). */
function rssPeak(everyMs: number): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** An engine (on `labsDir`, or the project's labs) and a browser host on a temporary data folder. */
async function withHost<T>(
  options: { labsDir?: string; eventBudget?: number; onWarning?: (line: string) => void },
  use: (engine: Engine, host: BrowserHost) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-trace-'));
  try {
    const engine = await openEngine({ dataDir, labsDir: options.labsDir, eventBudget: options.eventBudget });
    try {
      const warn = options.onWarning ?? ((line: string) => console.log(`   (browser host: ${line})`));
      const host = await startBrowserHost({ engine, warn });
      try {
        return await use(engine, host);
      } finally {
        await host.close();
      }
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Opening {
  events: number;
  storeMs: number;
  firstPaint: Timed<number>;
  whole: Timed<number>;
  heap: Timed<{ atLoad: number; afterGc: number }>;
  frames: Timed<FrameTimes>;
  rssBefore: number;
  rssPeak: number;
  checks: Timed<{ ms: number; results: string }>;
  checksRssBefore: number;
  checksRssPeak: number;
}

async function openFinishedRun(browser: Browser, engine: Engine, host: BrowserHost, events: number, timeoutMs: number): Promise<Opening> {
  const lab = engine.loadedLabs.find((l) => l.id === FIXTURE_LAB)!;
  const fixture = storeFixtureRun(engine.store, lab, FIXTURE_STEP, events, FIXTURE_CHILDREN);
  if (fixture.events !== events) throw new Error(`the fixture stored ${fixture.events} events instead of ${events}`);
  process.stdout.write(`   ${thousands(events)} events stored in ${fixed(fixture.storeMs / 1000, 1)} s; opening the page\n`);

  const rssBefore = process.memoryUsage().rss;
  const rss = rssPeak(50);
  const { context, page, cdp } = await openPage(browser);
  try {
    await page.addInitScript(FIRST_PAINT_SCRIPT);
    const started = process.hrtime.bigint();
    await page.goto(`${host.url}#/lab/${FIXTURE_LAB}/${FIXTURE_STEP}/run/${fixture.runId}`);
    const left = () => Math.max(1, timeoutMs - msSince(started));
    const firstPaint = await within(left(), async () => {
      return pollPage<number>(page, 'globalThis.__traceBench.firstPaintMs', 50, left());
    });
    // The whole run is shown when the event list counts every event and no longer says it is loading.
    const whole = await within(left(), async () => {
      return pollPage<number>(
        page,
        `document.querySelector('[data-testid="event-count"]')?.textContent === '${events}' && !document.querySelector('[data-testid="events-loading"]') && performance.now()`,
        100,
        left(),
      );
    });
    const heap = await within(30_000, async () => ({ atLoad: await jsHeapBytes(cdp, false), afterGc: await jsHeapBytes(cdp, true) }));
    process.stdout.write(
      `   first paint ${firstPaint.done ? ms(firstPaint.value) : firstPaint.why}; whole run ${whole.done ? ms(whole.value) : whole.why}; panning\n`,
    );
    // Gestures for at most PAN_ZOOM_MS (a page busy loading the rest answers input late); then the
    // frames drawn meanwhile are read, which waits for the page too: hence the longer deadline around it.
    const frames = await within(timeoutMs, async () => {
      await page.locator(CANVAS).waitFor({ timeout: 0 });
      return panZoomFrames(page, 2, performance.now() + PAN_ZOOM_MS);
    });
    const peak = rss.stop();
    await context.close(); // before the checks: the page's memory is not the engine's

    const { checks: checked, rssBefore: checksRssBefore, rssPeak: checksRssPeak } = await checkStoredRun(engine, fixture.runId, timeoutMs);
    return {
      events,
      storeMs: fixture.storeMs,
      firstPaint,
      whole,
      heap,
      frames,
      rssBefore,
      rssPeak: peak,
      checks: checked,
      checksRssBefore,
      checksRssPeak,
    };
  } finally {
    rss.stop();
    await context.close().catch(() => undefined);
  }
}

interface LiveRun {
  askedPerSecond: number;
  achievedPerSecond: number;
  events: number;
  status: string;
  runMs: number;
  /** When the page's WebSocket closed (ms after the run started), or null. */
  droppedAtMs: number | null;
  /** The host's warning when it dropped the page. */
  hostSaid: string | null;
  /** Per sample while the run went on and the page was connected: how old the newest event it shows is, ms; how many events it lacks. */
  lagMs: number[];
  behind: number[];
  unanswered: number;
  clicks: number[];
  clicksSent: number;
  caughtUpMs: Timed<number>;
  rssPeak: number;
}

async function liveRun(browser: Browser, labsDir: string, params: TraceScaleParams): Promise<LiveRun> {
  const perProcess = Math.round(params.liveRatePerSecond / 2);
  const eventsPerProcess = perProcess * params.liveSeconds;
  // Dropped: the host closes a tab that has too much unsent (slowClientBytes) and warns; the page's socket closes.
  let droppedAt: number | null = null;
  let hostSaid: string | null = null;
  const onWarning = (line: string) => {
    if (/could not keep up/.test(line)) hostSaid ??= line;
    else console.log(`   (browser host: ${line})`);
  };
  return withHost({ labsDir, eventBudget: 2 * eventsPerProcess + 10_000, onWarning }, async (engine, host) => {
    const { context, page } = await openPage(browser);
    try {
      page.on('websocket', (ws) => ws.on('close', () => (droppedAt ??= nowMs())));
      await page.goto(`${host.url}#/lab/trace-flood/flood`);
      await page.locator('[data-testid="step-body"]').waitFor({ timeout: 30_000 });
      await page.evaluate(CLICK_RECORDER);

      // The engine's side: when each stored seq was pushed to the hosts.
      let runId = -1;
      const pushed: [atMs: number, lastSeq: number][] = [];
      const unsubscribe = engine.onEvent(({ event, payload }) => {
        if (event !== 'trace:batch') return;
        const batch = payload as { runId: number; lastSeq: number };
        if (batch.runId === runId) pushed.push([nowMs(), batch.lastSeq]);
      });
      const rss = rssPeak(100);
      try {
        const { run } = await engine.call('runs.start', {
          labId: 'trace-flood',
          scenarioId: 'flood',
          stepId: 'flood',
          params: { events: eventsPerProcess, ratePerSecond: perProcess },
        });
        runId = run.runId;
        const startedAt = nowMs();
        const done = engine.currentRun!.done;
        let finished: { status: string } | undefined;
        void done.then((summary) => (finished = summary));
        await page.evaluate(`location.hash = '#/lab/trace-flood/flood/run/${runId}'`);

        // Clicks on the timeline, one a second, on their own loop (a busy page answers late, not never).
        let clicksSent = 0;
        const clicking = (async () => {
          while (!finished) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            if (finished) break;
            await within(10_000, async () => {
              const box = await page.locator(CANVAS).boundingBox({ timeout: 5_000 });
              if (!box) return;
              clicksSent++;
              await page.mouse.click(box.x + box.width * (0.3 + 0.4 * Math.random()), box.y + Math.min(box.height / 2, 60));
            });
          }
        })();

        const lagMs: number[] = [];
        const behind: number[] = [];
        let unanswered = 0;
        const sample = async () => {
          const shown = await within(5_000, () => shownEventCount(page));
          const at = nowMs();
          if (droppedAt !== null) return; // what a dropped page shows is frozen: not "behind", gone
          if (!shown.done) return void unanswered++;
          const count = shown.value ?? 0;
          const stored = pushed.at(-1)?.[1] ?? 0;
          behind.push(Math.max(0, stored - count));
          // The newest event shown was stored (pushed) at: the first push that reached its seq.
          const reached = pushed.find(([, seq]) => seq >= count);
          lagMs.push(count >= stored ? 0 : at - (count === 0 ? (pushed[0]?.[0] ?? at) : reached![0]));
        };
        while (!finished) {
          await sample();
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const runMs = nowMs() - startedAt;
        await clicking;
        const total = engine.store.eventCount(runId);
        const endedAt = nowMs();
        // After the run: does the page catch up with every stored event? Not once dropped: it never will.
        const caughtUpMs: Timed<number> =
          droppedAt !== null
            ? { done: false, why: 'never (dropped)' }
            : await within(CATCH_UP_MS, async () => {
                await pollPage(page, `document.querySelector('[data-testid="event-count"]')?.textContent === '${total}'`, 200, CATCH_UP_MS);
                return nowMs() - endedAt;
              });
        const flood = pushed.length > 1 ? pushed.at(-1)![1] / ((pushed.at(-1)![0] - pushed[0]![0]) / 1000) : Number.NaN;
        const clicks = await within(5_000, () => clickAnswers(page));
        return {
          askedPerSecond: 2 * perProcess,
          achievedPerSecond: flood,
          events: total,
          status: finished!.status,
          runMs,
          droppedAtMs: droppedAt === null ? null : droppedAt - startedAt,
          hostSaid,
          lagMs,
          behind,
          unanswered,
          clicks: clicks.done ? clicks.value : [],
          clicksSent,
          caughtUpMs,
          rssPeak: rss.stop(),
        };
      } finally {
        rss.stop();
        unsubscribe();
        if (engine.currentRun) await engine.currentRun.done;
      }
    } finally {
      await context.close();
    }
  });
}

const pcts = (values: number[], format: (v: number) => string) =>
  values.length === 0 ? 'n/a' : `${format(percentile(values, 50))} / ${format(percentile(values, 95))} / ${format(Math.max(...values))}`;

const shown = <T>(t: Timed<T>, format: (v: T) => string) => (t.done ? format(t.value) : t.why);

function printOpenings(openings: Opening[]): void {
  console.log('   Finished runs, opened in the lab page (one fresh page each):');
  console.log(
    table(
      ['events', 'stored in', 'first paint', 'whole run shown', 'JS heap when shown (or at the deadline) / after GC', 'engine RSS before / peak'],
      openings.map((o) => [
        thousands(o.events),
        `${fixed(o.storeMs / 1000, 1)} s`,
        shown(o.firstPaint, ms),
        shown(o.whole, ms),
        shown(o.heap, (h) => `${mib(h.atLoad)} / ${mib(h.afterGc)}`),
        `${mib(o.rssBefore)} / ${mib(o.rssPeak)}`,
      ]),
    ),
  );
  console.log('');
  console.log(
    `   Pan and zoom on the timeline (2 rounds of Ctrl+wheel in, Shift+wheel right and back, a drag, Ctrl+wheel out; for at most ${PAN_ZOOM_MS / 1000} s):`,
  );
  console.log(
    table(
      ['events', 'frames', 'gestures played', 'frame time p50 / p95 / max', 'frame interval p50 / p95 / max', 'timeline window (ms of the run)'],
      openings.map((o) => [
        thousands(o.events),
        o.frames.done ? `${thousands(o.frames.value.work.length)}${o.whole.done ? '' : ' (run still loading)'}` : 'n/a',
        shown(o.frames, (f) => `${f.played} of ${f.planned}`),
        shown(o.frames, (f) => pcts(f.work, ms)),
        shown(o.frames, (f) => pcts(f.intervals, ms)),
        shown(o.frames, (f) => f.windows.map((w) => `${w.when} ${fixed(w.t0, 0)}-${fixed(w.t1, 0)}`).join(', ')),
      ]),
    ),
  );
  console.log("   (frame time: from a frame's start to the end of its work; interval: between frame starts, ~16.7 ms at 60 Hz when none is dropped)");
  console.log('');
  console.log(`   The step's checks (${FIXTURE_LAB} / ${FIXTURE_STEP}) over the stored run, in the check worker as the engine runs them:`);
  console.log(
    table(
      ['events', 'checks took', 'results', 'engine RSS before / peak'],
      openings.map((o) => [
        thousands(o.events),
        shown(o.checks, (c) => ms(c.ms)),
        shown(o.checks, (c) => c.results),
        `${mib(o.checksRssBefore)} / ${mib(o.checksRssPeak)}`,
      ]),
    ),
  );
  console.log('   (the fixture is not a real pipes run: its checks may fail; what matters here is their time and memory)');
  console.log('');
  const million = openings.find((o) => o.events === 1_000_000);
  if (million) {
    const f = million.frames.done ? million.frames.value.work : [];
    console.log('   Targets, 1,000,000-event run:');
    console.log(
      `     first paint <= ${TARGETS.firstPaintMs} ms: ${shown(million.firstPaint, ms)} ${verdict(million.firstPaint.done && million.firstPaint.value <= TARGETS.firstPaintMs)}`,
    );
    console.log(
      `     frame time p95 <= ${TARGETS.frameP95Ms} ms, max <= ${TARGETS.frameMaxMs} ms: ` +
        (f.length
          ? `${ms(percentile(f, 95))}, ${ms(Math.max(...f))} ${verdict(percentile(f, 95) <= TARGETS.frameP95Ms && Math.max(...f) <= TARGETS.frameMaxMs)}`
          : 'n/a NOT MET'),
    );
    console.log(
      `     page JS heap <= ${mib(TARGETS.heapBytes)}: ${shown(million.heap, (h) => mib(h.atLoad))} ${verdict(million.heap.done && million.heap.value.atLoad <= TARGETS.heapBytes)}`,
    );
    console.log(`     engine RSS <= ${mib(TARGETS.rssBytes)} while the page opens it: ${mib(million.rssPeak)} ${verdict(million.rssPeak <= TARGETS.rssBytes)}`);
    console.log(
      `     checks <= ${TARGETS.checksMs} ms: ${shown(million.checks, (c) => ms(c.ms))} ${verdict(million.checks.done && million.checks.value.ms <= TARGETS.checksMs)}` +
        ` (RSS peak ${mib(million.checksRssPeak)}, ${mib(million.checksRssPeak - million.checksRssBefore)} above before)`,
    );
    console.log('');
  }
}

function printLive(live: LiveRun, params: TraceScaleParams): void {
  console.log(
    `   Live run: the trace-flood lab, 2 flooders at ${thousands(live.askedPerSecond / 2)} events/s each for ${params.liveSeconds} s, shown live in the lab page:`,
  );
  console.log(
    table(
      [
        'events',
        'rate asked / stored',
        'run',
        'page dropped',
        'page behind: age of its newest event p50 / p95 / max',
        'events behind p95',
        'click answer p50 / max',
        'caught up after the end',
      ],
      [
        [
          thousands(live.events),
          `${thousands(live.askedPerSecond)} / ${thousands(live.achievedPerSecond)} ev/s`,
          `${live.status} in ${fixed(live.runMs / 1000, 1)} s`,
          live.droppedAtMs === null ? 'no' : `yes, at ${fixed(live.droppedAtMs / 1000, 1)} s${live.hostSaid ? ' ("could not keep up")' : ''}`,
          pcts(live.lagMs, ms) + ` (${live.lagMs.length} samples${live.unanswered ? `, ${live.unanswered} unanswered in 5 s` : ''})`,
          live.behind.length ? thousands(percentile(live.behind, 95)) : 'n/a',
          live.clicks.length
            ? `${ms(percentile(live.clicks, 50))} / ${ms(Math.max(...live.clicks))} (${live.clicks.length} of ${live.clicksSent})`
            : `none answered of ${live.clicksSent}`,
          shown(live.caughtUpMs, ms),
        ],
      ],
    ),
  );
  console.log(`   engine RSS peak during the live run: ${mib(live.rssPeak)}`);
  const clickP95 = live.clicks.length ? percentile(live.clicks, 95) : Number.POSITIVE_INFINITY;
  console.log(
    `   Targets: never dropped: ${verdict(live.droppedAtMs === null)}; click answered <= ${TARGETS.clickMs} ms (p95): ${live.clicks.length ? ms(clickP95) : 'n/a'} ${verdict(clickP95 <= TARGETS.clickMs)}`,
  );
  console.log('');
}

/** The step's checks over a stored fixture run, as the engine runs them (runChecksInWorker): B of the header. */
async function checkStoredRun(
  engine: Engine,
  runId: number,
  timeoutMs: number,
): Promise<{ checks: Timed<{ ms: number; results: string }>; rssBefore: number; rssPeak: number }> {
  const lab = engine.loadedLabs.find((l) => l.id === FIXTURE_LAB)!;
  const step = lab.steps.find((s) => s.id === FIXTURE_STEP)!;
  const checks: NamedCheck[] = step.checks.map((c) => ({ id: c.id, definition: lab.checks[c.id]! }));
  const run = engine.store.run(runId)!;
  const rssBefore = process.memoryUsage().rss;
  const rss = rssPeak(10);
  const started = process.hrtime.bigint();
  const checked = await within(timeoutMs, async () => {
    const results = await runChecksInWorker({
      checksFile: checksFileOf(lab.compiledDir),
      checks,
      params: run.params,
      processes: run.processes,
      source: { dbFile: engine.store.file, runId: run.runId },
    });
    return {
      ms: msSince(started),
      results: results.map((r) => `${r.id} ${r.passed ? 'pass' : `fail${overLimit(r.detail)}`}`).join(', '),
    };
  });
  return { checks: checked, rssBefore, rssPeak: rss.stop() };
}

/** `--trace-checks-only`: the fixture runs' checks alone, each size twice (the second with the database in the page cache). */
async function checksOnlySection(params: TraceScaleParams): Promise<boolean> {
  console.log(`   The step's checks (${FIXTURE_LAB} / ${FIXTURE_STEP}) over stored fixture runs, in the check worker as the engine runs them (no page):`);
  const rows: string[][] = [];
  let ok = true;
  await withHost({}, async (engine) => {
    const lab = engine.loadedLabs.find((l) => l.id === FIXTURE_LAB)!;
    for (const size of params.sizes) {
      const fixture = storeFixtureRun(engine.store, lab, FIXTURE_STEP, size, FIXTURE_CHILDREN);
      for (const round of ['first', 'second']) {
        const { checks, rssBefore, rssPeak } = await checkStoredRun(engine, fixture.runId, params.timeoutMs);
        if (!checks.done && checks.why.startsWith('failed')) ok = false;
        rows.push([
          thousands(size),
          round,
          shown(checks, (c) => ms(c.ms)),
          shown(checks, (c) => c.results),
          `${mib(rssBefore)} / ${mib(rssPeak)} (+${mib(rssPeak - rssBefore)})`,
        ]);
      }
    }
  });
  console.log(table(['events', 'round', 'checks took', 'results', 'process RSS before / peak'], rows));
  console.log(`   (target: <= ${TARGETS.checksMs} ms for 1,000,000 events; the fixture is not a real pipes run: its checks may fail)`);
  console.log('');
  return ok;
}

export async function traceScaleSection(number: number, labsDir: string, params: TraceScaleParams = DEFAULT_TRACE_SCALE_PARAMS): Promise<boolean> {
  if (process.argv.includes('--trace-checks-only')) {
    console.log(`${number}. Trace scale, the checks only (--trace-checks-only)`);
    return checksOnlySection(params);
  }
  console.log(
    `${number}. Trace scale: large finished runs opened in the lab page, their checks, and a live run at ${thousands(params.liveRatePerSecond)} events/s`,
  );
  console.log(`   (headless Chromium over the browser host; every measurement stops after ${fixed(params.timeoutMs / 1000, 0)} s)`);
  console.log('');
  if (!existsSync(CHROMIUM_PATH)) {
    console.log(`   Skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH).`);
    console.log('');
    return true;
  }
  const browser = await launchChromium();
  try {
    const openings = await withHost({}, async (engine, host) => {
      const done: Opening[] = [];
      for (const size of params.sizes) done.push(await openFinishedRun(browser, engine, host, size, params.timeoutMs));
      return done;
    });
    console.log('');
    printOpenings(openings);
    const live = await within(params.liveSeconds * 1000 + 3 * params.timeoutMs, () => liveRun(browser, labsDir, params));
    if (live.done) printLive(live.value, params);
    else console.log(`   Live run: ${live.why}`);
    // Something broke (a measurement failed, not one that ran out of time): the script exits 1.
    const broke = (t: Timed<unknown>) => !t.done && t.why.startsWith('failed');
    return live.done && !openings.some((o) => [o.firstPaint, o.whole, o.heap, o.frames, o.checks].some(broke));
  } finally {
    await browser.close();
  }
}
