/** Everything the app holds, created once at start-up with the bridge it talks through. */
import type { Bridge } from '../../../../main/contract/commands.js';
import { Connection } from '../bridge/connection.svelte.js';
import { pickBridge } from '../bridge/pick-bridge.js';
import { Router } from '../router.svelte.js';
import { Catalogue } from './catalogue.svelte.js';
import { LabPage } from './lab-page.svelte.js';

export class AppState {
  readonly connection = new Connection();
  readonly router = new Router();
  readonly bridge: Bridge;
  readonly catalogue: Catalogue;
  readonly labPage: LabPage;
  /** An error nobody else caught (a bug): shown in a banner rather than leaving a blank page. */
  #unexpected = $state<string | null>(null);

  constructor() {
    this.bridge = pickBridge((message) => this.connection.markLost(message));
    // Listeners are attached synchronously here, before the socket opens and says it is ready.
    this.catalogue = new Catalogue(this.bridge);
    this.labPage = new LabPage(this.bridge);
  }

  get unexpected(): string | null {
    return this.#unexpected;
  }

  reportUnexpected(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#unexpected = message;
    console.error('IPC Lab:', error);
  }

  dismissUnexpected(): void {
    this.#unexpected = null;
  }
}
