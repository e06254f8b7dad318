#!/usr/bin/env node
/**
 * ipc-lab: the command line over the same engine the app uses.
 *
 *   ipc-lab labs                       list the labs and each one's steps and scenarios
 *   ipc-lab run <lab> [options]        run a step or scenario headless, print its trace and checks
 *   ipc-lab serve [--port N]           serve the app in browser mode on 127.0.0.1
 *   ipc-lab sessions                   list past sessions
 *   ipc-lab runs [--lab L] [--step S]  list runs, newest first
 *   ipc-lab show <runId> [--json]      print one run: parameters, processes, checks, events
 *   ipc-lab report [options]           export a session report (HTML, JSON or PDF)
 *   ipc-lab report verify FILE...      check reports for changes made after export
 *   ipc-lab trace <runId> --format F   export a run's trace for Perfetto UI (perfetto) or a spreadsheet (csv)
 *
 * Exit status of `run`: 0 when the run passed (or completed with no checks, or was its step's control
 * and failed the checks it names, as it should), 1 when a check failed or the run was stopped, 2 on a
 * usage error.
 */
import { parseArgs } from 'node:util';
import { toErrorInfo, UserError } from '../contract/errors.js';
import type {
  AnswerValue,
  Grade,
  LabStep,
  MeasuredChart,
  ParamValues,
  Question,
  RunSummary,
  RunVariant,
  SavedAnswer,
  StepMastery,
} from '../contract/lab-model.js';
import { valueText } from '../contract/chart-geometry.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { defaultDataDir, openEngine, type Engine } from '../engine/engine.js';
import { REPORT_CLAIMS } from '../contract/report-format.js';
import { REPORT_FILE_FORMATS, TRACE_FILE_FORMATS, type ExportedFile } from '../contract/commands.js';
import { fillQuestion } from '../contract/param-template.js';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const HELP: Record<string, string> = {
  main: `Usage: ipc-lab <command> [options]

Commands:
  labs        List the labs, their steps and scenarios
  run <lab>   Run a lab step or scenario on real processes and print its trace and checks
  serve       Serve IPC Lab in browser mode on 127.0.0.1
  sessions    List past sessions
  runs        List runs, newest first
  show <run>  Print one run: parameters, processes, checks and events
  report      Export a session report (HTML, JSON or PDF); "report verify FILE..." checks reports
  trace <run> Export one run's trace for Perfetto UI or a spreadsheet

Data lives in $IPC_LAB_HOME (now: ${defaultDataDir()}).
Run "ipc-lab <command> --help" for a command's options.`,
  labs: `Usage: ipc-lab labs

Lists every lab with its steps (and the scenario each runs) and its scenarios with their parameters.
Where a step's parameter is randomised per student, it says which value was picked for you: "run"
starts that step with it, as the app does. Labs that could not be loaded are listed with file:line
and what is wrong.`,
  run: `Usage: ipc-lab run <lab> [--step ID | --scenario ID] [--set name=value]... [--answer id=value]... [--skip id]... [--json]

Runs one step (its scenario, parameters and checks) or one scenario of a lab.
  --step ID         the step to run (default: the first step, or the first that runs --scenario)
  --scenario ID     the scenario to run
  --set name=value  a parameter value (repeatable), over the step's values (where the step randomises
                    one per student, the one picked for you); ranges are shown by "ipc-lab labs"
  --answer id=value your answer to one of the step's questions, saved before the run (repeatable): a
                    number; option ids for a choice (b, or a,c); item ids in your order (open,block,wake);
                    or text. "ipc-lab labs" lists each step's questions. The grades follow the checks.
  --skip id         skip a question (recorded as skipped)
  --json            one JSON object per line: {"type":"process"|"event"|"check"|"answer"|"grade"|"end", ...}
Exit status: 0 passed, completed, or a control that failed as it should; 1 failed, stopped or timed out;
2 bad usage.`,
  serve: `Usage: ipc-lab serve [--port N]

Serves the app on http://127.0.0.1:N (default 4780, or a free port if it is taken) and prints the URL
with its access token. Ctrl-C stops it.`,
  sessions: `Usage: ipc-lab sessions

Lists past sessions, newest first: the lab, when it started, how many runs, steps passed.`,
  runs: `Usage: ipc-lab runs [--lab ID] [--step ID] [--limit N] [--json]

Lists runs, newest first: id, start time, lab/step, status, duration, checks passed, and the parameters
that differ from the step's values. --json prints one run summary per line.`,
  show: `Usage: ipc-lab show <runId> [--json]

Prints one run: its parameters, status, processes, checks, and its trace events.
--json prints {"run": ..., "events": [...]} as one JSON object.`,
  report: `Usage: ipc-lab report [--lab ID] [--format html|json|pdf] [--out FILE] [--full]
                        [--name NAME] [--student-id ID] [--allow-empty]
       ipc-lab report verify FILE...

Exports the student's work as a report: per step the prediction, the runs, and the chosen run (the
latest passing, else the latest) in full with the evidence its checks used.
  --lab ID          one lab (default: all labs)
  --format F        html (default; one self-contained file), json (ipc-lab-report/1), or pdf
                    (through headless Chromium: $CHROMIUM_PATH, else the usual install paths)
  --out FILE        where to write it (default: a name like ipc-lab-report-<name>-<lab>-<date>.html here)
  --full            embed every event of each chosen run, not only those its checks need
  --name NAME       the student's name (asked once, then kept; a pseudonym is allowed)
  --student-id ID   an optional student id, kept with the name
  --allow-empty     write a valid report even when no step has been run

verify checks each FILE and prints one line per layer: the file's own digest or form, the format, the
report's digest, the evidence chains, and the lab's checks re-run over the embedded events.
${REPORT_CLAIMS}
Exit status of verify: 0 when every report passes every layer, 1 otherwise.`,
  trace: `Usage: ipc-lab trace <runId> --format perfetto|csv [--out FILE]

Exports one run's trace. perfetto: Chrome Trace Event Format JSON, which Perfetto UI
(https://ui.perfetto.dev) and chrome://tracing open: one track per process, calls as slices, messages
as flows, buffer levels as counters. csv: one row per event, for a spreadsheet or pandas.`,
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
    case 'runs':
      return listRuns(rest);
    case 'show':
      return showRun(rest);
    case 'report':
      return rest[0] === 'verify' ? verifyReports(rest.slice(1)) : exportReport(rest);
    case 'trace':
      return exportTrace(rest);
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
    const { lab, progress } = await engine.call('labs.get', { labId: summary.id });
    console.log(`${lab.id}  ${lab.title}  (${summary.masteredSteps}/${summary.stepCount} steps mastered)`);
    for (const step of lab.steps) {
      console.log(`  step ${step.id}: ${step.title}  [scenario ${step.scenario}]  ${masteryText(step, progress[step.id]!.mastery)}`);
      // The step's values are this student's: a randomised one was picked for them (labs.get puts it in).
      const scenario = lab.scenarios.find((s) => s.id === step.scenario);
      const values: ParamValues = { ...Object.fromEntries((scenario?.params ?? []).map((p) => [p.name, p.default])), ...step.params };
      for (const [name, from] of Object.entries(step.randomise))
        console.log(`    --set ${name}=${String(values[name])}   (picked for you from ${from.map(String).join('|')}: other students get other values)`);
      for (const q of step.questions) {
        const shown = fillQuestion(q, values);
        console.log(`    question ${q.id}: ${shown.prompt}\n      --answer ${q.id}=${answerForm(shown)}`);
      }
    }
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

/** `--answer id=value` and `--skip id` as answers of the step's questions, read by each question's type. */
function parseAnswers(answers: string[], skips: string[], step: LabStep | undefined): { questionId: string; value: AnswerValue }[] {
  if (!step && answers.length + skips.length > 0) throw new UsageError('--answer and --skip answer the questions of a step: name it with --step.');
  const questionOf = (id: string): Question => {
    const question = step!.questions.find((q) => q.id === id);
    if (!question)
      throw new UsageError(
        `Step "${step!.id}" has no question "${id}". ${step!.questions.length ? `Its questions: ${step!.questions.map((q) => q.id).join(', ')}.` : 'It asks no questions.'}`,
      );
    return question;
  };
  const given = answers.map((item): { questionId: string; value: AnswerValue } => {
    const match = /^([a-z0-9][a-z0-9-]*)=(.*)$/s.exec(item);
    if (!match) throw new UsageError(`--answer takes questionId=value, got "${item}".`);
    const question = questionOf(match[1]!);
    const raw = match[2]!;
    if (question.type === 'number') {
      const value = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) throw new UsageError(`--answer ${question.id} takes a number in ${question.unit}, got "${raw}".`);
      return { questionId: question.id, value };
    }
    return { questionId: question.id, value: question.type === 'text' ? raw : raw.split(',').map((id) => id.trim()) };
  });
  return [...given, ...skips.map((id) => ({ questionId: questionOf(id).id, value: null }))];
}

