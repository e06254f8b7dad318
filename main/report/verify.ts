/**
 * `ipc-lab report verify`: checks a report, layer by layer, and names what does not hold.
 *
 * 1. The file: an HTML report's own digest (every byte of the file, report-html.ts), or a JSON report's
 *    exact written form (report-files.ts), so a change to layout is caught as well as one to a value.
 * 2. The format: `ipc-lab-report/1`, valid against report-format.schema.json. A newer format is said to be
 *    newer, not damaged.
 * 3. The digest over the report's content.
 * 4. The evidence chains: each chosen run's header, events (embedded, or by record hash) and end record
 *    recompute to its stored chain head, and agree with what the report shows of the run; each
 *    prediction's revisions, and each step's answer versions, recompute to theirs.
 * 5. The checks: re-run (the installed lab's checks) over each chosen run's embedded events; each verdict
 *    must be the report's.
 * 6. The grades: the answers each chosen run tested (by the answers' chain and the run's header) graded
 *    again against the measurements of its chained checks; each grade must be the report's.
 *
 * What this proves is REPORT_CLAIMS (main/contract/report-format.ts): edits after export, not forgery.
 */
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findProjectRoot } from '../project-root.js';
import { REPORT_FORMAT, type ReportRun, type ReportStep, type SessionReport } from '../contract/report-format.js';
import { QUIZ_STEP, type AnswerValue, type Grade } from '../contract/lab-model.js';
import {
  answerRecord,
  canonicalJson,
  CHAIN_START,
  chainOver,
  eventHash,
  nextLink,
  parseFiniteJson,
  questionAnswerRecord,
  recordHash,
  unpackHashes,
} from '../engine/evidence-chain.js';
import { gradeQuiz, gradeRun } from '../engine/grading.js';
import { runVariant } from '../contract/run-variant.js';
import type { StoredEvent } from '../contract/trace-events.js';
import type { LoadedLab } from '../engine/lab-loader.js';
import { checksFileOf, runChecksInWorker } from '../engine/check-runner.js';
import { reportDigest } from './build-report.js';
import { reportJsonText } from './report-files.js';
import { readHtmlReport } from './report-html.js';

export interface Layer {
  name: string;
  ok: boolean;
  /** One line: "digest ok", "checks re-run: 12/12 agree", or what failed and where. */
  text: string;
}

export interface Verdict {
  file: string;
  /** "Ada Lovelace, all labs, exported 2026-12-02T10:00:00.000Z", when the file is a readable report. */
  title: string | null;
  layers: Layer[];
  ok: boolean;
}

const SCHEMA_FILE = join(findProjectRoot(), 'main', 'contract', 'report-format.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(value: unknown): string | null {
  validator ??= new Ajv({ allErrors: false, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  if (validator(value)) return null;
  const error = validator.errors?.[0];
  return error ? `${error.instancePath || '(the top level)'} ${error.message ?? 'is not valid'}` : 'it does not match the schema';
}

export async function verifyReportFile(file: string, labs: LoadedLab[]): Promise<Verdict> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return fail(
      file,
      null,
      'file',
      `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Fix: give the path of a report file.`,
    );
  }
  return verifyReportBytes(file, bytes, labs);
}

