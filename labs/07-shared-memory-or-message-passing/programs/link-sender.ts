/**
 * The sending end of the "link" scenario: it connects to the carrier the receiver made and sends
 * `messages` messages as fast as the link lets it. The same lines for every carrier: only the
 * spec's carrier differs.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connectSender } from '../../../main/runtime/logical-link/logical-link.js';
import { linkSpec } from './link-spec.js';

const spec = linkSpec();
const { sender, object } = await connectSender(spec, String(lab.params.address));
if (object.type !== 'socket') lab.emit('object.open', { channel: 'link', object });
const messages = lab.int('messages');
for (let k = 1; k <= messages; k++) {
  const text = `#${k} message ${k} of ${messages}`;
  lab.emit('message.send', { channel: 'link', messageId: k, bytes: Buffer.byteLength(text), text });
  await sender.send(Buffer.from(text));
}
await sender.close();
