/**
 * The layout both programs of the "segment" scenario agree on, and the wait for the other's store.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import type { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

export const STATE = 0;
export const GREETING = 64;
export const REPLY = 1024;

/** A 32-bit length, then the UTF-8 bytes. */
export function writeText(segment: SharedSegment, offset: number, text: string): void {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  segment.write(offset, length);
  segment.write(offset + 4, bytes);
}

export function readText(segment: SharedSegment, offset: number): string {
  const length = segment.read(offset, 4).readUInt32LE(0);
  return segment.read(offset + 4, length).toString('utf8');
}

/**
 * Sleeps on the state word (futex) until it says `state`, at most timeoutMs. False if it never did:
 * the wait is traced as given up (ETIMEDOUT).
 */
export function waitForState(segment: SharedSegment, state: number, channel: string, timeoutMs: number): boolean {
  const start = process.hrtime.bigint();
  const deadline = performance.now() + timeoutMs;
  let waited = false;
  for (;;) {
    const now = segment.load(STATE);
    if (now === state) break;
    if (!waited) lab.waitBegin(channel);
    waited = true;
    const remaining = deadline - performance.now();
    if (remaining <= 0 || (segment.wait(STATE, now, remaining) === 'timed-out' && segment.load(STATE) !== state)) {
      lab.waitEnd(channel, process.hrtime.bigint() - start, 'timed-out', `${channel}: nobody changed the state word to ${state} within ${timeoutMs} ms`);
      return false;
    }
  }
  if (waited) lab.waitEnd(channel, process.hrtime.bigint() - start, 'ok');
  return true;
}
