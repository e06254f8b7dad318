/**
 * A client of the "many-clients" scenario: connects, says who it is, streams its messages with a
 * pause between them (the server answers each one), and waits for the server's last answer. The
 * failing client stops halfway:
 *   reset          it reads the answer to its last message, then closes with an RST on purpose
 *                  (SO_LINGER 0, socket.resetAndDestroy()): the server's next read fails with ECONNRESET;
 *   killed         it reads every answer, then is killed with SIGKILL. It closes nothing itself: its
 *                  kernel closes the socket when the process dies, and with nothing unread in the
 *                  receive queue that close is orderly (FIN): the server reads end of file early;
 *   killed-unread  it stops reading at the start, so the server's answers pile up in its receive
 *                  queue; it waits until /proc/net/tcp shows them there, then is killed. A socket
 *                  closed with unread data is reset, not closed in order (net/ipv4/tcp.c, tcp_close:
 *                  "data_was_unread" → tcp_send_active_reset; RFC 2525 2.17): the server gets ECONNRESET.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';

const client = lab.int('client');
const messages = lab.int('messages');
const fails = lab.int('failingClient') === client;
const failure = lab.choice('failure');
const connection = await connect(lab, { host: '127.0.0.1', port: lab.int('port') }, `client-${client}`).catch(() => process.exit(1));
const unread = fails && failure === 'killed-unread';
if (unread) connection.stopReading();
const inbox = unread ? undefined : new FrameInbox(connection.socket, 1024);
let answered = 0;

/** Waits for the server's answer to message k (answers come in order: "got 1", "got 2", ...). */
async function answerTo(k: number): Promise<string | undefined> {
  while (answered < k) {
    const answer = (await inbox!.next())?.toString();
    if (answer === undefined) return undefined;
    answered = Number(/^got (\d+)/.exec(answer)?.[1] ?? answered);
    if (answered >= k) return answer;
  }
  return `got ${answered}`;
}

/**
 * The bytes waiting unread in this socket's receive queue, as the kernel counts them: the rx_queue
 * column of its line in /proc/net/tcp (proc(5)), found by its local port.
 */
function receiveQueue(localPort: number): number | undefined {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || parseInt(fields[1]!.split(':')[1]!, 16) !== localPort) continue;
    return parseInt(fields[4]!.split(':')[1]!, 16);
  }
  return undefined;
}

await connection.write(frame(Buffer.from(`client ${client} sends ${messages}`)));
for (let k = 1; k <= messages; k++) {
  if (fails && k > messages / 2) {
    if (failure === 'reset') {
      // The answer to its last message first: the server has then accepted this connection and knows
      // its address. A reset that reaches the server before its accept() leaves the accepted socket
      // with no peer address (getpeername(2): ENOTCONN), and no way to tell which client it was.
      await answerTo(k - 1);
      lab.note(`client ${client}: stopping after ${k - 1} of ${messages} messages with a reset (RST)`);
      connection.reset();
      await connection.closed;
      process.exit(1);
    }
    if (failure === 'killed') {
      await answerTo(k - 1); // every answer read: nothing is left in the receive queue
      lab.note(`client ${client}: read all ${k - 1} answers; killing myself with SIGKILL after ${k - 1} of ${messages} messages`);
    } else {
      const port = Number(connection.local.slice(connection.local.lastIndexOf(':') + 1));
      let queued = receiveQueue(port) ?? 0;
      for (let i = 0; i < 400 && queued === 0; i++) {
        await sleep(5); // polling the kernel's table: there is no event for "data arrived" on a socket nobody reads
        queued = receiveQueue(port) ?? 0;
      }
      lab.measure('unread bytes in the receive queue', queued, 'bytes', `/proc/net/tcp rx_queue of ${connection.local}, just before SIGKILL`);
      lab.note(
        `client ${client}: ${queued} bytes of the server's answers lie unread in my receive queue; killing myself with SIGKILL after ${k - 1} of ${messages} messages`,
      );
    }
    lab.flush();
    process.kill(process.pid, 'SIGKILL');
  }
  const text = `client ${client} message ${k}`;
  lab.emit('message.send', { channel: `client-${client}`, messageId: k, bytes: Buffer.byteLength(text), text });
  await connection.write(frame(Buffer.from(text)));
  await sleep(lab.int('messageDelayMs'));
}
const ack = await answerTo(messages);
lab.note(`the server answered: ${ack ?? '(nothing: it closed)'}`);
connection.end();
await connection.closed;
