/**
 * The checks of steps 03-05 (visibility, synchronisation, one link over three carriers), spread into
 * the lab's checks.ts. Order between processes comes from `ts` (one monotonic clock for every
 * process), never from `seq`. Kernel evidence comes from the snapshots a program asked for
 * (lab.snapshot) at the moment that matters, and from kernel.objects.
 */
import { eventsOf, idList, type CheckDefinition, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { KernelFd, StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';

const before = (a: { ts: string }, b: { ts: string }): boolean => BigInt(a.ts) < BigInt(b.ts);
const byTime = <E extends { ts: string; seq: number }>(a: E, b: E): number => {
  const d = BigInt(a.ts) - BigInt(b.ts);
  return d < 0n ? -1 : d > 0n ? 1 : a.seq - b.seq;
};

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

/** The snapshots the engine took for a request: one per live process, stamped at or after it. */
function snapshotsFor(trace: RunTrace, request: StoredEventOf<'snapshot.request'>): Map<number, StoredEventOf<'kernel.snapshot'>> {
  const found = new Map<number, StoredEventOf<'kernel.snapshot'>>();
  for (const s of eventsOf(trace, 'kernel.snapshot').sort(byTime))
    if (s.requested === request.reason && !before(s, request) && !found.has(s.pid)) found.set(s.pid, s);
  return found;
}

const pidsOf = (trace: RunTrace, role: string): number[] => trace.processes.filter((p) => p.role === role).map((p) => p.pid);

// ---- 03 visibility

const segmentSeenByAll: CheckDefinition = {
  title: 'The kernel shows the same segment mapped shared in all three processes',
  hint: 'The third process asks for the kernel view once it has mapped the segment, while the owner and the first receiver still hold it.',
  measures: { 'shared-mappings': { unit: 'processes', title: "processes the third process's snapshot shows with the segment mapped shared (rw-s)" } },
  check(trace) {
    const created = eventsOf(trace, 'object.create', 'owner').find((e) => e.object.type === 'shm');
    const request = eventsOf(trace, 'snapshot.request', 'third')[0];
    if (!created || !request) return { passed: false, detail: created ? 'The third process never asked for the kernel view.' : 'The owner made no segment.' };
    const snapshots = snapshotsFor(trace, request);
    const roles = ['owner', 'first', 'third'];
    const seen = roles.map((role) => {
      const pid = pidsOf(trace, role)[0];
      const mapping = pid === undefined ? undefined : snapshots.get(pid)?.maps?.find((m) => m.path === created.object.name);
      return { role, pid, mapping };
    });
    const shared = seen.filter((s) => s.mapping?.perms[3] === 's');
    const detail =
      `${created.object.name}: ` +
      seen.map((s) => (s.mapping ? `${s.role} (pid ${s.pid}) ${s.mapping.start}-${s.mapping.end} ${s.mapping.perms}` : `${s.role}: not mapped`)).join(', ') +
      '.';
    const measurements = { 'shared-mappings': shared.length };
    if (shared.length === 3) return { passed: true, detail, moment: request.ts, measurements };
    const privately = seen.filter((s) => s.mapping?.perms[3] === 'p').map((s) => s.role);
    return {
      passed: false,
      detail,
      hint: privately.length
        ? `The ${privately.join(' and ')} mapped it private ("p": MAP_PRIVATE, copy-on-write): the same file, but its first store gave it its own copy of the page, which nobody else sees. Map it shared.`
        : undefined,
      moment: request.ts,
      measurements,
    };
  },
};

const messageGoneForOthers: CheckDefinition = {
  title: 'The message the first receiver took was gone for the third process (EAGAIN)',
  hint: 'The third process tries a non-blocking receive only after the first receiver has taken a message: with one message in the mailbox, nothing is left for it.',
  measures: { 'third-got': { unit: 'messages', title: 'messages the third process received from the mailbox' } },
  check(trace) {
    const took = eventsOf(trace, 'io.end', 'first').find((e) => e.op === 'read' && e.channel === 'mailbox letters' && e.bytes > 0);
    if (!took) return { passed: false, detail: 'The first receiver took no message.' };
    const thirdGot = eventsOf(trace, 'message.receive', 'third');
    const again = eventsOf(trace, 'io.error', 'third').find((e) => e.code === 'EAGAIN' && e.channel === 'mailbox letters');
    const measurements = { 'third-got': thirdGot.length };
    if (!again || !before(took, again)) {
      return {
        passed: false,
        detail: thirdGot.length
          ? `The third process received ${thirdGot.map((m) => `#${m.messageId}`).join(', ')}: there was another message in the mailbox for it.`
          : 'The third process never met an empty mailbox (EAGAIN) after the first receiver took its message.',
        hint: thirdGot.length ? 'Each message goes to one receiver; with two, the third gets the second one. Put one message in the mailbox.' : undefined,
        moment: (thirdGot[0] ?? took).ts,
        measurements,
      };
    }
    // The kernel's own count of the queue, between the take and the failed try, when /dev/mqueue is mounted.
    const queue = eventsOf(trace, 'object.create', 'owner').find((e) => e.object.type === 'mqueue')?.object.name;
    const latest = eventsOf(trace, 'kernel.objects')
      .filter((o) => !before(again, o))
      .sort(byTime)
      .at(-1);
    const status = latest && before(took, latest) ? latest.mqueue?.find((q) => queue !== undefined && q.path.endsWith(queue)) : undefined;
    const qsize = status ? Number(/QSIZE:(\d+)/.exec(status.status)?.[1] ?? 0) : 0;
    if (qsize > 0)
      return {
        passed: false,
        detail: `The kernel still counted ${plural(qsize, 'byte')} in the queue (QSIZE) when the third process found it empty.`,
        moment: again.ts,
        measurements,
      };
    const ms = Number((BigInt(again.ts) - BigInt(took.ts)) / 1_000_000n);
    return {
      passed: true,
      detail:
        `pid ${took.pid} (first) took a message of ${plural(took.bytes, 'byte')}; ${ms} ms later the non-blocking mq_receive of pid ${again.pid} (third) failed with EAGAIN` +
        (status ? `, and /dev/mqueue showed the queue as "${status.status.replace(/\s+/g, ' ')}".` : '.'),
      moment: again.ts,
      measurements,
    };
  },
};

// ---- 04 synchronisation

const itemsExactlyOnce: CheckDefinition = {
  title: 'Every item was consumed exactly once',
  hint: 'An item lost or consumed twice means two producers were inside the buffer at once: compare the items put with the items taken, by number.',
  measures: {
    'items-consumed': { unit: 'items', title: 'items the consumers took, all of them together' },
    'never-consumed': { unit: 'items', title: 'items a producer put that no consumer took' },
    'consumed-twice': { unit: 'items', title: 'items taken more than once' },
  },
  check(trace) {
    const sent = new Set(eventsOf(trace, 'message.send', 'producer').map((e) => e.messageId));
    const receives = eventsOf(trace, 'message.receive', 'consumer').sort(byTime);
    if (sent.size === 0) return { passed: false, detail: 'No item was produced.' };
    const counts = new Map<number, number>();
    let firstWrong: StoredEvent | undefined;
    for (const e of receives) {
      counts.set(e.messageId, (counts.get(e.messageId) ?? 0) + 1);
      if (!firstWrong && (counts.get(e.messageId)! > 1 || !sent.has(e.messageId))) firstWrong = e;
    }
    const missing = [...sent].filter((id) => !counts.has(id));
    const twice = [...counts].filter(([id, n]) => n > 1 && sent.has(id)).map(([id]) => id);
    const unknown = [...counts.keys()].filter((id) => !sent.has(id));
    const measurements = { 'items-consumed': receives.length, 'never-consumed': missing.length, 'consumed-twice': twice.length };
    if (missing.length === 0 && twice.length === 0 && unknown.length === 0)
      return { passed: true, detail: `${plural(sent.size, 'item')} put, each consumed exactly once.`, moment: receives.at(-1)?.ts, measurements };
    const empties = unknown.includes(0) ? ', and slots read that nobody had written (no item in them)' : '';
    return {
      passed: false,
      detail:
        `${missing.length} never consumed${idList(missing)}, ${twice.length} consumed more than once${idList(twice, counts)}` +
        `${unknown.filter((id) => id !== 0).length ? `, ${unknown.filter((id) => id !== 0).length} consumed but never produced${idList(unknown.filter((id) => id !== 0))}` : ''}${empties}.`,
      hint:
        trace.params.mistake === 'no-mutex'
          ? 'The producers put without the mutex: two of them loaded the same `in`, wrote the same slot, and one item overwrote the other; the slot after it was never written, and a consumer took what it held before.'
          : trace.params.mistake === 'wrong-order'
            ? 'The items still in the buffer, or never put, when everyone fell asleep were never consumed: see "Nobody was stuck".'
            : undefined,
      moment: (firstWrong ?? receives.at(-1))?.ts,
      measurements,
    };
  },
};

/** A wait (io.begin op wait) still open at `at`: begun before it, not ended (io.end / io.error) before it. */
function openWaitAt(events: StoredEvent[], pid: number, at: { ts: string }): StoredEventOf<'io.begin'> | undefined {
  let open: StoredEventOf<'io.begin'> | undefined;
  for (const e of events) {
    if (e.pid !== pid || !before(e, at)) continue;
    if (e.kind === 'io.begin' && e.op === 'wait') open = e;
    else if ((e.kind === 'io.end' || e.kind === 'io.error') && e.op === 'wait') open = undefined;
  }
  return open;
}

const nobodyStuck: CheckDefinition = {
  title: 'Nobody was stuck: every producer and consumer finished',
  hint: 'A producer that locks the mutex and then waits for an empty slot sleeps holding the mutex every consumer needs.',
  measures: {
    'asleep-for-good': {
      unit: 'processes',
      title: 'producers and consumers the kernel showed asleep in a futex wait, each in a wait begun over a second before, when no item had moved',
    },
  },
  check(trace) {
    const workers = trace.processes.filter((p) => p.role === 'producer' || p.role === 'consumer');
    const request = eventsOf(trace, 'snapshot.request', 'starter').find((r) => r.reason.startsWith('no progress'));
    if (request) {
      const snapshots = snapshotsFor(trace, request);
      const waits = [...eventsOf(trace, 'io.begin'), ...eventsOf(trace, 'io.end'), ...eventsOf(trace, 'io.error')].sort(byTime);
      const asleep = workers.flatMap((w) => {
        const s = snapshots.get(w.pid);
        const wait = openWaitAt(waits, w.pid, request);
        if (!s || !s.state.startsWith('S') || !/futex/.test(s.wchan) || !wait) return [];
        const ms = Number((BigInt(request.ts) - BigInt(wait.ts)) / 1_000_000n);
        return ms >= 1000 ? [`${w.role} ${w.pid}: ${s.state}, wchan ${s.wchan}, in "${wait.channel}" for ${ms} ms`] : [];
      });
      const alive = [...snapshots.keys()].filter((pid) => workers.some((w) => w.pid === pid)).length;
      if (asleep.length > 0 && asleep.length === alive)
        return {
          passed: false,
          detail: `Every producer and consumer still running was asleep in a futex wait, and no item had moved: ${asleep.join('; ')}. Nothing could wake them: a deadlock.`,
          moment: request.ts,
          measurements: { 'asleep-for-good': asleep.length },
        };
    }
    const failed = workers.filter((w) => w.exitCode !== 0);
    if (failed.length)
      return {
        passed: false,
        detail: `${failed.map((w) => `${w.role} ${w.pid} (${w.signal ?? `exit code ${w.exitCode ?? 'unknown'}`})`).join(', ')} did not finish.`,
        measurements: { 'asleep-for-good': 0 },
      };
    return { passed: true, detail: `All ${workers.length} producers and consumers finished (exit code 0).`, measurements: { 'asleep-for-good': 0 } };
  },
};

// ---- 05 one link, three carriers

/** How each carrier's link shows in the sender's and receiver's descriptors or mappings. */
function carrierSeen(
  carrier: string,
  fds: KernelFd[] | undefined,
  maps: { path: string; perms: string }[] | undefined,
  object: string | undefined,
): string | undefined {
  if (carrier === 'ring') return maps?.find((m) => m.path === object && m.perms[3] === 's') && `${object} mapped rw-s`;
  if (carrier === 'mq') return fds?.find((f) => f.target === object) && `fd ${fds.find((f) => f.target === object)!.fd} → ${object} (a message queue)`;
  const socket = fds?.find((f) => f.socket?.transport === 'tcp' && f.socket.state === 'ESTABLISHED' && f.socket.remote);
  return socket && `fd ${socket.fd} → ${socket.target}, /proc/net/tcp: ${socket.socket!.local} ↔ ${socket.socket!.remote} ESTABLISHED`;
}

const WAIT_CHANNELS = ['link: empty slots', 'link: full', 'link: credits'];

const linkWaitsAtCapacity: CheckDefinition = {
  title: 'The sender waited once the link held its capacity, and every message arrived once, in order',
  hint: 'The receiver takes nothing until the link is full: the sender must then wait in its next send.',
  measures: { 'sent-before-wait': { unit: 'messages', title: "messages on the link (sent, none received) when the sender's first wait began" } },
  check(trace): CheckOutcome {
    const capacity = Number(trace.params.capacity);
    const carrier = String(trace.params.carrier);
    const sends = eventsOf(trace, 'message.send', 'sender').sort(byTime);
    const receives = eventsOf(trace, 'message.receive', 'receiver').sort(byTime);
    const order = receives.map((r) => r.messageId).join(',') === sends.map((s) => s.messageId).join(',');
    if (sends.length === 0) return { passed: false, detail: 'The sender sent nothing.' };
    if (!order)
      return {
        passed: false,
        detail: `${plural(sends.length, 'message')} sent, ${receives.length} received${receives.length === sends.length ? ', not in the order sent' : ''}.`,
        moment: receives.at(-1)?.ts,
      };
    const wait = eventsOf(trace, 'io.begin', 'sender').find((e) => e.op === 'wait' && WAIT_CHANNELS.includes(e.channel));
    const request = eventsOf(trace, 'snapshot.request', 'receiver')[0];
    if (!wait) {
      return {
        passed: false,
        detail: `All ${plural(sends.length, 'message')} arrived in order, but the sender never waited: it sent them all while the receiver took none.`,
        hint:
          carrier === 'tcp' && trace.params.credits === false
            ? 'Without credits nothing counts messages on a TCP link: the kernel buffers bytes, and these few messages are far less than its socket buffers hold.'
            : sends.length <= capacity
              ? `Send more messages than the link holds (${capacity}).`
              : undefined,
        moment: request?.ts,
      };
    }
    const onLink = sends.filter((s) => before(s, wait)).length - 1; // the send that waits was announced just before
    const received = receives.filter((r) => before(r, wait)).length;
    const measurements = received === 0 ? { 'sent-before-wait': onLink } : undefined;
    const end = eventsOf(trace, 'io.end', 'sender').find((e) => e.op === 'wait' && e.channel === wait.channel && !before(e, wait));
    // The receiver's requested views whose reading of the sender's state fell inside this wait: the
    // one that shows it asleep, if any, else the first.
    const views = eventsOf(trace, 'snapshot.request', 'receiver')
      .map((r) => ({ sender: snapshotsFor(trace, r).get(wait.pid), receiver: snapshotsFor(trace, r).get(pidsOf(trace, 'receiver')[0] ?? -1) }))
      .filter((v) => v.sender && !before(v.sender, wait) && (!end || before({ ts: v.sender.stateReadBy ?? v.sender.ts }, end)));
    const view = views.find((v) => v.sender!.state.startsWith('S')) ?? views[0];
    const snapshot = view?.sender;
    const receiverSnapshot = view?.receiver;
    const object = eventsOf(trace, 'object.create', 'receiver').find((e) => e.object.type === 'shm' || e.object.type === 'mqueue')?.object.name;
    const duringWait = view !== undefined;
    const inSender = carrierSeen(carrier, snapshot?.fds, snapshot?.maps, object);
    const inReceiver = carrierSeen(carrier, receiverSnapshot?.fds, receiverSnapshot?.maps, object);
    const kernel = snapshot
      ? `kernel view: sender ${snapshot.state}${snapshot.wchan ? `, wchan ${snapshot.wchan}` : ''}; sender ${inSender ?? 'without the carrier'}; receiver ${inReceiver ?? 'without the carrier'}`
      : 'no kernel view of the sender during that wait';
    const detail = `The sender's send of message ${onLink + 1} waited on "${wait.channel}" with ${plural(onLink, 'message')} on the link and ${received} received (${kernel}).`;
    const passed = onLink === capacity && received === 0 && duringWait && !!snapshot?.state.startsWith('S') && !!inSender && !!inReceiver;
    return { passed, detail, moment: wait.ts, measurements };
  },
};

export const sharingChecks = {
  'segment-seen-by-all': segmentSeenByAll,
  'message-gone-for-others': messageGoneForOthers,
  'items-exactly-once': itemsExactlyOnce,
  'nobody-stuck': nobodyStuck,
  'link-waits-at-capacity': linkWaitsAtCapacity,
} satisfies Record<string, CheckDefinition>;
