/**
 * The receiving end of the "link" scenario: it makes the carrier (a ring in a segment, a message
 * queue, or a listening TCP socket), starts the sender with its address, and lets the sender fill the
 * link before it takes anything: once `capacity` messages wait and the sender sleeps, it asks the
 * engine for the kernel's view. Then it takes every message and prints it: the same lines, whatever
 * the carrier.
 */
import { readFileSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { createReceiver } from '../../../main/runtime/logical-link/logical-link.js';
import { linkSpec, messageId } from './link-spec.js';

const spec = linkSpec();
const { address, object, receiver } = await createReceiver(spec, lab.shmName('link'));
if (object.type !== 'socket') {
  lab.emit('object.create', {
    channel: 'link',
    object,
    detail: object.type === 'shm' ? `a ring of ${spec.capacity} slots` : `mq_open(O_CREAT): at most ${spec.capacity} messages (mq_maxmsg)`,
  });
}
const sender = lab.spawn('sender', 'link-sender.ts', { params: { ...lab.params, address } });
const link = await receiver;

/** The sender's scheduler state, from /proc/<pid>/stat (proc(5)): 'S' while it sleeps; '' once it is gone. */
function stateOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

// Let the sender fill the link: `capacity` messages waiting (or all of them, if fewer), and the sender
// asleep in its next send (or finished), seen asleep three times in a row: a process also sleeps for a
// moment elsewhere (its garbage collector's threads, its trace channel). Then the kernel view, twice, a
// little apart: the check takes the views that fall inside the sender's wait.
let senderDone = false;
void sender.exited.then(() => (senderDone = true));
const full = Math.min(spec.capacity, lab.int('messages'));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
for (let asleep = 0; asleep < 3 && !senderDone;) {
  await pause(10);
  const state = stateOf(sender.pid);
  asleep = link.waiting() >= full && (state === 'S' || state === 'Z' || state === '') ? asleep + 1 : 0;
}
lab.snapshot(`the link holds ${link.waiting()} messages, none taken yet`);
await pause(50);
lab.snapshot(`the link still holds ${link.waiting()} messages, none taken yet`);

for (;;) {
  const message = await link.receive();
  if (message === null) break;
  const text = message.toString('utf8');
  lab.emit('message.receive', { channel: 'link', messageId: messageId(text), bytes: message.length, text });
  process.stdout.write(`${text}\n`);
}
await link.close();
await sender.exited;
