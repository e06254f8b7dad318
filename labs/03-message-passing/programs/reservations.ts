/**
 * The "reservation" scenario: what fixed-size slots cost the kernel before a single message is sent.
 *
 * A POSIX message queue reserves room for all of its slots when it is created: mq_maxmsg messages of
 * mq_msgsize bytes each (plus a little bookkeeping per slot), counted against its user's
 * RLIMIT_MSGQUEUE. mq_open fails with EMFILE once the user's queues together would pass the creating
 * process's soft limit (mq_overview(7); ipc/mqueue.c, mqueue_get_inode: mq_bytes). It is a charge
 * against the limit, not memory set aside: a message's memory is allocated when it is sent.
 *
 * That total is per user: every process of this uid shares it (other runs, other programs). So that the
 * limit is this program's own, it first asks the kernel what the user's other queues already reserve
 * (each queue /dev/mqueue lists that this user owns, its sizes from mq_getattr), then lowers its own
 * soft limit to that plus `limitBytes`, and creates empty queues of `slots` x `messageBytes` until the
 * kernel refuses one. It sends nothing: the refusal is about reserved slots, not about messages.
 */
import { readdirSync, statSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { native } from '../../../main/native/index.js';

const slots = lab.int('slots');
const messageBytes = lab.int('messageBytes');
const limitBytes = lab.int('limitBytes');
const attempts = lab.int('attempts');
const ownPrefix = lab.mqName('q').slice(1, -1); // "ipc-lab-<engine>-<run>-": this run's queues

/** What this user's other queues reserve, as the kernel reports them (data only: slots x msgsize). */
function otherQueues(): { queues: number; slots: number; dataBytes: number } {
  const found = { queues: 0, slots: 0, dataBytes: 0 };
  let names: string[];
  try {
    names = readdirSync('/dev/mqueue');
  } catch {
    return found; // the mqueue file system is not mounted there: no queue can be listed
  }
  for (const name of names) {
    if (name.startsWith(ownPrefix)) continue;
    try {
      // A queue is charged to the user who created it; its file in /dev/mqueue is owned by that user.
      if (statSync(`/dev/mqueue/${name}`).uid !== process.geteuid!()) continue;
      const mqd = native().mqOpen(`/${name}`, { create: false, access: 'read', nonblock: true });
      try {
        const { maxMessages, messageBytes: size } = native().mqGetattr(mqd);
        found.queues++;
        found.slots += maxMessages;
        found.dataBytes += maxMessages * size;
      } finally {
        native().mqClose(mqd);
      }
    } catch {
      // Gone meanwhile (ENOENT), or not ours to open: either way not charged to this user now.
    }
  }
  return found;
}

function reportOthers(when: string): void {
  const others = otherQueues();
  lab.measure(`other queues ${when}`, others.queues, 'queues', "queues in /dev/mqueue this user owns, not this run's");
  lab.measure(`other slots ${when}`, others.slots, 'messages', 'their mq_maxmsg, added up');
  lab.measure(`other reserved bytes ${when}`, others.dataBytes, 'bytes', 'their mq_maxmsg x mq_msgsize, added up');
}

const before = otherQueues();
reportOthers('before');
const original = native().messageQueueLimit();
lab.measure('RLIMIT_MSGQUEUE before', original.soft, 'bytes', 'getrlimit: the soft limit this program started with');
const wanted = before.dataBytes + limitBytes;
try {
  native().setMessageQueueLimit(wanted);
} catch (error) {
  throw new Error(
    `setrlimit(RLIMIT_MSGQUEUE, ${wanted}) failed (${(error as NodeJS.ErrnoException).code}): this user's other queues reserve ${before.dataBytes} bytes, and that plus limitBytes ${limitBytes} is above the hard limit ${original.hard}. Fix: choose a smaller "limitBytes", or remove the other queues.`,
    { cause: error },
  );
}
const limit = native().messageQueueLimit().soft;
lab.measure('RLIMIT_MSGQUEUE', limit, 'bytes', `getrlimit after setrlimit: this user's other queues' ${before.dataBytes} bytes plus ${limitBytes}`);
lab.note(`soft RLIMIT_MSGQUEUE lowered from ${original.soft} to ${limit} bytes`);

const created: { name: string; mqd: number }[] = [];
try {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const name = lab.mqName(`q${attempt}`);
    const channel = `queue q${attempt}`;
    let mqd: number;
    try {
      mqd = native().mqOpen(name, { create: true, exclusive: true, nonblock: true, maxMessages: slots, messageBytes });
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      lab.emit('io.error', { op: 'open', channel, code: err.code ?? 'EUNKNOWN', message: err.message });
      reportOthers('at refusal');
      break;
    }
    created.push({ name, mqd });
    const attributes = native().mqGetattr(mqd);
    lab.emit('object.create', {
      channel,
      object: { type: 'mqueue', name },
      detail: `mq_open(O_CREAT): ${attributes.maxMessages} slots of ${attributes.messageBytes} bytes, ${attributes.currentMessages} messages in it (mq_getattr)`,
    });
    if (attempt === 1) {
      lab.measure('mq_maxmsg', attributes.maxMessages, 'messages', 'mq_getattr of the first queue');
      lab.measure('mq_msgsize', attributes.messageBytes, 'bytes', 'mq_getattr of the first queue');
    }
  }
  // While every queue the kernel granted is held: the kernel view lists each among the descriptors.
  lab.snapshot(`holding the ${created.length} queues the kernel granted`);
} finally {
  for (const { name, mqd } of created) {
    native().mqClose(mqd);
    native().mqUnlink(name);
  }
}
