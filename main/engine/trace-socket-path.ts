/**
 * Where a run's trace socket listens. A Unix socket's path must fit in sockaddr_un.sun_path: 108 bytes,
 * the terminating NUL included (unix(7)). libuv silently truncates a longer path and binds that one,
 * outside the run directory: no program finds the socket, every run fails with checks that blame the
 * student, and nobody removes the stray socket. The socket sits in the run directory while that fits;
 * under a long TMPDIR it goes in a short private directory of its own under /tmp (mkdtemp: mode 0700),
 * with the run's owner file so that the sweep knows whose it is, removed with the run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../contract/errors.js';
import { runDirPrefix, SHORT_TEMP_DIR, writeOwner } from './leftovers.js';

/** The longest path a Unix socket can have: sun_path less its NUL. */
export const SOCKET_PATH_MAX_BYTES = 107;

export interface TraceSocketPlace {
  path: string;
  /** The directory made for the socket alone (to remove with the run), or null when it is in the run directory. */
  ownDir: string | null;
}

export function placeTraceSocket(runDir: string): TraceSocketPlace {
  const inRunDir = join(runDir, 'trace.sock');
  if (Buffer.byteLength(inRunDir) <= SOCKET_PATH_MAX_BYTES) return { path: inRunDir, ownDir: null };
  const tooLong = `The trace socket ${inRunDir} would be ${Buffer.byteLength(inRunDir)} bytes, more than the ${SOCKET_PATH_MAX_BYTES} a Unix socket path can have (unix(7))`;
  const fix = `Set TMPDIR to a shorter folder (for example export TMPDIR=${SHORT_TEMP_DIR}) and start IPC Lab again.`;
  let ownDir: string;
  try {
    ownDir = mkdtempSync(join(SHORT_TEMP_DIR, runDirPrefix()));
  } catch (error) {
    throw new UserError('bad-environment', `${tooLong}, and no shorter directory could be made in ${SHORT_TEMP_DIR}: ${(error as Error).message}.`, fix);
  }
  const path = join(ownDir, 'trace.sock');
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX_BYTES) {
    rmSync(ownDir, { recursive: true, force: true });
    throw new UserError('bad-environment', `${tooLong}, and so would ${path}.`, fix);
  }
  writeOwner(ownDir);
  return { path, ownDir };
}
