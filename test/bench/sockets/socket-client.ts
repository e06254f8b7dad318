/**
 * The timing side of a socket benchmark run: connects (TCP with TCP_NODELAY: one message, one
 * segment, no Nagle delay), says `ready`, waits for the go byte on fd 3, then either
 *   pingpong  sends message k and waits for it to come back, timing each round trip, checking each answer;
 *   stream    sends `count` messages of the pattern (one write per message, honouring back-pressure),
 *             then an empty message, and waits for the server's count of bytes checked.
 *
 *   node socket-client.js <unix:path | tcp:host:port> <pingpong | stream> <message bytes> <count> <warm-up rounds>
 * stdout: `ready`, then pingpong {samples, rounds, problems} | stream {startNs, endNs, sent, received, badAt, cpuMs, problems}
 */
import { connect } from 'node:net';
import { childStart, cpuMsSince, tell } from '../shm/payload.js';
import { tellLong, waitForGo } from '../mq/endpoint.js';
import { frame, FrameInbox, patternBytes } from '../../../main/runtime/sockets/framing.js';
import { parseAddress } from './address.js';

const [spec, mode, bytesArg, countArg, warmUpArg] = childStart();
const address = parseAddress(spec!);
const bytes = Number(bytesArg);
const count = Number(countArg);
const warmUp = Number(warmUpArg ?? 0);

const socket = connect('path' in address ? { path: address.path } : { host: address.host, port: address.port, noDelay: true });
await new Promise<void>((resolve, reject) => {
  socket.once('connect', resolve);
  socket.once('error', reject);
});
const inbox = new FrameInbox(socket, 1024 * 1024);
tell('ready');
waitForGo();

const problems: string[] = [];
if (mode === 'pingpong') {
  const samples: number[] = [];
  const total = warmUp + count;
  let rounds = 0;
  try {
    for (; rounds < total; rounds++) {
      const message = frame(patternBytes(rounds, bytes)); // each message differs from the one before
      const started = process.hrtime.bigint();
      socket.write(message);
      const answer = await inbox.next();
      const elapsed = process.hrtime.bigint() - started;
      if (rounds >= warmUp) samples.push(Number(elapsed));
      if (!answer || !answer.equals(message.subarray(4))) throw new Error(`round ${rounds}: the answer differs from the message`);
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  socket.end();
  tellLong({ samples, rounds, problems });
} else {
  const cpu = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  let sent = 0;
  for (let k = 0; k < count; k++) {
    if (!socket.write(frame(patternBytes(sent, bytes)))) await new Promise((resolve) => socket.once('drain', resolve));
    sent += bytes;
  }
  socket.write(frame(Buffer.alloc(0)));
  const reply = JSON.parse((await inbox.next())?.toString() ?? '{"received":0,"badAt":-1}') as { received: number; badAt: number };
  const endNs = process.hrtime.bigint();
  socket.end();
  tell({ startNs: String(startNs), endNs: String(endNs), sent, received: reply.received, badAt: reply.badAt, cpuMs: cpuMsSince(cpu), problems });
}
process.exit(0);
