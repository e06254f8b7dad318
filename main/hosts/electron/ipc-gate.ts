/**
 * The Electron host's rules, kept free of `electron` imports so plain Node can test them:
 *
 * - Only our own window's top frame, showing our own index.html, may call the engine. Anything else
 *   (an iframe, a page the window was somehow navigated to, a frame already gone) is dropped, the way
 *   Electron Fiddle's ipc.ts drops foreign senders.
 * - Only the contract's command names reach the engine.
 * - Events wait in a queue until the renderer says it is ready (its listeners are attached), then go
 *   out in order; a reload makes the new page say so again.
 */
import { COMMAND_NAMES, type WireEvent } from '../../contract/commands.js';
import type { CommandOutcome, EngineHandle } from '../../engine/engine-handle.js';

/** Channel prefix: the renderer invokes `ipc-lab:<command>`. */
export const CHANNEL_PREFIX = 'ipc-lab:';
/** main → renderer: one WireEvent per message. */
export const EVENT_CHANNEL = 'ipc-lab:event';
/** renderer → main: "my listeners are attached". */
export const READY_CHANNEL = 'ipc-lab:ready';
/** renderer → main: print this report HTML to a PDF and save it (print-report.ts); our window only, like commands. */
export const SAVE_PDF_CHANNEL = 'ipc-lab:save-pdf';

export function commandChannel(command: string): string {
  return `${CHANNEL_PREFIX}${command}`;
}

/** What main.ts tells the gate about an IPC message's `event.senderFrame`. */
export interface SenderFrame {
  /** The frame's current URL. */
  url: string;
  /** True when the frame is the top frame of IPC Lab's own window (not an iframe, not another window). */
  isOurMainFrame: boolean;
}

/** Thrown for a message from a frame that is not ours; main.ts lets it reject the renderer's invoke. */
export class ForeignSenderError extends Error {
  constructor(url: string | undefined) {
    super(`IPC Lab refused a message from a frame that is not its own window (${url ?? 'a frame that is gone'}).`);
    this.name = 'ForeignSenderError';
  }
}

/** True when `url` is our page: the same file, whatever its query or #fragment. */
export function isAppUrl(url: string, appUrl: string): boolean {
  let candidate: URL;
  let app: URL;
  try {
    candidate = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  return candidate.protocol === 'file:' && candidate.host === app.host && candidate.pathname === app.pathname;
}

export interface IpcGateOptions {
  /** The file:// URL of dist/renderer/index.html. */
  appUrl: string;
  engine: Pick<EngineHandle, 'handle'>;
  /** Delivers one event to the renderer (webContents.send on the event channel). */
  send: (event: WireEvent) => void;
  /**
   * Events kept for a renderer that has not said ready; past this the oldest are dropped (the UI can
   * re-read a run with `runs.get`, a page at a time). Default 10 000.
   */
  maxQueuedEvents?: number;
  warn?: (line: string) => void;
}

export class IpcGate {
  readonly #options: IpcGateOptions;
  readonly #commands = new Set<string>(COMMAND_NAMES);
  #ready = false;
  #queue: WireEvent[] = [];
  #droppedWhileWaiting = 0;

  constructor(options: IpcGateOptions) {
    this.#options = options;
  }

  get isReady(): boolean {
    return this.#ready;
  }

  isTrustedSender(frame: SenderFrame | null | undefined): boolean {
    return !!frame && frame.isOurMainFrame && isAppUrl(frame.url, this.#options.appUrl);
  }

  /** A command from the renderer; resolves to the wire outcome. Throws ForeignSenderError for others. */
  async invoke(frame: SenderFrame | null | undefined, command: string, request: unknown): Promise<CommandOutcome> {
    this.#assertTrusted(frame);
    if (!this.#commands.has(command)) {
      return {
        ok: false,
        error: {
          code: 'unknown-command',
          message: `IPC Lab has no command named ${JSON.stringify(command)}.`,
          fix: `Use one of: ${COMMAND_NAMES.join(', ')}.`,
        },
      };
    }
    return this.#options.engine.handle(command, request);
  }

  /** The renderer's listeners are attached: send what waited, in order. */
  markReady(frame: SenderFrame | null | undefined): void {
    this.#assertTrusted(frame);
    if (this.#ready) return;
    this.#ready = true;
    if (this.#droppedWhileWaiting > 0) {
      this.#options.warn?.(`IPC Lab dropped the ${this.#droppedWhileWaiting} oldest events while the window was not ready.`);
      this.#droppedWhileWaiting = 0;
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const event of queued) this.#options.send(event);
  }

  /** An engine event: sent now if the renderer is ready, else queued. */
  push(event: WireEvent): void {
    if (this.#ready) {
      this.#options.send(event);
      return;
    }
    this.#queue.push(event);
    const max = this.#options.maxQueuedEvents ?? 10_000;
    while (this.#queue.length > max) {
      this.#queue.shift();
      this.#droppedWhileWaiting++;
    }
  }

  /** The page is being replaced (reload, crash, window closed): queue again until the new one is ready. */
  reset(): void {
    this.#ready = false;
  }

  #assertTrusted(frame: SenderFrame | null | undefined): void {
    if (!this.isTrustedSender(frame)) throw new ForeignSenderError(frame?.url);
  }
}
