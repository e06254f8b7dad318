/**
 * The server of the "conversation" scenario.
 *
 * With two FIFOs (the default) it makes one per direction:
 *
 *   to-server.fifo   the client writes pings, the server reads them
 *   to-client.fifo   the server writes pongs, the client reads them
 *
 * The kernel would let either process write into either FIFO: a FIFO has no direction. Two are used
 * so that a process never reads back its own message: each process reads only from a FIFO that only
 * the other one writes into.
 *
 * Both sides open the FIFOs in the same order (to-server first, then to-client). Each blocking open
 * waits for the other side's open of the same FIFO (fifo(7)), so the opposite order on one side would
 * leave both waiting for ever.
 *
 * With one FIFO (fifos: one) both processes open chat.fifo for reading and writing (O_RDWR, see
 * open-both-ways.ts) and use it both ways. The server pauses before each read: a client that writes
 * its ping and then reads finds its own ping in the FIFO and reads it back. The server can as well read
 * back its own pong, when the client is slower than its pause (a loaded machine): then it writes "bye"
 * and stops, so that the client, waiting for that pong, reads the bye and stops too, instead of both
 * waiting for ever.
 */
import { unlinkSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from '../../../main/runtime/line-reader.js';
import { openBothWays } from './open-both-ways.js';

const oneFifo = lab.choice('fifos') === 'one';
const delayMs = lab.int('serverDelayMs');

let requests: number;
let replies: number;
let requestChannel: string;
let replyChannel: string;
const paths: string[] = [];
if (oneFifo) {
  paths.push(lab.mkfifo('chat'));
  requests = replies = openBothWays(paths[0]!, 'chat');
  requestChannel = replyChannel = 'chat';
} else {
  paths.push(lab.mkfifo('to-server'), lab.mkfifo('to-client'));
  requests = lab.open(paths[0]!, 'to-server', 'read');
  replies = lab.open(paths[1]!, 'to-client', 'write');
  requestChannel = 'to-server';
  replyChannel = 'to-client';
}

const lines = new LineReader(requests, requestChannel);
let seq = 0;
for (;;) {
  lab.sleep(delayMs);
  const line = lines.next();
  if (line === undefined) {
    lab.note(`end of file on ${requestChannel} after ${seq} pings: the client closed its end`);
    break;
  }
  if (line === 'bye') {
    lab.note(`the client said bye after ${seq} pings`);
    break;
  }
  const sender = Number(/from pid (\d+)/.exec(line)?.[1]);
  lab.emit('message.receive', {
    channel: requestChannel,
    messageId: Number(/^\w+ (\d+)/.exec(line)?.[1] ?? -1),
    bytes: Buffer.byteLength(line) + 1,
    text: line,
  });
  if (sender === process.pid) {
    lab.note(`read back its own message "${line}": the FIFO does not know who wrote`);
    // The client waits for the pong this read took: tell it the conversation is over.
    lab.write(replies, replyChannel, Buffer.from(`bye from pid ${process.pid}\n`));
    break;
  }
  seq++;
  const pong = `pong ${seq} from pid ${process.pid}`;
  const data = Buffer.from(pong + '\n');
  // Traced before the write: the write wakes the client, whose receive must come after this send.
  lab.emit('message.send', { channel: replyChannel, messageId: seq, bytes: data.length, text: pong });
  lab.write(replies, replyChannel, data);
}
if (oneFifo) {
  lab.close(requests, 'chat', 'both');
} else {
  lab.close(requests, 'to-server', 'read');
  lab.close(replies, 'to-client', 'write');
}
for (const path of paths) unlinkSync(path);
lab.note(`unlinked ${paths.length === 1 ? 'the FIFO' : 'both FIFOs'}`);
