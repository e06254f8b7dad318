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
  /**
   * Parameter values this step starts from (the scenario's defaults otherwise). As `labs.get` gives it,
   * the student's own value of each randomised parameter is in it (main/engine/student-params.ts).
   */
  params: ParamValues;
  /**
   * The values a student may be given, per parameter: each student gets one of them, picked from a seed
   * kept with their identity, so that two students' answers differ. A variant's values still override.
   */
  randomise: Record<string, ParamValue[]>;
  checks: CheckInfo[];
  /**
   * Runs without the step's phenomenon (parameters on top of the step's), each expected to fail the
   * checks it names: how the stability script shows that every check can fail.
   */
  variants: StepVariant[];
  /** The step's text in Markdown: what to predict, run and observe. */
  body: string;
  /** Asked before the step's first run, graded after each run (main/engine/grading.ts). */
  questions: Question[];
  /**
   * The variant the student runs as a control (its `name`), or null: the run without the phenomenon,
   * where the checks it names must fail. A step with a control is mastered only once it was run.
   */
  control: string | null;
  /** Shown one at a time, one more after each failed run; the last gives the answer away. */
  hints: string[];
}

/**
 * A number a check read off the run's trace (bytes written before a write blocked, updates lost, a
 * round trip in microseconds): what a question's answer is graded against.
 */
export interface Measurement {
  id: string;
  value: number;
  unit: string;
}

/** How a chart's axis spaces its values: evenly, or by powers of two (message sizes, process counts). */
export type ChartScale = 'linear' | 'log2';

/** One axis of a chart, as a check declares it (main/engine/check-kit.ts `charts`). */
export interface ChartAxis {
  /** What the axis shows, in a few words ("message size", "speed-up"). */
  label: string;
  /** The unit of its values ("bytes", "MiB/s", "x"); printed beside every tick and in the table. */
  unit: string;
  /** Evenly spaced (the default), or by powers of two; a log2 axis holds only positive values. */
  scale?: ChartScale;
}

/** One point of a curve, in the axes' units. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** One curve of a chart: its name (the legend's text) and its points, in the declared units. */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

/** A chart may hold at most this many series (one colour and marker shape each) ... */
export const CHART_MAX_SERIES = 8;
/** ... and each series at most this many points: a curve over parameters, never a trace. */
export const CHART_MAX_POINTS = 256;

/**
 * A curve a check read off the run's trace (main/engine/check-charts.ts builds it from the check's
 * declaration and its outcome): what the app, the CLI and the report draw under the check's result.
 * Every value is finite, and positive on a log2 axis; the axes' scale is always set.
 */
export interface MeasuredChart {
  /** The id the check declares it under (lower-case words and dashes, like speed-up). */
  id: string;
  title: string;
  x: ChartAxis & { scale: ChartScale };
  y: ChartAxis & { scale: ChartScale };
  /** At most CHART_MAX_SERIES, each with at most CHART_MAX_POINTS points, in the order the check gave them. */
  series: ChartSeries[];
}

/** How far from the expected value an answer may be: in the answer's unit, or as a fraction of the expected value. */
export type Tolerance = { absolute: number } | { relative: number };

interface QuestionBase {
  /** Unique within the step: answers are kept under it. */
  id: string;
  /** The question, in Markdown. */
  prompt: string;
  /** Shown after the run, whatever the answer: written to teach, not to scold. */
  explanation: string;
}

export interface NumberQuestion extends QuestionBase {
  type: 'number';
  unit: string;
  /**
   * What the answer is compared with: a measurement one of the step's checks produces from this run, a
   * fixed value, or a formula over the run's own parameters (a template such as "slots" or
   * "producers * items", main/contract/param-template.ts), for a fixed answer that depends on them.
   */
  expected: { measurement: string } | { value: number } | { formula: string };
  /** An answer this close is right. */
  right: Tolerance;
  /** An answer this close (and not right) is close; null: nothing between right and wrong. */
  close: Tolerance | null;
}

export interface ChoiceOption {
  /** Unique within the question ("a", "b", ... unless the lab names them). */
  id: string;
  text: string;
  correct: boolean;
  /** For a wrong option: the misconception choosing it reveals. Null for a right one. */
  why: string | null;
}

export interface ChoiceQuestion extends QuestionBase {
  type: 'choice';
  /** Whether more than one option may be chosen (every right one, and no wrong one, is needed then). */
  multiple: boolean;
  options: ChoiceOption[];
}

export interface OrderQuestion extends QuestionBase {
  type: 'order';
  /** In the order they happen; the page shows them shuffled. */
  items: { id: string; text: string }[];
}

