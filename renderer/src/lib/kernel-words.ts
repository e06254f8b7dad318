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
