/**
 * Builds a session report (main/contract/report-format.ts) from the event store: per step the
 * prediction and its revisions, every attempt, and the chosen run in full with the evidence its
 * checks need, the kernel facts they relied on and a timeline sketch.
 */
import { QUIZ_STEP, type CheckResult, type ParamValues, type RunSummary, type StepMastery } from '../contract/lab-model.js';
import { gradeQuiz, gradeRun } from '../engine/grading.js';
import { runVariant, variantAsExpected } from '../contract/run-variant.js';
import { stepMastery } from '../engine/mastery.js';
import {
  ACTIVITY_GAP_MS,
  REPORT_CLAIMS,
  REPORT_FORMAT,
  type AttemptSummary,
  type KernelFact,
  type LabTally,
  type MachineFacts,
  type OmittedRange,
  type ReportLab,
  type ReportPrediction,
  type ReportQuiz,
  type ReportRun,
  type ReportStep,
  type SessionReport,
  type StudentIdentity,
} from '../contract/report-format.js';
import type { StoredEvent, StoredEventOf } from '../contract/trace-events.js';
import { canonicalJson, eventHash, packHashes, sha256Hex } from '../engine/evidence-chain.js';
import type { EventStore, StoredProgress } from '../engine/event-store.js';
import type { LoadedLab } from '../engine/lab-loader.js';
import { storedStudentSeed, studentPicks } from '../engine/student-params.js';
import type { NamedCheck } from '../engine/run-checks.js';
import { checksFileOf, evidenceInWorker } from '../engine/check-runner.js';
import { sketchTimeline } from './timeline-sketch.js';

export interface ReportInputs {
  store: EventStore;
  labs: LoadedLab[];
  /** The lab the report is of, or null for all. */
  labId: string | null;
  student: StudentIdentity;
  /** Embed every event of each chosen run instead of those its checks need. */
  full: boolean;
  machine: MachineFacts;
  appVersion: string;
  /** The export time (tests fix it). */
  now?: Date;
}

const LIVE_STATUSES = new Set(['starting', 'running', 'stopping']);

export async function buildReport(inputs: ReportInputs): Promise<SessionReport> {
  const labs: ReportLab[] = [];
  for (const lab of inputs.labs) labs.push(await reportLab(inputs, lab));
  const withoutDigest: Omit<SessionReport, 'digest'> = {
    format: REPORT_FORMAT,
    generatedAt: (inputs.now ?? new Date()).toISOString(),
    app: { name: 'IPC Lab', version: inputs.appVersion },
    student: inputs.student,
    machine: inputs.machine,
    labId: inputs.labId,
    evidence: inputs.full ? 'full' : 'checks',
    timeOnTaskMs: timeOnTask(labs),
    summary: labs.map(tally),
    labs,
    claims: REPORT_CLAIMS,
  };
  return { ...withoutDigest, digest: reportDigest(withoutDigest) };
}

/** SHA-256 of the canonical encoding of a report without its `digest` field. */
export function reportDigest(report: Omit<SessionReport, 'digest'> | SessionReport): string {
  const { digest: _digest, ...rest } = report as SessionReport;
  return sha256Hex(canonicalJson(rest));
}

async function reportLab(inputs: ReportInputs, lab: LoadedLab): Promise<ReportLab> {
  const progress = inputs.store.progress(lab.id);
  const steps: ReportStep[] = [];
  for (const step of lab.steps) steps.push(await reportStep(inputs, lab, step, progress[step.id]));
  return { id: lab.id, title: lab.title, version: lab.version, steps, ...(lab.quiz.length > 0 ? { quiz: reportQuiz(inputs.store, lab) } : {}) };
}

function reportQuiz(store: EventStore, lab: LoadedLab): ReportQuiz {
  const { versions, chainHead } = store.questionAnswers(lab.id, QUIZ_STEP);
  return { questions: lab.quiz, versions, chainHead, grades: gradeQuiz(lab.quiz, versions) };
}

