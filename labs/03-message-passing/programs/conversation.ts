/**
 * A conversation between two named processes over direct links: send(P, message), receive(Q).
 * The one who starts sends "hello", the other answers each message.
 *
 * With `aliceBobQueues: one` the two share one mailbox "talk" for both directions instead. The kernel
 * allows it, but the queue does not know who sent what: a process that receives may take its own
 * message back (if the other is not already waiting in mq_receive, in which case the kernel hands the
 * message straight to it). Then it puts the message back and tries again.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { DirectLinks } from '../../../main/runtime/message-passing/direct-links.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { MESSAGE_BYTES, messageId, messageText } from './mailboxes.js';

interface Channel {
  send(body: string): void;
  receive(): string;
  sendChannel: string;
  receiveChannel: string;
  finish(): void;
}

function directLinks(me: string, peer: string, starts: boolean): Channel {
  const links = new DirectLinks(me, { nameFor: (from, to) => lab.mqName(`link-${from}-${to}`), capacity: 4, messageBytes: MESSAGE_BYTES, tracer: lab });
  for (const [from, to] of [
    [me, peer],
    [peer, me],
  ] as const) {
    lab.emit('object.open', {
      channel: `link ${from}→${to}`,
      object: { type: 'mqueue', name: lab.mqName(`link-${from}-${to}`) },
      detail: 'opened (or created) on first use',
    });
  }
  return {
    send: (body) => void links.send(peer, body),
    receive: () => links.receive(peer).toString('utf8'),
    sendChannel: `link ${me}→${peer}`,
    receiveChannel: `link ${peer}→${me}`,
    finish: () => {
      links.close();
      if (starts) links.unlinkAll();
    },
  };
}

function oneQueue(me: string, starts: boolean): Channel {
  const channel = 'mailbox talk';
  const talk = Mailbox.create(lab.mqName('talk'), { capacity: 4, messageBytes: MESSAGE_BYTES, exclusive: false, tracer: lab, channel });
  lab.emit('object.open', { channel, object: { type: 'mqueue', name: talk.name }, detail: 'one queue for both directions (opened or created)' });
  return {
    send: (body) => void talk.send(body),
    receive: () => {
      for (;;) {
        const text = talk.receive()!.toString('utf8');
        if (!text.includes(`from ${me}`)) return text;
        lab.note(`took back its own message "${text}": the queue does not know who sent it; putting it back`);
        talk.send(text);
        lab.sleep(5);
      }
    },
    sendChannel: channel,
    receiveChannel: channel,
    finish: () => {
      talk.close();
      if (starts) {
        try {
          talk.unlink();
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    },
  };
}

export function converse(peer: string, starts: boolean): void {
  const me = lab.role;
  const talk = lab.choice('aliceBobQueues') === 'one' ? oneQueue(me, starts) : directLinks(me, peer, starts);
  const send = (id: number, text: string) => {
    const body = messageText(id, `${text} (from ${me})`);
    lab.emit('message.send', { channel: talk.sendChannel, messageId: id, bytes: Buffer.byteLength(body), text: body });
    talk.send(body);
  };
  const receive = () => {
    const text = talk.receive();
    lab.emit('message.receive', { channel: talk.receiveChannel, messageId: messageId(text), bytes: Buffer.byteLength(text), text });
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
    // After its first send and its first receive, this process holds its queues: the kernel view taken
    // now shows them among its descriptors, whatever the timing of the engine's sampling.
    if (k === 1) lab.snapshot(`${me} has sent and received`);
  }
  talk.finish();
}
