/**
 * Lab and step titles by id, for the places that name a lab away from its own page (the run indicator,
 * the export dialog). One `labs.get` per lab gives both its title and its steps' titles; it is kept for
 * the life of the page (titles change only when the lab folder is edited, and a reload reads them again).
 * Until a title is known, or if it cannot be loaded, callers show the id.
 */
import { SvelteMap } from 'svelte/reactivity';
import type { Bridge } from '../../../../main/contract/commands.js';

interface Titles {
  title: string;
  /** Step id → title. */
  steps: Readonly<Record<string, string>>;
}

export class LabTitles {
  readonly #bridge: Bridge;
  readonly #labs = new SvelteMap<string, Titles>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of calls in flight; no view reads it
  readonly #loading = new Map<string, Promise<void>>();

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** The lab's title, or null while it is not known. */
  lab(labId: string): string | null {
    return this.#labs.get(labId)?.title ?? null;
  }

  /** The step's title, or null while it is not known. */
  step(labId: string, stepId: string): string | null {
    const steps = this.#labs.get(labId)?.steps;
    return steps && Object.hasOwn(steps, stepId) ? steps[stepId]! : null;
  }

  /** Loads a lab's titles if they are not known yet. A failure is left for the next call to retry. */
  load(labId: string): Promise<void> {
    if (this.#labs.has(labId)) return Promise.resolve();
    let loading = this.#loading.get(labId);
    if (!loading) {
      loading = this.#bridge.call('labs.get', { labId }).then(
        ({ lab }) => {
          this.#labs.set(labId, { title: lab.title, steps: Object.fromEntries(lab.steps.map((s) => [s.id, s.title])) });
          this.#loading.delete(labId);
        },
        (error: unknown) => {
          this.#loading.delete(labId);
          console.warn(`IPC Lab: could not load the titles of lab "${labId}"`, error);
        },
      );
      this.#loading.set(labId, loading);
    }
    return loading;
  }
}
