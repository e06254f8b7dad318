/**
 * Checks over the student's own run of the ordinary-pipes lab. Each says whether the trace shows the
 * behaviour the step is about, what it showed, and where (`moment`: the `ts` of the evidence).
 *
 * Order is judged by `ts` (one monotonic clock in every process), never by `seq`, the order events
 * reached the host: a woken reader's event can reach it before the event of the writer that woke it.
 * The programs emit every event that announces a call able to wake another process (a write, a close)
 * before that call, so a cause is never stamped after its effect.
 *
 * The kinds that grow with the parameters (message.send / message.receive with the messages, io.begin /
 * io.end with the writes of the capacity step, hundreds of thousands of them) are read as streams or
 * counted (RunTrace in main/engine/check-kit.ts), never held whole.
 */
import { byTime, defineChecks, eventsOf, findIn, NotInTimeOrder, someIn, zip, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { KernelFd, StoredEventOf } from '../../main/contract/trace-events.js';

type Snapshot = StoredEventOf<'kernel.snapshot'>;

const ts = (e: { ts: string }): bigint => BigInt(e.ts);

/** "65,536 bytes (64 KiB)", "64,000 bytes": the count always, and KiB only when it is exact. */
function bytesText(bytes: number): string {
  const count = `${bytes.toLocaleString('en-US')} byte${bytes === 1 ? '' : 's'}`;
  return bytes >= 1024 && bytes % 1024 === 0 ? `${count} (${(bytes / 1024).toLocaleString('en-US')} KiB)` : count;
}

function seconds(ns: bigint): string {
  return `${(Number(ns) / 1e9).toFixed(2)} s`;
}

function pipeOf(trace: RunTrace): StoredEventOf<'object.create'> | undefined {
  return eventsOf(trace, 'object.create', 'parent').find((e) => e.object.type === 'pipe');
}

/** The descriptor number pipe() returned for the write end, as the runtime traced it ("... write end fd 19"). */
function pipeFds(snapshot: Snapshot, pipe: string): KernelFd[] {
  return snapshot.fds.filter((fd) => fd.target === pipe);
}

/** Asleep (S) in the kernel's pipe code: wchan is pipe_read/pipe_write, or anon_pipe_read/anon_pipe_write on recent kernels (6.18 here). */
function asleepInPipe(snapshot: Snapshot): boolean {
  return snapshot.state.startsWith('S') && /pipe/.test(snapshot.wchan);
}

/** The snapshots the engine took because `role` asked for them (lab.snapshot()), all processes, from its first request on. */
function roundsAskedBy(trace: RunTrace, role: string): Snapshot[] {
  const first = eventsOf(trace, 'snapshot.request', role)[0];
  if (!first) return [];
  return eventsOf(trace, 'kernel.snapshot').filter((s) => s.requested !== undefined && ts(s) >= ts(first));
}

type WriteEvent = StoredEventOf<'io.begin'> | StoredEventOf<'io.end'> | StoredEventOf<'io.error'>;

interface WriteCall {
  begin: StoredEventOf<'io.begin'>;
  end?: StoredEventOf<'io.end'> | StoredEventOf<'io.error'>;
  bytes: number;
}

/**
 * The parent's write() calls in the order it made them, each from its io.begin to its io.end (or
 * io.error): the three kinds merged by time, ties in the host's order (seq), one call at a time (the
 * capacity step's run holds hundreds of thousands of writes). Each ts is read once.
 */
function* parentWrites(trace: RunTrace, sorted = false): Generator<WriteCall> {
  const writes = <E extends { op: string }>(events: Iterable<E>) => filterIn(events, (e) => e.op === 'write');
  const begins = writes(trace.stream('io.begin', 'parent'));
  const ends = writes(trace.stream('io.end', 'parent'));
  const errors = writes(trace.events('io.error', 'parent'));
  const events = sorted ? sortedByTime<WriteEvent>([...begins, ...ends, ...errors]) : byTime<WriteEvent>(begins, ends, errors);
  let open: WriteCall | undefined;
  for (const e of events) {
    if (e.kind === 'io.begin') {
      if (open) yield open;
      open = { begin: e, bytes: 0 };
    } else if (open && !open.end) {
      open.end = e;
      open.bytes = e.kind === 'io.end' ? e.bytes : 0;
    }
  }
  if (open) yield open;
}

/** `use` over the parent's writes, streamed; sorted in memory instead if a stream was not in time order (byTime). */
function withWrites<T>(trace: RunTrace, use: (calls: Iterable<WriteCall>) => T): T {
  try {
    return use(parentWrites(trace));
  } catch (error) {
    if (!(error instanceof NotInTimeOrder)) throw error;
    return use(parentWrites(trace, true));
  }
}

function* filterIn<E>(events: Iterable<E>, test: (e: E) => boolean): Generator<E> {
  for (const e of events) if (test(e)) yield e;
}

function sortedByTime<E extends { ts: string; seq: number }>(events: E[]): E[] {
  return events
    .map((e) => ({ e, at: ts(e) }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.e.seq - b.e.seq))
    .map(({ e }) => e);
}

/**
 * The parent's first write() during which the kernel view saw it asleep in the pipe code, with the
 * snapshot that saw it and the bytes its earlier writes had put in.
 */
function blockedWrite(trace: RunTrace): { call: WriteCall; seen: Snapshot; index: number; before: number } | undefined {
  const asleep = eventsOf(trace, 'kernel.snapshot', 'parent').filter(asleepInPipe);
  return withWrites(trace, (calls) => {
    let before = 0;
    let index = 0;
    for (const call of calls) {
      const from = ts(call.begin);
      const to = call.end ? ts(call.end) : undefined;
      // The state was read from ts to stateReadBy: all of that must lie inside the call. (A snapshot read
      // while the parent waited in spawn's own pipe, stamped late on a loaded machine, fell inside a write.)
      const during = asleep.filter((s) => ts(s) > from && (to === undefined || BigInt(s.stateReadBy ?? s.ts) < to));
      // The snapshot the child asked for before its first read, when there is one; else any that saw it.
      const seen = during.find((s) => s.requested !== undefined) ?? during[0];
      if (seen) return { call, seen, index, before };
      before += call.bytes;
      index++;
    }
    return undefined;
  });
}

/**
 * What the kernel lets in before a write has to wait, when nobody reads: fs/pipe.c, pipe_write().
 * The pipe is a ring of `slots` buffers of one page each (F_GETPIPE_SZ = slots x page). A write first
 * tries to put its first (size mod page) bytes into the tail of the last buffer, only if they all fit
 * there (a write of at most a page, PIPE_BUF included, is never split across two buffers); the rest
 * goes into fresh buffers a page at a time. When no buffer is free, a blocking write waits, having put
 * in what fitted (so a write larger than a page may be split, pipe(7)).
 *
 * Returns the bytes and the number of the writes that completed before the first one that waits, or
 * `undefined` when every write fits.
 */
export function bytesBeforeBlock(sizes: readonly number[], slots: number, page: number): { bytes: number; writes: number } | undefined {
  const buffers: number[] = [];
  let bytes = 0;
  for (const [writes, size] of sizes.entries()) {
    let left = size;
    const head = size % page;
    const last = buffers.length - 1;
    if (head > 0 && last >= 0 && buffers[last]! + head <= page) {
      buffers[last]! += head;
      left -= head;
    }
    while (left > 0 && buffers.length < slots) {
      const chunk = Math.min(page, left);
      buffers.push(chunk);
      left -= chunk;
    }
    if (left > 0) return { bytes, writes };
    bytes += size;
  }
  return undefined;
}

/** The sizes of the capacity writer's write() calls: chunkBytes each, the last one what is left. */
export function writeSizes(chunkBytes: number, totalBytes: number): number[] {
  const sizes: number[] = [];
  for (let done = 0; done < totalBytes; done += chunkBytes) sizes.push(Math.min(chunkBytes, totalBytes - done));
  return sizes;
}

/** Why that many writes of `chunk` bytes fit, in a sentence (for the capacity check's detail). */
function whyItFits(chunk: number, page: number): string {
  if (chunk < page) {
    const perSlot = Math.floor(page / chunk);
    const unused = page - perSlot * chunk;
    return unused === 0
      ? `${perSlot} writes of ${chunk} fill each ${page}-byte slot exactly.`
      : `${perSlot} write${perSlot === 1 ? '' : 's'} of ${chunk} fit in a ${page}-byte slot and the next does not: a write of at most a page is never split across two slots, so ${unused} byte${unused === 1 ? '' : 's'} of each slot stay empty.`;
  }
  if (chunk % page === 0) return chunk === page ? `each write of ${chunk} takes one whole slot.` : `each write of ${chunk} takes ${chunk / page} whole slots.`;
  return `a write of ${chunk} bytes (more than a page) may be split: its first ${chunk % page} bytes go into the tail of the last slot when they fit there, the rest into whole slots.`;
}

/** The child's first read() that returned data. */
function firstRead(trace: RunTrace): StoredEventOf<'io.end'> | undefined {
  return findIn(trace.stream('io.end', 'child'), (e) => e.op === 'read' && e.bytes > 0);
}

/**
 * How many of the child's messages the parent never sent (no message.send of the parent with its text),
 * and the first. The i-th received beside the i-th sent first: when every text matches and the child read
 * no more than was sent, none can be a stranger, and nothing is held. Otherwise the sent texts are held
 * as a Set (unavoidable for "sent at all"; this is a failing run).
 */
function strangers(trace: RunTrace, sent: number, received: number): { count: number; first?: StoredEventOf<'message.receive'> } {
  const inStep = () => {
    for (const [r, s] of zip(trace.stream('message.receive', 'child'), trace.stream('message.send', 'parent'))) if (s.text !== r.text) return false;
    return true;
  };
  if (received === 0 || (received <= sent && inStep())) return { count: 0 };
  const texts = new Set<string | undefined>();
  for (const s of trace.stream('message.send', 'parent')) texts.add(s.text);
  let count = 0;
  let first: StoredEventOf<'message.receive'> | undefined;
  for (const r of trace.stream('message.receive', 'child'))
    if (!texts.has(r.text)) {
      count++;
      first ??= r;
    }
  return { count, ...(first ? { first } : {}) };
}

/** The first i where the i-th message received is not the i-th sent, or came before it (the two as many). */
function firstOutOfStep(trace: RunTrace): { index: number; received: StoredEventOf<'message.receive'> } | undefined {
  let index = 0;
  for (const [s, r] of zip(trace.stream('message.send', 'parent'), trace.stream('message.receive', 'child'))) {
    if (r.messageId !== s.messageId || r.text !== s.text || ts(r) < ts(s)) return { index, received: r };
    index++;
  }
  return undefined;
}

function measured(trace: RunTrace, name: string): number | undefined {
  return eventsOf(trace, 'measure', 'parent').find((m) => m.name === name)?.value;
}

export default defineChecks({
  'one-way-delivery': {
    title: 'Every message went from the parent to the child, in order',
    hint: 'Look for a message.send in the parent lane without a matching message.receive in the child lane, or one received out of order.',
    measures: { 'messages-received': { unit: 'messages', title: 'messages the child read out of the pipe' } },
    check(trace): CheckOutcome {
      const sent = trace.count('message.send', 'parent');
      const received = trace.count('message.receive', 'child');
      // What the child read, counted from its lane once it ran, whatever the outcome (its own reply included).
      const m = trace.count('process.start', 'child') > 0 ? { measurements: { 'messages-received': received } } : {};
      if (sent === 0) return { passed: false, detail: 'The parent sent no message.', ...m };
      const refused = eventsOf(trace, 'io.error', 'parent').find((e) => e.op === 'write');
      if (refused)
        return {
          passed: false,
          detail: `The parent's write failed with ${refused.code}${refused.code === 'EPIPE' ? ': no process held a read end of its pipe' : ''}; the child received ${received} message${received === 1 ? '' : 's'}.`,
          hint: 'Only a process holding a descriptor of this pipe can read from it. Was the child handed the read end?',
          moment: refused.ts,
          ...m,
        };
      const last = trace.last('message.receive', 'child');
      const foreign = strangers(trace, sent, received);
      if (foreign.count > 0)
        return {
          passed: false,
          detail: `The child read ${foreign.count === 1 ? 'a message' : `${foreign.count} messages`} the parent never sent: "${foreign.first!.text}".`,
          hint: 'Who wrote it? A pipe is one buffer: whatever any holder of a write end writes, any reader reads, the writer itself included.',
          moment: foreign.first!.ts,
          ...m,
        };
      if (received !== sent)
        return {
          passed: false,
          detail: `The parent sent ${sent} message${sent === 1 ? '' : 's'}; the child received ${received}.`,
          ...(last ? { moment: last.ts } : {}),
          ...m,
        };
      const wrong = firstOutOfStep(trace);
      if (wrong)
        return { passed: false, detail: `Message ${wrong.index + 1} arrived out of order, changed, or before it was sent.`, moment: wrong.received.ts, ...m };
      const childSent = trace.count('message.send', 'child');
      if (childSent > 0) return { passed: false, detail: `The child sent ${childSent} messages back.`, moment: trace.first('message.send', 'child')!.ts, ...m };
      return {
        passed: true,
        detail: `${sent} messages, parent → child, each received after it was sent and in the order sent; none went the other way.`,
        moment: last!.ts,
        ...m,
      };
    },
  },
  'one-way-refused': {
    title: 'The kernel refused a write into the read end',
    hint: 'Tick "The child tries to write back through its read end" and run again.',
    check(trace): CheckOutcome {
      const failed = eventsOf(trace, 'io.error', 'child').find((e) => e.op === 'write');
      if (!failed) {
        const wrote = findIn(trace.stream('io.end', 'child'), (e) => e.op === 'write');
        return wrote
          ? {
              passed: false,
              detail: "The child's write succeeded: it wrote through a descriptor open for writing.",
              hint: 'The child wrote through a write end: does it hold one (see the kernel view)?',
              moment: wrote.ts,
            }
          : { passed: false, detail: 'The child did not try to write into its end of the pipe.' };
      }
      return failed.code === 'EBADF'
        ? { passed: true, detail: "The child's write() failed with EBADF: its descriptor is open for reading only.", moment: failed.ts }
        : {
            passed: false,
            detail: `The child's write failed with ${failed.code}, not EBADF.`,
            hint: "Read the error in the child's lane: which descriptor did it write to?",
            moment: failed.ts,
          };
    },
  },
  'same-pipe': {
    title: 'The kernel view shows one pipe held by both processes',
    hint: 'The child asks the kernel view to look at both processes when it starts; look at the snapshots in its lane.',
    check(trace): CheckOutcome {
      const created = pipeOf(trace);
      if (!created) return { passed: false, detail: 'The parent never created a pipe.' };
      const name = created.object.name;
      const childView = roundsAskedBy(trace, 'child').find((s) => s.role === 'child' && pipeFds(s, name).length > 0);
      if (!childView) {
        const any = roundsAskedBy(trace, 'child').find((s) => s.role === 'child');
        if (!any) return { passed: false, detail: 'The kernel view has no snapshot of the child taken on its request.' };
        const own = eventsOf(trace, 'object.create', 'child').find((e) => e.object.type === 'pipe');
        const ownFds = own ? pipeFds(any, own.object.name).map((fd) => fd.fd) : [];
        return {
          passed: false,
          detail: `When the child started, it held no descriptor of ${name}${own && ownFds.length > 0 ? `; its descriptors ${ownFds.join(' and ')} are ${own.object.name}, another pipe, made by its own pipe() call` : ''}.`,
          hint: 'A pipe has no name to find it by: a process can use one only through a descriptor of it (inherited from its parent, opened through /proc/<pid>/fd, or received over a Unix socket).',
          moment: any.ts,
        };
      }
      const childFds = pipeFds(childView, name)
        .map((fd) => fd.fd)
        .join(' and ');
      // The parent in the same round, or else its own snapshot from before the child started.
      const together = roundsAskedBy(trace, 'child').find((s) => s.role === 'parent' && s.requested === childView.requested && pipeFds(s, name).length > 0);
      if (together)
        return {
          passed: true,
          detail: `At the same moment the kernel showed ${name} at descriptor ${pipeFds(together, name)
            .map((fd) => fd.fd)
            .join(' and ')} of the parent and ${childFds} of the child: one pipe, two processes.`,
          moment: childView.ts,
        };
      const parentView = roundsAskedBy(trace, 'parent')
        .filter((s) => s.role === 'parent' && ts(s) < ts(childView) && pipeFds(s, name).length > 0)
        .at(-1);
      if (parentView)
        return {
          passed: true,
          detail: `The kernel showed ${name} at descriptor ${pipeFds(parentView, name)
            .map((fd) => fd.fd)
            .join(
              ' and ',
            )} of the parent, and later at ${childFds} of the child, who got it from the parent: one pipe. (The parent had closed its end by the time the child started.)`,
          moment: childView.ts,
        };
      return { passed: false, detail: `The kernel view never showed ${name} in the parent.`, moment: childView.ts };
    },
  },
  'eof-after-close': {
    title: 'The child saw end of file only after the parent closed the write end',
    hint: 'End of file needs every write end closed. Did the parent close its write end?',
    measures: { 'eof-after-close-ms': { unit: 'ms', title: "time from the parent's close() of the write end to the child's end of file" } },
    check(trace): CheckOutcome {
      const childExit = eventsOf(trace, 'child.exit', 'parent')[0];
      // The parent's close of its write end while the child still ran (one after the child was gone does not count).
      const close = eventsOf(trace, 'io.close', 'parent').find((e) => e.end === 'write' && (!childExit || ts(e) < ts(childExit)));
      const eof = eventsOf(trace, 'io.eof', 'child')[0];
      const sent = trace.count('message.send', 'parent');
      const received = trace.count('message.receive', 'child');
      if (!eof) {
        const created = pipeOf(trace);
        const stuck = eventsOf(trace, 'kernel.snapshot', 'child').filter(asleepInPipe).at(-1);
        const where = stuck ? ` The kernel view shows it asleep in ${stuck.wchan}().` : '';
        const moment = stuck ? { moment: stuck.ts } : {};
        if (!close)
          return {
            passed: false,
            detail: `The parent kept its write end open, so the child waited in read() for data that could never come.${where}`,
            hint: 'Tick "The parent closes the write end when it is done".',
            ...moment,
          };
        const leaked = created ? childWriteEnds(trace, created) : [];
        if (leaked.length > 0)
          return {
            passed: false,
            detail: `The parent closed its write end, but the child itself still held one (descriptor ${leaked.join(', ')}), so read() could not return 0.${where}`,
            hint: 'A child that inherits every descriptor must close the write end it does not use: tick "The child closes the write end it inherited".',
            ...moment,
          };
        return {
          passed: false,
          detail: `The parent closed its write end, but the child never saw end of file.${where}`,
          hint: 'Look at the kernel view: which process still holds a descriptor of the pipe?',
          ...moment,
        };
      }
      if (!close || ts(close) > ts(eof)) return { passed: false, detail: 'The child saw end of file before the parent closed the write end.', moment: eof.ts };
      // From the parent's close() of the write end to the child's end of file, on the one monotonic clock (µs precision).
      const m = { measurements: { 'eof-after-close-ms': Math.round(Number(ts(eof) - ts(close)) / 1e3) / 1e3 } };
      if (received !== sent) return { passed: false, detail: `End of file came after ${received} of ${sent} messages.`, moment: eof.ts, ...m };
      const after = Number(ts(eof) - ts(close)) / 1e6;
      return {
        passed: true,
        detail: `The child read all ${sent} messages; read() returned 0 ${after.toFixed(2)} ms after the parent's close() of the write end.`,
        moment: eof.ts,
        ...m,
      };
    },
  },
  'child-holds-no-write-end': {
    title: 'The child held no write end of the pipe',
    hint: 'A child that inherits every descriptor must close the write end it does not use.',
    check(trace): CheckOutcome {
      const created = pipeOf(trace);
      if (!created) return { passed: false, detail: 'The parent never created a pipe.' };
      const views = roundsAskedBy(trace, 'child').filter((s) => s.role === 'child');
      if (views.length === 0) return { passed: false, detail: 'The kernel view has no snapshot of the child taken on its request.' };
      const name = created.object.name;
      for (const view of views) {
        const held = pipeFds(view, name);
        // The kernel says which end a descriptor is: /proc/<pid>/fdinfo's flags (O_WRONLY for a write end).
        const leaked = held.filter((fd) => fd.mode === 'write');
        if (leaked.length > 0 || held.length > 1)
          return {
            passed: false,
            detail:
              leaked.length > 0
                ? `The child's descriptor ${leaked[0]!.fd} is ${name} open for writing (O_WRONLY in /proc/${view.pid}/fdinfo/${leaked[0]!.fd}), inherited as after fork(): the child holds ${held.length} descriptors of the pipe.`
                : `The child holds ${name} at ${held.length} descriptors (${held.map((fd) => fd.fd).join(', ')}), more than its read end.`,
            moment: view.ts,
          };
      }
      const first = views[0]!;
      const held = pipeFds(first, name);
      if (held.length === 0) return { passed: false, detail: `The child held no descriptor of ${name} at all.`, moment: first.ts };
      return { passed: true, detail: `The child held ${name} at one descriptor only, ${held[0]!.fd}: its read end.`, moment: first.ts };
    },
  },
  'writer-blocked': {
    title: 'The parent blocked in write() while the pipe was full',
    hint: 'The child must wait before reading, and the parent must write more than the pipe holds: raise "Data to write in all" or the child\'s wait.',
    check(trace): CheckOutcome {
      const blocked = blockedWrite(trace);
      if (!blocked) {
        const capacity = measured(trace, 'F_GETPIPE_SZ');
        const total = Number(trace.params.totalKiB) * 1024;
        const read = firstRead(trace);
        const soFar = read
          ? withWrites(trace, (calls) => {
              let sum = 0;
              for (const w of calls) if (w.end && ts(w.end) < ts(read)) sum += w.bytes;
              return sum;
            })
          : undefined;
        const hint =
          capacity !== undefined && total <= capacity
            ? `The parent writes ${bytesText(total)} in all, and the pipe holds ${bytesText(capacity)}: raise "Data to write in all".`
            : soFar !== undefined
              ? `When the child first read, the parent had written only ${bytesText(soFar)}: the pipe was not full yet. Make the child wait longer, or write bigger pieces.`
              : 'Did the parent write at all? Look at its lane.';
        return {
          passed: false,
          detail: 'The kernel view never saw the parent asleep in the pipe code during a write().',
          hint,
          ...(read ? { moment: read.ts } : {}),
        };
      }
      const { call, seen, index, before } = blocked;
      const took = call.end ? `for ${seconds(ts(call.end) - ts(call.begin))}` : 'until the run ended';
      return {
        passed: true,
        detail: `Write ${index + 1} of the parent blocked ${took}, after ${bytesText(before)} in ${index} write${index === 1 ? '' : 's'}: the kernel view saw it in state ${seen.state}, wait channel ${seen.wchan}.`,
        moment: seen.ts,
      };
    },
  },
  'capacity-measured': {
    title: "The bytes written before the block are what the kernel's slots hold",
    hint: 'The measurement needs a blocked write: see the check above.',
    measures: {
      'bytes-before-block': { unit: 'bytes', title: 'bytes the parent wrote before the write that blocked' },
      'writes-before-block': { unit: 'writes', title: 'writes that went in before one blocked' },
    },
    check(trace): CheckOutcome {
      const blocked = blockedWrite(trace);
      const capacity = measured(trace, 'F_GETPIPE_SZ');
      const page = measured(trace, 'page size');
      if (capacity === undefined || page === undefined)
        return {
          passed: false,
          detail: 'The parent did not measure F_GETPIPE_SZ and the page size.',
          hint: 'The capacity writer measures both before it writes: did it start?',
        };
      if (!blocked) return { passed: false, detail: 'Nothing to measure: no write of the parent blocked.' };
      const read = firstRead(trace);
      if (read && ts(read) < ts(blocked.call.begin))
        return {
          passed: false,
          detail: 'The child had started reading before the write that blocked, so what was written before it is not what the pipe holds.',
          hint: 'Make the child wait longer before reading.',
          moment: read.ts,
        };
      // What the pipe took before the writer had to wait: the parent's completed writes, before the child read.
      const measurements = { 'bytes-before-block': blocked.before, 'writes-before-block': blocked.index };
      const slots = capacity / page;
      const chunk = Number(trace.params.chunkBytes);
      const expected = bytesBeforeBlock(writeSizes(chunk, Number(trace.params.totalKiB) * 1024), slots, page);
      const model = `The kernel's pipe is ${slots} slots of ${page} bytes (F_GETPIPE_SZ says ${capacity.toLocaleString('en-US')})`;
      if (!expected)
        return {
          passed: false,
          detail: `${model}, and everything the parent writes fits in it; yet write ${blocked.index + 1} blocked.`,
          hint: "Something else held the pipe's room: look at the reads in the child's lane.",
          moment: blocked.seen.ts,
          measurements,
        };
      const fits = `${model}: ${whyItFits(chunk, page)} So ${expected.writes} writes, ${bytesText(expected.bytes)}, go in before one has to wait.`;
      return blocked.before === expected.bytes
        ? {
            passed: true,
            detail: `Before the write that blocked, the parent had written ${bytesText(blocked.before)}. ${fits}`,
            moment: blocked.seen.ts,
            measurements,
          }
        : {
            passed: false,
            detail: `Before the write that blocked, the parent had written ${bytesText(blocked.before)} in ${blocked.index} writes. ${fits}`,
            hint: "The numbers disagree: look at the writes before the long one in the parent's lane.",
            moment: blocked.seen.ts,
            measurements,
          };
    },
  },
  'epipe-after-reader-exit': {
    title: 'Writing with no reader left failed with EPIPE',
    hint: 'The parent must write after the child has exited; look for the child.exit event before the failed write.',
    measures: { 'bytes-after-exit': { unit: 'bytes', title: "bytes the parent's write() calls after the child's exit put into the pipe" } },
    check(trace): CheckOutcome {
      const exit = eventsOf(trace, 'child.exit', 'parent')[0];
      const epipe = eventsOf(trace, 'io.error', 'parent').find((e) => e.code === 'EPIPE');
      // What write() returned for the calls the parent began once the child had gone (a failed one put in nothing).
      const afterExit = (e: { op: string; ts: string }) => exit !== undefined && e.op === 'write' && ts(e) > ts(exit);
      let m: { measurements?: { 'bytes-after-exit': number } } = {};
      if (exit && someIn(trace.stream('io.begin', 'parent'), afterExit)) {
        let bytes = 0;
        for (const e of trace.stream('io.end', 'parent')) if (afterExit(e)) bytes += e.bytes;
        m = { measurements: { 'bytes-after-exit': bytes } };
      }
      if (!epipe) {
        // Did the parent still hold its read end when the child had gone? (A close after that does not count.)
        const keptReadEnd = !eventsOf(trace, 'io.close', 'parent').some((e) => e.end === 'read' && (!exit || ts(e) < ts(exit)));
        const late = findIn(trace.stream('io.end', 'parent'), afterExit);
        return {
          passed: false,
          detail: late ? "After the child exited, the parent's write succeeded: the pipe still had a reader." : 'No write of the parent failed with EPIPE.',
          ...(keptReadEnd
            ? { hint: 'The parent kept its own read end, so a reader was left: the parent itself. Tick "The parent closes its own copy of the read end".' }
            : {}),
          ...(late ? { moment: late.ts } : {}),
          ...m,
        };
      }
      if (!exit || ts(exit) > ts(epipe)) return { passed: false, detail: 'EPIPE came before the child had exited.', moment: epipe.ts, ...m };
      return { passed: true, detail: `After the child (pid ${exit.childPid}) exited, the parent's next write() failed with EPIPE.`, moment: epipe.ts, ...m };
    },
  },
});

/** The child's descriptors of the pipe's write end, seen by the kernel view in snapshots the child or parent asked for. */
function childWriteEnds(trace: RunTrace, created: StoredEventOf<'object.create'>): number[] {
  const views = roundsAskedBy(trace, 'child').filter((s) => s.role === 'child');
  const fds = new Set<number>();
  for (const view of views) for (const fd of pipeFds(view, created.object.name)) if (fd.mode === 'write') fds.add(fd.fd);
  return [...fds];
}
