/**
 * Checks at the end of a large run: how long the host's event loop goes unanswered while they run (in
 * the check worker), how long the checks take per event count, and, for comparison, how long the
 * host would stall running them on its own thread over the whole trace in memory (as before issue 11).
 * The run is the pipes lab's capacity step with small writes: its trace grows with totalKiB / chunkBytes
 * (16-byte writes of 4 MiB: ~740,000 events; 24-byte: ~500,000, the per-run event budget).
 *
 *   node dist/test/bench/check-stall.js [--chunks 16,24,256]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryTrace } from '../../main/engine/check-kit.js';
import { checksFileOf, runChecksInWorker } from '../../main/engine/check-runner.js';
import { openEngine } from '../../main/engine/engine.js';
import { runChecks, type NamedCheck } from '../../main/engine/run-checks.js';
import { fixed, table, thousands } from './bench-stats.js';

const msSince = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

async function oneRun(chunkBytes: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-checks-'));
  const engine = await openEngine({ dataDir: join(dir, 'data') });
  try {
    const lab = engine.loadedLabs.find((l) => l.id === 'ordinary-pipes')!;
    const step = lab.steps.find((s) => s.id === 'capacity')!;
    const checks: NamedCheck[] = step.checks.map((c) => ({ id: c.id, definition: lab.checks[c.id]! }));
    // The event loop's longest gap while the run's checks run: from the last process's exit to the end.
    let checking = false;
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      if (checking) longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    const unsubscribe = engine.onEvent(({ event, payload }) => {
      if (event === 'run:updated' && (payload as { run: { processes: { state: string }[] } }).run.processes.every((p) => p.state !== 'running'))
        checking = true;
    });
    await engine.call('runs.start', {
      labId: 'ordinary-pipes',
      scenarioId: 'capacity',
      stepId: 'capacity',
      params: { chunkBytes, totalKiB: 4096, readerDelayMs: 1000 },
    });
    const run = await engine.currentRun!.done;
    clearInterval(ticker);
    unsubscribe();
    const events = engine.store.eventCount(run.runId);
    const job = {
      checksFile: checksFileOf(lab.compiledDir),
      checks,
      params: run.params,
      processes: run.processes,
      source: { dbFile: engine.store.file, runId: run.runId },
    };
    // Off the host: all the step's checks in one worker (the kinds they read shared), then each alone.
    let started = process.hrtime.bigint();
    const results = await runChecksInWorker(job);
    const together = msSince(started);
    const alone: string[] = [];
    for (const check of checks) {
      started = process.hrtime.bigint();
      await runChecksInWorker({ ...job, checks: [check] });
      alone.push(`${check.id} ${fixed(msSince(started), 0)} ms`);
    }
    // As before: the whole trace read into the host and the checks run on its own thread.
    started = process.hrtime.bigint();
    const trace = memoryTrace({ params: run.params, processes: run.processes, events: engine.store.events(run.runId) });
    runChecks(checks, trace);
    const onHost = msSince(started);
    return [
      `${chunkBytes} B`,
      thousands(events),
      `${run.status} (${results.map((r) => (r.passed ? 'pass' : 'FAIL')).join(', ')})`,
      `${fixed(together, 0)} ms`,
      alone.join('; '),
      `${fixed(longestGap, 0)} ms`,
      `${fixed(onHost, 0)} ms`,
    ];
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkStallSection(number: number, chunkSizes: number[] = [16, 24, 256]): Promise<boolean> {
  console.log(`${number}. Checks at the end of a large run (pipes lab, capacity step, 4 MiB in writes of N bytes)`);
  console.log('');
  const rows: string[][] = [];
  for (const chunk of chunkSizes) rows.push(await oneRun(chunk));
  console.log(
    table(
      [
        'write size',
        'events',
        'run',
        'checks in the worker',
        'each check alone (fresh worker)',
        'host loop: longest gap while checking',
        'before: checks on the host, whole trace in memory',
      ],
      rows,
    ),
  );
  console.log('   Target: the checks of a 500,000-event run well inside the 5 s limit (< 2 s idle); the host loop never stalls for the checks.');
  console.log('');
  return rows.every((r) => r[2]!.startsWith('passed'));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const index = process.argv.indexOf('--chunks');
  const chunks = index >= 0 ? process.argv[index + 1]!.split(',').map(Number) : undefined;
  process.exitCode = (await checkStallSection(1, chunks)) ? 0 : 1;
}
