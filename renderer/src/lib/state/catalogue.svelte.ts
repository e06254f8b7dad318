/** The catalogue: every lab with the student's progress, and what went wrong loading any of them. */
import type { Bridge } from '../../../../main/contract/commands.js';
import type { LabProblem, LabSummary } from '../../../../main/contract/lab-model.js';
import { errorText } from '../format.js';
import type { ShownError } from './lab-page.svelte.js';

export class Catalogue {
  readonly #bridge: Bridge;
  #labs = $state.raw<readonly LabSummary[]>([]);
  #problems = $state.raw<readonly LabProblem[]>([]);
  #loading = $state(false);
  #loaded = $state(false);
  #error = $state<ShownError | null>(null);
  #token = 0;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  get labs(): readonly LabSummary[] {
    return this.#labs;
  }
  get problems(): readonly LabProblem[] {
    return this.#problems;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get error(): ShownError | null {
    return this.#error;
  }

  async refresh(): Promise<void> {
    const token = ++this.#token;
    this.#loading = true;
    this.#error = null;
    try {
      const { labs, problems } = await this.#bridge.call('labs.list', {});
      if (token !== this.#token) return;
      this.#labs = labs;
      this.#problems = problems;
      this.#loaded = true;
    } catch (error) {
      if (token === this.#token) this.#error = errorText(error);
    } finally {
      if (token === this.#token) this.#loading = false;
    }
  }
}
