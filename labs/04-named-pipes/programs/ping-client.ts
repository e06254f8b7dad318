/**
 * The client of the "conversation" scenario. It finds the server's FIFOs by their paths and sends its
 * pings, each followed by a read for the answer.
 *
 * Two FIFOs: it opens to-server for writing and to-client for reading (in the server's order), sends
 * each ping on one and reads its pong from the other. One FIFO: it opens chat.fifo for reading and
 * writing, writes its ping and reads... whatever is next in the FIFO. A FIFO does not know who wrote:
 * if the server has not read the ping yet, the next bytes are the client's own ping, and the client
 * reads it back. Then the conversation is broken: the client says "bye" and stops.
 *
 * Each message names its writer's pid, so what a process read says who wrote it.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { waitForFifo } from './find-fifo.js';
import { LineReader } from '../../../main/runtime/line-reader.js';
import { openBothWays } from './open-both-ways.js';

const pings = lab.int('pings');
const delayMs = lab.int('pingDelayMs');
const oneFifo = lab.choice('fifos') === 'one';

let requests: number;
let replies: number;
let requestChannel: string;
let replyChannel: string;
if (oneFifo) {
  requests = replies = openBothWays(waitForFifo('chat'), 'chat');
  requestChannel = replyChannel = 'chat';
} else {
  const toServerPath = waitForFifo('to-server');
  const toClientPath = waitForFifo('to-client');
  requests = lab.open(toServerPath, 'to-server', 'write');
  replies = lab.open(toClientPath, 'to-client', 'read');
  requestChannel = 'to-server';
  replyChannel = 'to-client';
}

const lines = new LineReader(replies, replyChannel);
for (let seq = 1; seq <= pings; seq++) {
  const ping = `ping ${seq} from pid ${process.pid}`;
  const data = Buffer.from(ping + '\n');
  // Traced before the write: the write may wake the server, whose receive must come after this send.
  lab.emit('message.send', { channel: requestChannel, messageId: seq, bytes: data.length, text: ping });
  lab.write(requests, requestChannel, data);
  const answer = lines.next();
  if (answer === undefined) throw new Error(`the server closed ${replyChannel} before answering`);
  if (answer.startsWith('bye ')) {
    lab.note(`the server said "${answer}": it read back its own pong, which this ping was waiting for`);
    break;
  }
  lab.emit('message.receive', {
    channel: replyChannel,
    messageId: Number(/^\w+ (\d+)/.exec(answer)?.[1] ?? -1),
    bytes: Buffer.byteLength(answer) + 1,
    text: answer,
  });
  // While both processes hold their FIFOs: the kernel view then shows who holds which.
  if (seq === 1) lab.snapshot('the client has its first answer: both processes hold their FIFOs');
  if (Number(/from pid (\d+)/.exec(answer)?.[1]) === process.pid) {
    lab.note(`read back its own ping "${answer}": a FIFO is one buffer, and it does not know who wrote`);
    break;
  }
  if (seq < pings) lab.sleep(delayMs);
}
if (oneFifo) {
  const bye = Buffer.from('bye\n');
  lab.write(requests, 'chat', bye);
  lab.close(requests, 'chat', 'both');
} else {
  lab.close(requests, 'to-server', 'write');
  lab.close(replies, 'to-client', 'read');
}
