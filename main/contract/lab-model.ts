/**
 * What a lab is, as the engine loads it from labs/ and the UI shows it. The on-disk format is described
 * in labs/README.md; these are the shapes after loading and checking it.
 */

/** A scenario parameter, with the range the student may choose from. */
export type ParamSpec =
  | { name: string; label: string; type: 'integer'; default: number; min: number; max: number; unit?: string; help?: string }
  | { name: string; label: string; type: 'boolean'; default: boolean; help?: string }
  | { name: string; label: string; type: 'choice'; default: string; options: string[]; help?: string };

export type ParamValue = number | boolean | string;
export type ParamValues = Record<string, ParamValue>;

/** A program the scenario starts directly (its own children are its business). */
export interface ScenarioProgram {
  role: string;
  /** Path of the TypeScript source, relative to the lab folder, e.g. "programs/parent.ts". */
  program: string;
}

export interface Scenario {
  id: string;
  title: string;
  programs: ScenarioProgram[];
  params: ParamSpec[];
  /** Wall-clock limit: the run is stopped and reported as timed out after this. */
  timeoutMs: number;
}

export interface CheckInfo {
  id: string;
  title: string;
}

export interface LabStep {
  id: string;
  title: string;
  scenario: string;
  /** Parameter values this step starts from (the scenario's defaults otherwise). */
  params: ParamValues;
  checks: CheckInfo[];
  /**
   * Runs without the step's phenomenon (parameters on top of the step's), each expected to fail the
   * checks it names: how the stability script shows that every check can fail.
   */
  variants: StepVariant[];
  /** The step's text in Markdown: what to predict, run and observe. */
  body: string;
}

export interface StepVariant {
  name: string;
  params: ParamValues;
  /** Ids of the step's checks this run must fail. */
  fails: string[];
}

export interface ProgramSource {
  path: string;
  source: string;
}

export interface LabSummary {
  id: string;
  title: string;
  summary: string;
  stepCount: number;
  passedSteps: number;
}

export interface Lab {
  id: string;
  title: string;
  summary: string;
  objectives: string[];
  /**
   * Operating systems the lab's mechanisms exist on (Node's process.platform names), or empty for all.
   * On any other the lab still opens, and Run says it is not supported there yet.
   */
  platforms: string[];
  /** The introduction in Markdown. */
  intro: string;
  /** SHA-256 (hex) over the lab's files (main/engine/lab-digest.ts): which version of the lab this is. */
  version: string;
  steps: LabStep[];
  scenarios: Scenario[];
  programs: ProgramSource[];
}

/** A problem found while loading labs/: where it is and what to do about it. */
export interface LabProblem {
  file: string;
  line: number;
  message: string;
}

export type StepStatus = 'not-started' | 'attempted' | 'passed';

export interface CheckResult {
  id: string;
  title: string;
  passed: boolean;
  /** What the trace showed, in a sentence ("Measured capacity: 65536 bytes"). */
  detail: string;
  /** Shown when the check failed: what to try. */
  hint: string;
  /** The trace `ts` of the evidence, where the views open after the run; null when the check names none. */
  moment: string | null;
}

/** 'completed': the run ended by itself and had no checks to pass or fail. */
export type RunStatus = 'starting' | 'running' | 'stopping' | 'completed' | 'passed' | 'failed' | 'stopped' | 'timed-out' | 'error';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  role: string;
  program: string;
  state: 'running' | 'exited' | 'killed';
  exitCode: number | null;
  signal: string | null;
}

export interface RunSummary {
  runId: number;
  /** The lab version the run ran with (null for runs stored before versions were recorded). */
  labVersion: string | null;
  sessionId: number;
  labId: string;
  stepId: string | null;
  scenarioId: string;
  params: ParamValues;
  status: RunStatus;
  /** Monotonic ns (decimal string) at which the run started: the origin of its timeline. */
  startTs: string;
  startedAt: string;
  endedAt: string | null;
  /** Why the run ended the way it did, when that is not obvious from the checks. */
  message: string | null;
  processes: ProcessInfo[];
  checks: CheckResult[];
}

export interface StepProgress {
  status: StepStatus;
  answer: string;
  lastRunId: number | null;
}

export interface SessionSummary {
  sessionId: number;
  labId: string;
  startedAt: string;
  runCount: number;
  passedSteps: number;
}