/** `--set name=value` as parameter values. Any name goes on to the engine, which names one it does not know. */
function parseSets(values: string[]): ParamValues {
  const entries = values.map((item): [string, ParamValues[string]] => {
    const match = /^([^=\s]+)=(.*)$/.exec(item);
    if (!match) throw new UsageError(`--set takes name=value, got "${item}".`);
    const raw = match[2]!;
    return [match[1]!, raw === 'true' ? true : raw === 'false' ? false : /^-?\d+$/.test(raw) ? Number(raw) : raw];
  });
  // fromEntries makes every key an own property: `params["__proto__"] = 1` would set no key at all.
  return Object.fromEntries(entries);
}

async function runLab(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      step: { type: 'string' },
      scenario: { type: 'string' },
      set: { type: 'string', multiple: true },
      answer: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
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
    // Answers go in before the run, so that the run tests them (the engine checks each against its question).
    for (const answer of parseAnswers(values.answer ?? [], values.skip ?? [], step)) {
      const { saved, note } = await engine.call('questions.answer', { labId: lab.id, stepId: step!.id, ...answer });
      print({ type: 'answer', answer: saved, note }, 0n);
    }
    let startTs = 0n;
    engine.onEvent(
      ({ event, payload }) => {
        if (event === 'trace:batch') for (const e of (payload as { events: StoredEvent[] }).events) print({ type: 'event', event: e }, startTs);
      },
      { everyEvent: true },
    );
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
    const { grades, variant, mastery } = step ? await engine.call('runs.grade', { runId: final.runId }) : { grades: [], variant: null, mastery: null };
    for (const check of final.checks) print({ type: 'check', check, asExpectedFor: expectedFailure(variant, check) }, startTs);
    for (const grade of grades) print({ type: 'grade', grade }, startTs);
    if (mastery && step!.questions.length > 0)
      print({ type: 'mastery', stepId: step!.id, step: { control: step!.control, questions: step!.questions }, mastery }, startTs);
    print({ type: 'end', run: final, variant }, startTs);
    return final.status === 'passed' || final.status === 'completed' || variant?.asExpected ? 0 : 1;
  });
}