export async function verifyReportBytes(file: string, bytes: Buffer, labs: LoadedLab[]): Promise<Verdict> {
  const layers: Layer[] = [];
  const text = bytes.toString('utf8');
  let value: unknown;
  if (/^\s*<(!doctype html|html)/i.test(text.slice(0, 200))) {
    const html = readHtmlReport(text);
    if (html.htmlDigest === 'missing') return fail(file, null, 'file', `is an HTML file but not an IPC Lab report${html.problem ? ` (${html.problem})` : ''}.`);
    if (html.report === undefined)
      return fail(
        file,
        null,
        'file',
        `html digest MISMATCH: the HTML file was changed after export, and its embedded report cannot be read (${html.problem ?? 'no report'}).`,
      );
    layers.push(
      html.htmlDigest === 'ok'
        ? { name: 'file', ok: true, text: 'html digest ok' }
        : { name: 'file', ok: false, text: 'html digest MISMATCH: the HTML file was changed after export' },
    );
    value = html.report;
  } else {
    try {
      value = parseFiniteJson(text);
    } catch (error) {
      return fail(file, null, 'file', `is not an IPC Lab report: it is neither an HTML report nor valid JSON (${(error as Error).message}).`);
    }
    const written = Buffer.from(reportJsonText(value));
    const at = firstDifference(written, bytes);
    layers.push(
      at === -1
        ? { name: 'file', ok: true, text: 'json form ok' }
        : { name: 'file', ok: false, text: `json form CHANGED: byte ${at} (line ${lineOf(bytes, at)}) is not as IPC Lab wrote it` },
    );
  }

  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format !== 'string' || !format.startsWith('ipc-lab-report/'))
    return fail(file, null, 'format', 'is not an IPC Lab report: it has no "format": "ipc-lab-report/N" field.', layers);
  if (format !== REPORT_FORMAT) {
    const version = Number(format.split('/')[1]);
    const newer = Number.isInteger(version) && version > 1;
    return fail(
      file,
      null,
      'format',
      newer
        ? `is from a newer IPC Lab (format ${format}; this one reads ${REPORT_FORMAT}). Fix: update IPC Lab to verify it.`
        : `has an unknown format "${format}".`,
      layers,
    );
  }
  const problem = validate(value);
  if (problem) return fail(file, null, 'format', `is not a valid ${REPORT_FORMAT} report: ${problem}.`, layers);
  const report = value as SessionReport;
  const title = `${report.student.name}${report.student.studentId ? ` (${report.student.studentId})` : ''}, ${report.labId ?? 'all labs'}, exported ${report.generatedAt}`;

  // A report that passed the schema can still hold what no layer foresaw: say so as a failed layer,
  // never as a crash that leaves the other files unverified.
  try {
    layers.push(
      reportDigest(report) === report.digest
        ? { name: 'digest', ok: true, text: 'digest ok' }
        : { name: 'digest', ok: false, text: "digest MISMATCH: the report's content was changed after export" },
    );
    layers.push(chainLayer(report));
    layers.push(await checksLayer(report, labs));
    layers.push(gradesLayer(report, labs));
  } catch (error) {
    return fail(file, title, 'report', `cannot be verified: ${(error as Error).message}. It was not written this way by IPC Lab.`, layers);
  }
  return { file, title, layers, ok: layers.every((l) => l.ok) };
}

function chosenRuns(report: SessionReport): { lab: string; step: ReportStep; run: ReportRun }[] {
  return report.labs.flatMap((lab) => lab.steps.flatMap((step) => (step.chosen ? [{ lab: lab.id, step, run: step.chosen }] : [])));
}

