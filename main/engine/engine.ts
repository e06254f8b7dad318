/**
 * The lab engine: the one service both hosts (Electron, browser) and the CLI drive. It never imports
 * electron, so it runs under plain Node.
 *
 * It checks every request against the contract (main/contract/commands.ts), answers with the response
 * or a UserError that says what to fix, and pushes trace batches and run updates to its listeners.
 * One run goes at a time.
 */
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  commandSchemas,
  RUN_EVENTS_PAGE_BYTES,
  type CheckedRequest,
  type CommandName,
  type CommandResponse,
  type EngineEvents,
  type EventName,
  type WireEvent,
} from '../contract/commands.js';
import { toErrorInfo, UserError } from '../contract/errors.js';
import { QUIZ_STEP, type LabStep, type ParamValues, type RunSummary, type StepMastery, type StepProgress } from '../contract/lab-model.js';
import { answerProblem } from '../contract/answer-rules.js';
import { gradeQuiz, gradeRun } from './grading.js';
import { runVariant, variantAsExpected } from '../contract/run-variant.js';
import { stepMastery } from './mastery.js';
import type { CommandOutcome, EngineHandle, EngineOptions } from './engine-handle.js';
import { DiskFullError, EventStore } from './event-store.js';
import { LabRun } from './lab-run.js';
import { liveBatch } from './live-batch.js';
import { loadLabs, paramProblem, type LabCatalogue, type LoadedLab } from './lab-loader.js';
import { findProjectRoot } from '../project-root.js';
import { sweepLeftoverObjects, sweepLeftoverRunDirs } from './leftovers.js';
import { native } from '../native/index.js';
import type { StudentIdentity } from '../contract/report-format.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { machineFacts } from './machine-facts.js';
import { studentStepValues } from './student-params.js';
import { readFileSync } from 'node:fs';

/** $IPC_LAB_HOME, else ~/.local/share/ipc-lab (browser and CLI modes; Electron uses userData). */
export function defaultDataDir(): string {
  return process.env.IPC_LAB_HOME || join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'ipc-lab');
}

export type { EngineHandle, EngineOptions } from './engine-handle.js';

type Handlers = { [C in CommandName]: (request: CheckedRequest<C>) => Promise<CommandResponse<C>> | CommandResponse<C> };

export class Engine implements EngineHandle {
  /** Each listener, and whether it wants every event (onEvent). */
  private readonly listeners = new Map<(event: WireEvent) => void, boolean>();
  /** The machine every run of this engine runs on. */
  private readonly machine = machineFacts();
  private readonly sessions = new Map<string, number>();
  private activeRun: LabRun | undefined;
  private closed = false;

  private constructor(
    readonly store: EventStore,
    private catalogue: LabCatalogue,
    private readonly labsDir: string,
    private readonly compiledRoot: string,
    private readonly appVersion: string,
    private readonly eventBudget: number | undefined,
  ) {}

  static async open(options: EngineOptions): Promise<Engine> {
    const root = findProjectRoot();
    const labsDir = options.labsDir ?? join(root, 'labs');
    // Lab programs and checks run compiled: labs/x -> dist/labs/x, test/fixtures/labs/x -> dist/test/fixtures/labs/x.
    const compiledRoot = join(root, 'dist', relative(root, labsDir));
    sweepLeftoverRunDirs();
    sweepLeftoverObjects();
    // Lab processes get the descriptors a lab hands them and nothing the host inherited.
    native().markInheritedCloseOnExec(3);
    const store = openStore(options.dataDir);
    try {
      if (!store.readOnly) store.closeAbandonedRuns();
    } catch (error) {
      // A full disk: those runs stay as they were until a start with room to mark them.
      if (!(error instanceof DiskFullError)) throw error;
    }
    return new Engine(store, await loadLabs(labsDir, compiledRoot), labsDir, compiledRoot, appVersion(root), options.eventBudget);
  }

