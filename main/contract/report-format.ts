/**
 * The session report, format `ipc-lab-report/1`: what leaves the app when a student exports their work,
 * as JSON (this shape exactly), as HTML (the same data drawn, with this JSON embedded) or as PDF.
 * `report-format.schema.json` beside this file is generated from these types
 * (`npm run schema:report`); a unit test fails when the two differ and validates real reports with it.
 *
 * What a report can prove, and what it cannot (REPORT_CLAIMS says it to the reader):
 * - `digest` is SHA-256 over the canonical encoding of the report without its `digest` field. Any change
 *   to the file after export that does not also recompute the digest is detected.
 * - Each chosen run carries its evidence chain: the run's records (a header, every trace event in
 *   sequence order, an end record holding status, processes and checks) were hash-chained as they were
 *   stored, `link[i] = SHA-256(link[i-1] ‖ recordHash[i])` from 64 zeros, where a header's or an end's
 *   record hash is SHA-256 of its canonical encoding and an event's is SHA-256 of
 *   "event <runId> <seq> <its JSON text as stored>" (main/engine/evidence-chain.ts). The report
 *   embeds the records the checks need and, for the rest, their record hashes, so the chain can be
 *   recomputed to the head the app stored. An edited event, check or parameter breaks it.
 * - `verify` also re-runs the lab's checks over the embedded events and compares the verdicts.
 * - None of this is a signature: a student who controls the machine could produce a false report from
 *   scratch, or recompute every hash after editing. It detects edits, not forgeries.
 *
 * Canonical encoding (main/report/canonical-json.ts): JSON with object keys sorted by UTF-16 code
 * units, no whitespace, numbers and strings as JSON.stringify writes them (RFC 8785 for these values).
 *
 * Compatibility: adding an optional field keeps `ipc-lab-report/1`; anything else is `/2`, and `verify`
 * says a report is from a newer version rather than calling it damaged.
 */
import type { CheckResult, Grade, ParamValues, ProcessInfo, Question, RunStatus, SavedAnswer, StepMastery, StepStatus } from './lab-model.js';

export const REPORT_FORMAT = 'ipc-lab-report/1';

/** Shown in every report and in `ipc-lab report --help`: exactly what verification proves. */
export const REPORT_CLAIMS =
  'Verification detects any change made to this report after it was exported (its digest and the hash chains of the embedded evidence no longer match), ' +
  "and re-runs each lab's checks over the embedded events to confirm the verdicts. It is not a signature: a student who controls the machine " +
  'could still produce a false report from scratch.';

export interface SessionReport {
  format: typeof REPORT_FORMAT;
  /** ISO 8601 time of export. */
  generatedAt: string;
  app: { name: 'IPC Lab'; version: string };
  student: StudentIdentity;
  /** The machine the report was exported on. Each run also records the machine it ran on. */
  machine: MachineFacts;
  /** The lab the report covers, or null for every lab. */
  labId: string | null;
  /** Whether each chosen run embeds its whole trace (`--full`) or the events its checks need. */
  evidence: 'checks' | 'full';
  /**
   * Time on task, ms: the sum over the student's activity (runs and saved answers, in time order) of
   * the gaps between consecutive moments, leaving out gaps longer than ACTIVITY_GAP_MS.
   */
  timeOnTaskMs: number;
  /** Per lab, the steps mastered (main/engine/mastery.ts: not merely passed), attempted and not started. */
  summary: LabTally[];
  labs: ReportLab[];
  claims: string;
  /** SHA-256 (hex) of the canonical encoding of this report without `digest`. */
  digest: string;
}

/** A gap between two moments of activity longer than this is a break, not time on task. */
export const ACTIVITY_GAP_MS = 15 * 60 * 1000;

export interface StudentIdentity {
  /** As the student typed it; a pseudonym is allowed. */
  name: string;
  studentId: string | null;
}

export interface MachineFacts {
  /** os.type() and os.release(): "Linux", "6.18.0-...". */
  os: string;
  kernel: string;
  arch: string;
  cores: number;
  /** /proc/sys/kernel/random/boot_id: runs with the same id ran without a reboot between them. Null off Linux. */
  bootId: string | null;
}

