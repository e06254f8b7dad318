/**
 * Leftovers of runs whose host died before cleaning up (SIGKILL, a crash, a power cut). Lab processes
 * die with their host (PR_SET_PDEATHSIG), but their run directory, with its trace socket and FIFOs,
 * stays until someone removes it: the next engine start does.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'ipc-lab-run-';

/** Removes run directories of this user that no live engine owns. Returns how many went. */
export function sweepLeftoverRunDirs(): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
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

/** A run directory holds owner.pid, the pid of the engine that made it. */
function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
  } catch {
    // No owner file: made moments ago by an engine that has not written it yet, or very old. Keep it
    // if recent.
    return Date.now() - statSync(dir).mtimeMs < 60_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
