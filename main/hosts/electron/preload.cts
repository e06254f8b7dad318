/**
 * The Electron window's preload: exposes `window.ipcLab`, the only door from the page to the engine.
 *
 *   window.ipcLab['labs.list']({})      -> Promise<{ ok: true, response } | { ok: false, error }>
 *   window.ipcLab.on('run:updated', fn) -> unsubscribe()   (fn gets the payload only)
 *   window.ipcLab.ready()               -> Promise<void>   (call once listeners are attached)
 *   window.ipcLab.savePdf(html, name)   -> Promise<{ ok: true, response: SavedPdf } | { ok: false, error }>
 *
 * Why a .cts file, and where the names come from: a sandboxed preload runs as one CommonJS script whose
 * `require` knows only 'electron' and a few built-ins. The contract (main/contract/commands.ts) is an ES
 * module that imports zod, so it cannot be required here, and copying its names by hand would drift.
 * Instead main passes the contract's command and event names in `webPreferences.additionalArguments`
 * (window-options.ts: bridgeArguments()), which Electron appends to this renderer's process.argv. The file
 * is .cts so tsc emits CommonJS (preload.cjs) inside this "type": "module" package, with no bundler and
 * no extra build step; it imports only types from the contract, which vanish at compile time.
 *
 * The channel strings below must match ipc-gate.ts; test/unit/hosts/preload.test.ts checks they do.
 */
import type { CommandName, CommandRequest, EngineEvents, EventName, WireEvent } from '../../contract/commands.js';
import type { CommandOutcome } from '../../engine/engine-handle.js';
import type { SavePdfOutcome } from './print-report.js';
import { contextBridge, ipcRenderer } from 'electron';

export type IpcLabApi = { [C in CommandName]: (request: CommandRequest<C>) => Promise<CommandOutcome> } & {
  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void;
  ready(): Promise<void>;
  /** Prints a report's HTML to PDF in main and saves it where the student chooses (print-report.ts). */
  savePdf(html: string, fileName: string): Promise<SavePdfOutcome>;
};

const CHANNEL_PREFIX = 'ipc-lab:';
const EVENT_CHANNEL = 'ipc-lab:event';
const READY_CHANNEL = 'ipc-lab:ready';
const SAVE_PDF_CHANNEL = 'ipc-lab:save-pdf';
const COMMANDS_ARGUMENT = '--ipc-lab-commands=';
const EVENTS_ARGUMENT = '--ipc-lab-events=';
const NAME = /^[a-z][a-z0-9]*([.:-][a-z0-9]+)*$/;

function namesFromArgv(prefix: string): string[] {
  const argument = process.argv.find((arg) => arg.startsWith(prefix));
  if (argument === undefined) {
    throw new Error(`IPC Lab's preload got no ${prefix}… argument; main must pass bridgeArguments() in webPreferences.additionalArguments.`);
  }
  const names = argument.slice(prefix.length).split(',');
  for (const name of names) {
    if (!NAME.test(name) || name === 'on' || name === 'ready' || name === 'savePdf') {
      throw new Error(`IPC Lab's preload got a bad name ${JSON.stringify(name)} in ${prefix}…`);
    }
  }
  return names;
}

const commandNames = namesFromArgv(COMMANDS_ARGUMENT);
const eventNames = new Set(namesFromArgv(EVENTS_ARGUMENT));

// One IPC listener for all events; page listeners get the payload, never Electron's event object
// (which would hand the page `sender`, i.e. ipcRenderer).
const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_ipcEvent, wire: WireEvent) => {
  for (const listener of listeners.get(wire.event) ?? []) {
    try {
      listener(wire.payload);
    } catch (error) {
      console.error(`IPC Lab: a listener for ${wire.event} threw`, error);
    }
  }
});

const api: Record<string, unknown> = {};
for (const command of commandNames) {
  api[command] = (request: unknown) => ipcRenderer.invoke(`${CHANNEL_PREFIX}${command}`, request);
}
api['on'] = (event: string, listener: (payload: unknown) => void): (() => void) => {
  if (!eventNames.has(event)) {
    throw new Error(`IPC Lab has no event named ${JSON.stringify(event)}; use one of: ${[...eventNames].join(', ')}.`);
  }
  if (typeof listener !== 'function') throw new Error(`IPC Lab: the listener for ${event} must be a function.`);
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
  };
};
api['ready'] = async (): Promise<void> => {
  await ipcRenderer.invoke(READY_CHANNEL);
};
// Only a string and a string cross: nothing the page passes can carry an object main would trust.
api['savePdf'] = (html: unknown, fileName: unknown): Promise<unknown> => {
  if (typeof html !== 'string' || typeof fileName !== 'string') {
    return Promise.reject(new Error('IPC Lab: savePdf(html, fileName) takes two strings.'));
  }
  return ipcRenderer.invoke(SAVE_PDF_CHANNEL, html, fileName);
};

contextBridge.exposeInMainWorld('ipcLab', api);
