/**
 * Whether the UI can still reach the engine. A bridge reports a lost connection here; the app shows it
 * as a banner that says what happened and what to do.
 */
export class Connection {
  #lost = $state<string | null>(null);

  get lost(): string | null {
    return this.#lost;
  }

  markLost(message: string): void {
    this.#lost = message;
  }
}
