/**
 * The main window's options, as a pure function so a unit test can check every security flag.
 *
 * The preload learns the contract's command and event names from two `additionalArguments` (Electron
 * appends them to the renderer's process.argv, which a sandboxed preload can read): the names come from
 * main/contract/commands.ts at run time, so nothing is copied by hand. See preload.cts for why.
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES } from '../../contract/commands.js';
// Type-only: this also puts preload.cts into the TypeScript program (tsconfig's include matches *.ts only).
import type { IpcLabApi } from './preload.cjs';

export const WINDOW_TITLE = 'IPC Lab';
export const COMMANDS_ARGUMENT = '--ipc-lab-commands=';
export const EVENTS_ARGUMENT = '--ipc-lab-events=';

export { ELECTRON_CSP } from '../content-security-policy.js';

/** The names the preload exposes, as its `additionalArguments` (see preload.cts). */
export function bridgeArguments(): string[] {
  return [`${COMMANDS_ARGUMENT}${COMMAND_NAMES.join(',')}`, `${EVENTS_ARGUMENT}${EVENT_NAMES.join(',')}`];
}

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    title: WINDOW_TITLE,
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false, // shown on 'ready-to-show', so the window never flashes white
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload: preloadPath,
      additionalArguments: bridgeArguments(),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** The shape `window.ipcLab` has in the renderer (re-exported for anyone typing against it). */
export type { IpcLabApi };
