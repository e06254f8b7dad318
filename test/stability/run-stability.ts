/**
 * The stability script (`npm run check:stability`): a check must never fail a correct run, and must
 * fail a run without the phenomenon. For every step of every lab it runs
 *   - the step on its own parameters N times: every check must pass every time;
 *   - each of the step's `variants:` (runs without the phenomenon) N times: each check the variant
 *     names must fail every time;
 * with two CPU-burning processes alongside (a loaded 2-core machine is where timing assumptions break).
 * A step that randomises parameters per student (`randomise:`) must hold for every value a student may
 * be given: run i takes the i-th combination of those values (every one of them once N reaches their
 * count), under the variant's values as a student's run would be, and a row says which it covered.
 * It prints a table and exits 1 on any flip, or when a check of a step has no variant that fails it.
 *
 *   npm run check:stability -- [--runs N] [--lab L] [--step S] [--jobs J] [--no-load]
 *
 * Labs run in parallel, one engine process each (`--jobs`, default 2); runs of one lab run one after
 * the other (their programs use fixed ports and names). Not part of `npm test`: it takes minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Lab, LabStep, ParamValues } from '../../main/contract/lab-model.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';

/** One row of the table: a step's defaults, or one of its variants. */
interface Row {
  lab: string;
  step: string;
  /** '' for the step's own parameters; else the variant's name. */
  variant: string;
  runs: number;
  /** Defaults: runs where every check passed. Variants: runs where every named check failed. */
  asExpected: number;
  /** check id → runs in which it flipped (failed on defaults, passed in a variant). */
  flips: Record<string, number>;
  /** Runs that did not end by themselves (stopped, timed out, error): their status → count. */
  cut: Record<string, number>;
  /** Checks of the step that no variant is expected to fail (defaults rows only). */
  withoutVariant: string[];
  /** For each flipped check (or cut status), the run and what the check said, the first time: where to look. */
  evidence: Record<string, string>;
  /** The randomised values the runs took, per parameter (empty for a step that randomises nothing). */
  covered: Record<string, string[]>;
}

/**
 * The i-th combination of a step's randomised values, counting in mixed radix over their lists, so
 * that runs 0..k-1 take every combination once when there are k of them.
 */
function randomisedValues(step: LabStep, i: number): ParamValues {
  const values: ParamValues = {};
  let rest = i;
  for (const [name, list] of Object.entries(step.randomise)) {
    values[name] = list[rest % list.length]!;
    rest = Math.floor(rest / list.length);
  }
  return values;
}

