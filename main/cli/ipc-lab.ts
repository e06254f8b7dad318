#!/usr/bin/env node
/**
 * ipc-lab: the command line over the same engine the app uses.
 *
 *   ipc-lab labs                       list the labs and each one's steps and scenarios
 *   ipc-lab run <lab> [options]        run a step or scenario headless, print its trace and checks
 *   ipc-lab serve [--port N]           serve the app in browser mode on 127.0.0.1
 *   ipc-lab sessions                   list past sessions
 *
 * Exit status of `run`: 0 when the run passed (or completed with no checks), 1 when a check failed or
 * the run was stopped, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { UserError } from '../contract/errors.js';
import type { ParamValues, RunSummary } from '../contract/lab-model.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { defaultDataDir, openEngine, type Engine } from '../engine/engine.js';

const HELP: Record<string, string> = {
  main: `Usage: ipc-lab <command> [options]

Commands:
  labs        List the labs, their steps and scenarios
  run <lab>   Run a lab step or scenario on real processes and print its trace and checks
  serve       Serve IPC Lab in browser mode on 127.0.0.1
  sessions    List past sessions

Data lives in $IPC_LAB_HOME (now: ${defaultDataDir()}).
Run "ipc-lab <command> --help" for a command's options.`,
  labs: `Usage: ipc-lab labs

Lists every lab with its steps (and the scenario each runs) and its scenarios with their parameters.
Labs that could not be loaded are listed with file:line and what is wrong.`,
  run: `Usage: ipc-lab run <lab> [--step ID | --scenario ID] [--set name=value]... [--json]

Runs one step (its scenario, parameters and checks) or one scenario of a lab.
  --step ID         the step to run (default: the first step, or the first that runs --scenario)
  --scenario ID     the scenario to run
  --set name=value  a parameter value (repeatable); ranges are shown by "ipc-lab labs"
  --json            one JSON object per line: {"type":"process"|"event"|"check"|"end", ...}
Exit status: 0 passed or completed, 1 failed, stopped or timed out, 2 bad usage.`,
  serve: `Usage: ipc-lab serve [--port N]

Serves the app on http://127.0.0.1:N (default 4780, or a free port if it is taken) and prints the URL
with its access token. Ctrl-C stops it.`,
  sessions: `Usage: ipc-lab sessions

Lists past sessions, newest first: the lab, when it started, how many runs, steps passed.`,
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command ? 0 : 2;
  }
  if (!Object.hasOwn(HELP, command) || command === 'main') throw new UsageError(`Unknown command "${command}". Run "ipc-lab --help".`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[command]);
    return 0;
  }
  switch (command) {
    case 'labs':
      return withEngine(listLabs);
    case 'sessions':
      return withEngine(listSessions);
    case 'run':
      return runLab(rest);
    case 'serve':
      return serve(rest);
  }
  return 2;
}

async function withEngine(action: (engine: Engine) => Promise<number>): Promise<number> {
  const engine = await openEngine({ dataDir: defaultDataDir() });
  try {
    return await action(engine);
  } finally {
    await engine.close();
  }
}

async function listLabs(engine: Engine): Promise<number> {
  const { labs, problems } = await engine.call('labs.list', {});
  for (const summary of labs) {
    const { lab } = await engine.call('labs.get', { labId: summary.id });
    console.log(`${lab.id}  ${lab.title}  (${summary.passedSteps}/${summary.stepCount} steps passed)`);
    for (const step of lab.steps) console.log(`  step ${step.id}: ${step.title}  [scenario ${step.scenario}]`);
    for (const scenario of lab.scenarios) {
      console.log(`  scenario ${scenario.id}: ${scenario.title}`);
      for (const p of scenario.params) {
        const range = p.type === 'integer' ? `${p.min}..${p.max}${p.unit ? ' ' + p.unit : ''}` : p.type === 'choice' ? p.options.join('|') : 'true|false';
        console.log(`    --set ${p.name}=${String(p.default)}   (${range}) ${p.label}`);
      }
    }
  }
  for (const problem of problems) console.error(`${problem.file}:${problem.line}: ${problem.message}`);
  return 0;
}

async function listSessions(engine: Engine): Promise<number> {
  const { sessions } = await engine.call('sessions.list', {});
  if (sessions.length === 0) console.log('No sessions yet. Start one with: ipc-lab run <lab>');
  for (const s of sessions) console.log(`#${s.sessionId}  ${s.startedAt}  ${s.labId}  ${s.runCount} runs, ${s.passedSteps} steps passed`);
  return 0;
}

function parseSets(values: string[]): ParamValues {
  const params: ParamValues = {};
  for (const item of values) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(item);
    if (!match) throw new UsageError(`--set takes name=value, got "${item}".`);
    const raw = match[2]!;
    params[match[1]!] = raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return params;
}

async function runLab(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { step: { type: 'string' }, scenario: { type: 'string' }, set: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  });
  const labId = positionals[0];
  if (!labId || positionals.length > 1) throw new UsageError('Name one lab: ipc-lab run <lab>. "ipc-lab labs" lists them.');
  const params = parseSets(values.set ?? []);
  const json = values.json ?? false;
  return withEngine(async (engine) => {
    const { lab } = await engine.call('labs.get', { labId });
    const step = values.step ? lab.steps.find((s) => s.id === values.step) : values.scenario ? undefined : lab.steps[0];
    if (values.step && !step)
      throw new UserError('unknown-step', `Lab "${lab.id}" has no step "${values.step}".`, `Choose one of: ${lab.steps.map((s) => s.id).join(', ')}.`);
    const scenarioId = values.scenario ?? step!.scenario;
    const print = json ? printJson : printText;
    let startTs = 0n;
    engine.onEvent(({ event, payload }) => {
      if (event === 'trace:batch') for (const e of (payload as { events: StoredEvent[] }).events) print({ type: 'event', event: e }, startTs);
    });
    const stop = () => engine.currentRun?.stop('stopped', 'Interrupted from the command line.');
    // Output piped into a program that quits early (| head): stop the run cleanly instead of crashing.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      outputClosed = true;
      engine.currentRun?.stop('stopped', 'The output was closed before the run ended.');
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const { run } = await engine.call('runs.start', { labId: lab.id, scenarioId, ...(step ? { stepId: step.id } : {}), params });
    startTs = BigInt(run.startTs);
    if (!json) console.log(`Run ${run.runId}: ${lab.title} / ${step ? `step ${step.id}` : `scenario ${scenarioId}`}  ${JSON.stringify(run.params)}`);
    const final = await engine.currentRun!.done;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    for (const p of final.processes) print({ type: 'process', process: p }, startTs);
    for (const check of final.checks) print({ type: 'check', check }, startTs);
    print({ type: 'end', run: final }, startTs);
    return final.status === 'passed' || final.status === 'completed' ? 0 : 1;
  });
}

type CliRecord =
  | { type: 'event'; event: StoredEvent }
  | { type: 'process'; process: RunSummary['processes'][number] }
  | { type: 'check'; check: RunSummary['checks'][number] }
  | { type: 'end'; run: RunSummary };

/** Set when stdout's reader went away; nothing more is printed. */
let outputClosed = false;

