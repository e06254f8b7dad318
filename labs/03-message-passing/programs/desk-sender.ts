/**
 * A sender of the "identity" scenario (sender-1, sender-2, sender-3), started by the receiver once it
 * listens: connects to the receiver's Unix socket and sends `messages` messages, each saying who sent it. With `liar` set to this sender's role,
 * it claims to be sender-1 instead: the text says one thing, the kernel (SO_PEERCRED) another.
 */
import { join } from 'node:path';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { frame } from '../../../main/runtime/sockets/framing.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { messageText } from './mailboxes.js';

const me = Number(lab.role.replace('sender-', ''));
const claim = lab.choice('liar') === lab.role ? 'sender-1' : lab.role;
const path = join(lab.runDir, 'desk.sock');
const channel = 'desk';
// The receiver started this sender once it was listening: the connect finds it there.
const connection = await connect(lab, { path }, `desk ${lab.role}`);
for (let k = 1; k <= lab.int('messages'); k++) {
  const id = me * 1000 + k;
  const body = messageText(id, `from ${claim}: message ${k}`);
  lab.emit('message.send', { channel, messageId: id, bytes: Buffer.byteLength(body), text: body });
  await connection.write(frame(Buffer.from(body)));
}
connection.end();
await connection.closed;