export interface LabTally {
  labId: string;
  title: string;
  mastered: number;
  attempted: number;
  notStarted: number;
}

export interface ReportLab {
  id: string;
  title: string;
  /** SHA-256 (hex) over the lab's files (main/engine/lab-digest.ts): which version of the lab this is. */
  version: string;
  steps: ReportStep[];
  /** The lab's closing quiz and every saved version of its answers; left out for a lab without a quiz. */
  quiz?: ReportQuiz;
}

export interface ReportQuiz {
  /** As the lab asks them (with the right answers and the explanations). */
  questions: Question[];
  /** Every saved version of the answers, oldest first, hash-chained as they were stored (step id "quiz"). */
  versions: SavedAnswer[];
  /** The chain head the app stored over `versions`. */
  chainHead: string;
  /** The last saved answer to each question, graded against the quiz's fixed answers; `verify` grades them again. */
  grades: Grade[];
}

export interface ReportStep {
  id: string;
  title: string;
  status: StepStatus;
  /**
   * What the student has done (main/engine/mastery.ts): answers before the first run, a passing run,
   * the control where there is one, hints shown. Left out by exports before questions existed.
   */
  mastery?: StepMastery;
  prediction: ReportPrediction | null;
  /** The step's questions, every version of the answers, and the chosen run's grades; left out for a step that asks none. */
  questions?: ReportQuestions;
  /** Every run of the step, oldest first. */
  attempts: AttemptSummary[];
  /** The run shown in full: the latest passing run that is not the control, else the latest. Null when the step has no run. */
  chosen: ReportRun | null;
}

export interface ReportQuestions {
  /** As the lab asks them (with the right answers and the explanations). */
  questions: Question[];
  /**
   * Every saved version of the answers, oldest first, each with the first run that tested it: the
   * original answers are those the step's first run locked. Hash-chained per step as they were stored;
   * a run's header holds the chain head when it started (`answersHead`).
   */
  versions: SavedAnswer[];
  /** The chain head the app stored over `versions`. */
  chainHead: string;
  /**
   * The answers the chosen run tested, graded against the measurements of its checks (main/engine/grading.ts).
   * `verify` grades them again from the versions and the chained checks.
   */
  grades: Grade[];
}

export interface ReportPrediction {
  /** The text as last saved. */
  text: string;
  /** When the first non-empty version was saved. */
  firstWrittenAt: string;
  lastEditedAt: string;
  /** True when the first non-empty version was saved before the step's first run started. */
  beforeFirstRun: boolean;
  /** Every saved version, oldest first, hash-chained per step as they were stored. */
  revisions: AnswerRevision[];
  /** The chain head the app stored for this step's answers. */
  chainHead: string;
}

export interface AnswerRevision {
  text: string;
  savedAt: string;
}

export interface AttemptSummary {
  runId: number;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  /** Only the parameters that differ from the step's starting values. */
  changedParams: ParamValues;
  checksPassed: number;
  checksTotal: number;
  /** Set for a run of the step's control: whether it failed the checks it names, as a control should. */
  control?: { variant: string; asExpected: boolean };
  /** Set for a run of another variant the step names (not its control): whether it failed the checks the variant names. */
  variant?: { name: string; asExpected: boolean };
}

export interface ReportRun {
  runId: number;
  labId: string;
  stepId: string | null;
  scenarioId: string;
  /** The lab version the run ran on (it may differ from the lab's version at export). */
  labVersion: string;
  machine: MachineFacts;
  params: ParamValues;
  /** The step's starting values, so a reader sees what the student changed. */
  defaultParams: ParamValues;
  status: RunStatus;
  /** Monotonic ns (decimal string) of the run's start: the origin of `ts` in its events. */
  startTs: string;
  startedAt: string;
  endedAt: string | null;
  message: string | null;
  processes: ProcessInfo[];
  checks: CheckResult[];
  /** The kernel facts the checks relied on: the kernel views inside the evidence, at each check's moment. */
  kernelFacts: KernelFact[];
  /** The run's timeline, drawn from every event (not only the evidence), small enough to embed. */
  timeline: TimelineSketch;
  evidence: RunEvidence;
}