function printJson(record: CliRecord): void {
  if (outputClosed) return;
  process.stdout.write(JSON.stringify(record) + '\n');
}

const QUIET_KINDS = new Set(['io.begin', 'kernel.snapshot']);

function printText(record: CliRecord, startTs: bigint): void {
  if (outputClosed) return;
  switch (record.type) {
    case 'event': {
      const e = record.event;
      if (QUIET_KINDS.has(e.kind)) return;
      const ms = (Number(BigInt(e.ts) - startTs) / 1e6).toFixed(3).padStart(10);
      const { v: _v, ts: _ts, pid, role, kind, runId: _runId, seq: _seq, ...fields } = e as unknown as Record<string, unknown>;
      console.log(`${ms} ms  ${String(role).padEnd(7)} ${String(pid).padStart(7)}  ${String(kind).padEnd(16)} ${JSON.stringify(fields)}`);
      return;
    }
    case 'process': {
      const p = record.process;
      console.log(
        `process ${p.pid} (${p.role}, parent ${p.ppid}): ${p.state}${p.exitCode !== null ? `, exit code ${p.exitCode}` : ''}${p.signal ? `, ${p.signal}` : ''}`,
      );
      return;
    }
    case 'check': {
      const c = record.check;
      console.log(`${c.passed ? 'PASS' : 'FAIL'}  ${c.title}\n      ${c.detail}${c.passed ? '' : `\n      hint: ${c.hint}`}`);
      return;
    }
    case 'end': {
      const run = record.run;
      // A cut run's checks do not run (main/engine/lab-run.ts): say so rather than print none.
      if (run.checks.length === 0 && ['stopped', 'timed-out', 'error'].includes(run.status)) console.log('Checks not run: the run did not finish by itself.');
      console.log(`Run ${run.runId} ${run.status}${run.message ? `: ${run.message}` : ''}`);
    }
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}".`);
  const { serveBrowserMode } = await import('../hosts/launcher.js');
  await serveBrowserMode(port === undefined ? {} : { port });
  return new Promise<number>(() => {
    // Runs until SIGINT/SIGTERM, which serveBrowserMode handles.
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`ipc-lab: ${error.message}`);
      process.exitCode = 2;
    } else if (error instanceof UserError) {
      console.error(`ipc-lab: ${error.message}\nFix: ${error.fix}`);
      process.exitCode = error.code === 'bad-parameter' || error.code.startsWith('unknown') ? 2 : 1;
    } else if (error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`ipc-lab: ${error.message}. Run "ipc-lab run --help".`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
