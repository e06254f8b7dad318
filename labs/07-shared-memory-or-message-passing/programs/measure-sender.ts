/**
 * The sender of the "same job" scenario: for each mechanism in turn (the ring in a shared segment, a
 * pipe, a message queue) it makes the link, starts a receiver for it, and then does the same job:
 *   1. bulk: `payloadMiB` MiB in chunks of `chunkKiB` KiB (a queue's messages are at most msgsize_max,
 *      8192 bytes, so it carries the same bytes in more, smaller messages), once the receiver says "go";
 *   2. round trips: `roundTrips` pings of `messageBytes` bytes, each answered by a pong of the same size,
 *      once the receiver says "ready";
 *   3. and 4. the same bulk transfer and round trips again, each as one C loop in the addon
 *      (main/runtime/native-loops.ts) on the same kernel objects: the kernel's cost without JavaScript's.
 * The receiver times the bulk phase (its note before "go", its snapshot request after the last byte);
 * this program times the round trips (its notes before the first ping and after the last pong). The
 * checks read those times off the trace, and the bytes off the kernel's counters and the receiver's count.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { MECHANISMS, awaitSignal, createLink, mqMessageLimit } from './measure-carriers.js';
import { bulkChunks, nativePhases, roundTrip } from './measure-phases.js';

const payload = lab.int('payloadMiB') * 1024 * 1024;
const chunkBytes = lab.int('chunkKiB') * 1024;
const messageBytes = lab.int('messageBytes');
const carrier = lab.choice('ringCarrier') as 'segment' | 'pipe';
for (const mechanism of MECHANISMS) {
  const largestMessage = mechanism === 'mq' ? Math.min(chunkBytes, mqMessageLimit()) : chunkBytes;
  const link = createLink(mechanism, { largestMessage: Math.max(largestMessage, messageBytes), largestReply: messageBytes }, carrier);
  const receiver = lab.spawn(`${mechanism}-receiver`, 'measure-receiver.ts', { fds: link.fds, params: { ...lab.params, mechanism } });
  link.handedOver();
  awaitSignal(link.end); // "go": the receiver has taken its snapshot before the transfer
  for (const chunk of bulkChunks(payload, Math.min(largestMessage, chunkBytes))) link.end.send(chunk);
  awaitSignal(link.end); // "ready": its snapshot after the transfer is taken
  roundTrip.ping(link.end, lab.int('roundTrips'), messageBytes);
  // The same job again, each phase one C loop on the same kernel objects.
  nativePhases.send(link.end, payload, Math.min(largestMessage, chunkBytes), lab.int('roundTrips'), messageBytes, mechanism);
  await receiver.exited;
  link.end.close();
}
