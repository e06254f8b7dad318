/**
 * The sender of the "buffering" scenario. It reads the kernel's limits for message queues, asks the
 * kernel for an "unbounded" mailbox to see what it answers, starts the receiver, and sends its messages
 * through
 *   bounded:   a mailbox of `capacity` messages: send waits while it is full;
 *   unbounded: the largest mailbox the kernel gave it (msg_max, if it refused the one asked for): send
 *              never waits for these few messages;
 *   zero:      a rendezvous: send returns only once the receiver has taken the message.
 *
 * The kernel's limits (mq_overview(7)): a queue holds at most msg_max messages (10 by default) and
 * messages of at most msgsize_max bytes (8192), for an ordinary process; one with CAP_SYS_RESOURCE may
 * go up to HARD_MSGMAX (65536) messages, no further. mq_open fails with EINVAL beyond those. On top of
 * that each queue reserves about maxmsg × msgsize bytes against its owner's RLIMIT_MSGQUEUE (819200
 * bytes by default): EMFILE beyond it. And at most queues_max queues exist at once (ENOSPC).
 */
import { readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';
import { Rendezvous } from '../../../main/runtime/message-passing/rendezvous.js';
import { createMailbox, MESSAGE_BYTES, messageText } from './mailboxes.js';

function limit(name: string): number {
  const value = Number(readFileSync(`/proc/sys/fs/mqueue/${name}`, 'utf8').trim());
  lab.measure(name, value, name === 'msgsize_max' ? 'bytes' : name === 'msg_max' ? 'messages per queue' : 'queues', `/proc/sys/fs/mqueue/${name}`);
  return value;
}
const msgMax = limit('msg_max');
limit('msgsize_max');
limit('queues_max');

/**
 * Asks the kernel for a mailbox of `ask` messages: the number it granted (mq_getattr's mq_maxmsg), or
 * null if mq_open refused. Traced as an open of "mailbox unbounded": io.end, or io.error with errno.
 */
function askForUnbounded(ask: number): number | null {
  const channel = 'mailbox unbounded';
  lab.emit('io.begin', { op: 'open', channel, bytes: 0 });
  lab.flush();
  const start = process.hrtime.bigint();
  try {
    const probe = Mailbox.create(lab.mqName('unbounded'), { capacity: ask, messageBytes: MESSAGE_BYTES });
    lab.emit('io.end', { op: 'open', channel, bytes: 0, durationNs: (process.hrtime.bigint() - start).toString() });
    lab.emit('object.create', {
      channel,
      object: { type: 'mqueue', name: probe.name },
      detail: `mq_open(O_CREAT) of ${ask} messages: granted, mq_getattr says ${probe.capacity}`,
    });
    const granted = probe.capacity;
    probe.close();
    probe.unlink();
    return granted;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    lab.emit('io.error', { op: 'open', channel, code: err.code ?? 'EUNKNOWN', message: err.message });
    return null;
  }
}
const ask = lab.int('unboundedAsk');
const granted = askForUnbounded(ask);
lab.note(
  granted === null
    ? `the kernel refused a mailbox of ${ask.toLocaleString('en')} messages: no mailbox is unbounded`
    : `the kernel granted a mailbox of ${granted} messages`,
);

const buffering = lab.choice('buffering');
const messages = lab.int('messages');
const channel = buffering === 'zero' ? 'rendezvous' : 'mailbox link';

let send: (text: string) => void;
let finish: () => void;
if (buffering === 'zero') {
  const rendezvous = Rendezvous.create(lab.mqName('data'), { messageBytes: MESSAGE_BYTES, tracer: lab, channel });
  lab.emit('object.create', { channel, object: { type: 'mqueue', name: lab.mqName('data') }, detail: 'the message, capacity 1' });
  lab.emit('object.create', { channel, object: { type: 'mqueue', name: Rendezvous.ackName(lab.mqName('data')) }, detail: 'the acknowledgement' });
  send = (text) => rendezvous.send(text);
  finish = () => rendezvous.close();
} else {
  const capacity = buffering === 'bounded' ? lab.int('capacity') : (granted ?? msgMax);
  const mailbox = createMailbox('link', capacity);
  send = (text) => void mailbox.send(text);
  finish = () => mailbox.close();
}

const receiver = lab.spawn('receiver', 'buffering-receiver.ts');
for (let id = 1; id <= messages; id++) {
  const text = messageText(id, `message ${id} of ${messages}`);
  lab.emit('message.send', { channel, messageId: id, bytes: Buffer.byteLength(text), text });
  send(text);
}
await receiver.exited;
finish();