  async handle(command: string, request: unknown): Promise<CommandOutcome> {
    try {
      if (this.closed) throw new UserError('internal', 'The engine is shutting down.', 'Restart IPC Lab.');
      if (!Object.hasOwn(commandSchemas, command))
        throw new UserError('unknown-command', `Unknown command ${quoted(command)}.`, `Use one of: ${Object.keys(commandSchemas).join(', ')}.`);
      const name = command as CommandName;
      const parsed = commandSchemas[name].safeParse(request ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UserError(
          'bad-request',
          `Bad request for ${name}: ${issue.path.length ? `"${issue.path.join('.')}" ` : ''}${issue.message}.`,
          'Send the fields the contract (main/contract/commands.ts) describes.',
        );
      }
      const handler = this.handlers[name] as (request: unknown) => Promise<unknown> | unknown;
      return { ok: true, response: await handler(parsed.data) };
    } catch (error) {
      return { ok: false, error: toErrorInfo(error) };
    }
  }

  /** The same as handle(), typed, throwing the UserError: for the CLI and tests. */
  async call<C extends CommandName>(command: C, request: CheckedRequest<C> | Record<string, unknown>): Promise<CommandResponse<C>> {
    const outcome = await this.handle(command, request);
    if (!outcome.ok) throw new UserError(outcome.error.code, outcome.error.message, outcome.error.fix);
    return outcome.response as CommandResponse<C>;
  }

  /**
   * Hears what the engine pushes. A page's host takes `trace:batch` bounded (live-batch.ts: at most about
   * LIVE_BATCH_MAX_EVENTS events each); `everyEvent` hands this listener every stored event instead
   * (the CLI prints them all; tests compare them with the store).
   */
  onEvent(listener: (event: WireEvent) => void, options: { everyEvent?: boolean } = {}): () => void {
    this.listeners.set(listener, options.everyEvent ?? false);
    return () => this.listeners.delete(listener);
  }

