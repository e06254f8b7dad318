/**
 * A step's questions on the page: predict, run, compare. The student's answers are saved as they are
 * given (a number or text after a pause in typing, a choice at once); Run sends any answer still
 * waiting before the run starts, so the run tests it. The engine keeps every version: once a run has
 * tested an answer, an edit is a new version, and the page says so rather than pretending the old one
 * changed. After a run, each answer is shown beside what that run measured (`runs.grade`).
 *
 * An answer the engine could not be reached for (the connection went down) is kept in this browser's
 * storage and sent when the step is opened again with the engine back: nothing typed is lost.
 */
import type { Bridge } from '../../../../main/contract/commands.js';
import { answerProblem } from '../../../../main/contract/answer-rules.js';
import type {
  AnswerValue,
  Grade,
  LabStep,
  ParamValues,
  Question,
  RunSummary,
  RunVariant,
  SavedAnswer,
  StepMastery,
  StepProgress,
} from '../../../../main/contract/lab-model.js';
import { fillStep } from '../../../../main/contract/param-template.js';
import { errorText, isFinal } from '../format.js';

export type AnswerState = 'idle' | 'pending' | 'saving' | 'saved' | 'error' | 'kept-locally';

/** How long after the last keystroke a typed answer is saved. */
const TYPING_PAUSE_MS = 600;
const LOCAL_KEY = 'ipc-lab.unsent-answers';

interface Unsent {
  labId: string;
  stepId: string;
  questionId: string;
  value: AnswerValue;
}

export const NO_MASTERY: StepMastery = { status: 'not-started', predictedFirst: false, passingRun: null, controlRun: null, hintsShown: 0 };

export class StepQuestions {
  readonly #bridge: Bridge;
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** The parameter values the page shows, which fill the questions' and hints' templates ({slots}). */
  #paramsShown: () => ParamValues = () => ({});
  #labId = '';
  #step = $state.raw<LabStep | null>(null);
  /** The step's questions and hints, filled in for the values the page shows. */
  readonly #shown = $derived(this.#step ? fillStep(this.#step, this.#paramsShown()) : null);
  #versions = $state.raw<SavedAnswer[]>([]);
  /** What the form shows, per question: the last saved version, or what the student is giving now. */
  #values = $state<Record<string, AnswerValue | undefined>>({});
  #states = $state<Record<string, AnswerState>>({});
  #errors = $state<Record<string, string | null>>({});
  #notes = $state<Record<string, string | null>>({});
  #mastery = $state.raw<StepMastery>(NO_MASTERY);
  #grades = $state.raw<Grade[] | null>(null);
  #gradedRun = $state<number | null>(null);
  #variant = $state.raw<RunVariant | null>(null);
  #gradeError = $state<string | null>(null);
  // Bookkeeping, not shown: the states above say what the page shows of it.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- timers are not state the page reads
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- answers waiting to be sent; #states shows them
  #unsent = new Map<string, AnswerValue>();
  /** Bumped on every step opened: answers to calls for another step no longer apply. */
  #token = 0;

  constructor(
    bridge: Bridge,
    storage: Pick<Storage, 'getItem' | 'setItem'> | null = globalThis.localStorage ?? null,
    paramsShown: () => ParamValues = () => ({}),
  ) {
    this.#bridge = bridge;
    this.#storage = storage;
    this.#paramsShown = paramsShown;
  }

  get questions(): Question[] {
    return this.#shown?.questions ?? [];
  }
  get hints(): string[] {
    return this.#shown?.hints.slice(0, this.#mastery.hintsShown) ?? [];
  }
  get hintCount(): number {
    return this.#step?.hints.length ?? 0;
  }
  get mastery(): StepMastery {
    return this.#mastery;
  }
  /** The grades of the run shown, or null before one has ended (or while they load). */
  get grades(): Grade[] | null {
    return this.#grades;
  }
  get gradedRun(): number | null {
    return this.#gradedRun;
  }
  /** Set when the run shown ran a variant of the step (its control or another the text asks for). */
  get variant(): RunVariant | null {
    return this.#variant;
  }
  get gradeError(): string | null {
    return this.#gradeError;
  }
  /** Whether any run of the step has tested an answer: from then on an edit is a new version. */
  get tested(): boolean {
    return this.#versions.some((v) => v.lockedByRun !== null);
  }

