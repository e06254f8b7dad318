/**
 * RPC between two real processes: how many calls per second the lab's RPC machinery (client stub ->
 * record-marked XDR over TCP on 127.0.0.1 -> server stub -> implementation, and back) makes, against the
 * bare socket round trip carrying the same payload (8 bytes out, 4 back, record-marked, no header, no
 * XDR, no dispatch) between the same two processes.
 *
 *   server child   serves CALC.add through startServer (semantics at-least-once, tracing off) on one port and
 *                  the same addition by hand on another; writes both ports to a file, prints `ready`;
 *                  exits with its report once both connections have closed.
 *   client child   connects to both, then for each of `repeats` runs makes `calls` sequential calls of
 *                  each kind (alternating kinds run by run, after `warmUp` calls of each), checks every
 *                  result, and times each call with process.hrtime.bigint().
 *
 * The children are this same file run with `--child server|client`; they use the RPC lab's CALC
 * program and its raw-socket baseline (labs/06-rpc/programs/raw-add.ts), so the bench measures what the
 * lab's cost step shows, and the bench's ChildLauncher protocol (`ready`, one JSON line, exit 0).
 *
 *   import { benchRpc } from './rpc.js';  await benchRpc(5);   // section number 5, default parameters
 *   node dist/test/bench/rpc.js [--calls N] [--repeats N]      // alone
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectClient } from '../../main/runtime/rpc/client.js';
import { SILENT } from '../../main/runtime/rpc/interface.js';
import { startServer } from '../../main/runtime/rpc/server.js';
import { fixed, median, percentile, table, thousands, micros as us } from './bench-stats.js';
import { ChildLauncher } from './bench-children.js';
import { CALC, add } from '../../labs/06-rpc/programs/interfaces.js';
import { connectRawAdd, serveRawAdd } from '../../labs/06-rpc/programs/raw-add.js';

export interface RpcBenchParams {
  /** Measured calls of each kind per run. */
  calls: number;
  /** Calls of each kind before measuring. */
  warmUp: number;
  /** Runs of each kind. */
  repeats: number;
}

export const DEFAULT_RPC_PARAMS: RpcBenchParams = { calls: 20_000, warmUp: 2_000, repeats: 3 };

type Kind = 'rpc' | 'raw socket';
interface KindRun {
  kind: Kind;
  run: number;
  calls: number;
  verified: number;
  elapsedNs: number;
  /** Per-call round trips in ns. */
  samples: number[];
}
interface ClientReport {
  runs: KindRun[];
  problems: string[];
}
interface ServerReport {
  rpcExecuted: number;
  rawAnswered: number;
}

// ---------------------------------------------------------------------------------------------------
// Children

async function serverChild(portFile: string): Promise<void> {
  const rpc = await startServer(CALC, { add }, { semantics: 'at-least-once', tracer: SILENT, traceBytes: false, traceCalls: false });
  let rawAnswered = 0;
  const raw = createServer((socket) => serveRawAdd(socket, () => rawAnswered++));
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  // The client closes its RPC connection before its raw one (every call answered by then): when the raw
  // connection closes, the work is over. Report and go.
  raw.on('connection', (socket) =>
    socket.on('close', () => {
      raw.close();
      void rpc.close().then(() => {
        process.stdout.write(JSON.stringify({ rpcExecuted: rpc.executed, rawAnswered } satisfies ServerReport) + '\n');
        process.exit(0);
      });
    }),
  );
  writeFileSync(`${portFile}.tmp`, JSON.stringify({ rpc: rpc.port, raw: (raw.address() as { port: number }).port }));
  renameSync(`${portFile}.tmp`, portFile);
  process.stdout.write('ready\n');
}

async function clientChild(rpcPort: number, rawPort: number, params: RpcBenchParams): Promise<void> {
  const problems: string[] = [];
  const client = await connectClient(CALC, {
    port: rpcPort,
    semantics: 'at-least-once',
    tracer: SILENT,
    timeoutMs: 10_000,
    maxAttempts: 1,
    traceBytes: false,
    traceCalls: false,
  });
  const raw = await connectRawAdd(rawPort);
  const kinds: Record<Kind, (a: number, b: number) => Promise<number>> = {
    rpc: (a, b) => client.stub.add({ a, b }),
    'raw socket': raw.add,
  };
  process.stdout.write('ready\n');
  const runs: KindRun[] = [];
  for (const kind of Object.keys(kinds) as Kind[]) for (let i = 0; i < params.warmUp; i++) await kinds[kind](i, 1);
  for (let run = 1; run <= params.repeats; run++) {
    const order: Kind[] = run % 2 ? ['rpc', 'raw socket'] : ['raw socket', 'rpc'];
    for (const kind of order) {
      const samples: number[] = [];
      let verified = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < params.calls; i++) {
        const t0 = process.hrtime.bigint();
        const sum = await kinds[kind](i, 7);
        samples.push(Number(process.hrtime.bigint() - t0));
        if (sum === i + 7) verified++;
      }
      runs.push({ kind, run, calls: params.calls, verified, elapsedNs: Number(process.hrtime.bigint() - start), samples });
      if (verified !== params.calls) problems.push(`${kind} run ${run}: ${params.calls - verified} wrong results`);
    }
  }
  await client.close();
  raw.socket.end();
  await new Promise((resolve) => raw.socket.once('close', resolve));
  process.stdout.write(JSON.stringify({ runs, problems } satisfies ClientReport) + '\n');
}