async function reportStep(inputs: ReportInputs, lab: LoadedLab, step: LoadedLab['steps'][number], progress: StoredProgress | undefined): Promise<ReportStep> {
  const runs = inputs.store.runs({ labId: lab.id, stepId: step.id }).reverse();
  const defaults = stepDefaults(storedStudentSeed(inputs.store), lab, step);
  // Only runs stored with an evidence chain can be shown in full: older ones are listed as attempts.
  const finished = runs.filter((r) => !LIVE_STATUSES.has(r.status) && inputs.store.endRecord(r.runId) !== undefined);
  const chosen = finished.findLast((r) => r.status === 'passed' && runVariant(step, r.params) === null) ?? finished.at(-1);
  const { versions, chainHead } = inputs.store.questionAnswers(lab.id, step.id);
  const chosenRun = chosen ? await reportRun(inputs, lab, step, chosen, defaults) : null;
  return {
    id: step.id,
    title: step.title,
    status: progress?.status ?? 'not-started',
    mastery: stepMastery(step, runs, versions),
    prediction: prediction(inputs.store, lab.id, step.id, runs[0]),
    ...(step.questions.length > 0
      ? {
          questions: {
            questions: step.questions,
            versions,
            chainHead,
            // Graded from what the chain holds: the chosen run's parameters and its checks as they ended.
            grades: chosenRun
              ? gradeRun(
                  step.questions,
                  inputs.store.answersOfRun(chosenRun.runId),
                  chosenRun.checks,
                  chosenRun.params,
                  runVariant(step, chosenRun.params)?.name,
                )
              : [],
          },
        }
      : {}),
    attempts: runs.map((run) => attempt(step, run, defaults)),
    chosen: chosenRun,
  };
}

/**
 * The scenario's defaults with the step's own values over them, and this student's picks of its
 * randomised parameters over those: what the step started from for them, what "changed" is measured
 * against. An export never makes a seed: without one (nothing randomised was ever opened) there are no picks.
 */
function stepDefaults(seed: string | null, lab: LoadedLab, step: LoadedLab['steps'][number]): ParamValues {
  const scenario = lab.scenarios.find((s) => s.id === step.scenario);
  const values: ParamValues = {};
  for (const spec of scenario?.params ?? []) values[spec.name] = spec.default;
  return { ...values, ...step.params, ...(seed === null ? {} : studentPicks(seed, lab.id, step)) };
}

function changedParams(params: ParamValues, defaults: ParamValues): ParamValues {
  return Object.fromEntries(Object.entries(params).filter(([name, value]) => defaults[name] !== value));
}

function prediction(store: EventStore, labId: string, stepId: string, firstRun: RunSummary | undefined): ReportPrediction | null {
  const { revisions, chainHead } = store.answerRevisions(labId, stepId);
  const firstWritten = revisions.find((r) => r.text.trim() !== '');
  const last = revisions.at(-1);
  if (!firstWritten || !last) return null;
  return {
    text: last.text,
    firstWrittenAt: firstWritten.savedAt,
    lastEditedAt: last.savedAt,
    // ISO 8601 times in UTC compare as strings.
    beforeFirstRun: firstRun === undefined || firstWritten.savedAt < firstRun.startedAt,
    revisions,
    chainHead,
  };
}

function attempt(step: LoadedLab['steps'][number], run: RunSummary, defaults: ParamValues): AttemptSummary {
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    status: run.status,
    changedParams: changedParams(run.params, defaults),
    checksPassed: run.checks.filter((c) => c.passed).length,
    checksTotal: run.checks.length,
    ...variantOf(step, run),
  };
}

/** An attempt's variant: `control` for the step's control, `variant` for another it asks the student to try. */
function variantOf(step: LoadedLab['steps'][number], run: RunSummary): Pick<AttemptSummary, 'control' | 'variant'> {
  const variant = runVariant(step, run.params);
  if (!variant) return {};
  const asExpected = variantAsExpected(variant, run);
  return variant.name === step.control ? { control: { variant: variant.name, asExpected } } : { variant: { name: variant.name, asExpected } };
}

async function reportRun(
  inputs: ReportInputs,
  lab: LoadedLab,
  step: LoadedLab['steps'][number],
  stored: RunSummary,
  defaults: ParamValues,
): Promise<ReportRun> {
  const { store } = inputs;
  const header = store.headerRecord(stored.runId)!;
  const end = store.endRecord(stored.runId)!;
  // What the chain holds is what the report shows: the run as it was when it ended.
  const run: RunSummary = {
    ...stored,
    params: header.params,
    status: end.status,
    endedAt: end.endedAt,
    message: end.message,
    processes: end.processes,
    checks: end.checks,
  };
  const events = store.events(run.runId);
  const texts = store.eventTexts(run.runId);
  const checks: NamedCheck[] = step.checks.filter((c) => lab.checks[c.id]).map((c) => ({ id: c.id, definition: lab.checks[c.id]! }));
  const embedded = inputs.full ? events : await evidenceOf(inputs.store.file, lab, checks, run, events);
  const inReport = new Set(embedded.map((e) => e.seq));
  return {
    runId: run.runId,
    labId: run.labId,
    stepId: run.stepId,
    scenarioId: run.scenarioId,
    labVersion: header.labVersion,
    machine: header.machine,
    params: run.params,
    defaultParams: defaults,
    status: run.status,
    startTs: run.startTs,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    message: run.message,
    processes: run.processes,
    checks: run.checks,
    kernelFacts: kernelFacts(run.checks, embedded),
    timeline: sketchTimeline(run, events),
    evidence: {
      events: texts.filter((t) => inReport.has(t.seq)),
      eventCount: events.length,
      header,
      end,
      omitted: omittedRanges(run.runId, texts, inReport),
      chainHead: store.chainHead(run.runId)!,
    },
  };
}

