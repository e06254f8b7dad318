/**
 * The client of the "small-writes" scenario: the same requests, sent three ways, each on its own TCP
 * connection, and every round trip timed.
 *
 *   nagle      TCP's default: Nagle's algorithm on (RFC 896; tcp(7) TCP_NODELAY). The header (4 bytes)
 *              and the body go out as two write()s. The header leaves at once; the body is small and
 *              data is unacknowledged, so Nagle holds it back until the header's ACK comes. The server,
 *              still waiting for the body, delays that ACK (40 to 200 ms on Linux, near 40 ms on the
 *              loopback). Each round trip waits for the delayed-ACK timer.
 *   nodelay    the same two write()s with TCP_NODELAY (setNoDelay(true)): Nagle off, both go at once.
 *   one-write  Nagle on, but header and body in one write(): nothing small is left waiting.
 *
 * With separateWrites off, every variant writes once, and Nagle has nothing to hold back.
 *
 * Each request is traced: message.send before its first write, and message.receive when the answer is
 * whole; the server traces when the whole request reached it. The check reads the times from those
 * events' timestamps. The wait for each answer is traced too, as a read (io.begin after the writes,
 * io.end once the answer is whole), so the timeline draws it as a bar: with Nagle on, a bar of 40 ms
 * or more, where the body waited for the server's delayed ACK. Nothing else is traced inside the loop.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';

const rounds = lab.int('rounds');
const bodyBytes = lab.int('bodyBytes');
const separateWrites = lab.bool('separateWrites');
const tcpAddress = String(lab.params.tcpAddress);
const host = tcpAddress.slice(0, tcpAddress.lastIndexOf(':'));
const port = Number(tcpAddress.slice(tcpAddress.lastIndexOf(':') + 1));

const VARIANTS = [
  { name: 'nagle', noDelay: false, twoWrites: separateWrites, words: `Nagle on, ${separateWrites ? 'header and body as two writes' : 'one write'}` },
  { name: 'nodelay', noDelay: true, twoWrites: separateWrites, words: `TCP_NODELAY, ${separateWrites ? 'header and body as two writes' : 'one write'}` },
  { name: 'one-write', noDelay: false, twoWrites: false, words: 'Nagle on, header and body in one write' },
] as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const body = Buffer.alloc(bodyBytes, 0x61);
const header = Buffer.alloc(4);
header.writeUInt32BE(bodyBytes);
for (const variant of VARIANTS) {
  const connection = await connect(lab, { host, port }, `requests-${variant.name}`);
  connection.socket.setNoDelay(variant.noDelay); // connect() turns TCP_NODELAY on; the nagle variants turn it off again
  const inbox = new FrameInbox(connection.socket);
  await connection.write(frame(Buffer.from(`variant ${variant.name}`)));
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    lab.emit('message.send', { channel: `requests-${variant.name}`, messageId: i + 1, bytes: 4 + bodyBytes });
    lab.flush(); // stamped and sent before the write that wakes the server
    const start = process.hrtime.bigint();
    if (variant.twoWrites) {
      connection.socket.write(header);
      connection.socket.write(body);
    } else {
      connection.socket.write(Buffer.concat([header, body]));
    }
    const waitFrom = process.hrtime.bigint();
    lab.emit('io.begin', { op: 'read', channel: connection.channel });
    const answer = await inbox.next();
    const answered = process.hrtime.bigint();
    samples.push(Number(answered - start) / 1e6);
    lab.emit('io.end', { op: 'read', channel: connection.channel, bytes: (answer?.length ?? 0) + 4, durationNs: (answered - waitFrom).toString() });
    lab.emit('message.receive', {
      channel: `answers-${variant.name}`,
      messageId: i + 1,
      bytes: (answer?.length ?? 0) + 4,
      ...(answer ? { text: answer.toString() } : {}),
    });
    if (answer?.toString() !== `ok ${bodyBytes}`) {
      lab.emit('io.error', {
        op: 'read',
        channel: connection.channel,
        code: 'EBADMSG',
        message: `round trip ${i + 1}: the answer was ${JSON.stringify(answer?.toString())}`,
      });
      break;
    }
  }
  connection.end();
  await connection.closed;
  const p50 = median(samples);
  lab.measure(`${variant.name} round trip p50`, Math.round(p50 * 1000) / 1000, 'ms', `${samples.length} requests of 4 + ${bodyBytes} bytes; ${variant.words}`);
  lab.note(
    `${variant.words}: median round trip ${p50 < 1 ? `${(p50 * 1000).toFixed(0)} µs` : `${p50.toFixed(1)} ms`}, slowest ${Math.max(...samples).toFixed(1)} ms`,
  );
}
