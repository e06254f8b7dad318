/**
 * Checks over the student's own run of the ordinary-pipes lab. Each says whether the trace shows the
 * behaviour the step is about, and what it showed.
 */
import { defineChecks, eventsOf, formatBytes, type RunTrace } from '../../main/engine/check-kit.js';

function pipeName(trace: RunTrace): string | undefined {
  return eventsOf(trace, 'object.create', 'parent').find((e) => e.object.type === 'pipe')?.object.name;
}

export default defineChecks({
  'one-way-delivery': {
    title: 'Every message went from the parent to the child, in order',
    hint: 'Look for a message.send in the parent lane without a matching message.receive in the child lane, or one received out of order.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'parent');
      const received = eventsOf(trace, 'message.receive', 'child');
      const childSent = eventsOf(trace, 'message.send', 'child');
      if (sent.length === 0) return { passed: false, detail: 'The parent sent no message.' };
      const inOrder = sent.length === received.length && sent.every((s, i) => received[i]!.messageId === s.messageId && received[i]!.text === s.text);
      if (!inOrder) return { passed: false, detail: `The parent sent ${sent.length} messages; the child received ${received.length}, not all in order.` };
      if (childSent.length > 0) return { passed: false, detail: `The child sent ${childSent.length} messages back.` };
      return { passed: true, detail: `${sent.length} messages, parent → child, received in the order sent; none went the other way.` };
    },
  },
  'one-way-refused': {
    title: 'The kernel refused a write into the read end',
    hint: 'Tick "The child tries to write back through its read end" and run again.',
    check(trace) {
      const failed = eventsOf(trace, 'io.error', 'child').find((e) => e.op === 'write');
      if (!failed) return { passed: false, detail: 'The child did not try to write into its end of the pipe.' };
      return failed.code === 'EBADF'
        ? { passed: true, detail: 'The child\'s write() failed with EBADF: its descriptor is open for reading only.' }
        : { passed: false, detail: `The child's write failed with ${failed.code}, not EBADF.` };
    },
  },
  'same-pipe': {
    title: 'The kernel view shows one pipe held by both processes',
    hint: 'The kernel view samples /proc while processes live; try more messages or a longer pause so the run lasts longer.',
    check(trace) {
      const name = pipeName(trace);
      if (!name) return { passed: false, detail: 'The parent never created a pipe.' };
      const holders = new Set(
        eventsOf(trace, 'kernel.snapshot')
          .filter((s) => s.fds.some((fd) => fd.target === name))
          .map((s) => s.role),
      );
      const childFd = eventsOf(trace, 'kernel.snapshot', 'child')
        .flatMap((s) => s.fds)
        .find((fd) => fd.target === name);
      return holders.has('parent') && holders.has('child')
        ? { passed: true, detail: `Both processes hold ${name}; the child has it at descriptor ${childFd?.fd}.` }
        : { passed: false, detail: `${name} was seen in: ${[...holders].join(', ') || 'no process'}.` };
    },
  },
  'eof-after-close': {
    title: 'The child saw end of file only after the parent closed the write end',
    hint: 'End of file needs every write end closed. Did the parent close its write end?',
    check(trace) {
      const close = eventsOf(trace, 'io.close', 'parent').find((e) => e.end === 'write');
      const eof = eventsOf(trace, 'io.eof', 'child')[0];
      const sent = eventsOf(trace, 'message.send', 'parent').length;
      const received = eventsOf(trace, 'message.receive', 'child').length;
      if (!eof)
        return {
          passed: false,
          detail: close ? 'The child never saw end of file.' : 'The parent never closed its write end, so the child waited in read() for data that could never come.',
        };
      if (!close || close.seq > eof.seq) return { passed: false, detail: 'The child saw end of file before the parent closed the write end.' };
      if (received !== sent) return { passed: false, detail: `End of file came after ${received} of ${sent} messages.` };
      return { passed: true, detail: `The child read all ${sent} messages, then read() returned 0 right after the parent's close().` };
    },
  },
  'writer-blocked': {
    title: 'The parent blocked in write() while the pipe was full',
    hint: 'The child must wait before reading, and the parent must write more than the pipe holds: raise "Data to write in all" or the child\'s wait.',
    check(trace) {
      const blocked = blockedWrite(trace);
      if (!blocked) return { passed: false, detail: 'No write() of the parent waited for the reader.' };
      return { passed: true, detail: `The parent was blocked in write() for ${(Number(blocked.durationNs) / 1e9).toFixed(2)} s after writing ${formatBytes(blocked.before)}.` };
    },
  },
  'capacity-measured': {
    title: 'The capacity measured from the trace matches the kernel',
    hint: 'The measurement needs a blocked write: see the check above.',
    check(trace) {
      const blocked = blockedWrite(trace);
      const kernel = eventsOf(trace, 'measure', 'parent').find((m) => m.name === 'F_GETPIPE_SZ')?.value;
      const chunk = Number(trace.params.chunkBytes);
      if (!blocked || kernel === undefined) return { passed: false, detail: 'Nothing to measure: no blocked write.' };
      const fits = blocked.before <= kernel && blocked.before > kernel - chunk;
      return {
        passed: fits,
        detail: `Measured capacity: ${formatBytes(blocked.before)} (${blocked.before} bytes) before the write blocked; the kernel reports ${formatBytes(kernel)}.`,
      };
    },
  },
  'epipe-after-reader-exit': {
    title: 'Writing with no reader left failed with EPIPE',
    hint: 'The parent must write after the child has exited; look for the child.exit event before the failed write.',
    check(trace) {
      const exit = eventsOf(trace, 'child.exit', 'parent')[0];
      const epipe = eventsOf(trace, 'io.error', 'parent').find((e) => e.code === 'EPIPE');
      if (!epipe) return { passed: false, detail: 'No write of the parent failed with EPIPE.' };
      if (!exit || exit.seq > epipe.seq) return { passed: false, detail: 'EPIPE came before the child had exited.' };
      return { passed: true, detail: `After the child (pid ${exit.childPid}) exited, the parent's next write() failed with EPIPE.` };
    },
  },
});

/** The parent's first write that waited for the reader (at least half the reader's delay), and the bytes written before it. */
function blockedWrite(trace: RunTrace): { durationNs: string; before: number } | undefined {
  const thresholdNs = BigInt(Math.max(50, Number(trace.params.readerDelayMs) / 2)) * 1_000_000n;
  let before = 0;
  for (const end of eventsOf(trace, 'io.end', 'parent')) {
    if (end.op !== 'write') continue;
    if (BigInt(end.durationNs) >= thresholdNs) return { durationNs: end.durationNs, before };
    before += end.bytes;
  }
  return undefined;
}
