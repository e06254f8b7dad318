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

export default defineChecks({
  'messages-through-fifo': {
    title: 'Every message went from the writer to the reader through the FIFO, in order',
    hint: 'Look for a message.send in the writer\'s lane with no matching message.receive in the reader\'s lane.',
    check(trace) {
      const { sent, received, ok } = delivered(trace, 'chat', 'writer', 'reader');
      if (sent === 0) return { passed: false, detail: 'The writer sent no message.' };
      return ok
        ? { passed: true, detail: `${sent} messages, writer → reader, received in the order sent.` }
        : { passed: false, detail: `The writer sent ${sent} messages; the reader received ${received}, not all in order.` };
    },
  },
  'unrelated-processes': {
    title: 'Two processes that are not parent and child opened the same FIFO by its path',
    hint: 'Both programs must open the FIFO: the writer finds it by its path once the reader has made it.',
    check(trace) {
      const reader = trace.processes.find((p) => p.role === 'reader');
      const writer = trace.processes.find((p) => p.role === 'writer');
      if (!reader || !writer) return { passed: false, detail: 'The reader and the writer did not both run.' };
      if (reader.ppid === writer.pid || writer.ppid === reader.pid) return { passed: false, detail: 'One process is the other\'s parent.' };
      const opens = opensOf(trace, 'chat');
      const readerOpen = opens.find((e) => e.role === 'reader');
      const writerOpen = opens.find((e) => e.role === 'writer');
      if (!readerOpen || !writerOpen) return { passed: false, detail: `The FIFO was opened by: ${opens.map((e) => e.role).join(', ') || 'nobody'}.` };
      if (readerOpen.object.inode !== writerOpen.object.inode)
        return { passed: false, detail: `The two opens reached different files (inodes ${readerOpen.object.inode} and ${writerOpen.object.inode}).` };
      return {
        passed: true,
        detail: `The reader (pid ${reader.pid}) and the writer (pid ${writer.pid}) were both started by the host (pid ${reader.ppid}), and both opened ${readerOpen.object.name} (inode ${readerOpen.object.inode}).`,
      };
    },
  },
  'same-fifo-in-kernel': {
    title: 'The kernel view shows both processes holding a descriptor on the FIFO\'s path',
    hint: 'The kernel view samples /proc while processes live: send more messages, or pause longer between them, so that both hold the FIFO open for a while.',
    check(trace) {
      const path = fifoPath(trace, 'chat');
      if (!path) return { passed: false, detail: 'No FIFO was created.' };
      const held = new Map<string, number>();
      for (const snapshot of eventsOf(trace, 'kernel.snapshot')) {
        const fd = snapshot.fds.find((f) => f.target === path || f.target === `${path} (deleted)`);
        if (fd) held.set(snapshot.role, fd.fd);
      }
      return held.has('reader') && held.has('writer')
        ? { passed: true, detail: `/proc shows ${path} at the reader's descriptor ${held.get('reader')} and the writer's descriptor ${held.get('writer')}.` }
        : { passed: false, detail: `${path} was seen in the descriptors of: ${[...held.keys()].join(', ') || 'no process'}.` };
    },
  },
  'open-waited-for-reader': {
    title: 'The writer\'s open() waited until the reader opened the FIFO',
    hint: 'The writer waits only if it opens first: give the reader a delay between mkfifo and open (about a second shows it well).',
    check(trace) {
      const delayNs = BigInt(Number(trace.params.readerOpenDelayMs ?? 0)) * 1_000_000n;
      const thresholdNs = delayNs / 2n > MIN_BLOCKED_NS ? delayNs / 2n : MIN_BLOCKED_NS;
      const writerOpen = eventsOf(trace, 'io.end', 'writer').find((e) => e.op === 'open');
      const readerOpen = eventsOf(trace, 'io.begin', 'reader').find((e) => e.op === 'open');
      if (!writerOpen || !readerOpen) return { passed: false, detail: 'The writer and the reader did not both open the FIFO.' };
      const waited = BigInt(writerOpen.durationNs);
      if (waited < thresholdNs)
        return { passed: false, detail: `The writer's open() returned after ${ms(waited)}: the reader was already there (it needed at least ${ms(thresholdNs)} to count as waiting).` };
      if (BigInt(writerOpen.ts) < BigInt(readerOpen.ts)) return { passed: false, detail: 'The writer\'s open() returned before the reader even began to open.' };
      const after = BigInt(writerOpen.ts) - BigInt(readerOpen.ts);
      return { passed: true, detail: `The writer was blocked in open() for ${ms(waited)}, and it returned ${ms(after)} after the reader's open() began.` };
    },
  },
  'small-writes-whole': {
    title: 'With several writers, every record arrived whole, once, in each writer\'s order',
    hint: 'A write of at most PIPE_BUF (4096) bytes goes in as one piece: keep "Bytes per record" at 4096 or less, and have at least two writers.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'writer').filter((e) => e.channel === 'records');
      const received = eventsOf(trace, 'message.receive', 'reader').filter((e) => e.channel === 'records');
      const writers = new Set(sent.map((e) => e.pid)).size;
      const corrupted = measureOf(trace, 'records corrupted', 'reader');
      const size = Number(trace.params.recordBytes);
      if (writers < 2) return { passed: false, detail: `Only ${writers} writer wrote: atomicity matters when several write at once.` };
      if (corrupted === undefined) return { passed: false, detail: 'The reader did not finish.' };
      if (corrupted > 0) return { passed: false, detail: `${corrupted} of ${sent.length} records of ${formatBytes(size)} arrived corrupted, with another writer's bytes inside.` };
      const ids = received.map((e) => e.messageId);
      const once = new Set(ids).size === ids.length && ids.length === sent.length && sent.every((s) => ids.includes(s.messageId));
      const inOrder = [...new Set(sent.map((s) => Math.floor(s.messageId / 100_000)))].every((w) => {
        const mine = ids.filter((id) => Math.floor(id / 100_000) === w);
        return mine.every((id, i) => i === 0 || id > mine[i - 1]!);
      });
      if (!once || !inOrder) return { passed: false, detail: `${sent.length} records sent, ${received.length} received whole, ${once ? 'but out of order' : 'not each once'}.` };
      const mixed = received.filter((e, i) => i > 0 && Math.floor(e.messageId / 100_000) !== Math.floor(received[i - 1]!.messageId / 100_000)).length;
      return {
        passed: true,
        detail: `${writers} writers, ${sent.length} records of ${formatBytes(size)}: all whole, though the writers took turns ${mixed} times. ${size <= 4096 ? 'At most PIPE_BUF: guaranteed.' : 'Above PIPE_BUF: luck, not a guarantee.'}`,
      };
    },
  },
  'large-writes-interleaved': {
    title: 'Writes above PIPE_BUF interleaved: some records arrived with another writer\'s bytes inside',
    hint: 'Only writes of more than PIPE_BUF (4096) bytes may be split, and only when the FIFO is full: several writers, records of 8192 bytes or more, and a reader that waits before reading.',
    check(trace) {
      const corrupted = measureOf(trace, 'records corrupted', 'reader');
      const whole = measureOf(trace, 'records whole', 'reader');
      const size = Number(trace.params.recordBytes);
      if (corrupted === undefined || whole === undefined) return { passed: false, detail: 'The reader did not finish.' };
      if (corrupted === 0) return { passed: false, detail: `All ${whole} records of ${formatBytes(size)} arrived whole: no write was split.` };
      const example = eventsOf(trace, 'note', 'reader').find((n) => n.text.includes('is corrupted'))?.text;
      return { passed: true, detail: `${corrupted} of ${corrupted + whole} pieces of ${formatBytes(size)} held bytes of more than one record${example ? `, e.g. ${example.replace(/^piece \d+ is corrupted: /, '')}` : ''}.` };
    },
  },
  'every-byte-arrived': {
    title: 'Every byte written reached the reader, whole or not',
    hint: 'The reader reads exactly what the writers write; if it stopped early, look at its lane for an error.',
    check(trace) {
      const written = eventsOf(trace, 'message.send', 'writer').filter((e) => e.channel === 'records').reduce((sum, e) => sum + e.bytes, 0);
      const read = measureOf(trace, 'bytes read', 'reader');
      const expected = Number(trace.params.writers) * Number(trace.params.records) * Number(trace.params.recordBytes);
      if (read === undefined) return { passed: false, detail: 'The reader did not finish.' };
      return read === written && written === expected
        ? { passed: true, detail: `${read.toLocaleString('en')} bytes written by ${trace.params.writers} writers, ${read.toLocaleString('en')} read: a FIFO loses nothing, even when it mixes.` }
        : { passed: false, detail: `${written.toLocaleString('en')} bytes written (${expected.toLocaleString('en')} expected), ${read.toLocaleString('en')} read.` };
    },
  },
  'ping-pong-answered': {
    title: 'Every ping reached the server and every pong came back to the client, in order',
    hint: 'Look for a ping without its pong: the client\'s lane should alternate send on to-server, receive on to-client.',
    check(trace) {
      const pings = delivered(trace, 'to-server', 'client', 'server');
      const pongs = delivered(trace, 'to-client', 'server', 'client');
      if (pings.sent === 0) return { passed: false, detail: 'The client sent no ping.' };
      return pings.ok && pongs.ok && pongs.sent === pings.sent
        ? { passed: true, detail: `${pings.sent} pings client → server on to-server, ${pongs.sent} pongs server → client on to-client.` }
        : { passed: false, detail: `${pings.sent} pings sent, ${pings.received} received; ${pongs.sent} pongs sent, ${pongs.received} received.` };
    },
  },
  'one-direction-per-fifo': {
    title: 'Each FIFO carried data one way: one process opened it for writing, the other for reading',
    hint: 'A two-way conversation needs two FIFOs, one per direction.',
    check(trace) {
      const problems: string[] = [];
      const summary: string[] = [];
      for (const [channel, writer, reader] of [['to-server', 'client', 'server'], ['to-client', 'server', 'client']] as const) {
        const opens = opensOf(trace, channel);
        const writers = new Set(opens.filter((e) => e.detail?.includes('O_WRONLY')).map((e) => e.role));
        const readers = new Set(opens.filter((e) => e.detail?.includes('O_RDONLY')).map((e) => e.role));
        const senders = new Set(eventsOf(trace, 'message.send').filter((e) => e.channel === channel).map((e) => e.role));
        const oneWay = writers.size === 1 && writers.has(writer) && readers.size === 1 && readers.has(reader) && [...senders].every((r) => r === writer);
        if (!oneWay) problems.push(`${channel}: written by ${[...writers].join(', ') || 'nobody'}, read by ${[...readers].join(', ') || 'nobody'}`);
        else summary.push(`${channel}: ${writer} → ${reader}`);
      }
      return problems.length === 0 ? { passed: true, detail: summary.join('; ') + '.' } : { passed: false, detail: problems.join('; ') + '.' };
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
      if (exits.length < 2) return { passed: false, detail: 'The writer and the reader did not both exit.' };
      if (!inspected || !used) return { passed: false, detail: 'The inspector did not open the FIFO.' };
      const lastExit = exits.reduce((a, b) => (BigInt(b.ts) > BigInt(a.ts) ? b : a));
      if (BigInt(inspected.ts) < BigInt(lastExit.ts)) return { passed: false, detail: 'The inspector looked before the others had exited.' };
      if (inspected.object.inode !== used.object.inode) return { passed: false, detail: `The inspector opened a different file (inode ${inspected.object.inode}, not ${used.object.inode}).` };
      return { passed: true, detail: `With no process left holding it, ${inspected.object.name} (inode ${inspected.object.inode}) was still there${size !== undefined ? `, ${size} bytes in size` : ''}.` };
    },
  },
  'no-data-kept': {
    title: 'The messages nobody read were gone: a FIFO keeps no data once nobody has it open',
    hint: 'The writer must leave messages unread (at least 2), and the inspector must read what is left after both have exited.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'writer').length;
      const received = eventsOf(trace, 'message.receive', 'reader').length;
      const left = measureOf(trace, 'bytes left in the FIFO', 'inspector');
      const eof = eventsOf(trace, 'io.eof', 'inspector').length > 0;
      if (left === undefined) return { passed: false, detail: 'The inspector did not read the FIFO.' };
      if (sent <= received) return { passed: false, detail: `The reader read all ${sent} messages: nothing was left unread to lose.` };
      return left === 0 && eof
        ? { passed: true, detail: `${sent - received} of ${sent} messages were never read, and once both processes had closed the FIFO a read found 0 bytes (end of file).` }
        : { passed: false, detail: `The inspector read ${left} bytes.` };
    },
  },
  'fifo-unlinked': {
    title: 'The FIFO was unlinked: its path no longer opens',
    hint: 'Tick "The inspector unlinks the FIFO": a FIFO stays in the file system, like any file, until someone unlinks it.',
    check(trace) {
      const inspected = opensOf(trace, 'mailbox').find((e) => e.role === 'inspector');
      const gone = eventsOf(trace, 'io.error', 'inspector').find((e) => e.op === 'open' && e.code === 'ENOENT');
      if (!gone) return { passed: false, detail: 'Nobody unlinked the FIFO; the host removed it with the run directory at the end.' };
      if (!inspected || inspected.seq > gone.seq) return { passed: false, detail: 'The path failed to open before the inspector had seen the FIFO.' };
      return { passed: true, detail: `After unlink(), opening ${inspected.object.name} failed with ENOENT.` };
    },
  },
});