export interface TextQuestion extends QuestionBase {
  type: 'text';
  /** Characters the answer may hold. */
  maxLength: number;
}

export type Question = NumberQuestion | ChoiceQuestion | OrderQuestion | TextQuestion;
export type QuestionType = Question['type'];

/**
 * A student's answer to one question: a number; the chosen option ids (choice) or the item ids in the
 * student's order (order); text; or null when the student chose to skip the question.
 */
export type AnswerValue = number | string[] | string | null;

/** One saved version of an answer. Saved versions are never changed: an edit is a new one. */
export interface SavedAnswer {
  questionId: string;
  value: AnswerValue;
  savedAt: string;
  /**
   * The first run of the step that started after this version was saved, which locked it, or null
   * while it is still a draft.
   */
  lockedByRun: number | null;
}

/**
 * - right / close / wrong: compared with the measurement or fixed value;
 * - skipped: the student chose not to answer; unanswered: no answer was given before the run;
 * - not-graded: a text question, shown back beside what happened;
 * - no-measurement: this run's checks did not produce the measurement (the run did not show the phenomenon);
 * - variant: the run was a variant of the step (its control or another), which takes away what the
 *   questions ask about: not compared with it.
 */
export type Verdict = 'right' | 'close' | 'wrong' | 'skipped' | 'unanswered' | 'not-graded' | 'no-measurement' | 'variant';

export interface Grade {
  questionId: string;
  verdict: Verdict;
  /** The answer graded (as saved), or null for skipped and unanswered. */
  answer: AnswerValue;
  /** What it was compared with: the measured or fixed number, the right option ids, the right order; null when there was none. */
  expected: number | string[] | null;
  /** One sentence comparing the answer with what the run showed. */
  feedback: string;
  explanation: string;
}

/**
 * The variant of its step a run ran (main/contract/run-variant.ts): the step's control, or another
 * variant its text asks the student to try. Each takes away what the step shows; `fails` are the checks
 * that must then fail, and `asExpected` says they did: the outcome is the lesson, not a mistake.
 */
export interface RunVariant {
  name: string;
  control: boolean;
  fails: string[];
  asExpected: boolean;
}

/** What the student has done on a step: mastery needs a prediction first, a passing run, and the control where there is one. */
export interface StepMastery {
  status: 'not-started' | 'attempted' | 'mastered';
  /** Every question of the step had an answer (not skipped) before the step's first run. */
  predictedFirst: boolean;
  /** A run whose checks all passed. */
  passingRun: number | null;
  /** A run of the control variant whose named checks failed, as expected; null when none (or no control). */
  controlRun: number | null;
  /** Hints shown so far (one more after each failed run, up to all of them). */
  hintsShown: number;
}

export interface StepVariant {
  name: string;
  params: ParamValues;
  /** Ids of the step's checks this run must fail. */
  fails: string[];
}

/** A file the Programs panel shows as source. */
export interface ProgramSource {
  /** Relative to the lab's folder (`programs/writer.ts`, `checks.ts`) or, for the library, to the project (`main/runtime/line-reader.ts`). */
  path: string;
  source: string;
  /**
   * Whose file it is: `lab` a file of the lab's own folder (its programs, its checks), `library` a file of
   * IPC Lab itself that the lab lists for the student to read (lab.md `library:`), shared by every lab.
   */
  origin: 'lab' | 'library';
}

export interface LabSummary {
  id: string;
  title: string;
  summary: string;
  stepCount: number;
  passedSteps: number;
  /** Steps mastered (main/engine/mastery.ts): predicted first, a passing run, and the control where there is one. */
  masteredSteps: number;
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
  /** The closing quiz on the lab's misconceptions: questions with fixed answers (no measurement). */
  quiz: Question[];
  scenarios: Scenario[];
  programs: ProgramSource[];
}

/** The longest free-text prediction a step keeps, in UTF-16 code units (what a textarea's maxlength counts). */
export const PREDICTION_MAX_LENGTH = 20_000;

/** The step id a lab's quiz answers are kept under (no step may have it). */
export const QUIZ_STEP = 'quiz';

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
  /** What the check measured from the trace, for grading answers; left out when it measured nothing. */
  measurements?: Measurement[];
  /** The curves the check read off the trace (speed-up against k, throughput against message size); left out when it drew none. */
  charts?: MeasuredChart[];
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
  /** Every saved version of the answers to the step's questions, oldest first. */
  answers: SavedAnswer[];
  mastery: StepMastery;
}

export interface SessionSummary {
  sessionId: number;
  labId: string;
  startedAt: string;
  runCount: number;
  passedSteps: number;
}