  private push<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    for (const listener of this.listeners.keys()) listener({ event, payload });
  }

  /** A stored batch: whole to the listeners that want every event, bounded to the rest. */
  private pushBatch(runId: number, events: StoredEvent[]): void {
    let bounded: EngineEvents['trace:batch'] | undefined;
    for (const [listener, everyEvent] of this.listeners) {
      const payload = everyEvent ? { runId, events, skipped: 0, lastSeq: events.at(-1)?.seq ?? 0 } : (bounded ??= liveBatch(runId, events));
      listener({ event: 'trace:batch', payload });
    }
  }

  /** The run going on now, if any. */
  get currentRun(): LabRun | undefined {
    return this.activeRun;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const run = this.activeRun;
    if (run) {
      run.stop('stopped', 'The app was closed during the run.');
      await run.done;
    }
    this.store.close();
  }

  /** Loads labs/ again (after a lab file changed). */
  async reloadLabs(): Promise<void> {
    this.catalogue = await loadLabs(this.labsDir, this.compiledRoot);
  }

  /** The labs as loaded, checks included (for `report verify`, which re-runs them). */
  get loadedLabs(): LoadedLab[] {
    return this.catalogue.labs;
  }

  get problems() {
    return this.catalogue.problems;
  }

  findLab(labId: string): LoadedLab {
    const lab = this.catalogue.labs.find((l) => l.id === labId || l.dir.endsWith(`/${labId}`));
    if (!lab) {
      const broken = this.catalogue.problems.find((p) => p.file.includes(labId));
      if (broken)
        throw new UserError(
          'lab-broken',
          `Lab "${labId}" could not be loaded: ${broken.file}:${broken.line}: ${broken.message}`,
          'Fix that line of the lab file.',
        );
      throw new UserError(
        'unknown-lab',
        `There is no lab "${labId}".`,
        `Choose one of: ${this.catalogue.labs.map((l) => l.id).join(', ') || '(no labs loaded)'}.`,
      );
    }
    return lab;
  }

  private findStep(lab: LoadedLab, stepId: string): LabStep {
    const step = lab.steps.find((s) => s.id === stepId);
    if (!step) throw new UserError('unknown-step', `Lab "${lab.id}" has no step "${stepId}".`, `Choose one of: ${lab.steps.map((s) => s.id).join(', ')}.`);
    return step;
  }

  private masteryOf(lab: LoadedLab, step: LabStep): StepMastery {
    return stepMastery(step, this.store.runs({ labId: lab.id, stepId: step.id }), this.store.questionAnswers(lab.id, step.id).versions);
  }

  /** Each step's progress: what the store keeps, the versions of its answers, and its mastery. */
  private progressOf(lab: LoadedLab): Record<string, StepProgress> {
    const stored = this.store.progress(lab.id);
    return Object.fromEntries(
      lab.steps.map((step) => [
        step.id,
        {
          ...(stored[step.id] ?? { status: 'not-started', answer: '', lastRunId: null }),
          answers: this.store.questionAnswers(lab.id, step.id).versions,
          mastery: this.masteryOf(lab, step),
        },
      ]),
    );
  }

  private readonly handlers: Handlers = {
    'labs.list': () => ({
      labs: this.catalogue.labs.map((lab) => {
        const progress = this.store.progress(lab.id);
        return {
          id: lab.id,
          title: lab.title,
          summary: lab.summary,
          stepCount: lab.steps.length,
          passedSteps: lab.steps.filter((s) => progress[s.id]?.status === 'passed').length,
          masteredSteps: lab.steps.filter((s) => this.masteryOf(lab, s).status === 'mastered').length,
        };
      }),
      problems: this.catalogue.problems,
    }),

    'labs.get': ({ labId }) => {
      const lab = this.findLab(labId);
      const { dir: _dir, compiledDir: _compiledDir, checks: _checks, ...publicLab } = lab;
      const lastRunId = this.store.lastRunOf(lab.id);
      return {
        // Each step starts from the student's own values: the form, its "reset" and the CLI all read them here.
        lab: { ...publicLab, steps: lab.steps.map((step) => ({ ...step, params: this.stepValues(lab, step) })) },
        progress: this.progressOf(lab),
        lastRun: lastRunId === null ? null : (this.store.run(lastRunId) ?? null),
        quizAnswers: this.store.questionAnswers(lab.id, QUIZ_STEP).versions,
      };
    },

    'runs.start': async ({ labId, scenarioId, stepId, params }) => {
      const lab = this.findLab(labId);
      const scenario = lab.scenarios.find((s) => s.id === scenarioId);
      if (!scenario)
        throw new UserError(
          'unknown-scenario',
          `Lab "${lab.id}" has no scenario "${scenarioId}".`,
          `Choose one of: ${lab.scenarios.map((s) => s.id).join(', ')}.`,
        );
      const step = stepId === undefined ? lab.steps.find((s) => s.scenario === scenario.id) : lab.steps.find((s) => s.id === stepId);
      if (stepId !== undefined && !step)
        throw new UserError('unknown-step', `Lab "${lab.id}" has no step "${stepId}".`, `Choose one of: ${lab.steps.map((s) => s.id).join(', ')}.`);
      if (step && step.scenario !== scenario.id)
        throw new UserError(
          'unknown-scenario',
          `Step "${step.id}" runs scenario "${step.scenario}", not "${scenario.id}".`,
          `Run it with scenario "${step.scenario}".`,
        );
      // Scenario defaults < the step's values < the student's randomised picks < the request's (a variant's, the form's).
      const values = this.resolveParams(scenario.params, { ...(step ? this.stepValues(lab, step) : {}), ...params });
      if (lab.platforms.length > 0 && !lab.platforms.includes(process.platform))
        throw new UserError(
          'unsupported-platform',
          `The ${lab.title} lab is not supported on ${platformName(process.platform)} yet: its kernel objects exist here only on ${lab.platforms.map(platformName).join(', ')}.`,
          'Run this lab on Linux (a virtual machine will do); the other labs work here.',
        );
      this.store.assertWritable();
      if (this.activeRun)
        throw new UserError('run-in-progress', `Run ${this.activeRun.runId} is still going.`, 'Stop it, or wait for it to end, before starting another.');

      let sessionId = this.sessions.get(lab.id);
      if (sessionId === undefined) {
        sessionId = this.store.createSession(lab.id);
        this.sessions.set(lab.id, sessionId);
      }
      const startTs = process.hrtime.bigint();
      const runId = this.store.createRun({
        sessionId,
        labId: lab.id,
        stepId: step?.id ?? null,
        scenarioId: scenario.id,
        params: values,
        startTs,
        labVersion: lab.version,
        machine: this.machine,
      });
      const run = new LabRun({
        runId,
        labId: lab.id,
        stepId: step?.id ?? null,
        scenario,
        params: values,
        compiledDir: lab.compiledDir,
        checks: (step?.checks ?? []).map((c) => ({ id: c.id, definition: lab.checks[c.id]! })),
        startTs,
        store: this.store,
        onBatch: (events) => this.pushBatch(runId, events),
        onUpdate: (summary) => this.push('run:updated', { run: summary }),
        eventBudget: this.eventBudget,
      });
      this.activeRun = run;
      void run.done.then(() => {
        if (this.activeRun === run) this.activeRun = undefined;
      });
      try {
        await run.start();
      } catch (error) {
        // By the time done resolves, what the start began is undone and its row is gone.
        await run.done;
        throw startFailure(error);
      }
      return { run: this.store.run(runId)! };
    },

    'runs.stop': async ({ runId }) => {
      const run = this.activeRun;
      if (!run || run.runId !== runId) {
        const summary = this.store.run(runId);
        if (!summary) throw new UserError('unknown-run', `There is no run ${runId}.`, 'Stop the run shown on the lab page.');
        return { run: summary };
      }
      run.stop();
      return { run: await run.done };
    },

    'runs.get': ({ runId, afterSeq, limit, kinds }) => {
      const run = this.store.run(runId);
      if (!run) throw new UserError('unknown-run', `There is no run ${runId}.`, 'Choose a run from the lab page, or from `ipc-lab runs`.');
      return { run, ...this.store.eventPage(runId, afterSeq, limit, RUN_EVENTS_PAGE_BYTES, kinds), stored: this.store.lastSeq(runId) };
    },

    'answers.save': ({ labId, stepId, text }) => {
      const lab = this.findLab(labId);
      this.findStep(lab, stepId);
      this.store.assertWritable();
      this.store.saveAnswer(lab.id, stepId, text);
      return { saved: true as const };
    },

    'questions.answer': ({ labId, stepId, questionId, value }) => {
      const lab = this.findLab(labId);
      // The quiz's answers are kept as a step's are, under QUIZ_STEP; no run ever locks them.
      const questions = stepId === QUIZ_STEP ? lab.quiz : this.findStep(lab, stepId).questions;
      const asker = stepId === QUIZ_STEP ? `The ${lab.title} quiz` : `Step "${stepId}"`;
      const question = questions.find((q) => q.id === questionId);
      if (!question)
        throw new UserError(
          'unknown-question',
          `${asker} has no question "${questionId}".`,
          questions.length ? `Choose one of: ${questions.map((q) => q.id).join(', ')}.` : 'It asks no questions.',
        );
      const problem = answerProblem(question, value);
      if (problem) throw new UserError('bad-answer', `The answer was not saved: ${problem}.`, 'Answer again with a value of that kind, or skip the question.');
      this.store.assertWritable();
      const tested = this.store.questionAnswers(lab.id, stepId).versions.filter((v) => v.questionId === questionId && v.lockedByRun !== null);
      const saved = this.store.saveQuestionAnswer(lab.id, stepId, questionId, value);
      const lastTested = tested.at(-1);
      const note = lastTested
        ? `Saved as a new version: run ${lastTested.lockedByRun} tested your answer from ${lastTested.savedAt}, which is kept as it was. Your next run tests this one.`
        : null;
      return { saved, note };
    },

    'quiz.grade': ({ labId }) => {
      const lab = this.findLab(labId);
      return { grades: gradeQuiz(lab.quiz, this.store.questionAnswers(lab.id, QUIZ_STEP).versions) };
    },

    'runs.grade': ({ runId }) => {
      const run = this.store.run(runId);
      if (!run) throw new UserError('unknown-run', `There is no run ${runId}.`, 'Choose a run from the lab page, or from `ipc-lab runs`.');
      const lab = this.findLab(run.labId);
      const step = run.stepId === null ? undefined : lab.steps.find((s) => s.id === run.stepId);
      if (!step) return { grades: [], variant: null, mastery: null };
      const variant = runVariant(step, run.params);
      return {
        grades: gradeRun(step.questions, this.store.answersOfRun(runId), run.checks, run.params, variant?.name),
        variant: variant && { name: variant.name, control: variant.name === step.control, fails: variant.fails, asExpected: variantAsExpected(variant, run) },
        mastery: this.masteryOf(lab, step),
      };
    },

    'sessions.list': () => ({ sessions: this.store.sessions() }),

    'runs.list': ({ labId, stepId, limit }) => {
      const lab = labId === undefined ? undefined : this.findLab(labId);
      if (stepId !== undefined && !lab) throw new UserError('bad-request', 'A step is named without its lab.', 'Give labId with stepId.');
      if (lab && stepId !== undefined && !lab.steps.some((s) => s.id === stepId))
        throw new UserError('unknown-step', `Lab "${lab.id}" has no step "${stepId}".`, `Choose one of: ${lab.steps.map((s) => s.id).join(', ')}.`);
      return { runs: this.store.runs({ ...(lab ? { labId: lab.id } : {}), ...(stepId !== undefined ? { stepId } : {}), limit }) };
    },

    'runs.active': () => ({ run: this.activeRun ? (this.store.run(this.activeRun.runId) ?? null) : null }),

    'storage.get': () => ({ problem: this.store.diskFull ? new DiskFullError(this.store.dataDir).message : null }),

    'identity.get': () => ({ student: this.identity() }),

    'identity.set': ({ name, studentId }) => {
      const student: StudentIdentity = { name, studentId: studentId || null };
      this.store.setSetting(IDENTITY_SETTING, JSON.stringify(student));
      return { student };
    },

    // The report code loads on the first export, not at every start.
    'report.export': async ({ labId, format, full, allowEmpty }) => {
      const [{ buildReport }, { reportFile }] = await Promise.all([import('../report/build-report.js'), import('../report/report-files.js')]);
      const labs = labId === undefined ? this.catalogue.labs : [this.findLab(labId)];
      const student = this.identity();
      if (!student)
        throw new UserError(
          'no-identity',
          'A report needs the name of the student it belongs to.',
          'Give your name (a pseudonym will do) when the export asks, or with --name.',
        );
      const report = await buildReport({ store: this.store, labs, labId: labId ?? null, student, full, machine: this.machine, appVersion: this.appVersion });
      if (!allowEmpty && report.labs.every((l) => l.steps.every((s) => s.attempts.length === 0)))
        throw new UserError(
          'nothing-to-report',
          `There is nothing to report yet: no step of ${labId === undefined ? 'any lab' : `the ${labs[0]!.title} lab`} has been run.`,
          'Run a step first, or ask for an empty report.',
        );
      return reportFile(report, format);
    },

    'trace.export': async ({ runId, format }) => {
      const { traceFile } = await import('../report/report-files.js');
      const run = this.store.run(runId);
      if (!run) throw new UserError('unknown-run', `There is no run ${runId}.`, 'Choose a run from the lab page, or from `ipc-lab runs`.');
      return traceFile(run, this.store.events(runId), format);
    },

    'trace.window': ({ runId, fromNs, toNs, width }) => this.store.traceWindow(runId, fromNs, toNs, width),
    'trace.events': (request) => this.store.traceEvents(request, RUN_EVENTS_PAGE_BYTES),
    'trace.find': (request) => this.store.traceFind(request),
    'trace.follow': ({ runId, seq }) => this.store.traceFollow(runId, seq),
  };

  /** The values a step starts from for this student: its own, with the student's randomised picks over them. */
  private stepValues(lab: LoadedLab, step: LabStep): ParamValues {
    return studentStepValues(this.store, lab.id, step);
  }

  private identity(): StudentIdentity | null {
    const text = this.store.setting(IDENTITY_SETTING);
    return text === null ? null : (JSON.parse(text) as StudentIdentity);
  }

  /** The scenario's defaults, overridden by `given` (the step's values, the student's picks, the request's), each checked against its range. */
  private resolveParams(specs: LabSpecs, given: ParamValues): ParamValues {
    const values: ParamValues = {};
    for (const spec of specs) values[spec.name] = spec.default;
    for (const [name, value] of Object.entries(given)) {
      const spec = specs.find((s) => s.name === name);
      if (!spec)
        throw new UserError('bad-parameter', `Unknown parameter "${name}".`, `This scenario takes: ${specs.map((s) => s.name).join(', ') || 'no parameters'}.`);
      const problem = paramProblem(spec, value);
      if (problem)
        throw new UserError(
          'bad-parameter',
          `Parameter ${problem}.`,
          'Choose a value in its range: shown next to the field in the app, or by `ipc-lab labs` on the command line.',
        );
      values[name] = value;
    }
    return values;
  }
}