  value(questionId: string): AnswerValue | undefined {
    return this.#values[questionId];
  }
  state(questionId: string): AnswerState {
    return this.#states[questionId] ?? 'idle';
  }
  error(questionId: string): string | null {
    return this.#errors[questionId] ?? null;
  }
  /** Set after an edit of an answer a run tested: that version is kept, this one is new. */
  note(questionId: string): string | null {
    return this.#notes[questionId] ?? null;
  }
  /** The version the step's first run tested (the original prediction), if there was one. */
  original(questionId: string): SavedAnswer | undefined {
    const first = this.#versions.find((v) => v.lockedByRun !== null)?.lockedByRun;
    return this.#versions.findLast((v) => v.questionId === questionId && v.lockedByRun === first && first !== undefined);
  }
  /** Every saved version of one answer, oldest first. */
  versions(questionId: string): SavedAnswer[] {
    return this.#versions.filter((v) => v.questionId === questionId);
  }
  grade(questionId: string): Grade | undefined {
    return this.#grades?.find((g) => g.questionId === questionId);
  }

  /** Shows a step's questions with the answers saved so far (and any kept here while the engine was away). */
  open(labId: string, step: LabStep | null, progress: StepProgress | undefined): void {
    this.#cancelTimers();
    this.#token++;
    this.#labId = labId;
    this.#step = step;
    this.#versions = progress?.answers ?? [];
    this.#mastery = progress?.mastery ?? NO_MASTERY;
    this.#grades = null;
    this.#gradedRun = null;
    this.#variant = null;
    this.#gradeError = null;
    this.#states = {};
    this.#errors = {};
    this.#notes = {};
    this.#unsent.clear();
    const values: Record<string, AnswerValue | undefined> = {};
    for (const v of this.#versions) values[v.questionId] = v.value;
    for (const kept of this.#readLocal().filter((u) => u.labId === labId && u.stepId === step?.id)) {
      values[kept.questionId] = kept.value;
      this.#unsent.set(kept.questionId, kept.value);
      this.#states[kept.questionId] = 'kept-locally';
    }
    this.#values = values;
    if (this.#unsent.size > 0) void this.flush();
  }

  /** The step's progress as the engine has it now (after a run: the versions it locked, the mastery). */
  refresh(progress: StepProgress | undefined): void {
    if (!progress) return;
    // Versions saved here but not yet in that answer stay: the answer raced the refresh.
    const known = (v: SavedAnswer) => progress.answers.some((p) => p.questionId === v.questionId && p.savedAt === v.savedAt);
    this.#versions = [...progress.answers, ...this.#versions.filter((v) => v.lockedByRun === null && !known(v))];
    this.#mastery = progress.mastery;
  }

  /** Gives an answer (null: skip the question). `typing`: wait for a pause before saving. */
  set(questionId: string, value: AnswerValue, typing = false): void {
    const question = this.questions.find((q) => q.id === questionId);
    if (!question) return;
    this.#values[questionId] = value;
    this.#notes[questionId] = null;
    const problem = answerProblem(question, value);
    this.#errors[questionId] = problem ? `${problem[0]!.toUpperCase()}${problem.slice(1)}.` : null;
    clearTimeout(this.#timers.get(questionId));
    this.#timers.delete(questionId);
    if (problem) {
      this.#unsent.delete(questionId);
      this.#states[questionId] = 'error';
      return;
    }
    this.#unsent.set(questionId, value);
    this.#states[questionId] = 'pending';
    if (typing)
      this.#timers.set(
        questionId,
        setTimeout(() => void this.flush(), TYPING_PAUSE_MS),
      );
    else void this.flush();
  }

  /** Sends every answer still waiting; resolves when each was saved or refused. Run awaits it. */
  async flush(): Promise<void> {
    this.#cancelTimers();
    const step = this.#step;
    if (!step || this.#unsent.size === 0) return;
    const token = this.#token;
    const labId = this.#labId;
    const waiting = [...this.#unsent];
    this.#unsent.clear();
    for (const [questionId] of waiting) this.#states[questionId] = 'saving';
    await Promise.all(
      waiting.map(async ([questionId, value]) => {
        try {
          const { saved, note } = await this.#bridge.call('questions.answer', { labId, stepId: step.id, questionId, value });
          this.#forgetLocal(labId, step.id, questionId);
          if (token !== this.#token) return;
          this.#versions = [...this.#versions, saved];
          this.#notes[questionId] = note;
          // A newer answer given meanwhile is still waiting: its own save says when it is saved.
          if (!this.#unsent.has(questionId)) this.#states[questionId] = 'saved';
        } catch (error) {
          const refused = isRefusal(error);
          if (!refused) this.#keepLocal({ labId, stepId: step.id, questionId, value });
          if (token !== this.#token) return;
          this.#states[questionId] = refused ? 'error' : 'kept-locally';
          this.#errors[questionId] = refused ? errorText(error).message : null;
        }
      }),
    );
  }

  /** The lab's quiz graded as answered now (it has no run): `quiz.grade`, after sending what waits. */
  async gradeQuiz(): Promise<void> {
    await this.flush();
    const token = this.#token;
    this.#gradeError = null;
    try {
      const { grades } = await this.#bridge.call('quiz.grade', { labId: this.#labId });
      if (token !== this.#token) return;
      this.#grades = grades;
    } catch (error) {
      if (token === this.#token) this.#gradeError = errorText(error).message;
    }
  }

  /** Grades of a finished run of this step, from the engine; cleared for any other run. */
  async showRun(run: RunSummary | null): Promise<void> {
    const step = this.#step;
    if (!step || !run || run.stepId !== step.id || !isFinal(run.status)) {
      this.#grades = null;
      this.#gradedRun = null;
      this.#variant = null;
      return;
    }
    if (this.#gradedRun === run.runId && this.#grades) return;
    const token = this.#token;
    this.#gradeError = null;
    try {
      const { grades, variant, mastery } = await this.#bridge.call('runs.grade', { runId: run.runId });
      if (token !== this.#token) return;
      this.#grades = grades;
      this.#gradedRun = run.runId;
      this.#variant = variant;
      if (mastery) this.#mastery = mastery;
    } catch (error) {
      if (token === this.#token) this.#gradeError = errorText(error).message;
    }
  }

  #cancelTimers(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #readLocal(): Unsent[] {
    try {
      const parsed: unknown = JSON.parse(this.#storage?.getItem(LOCAL_KEY) ?? '[]');
      return Array.isArray(parsed) ? (parsed as Unsent[]) : [];
    } catch {
      return [];
    }
  }

  #keepLocal(unsent: Unsent): void {
    const rest = this.#readLocal().filter((u) => !sameQuestion(u, unsent));
    this.#storage?.setItem(LOCAL_KEY, JSON.stringify([...rest, unsent]));
  }

  #forgetLocal(labId: string, stepId: string, questionId: string): void {
    const kept = this.#readLocal();
    const rest = kept.filter((u) => !sameQuestion(u, { labId, stepId, questionId }));
    if (rest.length !== kept.length) this.#storage?.setItem(LOCAL_KEY, JSON.stringify(rest));
  }
}

function sameQuestion(a: Pick<Unsent, 'labId' | 'stepId' | 'questionId'>, b: Pick<Unsent, 'labId' | 'stepId' | 'questionId'>): boolean {
  return a.labId === b.labId && a.stepId === b.stepId && a.questionId === b.questionId;
}

/** The engine answered and said no (a bad answer): unlike a lost connection, sending again will not help. */
function isRefusal(error: unknown): boolean {
  return !!error && typeof error === 'object' && 'info' in error;
}
