/**
 * A conversation between two named processes over direct links: send(P, message), receive(Q).
 * The one who starts sends "hello", the other answers each message.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { DirectLinks } from '../../../main/runtime/message-passing/direct-links.js';
import { MESSAGE_BYTES, messageId, messageText } from './mailboxes.js';

export function converse(peer: string, starts: boolean): void {
  const me = lab.role;
  const links = new DirectLinks(me, { nameFor: (from, to) => lab.mqName(`link-${from}-${to}`), capacity: 4, messageBytes: MESSAGE_BYTES, tracer: lab });
  for (const [from, to] of [[me, peer], [peer, me]] as const) {
    lab.emit('object.open', { channel: `link ${from}→${to}`, object: { type: 'mqueue', name: lab.mqName(`link-${from}-${to}`) }, detail: 'opened (or created) on first use' });
  }
  const send = (id: number, text: string) => {
    const body = messageText(id, text);
    lab.emit('message.send', { channel: `link ${me}→${peer}`, messageId: id, bytes: Buffer.byteLength(body), text: body });
    links.send(peer, body);
  };
  const receive = () => {
    const text = links.receive(peer).toString('utf8');
    lab.emit('message.receive', { channel: `link ${peer}→${me}`, messageId: messageId(text), bytes: Buffer.byteLength(text), text });
  };
  const rounds = lab.int('messages');
  for (let k = 1; k <= rounds; k++) {
    if (starts) {
      send(k, `hello ${peer} (${k})`);
      receive();
    } else {
      receive();
      send(100 + k, `hi ${peer}, got ${k}`);
    }
    // After its first send and its first receive, this process holds both links' queues: the kernel
    // view taken now shows them among its descriptors, whatever the timing of the engine's sampling.
    if (k === 1) lab.snapshot(`${me} has used both links`);
  }
  links.close();
  if (starts) links.unlinkAll();
}
