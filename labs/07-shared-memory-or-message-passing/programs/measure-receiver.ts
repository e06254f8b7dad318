/**
 * A receiver of the "same job" scenario, one per mechanism: takes the bulk transfer between two kernel
 * snapshots of its own (so /proc/<pid>/io and the context switches are known at both ends of it), says
 * how many bytes came, then answers the round trips.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { mqMessageLimit, openLink, signal, type Mechanism } from './measure-carriers.js';
import { nativePhases, receiveBulk, roundTrip } from './measure-phases.js';

const mechanism = lab.choice('mechanism') as Mechanism;
const payload = lab.int('payloadMiB') * 1024 * 1024;
const chunkBytes = lab.int('chunkKiB') * 1024;
const link = openLink(mechanism, lab.choice('ringCarrier') as 'segment' | 'pipe');

lab.snapshot(`before ${mechanism} bulk`);
const chunk = mechanism === 'mq' ? Math.min(chunkBytes, mqMessageLimit()) : chunkBytes;
const got = receiveBulk(link, payload, chunk, `${mechanism} bulk: start`);
lab.snapshot(`after ${mechanism} bulk`);
lab.measure(
  `${mechanism} bytes received`,
  got,
  'bytes',
  `what ${mechanism === 'pipe' ? 'read(2)' : mechanism === 'mq' ? 'mq_receive' : 'the ring'} handed over`,
);
signal(link); // "ready" for the round trips
roundTrip.pong(link, lab.int('roundTrips'), lab.int('messageBytes'));
// The same job as C loops: a snapshot before and after its bulk transfer as well.
const native = nativePhases.receive(link, payload, chunk, lab.int('roundTrips'), lab.int('messageBytes'), {
  before: `before ${mechanism} C bulk`,
  after: `after ${mechanism} C bulk`,
});
lab.measure(`${mechanism} C bytes received`, native, 'bytes', 'what the C loops took: the bulk transfer and the pings');
link.close();