/**
 * What a failed runs.start answers: what stood in the way and what to do, without the run directory's
 * path (the run is gone) and without "a bug in IPC Lab" for what the machine lacked.
 */
function startFailure(error: unknown): UserError {
  if (error instanceof UserError) return new UserError(error.code, `The run could not start: ${error.message}`, error.fix);
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code === 'EMFILE' || code === 'ENFILE')
    return new UserError(
      'bad-environment',
      `The run could not start: IPC Lab has too many files open (${code}) to start the run's processes.`,
      'Close IPC Lab tabs and programs you do not need, or raise the limit of open files (ulimit -n), then start the run again.',
    );
  if (code === 'EAGAIN')
    return new UserError(
      'bad-environment',
      'The run could not start: the system would not start more processes (EAGAIN).',
      'End programs you do not need, then start the run again.',
    );
  if (syscall === 'mkdtemp')
    return new UserError(
      'bad-environment',
      `The run could not start: its folder could not be made in the temporary folder ${tmpdir()} (${code}).`,
      'Set TMPDIR to a folder that exists and that you may write to (or free space there), then start IPC Lab again.',
    );
  const what = code ? `${syscall ?? 'a system call'} failed (${code})` : (error as Error).message;
  return new UserError('internal', `The run could not start: ${what}.`, 'Check that npm run build has compiled the labs, then start the run again.');
}

