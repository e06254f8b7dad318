/**
 * Leftovers of runs whose host died before cleaning up (SIGKILL, a crash, a power cut). Lab processes
 * die with their host (PR_SET_PDEATHSIG), but their run directory (trace socket, FIFOs) and their
 * shared-memory segments stay until someone removes them: the next engine start does.
 *
 * An owner is gone when /proc/<pid>/stat is missing or says Z or X: kill(pid, 0) succeeds on a zombie.
 * Against pid reuse, a run directory records the engine's start time (field 22) beside its pid, and a
 * segment or queue (named after the engine's pid) is not of a process that started after it.
 */
import { readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const RUN_DIR_PREFIX = 'ipc-lab-run-';
/** The file in a run directory that names the engine that made it: its bare pid, as every version reads it. */
export const OWNER_FILE = 'owner.pid';
/**
 * Beside it, the engine's start time (field 22 of /proc/<pid>/stat), against pid reuse. A file of its
 * own: an older engine reads owner.pid as a number and would sweep a run directory it cannot read.
 */
export const OWNER_START_FILE = 'owner.start';
/**
 * What a run directory's name starts with: the prefix and the engine's pid (then mkdtemp's six
 * characters). The name says whose it is from the moment it exists: an engine killed between mkdtemp
 * and writing its owner file leaves a directory the next start can still tell is a dead engine's.
 */
export function runDirPrefix(): string {
  return `${RUN_DIR_PREFIX}${process.pid}-`;
}
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
      if (!match || mayOwn(Number(match[1]), `${dir}/${name}`)) continue;
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
  const stat = procStat(pid);
  return stat && !stat.gone ? `${pid}:${stat.startTicks}` : undefined;
}

/** Marks `dir` as this engine's: its pid, and where /proc has it, its start time. */
export function writeOwner(dir: string): void {
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  const stat = procStat(process.pid);
  if (stat) writeFileSync(join(dir, OWNER_START_FILE), String(stat.startTicks));
}

/** State (field 3) and start time (field 22) of /proc/<pid>/stat; the name before them may hold spaces and parentheses. */
function procStat(pid: number): { gone: boolean; startTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { gone: fields[0] === 'Z' || fields[0] === 'X', startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/** USER_HZ, the unit of /proc's clock ticks: 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * Whether the live process `pid` can be the engine that named the object at `path` after itself. A
 * zombie cannot, nor a process that started after the object last changed: that is a new process with
 * the dead engine's pid (the engine starts before its runs make objects). The start time is placed on
 * the clock from /proc/uptime, to a few ticks; a second of slack keeps an engine's own objects.
 */
function mayOwn(pid: number, path: string): boolean {
  if (process.platform !== 'linux') return isAlive(pid);
  const stat = procStat(pid);
  if (!stat) return isAlive(pid); // hidden by hidepid (another user's): trust kill(pid, 0).
  if (stat.gone) return false;
  try {
    const bootMs = Date.now() - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    const startedMs = bootMs + (stat.startTicks * 1000) / TICKS_PER_SECOND;
    return startedMs <= statSync(path).mtimeMs + 1000;
  } catch {
    return true;
  }
}

/** A run directory holds owner.pid, the pid of the engine that made it, and owner.start, its start time (older versions: none). */
function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
  } catch {
    // No owner file: its engine was killed before writing one, or is writing it now. The name carries
    // its pid (runDirPrefix); an older version's name does not: then keep it if recent.
    const named = /^ipc-lab-run-(\d+)-/.exec(basename(dir));
    if (named) return processIdentity(Number(named[1])) !== undefined;
    return Date.now() - statSync(dir).mtimeMs < 60_000;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (process.platform !== 'linux') return isAlive(pid);
  const stat = procStat(pid);
  if (!stat) return isAlive(pid); // hidden by hidepid: trust kill(pid, 0).
  if (stat.gone) return false;
  let start: number;
  try {
    start = Number(readFileSync(join(dir, OWNER_START_FILE), 'utf8'));
  } catch {
    return true; // An older version's directory, or one whose start is being written: alive is all we can tell.
  }
  return start === stat.startTicks;
}
