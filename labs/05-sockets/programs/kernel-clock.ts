/**
 * The kernel's CPU-time clock, as /proc/<pid>/stat shows it: `stime` (field 15, proc(5)) is the time the
 * process has spent running in the kernel, in clock ticks of 1/USER_HZ second, and USER_HZ is 100 on
 * Linux (sysconf(_SC_CLK_TCK)): 10 ms a tick. The kernel reports it monotonically (cputime_adjust in
 * kernel/sched/cputime.c never lets stime go back), so two readings bound the time spent between them.
 *
 * A few ticks say little: two readings 2 ticks apart may bracket anything from just over 1 tick of CPU
 * time to nearly 3, and with tick-based accounting (kernel/sched/cputime.c) each tick goes to whichever
 * mode the process was in when the timer fired: a sample, not a stopwatch. The sockets lab's client
 * goes on with its ping-pong until both processes have spent KERNEL_TIME_MIN_MS in the kernel on each
 * transport, and the check (checks.ts) asks for the same of the engine's own snapshots: one number,
 * read by both.
 */
import { readFileSync } from 'node:fs';

/** Milliseconds per clock tick of /proc/<pid>/stat (USER_HZ 100). */
export const MS_PER_CLOCK_TICK = 10;
/** Ten ticks: the least kernel time per transport that the comparison is made on. */
export const KERNEL_TIME_MIN_MS = 10 * MS_PER_CLOCK_TICK;
/**
 * The client goes on for at most this many times the batches asked for: a bound on the run, for a
 * machine whose clock counts too little (or too few round trips asked for); the check then fails.
 */
export const MORE_BATCHES_AT_MOST = 10;

/**
 * The time `pid` has spent in the kernel so far, in ms (a multiple of 10), or undefined once it is
 * gone. Fields after the command name, which may hold spaces and parentheses, so it is skipped to the
 * last ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime.
 */
export function kernelTimeMs(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * MS_PER_CLOCK_TICK;
  } catch {
    return undefined;
  }
}
