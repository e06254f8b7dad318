/**
 * A client of the "many-clients" scenario: connects, says who it is, streams its messages with a
 * pause between them, and waits for the server's acknowledgement. The failing client stops halfway:
 *   reset   it closes with an RST on purpose (SO_LINGER 0, socket.resetAndDestroy()): the server's
 *           next read fails with ECONNRESET;
 *   killed  it is killed with SIGKILL: it never closes anything itself, its kernel closes the socket
 *           when the process dies, in order (FIN), so the server simply reads end of file early.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';

const client = lab.int('client');
const messages = lab.int('messages');
const fails = lab.int('failingClient') === client;
const connection = await connect(lab, { host: '127.0.0.1', port: lab.int('port') }, `client-${client}`).catch(() => process.exit(1));
const inbox = new FrameInbox(connection.socket, 1024);
await connection.write(frame(Buffer.from(`client ${client} sends ${messages}`)));
for (let k = 1; k <= messages; k++) {
  if (fails && k > messages / 2) {
    if (lab.choice('failure') === 'reset') {
      lab.note(`client ${client}: stopping after ${k - 1} of ${messages} messages with a reset (RST)`);
      connection.reset();
      await connection.closed;
      process.exit(1);
    }
    lab.note(`client ${client}: killing myself with SIGKILL after ${k - 1} of ${messages} messages`);
    lab.flush();
    process.kill(process.pid, 'SIGKILL');
  }
  const text = `client ${client} message ${k}`;
  await connection.write(frame(Buffer.from(text)));
  lab.emit('message.send', { channel: `client-${client}`, messageId: k, bytes: Buffer.byteLength(text), text });
  await sleep(lab.int('messageDelayMs'));
}
const ack = await inbox.next();
lab.note(`the server answered: ${ack?.toString() ?? '(nothing: it closed)'}`);
connection.end();
await connection.closed;
