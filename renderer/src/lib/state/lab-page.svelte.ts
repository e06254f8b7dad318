/**
 * The lab page: one lab, the selected step, the student's answer, the parameter form and the run shown
 * for that step. Listens to pushed events for the run it shows and ignores every other run's.
 *
 * Ordering: a `trace:batch` can reach us before the `runs.start` (or `runs.get`) answer that tells us
 * its run id. While such a call is in flight, pushed events are held and replayed once the answer is in;
 * RunView drops any event it already has (by seq), so overlaps are harmless.
 */
import type { Bridge, EngineEvents } from '../../../../main/contract/commands.js';
import type { Lab, LabStep, RunSummary, Scenario, StepProgress, StepStatus } from '../../../../main/contract/lab-model.js';
import { errorText, isFinal } from '../format.js';
import { ParamForm } from './param-form.svelte.js';
import { RunView } from './run-view.svelte.js';

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error';
export interface ShownError {
  message: string;
  fix: string | null;
}

const ANSWER_SAVE_DELAY_MS = 700;

type Held = { event: 'trace:batch'; payload: EngineEvents['trace:batch'] } | { event: 'run:updated'; payload: EngineEvents['run:updated'] };

export class LabPage {
  readonly #bridge: Bridge;
  readonly runView = new RunView();
  readonly form = new ParamForm();

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

  #loadToken = 0;
  #stepToken = 0;
  #holding = 0;
  #held: Held[] = [];
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #unsaved: { labId: string; stepId: string; text: string } | null = null;

  readonly step = $derived<LabStep | null>(this.#lab?.steps.find((s) => s.id === this.#stepId) ?? null);
  readonly stepIndex = $derived(this.#lab && this.step ? this.#lab.steps.indexOf(this.step) : -1);
  readonly scenario = $derived<Scenario | null>(this.#lab?.scenarios.find((s) => s.id === this.step?.scenario) ?? null);
  readonly running = $derived(this.#starting || this.runView.active);

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
    bridge.on('trace:batch', (payload) => this.#onEvent({ event: 'trace:batch', payload }));
    bridge.on('run:updated', (payload) => this.#onEvent({ event: 'run:updated', payload }));
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

  statusOf(stepId: string): StepStatus {
    return this.#progress[stepId]?.status ?? 'not-started';
  }

  /** Opens a lab (loading it if it is not the one shown) at a step; null means its first step. */
  async open(labId: string, stepId: string | null): Promise<void> {
    if (this.#lab?.id === labId && !this.#loadError) {
      this.#selectStep(stepId ?? this.#lab.steps[0]?.id ?? null);
      return;
    }
    const token = ++this.#loadToken;
    this.#flushAnswer();
    this.#lab = null;
    this.#stepId = null;
    this.#loadError = null;
    this.#loading = true;
    this.runView.clear();
    try {
      const { lab, progress, lastRun } = await this.#bridge.call('labs.get', { labId });
      if (token !== this.#loadToken) return;
      this.#lab = lab;
      this.#progress = progress;
      const first = stepId ?? lastRun?.stepId ?? lab.steps[0]?.id ?? null;
      this.#selectStep(first, lastRun);
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

  #selectStep(stepId: string | null, lastRun: RunSummary | null = null): void {
    const lab = this.#lab;
    if (!lab || stepId === this.#stepId) return;
    this.#flushAnswer();
    this.#stepToken++; // answers still on their way for the previous step no longer apply
    this.#runLoading = false;
    const step = lab.steps.find((s) => s.id === stepId) ?? null;
    this.#stepId = step ? step.id : null;
    this.#runError = null;
    this.#runLoadError = null;
    this.#answer = step ? (this.#progress[step.id]?.answer ?? '') : '';
    this.#saveState = 'idle';
    this.#saveError = null;
    const scenario = step ? lab.scenarios.find((s) => s.id === step.scenario) : undefined;
    this.form.reset(scenario?.params ?? [], step?.params ?? {});
    if (!step) {
      this.runView.clear();
      return;
    }
    const lastRunId = this.#progress[step.id]?.lastRunId ?? (lastRun?.stepId === step.id ? lastRun.runId : null);
    if (this.runView.run && this.runView.run.runId === lastRunId) return;
    this.runView.clear();
    if (lastRunId !== null) void this.#loadRun(lastRunId);
  }

  async #loadRun(runId: number): Promise<void> {
    const token = ++this.#stepToken;
    this.#runLoading = true;
    this.#holding++;
    try {
      const { run, events } = await this.#bridge.call('runs.get', { runId });
      if (token !== this.#stepToken) return;
      this.runView.show(run, events);
    } catch (error) {
      if (token === this.#stepToken) this.#runLoadError = errorText(error);
    } finally {
      if (token === this.#stepToken) this.#runLoading = false;
      this.#release();
    }
  }

  async start(): Promise<void> {
    const lab = this.#lab;
    const step = this.step;
    const scenario = this.scenario;
    if (!lab || !step || !scenario || this.running || !this.form.valid) return;
    const token = ++this.#stepToken;
    this.#runError = null;
    this.#runLoadError = null;
    this.#starting = true;
    this.#holding++;
    try {
      const { run } = await this.#bridge.call('runs.start', {
        labId: lab.id,
        scenarioId: scenario.id,
        stepId: step.id,
        params: this.form.toParams(),
      });
      const previous = this.#progress[step.id];
      this.#progress[step.id] = { status: previous?.status ?? 'attempted', answer: previous?.answer ?? this.#answer, lastRunId: run.runId };
      if (token === this.#stepToken) this.runView.show(run);
    } catch (error) {
      if (token === this.#stepToken) this.#runError = errorText(error);
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
      this.#noteRunProgress(stopped);
    } catch (error) {
      this.#runError = errorText(error);
    } finally {
      this.#stopping = false;
    }
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
          this.#progress[unsaved.stepId] = { status: progress?.status ?? 'not-started', lastRunId: progress?.lastRunId ?? null, answer: unsaved.text };
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
      if (this.runView.run?.runId === held.payload.runId) this.runView.append(held.payload.events);
    } else {
      const run = held.payload.run;
      if (this.runView.run?.runId === run.runId) this.runView.update(run);
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
    this.#progress[run.stepId] = { status, answer: previous?.answer ?? '', lastRunId: previous?.lastRunId ?? run.runId };
    const token = this.#loadToken;
    this.#bridge.call('labs.get', { labId: lab.id }).then(
      ({ progress }) => {
        if (token !== this.#loadToken) return;
        for (const [stepId, p] of Object.entries(progress)) {
          const local = this.#progress[stepId];
          this.#progress[stepId] = { status: p.status, lastRunId: p.lastRunId ?? local?.lastRunId ?? null, answer: local?.answer ?? p.answer };
        }
      },
      (error: unknown) => console.warn('IPC Lab: could not refresh progress', error),
    );
  }
}
