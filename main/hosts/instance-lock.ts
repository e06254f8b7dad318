/**
 * One IPC Lab host per data folder (browser mode: `npm start`, `ipc-lab serve`). The host that serves a
 * data folder holds a lock file in it naming itself (pid and start time) and the URL it serves; a second
 * host finds it and sends the student there instead of serving a second copy on another port. (The
 * desktop app does the same with Electron's requestSingleInstanceLock; the CLI's one-shot commands need
 * no lock: each run row names its engine, so no engine closes another's live run.)
 *
 * A lock whose holder is gone is stale and taken over: its pid is not running (or is a zombie), or is a
 * process that started at another time (the pid was reused after a host was killed with SIGKILL). The
 * start time is field 22 of /proc/<pid>/stat, as leftovers.ts compares it.
 *
 * The file appears whole or not at all: it is written under a temporary name and link(2)ed into place,
 * which fails with EEXIST when another host got there first (link is atomic on every local file system).
 */
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processIdentity } from '../engine/leftovers.js';

export const LOCK_FILE = 'ipc-lab.lock';

/** What the lock file holds (JSON). */
export interface LockRecord {
  pid: number;
  /** Start time of `pid` in clock ticks since boot (Linux), null where /proc is not there. */
  start: number | null;
  /** Where the holder serves the UI (with its sign-in token); null while it is still starting. */
  url: string | null;
}

export interface InstanceLock {
  readonly file: string;
  /** Records where this host serves, for a second start to print. */
  setUrl(url: string): void;
  /** Removes the lock, if it is still this process's. */
  release(): void;
}

/** Another live host holds the data folder. */
export class AlreadyRunningError extends Error {
  constructor(readonly holder: LockRecord) {
    super(
      holder.url === null
        ? `IPC Lab is already starting with this data folder (pid ${holder.pid}); open the address it prints.`
        : `IPC Lab is already running at ${holder.url}`,
    );
  }
}

/** This process as a lock names it. */
function ownRecord(url: string | null): LockRecord {
  const identity = processIdentity(process.pid);
  const start = identity?.includes(':') ? Number(identity.split(':')[1]) : null;
  return { pid: process.pid, start, url };
}

/** Whether the process a lock names is still that process. */
export function holderAlive(record: LockRecord): boolean {
  const identity = processIdentity(record.pid);
  return identity !== undefined && identity === (record.start === null ? String(record.pid) : `${record.pid}:${record.start}`);
}

function readLock(file: string): LockRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockRecord>;
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return { pid: parsed.pid!, start: typeof parsed.start === 'number' ? parsed.start : null, url: typeof parsed.url === 'string' ? parsed.url : null };
  } catch {
    return undefined;
  }
}

/** Writes `record` as `file`, whole, replacing what is there (a rename over it). */
function writeWhole(file: string, record: LockRecord, replace: boolean): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(record), { mode: 0o600 });
  try {
    if (replace) renameSync(temp, file);
    else linkSync(temp, file);
  } finally {
    if (!replace) unlinkSync(temp);
  }
}

/**
 * Takes the data folder's lock for this process, taking over a stale one. Throws AlreadyRunningError
 * when a live host holds it.
 */
export function takeInstanceLock(dataDir: string): InstanceLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    let full: boolean;
    try {
      writeWhole(file, ownRecord(null), false);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A full disk has no room for the lock: the engine starts read-only there, and says why.
      full = code === 'ENOSPC' || code === 'EDQUOT';
      try {
        unlinkSync(`${file}.${process.pid}.tmp`);
      } catch {
        // Never made.
      }
      if ((code !== 'EEXIST' && !full) || attempt >= 3) throw error;
    }
    const holder = readLock(file);
    if (holder && holderAlive(holder)) throw new AlreadyRunningError(holder);
    if (full) return { file, setUrl: () => {}, release: () => {} };
    // Stale (or unreadable: never written whole by any version). Of two hosts taking it over at once,
    // link() lets one in; the other finds that one's live lock on its next attempt.
    try {
      unlinkSync(file);
    } catch {
      // Another host removed it first.
    }
  }
  const mine = (): boolean => {
    const record = readLock(file);
    return record?.pid === process.pid;
  };
  return {
    file,
    setUrl(url) {
      if (mine()) writeWhole(file, ownRecord(url), true);
    },
    release() {
      try {
        if (mine()) unlinkSync(file);
      } catch {
        // Removed already.
      }
    },
  };
}
