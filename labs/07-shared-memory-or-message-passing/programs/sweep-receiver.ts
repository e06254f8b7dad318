/**
 * A receiver of the "sweep" scenario, one per mechanism: for each message size, takes the bulk messages
 * (noted before its "go" and after the last byte: the checks time the phase by the two notes), then
 * answers the round trips; then both again as C loops. Two kernel snapshots around the whole sweep show
 * whether read(2) carried it.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { mqMessageLimit, openLink, signal, type Mechanism } from './measure-carriers.js';
import { nativePhases, receiveBulk, roundTrip, sweepCounts, sweepSizesOfThisRun } from './measure-phases.js';

const mechanism = lab.choice('mechanism') as Mechanism;
const sizes = sweepSizesOfThisRun();
const bytesPerSize = lab.int('bulkKiBPerSize') * 1024;
const limit = mechanism === 'mq' ? Math.min(sizes.at(-1)!, mqMessageLimit()) : Infinity;
const link = openLink(mechanism, lab.choice('ringCarrier') as 'segment' | 'pipe');

lab.snapshot(`before the ${mechanism} sweep`);
let total = 0;
for (const size of sizes.filter((s) => s <= limit)) {
  const { messages, roundTrips } = sweepCounts(size, bytesPerSize, lab.int('maxMessagesPerSize'), lab.int('maxRoundTripsPerSize'));
  const got = receiveBulk(link, messages * size, size, `${mechanism} ${size} B bulk: start`);
  lab.note(`${mechanism} ${size} B bulk: end`);
  lab.measure(`${mechanism} ${size} B bytes received`, got, 'bytes');
  signal(link); // "ready" for the round trips
  roundTrip.pong(link, roundTrips, size);
  total += got + roundTrips * size;
  total += nativePhases.receive(link, messages * size, size, roundTrips, size);
}
lab.snapshot(`after the ${mechanism} sweep`);
lab.measure(`${mechanism} sweep bytes received`, total, 'bytes', 'bulk messages and pings taken, not counting the one-byte signals');
link.close();