function chainLayer(report: SessionReport): Layer {
  const problems: string[] = [];
  const runs = chosenRuns(report);
  for (const { lab, step, run } of runs) {
    const where = `run ${run.runId} (${lab}/${step.id})`;
    const problem = runChainProblem(run);
    if (problem) problems.push(`${where}: ${problem}`);
  }
  let predictions = 0;
  for (const lab of report.labs)
    for (const step of lab.steps) {
      const p = step.prediction;
      if (!p) continue;
      predictions++;
      const where = `prediction of ${lab.id}/${step.id}`;
      if (chainOver(p.revisions.map((r) => recordHash(answerRecord(lab.id, step.id, r)))) !== p.chainHead)
        problems.push(`${where}: its revisions do not recompute to the stored chain head`);
      else if (p.text !== p.revisions.at(-1)?.text) problems.push(`${where}: the text shown is not its last revision`);
      else if (p.firstWrittenAt !== p.revisions.find((r) => r.text.trim() !== '')?.savedAt)
        problems.push(`${where}: "first written" is not its first revision`);
      else if (p.lastEditedAt !== p.revisions.at(-1)?.savedAt) problems.push(`${where}: "last edited" is not its last revision`);
      else if (p.beforeFirstRun !== (step.attempts[0] === undefined || p.firstWrittenAt < step.attempts[0].startedAt))
        problems.push(`${where}: "written before the first run" does not follow from the times`);
    }
  let answered = 0;
  for (const lab of report.labs)
    for (const step of lab.steps) {
      if (!step.questions || step.questions.versions.length === 0) continue;
      answered++;
      const problem = answersChainProblem(lab.id, step);
      if (problem) problems.push(`answers of ${lab.id}/${step.id}: ${problem}`);
    }
  let quizzes = 0;
  for (const lab of report.labs) {
    if (!lab.quiz || lab.quiz.versions.length === 0) continue;
    quizzes++;
    if (chainOver(lab.quiz.versions.map((v) => recordHash(questionAnswerRecord(lab.id, QUIZ_STEP, v)))) !== lab.quiz.chainHead)
      problems.push(`quiz answers of ${lab.id}: its versions do not recompute to the stored chain head`);
  }
  if (problems.length > 0) return { name: 'evidence chain', ok: false, text: `evidence chain BROKEN: ${problems.join('; ')}` };
  const count = (n: number, what: string, plural = 's') => `${n} ${what}${n === 1 ? '' : plural}`;
  return {
    name: 'evidence chain',
    ok: true,
    text: `evidence chain ok (${count(runs.length, 'run')}, ${count(predictions, 'prediction')}${answered ? `, ${count(answered, 'step')} of answers` : ''}${quizzes ? `, ${count(quizzes, 'quiz', 'zes')}` : ''})`,
  };
}

/**
 * The answers the chosen run tested, read off the chain: the first versions, up to the chain head its
 * header holds. Each of those must say a run no later than it tested them, and each later one must not.
 */
function testedAnswers(labId: string, step: ReportStep): Map<string, AnswerValue> | string {
  const versions = step.questions!.versions;
  const run = step.chosen;
  const head = run?.evidence.header.answersHead;
  let count = 0;
  if (head !== undefined) {
    let link = CHAIN_START;
    count = versions.findIndex((version) => (link = nextLink(link, recordHash(questionAnswerRecord(labId, step.id, version)))) === head) + 1;
    if (count === 0) return `the answers run ${run!.runId} tested (its header's answersHead) are not a first part of the versions shown`;
  }
  if (run) {
    const misdated = versions.findIndex((v, i) =>
      i < count ? v.lockedByRun === null || v.lockedByRun > run.runId : v.lockedByRun !== null && v.lockedByRun <= run.runId,
    );
    if (misdated !== -1)
      return `version ${misdated + 1} says run ${versions[misdated]!.lockedByRun ?? 'none'} tested it, which the chain of run ${run.runId} contradicts`;
  }
  return new Map(versions.slice(0, count).map((v) => [v.questionId, v.value]));
}

/** Why a step's answer versions do not hold, or null when they do. */
function answersChainProblem(labId: string, step: ReportStep): string | null {
  const { versions, chainHead } = step.questions!;
  if (chainOver(versions.map((v) => recordHash(questionAnswerRecord(labId, step.id, v)))) !== chainHead)
    return 'its versions do not recompute to the stored chain head';
  const tested = testedAnswers(labId, step);
  return typeof tested === 'string' ? tested : null;
}

/**
 * 6. The grades: each step's answers graded again, from the versions the chosen run tested (by the chain)
 * against the measurements of its chained checks and its chained parameters (formula answers,
 * templates), with the questions of the installed lab when it is the same version (else those the
 * report carries); and each lab's quiz, its last saved answers against its fixed answers.
 */
