/**
 * `npm start`: the Electron window when Electron's binary is installed, else browser mode.
 *
 * Finding the binary without triggering a download: node_modules/electron/index.js (what
 * `require('electron')` runs under Node) reads path.txt and, when the binary is missing, runs install.js
 * synchronously to download it, which on an offline machine fails or hangs. So this file never requires
 * 'electron'; it repeats index.js's lookup read-only: path.txt names the executable inside
 * node_modules/electron/dist (or inside $ELECTRON_OVERRIDE_DIST_PATH), and the binary counts as present
 * only if that file exists and is executable.
 *
 *   npm start                      Electron if present, else browser mode on port 4780 (or a free one)
 *   npm start -- --browser         browser mode even if Electron is present
 *   npm start -- --port 4781       browser mode on that port (IPC_LAB_PORT sets the port too, but
 *                                  does not by itself turn Electron off)
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultDataDir, openEngine } from '../engine/engine.js';
import type { EngineHandle } from '../engine/engine-handle.js';
import { startBrowserHost, type BrowserHost } from './browser/browser-host.js';
import { AlreadyRunningError, takeInstanceLock } from './instance-lock.js';
import { electronMainFile, projectRoot } from './project-paths.js';

export const DEFAULT_PORT = 4780;

export type ElectronLookup = { found: true; binary: string } | { found: false; reason: string };

/**
 * Where Electron's executable is, if it is installed; never downloads anything.
 * `packageDir` defaults to the resolved node_modules/electron; `env` to process.env.
 */
export function findElectronBinary(options: { packageDir?: string; env?: NodeJS.ProcessEnv } = {}): ElectronLookup {
  const env = options.env ?? process.env;
  let packageDir = options.packageDir;
  if (packageDir === undefined) {
    try {
      packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    } catch {
      return { found: false, reason: 'the electron package is not installed' };
    }
  }
  let relative: string | undefined;
  try {
    relative = readFileSync(join(packageDir, 'path.txt'), 'utf8').trim() || undefined;
  } catch {
    relative = undefined;
  }
  const override = env['ELECTRON_OVERRIDE_DIST_PATH'];
  let binary: string;
  if (override) binary = join(override, relative ?? 'electron');
  else if (relative) binary = join(packageDir, 'dist', relative);
  else return { found: false, reason: "Electron's binary was never downloaded (node_modules/electron/path.txt is missing)" };
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    return { found: false, reason: `${binary} is missing or not executable` };
  }
  return { found: true, binary };
}

/** `--port N`, `--port=N`, else $IPC_LAB_PORT; undefined when neither is given. Throws on a bad value. */
export function requestedPort(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--port') raw = argv[i + 1] ?? '';
    else if (arg.startsWith('--port=')) raw = arg.slice('--port='.length);
  }
  raw ??= env['IPC_LAB_PORT'];
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`IPC Lab: ${JSON.stringify(raw)} is not a port; give --port (or IPC_LAB_PORT) a whole number from 0 to 65535.`);
  }
  return port;
}

export interface ServeBrowserModeOptions {
  /**
   * Port on 127.0.0.1. When left out, DEFAULT_PORT, or any free port if that one is taken. A port asked
   * for explicitly is not replaced: if it is taken, this rejects (a script waiting on that port would
   * otherwise wait forever).
   */
  port?: number;
  /** Default: defaultDataDir() ($IPC_LAB_HOME, else ~/.local/share/ipc-lab). */
  dataDir?: string;
  /** Default: the project's dist/renderer. */
  staticDir?: string;
  /** Close everything and exit 0 on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /** Where the URL line goes (default console.log). */
  print?: (line: string) => void;
}

export interface RunningBrowserMode {
  url: string;
  port: number;
  /** Closes the host, then the engine. */
  close(): Promise<void>;
}

/**
 * Opens the engine, serves the UI on 127.0.0.1, prints the URL. Used by `npm start` and `ipc-lab serve`.
 * Throws AlreadyRunningError (saying where) when another live host serves the same data folder.
 */
