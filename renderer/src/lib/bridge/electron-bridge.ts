/**
 * Electron mode: the preload script exposes `window.ipcLab`, one async method per command (named
 * exactly as the command) resolving to the wire outcome, plus `on(event, listener)`, `ready()` and
 * `savePdf(html, fileName)` (the host's PDF capability, pdf-saver.ts).
 */
import { BridgeError } from '../../../../main/contract/errors.js';
import type { Bridge, CommandName, CommandRequest, CommandResponse, EngineEvents, EventName } from '../../../../main/contract/commands.js';
import type { ErrorInfo } from '../../../../main/contract/errors.js';
import { ENGINE_EVENT_NAMES, EventHub } from './bridge-events.js';
import type { PdfSaver, SavedPdf } from './pdf-saver.js';

type Outcome = { ok: true; response: unknown } | { ok: false; error: ErrorInfo };

/** What the preload script puts on `window.ipcLab`. */
export type IpcLabPreload = {
  [C in CommandName]: (request: CommandRequest<C>) => Promise<Outcome>;
} & {
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  ready(): void | Promise<void>;
  /** Present from the version of the preload that prints reports (main/hosts/electron/print-report.ts). */
  savePdf?(html: string, fileName: string): Promise<Outcome>;
};

declare global {
  interface Window {
    ipcLab?: IpcLabPreload;
  }
}

export class ElectronBridge implements Bridge, Partial<PdfSaver> {
  readonly #api: IpcLabPreload;
  readonly #events = new EventHub();
  /** Only when the preload offers it: pdfSaverOf() tells the page whether the host can save PDFs. */
  readonly savePdf?: (html: string, fileName: string) => Promise<SavedPdf>;

  constructor(api: IpcLabPreload) {
    this.#api = api;
    // Subscribe to every pushed event once, then tell main we are listening (it queued events until now).
    for (const event of ENGINE_EVENT_NAMES) api.on(event, (payload) => this.#events.dispatch(event, payload));
    void Promise.resolve(api.ready()).catch((error: unknown) => console.error('IPC Lab: ready() failed', error));
    const savePdf = api.savePdf;
    if (typeof savePdf === 'function') {
      this.savePdf = async (html, fileName) => {
        const outcome = await savePdf(html, fileName);
        if (!outcome.ok) throw new BridgeError(outcome.error);
        return outcome.response as SavedPdf;
      };
    }
  }

  async call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
    const method = this.#api[command] as ((request: CommandRequest<C>) => Promise<Outcome>) | undefined;
    if (typeof method !== 'function') throw new Error(`The Electron preload does not offer the command "${command}".`);
    const outcome = await method(request);
    if (!outcome.ok) throw new BridgeError(outcome.error);
    return outcome.response as CommandResponse<C>;
  }

  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }
}
