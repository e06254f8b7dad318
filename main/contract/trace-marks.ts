/**
 * What the timeline draws for each trace event kind: the mark kind, and when a call counts as blocked.
 * The engine summarises windows of a trace with these (main/engine/trace-window.ts) and the page's
 * model (renderer/src/lib/trace/trace-model.ts) draws with them, so both agree on what a mark is. No
 * imports: the page bundles it.
 */

/** Calls longer than this are drawn as "blocked" bars. */
export const BLOCKED_THRESHOLD_NS = 1_000_000n;

export const MARK_KINDS = [
  'start',
  'exit',
  /** The process was ended by a signal (SIGTERM, SIGKILL). */
  'killed',
  /** A parent's waitpid returned: its child ended. */
  'reap',
  'create',
  'io',
  'send',
  'receive',
  'eof',
  'error',
  'close',
  'measure',
  'note',
  'output',
  'warning',
  'rejected',
] as const;

export type MarkKind = (typeof MARK_KINDS)[number];

/**
 * The mark an event of `kind` gets in its own lane, or null for kinds drawn otherwise (buffer.level as
 * an occupancy track, kernel snapshots in the kernel view) or not at all. `signal` is read for host.exit
 * only: a process ended by a signal is marked `killed`. Kinds newer than this table get a plain `note`.
 */
export function markKindOf(kind: string, signal?: unknown): MarkKind | null {
  switch (kind) {
    case 'process.start':
    case 'host.spawn':
      return 'start';
    case 'process.exit':
      return 'exit';
    case 'host.exit':
      return signal ? 'killed' : 'exit';
    case 'child.exit':
      return 'reap';
    case 'object.create':
    case 'object.open':
    case 'socket.listen':
    case 'socket.connect':
    case 'socket.accept':
      return 'create';
    case 'io.begin':
    case 'io.end':
      return 'io';
    case 'message.send':
    case 'rpc.call':
      return 'send';
    case 'message.receive':
    case 'rpc.reply':
      return 'receive';
    case 'rpc.execute':
    case 'rpc.ledger':
    case 'measure':
      return 'measure';
    case 'io.eof':
      return 'eof';
    case 'io.error':
    case 'rpc.error':
      return 'error';
    case 'rpc.fault':
    case 'rpc.duplicate':
    case 'host.warning':
      return 'warning';
    case 'io.close':
    case 'socket.close':
      return 'close';
    case 'note':
    case 'snapshot.request':
      return 'note';
    case 'host.output':
      return 'output';
    case 'trace.rejected':
      return 'rejected';
    default:
      return UNMARKED_KINDS.has(kind) ? null : 'note';
  }
}

/**
 * Kinds that get no mark: message.bytes (the event list shows its labelled bytes), kernel.snapshot (the
 * kernel view), buffer.level (its occupancy track), kernel.objects and host.cleanup (host bookkeeping).
 */
export const UNMARKED_KINDS: ReadonlySet<string> = new Set(['message.bytes', 'kernel.snapshot', 'buffer.level', 'kernel.objects', 'host.cleanup']);

/** Kinds that belong to no process's lane: the host's bookkeeping of the run's objects. */
export const LANELESS_KINDS: ReadonlySet<string> = new Set(['kernel.objects', 'host.cleanup']);