export async function serveBrowserMode(options: ServeBrowserModeOptions = {}): Promise<RunningBrowserMode> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = options.dataDir ?? defaultDataDir();
  const lock = takeInstanceLock(dataDir);
  // However this process ends short of SIGKILL, the lock goes with it (a SIGKILLed host's is taken over).
  const releaseOnExit = (): void => lock.release();
  process.on('exit', releaseOnExit);
  let engine: EngineHandle;
  let host: BrowserHost;
  try {
    engine = await openEngine({ dataDir });
    try {
      host = await listenWithFallback(engine, options, print);
    } catch (error) {
      await engine.close();
      throw error;
    }
  } catch (error) {
    lock.release();
    process.off('exit', releaseOnExit);
    throw error;
  }

  let closing: Promise<void> | undefined;
  const onSignal = (): void => {
    void close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('IPC Lab: shutting down failed:', error);
        process.exit(1);
      },
    );
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      try {
        await host.close();
      } finally {
        try {
          await engine.close();
        } finally {
          lock.release();
          process.off('exit', releaseOnExit);
        }
      }
    })();
    return closing;
  };
  if (options.handleSignals ?? true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  // Printed last: whoever reads the URL (a script, a test) may signal this process at once, and a
  // pipe on stdout is written synchronously, before the line after this one runs.
  lock.setUrl(host.url);
  print(`IPC Lab is running at ${host.url}`);
  return { url: host.url, port: host.port, close };
}

async function listenWithFallback(engine: EngineHandle, options: ServeBrowserModeOptions, print: (line: string) => void): Promise<BrowserHost> {
  const base = { engine, ...(options.staticDir === undefined ? {} : { staticDir: options.staticDir }) };
  if (options.port !== undefined) {
    try {
      return await startBrowserHost({ ...base, port: options.port });
    } catch (error) {
      if (isAddressInUse(error)) {
        throw new Error(`IPC Lab: port ${options.port} is taken on 127.0.0.1; pick another with --port, or leave it out to get a free one.`, { cause: error });
      }
      throw error;
    }
  }
  try {
    return await startBrowserHost({ ...base, port: DEFAULT_PORT });
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    const host = await startBrowserHost({ ...base, port: 0 });
    print(`Port ${DEFAULT_PORT} is taken (another IPC Lab?); using port ${host.port} instead.`);
    return host;
  }
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EADDRINUSE';
}

/** Runs Electron on the app and mirrors its exit; signals to this process are passed on. */
function runElectron(binary: string): void {
  const env = { ...process.env };
  // Inherited from a parent shell, this would make Electron act as plain Node and ignore the app.
  delete env['ELECTRON_RUN_AS_NODE'];
  const child = spawn(binary, [projectRoot()], { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('error', (error) => {
    console.error(`IPC Lab could not start Electron (${binary}): ${error.message}. Try: npm start -- --browser`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 1 : 0));
  });
}

async function main(argv: readonly string[]): Promise<void> {
  let port: number | undefined;
  try {
    port = requestedPort(argv);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  // Asking for a port on the command line means browser mode (IPC_LAB_PORT alone does not).
  const wantsBrowser = argv.some((arg) => arg === '--browser' || arg === '--port' || arg.startsWith('--port='));
  if (!wantsBrowser) {
    const electron = findElectronBinary();
    if (electron.found) {
      if (!existsSync(electronMainFile())) {
        console.error('IPC Lab is not built: run npm run build, then npm start.');
        process.exit(1);
      }
      runElectron(electron.binary);
      return;
    }
    console.log("Electron's binary is not installed here (no download possible); serving IPC Lab in browser mode instead.");
  }
  try {
    await serveBrowserMode(port === undefined ? {} : { port });
  } catch (error) {
    if (error instanceof AlreadyRunningError) {
      // Not a failure: the student asked for IPC Lab and it is there (open the URL it serves).
      console.log(error.message);
      process.exit(0);
    }
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main(process.argv.slice(2));
