/**
 * What a host (Electron window, browser server, CLI) holds of the engine. Hosts stay thin: they pass
 * raw requests in and wire events out, and the engine checks everything against the contract.
 */
import type { WireEvent } from '../contract/commands.js';
import type { ErrorInfo } from '../contract/errors.js';

export type CommandOutcome = { ok: true; response: unknown } | { ok: false; error: ErrorInfo };

export interface EngineHandle {
  /** Checks `request` against the contract for `command`, runs it, and never throws. */
  handle(command: string, request: unknown): Promise<CommandOutcome>;
  /** Every pushed event, in order (a trace:batch bounded for a page unless `everyEvent`). Returns the unsubscribe function. */
  onEvent(listener: (event: WireEvent) => void, options?: { everyEvent?: boolean }): () => void;
  /** Stops every run (processes, FIFOs, sockets, run directories) and closes the database. */
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Where the SQLite file lives: Electron's userData, or $IPC_LAB_HOME, or ~/.local/share/ipc-lab. */
  dataDir: string;
  /** The labs folder (default: the project's labs/). */
  labsDir?: string;
  /** Events a run stores at most before it only counts them (default RUN_EVENT_BUDGET); tests set a small one. */
  eventBudget?: number;
}
