/**
 * The kernel view: what /proc says about a lab process right now. Its open descriptors
 * (/proc/<pid>/fd: "pipe:[123]" is a pipe and its inode; two processes holding the same inode hold
 * the two ends of one pipe), its scheduler state (R running, S sleeping, ...) and, when it sleeps,
 * the kernel function it waits in (/proc/<pid>/wchan: pipe_write means blocked writing a full pipe).
 *
 * Linux only; elsewhere it returns undefined and the UI says the kernel view needs Linux.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { KernelFd } from '../contract/trace-events.js';

export interface KernelSnapshot {
  state: string;
  wchan: string;
  fds: KernelFd[];
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
    return { state: STATE_NAMES[code] ?? code, wchan: wchan === '0' ? '' : wchan, fds };
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
