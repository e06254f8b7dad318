/**
 * One side of an in-app native loop for bench section 10: a Node process that calls
 * main/runtime/native-loops.ts once, as a lab program would. Prints `ready` once its object is open;
 * with --go it then waits for a byte on fd 3 (the bench's go pipe) before it starts. Then one JSON line.
 *   loop-child [--go] <role> <object> <count> <bytes>
 *   role   write | read | ping | pong
 *   object fd:N[,M]          descriptors it was handed (ping: write N, read M; pong: read N, write M)
 *          fifo:THERE[,BACK] FIFOs opened by path (blocking opens, in the same order on both sides)
 *          mq:THERE[,BACK]   POSIX queues, opened blocking
 *          ring:NAME[,OFF]   RingBuffers at offset 0 (and OFF) of a segment
 */
import { openSync, readSync } from 'node:fs';
import { native } from '../../../main/native/index.js';
import * as loops from '../../../main/runtime/native-loops.js';
import { RingBuffer } from '../../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

const args = process.argv.slice(2);
const go = args[0] === '--go';
if (go) args.shift();
const [role, object, countText, bytesText] = args as [string, string, string, string];
const count = Number(countText);
const bytes = Number(bytesText);
const [kind, spec] = object.split(/:(.*)/s) as [string, string];
const parts = spec.split(',');
const firstWrites = role === 'write' || role === 'ping';

type End = number | RingBuffer;
function open(): [End, End] {
  if (kind === 'fd') return [Number(parts[0]), Number(parts[1] ?? parts[0])];
  if (kind === 'fifo') {
    const first = openSync(parts[0]!, firstWrites ? 'w' : 'r');
    return [first, parts[1] ? openSync(parts[1], firstWrites ? 'r' : 'w') : first];
  }
  if (kind === 'mq') {
    const first = native().mqOpen(parts[0]!, { create: false });
    return [first, parts[1] ? native().mqOpen(parts[1], { create: false }) : first];
  }
  const segment = SharedSegment.attach(parts[0]!);
  const first = RingBuffer.attach(segment);
  return [first, parts[1] ? RingBuffer.attach(segment, { offset: Number(parts[1]) }) : first];
}

function run([first, second]: [End, End]): loops.LoopTiming {
  const f = first as number;
  const s = second as number;
  const kindOf = kind === 'fifo' ? 'fd' : kind;
  if (kindOf === 'fd') {
    if (role === 'write') return loops.writeLoop(f, count, bytes);
    if (role === 'read') return loops.readLoop(f, count, bytes);
    return role === 'ping' ? loops.pingLoop(f, s, count, bytes) : loops.pongLoop(f, s, count, bytes);
  }
  if (kindOf === 'mq') {
    if (role === 'write') return loops.mqSendLoop(f, count, bytes);
    if (role === 'read') return loops.mqReceiveLoop(f, count, bytes);
    return role === 'ping' ? loops.mqPingLoop(f, s, count, bytes) : loops.mqPongLoop(f, s, count, bytes);
  }
  const a = first as RingBuffer;
  const b = second as RingBuffer;
  if (role === 'write') return loops.ringProduceLoop(a, count, bytes);
  if (role === 'read') return loops.ringConsumeLoop(a, count, bytes);
  return role === 'ping' ? loops.ringPingLoop(a, b, count, bytes) : loops.ringPongLoop(a, b, count, bytes);
}

const ends = open();
process.stdout.write('ready\n');
if (go) readSync(3, Buffer.alloc(1));
const timing = run(ends);
process.stdout.write(
  JSON.stringify({ startNs: String(timing.startNs), endNs: String(timing.endNs), bytes: timing.bytes, calls: timing.calls, roundTripNs: timing.roundTripNs }) +
    '\n',
);
