/**
 * Emits `events` measure events as fast as the trace channel takes them. Each carries its sequence
 * number (1..events) in `value`, so the benchmark can check that none was lost, duplicated or reordered.
 *
 * The loop goes through lab.emit, the same call every lab program uses: JSON.stringify and one blocking
 * write(2) per event. When the engine falls behind, the socket buffer fills and write blocks: the
 * producer slows down, nothing is dropped.
 */
import { lab } from '../../../../../main/runtime/lab-runtime.js';

const events = lab.int('events');
for (let i = 1; i <= events; i++) lab.emit('measure', { name: 'flood', value: i, unit: 'event' });
