/**
 * The lab page: one lab, the selected step, the student's answer, the parameter form, the step's runs
 * and what the URL asks to see of them: the latest run, one run by id, or two runs compared
 * (`routes.ts`). The URL follows the page: opening a step names its latest run in it, starting a run
 * moves it to the new run, so a reload or a copied link opens the same run. A run still going is shown
 * live whenever it is the one on screen, after a reload too: its events keep arriving by push.
 *
 * Ordering: a `trace:batch` can reach us before the `runs.start` (or `runs.get`) answer that tells us
 * its run id. While such a call is in flight, pushed events are held and replayed once the answer is in;
 * RunView drops any event it already has (by seq), so overlaps are harmless.
 *
 * A past run comes a page at a time (runs.get, RUN_EVENTS_PAGE_EVENTS): it is shown from its first page,
 * the rest appended page by page; pushed events stay held until the last page is in, so they come after
 * it. Each page is checked against the load's token: a newer load (another run, another step) stops it.
 */
import { tick } from 'svelte';
import { LIVE_WHOLE_KINDS, type Bridge, type EngineEvents } from '../../../../main/contract/commands.js';
import {
  QUIZ_STEP,
  type Lab,
  type LabStep,
  type ParamValues,
  type RunSummary,
  type RunVariant,
  type Scenario,
  type StepMastery,
  type StepProgress,
  type StepStatus,
} from '../../../../main/contract/lab-model.js';
import { fillStep } from '../../../../main/contract/param-template.js';
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import { errorText, isFinal } from '../format.js';
import { currentRoute, labHref, LATEST, navigate, replaceRoute, runHref, sameTarget, type RunTarget } from '../router.svelte.js';
import { CompareRuns } from './compare-runs.svelte.js';
import { ParamForm } from './param-form.svelte.js';
import { RunHistory } from './run-history.svelte.js';
import { startingValues } from './run-facts.js';
import { EventList } from './event-list.svelte.js';
import { TimelineWindow } from './timeline-window.svelte.js';
import { MESSAGE_BYTES_LIMIT, RUN_VIEW_WHOLE_MAX, RunView } from './run-view.svelte.js';
import { NO_MASTERY, StepQuestions } from './step-questions.svelte.js';
import { TraceExport } from './trace-export.svelte.js';

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error';
export interface ShownError {
  message: string;
  fix: string | null;
}

/** Why the run (or runs) the URL names cannot be shown on this step's page, and where to go instead. */
export interface RunProblem {
  message: string;
  fix: string;
  links: { href: string; label: string }[];
}

const ANSWER_SAVE_DELAY_MS = 700;

type Held = { event: 'trace:batch'; payload: EngineEvents['trace:batch'] } | { event: 'run:updated'; payload: EngineEvents['run:updated'] };

/** The error code a bridge call failed with, if the engine gave one. */
function codeOf(error: unknown): string | null {
  if (error && typeof error === 'object' && 'info' in error) {
    const info = (error as { info: { code?: unknown } }).info;
    if (info && typeof info.code === 'string') return info.code;
  }
  return null;
}

/** What the URL asks of this lab and step; a caller that does not say means the URL as it is now. */
function targetInUrl(labId: string, stepId: string | null): RunTarget {
  const route = currentRoute();
  return route.page === 'lab' && route.labId === labId && route.stepId === stepId ? route.target : LATEST;
}

export class LabPage {
  readonly #bridge: Bridge;
  readonly runView = new RunView();
  /** The shown run's events as a virtual list, paged from the engine (event-list.svelte.ts). */
  readonly eventList: EventList;
  /** What the timeline draws of a windowed (large) run. */
  readonly timeline: TimelineWindow;
  readonly form = new ParamForm();
  readonly history: RunHistory;
  readonly compare = new CompareRuns();
  readonly traceExport: TraceExport;
  readonly questions: StepQuestions;
  /** The lab's closing quiz: questions with fixed answers, kept as a step's are (under QUIZ_STEP), graded on request. */
  readonly quiz: StepQuestions;

