/**
 * Checks over the student's own run of the message-passing lab. Each tests what the kernel said: the
 * queue descriptors /proc/<pid>/fd shows in each process (an mq descriptor reads as the queue's name,
 * "/ipc-lab-…-inbox", relative to the mqueue file system), the errno of a call (EAGAIN, EINVAL,
 * EMSGSIZE), the depth mq_getattr reports, the lengths mq_receive returned, and how long a call blocked.
 * Times are compared by `ts` (one monotonic clock for every process), never by arrival order.
 */
import { defineChecks, eventsOf, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';

/** Waits (op "wait") of a role on a channel, that ended. */
function waits(trace: RunTrace, role: string, channel: string): StoredEventOf<'io.end'>[] {
  return eventsOf(trace, 'io.end', role).filter((e) => e.op === 'wait' && e.channel === channel);
}

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(0)} ms`;
}

/** The middle of a call that ended with `end`: where the kernel view shows the process blocked in it. */
function middleOf(end: StoredEventOf<'io.end'>): string {
  return (BigInt(end.ts) - BigInt(end.durationNs) / 2n).toString();
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return BigInt(a) > BigInt(b) ? a : b;
}

/** The queue name each mailbox or link channel was created or opened under (object.create/open). */
function queueNames(trace: RunTrace): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of [...eventsOf(trace, 'object.create'), ...eventsOf(trace, 'object.open')]) {
    if (e.object.type === 'mqueue') names.set(e.channel, e.object.name);
  }
  return names;
}

/**
 * For each role, the queue names the kernel view showed among its descriptors, with the latest
 * snapshot that showed each. The kernel names an mq descriptor by the queue's name (proc(5), mqueue).
 */
function queuesHeld(trace: RunTrace, names: string[]): Map<string, Map<string, string>> {
  const held = new Map<string, Map<string, string>>();
  for (const snapshot of eventsOf(trace, 'kernel.snapshot')) {
    for (const fd of snapshot.fds) {
      if (!names.includes(fd.target)) continue;
      const mine = held.get(snapshot.role) ?? new Map<string, string>();
      mine.set(fd.target, snapshot.ts);
      held.set(snapshot.role, mine);
    }
  }
  return held;
}

/** Only the measurements that are numbers: one the trace did not show is left out, never NaN. */
function finite(measurements: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(measurements).filter((entry): entry is [string, number] => Number.isFinite(entry[1])));
}

function measures(trace: RunTrace, role: string): Record<string, number> {
  return Object.fromEntries(eventsOf(trace, 'measure', role).map((e) => [e.name, e.value]));
}

/**
 * At most this many bytes of bookkeeping per slot of a queue, on top of its slots' bytes. mq_overview(7)
 * gives the charge as mq_maxmsg * sizeof(struct msg_msg) + MIN(mq_maxmsg, MQ_PRIO_MAX) *
 * sizeof(struct posix_msg_tree_node) + mq_maxmsg * mq_msgsize; those structures are kernel-internal
 * (96 bytes per slot together on this 6.x x86_64 kernel, measured by bisecting the soft limit), so a
 * check allows up to this bound rather than name one kernel's figure.
 */
const BOOKKEEPING_BOUND_PER_SLOT = 256;

/** The pid of the process the run knows under `role` (the engine saw it start: trace.processes). */
function pidOf(trace: RunTrace, role: string): number | undefined {
  return trace.processes.find((p) => p.role === role)?.pid;
}

function roleOf(trace: RunTrace, pid: number): string | undefined {
  return trace.processes.find((p) => p.pid === pid)?.role;
}

function bytes(n: number): string {
  return `${n.toLocaleString('en')} bytes`;
}

export default defineChecks({
  'direct-links': {
    title: 'Alice and Bob talked by name, each direction on its own queue, held by the two of them only',
    hint: 'Both processes must run the whole conversation; each asks for a kernel snapshot after it has used both links.',
    measures: {
      'alice-bob-queues': { unit: 'queues', title: 'queues alice and bob opened that the kernel view showed either of them holding' },
    },
    check(trace) {
      // The queues alice and bob opened, as the kernel view showed them among their descriptors.
      const theirs = [...eventsOf(trace, 'object.open'), ...eventsOf(trace, 'object.create')]
        .filter((e) => (e.role === 'alice' || e.role === 'bob') && e.object.type === 'mqueue')
        .map((e) => e.object.name);
      const heldByThem = queuesHeld(trace, theirs);
      const seenQueues = new Set([...(heldByThem.get('alice')?.keys() ?? []), ...(heldByThem.get('bob')?.keys() ?? [])]);
      const measurements = seenQueues.size > 0 ? { 'alice-bob-queues': seenQueues.size } : undefined;
      const sent = eventsOf(trace, 'message.send').filter((e) => e.role === 'alice' || e.role === 'bob');
      const received = eventsOf(trace, 'message.receive').filter((e) => e.role === 'alice' || e.role === 'bob');
      const rounds = Number(trace.params.messages);
      if (sent.length !== 2 * rounds || received.length !== 2 * rounds)
        return {
          passed: false,
          detail: `${sent.length} messages sent and ${received.length} received between alice and bob; expected ${2 * rounds} each.`,
          moment: received.at(-1)?.ts,
          measurements,
        };
      const names = queueNames(trace);
      const aliceToBob = names.get('link alice→bob');
      const bobToAlice = names.get('link bob→alice');
      if (!aliceToBob || !bobToAlice || aliceToBob === bobToAlice) {
        const shared = names.get('mailbox talk');
        const holders = shared ? [...queuesHeld(trace, [shared]).entries()] : [];
        const tookBack = eventsOf(trace, 'note').filter((n) => (n.role === 'alice' || n.role === 'bob') && n.text.startsWith('took back its own message'));
        return {
          passed: false,
          detail: shared
            ? `Alice and Bob used one queue, ${shared}, for both directions (the kernel view shows it held by ${holders.map(([role]) => role).join(' and ') || 'nobody'}); ${tookBack.length} time${tookBack.length === 1 ? '' : 's'} a process took back its own message.`
            : 'The two directions did not each have their own queue.',
          moment: tookBack[0]?.ts ?? holders[0]?.[1].get(shared ?? ''),
          ...(shared ? { hint: 'A link per direction: each process receives only from a queue the other one sends to.' } : {}),
          measurements,
        };
      }
      const held = queuesHeld(trace, [aliceToBob, bobToAlice]);
      const both = (role: string) => held.get(role)?.size === 2;
      const others = [...held.keys()].filter((role) => role !== 'alice' && role !== 'bob');
      const shortName = (name: string) => name.replace(/^\/ipc-lab-\d+-\d+-/, '');
      if (!both('alice') || !both('bob'))
        return {
          passed: false,
          detail: `The kernel view showed alice holding ${[...(held.get('alice')?.keys() ?? [])].map(shortName).join(' and ') || 'no link queue'}, bob ${[...(held.get('bob')?.keys() ?? [])].map(shortName).join(' and ') || 'no link queue'}.`,
          measurements,
        };
      if (others.length > 0)
        return { passed: false, detail: `The link queues were also held by ${others.join(', ')}: a link joins exactly two processes.`, measurements };
      const moment = later(held.get('alice')!.get(aliceToBob), held.get('bob')!.get(bobToAlice));
      return {
        passed: true,
        detail: `${rounds} messages alice→bob and ${rounds} answers bob→alice; the kernel view shows alice and bob, and nobody else, each holding both queues, ${shortName(aliceToBob)} and ${shortName(bobToAlice)}: one queue per direction.`,
        moment,
        measurements,
      };
    },
  },
  'shared-mailbox': {
    title: 'Three senders shared one mailbox, and the receiver got every message',
    hint: 'The receiver must take as many messages as the three senders send; each sender asks for a kernel snapshot once it has opened the mailbox.',
    measures: {
      'inbox-holders': { unit: 'processes', title: "processes the kernel view showed holding the inbox's queue" },
      'receiver-queues': { unit: 'queues', title: 'queues the kernel view showed the receiver holding' },
    },
    check(trace) {
      const sent = eventsOf(trace, 'message.send').filter((e) => e.role.startsWith('sender-'));
      const received = eventsOf(trace, 'message.receive', 'receiver');
      const senders = new Set(sent.map((e) => e.role));
      const ids = new Set(received.map((e) => e.messageId));
      const missing = sent.filter((e) => !ids.has(e.messageId)).length;
      const inbox = queueNames(trace).get('mailbox inbox');
      const held = inbox ? queuesHeld(trace, [inbox]) : new Map<string, Map<string, string>>();
      const holders = ['receiver', 'sender-1', 'sender-2', 'sender-3'].filter((role) => held.has(role));
      const moment = holders.map((role) => held.get(role)!.get(inbox!)).reduce(later, undefined);
      // The mailboxes the receiver made or opened (one shared, or one per sender), as the kernel view showed it holding them.
      const receiverBoxes = [...eventsOf(trace, 'object.create', 'receiver'), ...eventsOf(trace, 'object.open', 'receiver')]
        .filter((e) => e.object.type === 'mqueue')
        .map((e) => e.object.name);
      const receiverHeld = queuesHeld(trace, receiverBoxes).get('receiver')?.size;
      const measurements = finite({ 'inbox-holders': inbox ? holders.length : undefined, 'receiver-queues': receiverHeld });
      if (senders.size !== 3) return { passed: false, detail: `${senders.size} senders sent messages.`, measurements };
      const own = [...new Set(sent.map((e) => e.channel))].filter((c) => c !== 'mailbox inbox').sort();
      if (own.length > 0)
        return {
          passed: false,
          detail: `The senders sent to ${own.length} mailboxes of their own (${own.map((c) => c.replace('mailbox ', '')).join(', ')}): none was shared, and the receiver had to ask each in turn.`,
          moment: received.at(-1)?.ts,
          hint: 'Indirect naming: every sender names the same mailbox, and the receiver takes from that one.',
          measurements,
        };
      if (missing > 0 || received.length !== sent.length)
        return { passed: false, detail: `${missing} of ${sent.length} messages were not received.`, moment: received.at(-1)?.ts, measurements };
      // The kernel's count (mq_getattr, which the receiver's mailbox reports after each receive): the
      // ids above are the senders' own numbers, the queue's depth after the last receive is not.
      const lastLevel = eventsOf(trace, 'buffer.level', 'receiver')
        .filter((l) => l.channel === 'mailbox inbox')
        .reduce<StoredEventOf<'buffer.level'> | undefined>((a, b) => (!a || BigInt(b.ts) > BigInt(a.ts) ? b : a), undefined);
      if (lastLevel && lastLevel.used > 0)
        return {
          passed: false,
          detail: `mq_getattr still showed ${lastLevel.used} message${lastLevel.used === 1 ? '' : 's'} in the mailbox after the receiver's last receive.`,
          moment: lastLevel.ts,
          measurements,
        };
      if (holders.length < 4)
        return {
          passed: false,
          detail: `The kernel view showed the mailbox's queue held by ${holders.join(', ') || 'nobody'}, not by all four processes.`,
          moment,
          measurements,
        };
      return {
        passed: true,
        detail: `${sent.length} messages from 3 senders, all received by one receiver${lastLevel ? ', and mq_getattr showed the mailbox empty after the last receive' : ''}; the kernel view shows all four processes holding the same queue, ${inbox}. The queue does not record who sent a message: only each text's "from" says, in the sender's own words.`,
        moment,
        measurements,
      };
    },
  },
  'blocking-receive-waits': {
    title: 'The blocking receive waited for the sender',
    hint: 'The receive waits only if the mailbox is empty when it starts: give the sender a delay.',
    measures: {
      'receive-wait': { unit: 'ms', title: "the receiver's longest wait in mq_receive on the empty mailbox" },
    },
    check(trace) {
      const delayNs = BigInt(Number(trace.params.senderDelayMs)) * 1_000_000n;
      const longest = waits(trace, 'receiver', 'mailbox box: empty').reduce<StoredEventOf<'io.end'> | undefined>(
        (a, b) => (!a || BigInt(b.durationNs) > BigInt(a.durationNs) ? b : a),
        undefined,
      );
      const waited = longest ? BigInt(longest.durationNs) : 0n;
      const sent = eventsOf(trace, 'message.send', 'sender')[0];
      if (!longest) return { passed: false, detail: 'The first receive found a message at once and did not wait.' };
      const measurements = { 'receive-wait': Math.round(Number(waited) / 1e6) };
      // The receive must have returned after the send began: it waited for that very message.
      if (sent && BigInt(longest.ts) < BigInt(sent.ts))
        return { passed: false, detail: 'The receive returned before the sender sent.', moment: longest.ts, measurements };
      // Where the kernel view saw the receiver asleep in the message queue's wait (ipc/mqueue.c, wq_sleep).
      const asleep = eventsOf(trace, 'kernel.snapshot', 'receiver').find(
        (e) => e.state.startsWith('S') && /mq|wq_sleep/.test(e.wchan) && BigInt(e.ts) < BigInt(longest.ts) && BigInt(e.ts) > BigInt(longest.ts) - waited,
      );
      return waited * 2n >= delayNs && delayNs > 0n
        ? {
            passed: true,
            detail: `The receiver was blocked in mq_receive for ${ms(waited)}, until the sender sent${asleep ? `; the kernel view shows it asleep in ${asleep.wchan}` : ''}.`,
            moment: asleep?.ts ?? middleOf(longest),
            measurements,
          }
        : {
            passed: false,
            detail:
              delayNs === 0n
                ? `The sender sent as soon as it started: the receive waited only ${ms(waited)}, while the sender started up.`
                : `The receiver waited only ${ms(waited)} of the sender's ${ms(delayNs)} delay.`,
            moment: middleOf(longest),
            measurements,
          };
    },
  },
  'null-message': {
    title: 'The non-blocking receive returned "no message" at once',
    hint: 'The non-blocking receive must find the mailbox empty.',
    check(trace) {
      const empty = eventsOf(trace, 'io.error', 'receiver').find((e) => e.op === 'read' && e.code === 'EAGAIN');
      if (empty)
        return {
          passed: true,
          detail: 'mq_receive on the empty mailbox returned EAGAIN at once: the null message, and the program went on.',
          moment: empty.ts,
        };
      // The receiver's second message, if the sender sent it before its pause: the non-blocking receive took it.
      const second = eventsOf(trace, 'message.receive', 'receiver')[1];
      return second && second.messageId <= Number(trace.params.firstMessages ?? 1)
        ? {
            passed: false,
            detail: `The non-blocking receive found message #${second.messageId} waiting: the sender had sent it right after the first.`,
            moment: second.ts,
            hint: 'A non-blocking receive returns the null message only on an empty mailbox: let the sender send one message before its pause.',
          }
        : { passed: false, detail: 'No non-blocking receive found the mailbox empty.' };
    },
  },
  'send-to-full-fails': {
    title: 'A non-blocking send to the full mailbox failed with EAGAIN',
    hint: 'The sender must send one more message than the mailbox holds, without the receiver taking any in between.',
    measures: {
      'queued-when-refused': { unit: 'messages', title: 'messages mq_getattr showed queued right after the send that failed with EAGAIN' },
      'sends-before-refused': { unit: 'messages', title: "the sender's messages that went in after the receiver's last receive, before the send that failed" },
    },
    check(trace) {
      const full = eventsOf(trace, 'io.error', 'sender').find((e) => e.op === 'write' && e.code === 'EAGAIN');
      if (!full) return { passed: false, detail: 'Every non-blocking send found room.' };
      // The depth mq_getattr reported right after the refused send (the mailbox reports it after each call).
      const level = eventsOf(trace, 'buffer.level', 'sender').find((l) => BigInt(l.ts) >= BigInt(full.ts));
      // The sends that went in since the receiver last took a message, up to the refused one.
      const lastTaken = eventsOf(trace, 'message.receive', 'receiver')
        .map((e) => BigInt(e.ts))
        .filter((t) => t < BigInt(full.ts))
        .reduce((a, b) => (b > a ? b : a), 0n);
      const wentIn = eventsOf(trace, 'message.send', 'sender').filter((e) => BigInt(e.ts) > lastTaken && BigInt(e.ts) < BigInt(full.ts)).length;
      return {
        passed: true,
        detail: `mq_send failed with EAGAIN instead of waiting${level ? `: mq_getattr showed ${level.used} of ${level.capacity} messages queued` : ''}.`,
        moment: full.ts,
        measurements: finite({ 'queued-when-refused': level?.used, 'sends-before-refused': wentIn }),
      };
    },
  },
  'buffering-behaviour': {
    title: 'The sender waited exactly as the buffering says',
    hint: 'Bounded: the sender waits when the mailbox is full. Zero: each send waits for the receiver. Unbounded: the sender never waits.',
    measures: {
      'sender-waits': { unit: 'waits', title: "waits of the sender that lasted 1 ms or more (for room, or for the receiver's acknowledgement)" },
      'peak-depth': { unit: 'messages', title: 'the most messages mq_getattr showed queued in the mailbox at once' },
    },
    check(trace) {
      const buffering = String(trace.params.buffering);
      const sends = eventsOf(trace, 'message.send', 'sender');
      const receives = eventsOf(trace, 'message.receive', 'receiver');
      const senderWaits = eventsOf(trace, 'io.end', 'sender').filter((e) => e.op === 'wait' && BigInt(e.durationNs) >= 1_000_000n);
      const depths = eventsOf(trace, 'buffer.level').filter((l) => l.channel === 'mailbox link');
      // Once the sender has sent: how often it waited (none is a count too), and how deep the mailbox got.
      const measurements =
        sends.length > 0
          ? finite({ 'sender-waits': senderWaits.length, 'peak-depth': depths.length ? Math.max(...depths.map((l) => l.used)) : undefined })
          : undefined;
      if (sends.length === 0 || receives.length !== sends.length)
        return { passed: false, detail: `${sends.length} sent, ${receives.length} received.`, moment: receives.at(-1)?.ts, measurements };
      if (buffering === 'zero') {
        // Rendezvous: message k+1 is sent only after the receiver took message k. "Took" is the
        // receiver's level report right after mq_receive (before its acknowledgement); compare the
        // monotonic clocks of the two processes, since their events reach the host in either order.
        const taken = eventsOf(trace, 'buffer.level', 'receiver').filter((l) => l.channel === 'rendezvous');
        const early = sends.findIndex((send, i) => i > 0 && !(taken[i - 1] && BigInt(taken[i - 1]!.ts) < BigInt(send.ts)));
        return taken.length === sends.length && early < 0
          ? {
              passed: true,
              detail: `Each of the ${sends.length} sends returned only after the receiver took the message: the sender never got ahead.`,
              moment: senderWaits[0] ? middleOf(senderWaits[0]) : sends.at(-1)!.ts,
              measurements,
            }
          : {
              passed: false,
              detail: `Message ${early + 1} was sent before the receiver had taken message ${early}: the sender got ahead, that is not a rendezvous.`,
              moment: sends[Math.max(0, early)]?.ts,
              measurements,
            };
      }
      const levels = eventsOf(trace, 'buffer.level').filter((l) => l.channel === 'mailbox link');
      if (buffering === 'unbounded') {
        const peak = levels.reduce<StoredEventOf<'buffer.level'> | undefined>((a, b) => (!a || b.used > a.used ? b : a), undefined);
        return senderWaits.length === 0
          ? {
              passed: true,
              detail: `The sender never waited; mq_getattr showed up to ${peak?.used ?? 0} of ${peak?.capacity ?? '?'} messages queued.`,
              moment: peak?.ts,
              measurements,
            }
          : {
              passed: false,
              detail: `The sender waited ${senderWaits.length} times: the mailbox held only ${peak?.capacity ?? '?'} messages.`,
              moment: middleOf(senderWaits[0]!),
              hint: 'The kernel gave a mailbox smaller than the messages sent: ask for more (or send fewer).',
              measurements,
            };
      }
      const fullWaits = senderWaits.filter((e) => e.channel === 'mailbox link: full');
      const full = levels.find((l) => l.capacity !== null && l.used === l.capacity);
      return fullWaits.length > 0 && full
        ? {
            passed: true,
            detail: `mq_getattr showed the mailbox full (${full.used} of ${full.capacity} messages), and the sender waited ${fullWaits.length} times for room.`,
            moment: middleOf(fullWaits[0]!),
            measurements,
          }
        : {
            passed: false,
            detail: 'The sender never found the mailbox full: send more messages than it holds, or make the receiver slower.',
            moment: levels.at(-1)?.ts,
            measurements,
          };
    },
  },
  'kernel-limits': {
    title: 'The kernel refused an "unbounded" mailbox: every queue has a limit',
    hint: 'Ask for more messages than the kernel allows: more than /proc/sys/fs/mqueue/msg_max (10 by default) for an ordinary process, more than 65536 for one with CAP_SYS_RESOURCE.',
    measures: {
      'msg-max': { unit: 'messages', title: '/proc/sys/fs/mqueue/msg_max as the sender read it: the most messages per queue for an ordinary process' },
      'msgsize-max': { unit: 'bytes', title: '/proc/sys/fs/mqueue/msgsize_max as the sender read it: the largest message for an ordinary process' },
    },
    check(trace) {
      const limits = measures(trace, 'sender');
      const measurements = finite({ 'msg-max': limits.msg_max, 'msgsize-max': limits.msgsize_max });
      const ask = Number(trace.params.unboundedAsk);
      const refused = eventsOf(trace, 'io.error', 'sender').find((e) => e.op === 'open' && e.channel === 'mailbox unbounded');
      const granted = eventsOf(trace, 'object.create', 'sender').find((e) => e.channel === 'mailbox unbounded');
      const known = `msg_max ${limits.msg_max ?? '?'}, msgsize_max ${limits.msgsize_max ?? '?'} bytes, queues_max ${limits.queues_max ?? '?'}`;
      if (refused)
        return {
          passed: true,
          detail: `mq_open of a mailbox of ${ask.toLocaleString('en')} messages failed with ${refused.code} (the limits here: ${known}): "unbounded" is never unbounded.`,
          moment: refused.ts,
          measurements,
        };
      return granted
        ? {
            passed: false,
            detail: `The kernel granted a mailbox of ${ask.toLocaleString('en')} messages (${granted.detail ?? ''}): that is within its limits (${known}).`,
            moment: granted.ts,
            measurements,
          }
        : { passed: false, detail: 'The sender did not ask the kernel for an unbounded mailbox.', measurements };
    },
  },
  'sizes-compared': {
    title: "The kernel delivered each message at its own size, up to the mailbox's message size",
    hint: 'Both rounds must deliver every record.',
    measures: {
      'too-long-taken': { unit: 'bytes', title: 'bytes the mailbox took of the message one byte longer than mq_msgsize (0: refused whole)' },
      'fixed-bytes': { unit: 'bytes', title: 'the lengths mq_receive returned in the fixed-size round, added up' },
      'variable-bytes': { unit: 'bytes', title: 'the lengths mq_receive returned in the variable-size round, added up' },
    },
    check(trace) {
      const m = measures(trace, 'receiver');
      const records = Number(trace.params.records);
      const msgsize = m.mq_msgsize;
      const tooLong = eventsOf(trace, 'io.error', 'sender').find((e) => e.op === 'write' && e.code === 'EMSGSIZE');
      const lastMeasure = eventsOf(trace, 'measure', 'receiver').at(-1)?.ts;
      // The too-long send: refused (an io.error, nothing taken), or taken (its io.end says how much).
      const tooLongTaken = tooLong
        ? 0
        : eventsOf(trace, 'io.end', 'sender').find((e) => e.op === 'write' && e.channel === 'mailbox records' && msgsize !== undefined && e.bytes > msgsize)
            ?.bytes;
      const measurements = finite({ 'too-long-taken': tooLongTaken, 'fixed-bytes': m['fixed: bytes'], 'variable-bytes': m['variable: bytes'] });
      if (m['fixed: messages'] !== records || m['variable: messages'] !== records || msgsize === undefined)
        return {
          passed: false,
          detail: `Received ${m['fixed: messages'] ?? 0} fixed and ${m['variable: messages'] ?? 0} variable messages of ${records}.`,
          moment: lastMeasure,
          measurements,
        };
      const fixedBytes = m['fixed: bytes']!;
      const variableBytes = m['variable: bytes']!;
      const rates = `fixed ${m['fixed: messages per second']?.toLocaleString('en')}, variable ${m['variable: messages per second']?.toLocaleString('en')} messages/s`;
      if (m['fixed: shortest'] !== msgsize || m['fixed: longest'] !== msgsize)
        return {
          passed: false,
          detail: `The fixed-size messages came out between ${m['fixed: shortest']} and ${m['fixed: longest']} bytes, not all ${msgsize}.`,
          moment: lastMeasure,
          measurements,
        };
      if (m['variable: shortest'] === m['variable: longest'])
        return {
          passed: false,
          detail: `Every variable-size message came out at ${m['variable: longest']} bytes, the same as the fixed ones: ${fixedBytes.toLocaleString('en')} bytes both ways, nothing was padded (${rates}).`,
          moment: lastMeasure,
          hint: 'With records all of one length, fixed-size messages waste nothing: choose varied record lengths.',
          measurements,
        };
      if (!tooLong)
        return {
          passed: false,
          detail: `The mailbox took a message longer than its message size (${msgsize} bytes).`,
          hint: 'The sender sends one byte more than mq_msgsize at the end: the kernel should refuse it.',
          measurements,
        };
      return {
        passed: true,
        detail:
          `mq_receive returned every fixed-size message at ${msgsize} bytes (${fixedBytes.toLocaleString('en')} in all), and the variable-size ones at ` +
          `${m['variable: shortest']} to ${m['variable: longest']} bytes (${variableBytes.toLocaleString('en')}): the padding was ` +
          `${(100 - (100 * variableBytes) / fixedBytes).toFixed(0)}% of the fixed-size bytes. ${rates}. A message of ${msgsize + 1} bytes was refused with EMSGSIZE.`,
        moment: tooLong.ts,
        measurements,
      };
    },
  },
  'exactly-one-receiver': {
    title: 'Each message was delivered to exactly one receiver',
    hint: 'A message received twice or never would mean the mailbox is not doing its job.',
    measures: {
      'messages-received': { unit: 'messages', title: 'messages the receivers took, all of them together' },
      'received-twice': { unit: 'messages', title: 'messages that reached more than one receiver' },
    },
    check(trace) {
      const sent = [...new Set(eventsOf(trace, 'message.send', 'sender').map((e) => e.messageId))];
      const receives = eventsOf(trace, 'message.receive', 'receiver');
      const counts = new Map<number, number>();
      for (const e of receives) counts.set(e.messageId, (counts.get(e.messageId) ?? 0) + 1);
      const missing = sent.filter((id) => !counts.has(id)).length;
      const twice = [...counts.values()].filter((n) => n > 1).length;
      if (sent.length === 0) return { passed: false, detail: 'Nothing was sent.' };
      const measurements = { 'messages-received': receives.length, 'received-twice': twice };
      return missing === 0 && twice === 0
        ? {
            passed: true,
            detail: `${sent.length} message${sent.length === 1 ? '' : 's'}, each received by exactly one receiver.`,
            moment: receives.at(-1)?.ts,
            measurements,
          }
        : {
            passed: false,
            detail: `Of ${sent.length} messages, ${[missing > 0 ? `${missing} never reached a receiver` : '', twice > 0 ? `${twice} reached more than one` : ''].filter(Boolean).join(' and ')}.`,
            moment: receives.at(-1)?.ts,
            ...(twice > 0 && trace.params.mailboxes === 'one per receiver'
              ? { hint: 'With a mailbox each, every receiver got its own copy: a shared mailbox is what hands each message to one receiver.' }
              : {}),
            measurements,
          };
    },
  },
  'all-receivers-worked': {
    title: 'Every receiver got some of the messages',
    hint: 'With very few messages one receiver may take them all: send more.',
    measures: {
      'receivers-served': { unit: 'processes', title: 'receivers that got at least one message' },
      'busiest-receiver': { unit: 'messages', title: 'messages the receiver that got the most got' },
      'idlest-receiver': { unit: 'messages', title: 'messages the receiver that got the fewest got (0 if one got none)' },
    },
    check(trace) {
      const byPid = new Map<number, number>();
      const receives = eventsOf(trace, 'message.receive', 'receiver');
      for (const e of receives) byPid.set(e.pid, (byPid.get(e.pid) ?? 0) + 1);
      const want = Number(trace.params.receivers);
      const messages = eventsOf(trace, 'message.send', 'sender').length;
      // Every receiver the run started, with how many messages it got (none for one that got none).
      const perReceiver = trace.processes.filter((p) => p.role === 'receiver').map((p) => byPid.get(p.pid) ?? 0);
      const measurements =
        perReceiver.length > 0
          ? { 'receivers-served': byPid.size, 'busiest-receiver': Math.max(...perReceiver), 'idlest-receiver': Math.min(...perReceiver) }
          : undefined;
      return {
        passed: byPid.size === want,
        detail: `${byPid.size} of ${want} receivers got messages: ${[...byPid.values()].join(' + ') || 0}${trace.params.mailboxes === 'one per receiver' ? ' (each had a mailbox of its own)' : '; which one gets a message is up to the kernel and the scheduler'}.`,
        moment: receives.at(-1)?.ts,
        ...(byPid.size < want && messages < want
          ? { hint: `${messages} message${messages === 1 ? '' : 's'} cannot reach ${want} receivers: send more messages than there are receivers.` }
          : {}),
        measurements,
      };
    },
  },
  'senders-verified': {
    title: "Every sender is who it says, by the kernel's account (SO_PEERCRED)",
    hint: 'Compare what each message claims ("from sender-2") with the pid the kernel gives for the connection it came on, and with the pid of the process that is sender-2.',
    measures: {
      'false-claims': { unit: 'messages', title: 'messages whose claimed sender is not the process the kernel says connected' },
      'peer-pids': { unit: 'processes', title: 'different pids SO_PEERCRED gave for the connections the messages came on' },
    },
    check(trace) {
      const sent = eventsOf(trace, 'message.send').filter((e) => e.role.startsWith('sender-'));
      const byTime = (a: { ts: string }, b: { ts: string }) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : BigInt(a.ts) > BigInt(b.ts) ? 1 : 0);
      const received = eventsOf(trace, 'message.receive', 'receiver').sort(byTime);
      // The kernel's answer the receiver recorded right after each message, from the connection it came
      // on (getsockopt SO_PEERCRED): the first one after each receive, by the receiver's own clock.
      const answers = eventsOf(trace, 'measure', 'receiver')
        .filter((e) => e.name === 'SO_PEERCRED pid')
        .sort(byTime);
      const answerOf = (i: number) => {
        const after = answers.find((a) => BigInt(a.ts) > BigInt(received[i]!.ts));
        const next = received[i + 1];
        return after && (!next || BigInt(after.ts) < BigInt(next.ts)) ? after : undefined;
      };
      const peerPids = new Set(answers.map((a) => a.value));
      if (received.length === 0 || received.length !== sent.length)
        return {
          passed: false,
          detail: `${received.length} of ${sent.length} messages were received.`,
          moment: received.at(-1)?.ts,
          measurements: finite({ 'peer-pids': answers.length > 0 ? peerPids.size : undefined }),
        };
      /** Per process the kernel named: the claims its messages made that were not its own role. */
      const liars = new Map<number, { claims: Set<string>; messages: number; first: string }>();
      let unanswered = 0;
      received.forEach((message, i) => {
        const answer = answerOf(i);
        if (!answer) {
          unanswered++;
          return;
        }
        const claim = /\bfrom (\S+?):/.exec(message.text ?? '')?.[1] ?? '(nobody)';
        if (pidOf(trace, claim) === answer.value) return;
        const liar = liars.get(answer.value) ?? { claims: new Set<string>(), messages: 0, first: message.ts };
        liar.claims.add(claim);
        liar.messages++;
        liars.set(answer.value, liar);
      });
      const falseClaims = [...liars.values()].reduce((n, l) => n + l.messages, 0);
      const measurements = { 'false-claims': falseClaims, 'peer-pids': peerPids.size };
      if (unanswered > 0)
        return {
          passed: false,
          detail: `For ${unanswered} of ${received.length} messages the receiver did not ask the kernel who is at the other end of the connection.`,
          measurements,
        };
      if (liars.size > 0) {
        const accusations = [...liars.entries()].map(([pid, liar]) => {
          const claims = [...liar.claims].map((claim) => `${claim}${pidOf(trace, claim) === undefined ? '' : ` (pid ${pidOf(trace, claim)})`}`);
          return `pid ${pid} (${roleOf(trace, pid) ?? 'not a process of this run'}) claimed to be ${claims.join(' and ')} in ${liar.messages} message${liar.messages === 1 ? '' : 's'}`;
        });
        return {
          passed: false,
          detail: `${accusations.join('; ')}: the kernel says those messages came on a connection that pid made, whatever the text says.`,
          moment: [...liars.values()][0]!.first,
          hint: "A \"from\" written in a message is the sender's word; SO_PEERCRED is the kernel's, recorded at connect() and not the peer's to choose.",
          measurements,
        };
      }
      const who = [...peerPids].map((pid) => `pid ${pid} is ${roleOf(trace, pid)}`);
      return {
        passed: true,
        detail: `${received.length} messages, each claiming a sender; for every one the kernel (SO_PEERCRED) named the very process it claims to be, by the connection it came on (${who.join(', ')}).`,
        moment: received.at(-1)?.ts,
        measurements,
      };
    },
  },
  'reservation-refused': {
    title: 'The kernel refused the first empty queue whose slots would pass the soft RLIMIT_MSGQUEUE',
    hint: 'The program must go on creating queues until one is refused: give it room for fewer queues than it tries, or larger slots.',
    measures: {
      'queues-granted': { unit: 'queues', title: 'queues the kernel view showed the program holding when the next one had been refused' },
      'reserved-per-queue': { unit: 'bytes', title: 'mq_maxmsg x mq_msgsize of each queue, from mq_getattr: what its slots reserve' },
    },
    check(trace) {
      const m = measures(trace, 'creator');
      const limit = m.RLIMIT_MSGQUEUE;
      const slots = m.mq_maxmsg;
      const slotBytes = m.mq_msgsize;
      const created = eventsOf(trace, 'object.create', 'creator').filter((e) => e.object.type === 'mqueue');
      const refusal = eventsOf(trace, 'io.error', 'creator').find((e) => e.op === 'open');
      // What the kernel view showed the program holding while it held every queue it was granted.
      const names = created.map((e) => e.object.name);
      const snapshot = eventsOf(trace, 'kernel.snapshot', 'creator')
        .filter((e) => e.requested !== undefined)
        .at(-1);
      const held = snapshot ? snapshot.fds.filter((fd) => names.includes(fd.target)).length : undefined;
      const perQueue = slots !== undefined && slotBytes !== undefined ? slots * slotBytes : undefined;
      const measurements = finite({ 'queues-granted': held, 'reserved-per-queue': perQueue });
      if (limit === undefined || perQueue === undefined || slots === undefined)
        return {
          passed: false,
          detail: refusal ? `The very first queue was refused with ${refusal.code}: ${refusal.message}.` : 'The program created no queue.',
          moment: refusal?.ts,
          measurements,
        };
      const granted = refusal ? created.filter((e) => BigInt(e.ts) < BigInt(refusal.ts)).length : created.length;
      if (!refusal)
        return {
          passed: false,
          detail: `All ${granted} queues of ${slots} slots x ${bytes(slotBytes!)} were granted: together they reserve ${bytes(granted * perQueue)}, within the soft limit of ${bytes(limit)}.`,
          moment: snapshot?.ts,
          hint: 'Small slots reserve little: with the same limit, many more queues fit. Larger slots, or less room, and the kernel refuses one.',
          measurements,
        };
      if (refusal.code !== 'EMFILE')
        return {
          passed: false,
          detail: `Queue ${granted + 1} was refused with ${refusal.code}, not EMFILE (RLIMIT_MSGQUEUE): ${refusal.message}.`,
          moment: refusal.ts,
          measurements,
        };
      if (held !== granted)
        return {
          passed: false,
          detail: `The program was granted ${granted} queues, but the kernel view showed it holding ${held ?? 'none'} of them.`,
          moment: snapshot?.ts ?? refusal.ts,
          measurements,
        };
      // What the user's other queues reserved (every process of the uid shares the total), as the
      // program found them just before and right after: the range the kernel's accounting allows.
      const others = ['before', 'at refusal'].map((when) => ({ data: m[`other reserved bytes ${when}`], slots: m[`other slots ${when}`] }));
      const othersLow = Math.min(...others.map((o) => o.data ?? 0));
      const othersHigh = Math.max(...others.map((o) => (o.data ?? 0) + BOOKKEEPING_BOUND_PER_SLOT * (o.slots ?? 0)));
      // At most the queues whose slots alone fit; at least those that fit with the most bookkeeping.
      const most = Math.floor((limit - othersLow) / perQueue);
      const least = Math.max(0, Math.floor((limit - othersHigh) / (perQueue + BOOKKEEPING_BOUND_PER_SLOT * slots)));
      const theirs = othersLow > 0 ? `, less the ${bytes(othersLow)} this user's other queues reserve` : '';
      if (granted < least || granted > most)
        return {
          passed: false,
          detail: `The kernel refused queue ${granted + 1} after granting ${granted}, where ${bytes(perQueue)} per queue under a soft limit of ${bytes(limit)}${theirs} leaves room for ${least === most ? least : `${least} to ${most}`}.`,
          moment: refusal.ts,
          measurements,
        };
      return {
        passed: true,
        detail:
          `The kernel granted ${granted} empty queue${granted === 1 ? '' : 's'} of ${slots} slots x ${bytes(slotBytes!)} (${bytes(perQueue)} reserved each, before any message was sent) ` +
          `and refused queue ${granted + 1} with EMFILE: ${granted + 1} would reserve ${bytes((granted + 1) * perQueue)} and their bookkeeping, more than the soft RLIMIT_MSGQUEUE of ${bytes(limit)}${theirs}.`,
        moment: refusal.ts,
        measurements,
      };
    },
  },
  'fragments-reassembled': {
    title: "Every message longer than the mailbox's message size arrived whole, in fragments",
    hint: 'A message longer than mq_msgsize must be cut into fragments that fit, each with a header saying whose it is and where it goes, and put back together by the receiver.',
    measures: {
      'fragments-per-message': { unit: 'fragments', title: 'queue messages mq_receive returned per message put back together (the end markers left out)' },
      'largest-fragment': { unit: 'bytes', title: 'the longest queue message mq_receive returned' },
    },
    check(trace) {
      const messageBytes = measures(trace, 'receiver').mq_msgsize;
      const sent = eventsOf(trace, 'message.send').filter((e) => e.role.startsWith('sender-'));
      const refused = eventsOf(trace, 'io.error').filter((e) => e.role.startsWith('sender-') && e.op === 'write');
      // The lengths mq_receive returned, one queue message each; every sender ends with one marker.
      const reads = eventsOf(trace, 'io.end', 'receiver').filter((e) => e.op === 'read' && e.channel === 'mailbox parts');
      const senders = trace.processes.filter((p) => p.role.startsWith('sender-')).length;
      const received = eventsOf(trace, 'message.receive', 'receiver');
      const fragments = reads.length - senders;
      const largest = reads.length > 0 ? Math.max(...reads.map((r) => r.bytes)) : undefined;
      const measurements = finite({
        'fragments-per-message': received.length > 0 && fragments > 0 ? Number((fragments / received.length).toFixed(2)) : undefined,
        'largest-fragment': received.length > 0 ? largest : undefined,
      });
      if (messageBytes === undefined) return { passed: false, detail: 'The receiver did not make the mailbox.', measurements };
      const long = sent.filter((e) => e.bytes > messageBytes);
      if (long.length === 0)
        return {
          passed: false,
          detail: `No message was longer than the mailbox's ${messageBytes}-byte messages: there was nothing to cut.`,
          hint: "Make the messages longer than the mailbox's message size.",
          measurements,
        };
      if (refused.length > 0)
        return {
          passed: false,
          detail: `mq_send refused ${refused.length} message${refused.length === 1 ? '' : 's'} with ${refused[0]!.code}: a message of ${bytes(long[0]!.bytes)} does not fit in a mailbox of ${messageBytes}-byte messages, and the kernel does not cut it.`,
          moment: refused[0]!.ts,
          hint: 'Cut each message into fragments that fit, each with a header (the message id, its index, the count), and put them back together at the receiver.',
          measurements,
        };
      const byId = new Map(received.map((e) => [e.messageId, e]));
      const wrong = long.filter((s) => byId.get(s.messageId)?.text !== s.text || byId.get(s.messageId)?.bytes !== s.bytes);
      if (wrong.length > 0)
        return {
          passed: false,
          detail: `${wrong.length} of ${long.length} messages did not come out as they went in (${wrong.map((s) => `#${s.messageId}: sent ${s.text}, received ${byId.get(s.messageId)?.text ?? 'nothing'}`).join('; ')}).`,
          moment: received.at(-1)?.ts,
          measurements,
        };
      return {
        passed: true,
        detail: `${long.length} messages of ${bytes(long[0]!.bytes)}, longer than the mailbox's ${messageBytes}-byte messages, crossed it as ${fragments} fragments (the longest ${largest} bytes), and the receiver put each back together whole: the same length and SHA-256 as sent.`,
        moment: received.at(-1)?.ts,
        measurements,
      };
    },
  },
});