/**
 * The store, writable; on a disk too full to open it so (SQLite cannot even make its WAL index), read-only,
 * so that past runs can still be viewed and exported (commands that write answer DiskFullError).
 */
function openStore(dataDir: string): EventStore {
  try {
    try {
      return EventStore.open(dataDir);
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      return EventStore.open(dataDir, { readOnly: true });
    }
  } catch (error) {
    // SQLITE_BUSY after the busy timeout: another engine holds the database in exclusive locking mode,
    // which only a read-only engine on a full disk does (EventStore.open's readOnly: no -shm file).
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new UserError(
      'bad-environment',
      `Another IPC Lab is using the data folder ${dataDir} on its own, read-only, because its disk is full.`,
      'Free space on that disk and restart the IPC Lab that is open, or close it; or set IPC_LAB_HOME to another folder.',
    );
  }
}

type LabSpecs = LoadedLab['scenarios'][number]['params'];

/** The longest part of a request an error quotes back: a 1 MiB command name must not come back as a 1 MiB message. */
const QUOTED_MAX_CHARS = 64;

/** `text` in quotes for an error message, cut to QUOTED_MAX_CHARS with the full length said. */
function quoted(text: string): string {
  return text.length <= QUOTED_MAX_CHARS ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, QUOTED_MAX_CHARS))}... (${text.length} characters)`;
}

const IDENTITY_SETTING = 'student';

function platformName(platform: string): string {
  return { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD' }[platform] ?? platform;
}

/** The version in package.json. */
function appVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

export function openEngine(options: EngineOptions): Promise<Engine> {
  return Engine.open(options);
}

export type { RunSummary };
