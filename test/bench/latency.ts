/**
 * Latency from a lab process's emit to a receiver of the browser host's WebSocket.
 *
 * One lab process emits `probes` measure events at a steady rate; each carries its emit time (`ts`,
 * CLOCK_MONOTONIC ns, taken by lab.emit just before its write(2)). Receivers:
 *
 *   - "engine push": a listener inside the engine's process, called when the engine pushes the batch
 *     (after its SQLite commit). Same clock. This is the engine's share: trace socket, checks, batching
 *     (~33 ms flushes), SQLite.
 *   - "Node WebSocket client": a separate Node process speaking the page's protocol over the browser
 *     host's WebSocket. Same clock (process.hrtime.bigint(), CLOCK_MONOTONIC).
 *   - "Chromium page": headless Chromium, a page of the host's origin with its own WebSocket; receipt is
 *     performance.now() in the page's onmessage. Chromium's clock on Linux is CLOCK_MONOTONIC too, but
 *     with an unknown origin: the offset is measured before and after the run by round trips through
 *     page.evaluate (the one with the smallest round trip wins), and its uncertainty (half that round
 *     trip, plus the page clock's 0.1 ms coarsening) is printed next to the figures.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webSocketProtocols } from '../../main/contract/browser-access.js';
import type { WireEvent } from '../../main/contract/commands.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { startBrowserHost, type BrowserHost } from '../../main/hosts/browser/browser-host.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';

export interface LatencyParams {
  probes: number;
  intervalUs: number;
}

export interface LatencySeries {
  receiver: string;
  /** ns per probe, in probe order. */
  samples: number[];
  note?: string;
}

export interface LatencyRun {
  /** The engine's share, measured in the same run. */
  enginePush: LatencySeries;
  client: LatencySeries;
  /** Emit rate the prober achieved (probes / time between first and last emit). */
  achievedRatePerSecond: number;
  status: string;
}

export { CHROMIUM_PATH };

/** A receiver: connects before the run, then hands back its samples once it has every probe. */
interface Receiver {
  name: string;
  samples(): Promise<LatencySeries>;
  close(): Promise<void>;
}

/**
 * An engine and a browser host on a temporary data folder, for `use`; everything is closed after.
 * `tap` sees every engine event before the host does (it subscribes first), so "engine push" times are
 * taken before the host serialises and sends the batch.
 */
export interface LatencyBench {
  engine: Engine;
  host: BrowserHost;
  tap: { listener: ((event: WireEvent) => void) | undefined };
}

