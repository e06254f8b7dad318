/**
 * Emits `events` measure events as fast as the trace channel takes them, or at `ratePerSecond` (0: as
 * fast as it can). Each carries its sequence number (1..events) in `value`, so the benchmark can check
 * that none was lost, duplicated or reordered.
 *
 * The loop goes through lab.emit, the same call every lab program uses: JSON.stringify and one blocking
 * write(2) per event. When the engine falls behind, the socket buffer fills and write blocks: the
 * producer slows down, nothing is dropped. At a rate, the pauses follow a fixed schedule (checked every
 * PACE_EVERY events, since one sleep per event would cost more than the emit), so a producer that was
 * held back by the engine catches up instead of drifting.
 */
import { lab } from '../../../../../main/runtime/lab-runtime.js';

const PACE_EVERY = 200;
const events = lab.int('events');
const ratePerSecond = lab.int('ratePerSecond');
const start = process.hrtime.bigint();
for (let i = 1; i <= events; i++) {
  lab.emit('measure', { name: 'flood', value: i, unit: 'event' });
  if (ratePerSecond > 0 && i % PACE_EVERY === 0) {
    const aheadMs = (i / ratePerSecond) * 1000 - Number(process.hrtime.bigint() - start) / 1e6;
    if (aheadMs > 0) lab.sleep(aheadMs);
  }
}
