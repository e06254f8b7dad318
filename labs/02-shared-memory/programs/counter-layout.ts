/** Offsets in the "race" scenario's segment (see race-starter.ts). */
export const COUNTER = 0;
export const READY = 4;
export const GO = 8;
/** One word per worker (worker k at DONE + 4·(k-1)): how many of its increments have run. */
export const DONE = 16;
export const MAX_WORKERS = 4;
/** The mutex (Mutex.BYTES, 48 bytes: see mutex.ts), 8-aligned. */
export const MUTEX = 64;
export const SEGMENT_BYTES = 128;
