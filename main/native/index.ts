/**
 * Typed access to the project's N-API addon (main/native/ipc-lab-native.c, built by `npm install`
 * through binding.gyp into build/Release). Only lab programs and the engine load it; the renderer never.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../engine/project-root.js';

export interface NativeAddon {
  /** pipe(2): both ends blocking and close-on-exec. */
  pipe(): { readFd: number; writeFd: number };
  /** mkfifo(3). Throws EEXIST if the path exists. */
  mkfifo(path: string, mode: number): void;
  /** The pipe's capacity in bytes (fcntl F_GETPIPE_SZ; Linux only). */
  pipeCapacity(fd: number): number;
  /** A blocking, connected Unix stream socket: the trace channel. */
  connectUnixSocket(path: string): number;
  /** prctl(PR_SET_PDEATHSIG). False when the parent is already gone. */
  setParentDeathSignal(signal: number, expectedParentPid: number): boolean;
  /** Sets FD_CLOEXEC on every descriptor >= minFd; returns how many were inheritable. */
  markInheritedCloseOnExec(minFd: number): number;
}

let loaded: NativeAddon | undefined;

export function native(): NativeAddon {
  if (loaded) return loaded;
  const addonPath = join(findProjectRoot(), 'build', 'Release', 'ipc_lab_native.node');
  if (!existsSync(addonPath)) {
    throw new Error(
      `IPC Lab's native addon is not built (${addonPath} is missing). Fix: run npm install (it builds the addon with node-gyp; needs python3, make and a C compiler).`,
    );
  }
  loaded = createRequire(import.meta.url)(addonPath) as NativeAddon;
  return loaded;
}