/**
 * A run's timeline reduced to what a static drawing needs (main/report/timeline-sketch.ts). Times are
 * ns from the run's start. Lanes are processes; slices are calls that took time; arrows are messages
 * from the send to the receive.
 */
export interface TimelineSketch {
  durationNs: number;
  lanes: TimelineLane[];
  slices: TimelineSlice[];
  arrows: TimelineArrow[];
  marks: TimelineMark[];
  /** How many slices, arrows and marks were merged or left out to keep the sketch small (0: none). */
  simplified: number;
}

export interface TimelineLane {
  pid: number;
  role: string;
  startNs: number;
  /** When the process exited, or null when the trace does not say. */
  endNs: number | null;
  /** "exit 0", "SIGKILL", or null. */
  exit: string | null;
}

export interface TimelineSlice {
  lane: number;
  startNs: number;
  endNs: number;
  /** The call: "write", "read", "wait", ... */
  op: string;
  /** The process slept in it (it took long enough to count as blocked, or the kernel view saw it asleep). */
  blocked: boolean;
  /** Channel and bytes, for a tooltip and the legend: "pipe 4096 B". */
  label: string;
}

export interface TimelineArrow {
  fromLane: number;
  fromNs: number;
  toLane: number;
  toNs: number;
  label: string;
}

export interface TimelineMark {
  lane: number;
  atNs: number;
  kind: 'start' | 'exit' | 'eof' | 'error' | 'signal' | 'note' | 'check';
  label: string;
}

/** What the kernel view showed about one process at the moment a check names. */
export interface KernelFact {
  checkId: string;
  ts: string;
  pid: number;
  role: string;
  /** Process state and wait channel ("S", "pipe_write"). */
  state: string;
  wchan: string;
  /** The lab's own descriptors (the runtime's are left out): "3 -> pipe:[123] (write)". */
  fds: string[];
  /** /dev/shm mappings: "7f..-7f.. rw-s /dev/shm/ipc-lab-…". */
  mappings: string[];
  /** Sockets as /proc/net shows them: "tcp 127.0.0.1:7070 -> 127.0.0.1:40122 ESTABLISHED". */
  sockets: string[];
}

export interface RunEvidence {
  /**
   * Trace events embedded, in sequence order: all of them, or those the checks need to reach the same
   * verdicts. Each is its JSON text exactly as stored (the chain hashed that text); JSON.parse(data)
   * gives the event (a StoredEvent, main/contract/trace-events.ts, without runId and seq).
   */
  events: EvidenceEvent[];
  /** How many events the run has in all. */
  eventCount: number;
  /** The chain's first record: what the run was asked to be. */
  header: RunHeaderRecord;
  /** The chain's last record: how it ended. */
  end: RunEndRecord;
  /** The record hashes of the events not embedded, by seq range: enough to recompute the chain without them. */
  omitted: OmittedRange[];
  /** The last link of the run's chain, as the app stored it. */
  chainHead: string;
}

export interface EvidenceEvent {
  seq: number;
  data: string;
}

export interface OmittedRange {
  fromSeq: number;
  toSeq: number;
  /** The record hashes of events fromSeq..toSeq: their 32-byte SHA-256 digests concatenated, in base64. */
  recordHashes: string;
}

export interface RunHeaderRecord {
  type: 'run.start';
  runId: number;
  labId: string;
  stepId: string | null;
  scenarioId: string;
  params: ParamValues;
  startTs: string;
  startedAt: string;
  labVersion: string;
  machine: MachineFacts;
  /**
   * The chain head of the step's question answers when the run started (the versions it tested): left
   * out when none had been saved.
   */
  answersHead?: string;
}

export interface RunEndRecord {
  type: 'run.end';
  status: RunStatus;
  endedAt: string;
  message: string | null;
  processes: ProcessInfo[];
  checks: CheckResult[];
}
