/** The records of the "sizes" scenario: lines of different lengths, at most RECORD_BYTES long. */
export const RECORD_BYTES = 200;
export const END = 'END';

const WORDS = ['pipe', 'socket', 'mailbox', 'semaphore', 'shared memory segment', 'rendezvous', 'FIFO'];

export function record(k: number): string {
  return `${k}: ${WORDS.slice(0, 1 + (k % WORDS.length)).join(', ')}`.slice(0, RECORD_BYTES);
}
