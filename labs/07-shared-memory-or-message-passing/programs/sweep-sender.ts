/**
 * The sender of the "sweep" scenario: for each mechanism (the ring, a pipe, a message queue) one link and
 * one receiver, and through it, for each message size from `smallestBytes` to `largestBytes`: a bulk
 * transfer of that size's messages, then round trips of one message each way (sweepCounts says how many),
 * then both again as C loops in the addon on the same kernel objects (main/runtime/native-loops.ts).
 * A queue takes no message longer than its message size, at most msgsize_max (8192 bytes by default,
 * mq_overview(7)): at the first size beyond it the sender tries one send, shows the kernel's EMSGSIZE
 * (mq_send(3)), and the queue's sweep stops there.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { MECHANISMS, awaitSignal, createLink, mqMessageLimit } from './measure-carriers.js';
import { nativePhases, roundTrip, sweepCounts, sweepSizesOfThisRun } from './measure-phases.js';

const sizes = sweepSizesOfThisRun();
const bytesPerSize = lab.int('bulkKiBPerSize') * 1024;
const carrier = lab.choice('ringCarrier') as 'segment' | 'pipe';
const largest = sizes.at(-1)!;

for (const mechanism of MECHANISMS) {
  const limit = mechanism === 'mq' ? Math.min(largest, mqMessageLimit()) : largest;
  const link = createLink(mechanism, { largestMessage: limit, largestReply: limit }, carrier);
  const receiver = lab.spawn(`${mechanism}-receiver`, 'sweep-receiver.ts', { fds: link.fds, params: { ...lab.params, mechanism } });
  link.handedOver();
  for (const size of sizes) {
    if (size > limit) {
      tryOversized(link.end, size);
      break;
    }
    const { messages, roundTrips } = sweepCounts(size, bytesPerSize, lab.int('maxMessagesPerSize'), lab.int('maxRoundTripsPerSize'));
    const message = Buffer.alloc(size, 0x62);
    awaitSignal(link.end); // "go" for the bulk phase
    for (let i = 0; i < messages; i++) link.end.send(message);
    awaitSignal(link.end); // "ready" for the round trips
    roundTrip.ping(link.end, roundTrips, size, `${mechanism} ${size} B round trips`);
    nativePhases.send(link.end, messages * size, size, roundTrips, size, `${mechanism} ${size} B`);
  }
  await receiver.exited;
  link.end.close();
}

/** One send of a message longer than the queue's message size: the kernel refuses it whole (EMSGSIZE). */
function tryOversized(end: { send(data: Uint8Array): void }, size: number): void {
  lab.emit('io.begin', { op: 'write', channel: 'mq ping', bytes: size });
  try {
    end.send(Buffer.alloc(size));
    lab.emit('io.end', { op: 'write', channel: 'mq ping', bytes: size, durationNs: '0' });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    lab.emit('io.error', { op: 'write', channel: 'mq ping', code: err.code ?? 'EUNKNOWN', message: `mq_send of ${size} bytes: ${err.message}` });
  }
}
