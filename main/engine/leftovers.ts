/**
 * Leftovers of runs whose host died before cleaning up (SIGKILL, a crash, a power cut). Lab processes
 * die with their host (PR_SET_PDEATHSIG), but their run directory (trace socket, FIFOs) and their
 * shared-memory segments stay until someone removes them: the next engine start does.
 */
import { readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'ipc-lab-run-';
/** The file in a run directory that names the engine that made it. */
export const OWNER_FILE = 'owner.pid';
/** Where a run's trace socket goes when its run directory is too deep for a socket path (trace-socket-path.ts). */
export const SHORT_TEMP_DIR = '/tmp';

/** Removes run directories (and trace socket directories) of this user that no live engine owns. Returns how many went. */
export function sweepLeftoverRunDirs(): number {
  let removed = 0;
  for (const parent of new Set([tmpdir(), SHORT_TEMP_DIR])) removed += sweepRunDirsIn(parent);
  return removed;
}

function sweepRunDirsIn(parent: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = join(parent, name);
    try {
      const stat = statSync(dir);
      if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) continue;
      if (ownerAlive(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Another engine removed it first.
    }
  }
  return removed;
}

/** Where POSIX shared-memory segments appear as files (Linux). */
export const SHM_DIR = '/dev/shm';
/** Where POSIX message queues appear as files, when the mqueue file system is mounted there (Linux). */
export const MQUEUE_DIR = '/dev/mqueue';

/**
 * The name prefix of one run's named kernel objects: /ipc-lab-<engine pid>-<run id>-. Lab programs
 * name their segments and queues with it (lab.shmName, lab.mqName), so the engine can find and unlink
 * them whatever the programs did.
 */
export function objectPrefix(runId: number): string {
  return `/ipc-lab-${process.pid}-${runId}-`;
}

/** The run's objects in one of those directories (full paths). */
export function objectsOfRun(dir: string, runId: number): string[] {
  const prefix = objectPrefix(runId).slice(1);
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith(prefix))
      .map((name) => `${dir}/${name}`);
  } catch {
    return [];
  }
}

/** Unlinks segments and queues of runs whose engine is gone (it was killed before it could). */
export function sweepLeftoverObjects(): string[] {
  const removed: string[] = [];
  for (const dir of [SHM_DIR, MQUEUE_DIR]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /^ipc-lab-(\d+)-\d+-/.exec(name);
      if (!match || isAlive(Number(match[1]))) continue;
      try {
        unlinkSync(`${dir}/${name}`);
        removed.push(`${dir}/${name}`);
      } catch {
        // Someone else removed it first.
      }
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Who a process is, across pid reuse: "<pid>:<start time>" (field 22 of /proc/<pid>/stat, in clock
 * ticks since boot), or undefined when it is gone or a zombie (kill(pid, 0) would still succeed on one).
 * Elsewhere than Linux, "<pid>" while kill(pid, 0) finds it.
 */
export function processIdentity(pid: number): string | undefined {
  if (process.platform !== 'linux') return isAlive(pid) ? String(pid) : undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : `${pid}:${fields[19]}`;
  } catch {
    return undefined;
  }
}

/** A run directory holds owner.pid, the pid of the engine that made it. */
function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
  } catch {
    // No owner file: made moments ago by an engine that has not written it yet, or very old. Keep it
    // if recent.
    return Date.now() - statSync(dir).mtimeMs < 60_000;
  }
  return isAlive(pid);
}