type CliRecord =
  | { type: 'event'; event: StoredEvent }
  | { type: 'process'; process: RunSummary['processes'][number] }
  /** asExpectedFor: the variant whose run this was, when it names this failed check (its failure is the lesson), else null. */
  | { type: 'check'; check: RunSummary['checks'][number]; asExpectedFor: string | null }
  | { type: 'answer'; answer: SavedAnswer; note: string | null }
  | { type: 'grade'; grade: Grade }
  | { type: 'mastery'; stepId: string; step: Pick<LabStep, 'control' | 'questions'>; mastery: StepMastery }
  | { type: 'end'; run: RunSummary; variant: RunVariant | null };

/** The variant's name when the check failed and the variant says it must: as expected, no hint needed. */
function expectedFailure(variant: RunVariant | null, check: RunSummary['checks'][number]): string | null {
  return variant && !check.passed && variant.fails.includes(check.id) ? variant.name : null;
}

/** Set when stdout's reader went away; nothing more is printed. */
let outputClosed = false;

function printJson(record: CliRecord): void {
  if (outputClosed) return;
  // The step is there for the text; a JSON reader has it from "ipc-lab labs".
  const { step: _step, ...printed } = record as CliRecord & { step?: unknown };
  process.stdout.write(JSON.stringify(printed) + '\n');
}

const QUIET_KINDS = new Set(['io.begin', 'kernel.snapshot']);

/**
 * A check's chart as text: its title, then one row per point under the axes' labels and units, the
 * numbers as the page's table of numbers writes them (main/contract/chart-geometry.ts valueText).
 */