// ---------------------------------------------------------------------------------------------------
// The section

export async function benchRpc(number: number, params: RpcBenchParams = DEFAULT_RPC_PARAMS): Promise<boolean> {
  const here = dirname(fileURLToPath(import.meta.url));
  const launcher = new ChildLauncher(here, 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-rpc-'));
  const portFile = join(dir, 'ports.json');
  let ok = true;
  console.log(`${number}. RPC between two processes: the lab's stubs (XDR, record marking, TCP 127.0.0.1) vs the bare socket round trip`);
  console.log(
    `   ${thousands(params.calls)} sequential calls of CALC.add per run (after ${thousands(params.warmUp)} warm-up calls of each kind), ${params.repeats} runs of each, alternating.`,
  );
  console.log(
    '   rpc: client stub -> 56-byte call (40-byte header + 2 ints) -> server stub -> add -> 32-byte reply; tracing off, semantics at-least-once (no duplicate table).',
  );
  console.log('   raw socket: the same two ints as 8 bytes, the sum as 4, record-marked, on its own connection to the same server process.');
  console.log('');
  const server = launcher.start('rpc.js', ['--child', 'server', portFile]);
  let client: ReturnType<typeof launcher.start> | undefined;
  try {
    await server.ready;
    const ports = JSON.parse(readFileSync(portFile, 'utf8')) as { rpc: number; raw: number };
    client = launcher.start('rpc.js', ['--child', 'client', String(ports.rpc), String(ports.raw), JSON.stringify(params)]);
    const report = (await launcher.settle(client)) as ClientReport;
    const served = (await launcher.settle(server)) as ServerReport;
    const rows = report.runs.map((r) => [
      r.kind,
      String(r.run),
      `${thousands(r.verified)}/${thousands(r.calls)}`,
      thousands(r.calls / (r.elapsedNs / 1e9)) + ' calls/s',
      us(percentile(r.samples, 50)),
      us(percentile(r.samples, 99)),
      us(Math.max(...r.samples)),
    ]);
    console.log(table(['kind', 'run', 'verified', 'rate', 'p50', 'p99', 'max'], rows).replace(/^/gm, '   '));
    console.log('');
    const rate = (k: Kind) => median(report.runs.filter((r) => r.kind === k).map((r) => r.calls / (r.elapsedNs / 1e9)));
    const p50 = (k: Kind) => median(report.runs.filter((r) => r.kind === k).map((r) => percentile(r.samples, 50)));
    console.log(
      `      median rate: rpc ${thousands(rate('rpc'))} calls/s, raw socket ${thousands(rate('raw socket'))} round trips/s; raw/rpc ${fixed(rate('raw socket') / rate('rpc'), 2)}x`,
    );
    console.log(`      median p50: rpc ${us(p50('rpc'))}, raw socket ${us(p50('raw socket'))}: the stubs add ${us(p50('rpc') - p50('raw socket'))} per call`);
    const expected = params.warmUp + params.calls * params.repeats;
    if (served.rpcExecuted !== expected || served.rawAnswered !== expected) {
      report.problems.push(`server executed ${served.rpcExecuted} rpc calls and answered ${served.rawAnswered} raw ones, expected ${expected} each`);
    }
    if (report.problems.length > 0) {
      ok = false;
      console.log(`      PROBLEM: ${report.problems.join('; ')}`);
    } else {
      console.log(`      every result right, in all ${report.runs.length} runs (${thousands(expected * 2)} calls answered by the server)`);
    }
  } catch (error) {
    ok = false;
    console.log(`      PROBLEM: ${(error as Error).message}`);
  } finally {
    for (const child of [server, client]) child?.process.kill('SIGKILL'); // no-op once exited
    await Promise.all([server, client].map((c) => (c ? launcher.settle(c).catch(() => {}) : undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
  const left = [...launcher.pids].filter((pid) => existsSync(`/proc/${pid}`));
  if (left.length > 0) {
    ok = false;
    console.log(`      PROBLEM: child processes left: ${left.join(', ')}`);
  } else {
    console.log(`      left behind: no child process (${launcher.pids.size} started), no port file`);
  }
  console.log('');
  return ok;
}

// ---------------------------------------------------------------------------------------------------
// Entry points: as a child of the bench, or alone.

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [flag, role, ...rest] = process.argv.slice(2);
  if (flag === '--child' && role === 'server') {
    await serverChild(rest[0]!);
  } else if (flag === '--child' && role === 'client') {
    await clientChild(Number(rest[0]), Number(rest[1]), JSON.parse(rest[2]!) as RpcBenchParams);
  } else {
    const option = (name: string, fallback: number) => {
      const i = process.argv.indexOf(`--${name}`);
      return i < 0 ? fallback : Number(process.argv[i + 1]);
    };
    const ok = await benchRpc(1, {
      ...DEFAULT_RPC_PARAMS,
      calls: option('calls', DEFAULT_RPC_PARAMS.calls),
      repeats: option('repeats', DEFAULT_RPC_PARAMS.repeats),
    });
    process.exit(ok ? 0 : 1);
  }
}
