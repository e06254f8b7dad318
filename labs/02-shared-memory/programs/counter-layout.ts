/** Offsets in the "race" scenario's segment (see race-starter.ts). */
export const COUNTER = 0;
export const READY = 4;
export const GO = 8;
export const MUTEX = 16;