function chartTable(chart: MeasuredChart): string {
  const rows = [['series', `${chart.x.label} (${chart.x.unit})`, `${chart.y.label} (${chart.y.unit})`]];
  for (const series of chart.series) for (const p of series.points) rows.push([series.name, valueText(p.x, ''), valueText(p.y, '')].map((cell) => cell.trim()));
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `        ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]!.padStart(widths[2]!)}`;
  return [`      chart: ${chart.title}${chart.series.length === 0 ? ' (no points)' : ''}`, ...rows.map(line)].join('\n');
}

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
      // A control's failed check is the lesson, not a mistake: no hint that treats the student as wrong.
      const verdict = c.passed ? 'PASS' : record.asExpectedFor ? `FAIL, as expected for "${record.asExpectedFor}":` : 'FAIL';
      // What the check measured (what number questions are graded against), one line: "measured: lost-updates 1,234 increments".
      const measured = (c.measurements ?? []).map((m) => `${m.id} ${m.value.toLocaleString('en')} ${m.unit}`).join('; ');
      console.log(
        `${verdict}  ${c.title}\n      ${c.detail}${measured ? `\n      measured: ${measured}` : ''}${c.passed || record.asExpectedFor ? '' : `\n      hint: ${c.hint}`}`,
      );
      for (const chart of c.charts ?? []) console.log(chartTable(chart));
      return;
    }
    case 'answer': {
      const { answer, note } = record;
      console.log(`Answer to ${answer.questionId}: ${answer.value === null ? 'skipped' : JSON.stringify(answer.value)}${note ? `\n      ${note}` : ''}`);
      return;
    }
    case 'grade': {
      const g = record.grade;
      console.log(`${g.verdict.toUpperCase().padEnd(7)} ${g.questionId}: ${g.feedback}\n      ${g.explanation}`);
      return;
    }
    case 'mastery':
      console.log(`Step ${record.stepId}: ${masteryText(record.step, record.mastery)}`);
      return;
    case 'end': {
      const run = record.run;
      // A cut run's checks do not run (main/engine/lab-run.ts): say so rather than print none.
      if (run.checks.length === 0 && ['stopped', 'timed-out', 'error'].includes(run.status)) console.log('Checks not run: the run did not finish by itself.');
      const variant = record.variant;
      const kind = variant?.control ? 'the control' : 'the variant';
      const asVariant = variant
        ? variant.asExpected
          ? `, as ${kind} (${variant.name}) should: what the step shows did not happen without it`
          : `, though it ran as ${kind} (${variant.name}), which should fail ${variant.fails.join(', ')}`
        : '';
      console.log(`Run ${run.runId} ${run.status}${asVariant}${run.message ? `: ${run.message}` : ''}`);
    }
  }
}

/** How an answer to the question is written on the command line. */
function answerForm(q: Question): string {
  switch (q.type) {
    case 'number':
      return `<number, ${q.unit}>`;
    case 'choice':
      return `<${q.multiple ? 'option ids, comma-separated' : 'option id'}: ${q.options.map((o) => `${o.id}) ${o.text}`).join('  ')}>`;
    case 'order':
      // Shown in the lab's item order sorted by id, not in the order they happen.
      return `<item ids in order: ${[...q.items]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((i) => `${i.id} (${i.text})`)
        .join(', ')}>`;
    case 'text':
      return `<text, up to ${q.maxLength} characters>`;
  }
}

/** A step's mastery in a line: its status and what it still needs. */
function masteryText(step: Pick<LabStep, 'control' | 'questions'>, m: StepMastery): string {
  if (m.status === 'mastered') return 'mastered';
  const { control } = step;
  const needs = [
    ...(step.questions.length === 0
      ? ['questions, which it does not ask yet']
      : m.predictedFirst
        ? []
        : ['answers to its questions saved before its first run']),
    ...(m.passingRun === null ? ['a run whose checks pass'] : []),
    ...(control !== null && m.controlRun === null ? [`a run of the control (${control})`] : []),
  ];
  return `${m.status}${needs.length ? `; mastery needs ${needs.join(', ')}` : ''}`;
}

function runIdArgument(positionals: string[], command: string): number {
  const text = positionals[0];
  if (!text || positionals.length > 1) throw new UsageError(`Name one run: ipc-lab ${command} <runId>. "ipc-lab runs" lists them.`);
  const runId = Number(text);
  if (!Number.isSafeInteger(runId) || runId < 1) throw new UsageError(`A run id is a whole number from 1 up, got "${text}". "ipc-lab runs" lists them.`);
  return runId;
}