  #lab = $state.raw<Lab | null>(null);
  #progress = $state<Record<string, StepProgress>>({});
  #stepId = $state<string | null>(null);
  #loading = $state(false);
  #loadError = $state<ShownError | null>(null);
  #runLoading = $state(false);
  #runLoadError = $state<ShownError | null>(null);
  #runError = $state<ShownError | null>(null);
  #starting = $state(false);
  #stopping = $state(false);
  #answer = $state('');
  #saveState = $state<SaveState>('idle');
  #saveError = $state<string | null>(null);
  #target = $state.raw<RunTarget>(LATEST);
  #problem = $state.raw<RunProblem | null>(null);
  /** Run was pressed while this run (of any lab or step) was going. */
  #blocked = $state.raw<RunSummary | null>(null);
  #stoppingBlocked = $state(false);
  #blockedError = $state<ShownError | null>(null);

  #loadToken = 0;
  /** Bumped by every new target (and step): answers for an older one no longer apply. */
  #targetToken = 0;
  /** The target being loaded, so the same one asked again (the URL catching up) is not loaded twice. */
  #pending: RunTarget | null = null;
  #holding = 0;
  #held: Held[] = [];
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #didStartRun: ((run: RunSummary) => void)[] = [];
  #unsaved: { labId: string; stepId: string; text: string } | null = null;

