/**
 * The kernel view: what /proc says about a lab process right now. Its open descriptors
 * (/proc/<pid>/fd: "pipe:[123]" is a pipe and its inode; two processes holding the same inode hold
 * the two ends of one pipe), its scheduler state (R running, S sleeping, ...) and, when it sleeps,
 * the kernel function it waits in (/proc/<pid>/wchan: pipe_write means blocked writing a full pipe).
 *
 * Linux only; elsewhere it returns undefined and the UI says the kernel view needs Linux.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { KernelFd, KernelMapping } from '../contract/trace-events.js';

export interface KernelSnapshot {
  state: string;
  wchan: string;
  fds: KernelFd[];
  /** Shared-memory mappings (files in /dev/shm), when the process has any. */
  maps?: KernelMapping[];
}

const STATE_NAMES: Record<string, string> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (uninterruptible wait)',
  T: 'T (stopped)',
  t: 't (traced)',
  Z: 'Z (zombie)',
  X: 'X (dead)',
  I: 'I (idle)',
};

/** Reads one process's state and descriptors, or undefined when it is gone (or this is not Linux). */
export function snapshotProcess(pid: number): KernelSnapshot | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the state follows the last ')'.
    const code = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim();
    } catch {
      // Some kernels hide wchan; the state alone still tells running from sleeping.
    }
    const fds: KernelFd[] = [];
    for (const name of readdirSync(`/proc/${pid}/fd`)) {
      try {
        fds.push({ fd: Number(name), target: readlinkSync(`/proc/${pid}/fd/${name}`) });
      } catch {
        // The descriptor closed between readdir and readlink.
      }
    }
    fds.sort((a, b) => a.fd - b.fd);
    const snapshot: KernelSnapshot = { state: STATE_NAMES[code] ?? code, wchan: wchan === '0' ? '' : wchan, fds };
    const maps = sharedMappings(readFileSync(`/proc/${pid}/maps`, 'utf8'));
    if (maps.length > 0) snapshot.maps = maps;
    return snapshot;
  } catch {
    return undefined;
  }
}

/** The process group of a pid (field 5 of /proc/<pid>/stat), or undefined if it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/**
 * The lines of /proc/<pid>/maps that map a file of /dev/shm, e.g.
 *   7f3a1c000000-7f3a1c010000 rw-s 00000000 00:1a 1234   /dev/shm/ipc-lab-77-3-buffer
 * ("s": shared, so other processes mapping the same file see every store).
 */
export function sharedMappings(maps: string): KernelMapping[] {
  const result: KernelMapping[] = [];
  for (const line of maps.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\d+\s+(\/dev\/shm\/.*)$/.exec(line);
    if (match) result.push({ start: match[1]!, end: match[2]!, perms: match[3]!, path: match[4]!.replace(/ \(deleted\)$/, '') });
  }
  return result;
}