function durationText(run: RunSummary): string {
  if (!run.endedAt) return 'going';
  const ms = Date.parse(run.endedAt) - Date.parse(run.startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

async function listRuns(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { lab: { type: 'string' }, step: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } } });
  const limit = values.limit === undefined ? 200 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${values.limit}".`);
  return withEngine(async (engine) => {
    const { runs } = await engine.call('runs.list', { ...(values.lab ? { labId: values.lab } : {}), ...(values.step ? { stepId: values.step } : {}), limit });
    if (values.json) {
      for (const run of runs) console.log(JSON.stringify(run));
      return 0;
    }
    if (runs.length === 0) console.log('No runs yet. Start one with: ipc-lab run <lab>');
    const defaults = new Map<string, ParamValues>();
    for (const run of runs) {
      const key = `${run.labId}/${run.stepId ?? ''}`;
      if (!defaults.has(key)) {
        const { lab } = await engine.call('labs.get', { labId: run.labId }).catch(() => ({ lab: undefined }));
        const step = lab?.steps.find((s) => s.id === run.stepId);
        const scenario = lab?.scenarios.find((s) => s.id === run.scenarioId);
        defaults.set(key, { ...Object.fromEntries((scenario?.params ?? []).map((p) => [p.name, p.default])), ...(step?.params ?? {}) });
      }
      const changed = Object.entries(run.params).filter(([name, value]) => defaults.get(key)![name] !== value);
      const passed = run.checks.filter((c) => c.passed).length;
      console.log(
        [
          `#${run.runId}`.padEnd(6),
          run.startedAt.replace('T', ' ').slice(0, 19),
          `${run.labId}/${run.stepId ?? `scenario ${run.scenarioId}`}`.padEnd(40),
          run.status.padEnd(9),
          durationText(run).padStart(8),
          run.checks.length > 0 ? `checks ${passed}/${run.checks.length}` : 'no checks',
          changed.length > 0 ? changed.map(([n, v]) => `${n}=${String(v)}`).join(' ') : '',
        ]
          .join('  ')
          .trimEnd(),
      );
    }
    return 0;
  });
}