  readonly step = $derived<LabStep | null>(this.#lab?.steps.find((s) => s.id === this.#stepId) ?? null);
  readonly stepIndex = $derived(this.#lab && this.step ? this.#lab.steps.indexOf(this.step) : -1);
  readonly scenario = $derived<Scenario | null>(this.#lab?.scenarios.find((s) => s.id === this.step?.scenario) ?? null);
  readonly running = $derived(this.#starting || this.runView.active);
  /** The values the step starts from (the scenario's defaults, the step's own over them, this student's picks among them). */
  readonly startValues = $derived<ParamValues>(startingValues(this.scenario?.params ?? [], this.step?.params ?? {}));
  /**
   * The values the page shows: the form's (the run on screen's, the student's edits, or the step's), with
   * the step's for a field not valid yet. They fill the templates of the step's text ({slots}).
   */
  readonly shownParams = $derived<ParamValues>({ ...this.startValues, ...this.form.shownValues });
  /** The step with its text, hints and questions filled in for the values the page shows. */
  readonly shownStep = $derived<LabStep | null>(this.step ? fillStep(this.step, this.shownParams) : null);

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
    this.eventList = new EventList(bridge, this.runView);
    this.timeline = new TimelineWindow(bridge, this.runView);
    this.history = new RunHistory(bridge);
    this.traceExport = new TraceExport(bridge);
    this.questions = new StepQuestions(bridge, undefined, () => this.shownParams);
    this.quiz = new StepQuestions(bridge);
    bridge.on('trace:batch', (payload) => this.#onEvent({ event: 'trace:batch', payload }));
    bridge.on('run:updated', (payload) => this.#onEvent({ event: 'run:updated', payload }));
  }

  /**
   * Calls `listener` with each run that Run (or Run the control) started on this page, once the run is
   * on screen: the page scrolls to its timeline. Returns the function that stops listening.
   */
  onDidStartRun(listener: (run: RunSummary) => void): () => void {
    this.#didStartRun = [...this.#didStartRun, listener];
    return () => {
      this.#didStartRun = this.#didStartRun.filter((l) => l !== listener);
    };
  }

  get lab(): Lab | null {
    return this.#lab;
  }
  get stepId(): string | null {
    return this.#stepId;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get loadError(): ShownError | null {
    return this.#loadError;
  }
  get runLoading(): boolean {
    return this.#runLoading;
  }
  get runLoadError(): ShownError | null {
    return this.#runLoadError;
  }
  get runError(): ShownError | null {
    return this.#runError;
  }
  get starting(): boolean {
    return this.#starting;
  }
  get stopping(): boolean {
    return this.#stopping;
  }
  get answer(): string {
    return this.#answer;
  }
  get saveState(): SaveState {
    return this.#saveState;
  }
  get saveError(): string | null {
    return this.#saveError;
  }

  /** What the URL asked to see of the step. */
  get target(): RunTarget {
    return this.#target;
  }
  /** Why the run the URL names is not shown, or null. */
  get problem(): RunProblem | null {
    return this.#problem;
  }
  /** The run that kept Run from starting another, until it ends or the student moves on. */
  get blocked(): RunSummary | null {
    return this.#blocked;
  }
  get stoppingBlocked(): boolean {
    return this.#stoppingBlocked;
  }
  get blockedError(): ShownError | null {
    return this.#blockedError;
  }
  /** Where the blocking run is shown (a run without a step opens its lab). */
  get blockedHref(): string | null {
    const run = this.#blocked;
    if (!run) return null;
    return run.stepId === null ? labHref(run.labId) : runHref(run.labId, run.stepId, run.runId);
  }
  /** "the step “How much does a pipe hold?”", or of another lab "the lab “shared-memory”, step “race”". */
  get blockedWhere(): string {
    const run = this.#blocked;
    if (!run) return '';
    return this.#whereIs(run);
  }

  /** A step's mastery: answers before its first run, a passing run, the control where there is one (main/engine/mastery.ts). */
  masteryOf(stepId: string): StepMastery['status'] {
    return this.#progress[stepId]?.mastery.status ?? 'not-started';
  }

  /** The next step after the current one that is not mastered yet, or null. */
  get nextStep(): LabStep | null {
    const lab = this.#lab;
    if (!lab || this.stepIndex < 0) return null;
    return lab.steps.slice(this.stepIndex + 1).find((s) => this.masteryOf(s.id) !== 'mastered') ?? lab.steps[this.stepIndex + 1] ?? null;
  }

  /**
   * Opens a lab (loading it if it is not the one shown) at a step (null: the step of the lab's last
   * run, else its first) and shows what `target` asks (by default what the URL asks).
   */
  async open(labId: string, stepId: string | null, target: RunTarget = targetInUrl(labId, stepId)): Promise<void> {
    if (this.#lab?.id === labId && !this.#loadError) {
      this.#select(stepId ?? this.#lab.steps[0]?.id ?? null, target);
      return;
    }
    const token = ++this.#loadToken;
    this.#flushAnswer();
    this.#lab = null;
    this.#stepId = null;
    this.#loadError = null;
    this.#loading = true;
    this.#targetToken++;
    this.#pending = null;
    this.runView.clear();
    this.compare.clear();
    this.history.clear();
    try {
      const { lab, progress, lastRun, quizAnswers } = await this.#bridge.call('labs.get', { labId });
      if (token !== this.#loadToken) return;
      this.#lab = lab;
      this.#progress = progress;
      this.quiz.open(lab.id, quizStep(lab), { ...progressOr(undefined), answers: quizAnswers });
      // Without a step named, the lab opens where the student is: the first step not mastered yet.
      const first = stepId ?? lab.steps.find((s) => progress[s.id]?.mastery.status !== 'mastered')?.id ?? lastRun?.stepId ?? lab.steps[0]?.id ?? null;
      this.#select(first, stepId === null ? LATEST : target);
    } catch (error) {
      if (token === this.#loadToken) this.#loadError = errorText(error);
    } finally {
      if (token === this.#loadToken) this.#loading = false;
    }
  }

  /** Forgets the lab (when the student goes back to the catalogue), saving any pending answer. */
  leave(): void {
    this.#flushAnswer();
    this.#loadToken++;
  }

  #select(stepId: string | null, target: RunTarget): void {
    if (!this.#lab) return;
    if (stepId !== this.#stepId) this.#changeStep(stepId);
    if (this.step) void this.#show(target);
  }

  #changeStep(stepId: string | null): void {
    const lab = this.#lab!;
    this.#flushAnswer();
    this.#targetToken++; // answers still on their way for the previous step no longer apply
    this.#pending = null;
    this.#runLoading = false;
    const step = lab.steps.find((s) => s.id === stepId) ?? null;
    this.#stepId = step ? step.id : stepId;
    this.#runError = null;
    this.#runLoadError = null;
    this.#problem = null;
    this.#blocked = null;
    this.#blockedError = null;
    this.#target = LATEST;
    this.#answer = step ? (this.#progress[step.id]?.answer ?? '') : '';
    this.questions.open(lab.id, step, step ? this.#progress[step.id] : undefined);
    this.#saveState = 'idle';
    this.#saveError = null;
    const scenario = step ? lab.scenarios.find((s) => s.id === step.scenario) : undefined;
    this.form.reset(scenario?.params ?? [], step?.params ?? {}, step?.randomise ?? {});
    this.runView.clear();
    this.compare.clear();
    if (step) void this.history.load(lab.id, step.id);
    else this.history.clear();
  }

  /** Shows what the URL asks of the current step. */
  async #show(target: RunTarget): Promise<void> {
    const lab = this.#lab!;
    const step = this.step!;
    if (this.#pending && sameTarget(this.#pending, target)) return; // already on its way
    this.#target = target;
    // Already on screen (the URL caught up with the page, e.g. after Run): nothing to load.
    if (!this.#problem && target.kind === 'run' && this.runView.run?.runId === target.runId) {
      this.#targetToken++;
      this.#pending = null;
      this.#runLoading = false;
      this.compare.clear();
      return;
    }
    if (!this.#problem && target.kind === 'compare' && this.compare.shows(...target.runIds)) {
      this.#targetToken++;
      this.#pending = null;
      return;
    }
    const token = ++this.#targetToken;
    this.#pending = target;
    this.#problem = null;
    this.#blocked = null;
    this.#blockedError = null;
    this.#runLoadError = null;
    try {
      switch (target.kind) {
        case 'latest':
          await this.#showLatest(lab, step, token);
          break;
        case 'run':
          this.compare.clear();
          await this.#loadRun(target.runId, token);
          break;
        case 'compare':
          await this.#loadCompare(target.runIds, token);
          break;
        case 'bad':
          this.compare.clear();
          this.runView.clear();
          this.#problem = {
            message: `“${target.text}” does not name a run of this step.`,
            fix: 'A link to a run ends in /run/ and its number (…/run/12); a comparison in /compare/ and two run numbers (…/compare/3/12).',
            links: [{ href: labHref(lab.id, step.id), label: `Open the latest run of “${step.title}”` }],
          };
          break;
      }
    } finally {
      if (token === this.#targetToken) this.#pending = null;
    }
  }

  /** The step's latest run: the one going on now if it is this step's, else the newest of its list. */
  async #showLatest(lab: Lab, step: LabStep, token: number): Promise<void> {
    this.compare.clear();
    this.#runLoading = true;
    const [, going] = await Promise.all([
      this.history.load(lab.id, step.id),
      this.#bridge.call('runs.active', {}).then(
        ({ run }) => run,
        () => null, // the list still says which run is newest
      ),
    ]);
    if (token !== this.#targetToken) return;
    const live = going && going.labId === lab.id && going.stepId === step.id ? going : null;
    if (live) this.history.upsert(live);
    const latest = live ?? this.history.latest;
    if (!latest) {
      this.#runLoading = false;
      this.runView.clear();
      return;
    }
    // Values the student typed while the list was loading are theirs: keep them.
    const keepEdits = this.form.origin.kind === 'step' && this.form.edited;
    if (this.runView.run?.runId !== latest.runId && !(await this.#loadRun(latest.runId, token, keepEdits))) return;
    if (token !== this.#targetToken) return;
    this.#runLoading = false;
    // The URL names the run on screen, so a reload or a copied link opens this one even after newer runs.
    const route = currentRoute();
    if (route.page === 'lab' && route.labId === lab.id && route.stepId === step.id && route.target.kind === 'latest') {
      this.#target = { kind: 'run', runId: latest.runId };
      replaceRoute(runHref(lab.id, step.id, latest.runId));
    }
  }

  /** Loads a run into the views; false when it could not be shown here (the page then says why). */
  async #loadRun(runId: number, token: number, keepEdits = false): Promise<boolean> {
    this.#runLoading = true;
    this.#holding++;
    try {
      // The first event only, to learn how large the run is: a large one is never downloaded (below).
      const first = await this.#bridge.call('runs.get', { runId, limit: 1 });
      if (token !== this.#targetToken) return false;
      const { run, stored } = first;
      const problem = this.#problemWith(run);
      if (problem) {
        this.#problem = problem;
        this.runView.clear();
        return false;
      }
      // A large run is not downloaded: the timeline asks for what it shows, the event list for its rows,
      // and the view holds only the events the kernel view needs (RunView.windowed).
      if (stored > RUN_VIEW_WHOLE_MAX) {
        this.runView.show(run, [], { stored });
        this.history.upsert(run);
        if (!keepEdits) this.form.showRun(run.runId, run.params);
        this.runView.loadingRest = true;
        // The timeline's first window is asked for as the view updates: let it go first (the engine answers in turn).
        await tick();
        const whole = await this.#keptEventsOf(runId, token);
        if (whole) this.runView.loadingRest = false;
        return whole;
      }
      const { events, nextSeq } = first.nextSeq === null ? first : await this.#bridge.call('runs.get', { runId });
      if (token !== this.#targetToken) return false;
      this.runView.show(run, events);
      this.history.upsert(run);
      if (!keepEdits) this.form.showRun(run.runId, run.params);
      if (nextSeq === null) return true;
      this.runView.loadingRest = true;
      const whole = await this.#restOf(runId, nextSeq, token, (page) => this.runView.append(page));
      if (whole) this.runView.loadingRest = false;
      return whole;
    } catch (error) {
      if (token !== this.#targetToken) return false;
      this.runView.clear();
      if (codeOf(error) === 'unknown-run') this.#problem = this.#missing(runId);
      else this.#runLoadError = errorText(error);
      return false;
    } finally {
      if (token === this.#targetToken) this.#runLoading = false;
      this.#release();
    }
  }

  /**
   * A windowed run's events of LIVE_WHOLE_KINDS (process life, what the kernel view shows), a page at a
   * time, then its latest labelled messages; false as soon as a newer load took over (`token`).
   */
  async #keptEventsOf(runId: number, token: number): Promise<boolean> {
    const kinds = [...LIVE_WHOLE_KINDS];
    // In seq order through the run's key, a bounded stretch per call (runs.get with kinds): the engine
    // stays free to answer the timeline's windows between pages.
    for (let afterSeq: number | null = 0; afterSeq !== null;) {
      const page: { events: StoredEvent[]; nextSeq: number | null } = await this.#bridge.call('runs.get', { runId, afterSeq, kinds });
      if (token !== this.#targetToken) return false;
      this.runView.appendKept(page.events);
      afterSeq = page.nextSeq;
    }
    const labelled = await this.#bridge.call('trace.events', {
      runId,
      from: { index: Number.MAX_SAFE_INTEGER },
      direction: 'backward',
      limit: MESSAGE_BYTES_LIMIT,
      filter: { kinds: ['message.bytes'] },
    });
    if (token !== this.#targetToken) return false;
    this.runView.appendKept(labelled.events);
    return true;
  }

  /**
   * The pages of a run after `nextSeq`, in order, each handed to `onPage`; false as soon as a newer load
   * took over (`token`), and nothing more is handed on then.
   */
  async #restOf(runId: number, nextSeq: number | null, token: number, onPage: (events: StoredEvent[]) => void): Promise<boolean> {
    while (nextSeq !== null) {
      const page = await this.#bridge.call('runs.get', { runId, afterSeq: nextSeq });
      if (token !== this.#targetToken) return false;
      onPage(page.events);
      nextSeq = page.nextSeq;
    }
    return true;
  }

  /** How many events a run has stored, or null for an unknown run. */
  async #storedCount(runId: number): Promise<number | null> {
    try {
      return (await this.#bridge.call('runs.get', { runId, limit: 1 })).stored;
    } catch (error) {
      if (codeOf(error) === 'unknown-run') return null;
      throw error;
    }
  }

  /** A run and all its events, page by page; undefined once a newer load took over, null for an unknown run. */
  async #wholeRun(runId: number, token: number): Promise<{ run: RunSummary; events: StoredEvent[] } | null | undefined> {
    try {
      const { run, events, nextSeq } = await this.#bridge.call('runs.get', { runId });
      if (token !== this.#targetToken) return undefined;
      return (await this.#restOf(runId, nextSeq, token, (page) => events.push(...page))) ? { run, events } : undefined;
    } catch (error) {
      if (codeOf(error) === 'unknown-run') return null;
      throw error;
    }
  }

  async #loadCompare([a, b]: [number, number], token: number): Promise<void> {
    const lab = this.#lab!;
    const step = this.step!;
    this.history.pick([a, b]);
    this.compare.clear();
    if (a === b) {
      this.#problem = {
        message: `Run ${a} cannot be compared with itself.`,
        fix: 'Tick two different runs in the list of runs below, then press Compare.',
        links: [{ href: runHref(lab.id, step.id, a), label: `Open run ${a}` }],
      };
      return;
    }
    this.compare.loading = true;
    this.#holding++;
    try {
      // Side by side, both runs are held whole: a large one is opened alone instead (it is drawn from windowed queries there).
      for (const runId of [a, b]) {
        const stored = await this.#storedCount(runId);
        if (token !== this.#targetToken) return;
        // (an unknown run is said below, by #wholeRun)
        if (stored !== null && stored > RUN_VIEW_WHOLE_MAX) {
          const other = runId === a ? b : a;
          this.#problem = {
            message: `Run ${runId} has ${stored.toLocaleString('en')} events, too many to compare side by side here (at most ${RUN_VIEW_WHOLE_MAX.toLocaleString('en')}).`,
            fix: 'Open each run alone: its timeline and event list show any part of it.',
            links: [
              { href: runHref(lab.id, step.id, runId), label: `Open run ${runId} alone` },
              { href: runHref(lab.id, step.id, other), label: `Open run ${other} alone` },
            ],
          };
          return;
        }
      }
      // One after the other, page by page: never two whole runs in flight at once.
      const ra = await this.#wholeRun(a, token);
      if (ra === undefined || token !== this.#targetToken) return;
      const rb = await this.#wholeRun(b, token);
      if (rb === undefined || token !== this.#targetToken) return;
      for (const [runId, answer] of [
        [a, ra],
        [b, rb],
      ] as const) {
        const problem = answer ? this.#problemWith(answer.run) : this.#missing(runId);
        if (problem) {
          const other = runId === a ? b : a;
          this.#problem = { ...problem, links: [...problem.links, { href: runHref(lab.id, step.id, other), label: `Open run ${other} alone` }] };
          return;
        }
      }
      this.compare.show(ra!, rb!);
    } catch (error) {
      if (token === this.#targetToken) this.#runLoadError = errorText(error);
    } finally {
      if (token === this.#targetToken) this.compare.loading = false;
      this.#release();
    }
  }

  /** Why this run is not one of the current step's, or null when it is. */
  #problemWith(run: RunSummary): RunProblem | null {
    const lab = this.#lab!;
    const step = this.step!;
    if (run.labId === lab.id && run.stepId === step.id) return null;
    const latest = { href: labHref(lab.id, step.id), label: `Open the latest run of “${step.title}”` };
    if (run.stepId === null)
      return {
        message: `Run ${run.runId} was started without a step (from the command line, scenario “${run.scenarioId}”), so no step's page shows it.`,
        fix: `See it with ipc-lab show ${run.runId}, or pick one of this step's runs below.`,
        links: [latest],
      };
    return {
      message: `Run ${run.runId} is a run of ${this.#whereIs(run)}, not of “${step.title}”.`,
      fix: "Open it where it belongs, or pick one of this step's runs below.",
      links: [{ href: runHref(run.labId, run.stepId, run.runId), label: `Open run ${run.runId} in its step` }, latest],
    };
  }

  #missing(runId: number): RunProblem {
    const lab = this.#lab!;
    const step = this.step!;
    return {
      message: `There is no run ${runId}.`,
      fix: "The link may come from another computer or an older data folder. Pick one of this step's runs below, or open its latest run.",
      links: [{ href: labHref(lab.id, step.id), label: `Open the latest run of “${step.title}”` }],
    };
  }

  /** Where a run belongs, in words: "the step “…”" of this lab, else "the lab “…”, step “…”". */
  #whereIs(run: RunSummary): string {
    const lab = this.#lab;
    if (run.stepId === null) return `the lab “${lab?.id === run.labId ? lab.title : run.labId}” (no step)`;
    if (lab?.id === run.labId) return `the step “${lab.steps.find((s) => s.id === run.stepId)?.title ?? run.stepId}”`;
    return `the lab “${run.labId}”, step “${run.stepId}”`;
  }

  /**
   * Starts a run with the values in the form. If another run is going (one at a time), says which and
   * offers to open or stop it instead. The URL moves to the new run.
   */
  async start(): Promise<void> {
    const lab = this.#lab;
    const step = this.step;
    const scenario = this.scenario;
    if (!lab || !step || !scenario || this.running || !this.form.valid) return;
    const token = ++this.#targetToken;
    this.#pending = null;
    this.#runError = null;
    this.#runLoadError = null;
    this.#blocked = null;
    this.#blockedError = null;
    this.#starting = true;
    this.#holding++;
    try {
      const { run: going } = await this.#bridge.call('runs.active', {});
      if (going) {
        if (token === this.#targetToken) this.#blocked = going;
        return;
      }
      // The answers given so far are what this run tests: every one still waiting goes first.
      await this.questions.flush();
      if (token !== this.#targetToken) return;
      const { run } = await this.#bridge.call('runs.start', {
        labId: lab.id,
        scenarioId: scenario.id,
        stepId: step.id,
        params: this.form.toParams(),
      });
      const previous = this.#progress[step.id];
      this.#progress[step.id] = {
        ...progressOr(previous),
        status: previous?.status ?? 'attempted',
        answer: previous?.answer ?? this.#answer,
        lastRunId: run.runId,
      };
      this.history.upsert(run);
      if (token !== this.#targetToken) return;
      this.#problem = null;
      this.compare.clear();
      this.runView.show(run);
      this.form.markRun(run.runId);
      this.#target = { kind: 'run', runId: run.runId };
      navigate(runHref(lab.id, step.id, run.runId));
      for (const listener of this.#didStartRun) listener(run);
    } catch (error) {
      if (token !== this.#targetToken) return;
      if (codeOf(error) === 'run-in-progress') {
        const going = await this.#bridge.call('runs.active', {}).then(
          ({ run }) => run,
          () => null,
        );
        if (going && token === this.#targetToken) {
          this.#blocked = going;
          return;
        }
      }
      this.#runError = errorText(error);
    } finally {
      this.#starting = false;
      this.#release();
    }
  }

  async stop(): Promise<void> {
    const run = this.runView.run;
    if (!run || isFinal(run.status)) return;
    this.#stopping = true;
    try {
      const { run: stopped } = await this.#bridge.call('runs.stop', { runId: run.runId });
      this.runView.update(stopped);
      this.history.upsert(stopped);
      this.#noteRunProgress(stopped);
    } catch (error) {
      this.#runError = errorText(error);
    } finally {
      this.#stopping = false;
    }
  }

  /** Stops the run that kept Run from starting (it may be of another step or lab). */
  async stopBlocked(): Promise<void> {
    const run = this.#blocked;
    if (!run || this.#stoppingBlocked) return;
    this.#stoppingBlocked = true;
    this.#blockedError = null;
    try {
      const { run: stopped } = await this.#bridge.call('runs.stop', { runId: run.runId });
      this.runView.update(stopped);
      this.history.upsert(stopped);
      this.#noteRunProgress(stopped);
      if (this.#blocked?.runId === run.runId) this.#blocked = null;
    } catch (error) {
      if (this.#blocked?.runId === run.runId) this.#blockedError = errorText(error);
    } finally {
      this.#stoppingBlocked = false;
    }
  }

  /** "Reset to the step's values". */
  resetParams(): void {
    this.form.resetToStep();
  }

  /** The step's control variant, if it has one. */
  get control(): LabStep['variants'][number] | null {
    const step = this.step;
    return step?.variants.find((v) => v.name === step.control) ?? null;
  }

  /**
   * The variant when the run on screen ran one of the step's (its control, or another the text asks the
   * student to try) and came out as it should (the checks it names failed, as the engine graded it):
   * its status is shown as the lesson, "as expected", not as a red failure. Null for any other run, and
   * until the run is graded.
   */
  get variantAsExpected(): RunVariant | null {
    const run = this.runView.run;
    const variant = this.questions.variant;
    return run !== null && variant?.asExpected === true && this.questions.gradedRun === run.runId ? variant : null;
  }

  /** Runs the step's control: its values on top of the step's, then Run. */
  async runControl(): Promise<void> {
    const control = this.control;
    if (!control || this.running) return;
    this.form.resetToStep();
    this.form.apply(control.params);
    await this.start();
  }

  setAnswer(text: string): void {
    const lab = this.#lab;
    const step = this.step;
    if (!lab || !step) return;
    this.#answer = text;
    this.#unsaved = { labId: lab.id, stepId: step.id, text };
    this.#saveState = 'pending';
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = setTimeout(() => this.#flushAnswer(), ANSWER_SAVE_DELAY_MS);
  }

  #flushAnswer(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    const unsaved = this.#unsaved;
    if (!unsaved) return;
    this.#unsaved = null;
    const isShown = () => this.#lab?.id === unsaved.labId && this.#stepId === unsaved.stepId;
    if (isShown()) this.#saveState = 'saving';
    this.#bridge.call('answers.save', unsaved).then(
      () => {
        const progress = this.#progress[unsaved.stepId];
        if (this.#lab?.id === unsaved.labId) {
          this.#progress[unsaved.stepId] = { ...progressOr(progress), answer: unsaved.text };
        }
        if (isShown() && !this.#unsaved) this.#saveState = 'saved';
      },
      (error: unknown) => {
        if (!isShown()) return;
        this.#saveState = 'error';
        this.#saveError = errorText(error).message;
      },
    );
  }

  #onEvent(held: Held): void {
    if (this.#holding > 0) {
      this.#held.push(held);
      return;
    }
    this.#apply(held);
  }

  #release(): void {
    this.#holding--;
    if (this.#holding > 0) return;
    const held = this.#held;
    this.#held = [];
    for (const h of held) this.#apply(h);
  }

  #apply(held: Held): void {
    if (held.event === 'trace:batch') {
      if (this.runView.run?.runId === held.payload.runId) this.runView.append(held.payload.events, held.payload);
      this.compare.append(held.payload.runId, held.payload.events, held.payload);
    } else {
      const run = held.payload.run;
      if (this.runView.run?.runId === run.runId) this.runView.update(run);
      this.compare.update(run);
      this.history.upsert(run);
      if (this.#blocked?.runId === run.runId && isFinal(run.status)) this.#blocked = null;
      this.#noteRunProgress(run);
    }
  }

  /**
   * Keeps the step list's status in step with finished runs of this lab: a quick local guess, then the
   * engine's word (it decides what counts as passed). Answers stay as typed here.
   */
  #noteRunProgress(run: RunSummary): void {
    const lab = this.#lab;
    if (!lab || run.labId !== lab.id || !run.stepId || !isFinal(run.status)) return;
    const previous = this.#progress[run.stepId];
    const status: StepStatus = run.status === 'passed' || previous?.status === 'passed' ? 'passed' : 'attempted';
    this.#progress[run.stepId] = { ...progressOr(previous), status, lastRunId: previous?.lastRunId ?? run.runId };
    const token = this.#loadToken;
    this.#bridge.call('labs.get', { labId: lab.id }).then(
      ({ progress }) => {
        if (token !== this.#loadToken) return;
        for (const [stepId, p] of Object.entries(progress)) {
          const local = this.#progress[stepId];
          this.#progress[stepId] = { ...p, lastRunId: p.lastRunId ?? local?.lastRunId ?? null, answer: local?.answer ?? p.answer };
        }
        if (this.#stepId) this.questions.refresh(progress[this.#stepId]);
      },
      (error: unknown) => console.warn('IPC Lab: could not refresh progress', error),
    );
  }
}

/** A step's progress as known, or that of a step not started. */
function progressOr(progress: StepProgress | undefined): StepProgress {
  return (
    progress ?? {
      status: 'not-started',
      answer: '',
      lastRunId: null,
      answers: [],
      mastery: NO_MASTERY,
    }
  );
}

/** The quiz as the questions' state holds a step: its questions, nothing to run. */
function quizStep(lab: Lab): LabStep {
  return {
    id: QUIZ_STEP,
    title: `${lab.title}: quiz`,
    scenario: '',
    params: {},
    randomise: {},
    checks: [],
    variants: [],
    body: '',
    questions: lab.quiz,
    control: null,
    hints: [],
  };
}
