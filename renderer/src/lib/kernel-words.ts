/**
 * Plain words for what /proc shows: process states, the kernel function a process sleeps in (wchan),
 * and common fd targets. Unknown values are shown as they are, without a gloss.
 */

const STATES: Record<string, string> = {
  R: 'R running',
  S: 'S sleeping',
  D: 'D uninterruptible wait',
  T: 'T stopped',
  t: 't traced',
  Z: 'Z zombie (exited, not yet reaped)',
  X: 'X dead',
  I: 'I idle',
};

export function describeState(state: string): string {
  const letter = state.trim().charAt(0);
  // /proc/<pid>/stat gives "S"; /proc/<pid>/status gives "S (sleeping)": keep the longer form.
  if (state.trim().length > 1) return state.trim();
  return STATES[letter] ?? state;
}

const WCHANS: [RegExp, string][] = [
  [/^(anon_)?pipe_write$/, 'blocked writing a pipe (its buffer is full)'],
  [/^(anon_)?pipe_read$|^pipe_wait|^pipe_read_wait/, 'blocked reading a pipe (its buffer is empty)'],
  [/^wait_for_partner$|^fifo_open$/, 'blocked opening a FIFO until the other end opens'],
  [/^do_wait$/, 'waiting for a child to exit (waitpid)'],
  [/^ep_poll$/, 'idle in epoll_wait (an event loop waiting for I/O)'],
  [/^do_sys_poll$|^do_select$|^core_sys_select$/, 'waiting in poll/select'],
  [/^unix_stream_read|^unix_stream_data_wait$/, 'blocked reading a Unix socket'],
  [/^sock_alloc_send|^unix_wait_for_peer$|^sk_stream_wait_memory$/, 'blocked writing a socket (its buffer is full)'],
  [/^futex/, 'waiting on a futex (a lock or condition)'],
  [/^hrtimer_nanosleep$|^do_nanosleep$/, 'sleeping (nanosleep)'],
  [/^wait_woken$|^tcp_recvmsg/, 'waiting for network data'],
  [/^do_mq_timed|^wq_sleep$/, 'waiting on a message queue'],
];

export function describeWchan(wchan: string): string | null {
  for (const [pattern, words] of WCHANS) if (pattern.test(wchan)) return words;
  return null;
}

export function describeTarget(fd: number, target: string): string | null {
  const std = fd === 0 ? 'stdin' : fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : null;
  let what: string | null = null;
  if (target.startsWith('pipe:[')) what = 'anonymous pipe';
  else if (target.startsWith('socket:[')) what = 'socket';
  else if (target === '/dev/null') what = 'discards everything';
  else if (target.startsWith('anon_inode:')) what = 'kernel object without a file';
  else if (target.startsWith('/dev/pts/') || target.startsWith('/dev/tty')) what = 'terminal';
  if (std && what) return `(${std}, ${what})`;
  if (std) return `(${std})`;
  return what ? `(${what})` : null;
}

/** "rw-s" → "read, write, shared": the permissions column of /proc/<pid>/maps. */
export function describePerms(perms: string): string {
  const words: string[] = [];
  if (perms[0] === 'r') words.push('read');
  if (perms[1] === 'w') words.push('write');
  if (perms[2] === 'x') words.push('execute');
  if (perms[3] === 's') words.push('shared: other processes mapping it see every store');
  else if (perms[3] === 'p') words.push('private: copy-on-write, stores stay in this process');
  return words.join(', ');
}

/** A mapped file that was unlinked shows as "<path> (deleted)". */
export function describeMapPath(path: string): string | null {
  if (path.endsWith(' (deleted)')) return 'unlinked: its name is gone from /dev/shm, the memory lives while it stays mapped';
  return null;
}

/** The size of an address range given in hex, e.g. 7f3a1c000000-7f3a1c010000 → 65536; null if unreadable. */
export function mappingBytes(start: string, end: string): number | null {
  try {
    return Number(BigInt(`0x${end}`) - BigInt(`0x${start}`));
  } catch {
    return null;
  }
}

/**
 * Whether a descriptor is the runtime's own, not the lab's: the engine marks those with `runtime`
 * (libuv's epoll, eventfd and internal pipes, IPC Lab's trace channel and output). Only the mark
 * counts: an unmarked pipe or anon_inode is the lab's until the engine says otherwise.
 */
export function isRuntimeFd(fd: { runtime?: string }): boolean {
  return fd.runtime !== undefined;
}

/** The distinct runtime marks among these processes' descriptors, for the "show them" toggle. */
export function runtimeKinds(snapshots: readonly { fds: readonly { runtime?: string }[] }[]): string[] {
  const kinds = new Set<string>();
  for (const s of snapshots) for (const fd of s.fds) if (fd.runtime !== undefined) kinds.add(fd.runtime);
  return [...kinds];
}

/**
 * A process that has ended, in words: a short tag and a sentence. `end` comes from its process.exit,
 * host.exit or child.exit; `withRun` is for one whose end no event recorded (the run is over).
 */
export function describeEnd(
  end: { code: number | null; signal: string | null; seenIn: 'process.exit' | 'host.exit' | 'child.exit' } | null,
  withRun: { code: number | null; signal: string | null } | null = null,
): { tag: string; text: string } {
  const gone = 'A process that has ended has no descriptors and no state in /proc: the kernel closed everything it held.';
  const reporter = (seenIn: string) => (seenIn === 'child.exit' ? "its parent's waitpid()" : "the host's waitpid()");
  if (end?.signal)
    return {
      tag: `killed by ${end.signal}`,
      text: `${reporter(end.seenIn)} reported it killed by ${end.signal}. ${gone}`.replace(/^./, (c) => c.toUpperCase()),
    };
  if (end) {
    const how =
      end.seenIn === 'process.exit'
        ? `It exited with code ${end.code ?? '?'}.`
        : `It exited with code ${end.code ?? '?'}, as ${reporter(end.seenIn)} reported.`;
    return { tag: `exited (code ${end.code ?? '?'})`, text: `${how} ${gone}` };
  }
  const when = 'It ended with the run; no event recorded when.';
  if (withRun?.signal) return { tag: `killed by ${withRun.signal}`, text: `${when} ${gone}` };
  if (withRun && withRun.code !== null) return { tag: `exited (code ${withRun.code})`, text: `${when} ${gone}` };
  return { tag: 'ended', text: `${when} ${gone}` };
}

/**
 * The keys (a pipe's pipe:[inode], a mapped file's path) that two or more of these processes hold, each
 * with the pids holding it, in first-seen order: one kernel object seen from several processes.
 */
export function heldByTwoOrMore<S extends { pid: number }>(
  snapshots: readonly S[],
  keysOf: (snapshot: S) => readonly string[],
): { key: string; pids: number[] }[] {
  const byKey = new Map<string, Set<number>>();
  for (const snapshot of snapshots) {
    for (const key of keysOf(snapshot)) {
      let pids = byKey.get(key);
      if (!pids) byKey.set(key, (pids = new Set()));
      pids.add(snapshot.pid);
    }
  }
  return [...byKey].filter(([, pids]) => pids.size > 1).map(([key, pids]) => ({ key, pids: [...pids] }));
}
