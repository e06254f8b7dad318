/**
 * Checks over the student's own run of the shared-memory lab.
 *
 * Order between processes is decided by `ts` (one monotonic clock for every process), never by
 * `seq` (the order events happened to reach the host). Evidence from the kernel view comes from the
 * snapshots the programs asked for with lab.snapshot(), while they held the segment.
 */
import { defineChecks, eventsOf, formatBytes, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';

const BLOCKED_NS = 1_000_000n;

/** The trace's events in time order (ties keep the host's order). */
function inTimeOrder(trace: RunTrace): StoredEvent[] {
  return trace.events().sort((a, b) => {
    const d = BigInt(a.ts) - BigInt(b.ts);
    return d < 0n ? -1 : d > 0n ? 1 : a.seq - b.seq;
  });
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

function ms(ns: bigint): string {
  return `${(Number(ns) / 1e6).toFixed(0)} ms`;
}

function measured(trace: RunTrace, name: string): StoredEventOf<'measure'> | undefined {
  return eventsOf(trace, 'measure').find((m) => m.name === name);
}

interface BlockedWait {
  durationNs: bigint;
  begin: StoredEventOf<'io.begin'>;
  levelBefore: StoredEventOf<'buffer.level'> | undefined;
  afterItems: number;
}

/** Waits (io.begin … io.end, op "wait") of one role on one channel that lasted at least 1 ms, with the last buffer level before each began. */
function blockedWaits(trace: RunTrace, role: string, channel: string): BlockedWait[] {
  const result: BlockedWait[] = [];
  let level: StoredEventOf<'buffer.level'> | undefined;
  const began = new Map<number, Omit<BlockedWait, 'durationNs'>>();
  const items = new Map<number, number>();
  for (const event of inTimeOrder(trace)) {
    if (event.kind === 'buffer.level') level = event;
    if (event.role !== role) continue;
    if (event.kind === 'message.receive' || event.kind === 'message.send') items.set(event.pid, (items.get(event.pid) ?? 0) + 1);
    if (event.kind === 'io.begin' && event.op === 'wait' && event.channel === channel)
      began.set(event.pid, { begin: event, levelBefore: level, afterItems: items.get(event.pid) ?? 0 });
    if (event.kind === 'io.end' && event.op === 'wait' && event.channel === channel && began.has(event.pid)) {
      if (BigInt(event.durationNs) >= BLOCKED_NS) result.push({ durationNs: BigInt(event.durationNs), ...began.get(event.pid)! });
      began.delete(event.pid);
    }
  }
  return result;
}

/** Only the measurements that are numbers: one the trace did not show is left out, never NaN. */
function finite(measurements: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(measurements).filter((entry): entry is [string, number] => Number.isFinite(entry[1])));
}

/** The bytes a /proc/<pid>/maps line spans (its end address minus its start, both hex). */
function mappedBytes(mapping: { start: string; end: string } | undefined): number | undefined {
  if (!mapping || !/^[0-9a-f]+$/i.test(mapping.start) || !/^[0-9a-f]+$/i.test(mapping.end)) return undefined;
  return Number(BigInt(`0x${mapping.end}`) - BigInt(`0x${mapping.start}`));
}

/** The highest buffer level the trace shows (items in the buffer at once), or undefined when none was reported. */
function peakLevel(trace: RunTrace): number | undefined {
  const levels = eventsOf(trace, 'buffer.level');
  return levels.length ? Math.max(...levels.map((l) => l.used)) : undefined;
}

function longest(waits: BlockedWait[]): BlockedWait {
  return waits.reduce((a, b) => (b.durationNs > a.durationNs ? b : a));
}

/**
 * The snapshot the engine took of `pid` for a request: lab.snapshot() blocks until the engine has
 * recorded them, so it lies between the request and the requesting process's next event.
 */
function snapshotFor(trace: RunTrace, request: StoredEventOf<'snapshot.request'>, pid: number): StoredEventOf<'kernel.snapshot'> | undefined {
  const from = BigInt(request.ts);
  const next = inTimeOrder(trace).find((e) => e.pid === request.pid && e.kind !== 'kernel.snapshot' && e.role === request.role && BigInt(e.ts) > from);
  const until = next ? BigInt(next.ts) : undefined;
  return eventsOf(trace, 'kernel.snapshot').find(
    (s) => s.pid === pid && s.requested === request.reason && BigInt(s.ts) >= from && (until === undefined || BigInt(s.ts) <= until),
  );
}

/** " (#10003, #20001 twice, ... and 7 more)": the first ids of a list, with how often each was taken when given. */
function idList(ids: number[], counts?: Map<number, number>, shown = 8): string {
  if (ids.length === 0) return '';
  const sorted = [...ids].sort((a, b) => a - b);
  const items = sorted.slice(0, shown).map((id) => {
    const n = counts?.get(id) ?? 1;
    return `#${id}${n > 2 ? ` ${n} times` : n === 2 ? ' twice' : ''}`;
  });
  return ` (${items.join(', ')}${sorted.length > shown ? `, and ${sorted.length - shown} more` : ''})`;
}

function itemsOnceInOrder(trace: RunTrace): CheckOutcome {
  const sentEvents = eventsOf(trace, 'message.send', 'producer');
  const sent = sentEvents.map((e) => e.messageId);
  const receivedEvents = inTimeOrder(trace).filter((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive' && e.role === 'consumer');
  const received = receivedEvents.map((e) => e.messageId);
  if (sent.length === 0) return { passed: false, detail: 'The producer put no item.' };
  // What the consumer took, and the items the producer announced that it never took.
  const taken = new Set(received);
  const measurements = { 'items-taken': received.length, 'items-lost': sent.filter((id) => !taken.has(id)).length };
  const firstDifferent = sent.findIndex((id, i) => received[i] !== id);
  if (firstDifferent === -1 && sent.length === received.length)
    return {
      passed: true,
      detail: `All ${plural(sent.length, 'item')} were taken once, in the order they were put.`,
      moment: receivedEvents.at(-1)?.ts,
      measurements,
    };
  const refused = eventsOf(trace, 'io.error', 'producer').find((e) => e.code === 'EOVERFLOW');
  return {
    passed: false,
    detail: `${plural(sent.length, 'item')} put, ${received.length.toLocaleString('en')} taken${received.length === sent.length ? ', not in the same order' : ''}.`,
    hint: refused
      ? 'A put was refused (EOVERFLOW): the buffer was full, and the producer did not wait for room. Make it wait for an empty slot (a bounded buffer), or give the buffer room for every item.'
      : undefined,
    moment: receivedEvents[firstDifferent]?.ts ?? receivedEvents.at(-1)?.ts,
    measurements,
  };
}

const consumerWaitsWhenEmpty = {
  title: 'The consumer waited while the buffer was empty',
  hint: 'The consumer waits only once it catches up: make the producer slower than the consumer for a while (its pause per item after the fast items).',
  measures: {
    'empty-waits': { unit: 'waits', title: 'times the consumer, after its first item, found the buffer empty and waited on "full slots" (1 ms or more)' },
  },
  check(trace: RunTrace): CheckOutcome {
    const waits = blockedWaits(trace, 'consumer', 'buffer: full slots').filter((w) => w.afterItems > 0 && w.levelBefore?.used === 0);
    // A count of none is a measurement too, once the consumer has taken an item.
    const measurements = eventsOf(trace, 'message.receive', 'consumer').length > 0 ? { 'empty-waits': waits.length } : undefined;
    if (waits.length === 0)
      return {
        passed: false,
        detail: 'After its first item, the consumer never had to wait for one: the buffer was never empty when it came back.',
        measurements,
      };
    const top = longest(waits);
    return {
      passed: true,
      detail: `The consumer found the buffer empty ${plural(waits.length, 'time')} and waited on "full slots", up to ${ms(top.durationNs)}.`,
      moment: top.begin.ts,
      measurements,
    };
  },
};

export default defineChecks({
  'seen-without-messages': {
    title: 'Each process read what the other stored, and no message was sent',
    hint: "Both programs must run at the same time: the attacher waits for the creator's greeting, the creator for the reply.",
    check(trace) {
      const creator = trace.processes.find((p) => p.role === 'creator');
      const attacher = trace.processes.find((p) => p.role === 'attacher');
      if (!creator || !attacher) return { passed: false, detail: 'The creator and the attacher did not both run.' };
      const notes = (role: string) => eventsOf(trace, 'note', role);
      const greetingSeen = notes('attacher').find((n) => n.text.includes(`hello from the creator (pid ${creator.pid})`));
      const replySeen = notes('creator').find((n) => n.text.includes(`hello back from the attacher (pid ${attacher.pid})`));
      const messages = eventsOf(trace, 'message.send').length + eventsOf(trace, 'message.receive').length;
      if (messages > 0) return { passed: false, detail: `${plural(messages, 'message event')}: this step sends none.` };
      if (!greetingSeen || !replySeen) {
        const privateMap = trace.params.mapping === 'private';
        return {
          passed: false,
          detail: `Greeting seen by the attacher: ${greetingSeen ? 'yes' : 'no'}; reply seen by the creator: ${replySeen ? 'yes' : 'no'}.`,
          hint:
            greetingSeen && privateMap
              ? 'The attacher mapped the segment MAP_PRIVATE: it could read the greeting, but its first store gave it a copy of the page of its own (copy-on-write), so the reply stayed in its copy. Map it shared.'
              : undefined,
          moment: (greetingSeen ?? notes('creator').at(-1))?.ts,
        };
      }
      return {
        passed: true,
        detail: `pid ${attacher.pid} read pid ${creator.pid}'s greeting from the segment, and pid ${creator.pid} read the reply: no message was sent.`,
        moment: replySeen.ts,
      };
    },
  },
  'same-segment-mapped': {
    title: 'The kernel shows the same /dev/shm file mapped shared in both processes',
    hint: 'The attacher asks for a kernel snapshot once both have the segment mapped: look for it in the trace.',
    measures: {
      'shared-mappings': { unit: 'processes', title: "processes the attacher's requested snapshot shows with the segment mapped shared (rw-s)" },
      'bytes-mapped': { unit: 'bytes', title: "bytes the attacher's mapping of the segment spans in /proc/<pid>/maps" },
    },
    check(trace) {
      const created = eventsOf(trace, 'object.create', 'creator').find((e) => e.object.type === 'shm');
      if (!created) return { passed: false, detail: 'The creator made no segment.' };
      const path = created.object.name;
      const request = eventsOf(trace, 'snapshot.request', 'attacher')[0];
      if (!request) return { passed: false, detail: 'The attacher never asked for a kernel snapshot: it did not get as far as mapping the segment.' };
      const creator = trace.processes.find((p) => p.role === 'creator');
      const attacher = trace.processes.find((p) => p.role === 'attacher');
      const seen = new Map<string, { start: string; end: string; perms: string } | undefined>();
      for (const process of [creator, attacher]) {
        if (!process) continue;
        const snapshot = snapshotFor(trace, request, process.pid);
        seen.set(
          process.role,
          snapshot?.maps?.find((m) => m.path === path),
        );
      }
      const describe = (role: string) => {
        const m = seen.get(role);
        return m ? `${role} ${m.start}-${m.end} ${m.perms}` : `${role}: not mapped`;
      };
      const inDevShm = eventsOf(trace, 'kernel.objects').some((e) => e.shm.some((s) => s.path === path));
      const detail = `${path}${inDevShm ? ' (in /dev/shm)' : ' (never seen in /dev/shm)'}: ${describe('creator')}, ${describe('attacher')}.`;
      const shared = (role: string) => seen.get(role)?.perms[3] === 's';
      const measurements = finite({
        'shared-mappings': [...seen.values()].filter((m) => m?.perms[3] === 's').length,
        'bytes-mapped': mappedBytes(seen.get('attacher')),
      });
      if (shared('creator') && shared('attacher') && inDevShm) return { passed: true, detail, moment: request.ts, measurements };
      const privately = [...seen.entries()].filter(([, m]) => m?.perms[3] === 'p').map(([role]) => role);
      return {
        passed: false,
        detail,
        hint: privately.length
          ? `The ${privately.join(' and ')} mapped it private ("p" in ${seen.get(privately[0]!)!.perms}: MAP_PRIVATE, copy-on-write): the same file, but its stores go to its own copy of the pages. Map it shared.`
          : undefined,
        moment: request.ts,
        measurements,
      };
    },
  },
  'kernel-not-in-transfer': {
    title: "The kernel carried none of the bytes: the consumer's read() count stayed flat",
    hint: 'The consumer asks for a kernel snapshot before its first piece and after its last: both must be in the trace.',
    measures: {
      'rchar-growth': { unit: 'bytes', title: "bytes the consumer's rchar (/proc/<pid>/io) grew by during the transfer" },
      'read-calls': { unit: 'calls', title: "read calls the consumer's syscr (/proc/<pid>/io) grew by during the transfer" },
    },
    check(trace) {
      const requests = eventsOf(trace, 'snapshot.request', 'consumer').sort((a, b) => (BigInt(a.ts) < BigInt(b.ts) ? -1 : 1));
      const taken = measured(trace, 'bytes taken');
      const expected = Number(trace.params.mib) * 1024 * 1024;
      if (requests.length < 2 || !taken) return { passed: false, detail: 'The consumer did not finish the transfer.' };
      if (taken.value !== expected)
        return { passed: false, detail: `The consumer took ${formatBytes(taken.value)} of ${formatBytes(expected)}.`, moment: taken.ts };
      const [before, after] = [snapshotFor(trace, requests[0]!, taken.pid), snapshotFor(trace, requests[1]!, taken.pid)];
      if (!before?.io || !after?.io)
        return {
          passed: false,
          detail: 'The kernel view has no /proc/<pid>/io counters for the consumer at both ends of the transfer.',
          moment: requests[1]!.ts,
        };
      const rchar = after.io.rchar - before.io.rchar;
      const syscr = after.io.syscr - before.io.syscr;
      const producer = trace.processes.find((p) => p.role === 'producer');
      const pBefore = producer && snapshotFor(trace, requests[0]!, producer.pid);
      const pAfter = producer && snapshotFor(trace, requests[1]!, producer.pid);
      const wchar = pBefore?.io && pAfter?.io ? `; the producer's wchar grew by ${formatBytes(pAfter.io.wchar - pBefore.io.wchar)}` : '';
      const through = trace.params.through === 'pipe' ? 'through the pipe' : 'out of the segment';
      const detail = `The consumer took ${formatBytes(taken.value)} ${through}; meanwhile its rchar (/proc/${taken.pid}/io) grew by ${formatBytes(rchar)} in ${plural(syscr, 'read call')}${wchar}.`;
      const measurements = finite({ 'rchar-growth': rchar, 'read-calls': syscr });
      return rchar * 100 < taken.value
        ? { passed: true, detail, moment: after.ts, measurements }
        : {
            passed: false,
            detail,
            hint:
              trace.params.through === 'pipe'
                ? 'Through a pipe the kernel copies every byte: write(2) into its buffer, read(2) out of it, and counts them. Move them through the segment.'
                : 'The consumer read() the data: a segment is shared by mapping it, not by reading it.',
            moment: after.ts,
            measurements,
          };
    },
  },
  'producer-waits-when-full': {
    title: 'The producer waited while the buffer was full',
    hint: 'The producer waits only when it gets ahead by a whole buffer: produce more items at full speed, or make the consumer slower.',
    measures: {
      'full-waits': { unit: 'waits', title: 'times the producer found every slot full and waited on "empty slots" (1 ms or more)' },
      'peak-occupancy': { unit: 'items', title: 'the most items the buffer held at once (its level reports)' },
    },
    check(trace) {
      const waits = blockedWaits(trace, 'producer', 'buffer: empty slots').filter((w) => w.levelBefore && w.levelBefore.used === w.levelBefore.capacity);
      // Both once the producer has put an item: then a count of no waits is a measurement too.
      const measurements =
        eventsOf(trace, 'message.send', 'producer').length > 0 ? finite({ 'full-waits': waits.length, 'peak-occupancy': peakLevel(trace) }) : undefined;
      if (waits.length === 0) {
        const capacity = eventsOf(trace, 'buffer.level')[0]?.capacity;
        const sent = eventsOf(trace, 'message.send', 'producer').length;
        return {
          passed: false,
          detail: 'The producer never found the buffer full.',
          hint:
            capacity !== undefined && capacity !== null && capacity >= sent
              ? `The buffer has room for ${plural(capacity, 'item')}, and the producer makes ${sent} (and the "no more" item): it can never fill. Make the buffer smaller.`
              : undefined,
          measurements,
        };
      }
      const capacity = waits[0]!.levelBefore!.capacity!;
      const top = longest(waits);
      // The moment: the last of these waits. From the second on, the consumer has freed a slot since the
      // first, so it has mapped the buffer too: the kernel view there shows both mappings.
      return {
        passed: true,
        detail: `The producer found ${capacity === 1 ? 'the only slot' : `all ${capacity} slots`} full ${plural(waits.length, 'time')} and waited on "empty slots", up to ${ms(top.durationNs)}.`,
        moment: waits.at(-1)!.begin.ts,
        measurements,
      };
    },
  },
  'consumer-waits-when-empty': consumerWaitsWhenEmpty,
  'items-once-in-order': {
    title: 'Every item was taken once, in order',
    hint: 'An item lost or taken twice means a mutex or a semaphore is not doing its job.',
    measures: {
      'items-taken': { unit: 'items', title: 'items the consumer took' },
      'items-lost': { unit: 'items', title: 'items the producer announced that the consumer never took' },
    },
    check: itemsOnceInOrder,
  },
  'producer-never-waits': {
    title: 'The producer never waited',
    hint: 'In an unbounded buffer there is always room; a wait on "empty slots" means the buffer was bounded.',
    measures: {
      'producer-waits': { unit: 'waits', title: 'times the producer waited on "empty slots" for room' },
      'peak-occupancy': { unit: 'items', title: 'the most items the buffer held at once (its level reports)' },
    },
    check(trace) {
      const waits = eventsOf(trace, 'io.begin', 'producer').filter((e) => e.op === 'wait' && e.channel === 'buffer: empty slots');
      const levels = eventsOf(trace, 'buffer.level');
      const peak = levels.reduce<StoredEventOf<'buffer.level'> | undefined>((a, b) => (!a || b.used > a.used ? b : a), undefined);
      const bounded = levels.find((l) => l.capacity !== null);
      // Once the producer has put an item, no wait at all is a count too.
      const measurements =
        eventsOf(trace, 'message.send', 'producer').length > 0 ? finite({ 'producer-waits': waits.length, 'peak-occupancy': peak?.used }) : undefined;
      if (bounded) {
        return {
          passed: false,
          detail: `The buffer was bounded (${plural(bounded.capacity!, 'slot')})${waits.length ? `, and the producer waited ${plural(waits.length, 'time')} for an empty slot` : ''}.`,
          moment: waits[0]?.ts ?? bounded.ts,
          measurements,
        };
      }
      return waits.length === 0
        ? {
            passed: true,
            detail: `The producer never waited for room; the buffer held up to ${plural(peak?.used ?? 0, 'item')}.`,
            moment: peak?.ts,
            measurements,
          }
        : { passed: false, detail: `The producer waited ${plural(waits.length, 'time')}.`, moment: waits[0]!.ts, measurements };
    },
  },
  'race-loses-updates': {
    title: 'Plain increments lost updates',
    hint: 'A race needs overlap: more increments per process, or more processes.',
    measures: {
      'lost-updates': { unit: 'increments', title: "plain round: the increments that ran (the workers' done words) minus what the shared counter reads" },
      'plain-counter': { unit: 'increments', title: 'plain round: what the shared counter reads at the end' },
    },
    check(trace) {
      // The starter runs the plain round again (up to three times) while it loses nothing; each try
      // measures what ran and what the counter read. Pair them in time order: the starter emits a try's
      // two measurements before the next try starts.
      const measures = inTimeOrder(trace).filter((e): e is StoredEventOf<'measure'> => e.kind === 'measure');
      const ranTries = measures.filter((m) => m.name === 'plain: increments run');
      const counterTries = measures.filter((m) => m.name === 'plain: counter');
      const tries = counterTries.flatMap((counter, k) => (ranTries[k] ? [{ ran: ranTries[k], counter }] : []));
      if (tries.length === 0) return { passed: false, detail: 'The plain round did not finish.' };
      const lossy = tries.find((t) => t.ran.value > t.counter.value);
      const shown = lossy ?? tries[tries.length - 1]!;
      const { ran, counter } = shown;
      const lost = ran.value - counter.value;
      const measurements = { 'lost-updates': lost, 'plain-counter': counter.value };
      const which = tries.length === 1 ? '' : ` in try ${tries.indexOf(shown) + 1} of the plain round`;
      const earlier =
        lossy && tries.length > 1
          ? ` (${tries.indexOf(shown) === 1 ? 'the try before it' : 'the tries before it'} lost none: the workers happened not to come between each other's load and store)`
          : '';
      if (lost > 0) {
        return {
          passed: true,
          detail: `${lost.toLocaleString('en')} of ${ran.value.toLocaleString('en')} increments were lost${which} (${((100 * lost) / ran.value).toFixed(1)}%): the counter reads ${counter.value.toLocaleString('en')}${earlier}.`,
          moment: counter.ts,
          measurements,
        };
      }
      const workers = Number(trace.params.workers);
      return {
        passed: false,
        detail: `No update was lost${tries.length > 1 ? ` in any of the ${tries.length} tries of the plain round` : ''}: the counter reads ${counter.value.toLocaleString('en')}, all ${ran.value.toLocaleString('en')} increments.`,
        hint: workers === 1 ? 'With one process, nobody can store between its load and its store: a race needs at least two.' : undefined,
        moment: counter.ts,
        measurements,
      };
    },
  },
  'protection-loses-none': {
    title: 'With protection, no update was lost',
    hint: 'Each increment must be inside the mutex, or be one atomic add.',
    measures: {
      'protected-lost': { unit: 'increments', title: 'second round: the increments that ran minus what the shared counter reads' },
      'protected-counter': { unit: 'increments', title: 'second round: what the shared counter reads at the end' },
    },
    check(trace) {
      const protection = String(trace.params.protection);
      const ran = measured(trace, `${protection}: increments run`);
      const counter = measured(trace, `${protection}: counter`);
      if (!ran || !counter) return { passed: false, detail: `The ${protection} round did not finish.` };
      const lost = ran.value - counter.value;
      const measurements = { 'protected-lost': lost, 'protected-counter': counter.value };
      const expected = measured(trace, 'expected')?.value ?? ran.value;
      const notRun = expected - ran.value;
      const notRunText =
        notRun > 0 ? ` (${notRun.toLocaleString('en')} more never ran: their worker was killed or gave up, and they do not count as lost)` : '';
      // Unprotected, nothing lost is luck (the workers did not overlap where it mattered), not protection.
      if (lost === 0 && protection === 'none')
        return {
          passed: false,
          detail: `The second round had no protection; none of its ${ran.value.toLocaleString('en')} increments happened to be lost, as can happen when the workers barely overlap${notRunText}.`,
          hint: 'Choose a mutex or an atomic add for the second round: then no update can be lost, however the workers overlap.',
          moment: counter.ts,
          measurements,
        };
      if (lost === 0) {
        return {
          passed: true,
          detail: `With ${protection === 'mutex' ? 'a mutex around each increment' : 'atomic adds'}, every one of the ${ran.value.toLocaleString('en')} increments that ran counted${notRunText}.`,
          moment: counter.ts,
          measurements,
        };
      }
      return {
        passed: false,
        detail: `${lost.toLocaleString('en')} of the ${ran.value.toLocaleString('en')} increments that ran were lost in the ${protection === 'none' ? 'second, unprotected' : protection} round${notRunText}.`,
        hint: protection === 'none' ? 'The second round had no protection: choose a mutex or an atomic add.' : undefined,
        moment: counter.ts,
        measurements,
      };
    },
  },
  'owner-died-recovered': {
    title: 'The kernel told a survivor that the holder died (EOWNERDEAD), and it went on',
    hint: 'This needs the mutex round with one worker killed while it holds the mutex, and a robust mutex.',
    measures: {
      'owner-dead-reports': { unit: 'calls', title: 'lock() calls of other processes that returned EOWNERDEAD after the kill' },
    },
    check(trace) {
      const killed = trace.processes.find((p) => p.role === 'worker' && p.signal === 'SIGKILL');
      if (!killed) {
        return {
          passed: false,
          detail: 'No worker was killed: nobody died holding the mutex.',
          hint: trace.params.killHolder ? undefined : 'Tick "one worker is killed while it holds it" (with the mutex as protection).',
        };
      }
      const killedAt = eventsOf(trace, 'note')
        .filter((n) => n.pid === killed.pid && n.text.startsWith('killed'))
        .at(-1);
      const since = BigInt(killedAt?.ts ?? '0');
      const failures = inTimeOrder(trace).filter(
        (e): e is StoredEventOf<'io.error'> => e.kind === 'io.error' && e.pid !== killed.pid && e.op === 'wait' && BigInt(e.ts) >= since,
      );
      const ownerDead = failures.find((e) => e.code === 'EOWNERDEAD');
      const measurements = { 'owner-dead-reports': failures.filter((e) => e.code === 'EOWNERDEAD').length };
      if (!ownerDead) {
        const timedOut = failures.find((e) => e.code === 'ETIMEDOUT');
        return {
          passed: false,
          detail: timedOut
            ? `pid ${killed.pid} was killed holding the mutex; pid ${timedOut.pid} waited for it until its timeout and gave up (ETIMEDOUT), ${ms(BigInt(timedOut.ts) - since)} after the kill: nobody told it the holder was gone.`
            : `pid ${killed.pid} was killed holding the mutex, but no other process's lock() reported EOWNERDEAD.`,
          hint:
            trace.params.robust === false
              ? 'The mutex is not robust (PTHREAD_MUTEX_STALLED): the kernel does not mark it when its holder dies. Tick "the mutex is robust".'
              : undefined,
          moment: (timedOut ?? killedAt)?.ts,
          measurements,
        };
      }
      const survivor = trace.processes.find((p) => p.pid === ownerDead.pid);
      const after = ms(BigInt(ownerDead.ts) - since);
      const who = `pid ${ownerDead.pid} (${ownerDead.role === 'starter' ? 'the starter, reading the result' : `a ${ownerDead.role}`})`;
      if (survivor?.exitCode !== 0) {
        return {
          passed: false,
          detail: `${who} got EOWNERDEAD ${after} after pid ${killed.pid} was killed, but then did not finish (${survivor?.signal ?? `exit code ${survivor?.exitCode ?? 'unknown'}`}).`,
          moment: ownerDead.ts,
          measurements,
        };
      }
      return {
        passed: true,
        detail: `pid ${killed.pid} was killed (SIGKILL) holding the mutex; ${after} later the lock() of ${who} returned EOWNERDEAD, the kernel's mark. It made the mutex consistent and went on to the end (exit code 0).`,
        moment: ownerDead.ts,
        measurements,
      };
    },
  },
  'exactly-once': {
    title: 'Every item was consumed exactly once',
    hint: 'An item consumed twice or never means two processes were inside the buffer at once.',
    measures: {
      'items-consumed': { unit: 'items', title: 'items the consumers took, all of them together' },
      'never-consumed': { unit: 'items', title: 'items a producer announced that no consumer took' },
      'consumed-twice': { unit: 'items', title: 'items taken by more than one consumer, or more than once' },
    },
    check(trace) {
      const sent = new Set(eventsOf(trace, 'message.send', 'producer').map((e) => e.messageId));
      const receives = inTimeOrder(trace).filter((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive' && e.role === 'consumer');
      const counts = new Map<number, number>();
      let firstWrong: StoredEventOf<'message.receive'> | undefined;
      for (const e of receives) {
        counts.set(e.messageId, (counts.get(e.messageId) ?? 0) + 1);
        if (!firstWrong && (counts.get(e.messageId)! > 1 || !sent.has(e.messageId))) firstWrong = e;
      }
      const missingIds = [...sent].filter((id) => !counts.has(id));
      const twiceIds = [...counts.entries()].filter(([, n]) => n > 1).map(([id]) => id);
      const unknownIds = [...counts.keys()].filter((id) => !sent.has(id));
      const [missing, twice, unknown] = [missingIds.length, twiceIds.length, unknownIds.length];
      if (sent.size === 0) return { passed: false, detail: 'No item was produced.' };
      const measurements = { 'items-consumed': receives.length, 'never-consumed': missing, 'consumed-twice': twice };
      return missing === 0 && twice === 0 && unknown === 0
        ? { passed: true, detail: `${plural(sent.size, 'item')}, each consumed exactly once.`, moment: receives.at(-1)?.ts, measurements }
        : {
            passed: false,
            detail:
              `${missing} never consumed${idList(missingIds)}, ${twice} consumed more than once${idList(twiceIds, counts)}, ` +
              `${unknown} consumed but never produced${idList(unknownIds)}.`,
            hint: eventsOf(trace, 'io.error', 'producer').some((e) => e.code === 'EOVERFLOW')
              ? 'Puts were refused (EOVERFLOW): the buffer was full and the producers did not wait for room, so those items were never in it. Let them wait for an empty slot.'
              : twice > 0 && trace.params.consumerMutex === false
                ? "The consumers claimed items without their mutex: two of them loaded the same head before either stored it, and both took that item. Claim under the consumers' mutex."
                : undefined,
            moment: (firstWrong ?? receives.at(-1))?.ts,
            measurements,
          };
    },
  },
  'producers-and-consumers-all-worked': {
    title: 'Every producer put items and every consumer took some',
    hint: 'With very few items one consumer may take them all; produce more items.',
    check(trace) {
      const byPid = (kind: 'message.send' | 'message.receive', role: string) => {
        const counts = new Map<number, number>();
        for (const e of eventsOf(trace, kind, role)) counts.set(e.pid, (counts.get(e.pid) ?? 0) + 1);
        return counts;
      };
      const producers = byPid('message.send', 'producer');
      const consumers = byPid('message.receive', 'consumer');
      const consumerPids = trace.processes.filter((p) => p.role === 'consumer').map((p) => p.pid);
      const producerPids = trace.processes.filter((p) => p.role === 'producer').map((p) => p.pid);
      const list = (pids: number[], counts: Map<number, number>) => pids.map((pid) => `pid ${pid} ${plural(counts.get(pid) ?? 0, 'item')}`).join(', ');
      const idle = consumerPids.filter((pid) => !consumers.has(pid)).length + producerPids.filter((pid) => !producers.has(pid)).length;
      const items = Number(trace.params.items) * producerPids.length;
      return {
        passed: producerPids.length > 0 && consumerPids.length > 0 && idle === 0,
        detail: `Producers: ${list(producerPids, producers) || 'none'}. Consumers: ${list(consumerPids, consumers) || 'none'}.`,
        hint:
          idle > 0 && items < consumerPids.length
            ? `${plural(items, 'item')} for ${plural(consumerPids.length, 'consumer')}: some consumer must go without. Produce more items.`
            : undefined,
        moment: eventsOf(trace, 'message.receive', 'consumer').at(-1)?.ts,
      };
    },
  },
});
