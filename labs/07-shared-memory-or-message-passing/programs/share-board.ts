/**
 * What the "visibility" programs share: where things are in the segment, and how a process waits for
 * a word or for a child to be gone. Layout (bytes): 0 "the first receiver took its message" (0/1),
 * 4 "the third process is done" (0/1), 60 the owner's note's length, 64 the note, 512 the third
 * process's mark's length, 516 its mark.
 */
import { readFileSync } from 'node:fs';
import type { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

export const SEGMENT_BYTES = 4096;
export const TAKEN = 0;
export const THIRD_DONE = 4;
export const NOTE = 60;
export const MARK = 512;
export const MAILBOX_BYTES = 128;

/** Whether a process has exited (a zombie not yet reaped counts: proc(5) state Z or X), or is gone. */
export function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Waits (futex, 50 ms at a time) until the word at `offset` is 1; throws if `peer` ends first. */
export function awaitFlag(segment: SharedSegment, offset: number, peer: { pid: number; role: string }): void {
  while (segment.load(offset) !== 1) {
    if (segment.wait(offset, 0, 50) === 'timed-out' && gone(peer.pid) && segment.load(offset) !== 1)
      throw new Error(`${peer.role} ${peer.pid} ended before it set the flag this process waits for; see its output`);
  }
}

export function setFlag(segment: SharedSegment, offset: number): void {
  segment.store(offset, 1);
  segment.wake(offset, -1);
}

/** Reads a length-prefixed text at `offset` (4-byte length, then the bytes). */
export function readText(segment: SharedSegment, offset: number): string {
  const length = segment.load(offset);
  return length > 0 && length < 400 ? segment.read(offset + 4, length).toString('utf8') : '';
}

export function writeText(segment: SharedSegment, offset: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  segment.write(offset + 4, bytes);
  segment.store(offset, bytes.length);
}
