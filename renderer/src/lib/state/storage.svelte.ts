/**
 * Whether the engine can store new work. When the disk holding the data folder is full, the engine ends
 * the run that hit it (as error) and refuses to start runs or save answers; the page says so in a banner,
 * with the engine's words (which disk, what to do), until a check finds room again.
 *
 * Asked at start-up and after every run that ended in error (a full disk ends a run so); the engine's
 * answer is the one fact (storage.get), never a guess from a run's message.
 */
import type { Bridge } from '../../../../main/contract/commands.js';

export class StorageState {
  readonly #bridge: Bridge;
  #problem = $state<string | null>(null);
  #asking = false;

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
    bridge.on('run:updated', ({ run }) => {
      if (run.status === 'error' || this.#problem !== null) void this.refresh();
    });
  }

  /** Why nothing new can be stored (the engine's message), or null when it can. */
  get problem(): string | null {
    return this.#problem;
  }

  async refresh(): Promise<void> {
    if (this.#asking) return;
    this.#asking = true;
    try {
      this.#problem = (await this.#bridge.call('storage.get', {})).problem;
    } catch (error) {
      // The connection banner already says when the engine is gone.
      console.warn('IPC Lab: could not ask whether the engine can store', error);
    } finally {
      this.#asking = false;
    }
  }
}