async function showRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const runId = runIdArgument(positionals, 'show');
  return withEngine(async (engine) => {
    // runs.get answers a page at a time (RUN_EVENTS_PAGE_EVENTS): follow nextSeq to the last one.
    const first = await engine.call('runs.get', { runId });
    const events = first.events;
    let { run, nextSeq } = first;
    while (nextSeq !== null) {
      const page = await engine.call('runs.get', { runId, afterSeq: nextSeq });
      ({ run, nextSeq } = page);
      events.push(...page.events);
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ run, events }) + '\n');
      return 0;
    }
    const startTs = BigInt(run.startTs);
    console.log(`Run ${run.runId}: ${run.labId} / ${run.stepId ? `step ${run.stepId}` : `scenario ${run.scenarioId}`}  ${JSON.stringify(run.params)}`);
    console.log(`Started ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt} (${durationText(run)})` : ', still going'}; ${events.length} events`);
    for (const event of events) printText({ type: 'event', event }, startTs);
    for (const p of run.processes) printText({ type: 'process', process: p }, startTs);
    const { grades, variant } = await engine.call('runs.grade', { runId }).catch(() => ({ grades: [], variant: null }));
    for (const check of run.checks) printText({ type: 'check', check, asExpectedFor: expectedFailure(variant, check) }, startTs);
    for (const grade of grades) printText({ type: 'grade', grade }, startTs);
    printText({ type: 'end', run, variant }, startTs);
    return 0;
  });
}

/**
 * Writes a file whole or not at all: into a temporary file beside it, then renamed over it. A path that
 * cannot be written is a UserError naming it.
 */
function writeWhole(out: string, content: string | Buffer): void {
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, content);
    renameSync(temp, out);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UserError('bad-request', `Cannot write ${out}: ${code}.`, 'Choose a path in a folder that exists and that you can write to (--out FILE).');
  }
}

async function exportReport(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lab: { type: 'string' },
      format: { type: 'string', default: 'html' },
      out: { type: 'string' },
      full: { type: 'boolean' },
      name: { type: 'string' },
      'student-id': { type: 'string' },
      'allow-empty': { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected "${positionals[0]}". Did you mean "ipc-lab report verify FILE..."?`);
  const format = values.format!;
  if (format !== 'pdf' && !(REPORT_FILE_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format is html, json or pdf, got "${format}".`);
  const pdf = format === 'pdf' ? await import('../report/report-pdf.js') : undefined;
  const chromium = pdf?.findChromium() ?? null;
  if (pdf && !chromium)
    throw new UserError(
      'bad-request',
      'A PDF needs Chromium, and none was found ($CHROMIUM_PATH is not set, and none is at the usual paths).',
      'Set CHROMIUM_PATH to a Chromium or Chrome binary, or export HTML (--format html) and print it to PDF from any browser.',
    );
  return withEngine(async (engine) => {
    if (values.name !== undefined) await engine.call('identity.set', { name: values.name, studentId: values['student-id'] ?? null });
    else if (values['student-id'] !== undefined) throw new UsageError('--student-id goes with --name.');
    const file = await engine
      .call('report.export', {
        ...(values.lab ? { labId: values.lab } : {}),
        format: pdf ? 'html' : (format as 'html' | 'json'),
        full: values.full ?? false,
        allowEmpty: values['allow-empty'] ?? false,
      })
      .catch((error: unknown) => {
        // The engine's fixes are for every host; name the options here.
        if (error instanceof UserError && error.code === 'nothing-to-report')
          throw new UserError(
            error.code,
            error.message,
            'Run a step first (ipc-lab run <lab>), or add --allow-empty for a report that lists every step as not started.',
          );
        if (error instanceof UserError && error.code === 'no-identity')
          throw new UserError(error.code, error.message, 'Add --name "Your Name" (a pseudonym will do); it is kept for later reports.');
        throw error;
      });
    const out = resolve(values.out ?? (pdf ? file.fileName.replace(/\.html$/, '.pdf') : file.fileName));
    if (pdf) {
      const temp = mkdtempSync(join(dirname(out), '.ipc-lab-report-'));
      try {
        const htmlFile = join(temp, file.fileName);
        writeFileSync(htmlFile, file.content);
        await pdf.htmlFileToPdf(htmlFile, out, chromium!);
      } finally {
        rmSync(temp, { recursive: true, force: true });
      }
    } else writeWhole(out, file.content);
    console.log(`Wrote ${out}`);
    return 0;
  });
}

async function verifyReports(files: string[]): Promise<number> {
  if (files.length === 0) throw new UsageError('Name the report files to verify: ipc-lab report verify FILE...');
  const { verifyReportFile } = await import('../report/verify.js');
  return withEngine(async (engine) => {
    const labs = engine.loadedLabs;
    let allOk = true;
    for (const file of files) {
      const verdict = await verifyReportFile(file, labs);
      allOk &&= verdict.ok;
      console.log(`${file}: ${verdict.ok ? 'OK' : 'FAILED'}${verdict.title ? `  (${verdict.title})` : ''}`);
      for (const layer of verdict.layers) console.log(`  ${layer.ok ? 'ok  ' : 'FAIL'} ${layer.text}`);
    }
    return allOk ? 0 : 1;
  });
}

async function exportTrace(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, out: { type: 'string' } } });
  const runId = runIdArgument(positionals, 'trace');
  if (!values.format || !(TRACE_FILE_FORMATS as readonly string[]).includes(values.format))
    throw new UsageError(`--format is ${TRACE_FILE_FORMATS.join(' or ')}${values.format ? `, got "${values.format}"` : ''}.`);
  return withEngine(async (engine) => {
    const file: ExportedFile = await engine.call('trace.export', { runId, format: values.format as 'perfetto' | 'csv' });
    const out = resolve(values.out ?? file.fileName);
    writeWhole(out, file.content);
    console.log(`Wrote ${out}`);
    return 0;
  });
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--port must be a number from 0 to 65535, got "${values.port}".`);
  const [{ serveBrowserMode }, { AlreadyRunningError }] = await Promise.all([import('../hosts/launcher.js'), import('../hosts/instance-lock.js')]);
  try {
    await serveBrowserMode(port === undefined ? {} : { port });
  } catch (error) {
    if (!(error instanceof AlreadyRunningError)) throw error;
    console.log(error.message);
    return 0;
  }
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
      // A bug: its message and what to do, never a stack trace (the same words a tab gets).
      const info = toErrorInfo(error);
      console.error(`ipc-lab: ${info.message}\nFix: ${info.fix}`);
      process.exitCode = 1;
    }
  },
);
