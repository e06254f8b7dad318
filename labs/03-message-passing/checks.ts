/**
 * Checks over the student's own run of the message-passing lab.
 */
import { defineChecks, eventsOf, type RunTrace } from '../../main/engine/check-kit.js';

/** Waits (op "wait") of a role on a channel, with their durations in ns. */
function waits(trace: RunTrace, role: string, channel: string): bigint[] {
  return eventsOf(trace, 'io.end', role)
    .filter((e) => e.op === 'wait' && e.channel === channel)
    .map((e) => BigInt(e.durationNs));
}

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(0)} ms`;
}

export default defineChecks({
  'direct-links': {
    title: 'Alice and Bob talked by name, each direction on its own link',
    hint: 'Both processes must run the whole conversation; look for a message that went through an unexpected link.',
    check(trace) {
      const sent = trace.events.filter((e) => e.kind === 'message.send' && (e.role === 'alice' || e.role === 'bob'));
      const received = trace.events.filter((e) => e.kind === 'message.receive' && (e.role === 'alice' || e.role === 'bob'));
      const rounds = Number(trace.params.messages);
      const wrongLink = sent.filter((e) => e.kind === 'message.send' && e.channel !== `link ${e.role}→${e.role === 'alice' ? 'bob' : 'alice'}`);
      if (sent.length !== 2 * rounds || received.length !== 2 * rounds)
        return { passed: false, detail: `${sent.length} messages sent and ${received.length} received between alice and bob; expected ${2 * rounds} each.` };
      if (wrongLink.length > 0) return { passed: false, detail: `${wrongLink.length} messages went through another link.` };
      return { passed: true, detail: `${rounds} messages alice→bob on "link alice→bob" and ${rounds} answers on "link bob→alice": one queue per direction.` };
    },
  },
  'shared-mailbox': {
    title: 'Three senders shared one mailbox, and the receiver got every message',
    hint: 'The receiver must take as many messages as the three senders send.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send').filter((e) => e.role.startsWith('sender-'));
      const received = eventsOf(trace, 'message.receive', 'receiver');
      const senders = new Set(sent.map((e) => e.role));
      const allThrough = [...sent, ...received].every((e) => e.channel === 'mailbox inbox');
      const ids = new Set(received.map((e) => e.messageId));
      const missing = sent.filter((e) => !ids.has(e.messageId)).length;
      if (senders.size !== 3) return { passed: false, detail: `${senders.size} senders sent messages.` };
      if (!allThrough) return { passed: false, detail: 'Some messages did not go through "mailbox inbox".' };
      return missing === 0 && received.length === sent.length
        ? { passed: true, detail: `${sent.length} messages from 3 senders, all through "mailbox inbox", all received by one receiver.` }
        : { passed: false, detail: `${missing} of ${sent.length} messages were not received.` };
    },
  },
  'blocking-receive-waits': {
    title: 'The blocking receive waited for the sender',
    hint: 'The receive waits only if the mailbox is empty when it starts: give the sender a delay.',
    check(trace) {
      const delayNs = BigInt(Number(trace.params.senderDelayMs)) * 1_000_000n;
      const longest = waits(trace, 'receiver', 'mailbox box: empty').reduce((a, b) => (b > a ? b : a), 0n);
      return longest > 0n && longest * 2n >= delayNs && delayNs > 0n
        ? { passed: true, detail: `The receiver was blocked in mq_receive for ${ms(longest)}, until the sender sent.` }
        : { passed: false, detail: longest > 0n ? `The receiver waited only ${ms(longest)}.` : 'The first receive did not wait.' };
    },
  },
  'null-message': {
    title: 'The non-blocking receive returned "no message" at once',
    hint: 'The non-blocking receive must find the mailbox empty.',
    check(trace) {
      const empty = eventsOf(trace, 'io.error', 'receiver').find((e) => e.op === 'read' && e.code === 'EAGAIN');
      return empty
        ? { passed: true, detail: 'mq_receive on the empty mailbox returned EAGAIN at once: the null message, and the program went on.' }
        : { passed: false, detail: 'No non-blocking receive found the mailbox empty.' };
    },
  },
  'send-to-full-fails': {
    title: 'A non-blocking send to the full mailbox failed with EAGAIN',
    hint: 'The sender must send one more message than the mailbox holds, without the receiver taking any in between.',
    check(trace) {
      const full = eventsOf(trace, 'io.error', 'sender').find((e) => e.op === 'write' && e.code === 'EAGAIN');
      const capacity = Number(trace.params.capacity);
      const levelAtFailure = eventsOf(trace, 'buffer.level').filter((l) => !full || l.seq < full.seq).pop();
      return full
        ? { passed: true, detail: `With ${levelAtFailure?.used ?? '?'} of ${capacity} messages queued, mq_send failed with EAGAIN instead of waiting.` }
        : { passed: false, detail: 'Every non-blocking send found room.' };
    },
  },
  'buffering-behaviour': {
    title: 'The sender waited exactly as the buffering says',
    hint: 'Bounded: the sender waits when the mailbox is full. Zero: each send waits for the receiver. Unbounded: the sender never waits.',
    check(trace) {
      const buffering = String(trace.params.buffering);
      const sends = eventsOf(trace, 'message.send', 'sender');
      const receives = eventsOf(trace, 'message.receive', 'receiver');
      if (sends.length === 0 || receives.length !== sends.length) return { passed: false, detail: `${sends.length} sent, ${receives.length} received.` };
      const senderWaits = eventsOf(trace, 'io.end', 'sender').filter((e) => e.op === 'wait' && BigInt(e.durationNs) >= 1_000_000n);
      if (buffering === 'zero') {
        // Rendezvous: message k+1 is sent only after the receiver took message k. "Took" is the
        // receiver's level report right after mq_receive (before its acknowledgement); compare the
        // monotonic clocks of the two processes, since their events reach the host in either order.
        const taken = eventsOf(trace, 'buffer.level', 'receiver').filter((l) => l.channel === 'rendezvous');
        const ordered = taken.length === sends.length && sends.every((send, i) => i === 0 || BigInt(taken[i - 1]!.ts) < BigInt(send.ts));
        return ordered
          ? { passed: true, detail: `Each of the ${sends.length} sends returned only after the receiver took the message: the sender never got ahead.` }
          : { passed: false, detail: 'The sender got ahead of the receiver: that is not a rendezvous.' };
      }
      if (buffering === 'unbounded') {
        const peak = Math.max(0, ...eventsOf(trace, 'buffer.level').map((l) => l.used));
        return senderWaits.length === 0
          ? { passed: true, detail: `The sender never waited; up to ${peak} messages were queued.` }
          : { passed: false, detail: `The sender waited ${senderWaits.length} times.` };
      }
      const capacity = Number(trace.params.capacity);
      const fullWaits = senderWaits.filter((e) => e.channel === 'mailbox link: full');
      const reachedFull = eventsOf(trace, 'buffer.level').some((l) => l.used === capacity);
      return fullWaits.length > 0 && reachedFull
        ? { passed: true, detail: `The mailbox filled up to ${capacity} messages and the sender waited ${fullWaits.length} times for room.` }
        : { passed: false, detail: 'The sender never found the mailbox full: send more messages than it holds, or make the receiver slower.' };
    },
  },
  'kernel-limits': {
    title: 'The kernel\'s limits for message queues were read',
    hint: 'The sender reads /proc/sys/fs/mqueue/.',
    check(trace) {
      const limits = Object.fromEntries(eventsOf(trace, 'measure', 'sender').map((m) => [m.name, m.value]));
      const known = ['msg_max', 'msgsize_max', 'queues_max'].filter((n) => limits[n] !== undefined);
      return known.length === 3
        ? { passed: true, detail: `At most ${limits.msg_max} messages per queue and ${limits.msgsize_max} bytes per message, ${limits.queues_max} queues: "unbounded" is never unbounded.` }
        : { passed: false, detail: 'The limits were not read.' };
    },
  },
  'sizes-compared': {
    title: 'Fixed-size messages moved more bytes for the same records',
    hint: 'Both rounds must deliver every record.',
    check(trace) {
      const m = Object.fromEntries(eventsOf(trace, 'measure', 'receiver').map((e) => [e.name, e.value]));
      const records = Number(trace.params.records);
      if (m['fixed: messages'] !== records || m['variable: messages'] !== records)
        return { passed: false, detail: `Received ${m['fixed: messages'] ?? 0} fixed and ${m['variable: messages'] ?? 0} variable messages of ${records}.` };
      const fixedBytes = m['fixed: bytes']!;
      const variableBytes = m['variable: bytes']!;
      return {
        passed: fixedBytes > variableBytes,
        detail: `${records} records: fixed size ${fixedBytes.toLocaleString('en')} bytes (${m['fixed: messages per second']?.toLocaleString('en')} messages/s), variable size ${variableBytes.toLocaleString('en')} bytes (${m['variable: messages per second']?.toLocaleString('en')} messages/s): padding was ${(100 - (100 * variableBytes) / fixedBytes).toFixed(0)}% of the fixed-size bytes.`,
      };
    },
  },
  'exactly-one-receiver': {
    title: 'Each message was delivered to exactly one receiver',
    hint: 'A message received twice or never would mean the mailbox is not doing its job.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'sender').map((e) => e.messageId);
      const counts = new Map<number, number>();
      for (const e of eventsOf(trace, 'message.receive', 'receiver')) counts.set(e.messageId, (counts.get(e.messageId) ?? 0) + 1);
      const missing = sent.filter((id) => !counts.has(id)).length;
      const twice = [...counts.values()].filter((n) => n > 1).length;
      if (sent.length === 0) return { passed: false, detail: 'Nothing was sent.' };
      return missing === 0 && twice === 0
        ? { passed: true, detail: `${sent.length} messages, each received by exactly one receiver.` }
        : { passed: false, detail: `${missing} never received, ${twice} received twice.` };
    },
  },
  'all-receivers-worked': {
    title: 'Every receiver got some of the messages',
    hint: 'With very few messages one receiver may take them all: send more.',
    check(trace) {
      const byPid = new Map<number, number>();
      for (const e of eventsOf(trace, 'message.receive', 'receiver')) byPid.set(e.pid, (byPid.get(e.pid) ?? 0) + 1);
      const want = Number(trace.params.receivers);
      return {
        passed: byPid.size === want,
        detail: `${byPid.size} of ${want} receivers got messages: ${[...byPid.values()].join(' + ')}; which one gets a message is up to the kernel.`,
      };
    },
  },
});