function gradesLayer(report: SessionReport, labs: LoadedLab[]): Layer {
  let agree = 0;
  let total = 0;
  const problems: string[] = [];
  const compareGrades = (where: string, carried: Grade[], again: Grade[]) => {
    for (const grade of carried) {
      total++;
      const regraded = again.find((g) => g.questionId === grade.questionId);
      if (regraded && canonicalJson(regraded) === canonicalJson(grade)) agree++;
      else problems.push(`${where} question ${grade.questionId}: the report says ${grade.verdict}, graded again ${regraded?.verdict ?? 'no such question'}`);
    }
    if (carried.length !== again.length) problems.push(`${where}: the report grades ${carried.length} questions, the lab asks ${again.length}`);
  };
  for (const lab of report.labs)
    for (const step of lab.steps) {
      const carried = step.questions;
      if (!carried || !step.chosen) continue;
      const where = `${lab.id}/${step.id}`;
      const installed = labs.find((l) => l.id === lab.id && l.version === step.chosen!.labVersion)?.steps.find((s) => s.id === step.id);
      if (installed && canonicalJson(installed.questions) !== canonicalJson(carried.questions))
        problems.push(`${where}: the questions shown are not the lab's (version ${step.chosen.labVersion.slice(0, 8)})`);
      const tested = testedAnswers(lab.id, step);
      if (typeof tested === 'string') {
        problems.push(`${where}: ${tested}`);
        continue;
      }
      // Which variant of the step the chosen run was, if any: from the installed lab's variants and the
      // chained parameters when it is the same version, else as the report's list of runs says.
      const chosen = step.chosen;
      const attempt = step.attempts.find((a) => a.runId === chosen.runId);
      const variant = installed ? runVariant(installed, chosen.params)?.name : (attempt?.control?.variant ?? attempt?.variant?.name);
      compareGrades(where, carried.grades, gradeRun(installed?.questions ?? carried.questions, tested, chosen.checks, chosen.params, variant));
    }
  for (const lab of report.labs) {
    if (!lab.quiz) continue;
    const where = `${lab.id} quiz`;
    const installed = labs.find((l) => l.id === lab.id && l.version === lab.version)?.quiz;
    if (installed && canonicalJson(installed) !== canonicalJson(lab.quiz.questions)) problems.push(`${where}: the questions shown are not the lab's`);
    const again = gradeQuiz(installed ?? lab.quiz.questions, lab.quiz.versions);
    compareGrades(where, lab.quiz.grades, again);
  }
  if (problems.length > 0) return { name: 'grades', ok: false, text: `grades re-graded: ${agree}/${total} agree; DISAGREE: ${problems.join('; ')}` };
  return { name: 'grades', ok: true, text: total === 0 ? 'grades: none to re-grade' : `grades re-graded: ${agree}/${total} agree` };
}

/** Why a run's chain does not hold, or null when it does. */
function runChainProblem(run: ReportRun): string | null {
  const { header, end, events, omitted, eventCount, chainHead } = run.evidence;
  // What the report shows of the run must be what was chained.
  const shown = { runId: run.runId, labId: run.labId, stepId: run.stepId, scenarioId: run.scenarioId, params: run.params, startTs: run.startTs };
  const chained = {
    runId: header.runId,
    labId: header.labId,
    stepId: header.stepId,
    scenarioId: header.scenarioId,
    params: header.params,
    startTs: header.startTs,
  };
  if (canonicalJson(shown) !== canonicalJson(chained)) return 'the run shown (its parameters or names) is not the run that was chained';
  if (header.labVersion !== run.labVersion || header.startedAt !== run.startedAt || canonicalJson(header.machine) !== canonicalJson(run.machine))
    return 'its lab version, start time or machine is not what was chained';
  const shownEnd = { status: run.status, endedAt: run.endedAt ?? '', message: run.message, processes: run.processes, checks: run.checks };
  const { type: _type, ...chainedEnd } = end;
  if (canonicalJson(shownEnd) !== canonicalJson(chainedEnd)) return 'its status, processes or checks are not what was chained';

  const hashes = new Map<number, string>();
  for (const event of events) {
    if (hashes.has(event.seq)) return `event seq ${event.seq} is embedded twice`;
    hashes.set(event.seq, eventHash(run.runId, event.seq, event.data));
  }
  for (const range of omitted) {
    const unpacked = unpackHashes(range.recordHashes);
    if (unpacked?.length !== range.toSeq - range.fromSeq + 1) return `the omitted range ${range.fromSeq}..${range.toSeq} does not hold one hash per event`;
    for (let seq = range.fromSeq; seq <= range.toSeq; seq++) {
      if (hashes.has(seq)) return `event seq ${seq} is both embedded and omitted`;
      hashes.set(seq, unpacked[seq - range.fromSeq]!);
    }
  }
  const ordered: string[] = [recordHash(header)];
  for (let seq = 1; seq <= eventCount; seq++) {
    const hash = hashes.get(seq);
    if (hash === undefined) return `event seq ${seq} is neither embedded nor omitted`;
    ordered.push(hash);
  }
  if (hashes.size !== eventCount) return `it has ${hashes.size} events where it says ${eventCount}`;
  ordered.push(recordHash(end));
  return chainOver(ordered) === chainHead ? null : 'its events and records do not recompute to the stored chain head';
}

