/**
 * Emits `probes` measure events, one every `intervalUs` microseconds. The event's own `ts` (set by
 * lab.emit just before its write(2)) is the emit time the benchmark measures latency from.
 *
 * Pauses are measured against a fixed schedule (not "sleep the interval after each emit"), so the rate
 * does not drift with the time each emit takes. lab.sleep takes fractional milliseconds.
 */
import { lab } from '../../../../../main/runtime/lab-runtime.js';

const probes = lab.int('probes');
const intervalNs = lab.int('intervalUs') * 1000;
lab.sleep(lab.int('startDelayMs'));

const start = process.hrtime.bigint();
for (let i = 1; i <= probes; i++) {
  lab.emit('measure', { name: 'probe', value: i, unit: 'event' });
  const behindNs = Number(process.hrtime.bigint() - start);
  lab.sleep((i * intervalNs - behindNs) / 1e6);
}
