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

/** Sleeps on the state word (futex) until it says `state`. */
export function waitForState(segment: SharedSegment, state: number, channel: string): void {
  const start = process.hrtime.bigint();
  let waited = false;
  for (;;) {
    const now = segment.load(STATE);
    if (now === state) break;
    if (!waited) lab.waitBegin(channel);
    waited = true;
    if (segment.wait(STATE, now, 10_000) === 'timed-out') {
      lab.waitEnd(channel, process.hrtime.bigint() - start, 'timed-out');
      throw new Error(`nobody changed the state to ${state} within 10 s`);
    }
  }
  if (waited) lab.waitEnd(channel, process.hrtime.bigint() - start, 'ok');
}
