/**
 * The client of the "transports" scenario. The same function, `measure`, runs against the Unix
 * socket and against TCP; only the address differs.
 *
 *   ping-pong   send a message, wait for it to come back, compare it byte for byte; time each round trip
 *   throughput  stream `totalBytes` of a known pattern; the server checks every byte and replies
 *
 * TCP sockets have TCP_NODELAY set (traced-socket.ts): without it, Nagle's algorithm may hold back a
 * small message waiting for more, and a round trip takes tens of milliseconds instead of microseconds.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect, type SocketAddress } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox, patternBytes } from '../../../main/runtime/sockets/framing.js';

const roundTrips = lab.int('roundTrips');
const messageBytes = lab.int('messageBytes');
const totalBytes = lab.int('totalBytes');
const CHUNK = 64 * 1024;

interface Result {
  transport: string;
  p50Us: number;
  p99Us: number;
  mbPerSecond: number;
  verified: number;
  expected: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function measure(transport: 'unix' | 'tcp', address: SocketAddress): Promise<Result> {
  let verified = 0;
  const expected = 2 * roundTrips * messageBytes + totalBytes;

  // Ping-pong.
  const echo = await connect(lab, address, `${transport}-ping-pong`);
  const inbox = new FrameInbox(echo.socket, 1024 * 1024);
  await echo.write(frame(Buffer.from('echo')));
  const samples: number[] = [];
  const ping = Buffer.alloc(messageBytes);
  for (let i = 0; i < roundTrips; i++) {
    patternBytes(i, messageBytes).copy(ping); // each ping differs from the one before
    const start = process.hrtime.bigint();
    echo.socket.write(frame(ping));
    const pong = await inbox.next();
    samples.push(Number(process.hrtime.bigint() - start));
    if (!pong || !pong.equals(ping)) {
      lab.emit('io.error', { op: 'read', channel: echo.channel, code: 'EBADMSG', message: `round trip ${i + 1}: the pong differs from the ping` });
      break;
    }
    verified += 2 * messageBytes; // out and back, both compared
  }
  echo.end();
  await echo.closed;
  samples.sort((a, b) => a - b);
  const p50Us = percentile(samples, 50) / 1000;
  const p99Us = percentile(samples, 99) / 1000;
  lab.measure(`${transport} round trip p50`, Math.round(p50Us * 10) / 10, 'µs', `${samples.length} round trips of ${messageBytes} bytes`);
  lab.measure(`${transport} round trip p99`, Math.round(p99Us * 10) / 10, 'µs');

  // Throughput.
  const sink = await connect(lab, address, `${transport}-stream`);
  const replies = new FrameInbox(sink.socket, 1024 * 1024);
  await sink.write(frame(Buffer.from('sink')));
  const start = process.hrtime.bigint();
  for (let sent = 0; sent < totalBytes; ) {
    const n = Math.min(CHUNK, totalBytes - sent);
    await sink.write(frame(patternBytes(sent, n))); // waits for 'drain' when the kernel's buffer is full
    sent += n;
  }
  await sink.write(frame(Buffer.alloc(0)));
  const reply = JSON.parse((await replies.next())?.toString() ?? '{}') as { received?: number; badAt?: number };
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sink.end();
  await sink.closed;
  if (reply.received === totalBytes && reply.badAt === -1) verified += totalBytes;
  else lab.emit('io.error', { op: 'read', channel: sink.channel, code: 'EBADMSG', message: `the server got ${reply.received} of ${totalBytes} bytes${reply.badAt !== undefined && reply.badAt >= 0 ? `, the first wrong one at offset ${reply.badAt}` : ''}` });
  const mbPerSecond = totalBytes / seconds / 1e6;
  lab.measure(`${transport} throughput`, Math.round(mbPerSecond), 'MB/s', `${totalBytes} bytes in messages of up to ${CHUNK} bytes, every byte checked by the server`);
  lab.measure(`${transport} bytes verified`, verified, 'bytes', `of ${expected}`);
  return { transport, p50Us, p99Us, mbPerSecond, verified, expected };
}

const results: Result[] = [];
const unixPath = lab.has('unixPath') ? String(lab.params.unixPath) : '';
const tcpAddress = lab.has('tcpAddress') ? String(lab.params.tcpAddress) : '';
if (unixPath) results.push(await measure('unix', { path: unixPath }));
if (tcpAddress) {
  const [host, port] = [tcpAddress.slice(0, tcpAddress.lastIndexOf(':')), Number(tcpAddress.slice(tcpAddress.lastIndexOf(':') + 1))];
  results.push(await measure('tcp', { host, port }));
}
const [unix, tcp] = [results.find((r) => r.transport === 'unix'), results.find((r) => r.transport === 'tcp')];
if (unix && tcp) {
  lab.note(
    `round trip p50: unix ${unix.p50Us.toFixed(1)} µs, tcp ${tcp.p50Us.toFixed(1)} µs (tcp/unix ${(tcp.p50Us / unix.p50Us).toFixed(2)}x); ` +
      `throughput: unix ${unix.mbPerSecond.toFixed(0)} MB/s, tcp ${tcp.mbPerSecond.toFixed(0)} MB/s (unix/tcp ${(unix.mbPerSecond / tcp.mbPerSecond).toFixed(2)}x). ` +
      'In the kernel a Unix socket only moves bytes from one socket buffer to the other; TCP on the loopback also runs the TCP state machine and the IP layer. What Node does per message (a write call, framing, checks) is the same on both.',
  );
}