export async function withBrowserHost<T>(labsDir: string, use: (bench: LatencyBench) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-'));
  try {
    const engine = await openEngine({ dataDir, labsDir });
    try {
      const tap: LatencyBench['tap'] = { listener: undefined };
      engine.onEvent((event) => tap.listener?.(event));
      const host = await startBrowserHost({ engine, warn: (line) => console.log(`   (browser host: ${line})`) });
      try {
        return await use({ engine, host, tap });
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

/** One run of the steady scenario with `receiver` connected. */
async function measure({ engine, tap }: LatencyBench, params: LatencyParams, receiver: Receiver): Promise<LatencyRun> {
  const engineSamples = new Array<number>(params.probes).fill(Number.NaN);
  const emitTs: bigint[] = [];
  tap.listener = ({ event, payload }) => {
    if (event !== 'trace:batch') return;
    const now = process.hrtime.bigint();
    for (const e of (payload as { events: StoredEvent[] }).events) {
      if (e.kind !== 'measure' || e.name !== 'probe') continue;
      const ts = BigInt(e.ts);
      engineSamples[e.value - 1] = Number(now - ts);
      emitTs.push(ts);
    }
  };
  try {
    const { run } = await engine.call('runs.start', {
      labId: 'trace-flood',
      scenarioId: 'steady',
      stepId: 'steady',
      params: { probes: params.probes, intervalUs: params.intervalUs },
    });
    const labRun = engine.currentRun;
    const summary = labRun && labRun.runId === run.runId ? await labRun.done : run;
    const client = await receiver.samples();
    const first = emitTs[0] ?? 0n;
    const last = emitTs[emitTs.length - 1] ?? 0n;
    return {
      enginePush: { receiver: 'engine push (in-process listener)', samples: engineSamples },
      client,
      achievedRatePerSecond: (emitTs.length - 1) / (Number(last - first) / 1e9),
      status: summary.status,
    };
  } finally {
    tap.listener = undefined;
    await receiver.close();
  }
}

export async function measureWithNodeClient(bench: LatencyBench, params: LatencyParams): Promise<LatencyRun> {
  const { host } = bench;
  const clientFile = join(dirname(fileURLToPath(import.meta.url)), 'ws-latency-client.js');
  const child = fork(clientFile, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const messages: unknown[] = [];
  const waiters: ((message: unknown) => void)[] = [];
  child.on('message', (message) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else messages.push(message);
  });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      if (messages.length > 0) return resolve(messages.shift());
      waiters.push(resolve);
      void exited.then(() => reject(new Error('the WebSocket client process exited early (see its message above)')));
    });
  child.send({ port: host.port, token: host.token, probes: params.probes });
  await next(); // { ready: true }
  return measure(bench, params, {
    name: 'Node WebSocket client',
    async samples() {
      const { samples } = (await next()) as { samples: number[] };
      return { receiver: 'Node WebSocket client (separate process)', samples };
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  });
}

/** The page's side: its own WebSocket to the host, receipt times from performance.now(). */
const PAGE_SCRIPT = (port: number, token: string, probes: number) => `new Promise((resolve, reject) => {
  const bench = { received: 0, values: new Array(${probes}).fill(null) };
  globalThis.__bench = bench;
  const ws = new WebSocket('ws://127.0.0.1:${port}/ws', ${JSON.stringify(webSocketProtocols(token))});
  ws.onopen = () => { ws.send(JSON.stringify({ ready: true })); resolve(true); };
  ws.onerror = () => reject(new Error('the page could not open the WebSocket'));
  ws.onmessage = (message) => {
    const now = performance.now();
    const data = JSON.parse(message.data);
    if (data.event !== 'trace:batch') return;
    for (const e of data.payload.events) {
      if (e.kind !== 'measure' || e.name !== 'probe') continue;
      if (bench.values[e.value - 1] === null) bench.received++;
      bench.values[e.value - 1] = [now, e.ts];
    }
  };
})`;

interface ClockOffset {
  /** page performance.now() ms minus monotonic ms. */
  offsetMs: number;
  /** Half the best round trip, ms. */
  uncertaintyMs: number;
}

export async function measureWithChromium(bench: LatencyBench, params: LatencyParams): Promise<LatencyRun & { offsets: ClockOffset[] }> {
  const { host } = bench;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext();
    // A page of the host's own origin that loads no UI: the 404 text page. The receiver is this page's
    // WebSocket alone, presenting the token as the UI does (main/contract/browser-access.ts).
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${host.port}/bench-receiver`);
    await page.evaluate(PAGE_SCRIPT(host.port, host.token, params.probes));

    const offsetOf = async (): Promise<ClockOffset> => {
      let best: ClockOffset = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
      for (let i = 0; i < 40; i++) {
        const before = process.hrtime.bigint();
        const pageNow = (await page.evaluate('performance.now()')) as number;
        const after = process.hrtime.bigint();
        const halfRoundTripMs = Number(after - before) / 2e6;
        if (halfRoundTripMs < best.uncertaintyMs) best = { offsetMs: pageNow - Number(before + after) / 2e6, uncertaintyMs: halfRoundTripMs };
      }
      return best;
    };
    const offsets = [await offsetOf()];
    const run = await measure(bench, params, {
      name: 'Chromium page',
      async samples() {
        await page.waitForFunction(`globalThis.__bench.received === ${params.probes}`, undefined, { timeout: 30_000, polling: 50 });
        offsets.push(await offsetOf());
        const values = (await page.evaluate('globalThis.__bench.values')) as [number, string][];
        const offsetMs = (offsets[0]!.offsetMs + offsets[1]!.offsetMs) / 2;
        const samples = values.map(([pageMs, ts]) => Math.round((pageMs - offsetMs) * 1e6 - Number(BigInt(ts))));
        return { receiver: 'Chromium page (headless, WebSocket onmessage)', samples };
      },
      async close() {
        await page.close();
      },
    });
    return { ...run, offsets };
  } finally {
    await browser.close();
  }
}
