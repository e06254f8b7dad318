/**
 * What the programs of this lab share: making or finding a mailbox by name, tracing it, and the text
 * of a message ("#<id> <text>": the id pairs a send with its receive in the trace).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { Mailbox } from '../../../main/runtime/message-passing/mailbox.js';

export const MESSAGE_BYTES = 256;

/** Creates the run's mailbox `name` (a POSIX message queue) and traces it. */
export function createMailbox(name: string, capacity: number, messageBytes = MESSAGE_BYTES): Mailbox {
  const mailbox = Mailbox.create(lab.mqName(name), { capacity, messageBytes, tracer: lab, channel: `mailbox ${name}` });
  lab.emit('object.create', {
    channel: `mailbox ${name}`,
    object: { type: 'mqueue', name: mailbox.name },
    detail: `mq_open(O_CREAT), ${capacity} messages of up to ${messageBytes} bytes`,
  });
  return mailbox;
}

/** Opens the run's mailbox `name`, waiting for its creator to make it if need be. */
export function openMailbox(name: string): Mailbox {
  for (let attempt = 0; ; attempt++) {
    try {
      const mailbox = Mailbox.open(lab.mqName(name), { tracer: lab, channel: `mailbox ${name}` });
      lab.emit('object.open', { channel: `mailbox ${name}`, object: { type: 'mqueue', name: mailbox.name }, detail: 'mq_open' });
      return mailbox;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 500) throw error;
      if (attempt === 0) lab.note(`mailbox ${name} does not exist yet; trying again`);
      lab.sleep(10);
    }
  }
}

export function messageText(id: number, text: string): string {
  return `#${id} ${text}`;
}

export function messageId(text: string): number {
  return Number(/^#(\d+)/.exec(text)?.[1] ?? -1);
}

/** Sends `text` as message `id` and traces it. */
export function sendTraced(mailbox: Mailbox, channel: string, id: number, text: string): void {
  const body = messageText(id, text);
  lab.emit('message.send', { channel, messageId: id, bytes: Buffer.byteLength(body), text: body });
  mailbox.send(body);
}

/** Receives one message (blocking) and traces it. Returns its text. */
export function receiveTraced(mailbox: Mailbox, channel: string): string {
  const text = mailbox.receive()!.toString('utf8');
  lab.emit('message.receive', { channel, messageId: messageId(text), bytes: Buffer.byteLength(text), text });
  return text;
}
