/** Offsets in the "race" scenario's segment (see race-starter.ts). */
import type { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

export const COUNTER = 0;
export const READY = 4;
export const GO = 8;
/** One word per worker (worker k at DONE + 4·(k-1)): how many of its increments have run. */
export const DONE = 16;
export const MAX_WORKERS = 4;
/** The mutex (Mutex.BYTES, 48 bytes: see mutex.ts), 8-aligned. */
export const MUTEX = 64;
export const SEGMENT_BYTES = 128;

/**
 * What a process that got EOWNERDEAD finds: the counter against the increments that ran. The dead
 * worker was killed right after lock(), before its load, so the two agree: nothing to repair.
 */
export function repairNote(segment: SharedSegment, deadPid: number, workers: number): string {
  let ran = 0;
  for (let k = 0; k < workers; k++) ran += segment.load(DONE + 4 * k);
  const counter = segment.load(COUNTER);
  return (
    `EOWNERDEAD: ${deadPid ? `pid ${deadPid}` : 'a process'} died holding the mutex. Counter ${counter.toLocaleString('en')}, increments run ${ran.toLocaleString('en')}: ` +
    (counter === ran ? 'nothing half-updated; marking it consistent and going on' : `they differ by ${ran - counter}; going on`)
  );
}
