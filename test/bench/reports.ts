/**
 * Reports and exports: how long an export takes and how big it is, for a session with every step of
 * every lab run once (on its step's values) and for one run of ~100,000 events; and how long `verify`
 * takes over 30 reports. Each part opens a fresh engine on a fresh temporary data folder and removes it.
 *
 * The sockets and RPC labs listen on fixed ports (7070, 21111): run this where nothing else uses them.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { verifyReportFile } from '../../main/report/verify.js';
import { fixed, median, table, thousands } from './bench-stats.js';

/** The issue's target for a whole session's JSON report with the checks' evidence. */
const SESSION_JSON_TARGET_BYTES = 5 * 1024 * 1024;

async function withFreshEngine<T>(labsDir: string | undefined, action: (engine: Engine, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-bench-reports-'));
  const engine = await openEngine({ dataDir: join(dir, 'data'), ...(labsDir ? { labsDir } : {}) });
  try {
    return await action(engine, dir);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runStep(engine: Engine, labId: string, scenarioId: string, stepId: string, params = {}): Promise<string> {
  await engine.call('runs.start', { labId, scenarioId, stepId, params });
  return (await engine.currentRun!.done).status;
}

/** Median ms of `repeats` calls, and the last result. */
async function timed<T>(repeats: number, action: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const times: number[] = [];
  let result: T | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = process.hrtime.bigint();
    result = await action();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { ms: median(times), result: result! };
}

const mib = (bytes: number) => `${fixed(bytes / 2 ** 20, 2)} MiB`;

export async function reportsSection(number: number, floodLabsDir: string): Promise<boolean> {
  console.log(`${number}. Reports and exports (median of 3 exports each)`);
  console.log('');
  let ok = true;

  await withFreshEngine(undefined, async (engine, dir) => {
    const { labs } = await engine.call('labs.list', {});
    const statuses: string[] = [];
    for (const summary of labs) {
      const { lab } = await engine.call('labs.get', { labId: summary.id });
      for (const step of lab.steps) statuses.push(`${await runStep(engine, lab.id, step.scenario, step.id)}`);
    }
    await engine.call('identity.set', { name: 'Bench Student', studentId: null });
    const rows: string[][] = [];
    for (const [label, request] of [
      ['JSON, checks’ evidence', { format: 'json', full: false }],
      ['HTML, checks’ evidence', { format: 'html', full: false }],
      ['JSON, whole traces (--full)', { format: 'json', full: true }],
    ] as const) {
      const { ms, result } = await timed(3, () => engine.call('report.export', request));
      const bytes = Buffer.byteLength(result.content);
      rows.push([label, `${fixed(ms, 0)} ms`, mib(bytes)]);
      if (label.startsWith('JSON, checks') && bytes > SESSION_JSON_TARGET_BYTES) console.log(`   Over the 5 MiB target: ${mib(bytes)}.`);
    }
    const passed = statuses.filter((s) => s === 'passed').length;
    console.log(
      `   A session of ${statuses.length} steps, each run once on its values (${passed} passed; ${statuses.length - passed} other: ${statuses.filter((s) => s !== 'passed').join(', ') || 'none'}):`,
    );
    console.log(table(['export', 'time', 'size'], rows));
    console.log(`   Target: the JSON report with the checks' evidence ≤ 5 MiB.`);
    console.log('');

    // verify over 30 report files: 15 JSON, 15 HTML, each a separate export.
    const files: string[] = [];
    for (let i = 0; i < 30; i++) {
      const file = await engine.call('report.export', { format: i % 2 === 0 ? 'json' : 'html' });
      const path = join(dir, `r${i}-${file.fileName}`);
      writeFileSync(path, file.content);
      files.push(path);
    }
    const started = process.hrtime.bigint();
    const verdicts: Awaited<ReturnType<typeof verifyReportFile>>[] = [];
    for (const file of files) verdicts.push(await verifyReportFile(file, engine.loadedLabs));
    const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
    const failed = verdicts.filter((v) => !v.ok);
    if (failed.length > 0) {
      ok = false;
      console.log(`   verify FAILED on ${failed.length} of 30 unedited reports: ${failed[0]!.layers.map((l) => l.text).join(' | ')}`);
    }
    const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    console.log(
      `   verify, 30 whole-session reports (15 JSON, 15 HTML; ${mib(totalBytes)}): ${fixed(totalMs / 1000, 2)} s in all, ${fixed(totalMs / 30, 0)} ms each.`,
    );
    console.log('');
  });

  await withFreshEngine(floodLabsDir, async (engine) => {
    const status = await runStep(engine, 'trace-flood', 'flood', 'flood', { events: 50_000 });
    const { runs } = await engine.call('runs.list', { labId: 'trace-flood' });
    const run = runs[0]!;
    const count = engine.store.eventCount(run.runId);
    await engine.call('identity.set', { name: 'Bench Student', studentId: null });
    const rows: string[][] = [];
    for (const [label, action] of [
      ['report HTML', () => engine.call('report.export', { labId: 'trace-flood', format: 'html' })],
      ['report JSON (--full)', () => engine.call('report.export', { labId: 'trace-flood', format: 'json', full: true })],
      ['trace, Perfetto JSON', () => engine.call('trace.export', { runId: run.runId, format: 'perfetto' })],
      ['trace, CSV', () => engine.call('trace.export', { runId: run.runId, format: 'csv' })],
    ] as const) {
      const { ms, result } = await timed(3, action);
      rows.push([label, `${fixed(ms, 0)} ms`, mib(Buffer.byteLength(result.content))]);
    }
    console.log(`   One run of ${thousands(count)} events (trace-flood, 2 x 50,000 measure events; run ${status}):`);
    console.log(table(['export', 'time', 'size'], rows));
    console.log('');
  });
  return ok;
}