/**
 * The events the run's checks need (checkEvidence, in the check worker over the stored run), or every
 * event when the search cannot finish within its time limit.
 */
async function evidenceOf(dbFile: string, lab: LoadedLab, checks: NamedCheck[], run: RunSummary, events: StoredEvent[]): Promise<StoredEvent[]> {
  if (run.checks.length === 0) return [];
  const seqs = await evidenceInWorker(
    { checksFile: checksFileOf(lab.compiledDir), checks, params: run.params, processes: run.processes, source: { dbFile, runId: run.runId } },
    run.checks,
  );
  if (!seqs) return events;
  const kept = new Set(seqs);
  return events.filter((e) => kept.has(e.seq));
}

/** The record hashes of the events not embedded, by contiguous seq range. */
function omittedRanges(runId: number, texts: { seq: number; data: string }[], inReport: Set<number>): OmittedRange[] {
  const ranges: OmittedRange[] = [];
  let current: { fromSeq: number; toSeq: number; hashes: string[] } | undefined;
  const close = () => {
    if (current) ranges.push({ fromSeq: current.fromSeq, toSeq: current.toSeq, recordHashes: packHashes(current.hashes) });
    current = undefined;
  };
  for (const { seq, data } of texts) {
    if (inReport.has(seq)) {
      close();
      continue;
    }
    if (current?.toSeq !== seq - 1) close();
    current ??= { fromSeq: seq, toSeq: seq, hashes: [] };
    current.toSeq = seq;
    current.hashes.push(eventHash(runId, seq, data));
  }
  close();
  return ranges;
}

/**
 * For each check that names a moment, what the kernel view in the evidence showed about each process
 * then: the latest snapshot of that process at or before the moment (else its first after).
 */
function kernelFacts(checks: CheckResult[], evidence: StoredEvent[]): KernelFact[] {
  const snapshots = evidence.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot');
  const facts: KernelFact[] = [];
  for (const check of checks) {
    if (check.moment === null) continue;
    const moment = BigInt(check.moment);
    for (const pid of [...new Set(snapshots.map((s) => s.pid))]) {
      const own = snapshots.filter((s) => s.pid === pid);
      const at = own.findLast((s) => BigInt(s.ts) <= moment) ?? own[0]!;
      const labFds = at.fds.filter((fd) => fd.runtime === undefined);
      facts.push({
        checkId: check.id,
        ts: at.ts,
        pid,
        role: at.role,
        state: at.state,
        wchan: at.wchan,
        fds: labFds.map((fd) => `${fd.fd} -> ${fd.target}${fd.mode ? ` (${fd.mode})` : ''}`),
        mappings: (at.maps ?? []).map((m) => `${m.start}-${m.end} ${m.perms} ${m.path}`),
        sockets: labFds.flatMap((fd) =>
          fd.socket ? [`${fd.socket.transport} ${fd.socket.local}${fd.socket.remote ? ` -> ${fd.socket.remote}` : ''} ${fd.socket.state}`] : [],
        ),
      });
    }
  }
  return facts;
}

function tally(lab: ReportLab): LabTally {
  const count = (status: StepMastery['status']) => lab.steps.filter((s) => s.mastery?.status === status).length;
  return { labId: lab.id, title: lab.title, mastered: count('mastered'), attempted: count('attempted'), notStarted: count('not-started') };
}

/** The sum of the gaps between consecutive moments of activity, gaps longer than ACTIVITY_GAP_MS left out. */
function timeOnTask(labs: ReportLab[]): number {
  const moments: number[] = [];
  for (const step of labs.flatMap((l) => l.steps)) {
    for (const a of step.attempts) moments.push(Date.parse(a.startedAt), ...(a.endedAt ? [Date.parse(a.endedAt)] : []));
    for (const r of step.prediction?.revisions ?? []) moments.push(Date.parse(r.savedAt));
    for (const v of step.questions?.versions ?? []) moments.push(Date.parse(v.savedAt));
  }
  moments.sort((a, b) => a - b);
  let total = 0;
  for (let i = 1; i < moments.length; i++) {
    const gap = moments[i]! - moments[i - 1]!;
    if (gap <= ACTIVITY_GAP_MS) total += gap;
  }
  return total;
}
