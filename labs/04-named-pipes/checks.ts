/**
 * Checks over the student's own run of the named-pipes lab. Each says whether the trace shows the
 * behaviour the step is about, and what it showed.
 */
import { defineChecks, eventsOf, formatBytes, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';

/** An open that lasted less than this did not wait for anything worth the name. */
const MIN_BLOCKED_NS = 50_000_000n;

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(0)} ms`;
}

/** Nanoseconds as milliseconds, to the microsecond: a measurement's value. */
function msOf(ns: bigint): number {
  return Math.round(Number(ns) / 1e3) / 1e3;
}

/**
 * How the reader's pieces came out, from the trace: each whole record is a message.receive on
 * "records"; the reader cuts what its read() calls returned into pieces of recordBytes, so the pieces
 * it read are those bytes over recordBytes, and the mixed ones are the pieces that were not whole.
 * Undefined when the reader read nothing.
 */
function piecesOf(trace: RunTrace): { whole: number; mixed: number } | undefined {
  const { bytes } = bytesMoved(trace, 'read', 'reader', 'records');
  const size = Number(trace.params.recordBytes);
  if (bytes === 0 || !(size > 0)) return undefined;
  const whole = eventsOf(trace, 'message.receive', 'reader').filter((e) => e.channel === 'records').length;
  return { whole, mixed: Math.floor(bytes / size) - whole };
}

function fifoPath(trace: RunTrace, channel: string): string | undefined {
  return eventsOf(trace, 'object.create').find((e) => e.object.type === 'fifo' && e.channel === channel)?.object.name;
}

function opensOf(trace: RunTrace, channel: string): StoredEventOf<'object.open'>[] {
  return eventsOf(trace, 'object.open').filter((e) => e.channel === channel && e.object.type === 'fifo');
}

function measureOf(trace: RunTrace, name: string, role?: string): number | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name)?.value;
}

/** Sends of one role received by another on one channel, once each and in order. */
function delivered(trace: RunTrace, channel: string, from: string, to: string): { sent: number; ok: boolean; received: number } {
  const sent = eventsOf(trace, 'message.send', from).filter((e) => e.channel === channel);
  const received = eventsOf(trace, 'message.receive', to).filter((e) => e.channel === channel);
  const ok = sent.length > 0 && sent.length === received.length && sent.every((s, i) => received[i]!.messageId === s.messageId && received[i]!.text === s.text);
  return { sent: sent.length, received: received.length, ok };
}

/** The bytes the kernel said each read() or write() moved (io.end), by role, on one channel. */
function bytesMoved(trace: RunTrace, op: 'read' | 'write', role: string, channel: string): { bytes: number; last?: StoredEventOf<'io.end'> } {
  const ends = eventsOf(trace, 'io.end', role).filter((e) => e.op === op && e.channel === channel);
  return { bytes: ends.reduce((sum, e) => sum + e.bytes, 0), last: ends.at(-1) };
}

/** The latest snapshot of `role` whose descriptors include `path` (the kernel's name for it), if any. */
function snapshotHolding(trace: RunTrace, role: string, path: string): { snapshot: StoredEventOf<'kernel.snapshot'>; fd: number } | undefined {
  let found: { snapshot: StoredEventOf<'kernel.snapshot'>; fd: number } | undefined;
  for (const snapshot of eventsOf(trace, 'kernel.snapshot', role)) {
    // An unlinked FIFO still open shows as "<path> (deleted)" (proc(5)).
    const fd = snapshot.fds.find((f) => f.target === path || f.target === `${path} (deleted)`);
    if (fd) found = { snapshot, fd: fd.fd };
  }
  return found;
}

export default defineChecks({
  'messages-through-fifo': {
    title: 'Every message went from the writer to the reader through the FIFO, in order',
    hint: "Look for a message.send in the writer's lane with no matching message.receive in the reader's lane.",
    measures: { 'messages-received': { unit: 'messages', title: 'messages the reader read out of the channel' } },
    check(trace) {
      const { sent, received, ok } = delivered(trace, 'chat', 'writer', 'reader');
      const last = eventsOf(trace, 'message.receive', 'reader').at(-1);
      // What the reader read, counted from its lane once it ran, whatever the outcome.
      const m = eventsOf(trace, 'process.start', 'reader').length > 0 ? { measurements: { 'messages-received': received } } : {};
      if (sent === 0) return { passed: false, detail: 'The writer sent no message.', ...m };
      const pipe = eventsOf(trace, 'object.create').find((e) => e.channel === 'chat' && e.object.type === 'pipe');
      if (!fifoPath(trace, 'chat'))
        return {
          passed: false,
          detail: `${ok ? `All ${sent} messages arrived in order, but` : `The writer sent ${sent} messages and the reader received ${received};`} they went through ${pipe ? `an ordinary pipe (${pipe.object.name})` : 'no FIFO'}, not a FIFO.`,
          moment: last?.ts,
          hint: 'Make the reader create a FIFO (mkfifo): that is what this step is about.',
          ...m,
        };
      return ok
        ? { passed: true, detail: `${sent} messages, writer → reader, received in the order sent.`, moment: last?.ts, ...m }
        : { passed: false, detail: `The writer sent ${sent} messages; the reader received ${received}, not all in order.`, moment: last?.ts, ...m };
    },
  },
  'unrelated-processes': {
    title: 'Two processes that are not parent and child opened the same FIFO by its path',
    hint: 'Both programs must open the FIFO: the writer finds it by its path once the reader has made it.',
    check(trace) {
      const reader = trace.processes.find((p) => p.role === 'reader');
      // The writer that wrote the messages (with an ordinary pipe, the reader's own child).
      const writerPid = eventsOf(trace, 'message.send', 'writer').find((e) => e.channel === 'chat')?.pid;
      const writer = trace.processes.find((p) => p.role === 'writer' && (writerPid === undefined || p.pid === writerPid));
      if (!reader || !writer) return { passed: false, detail: 'The reader and the writer did not both run.' };
      if (reader.ppid === writer.pid || writer.ppid === reader.pid) {
        const pipe = eventsOf(trace, 'object.create', 'reader').find((e) => e.channel === 'chat' && e.object.type === 'pipe');
        return {
          passed: false,
          detail: `The writer that wrote (pid ${writer.pid}) is the reader's child${pipe ? `: an ordinary pipe (${pipe.object.name}) has no name in the file system, so a process it was not handed to cannot open it by a path` : ''}.`,
          moment: pipe?.ts,
          ...(pipe ? { hint: 'With a FIFO, any process that knows the path can open it: make the reader create a FIFO.' } : {}),
        };
      }
      const opens = opensOf(trace, 'chat');
      const readerOpen = opens.find((e) => e.role === 'reader');
      const writerOpen = opens.find((e) => e.role === 'writer');
      if (!readerOpen || !writerOpen) return { passed: false, detail: `The FIFO was opened by: ${opens.map((e) => e.role).join(', ') || 'nobody'}.` };
      // The inodes come from fstat() on each process's own descriptor: the kernel says which file it is.
      if (readerOpen.object.inode !== writerOpen.object.inode)
        return {
          passed: false,
          detail: `The two opens reached different files (inodes ${readerOpen.object.inode} and ${writerOpen.object.inode}).`,
          moment: writerOpen.ts,
        };
      return {
        passed: true,
        detail: `The reader (pid ${reader.pid}) and the writer (pid ${writer.pid}) were both started by the host (pid ${reader.ppid}), and both opened ${readerOpen.object.name} (inode ${readerOpen.object.inode}).`,
        moment: BigInt(writerOpen.ts) > BigInt(readerOpen.ts) ? writerOpen.ts : readerOpen.ts,
      };
    },
  },
  'same-fifo-in-kernel': {
    title: "The kernel view shows both processes holding a descriptor on the FIFO's path",
    hint: 'Each process asks for a kernel snapshot while it holds the FIFO (the writer after its first write, the reader after its first read): both must get that far.',
    check(trace) {
      const path = fifoPath(trace, 'chat');
      if (!path) {
        const pipe = eventsOf(trace, 'object.create', 'reader').find((e) => e.channel === 'chat' && e.object.type === 'pipe');
        const seen = pipe
          ? eventsOf(trace, 'kernel.snapshot', 'reader')
              .filter((s) => s.fds.some((f) => f.target === pipe.object.name))
              .at(-1)
          : undefined;
        return {
          passed: false,
          detail: pipe
            ? `No FIFO was created: the kernel view shows the reader's descriptor as ${pipe.object.name}, a pipe with no name in the file system.`
            : 'No FIFO was created.',
          moment: seen?.ts ?? pipe?.ts,
          ...(pipe ? { hint: 'A descriptor shows a path only for a file with a name: make the reader create a FIFO.' } : {}),
        };
      }
      const reader = snapshotHolding(trace, 'reader', path);
      const writer = snapshotHolding(trace, 'writer', path);
      if (reader && writer) {
        const later = BigInt(reader.snapshot.ts) > BigInt(writer.snapshot.ts) ? reader : writer;
        return {
          passed: true,
          detail: `/proc shows ${path} at the reader's descriptor ${reader.fd} and the writer's descriptor ${writer.fd}: a FIFO's descriptor reads as its path, not pipe:[…].`,
          moment: later.snapshot.ts,
        };
      }
      const seen = [reader && 'the reader', writer && 'the writer'].filter(Boolean).join(' and ');
      return { passed: false, detail: `${path} was seen in the descriptors of ${seen || 'no process'}.`, moment: (reader ?? writer)?.snapshot.ts };
    },
  },
  'open-waited-for-reader': {
    title: "The writer's open() waited until the reader opened the FIFO",
    hint: 'The writer waits only if it opens first: give the reader a delay between mkfifo and open (about a second shows it well).',
    measures: {
      'writer-open-ms': { unit: 'ms', title: "how long the writer's open() of the FIFO took" },
      'reader-open-ms': { unit: 'ms', title: "how long the reader's open() of the FIFO took" },
    },
    check(trace) {
      const delayNs = BigInt(Number(trace.params.readerOpenDelayMs ?? 0)) * 1_000_000n;
      const thresholdNs = delayNs / 2n > MIN_BLOCKED_NS ? delayNs / 2n : MIN_BLOCKED_NS;
      const writerOpen = eventsOf(trace, 'io.end', 'writer').find((e) => e.op === 'open');
      const readerOpen = eventsOf(trace, 'io.begin', 'reader').find((e) => e.op === 'open');
      // How long each open() took, from its io.end (the time the process spent inside the call).
      const readerOpened = eventsOf(trace, 'io.end', 'reader').find((e) => e.op === 'open');
      const measurements: Record<string, number> = {};
      if (writerOpen) measurements['writer-open-ms'] = msOf(BigInt(writerOpen.durationNs));
      if (readerOpened) measurements['reader-open-ms'] = msOf(BigInt(readerOpened.durationNs));
      const m = Object.keys(measurements).length > 0 ? { measurements } : {};
      if (!writerOpen || !readerOpen) {
        const pipe = eventsOf(trace, 'object.create', 'reader').find((e) => e.channel === 'chat' && e.object.type === 'pipe');
        return pipe
          ? {
              passed: false,
              detail: `Nobody opened anything: the reader made an ordinary pipe (${pipe.object.name}), and pipe(2) returns both ends at once.`,
              moment: pipe.ts,
              hint: 'Only a FIFO is opened by its path, and only that open waits for the other end: make the reader create a FIFO.',
              ...m,
            }
          : { passed: false, detail: 'The writer and the reader did not both open the FIFO.', ...m };
      }
      const waited = BigInt(writerOpen.durationNs);
      // The middle of the writer's open: where the kernel view shows it asleep in the FIFO's open.
      const middle = (BigInt(writerOpen.ts) - waited / 2n).toString();
      if (waited < thresholdNs)
        return {
          passed: false,
          detail: `The writer's open() returned after ${ms(waited)}: the reader was already there (it needed at least ${ms(thresholdNs)} to count as waiting).`,
          moment: writerOpen.ts,
          ...(BigInt(readerOpen.ts) < BigInt(writerOpen.ts) - waited
            ? {
                hint: 'The reader began its open() before the writer began its own: the reader waited instead. Give the reader a delay between mkfifo and open.',
              }
            : {}),
          ...m,
        };
      if (BigInt(writerOpen.ts) < BigInt(readerOpen.ts))
        return { passed: false, detail: "The writer's open() returned before the reader even began to open.", moment: writerOpen.ts, ...m };
      const after = BigInt(writerOpen.ts) - BigInt(readerOpen.ts);
      return {
        passed: true,
        detail: `The writer was blocked in open() for ${ms(waited)}, and it returned ${ms(after)} after the reader's open() began.`,
        moment: middle,
        ...m,
      };
    },
  },
  'small-writes-whole': {
    title: "With several writers, every record arrived whole, once, in each writer's order",
    hint: 'A write of at most PIPE_BUF (4096) bytes goes in as one piece: keep "Bytes per record" at 4096 or less, and have at least two writers.',
    measures: {
      'records-whole': { unit: 'records', title: 'pieces the reader cut that were one whole record' },
      'pieces-mixed': { unit: 'pieces', title: 'pieces the reader cut that held bytes of more than one record' },
    },
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'writer').filter((e) => e.channel === 'records');
      const received = eventsOf(trace, 'message.receive', 'reader').filter((e) => e.channel === 'records');
      const writers = new Set(sent.map((e) => e.pid)).size;
      const mixedPieces = measureOf(trace, 'pieces mixed', 'reader');
      const size = Number(trace.params.recordBytes);
      const firstMixed = eventsOf(trace, 'note', 'reader').find((n) => n.text.includes('mixes two writers'));
      const pieces = piecesOf(trace);
      const m = pieces ? { measurements: { 'records-whole': pieces.whole, 'pieces-mixed': pieces.mixed } } : {};
      if (writers < 2)
        return {
          passed: false,
          detail: `Only ${writers} writer wrote: atomicity matters when several write at once.`,
          hint: 'Have at least two writers: with one, nothing can get in between its writes.',
          ...m,
        };
      if (mixedPieces === undefined) return { passed: false, detail: 'The reader did not finish.', ...m };
      if (mixedPieces > 0)
        return {
          passed: false,
          detail: `${mixedPieces} of ${sent.length} pieces of ${formatBytes(size)} held bytes of two records: writes of more than PIPE_BUF were split and another writer's data went in between.`,
          moment: firstMixed?.ts,
          ...(size <= 4096 ? { hint: "Records of at most PIPE_BUF still arrived mixed: look at the reader's notes for the pieces." } : {}),
          ...m,
        };
      const ids = received.map((e) => e.messageId);
      const once = new Set(ids).size === ids.length && ids.length === sent.length && sent.every((s) => ids.includes(s.messageId));
      const inOrder = [...new Set(sent.map((s) => Math.floor(s.messageId / 100_000)))].every((w) => {
        const mine = ids.filter((id) => Math.floor(id / 100_000) === w);
        return mine.every((id, i) => i === 0 || id > mine[i - 1]!);
      });
      if (!once || !inOrder) {
        const epipe = eventsOf(trace, 'io.error', 'writer').find((e) => e.op === 'write' && e.code === 'EPIPE');
        return {
          passed: false,
          detail: `${sent.length} records sent, ${received.length} received whole, ${once ? 'but out of order' : 'not each once'}${epipe ? ': the reader closed the FIFO early (the writers got EPIPE)' : ''}.`,
          moment: epipe?.ts ?? received.at(-1)?.ts,
          ...(epipe ? { hint: 'Let the reader read every piece (Pieces the reader reads: 0).' } : {}),
          ...m,
        };
      }
      const turns = received.filter((e, i) => i > 0 && Math.floor(e.messageId / 100_000) !== Math.floor(received[i - 1]!.messageId / 100_000)).length;
      const blocked = eventsOf(trace, 'kernel.snapshot').filter((e) => e.role === 'writer' && /pipe_write/.test(e.wchan));
      return {
        passed: true,
        detail:
          `${writers} writers, ${sent.length} records of ${formatBytes(size)}: all whole, though the writers took turns ${turns} times` +
          `${blocked.length > 0 ? `, and the kernel view saw writers asleep in ${blocked[0]!.wchan}` : ''}. ` +
          `${size <= 4096 ? 'At most PIPE_BUF: guaranteed (pipe(7)).' : 'Above PIPE_BUF: luck, not a guarantee.'}`,
        moment: blocked[0]?.ts ?? received.at(-1)?.ts,
        ...m,
      };
    },
  },
  'large-writes-interleaved': {
    title: "Writes above PIPE_BUF were split: some pieces hold parts of two writers' records",
    hint: 'Only writes of more than PIPE_BUF (4096) bytes may be split, and only while the FIFO is full: several writers, records of 8192 bytes or more, and a reader that waits before reading.',
    measures: {
      'records-whole': { unit: 'records', title: 'pieces the reader cut that were one whole record' },
      'pieces-mixed': { unit: 'pieces', title: 'pieces the reader cut that held bytes of more than one record' },
    },
    check(trace) {
      const mixedPieces = measureOf(trace, 'pieces mixed', 'reader');
      const whole = measureOf(trace, 'records whole', 'reader');
      const size = Number(trace.params.recordBytes);
      const pieces = piecesOf(trace);
      const m = pieces ? { measurements: { 'records-whole': pieces.whole, 'pieces-mixed': pieces.mixed } } : {};
      if (mixedPieces === undefined || whole === undefined) return { passed: false, detail: 'The reader did not finish.', ...m };
      const writers = new Set(eventsOf(trace, 'message.send', 'writer').map((e) => e.pid)).size;
      if (mixedPieces === 0)
        return {
          passed: false,
          detail: `All ${whole} records of ${formatBytes(size)} arrived whole: no write was split.`,
          moment: eventsOf(trace, 'message.receive', 'reader').at(-1)?.ts,
          hint:
            writers < 2
              ? 'With one writer, nothing can get in between the parts of its writes: add writers.'
              : size <= 4096
                ? 'Writes of at most PIPE_BUF (4096) bytes are never split (pipe(7)): use records of 8192 bytes or more.'
                : 'No large write was split this time: it happens only while the FIFO is full and several writers wait for room. Read more slowly (smaller Bytes per read) and run again.',
          ...m,
        };
      const example = eventsOf(trace, 'note', 'reader').find((n) => n.text.includes('mixes two writers'));
      return {
        passed: true,
        detail: `${mixedPieces} of ${mixedPieces + whole} pieces of ${formatBytes(size)} held bytes of more than one record${example ? `, e.g. ${example.text.replace(/^piece \d+ mixes two writers: /, '')}` : ''}.`,
        moment: example?.ts,
        ...m,
      };
    },
  },
  'every-byte-arrived': {
    title: 'Every byte written reached the reader, whole or not',
    hint: 'The reader reads exactly what the writers write; if it stopped early, look at its lane for an error.',
    measures: {
      'bytes-written': { unit: 'bytes', title: "what the writers' write() calls returned, added up" },
      'bytes-read': { unit: 'bytes', title: "what the reader's read() calls returned, added up" },
      'bytes-before-first-read': { unit: 'bytes', title: "what the writers' completed write() calls had put in before the reader's first read() began" },
    },
    check(trace) {
      // What write() and read() returned, added up: the kernel's own count of the bytes moved.
      const writerRoles = [
        ...new Set(
          eventsOf(trace, 'process.start')
            .filter((e) => e.role === 'writer')
            .map((e) => e.pid),
        ),
      ];
      const written = eventsOf(trace, 'io.end', 'writer')
        .filter((e) => e.op === 'write' && e.channel === 'records')
        .reduce((sum, e) => sum + e.bytes, 0);
      const { bytes: read, last } = bytesMoved(trace, 'read', 'reader', 'records');
      const epipe = eventsOf(trace, 'io.error', 'writer').find((e) => e.op === 'write' && e.code === 'EPIPE');
      const expected = Number(trace.params.writers) * Number(trace.params.records) * Number(trace.params.recordBytes);
      // The same counts as measurements, and what the FIFO had taken from whole write() calls before anyone read.
      const writes = eventsOf(trace, 'io.end', 'writer').filter((e) => e.op === 'write' && e.channel === 'records');
      const firstRead = eventsOf(trace, 'io.begin', 'reader').find((e) => e.op === 'read' && e.channel === 'records');
      const measurements: Record<string, number> = {};
      if (writes.length > 0) measurements['bytes-written'] = written;
      if (last) measurements['bytes-read'] = read;
      if (firstRead) measurements['bytes-before-first-read'] = writes.filter((e) => BigInt(e.ts) < BigInt(firstRead.ts)).reduce((sum, e) => sum + e.bytes, 0);
      const m = Object.keys(measurements).length > 0 ? { measurements } : {};
      if (measureOf(trace, 'bytes read', 'reader') === undefined) return { passed: false, detail: 'The reader did not finish.', moment: last?.ts, ...m };
      return read === written && written === expected
        ? {
            passed: true,
            detail: `write() took ${written.toLocaleString('en')} bytes from ${writerRoles.length} writers, read() returned ${read.toLocaleString('en')}: a FIFO loses nothing, even when it mixes.`,
            moment: last?.ts,
            ...m,
          }
        : {
            passed: false,
            detail:
              `write() took ${written.toLocaleString('en')} bytes (${expected.toLocaleString('en')} expected), read() returned ${read.toLocaleString('en')}` +
              (epipe
                ? `: the reader closed the FIFO with ${(written - read).toLocaleString('en')} bytes unread, the kernel discarded them, and the writers' next write() failed with EPIPE.`
                : '.'),
            moment: epipe?.ts ?? last?.ts,
            ...(epipe
              ? { hint: 'A FIFO loses nothing while someone reads it; what is in it when the last reader closes is gone. Let the reader read every piece.' }
              : {}),
            ...m,
          };
    },
  },
  'ping-pong-answered': {
    title: 'Every ping reached the server and every pong came back to the client, in order',
    hint: "Look for a ping without its pong: the client's lane should alternate a send on to-server and a receive on to-client.",
    check(trace) {
      const one = trace.params.fifos === 'one';
      const pings = delivered(trace, one ? 'chat' : 'to-server', 'client', 'server');
      const pongs = delivered(trace, one ? 'chat' : 'to-client', 'server', 'client');
      const wanted = Number(trace.params.pings);
      const lastPong = eventsOf(trace, 'message.receive', 'client').pop();
      const readBack = eventsOf(trace, 'message.receive').find((e) => Number(/from pid (\d+)/.exec(e.text ?? '')?.[1]) === e.pid);
      if (pings.sent === 0) return { passed: false, detail: 'The client sent no ping.' };
      if (pings.ok && pongs.ok && pongs.sent === pings.sent && pings.sent === wanted)
        return {
          passed: true,
          detail: `${pings.sent} pings client → server on to-server, ${pongs.sent} pongs server → client on to-client.`,
          moment: lastPong?.ts,
        };
      return {
        passed: false,
        detail: `${pings.sent} of ${wanted} pings sent, ${pings.received} received by the server; ${pongs.sent} pongs sent, ${pongs.received} received by the client.`,
        moment: lastPong?.ts,
        ...(readBack ? { hint: `The ${readBack.role}'s read() took whatever was next in the FIFO: its own message. Use one FIFO per direction.` } : {}),
      };
    },
  },
  'no-message-read-back': {
    title: 'No process read back its own message: each one read only what the other wrote',
    hint: 'A FIFO does not know who wrote: whoever reads next takes the next bytes. With one FIFO per direction, each process reads only from a FIFO the other one writes into.',
    measures: { 'messages-read-back': { unit: 'messages', title: 'messages a process read that it had written itself' } },
    check(trace) {
      const client = trace.processes.find((p) => p.role === 'client');
      const server = trace.processes.find((p) => p.role === 'server');
      if (!client || !server) return { passed: false, detail: 'The client and the server did not both run.' };
      // What the kernel showed: the FIFOs (by path, as /proc/<pid>/fd gives them) each process held.
      const paths = eventsOf(trace, 'object.create')
        .filter((e) => e.object.type === 'fifo')
        .map((e) => e.object.name);
      const held = (pid: number) => {
        const snapshot = eventsOf(trace, 'kernel.snapshot')
          .filter((s) => s.pid === pid && paths.some((p) => s.fds.some((f) => f.target === p)))
          .pop();
        return { snapshot, paths: paths.filter((p) => snapshot?.fds.some((f) => f.target === p)).map((p) => p.slice(p.lastIndexOf('/') + 1)) };
      };
      const clientHeld = held(client.pid);
      const serverHeld = held(server.pid);
      // What each read() returned: every message names its writer's pid.
      const reads = eventsOf(trace, 'message.receive').filter((e) => e.role === 'client' || e.role === 'server');
      const writerOf = (text: string | undefined) => Number(/from pid (\d+)/.exec(text ?? '')?.[1]);
      const own = reads.find((e) => writerOf(e.text) === e.pid);
      // Every read that returned the reader's own message, counted once there were reads at all.
      const m = reads.length > 0 ? { measurements: { 'messages-read-back': reads.filter((e) => writerOf(e.text) === e.pid).length } } : {};
      const kernel = `the kernel view shows the client holding ${clientHeld.paths.join(' and ') || 'no FIFO'}, the server ${serverHeld.paths.join(' and ') || 'no FIFO'}`;
      if (own)
        return {
          passed: false,
          detail: `The ${own.role} (pid ${own.pid}) read back its own message "${own.text}" from ${own.channel}.fifo: ${kernel}.`,
          moment: own.ts,
          ...m,
        };
      if (reads.length === 0) return { passed: false, detail: 'Neither process read a message.' };
      if (!clientHeld.snapshot || !serverHeld.snapshot)
        return {
          passed: false,
          detail: `The kernel view never showed ${!clientHeld.snapshot ? 'the client' : 'the server'} holding a FIFO.`,
          hint: 'The client asks for a snapshot of /proc after its first answer: it must get one.',
          ...m,
        };
      return {
        passed: true,
        detail: `${reads.length} messages read, each written by the other process; ${kernel}.`,
        moment: clientHeld.snapshot.ts,
        ...m,
      };
    },
  },
  'fifo-outlived-processes': {
    title: 'After the writer and the reader exited, a new process found the FIFO still there',
    hint: 'The inspector must open the FIFO by its path after both others have exited; look for its object.open after the two child.exit events.',
    check(trace) {
      const exits = eventsOf(trace, 'child.exit', 'keeper').filter((e) => e.childRole === 'writer' || e.childRole === 'reader');
      const opens = opensOf(trace, 'mailbox');
      const used = opens.find((e) => e.role === 'writer' || e.role === 'reader');
      const inspected = opens.find((e) => e.role === 'inspector');
      const size = measureOf(trace, 'st_size', 'inspector');
      const missing = eventsOf(trace, 'note', 'inspector').find((n) => /^stat\(.*ENOENT/.test(n.text));
      if (exits.length < 2) return { passed: false, detail: 'The writer and the reader did not both exit.' };
      if (missing)
        return {
          passed: false,
          detail: "When the inspector came, stat() of the FIFO's path failed with ENOENT: its name had been unlinked.",
          moment: missing.ts,
          hint: 'A FIFO\'s name stays until someone unlinks it: here someone did before the inspector came. Untick "The reader unlinks the FIFO".',
        };
      if (!inspected || !used) return { passed: false, detail: 'The inspector did not open the FIFO.' };
      const lastExit = exits.reduce((a, b) => (BigInt(b.ts) > BigInt(a.ts) ? b : a));
      if (BigInt(inspected.ts) < BigInt(lastExit.ts))
        return { passed: false, detail: 'The inspector looked before the others had exited.', moment: inspected.ts };
      if (inspected.object.inode !== used.object.inode)
        return {
          passed: false,
          detail: `The inspector opened a different file (inode ${inspected.object.inode}, not ${used.object.inode}).`,
          moment: inspected.ts,
        };
      return {
        passed: true,
        detail: `With no process left holding it, ${inspected.object.name} (inode ${inspected.object.inode}, the same file fstat() gave the writer) was still there${size !== undefined ? `, st_size ${size}` : ''}.`,
        moment: inspected.ts,
      };
    },
  },
  'no-data-kept': {
    title: 'The messages nobody read were gone: a FIFO keeps no data once nobody has it open',
    hint: 'The writer must leave messages unread (at least 2), and the inspector must read what is left after both have exited.',
    measures: {
      'bytes-unread': { unit: 'bytes', title: "what the writer's write() took minus what the reader's read() calls returned" },
      'bytes-left': { unit: 'bytes', title: "what the inspector's read() returned, after the writer and the reader had gone" },
    },
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'writer').length;
      // What the reader's read() calls returned, against what the writer's write() took.
      const written = bytesMoved(trace, 'write', 'writer', 'mailbox').bytes;
      const readByReader = bytesMoved(trace, 'read', 'reader', 'mailbox').bytes;
      const inspectorRead = eventsOf(trace, 'io.end', 'inspector').find((e) => e.op === 'read' && e.channel === 'mailbox');
      const eof = eventsOf(trace, 'io.eof', 'inspector')[0];
      const measurements: Record<string, number> = {};
      if (eventsOf(trace, 'io.end', 'writer').some((e) => e.op === 'write' && e.channel === 'mailbox')) measurements['bytes-unread'] = written - readByReader;
      if (inspectorRead) measurements['bytes-left'] = inspectorRead.bytes;
      const m = Object.keys(measurements).length > 0 ? { measurements } : {};
      if (!inspectorRead) return { passed: false, detail: 'The inspector did not read the FIFO.', ...m };
      if (readByReader >= written)
        return {
          passed: false,
          detail: `The reader read all ${written} bytes the writer wrote: nothing was left unread to lose.`,
          moment: inspectorRead.ts,
          hint: 'Have the reader read fewer messages than the writer puts in the FIFO.',
          ...m,
        };
      return inspectorRead.bytes === 0 && eof
        ? {
            passed: true,
            detail: `${written - readByReader} of the ${written} bytes (${sent} messages) the writer wrote were never read, and once both processes had closed the FIFO the inspector's read() returned 0 (end of file).`,
            moment: eof.ts,
            ...m,
          }
        : { passed: false, detail: `The inspector's read() returned ${inspectorRead.bytes} bytes.`, moment: inspectorRead.ts, ...m };
    },
  },
  'fifo-unlinked': {
    title: 'The FIFO was unlinked: its path no longer opens',
    hint: 'Tick "The inspector unlinks the FIFO": a FIFO stays in the file system, like any file, until someone unlinks it.',
    check(trace) {
      const inspected = opensOf(trace, 'mailbox').find((e) => e.role === 'inspector');
      const gone = eventsOf(trace, 'io.error', 'inspector').find((e) => e.op === 'open' && e.code === 'ENOENT');
      if (!inspected)
        return {
          passed: false,
          detail: 'The inspector never opened the FIFO, so it could not unlink it.',
          hint: 'The inspector must find the FIFO first: untick "The reader unlinks the FIFO".',
        };
      if (!gone) return { passed: false, detail: 'Nobody unlinked the FIFO; the host removed it with the run directory at the end.', moment: inspected.ts };
      if (BigInt(inspected.ts) > BigInt(gone.ts))
        return { passed: false, detail: 'The path failed to open before the inspector had seen the FIFO.', moment: gone.ts };
      return { passed: true, detail: `After unlink(), opening ${inspected.object.name} failed with ENOENT.`, moment: gone.ts };
    },
  },
});
