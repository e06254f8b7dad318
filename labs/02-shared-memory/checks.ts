/**
 * Checks over the student's own run of the shared-memory lab.
 */
import { defineChecks, eventsOf, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';

const BLOCKED_NS = 1_000_000n;

/** Waits (io.begin … io.end, op "wait") of one role on one channel that lasted at least 1 ms, with the buffer level just before each began. */
function blockedWaits(trace: RunTrace, role: string, channel: string): { durationNs: bigint; levelBefore: StoredEventOf<'buffer.level'> | undefined; afterItems: number }[] {
  const result: { durationNs: bigint; levelBefore: StoredEventOf<'buffer.level'> | undefined; afterItems: number }[] = [];
  let level: StoredEventOf<'buffer.level'> | undefined;
  let began: { levelBefore: StoredEventOf<'buffer.level'> | undefined; afterItems: number } | undefined;
  let items = 0;
  for (const event of trace.events) {
    if (event.kind === 'buffer.level') level = event;
    if (event.role !== role) continue;
    if (event.kind === 'message.receive' || event.kind === 'message.send') items++;
    if (event.kind === 'io.begin' && event.op === 'wait' && event.channel === channel) began = { levelBefore: level, afterItems: items };
    if (event.kind === 'io.end' && event.op === 'wait' && event.channel === channel && began) {
      if (BigInt(event.durationNs) >= BLOCKED_NS) result.push({ durationNs: BigInt(event.durationNs), ...began });
      began = undefined;
    }
  }
  return result;
}

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(0)} ms`;
}

function itemsOnceInOrder(trace: RunTrace): { passed: boolean; detail: string } {
  const sent = eventsOf(trace, 'message.send', 'producer').map((e) => e.messageId);
  const received = eventsOf(trace, 'message.receive', 'consumer').map((e) => e.messageId);
  if (sent.length === 0) return { passed: false, detail: 'The producer put no item.' };
  const same = sent.length === received.length && sent.every((id, i) => received[i] === id);
  return same
    ? { passed: true, detail: `All ${sent.length} items were taken once, in the order they were put.` }
    : { passed: false, detail: `${sent.length} items put, ${received.length} taken${received.length === sent.length ? ', not in the same order' : ''}.` };
}

const consumerWaitsWhenEmpty = {
  title: 'The consumer waited while the buffer was empty',
  hint: 'The consumer waits only once it catches up: make the producer slower than the consumer for a while (its pause per item after the fast items).',
  check(trace: RunTrace) {
    const waits = blockedWaits(trace, 'consumer', 'buffer: full slots').filter((w) => w.afterItems > 0 && w.levelBefore?.used === 0);
    if (waits.length === 0) return { passed: false, detail: 'After its first item, the consumer never had to wait for one.' };
    const longest = waits.reduce((a, b) => (b.durationNs > a.durationNs ? b : a));
    return { passed: true, detail: `The consumer found the buffer empty ${waits.length} times and waited on "full slots", up to ${ms(longest.durationNs)}.` };
  },
};

export default defineChecks({
  'seen-without-messages': {
    title: 'Each process read what the other stored, and no message was sent',
    hint: 'Both programs must run at the same time: the attacher waits for the creator\'s greeting, the creator for the reply.',
    check(trace) {
      const creator = trace.processes.find((p) => p.role === 'creator');
      const attacher = trace.processes.find((p) => p.role === 'attacher');
      if (!creator || !attacher) return { passed: false, detail: 'The creator and the attacher did not both run.' };
      const read = (role: string) => eventsOf(trace, 'note', role).map((n) => n.text);
      const greetingSeen = read('attacher').some((t) => t.includes(`hello from the creator (pid ${creator.pid})`));
      const replySeen = read('creator').some((t) => t.includes(`hello back from the attacher (pid ${attacher.pid})`));
      const messages = trace.events.filter((e) => e.kind === 'message.send' || e.kind === 'message.receive').length;
      if (messages > 0) return { passed: false, detail: `${messages} message events: this step sends none.` };
      if (!greetingSeen || !replySeen) return { passed: false, detail: `Greeting seen by the attacher: ${greetingSeen ? 'yes' : 'no'}; reply seen by the creator: ${replySeen ? 'yes' : 'no'}.` };
      return { passed: true, detail: `pid ${attacher.pid} read pid ${creator.pid}'s greeting from the segment, and pid ${creator.pid} read the reply: no message, no system call to pass the data.` };
    },
  },
  'same-segment-mapped': {
    title: 'The kernel shows the same /dev/shm file mapped shared in both processes',
    hint: 'The kernel view samples /proc while the processes live: hold the segment mapped longer.',
    check(trace) {
      const created = eventsOf(trace, 'object.create', 'creator').find((e) => e.object.type === 'shm');
      if (!created) return { passed: false, detail: 'The creator made no segment.' };
      const path = created.object.name;
      const mappedBy = new Map<string, string>();
      for (const snapshot of eventsOf(trace, 'kernel.snapshot')) {
        const mapping = snapshot.maps?.find((m) => m.path === path);
        if (mapping) mappedBy.set(snapshot.role, `${mapping.start}-${mapping.end} ${mapping.perms}`);
      }
      const inDevShm = eventsOf(trace, 'kernel.objects').some((e) => e.shm.some((s) => s.path === path));
      if (!mappedBy.has('creator') || !mappedBy.has('attacher'))
        return { passed: false, detail: `${path} was seen mapped in: ${[...mappedBy.keys()].join(', ') || 'no process'}.` };
      return {
        passed: inDevShm,
        detail: `${path}${inDevShm ? ' (in /dev/shm)' : ' (never seen in /dev/shm)'}: creator ${mappedBy.get('creator')}, attacher ${mappedBy.get('attacher')}.`,
      };
    },
  },
  'producer-waits-when-full': {
    title: 'The producer waited while the buffer was full',
    hint: 'The producer waits only when it gets ahead by a whole buffer: produce more items at full speed, or make the consumer slower.',
    check(trace) {
      const waits = blockedWaits(trace, 'producer', 'buffer: empty slots').filter((w) => w.levelBefore && w.levelBefore.used === w.levelBefore.capacity);
      if (waits.length === 0) return { passed: false, detail: 'The producer never found the buffer full.' };
      const capacity = waits[0]!.levelBefore!.capacity;
      return { passed: true, detail: `The producer found all ${capacity} slots full ${waits.length} times and waited on "empty slots".` };
    },
  },
  'consumer-waits-when-empty': consumerWaitsWhenEmpty,
  'items-once-in-order': {
    title: 'Every item was taken once, in order',
    hint: 'An item lost or taken twice means a mutex or a semaphore is not doing its job.',
    check: itemsOnceInOrder,
  },
  'producer-never-waits': {
    title: 'The producer never waited',
    hint: 'In an unbounded buffer there is always room; a wait on "empty slots" would mean the buffer was bounded.',
    check(trace) {
      const waits = eventsOf(trace, 'io.begin', 'producer').filter((e) => e.op === 'wait' && e.channel === 'buffer: empty slots');
      const levels = eventsOf(trace, 'buffer.level');
      const peak = Math.max(0, ...levels.map((l) => l.used));
      if (levels.some((l) => l.capacity !== null)) return { passed: false, detail: 'The buffer was bounded.' };
      return waits.length === 0
        ? { passed: true, detail: `The producer put every item without waiting; the buffer held up to ${peak} items.` }
        : { passed: false, detail: `The producer waited ${waits.length} times.` };
    },
  },
  'race-loses-updates': {
    title: 'Plain increments lost updates',
    hint: 'A race needs overlap: more increments per process, or more processes.',
    check(trace) {
      const lost = eventsOf(trace, 'measure', 'starter').find((m) => m.name === 'plain: lost updates');
      const expected = eventsOf(trace, 'measure', 'starter').find((m) => m.name === 'expected');
      if (!lost || !expected) return { passed: false, detail: 'The plain round did not finish.' };
      return lost.value > 0
        ? { passed: true, detail: `${lost.value.toLocaleString('en')} of ${expected.value.toLocaleString('en')} increments were lost (${((100 * lost.value) / expected.value).toFixed(1)}%).` }
        : { passed: false, detail: `No update was lost this time, out of ${expected.value.toLocaleString('en')}.` };
    },
  },
  'protection-loses-none': {
    title: 'With protection, no update was lost',
    hint: 'Each increment must be inside the mutex, or be one atomic add.',
    check(trace) {
      const protection = String(trace.params.protection);
      const lost = eventsOf(trace, 'measure', 'starter').find((m) => m.name === `${protection}: lost updates`);
      if (!lost) return { passed: false, detail: `The ${protection} round did not finish.` };
      return lost.value === 0
        ? { passed: true, detail: `With ${protection === 'mutex' ? 'a mutex around each increment' : 'atomic adds'}, every increment counted.` }
        : { passed: false, detail: `${lost.value} updates were lost even with the ${protection}.` };
    },
  },
  'exactly-once': {
    title: 'Every item was consumed exactly once',
    hint: 'An item consumed twice or never means two processes were inside the buffer at once.',
    check(trace) {
      const sent = eventsOf(trace, 'message.send', 'producer').map((e) => e.messageId);
      const counts = new Map<number, number>();
      for (const e of eventsOf(trace, 'message.receive', 'consumer')) counts.set(e.messageId, (counts.get(e.messageId) ?? 0) + 1);
      const missing = sent.filter((id) => !counts.has(id)).length;
      const twice = [...counts.values()].filter((n) => n > 1).length;
      const unknown = [...counts.keys()].filter((id) => !sent.includes(id)).length;
      if (sent.length === 0) return { passed: false, detail: 'No item was produced.' };
      return missing === 0 && twice === 0 && unknown === 0
        ? { passed: true, detail: `${sent.length} items, each consumed exactly once.` }
        : { passed: false, detail: `${missing} never consumed, ${twice} consumed more than once, ${unknown} consumed but never produced.` };
    },
  },
  'producers-and-consumers-all-worked': {
    title: 'Every producer put items and every consumer took some',
    hint: 'With very few items one consumer may take them all; produce more items.',
    check(trace) {
      const roleCounts = (kind: 'message.send' | 'message.receive', role: string) => {
        const byPid = new Map<number, number>();
        for (const e of eventsOf(trace, kind, role)) byPid.set(e.pid, (byPid.get(e.pid) ?? 0) + 1);
        return byPid;
      };
      const producers = roleCounts('message.send', 'producer');
      const consumers = roleCounts('message.receive', 'consumer');
      const wantProducers = Number(trace.params.producers);
      const wantConsumers = Number(trace.params.consumers);
      const detail = `producers ${[...producers.values()].join(' + ')} items; consumers ${[...consumers.values()].join(' + ')} items.`;
      return { passed: producers.size === wantProducers && consumers.size === wantConsumers, detail: detail[0]!.toUpperCase() + detail.slice(1) };
    },
  },
});
