/**
 * The records of the "sizes" scenario: lines of different lengths (`varied`), or all padded with
 * spaces to the longest one (`equal`: then there is nothing for fixed-size messages to waste).
 */
export const END = 'END';

const WORDS = ['pipe', 'socket', 'mailbox', 'semaphore', 'shared memory segment', 'rendezvous', 'FIFO'];

function line(k: number): string {
  return `${k}: ${WORDS.slice(0, 1 + (k % WORDS.length)).join(', ')}`;
}

/** The `records` records, as Buffers of their exact bytes. */
export function makeRecords(records: number, lengths: 'varied' | 'equal'): Buffer[] {
  const lines = Array.from({ length: records }, (_, k) => line(k));
  const longest = Math.max(...lines.map((text) => Buffer.byteLength(text)));
  return lines.map((text) => Buffer.from(lengths === 'equal' ? text.padEnd(longest, ' ') : text));
}