/** Notes the randomised values a run took. */
function cover(row: Row, values: ParamValues): void {
  for (const [name, value] of Object.entries(values)) {
    const seen = (row.covered[name] ??= []);
    if (!seen.includes(String(value))) seen.push(String(value));
  }
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    lab: { type: 'string' },
    step: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    'no-load': { type: 'boolean', default: false },
    /** Internal: run one lab in this process and print its rows as JSON. */
    worker: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs takes a whole number of runs, at least 1, not "${values.runs}".`);
const jobs = Number(values.jobs);
if (!Number.isInteger(jobs) || jobs < 1) fail(`--jobs takes a whole number, at least 1, not "${values.jobs}".`);

function fail(message: string): never {
  process.stderr.write(`check:stability: ${message}\n`);
  process.exit(2);
}

/** Runs one lab's steps (optionally one step) on one engine over a temporary data folder. */
async function runLab(labId: string): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-stability-'));
  const engine = await openEngine({ dataDir });
  const rows: Row[] = [];
  try {
    const { lab } = await engine.call('labs.get', { labId });
    for (const step of lab.steps) {
      if (values.step && step.id !== values.step) continue;
      const covered = new Set(step.variants.flatMap((v) => v.fails));
      const defaults: Row = {
        lab: labId,
        step: step.id,
        variant: '',
        runs,
        asExpected: 0,
        flips: {},
        cut: {},
        withoutVariant: step.checks.map((c) => c.id).filter((id) => !covered.has(id)),
        evidence: {},
        covered: {},
      };
      for (let i = 0; i < runs; i++) {
        const picked = randomisedValues(step, i);
        cover(defaults, picked);
        const outcome = await runOnce(engine, lab, step.id, step.scenario, { ...step.params, ...picked });
        if (outcome.cut) note(defaults, defaults.cut, outcome.cut, outcome);
        const failed = Object.entries(outcome.passed)
          .filter(([, passed]) => !passed)
          .map(([id]) => id);
        for (const id of failed) note(defaults, defaults.flips, id, outcome);
        if (!outcome.cut && failed.length === 0) defaults.asExpected++;
        progress(defaults, i);
      }
      rows.push(defaults);
      for (const variant of step.variants) {
        const row: Row = {
          lab: labId,
          step: step.id,
          variant: variant.name,
          runs,
          asExpected: 0,
          flips: {},
          cut: {},
          withoutVariant: [],
          evidence: {},
          covered: {},
        };
        for (let i = 0; i < runs; i++) {
          // The variant over every value a student may be given: a control must fail whatever their values.
          const picked = randomisedValues(step, i);
          cover(row, Object.fromEntries(Object.entries(picked).filter(([name]) => !Object.hasOwn(variant.params, name))));
          const outcome = await runOnce(engine, lab, step.id, step.scenario, { ...step.params, ...picked, ...variant.params });
          if (outcome.cut) note(row, row.cut, outcome.cut, outcome);
          const passed = variant.fails.filter((id) => outcome.passed[id] !== false);
          for (const id of passed) note(row, row.flips, id, outcome);
          if (!outcome.cut && passed.length === 0) row.asExpected++;
          progress(row, i);
        }
        rows.push(row);
      }
    }
    return rows;
  } finally {
    await engine.close();
    // A flip's evidence stays: the runs named in the evidence can be read with
    // `IPC_LAB_HOME=<dir> node dist/main/cli/ipc-lab.js show <run> --json`.
    if (rows.some((r) => Object.keys(r.flips).length + Object.keys(r.cut).length > 0))
      process.stderr.write(`check:stability: ${labId}: the runs that flipped are kept in ${dataDir} (remove it when done)\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Counts a flip or a cut run, and keeps the first one's evidence: the run id and what was said. */
function note(row: Row, tally: Record<string, number>, key: string, outcome: RunOutcome): void {
  tally[key] = (tally[key] ?? 0) + 1;
  row.evidence[key] ??= `run ${outcome.runId}: ${outcome.details[key] ?? outcome.message ?? 'no detail'}`;
}

interface RunOutcome {
  runId: number;
  passed: Record<string, boolean>;
  /** What each check said. */
  details: Record<string, string>;
  /** Why the run was cut (then its checks did not run), and the run's message. */
  cut?: string;
  message?: string;
}

function progress(row: Row, index: number): void {
  if (index !== row.runs - 1) return;
  const covered = Object.entries(row.covered)
    .map(([name, values]) => `${name} ${values.join('|')}`)
    .join(', ');
  process.stderr.write(
    `  ${row.lab} ${row.step}${row.variant ? ` [${row.variant}]` : ''}: ${row.asExpected}/${row.runs} as expected${covered ? ` (randomised: ${covered})` : ''}\n`,
  );
}

/** One run to its end: each check's outcome, or why the run was cut (then its checks did not run). */
async function runOnce(engine: Engine, lab: Lab, stepId: string, scenarioId: string, params: ParamValues): Promise<RunOutcome> {
  await engine.call('runs.start', { labId: lab.id, stepId, scenarioId, params });
  const final = await engine.currentRun!.done;
  const outcome: RunOutcome = {
    runId: final.runId,
    passed: Object.fromEntries(final.checks.map((c) => [c.id, c.passed])),
    details: Object.fromEntries(final.checks.map((c) => [c.id, c.detail])),
  };
  if (['stopped', 'timed-out', 'error'].includes(final.status)) outcome.cut = final.status;
  if (final.message) outcome.message = final.message;
  return outcome;
}

/**
 * Two processes that keep a core busy each, until they are killed, or until this process is gone: each
 * asks after its parent every few million turns, so a SIGKILLed script leaves no burner behind.
 */
function startBurners(): ChildProcess[] {
  // kill(parent, 0) throws ESRCH once the parent is gone (process.ppid is read once, at start, by Node).
  const burn = `const parent = process.ppid; for (let i = 1; ; i++) if (i % 5e6 === 0) try { process.kill(parent, 0); } catch { process.exit(0); }`;
  return [0, 1].map(() => spawn(process.execPath, ['-e', burn], { stdio: 'ignore' }));
}

function printTable(rows: Row[]): void {
  const header = ['lab', 'step', 'variant', 'runs', 'as expected', 'flipped checks', 'cut runs', 'randomised values run'];
  const lines = rows.map((r) => [
    r.lab,
    r.step,
    r.variant || '(defaults)',
    String(r.runs),
    String(r.asExpected),
    Object.entries(r.flips)
      .map(([id, n]) => `${id} ×${n}`)
      .join(', ') || '-',
    Object.entries(r.cut)
      .map(([status, n]) => `${status} ×${n}`)
      .join(', ') || '-',
    Object.entries(r.covered)
      .map(([name, values]) => `${name} ${values.join('|')}`)
      .join(', ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(format(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  if (values.worker) {
    if (!values.lab) fail('a worker needs --lab.');
    process.stdout.write(JSON.stringify(await runLab(values.lab)) + '\n');
    return;
  }
  const probe = await listLabs();
  const labIds = values.lab ? [values.lab] : probe;
  if (values.lab && !probe.includes(values.lab)) fail(`there is no lab "${values.lab}" (labs: ${probe.join(', ')}).`);
  const burners = values['no-load'] ? [] : startBurners();
  const stopBurners = () => burners.forEach((b) => b.kill('SIGKILL'));
  process.on('exit', stopBurners);
  process.on('SIGINT', () => process.exit(130));
  process.stderr.write(`check:stability: ${runs} runs of every step and variant of ${labIds.join(', ')}${burners.length ? ', with two CPU burners' : ''}\n`);
  const started = performance.now();
  const rows: Row[] = [];
  const queue = [...labIds];
  await Promise.all(
    Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let labId = queue.shift(); labId; labId = queue.shift()) rows.push(...(await runWorker(labId)));
    }),
  );
  stopBurners();
  rows.sort((a, b) => labIds.indexOf(a.lab) - labIds.indexOf(b.lab));
  printTable(rows);
  const flipped = rows.filter((r) => r.asExpected !== r.runs);
  const missing = rows.filter((r) => r.withoutVariant.length > 0);
  console.log(`\n${rows.length} rows, ${rows.reduce((n, r) => n + r.runs, 0)} runs in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  for (const r of flipped)
    for (const [key, evidence] of Object.entries(r.evidence)) console.log(`${r.lab} ${r.step}${r.variant ? ` [${r.variant}]` : ''}: ${key}: ${evidence}`);
  for (const r of missing) console.log(`no variant fails ${r.lab} ${r.step}: ${r.withoutVariant.join(', ')} (add one to the step's variants:)`);
  if (flipped.length > 0 || missing.length > 0) {
    console.log(`check:stability: FAILED: ${flipped.length} rows flipped or were cut, ${missing.length} steps have checks no variant fails.`);
    process.exitCode = 1;
  } else {
    console.log('check:stability: no flip.');
  }
}

/** The lab ids, from an engine over a throwaway data folder. */
async function listLabs(): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-stability-'));
  const engine = await openEngine({ dataDir });
  try {
    const { labs, problems } = await engine.call('labs.list', {});
    for (const p of problems) process.stderr.write(`check:stability: ${p.file}:${p.line}: ${p.message}\n`);
    if (problems.length > 0) process.exitCode = 1;
    return labs.map((l) => l.id);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs one lab in a worker process (an engine of its own) and returns its rows. */
function runWorker(labId: string): Promise<Row[]> {
  const args = [fileURLToPath(import.meta.url), '--worker', '--lab', labId, '--runs', String(runs), ...(values.step ? ['--step', values.step] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(output) as Row[]);
      else reject(new Error(`the worker for ${labId} ended with ${signal ?? `code ${code}`}`));
    });
  });
}

await main();