async function checksLayer(report: SessionReport, labs: LoadedLab[]): Promise<Layer> {
  let agree = 0;
  let total = 0;
  const problems: string[] = [];
  const notes = new Set<string>();
  for (const { lab: labId, step, run } of chosenRuns(report)) {
    if (run.checks.length === 0) continue;
    const lab = labs.find((l) => l.id === labId);
    if (!lab) {
      problems.push(`lab "${labId}" is not installed, so run ${run.runId}'s checks cannot be re-run`);
      total += run.checks.length;
      continue;
    }
    if (lab.version !== run.labVersion)
      notes.add(`lab ${labId} is installed at another version (report ${run.labVersion.slice(0, 8)}, here ${lab.version.slice(0, 8)})`);
    const definitions = run.checks.map((c) => ({ id: c.id, definition: lab.checks[c.id] }));
    const events = parsedEvidence(run);
    if (typeof events === 'string') {
      problems.push(`run ${run.runId} (${labId}/${step.id}): ${events}`);
      total += run.checks.length;
      continue;
    }
    // In the check worker, under its limits: the checks are the installed lab's code.
    const rerun = await runChecksInWorker({
      checksFile: checksFileOf(lab.compiledDir),
      checks: definitions.filter((d) => d.definition !== undefined).map((d) => ({ id: d.id, definition: d.definition! })),
      params: run.params,
      processes: run.processes,
      source: { events },
    });
    for (const check of run.checks) {
      total++;
      const again = rerun.find((r) => r.id === check.id);
      if (!again) problems.push(`run ${run.runId} (${labId}/${step.id}) check ${check.id}: the installed lab has no such check`);
      else if (canonicalJson(again) === canonicalJson(check)) agree++;
      else if (again.passed !== check.passed)
        problems.push(
          `run ${run.runId} (${labId}/${step.id}) check ${check.id}: the report says ${check.passed ? 'passed' : 'failed'}, the re-run says ${again.passed ? 'passed' : 'failed'} (${again.detail})`,
        );
      else
        problems.push(
          `run ${run.runId} (${labId}/${step.id}) check ${check.id}: the same verdict, but the report's detail differs from the re-run's ("${again.detail}")`,
        );
    }
  }
  const noteText = notes.size > 0 ? ` (${[...notes].join('; ')})` : '';
  if (problems.length > 0) return { name: 'checks', ok: false, text: `checks re-run: ${agree}/${total} agree; DISAGREE: ${problems.join('; ')}${noteText}` };
  return { name: 'checks', ok: true, text: `checks re-run: ${agree}/${total} agree${noteText}` };
}

/** The embedded events as the checks read them (as EventStore.events() gives them), or why they cannot be read. */
function parsedEvidence(run: ReportRun): StoredEvent[] | string {
  const events: StoredEvent[] = [];
  for (const { seq, data } of run.evidence.events) {
    try {
      events.push({ ...(JSON.parse(data) as object), runId: run.runId, seq } as StoredEvent);
    } catch {
      return `embedded event seq ${seq} is not valid JSON`;
    }
  }
  return events;
}

function fail(file: string, title: string | null, name: string, text: string, before: Layer[] = []): Verdict {
  return { file, title, layers: [...before, { name, ok: false, text: `${basename(file)} ${text}` }], ok: false };
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function lineOf(bytes: Buffer, at: number): number {
  let line = 1;
  for (let i = 0; i < at && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}
