/**
 * Checks over the student's own run of "Shared memory or message passing?": the measured steps here,
 * steps 03-05's (visibility, synchronisation, one link over three carriers) in sharing-checks.ts.
 *
 * Every figure is read off the trace: a phase's time from the `ts` of the events that bracket it (the
 * receiver's note before its "go" and its snapshot request or note after the last byte; the sender's
 * notes around the round trips), never from a time a program worked out; the bytes from the kernel's
 * own counters (/proc/<pid>/io in the snapshots the receivers asked for) and the receivers' counts. No
 * check requires a winner: two shared processors under load can put either model ahead, so the checks
 * test that the work was done and carried as the model says, and report the ratios this run measured.
 */
import { defineChecks, eventsOf, findLastIn, formatBytes, type ChartSeries, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { KernelIoCounters, StoredEventOf } from '../../main/contract/trace-events.js';
import { sharingChecks } from './sharing-checks.js';

type Mechanism = 'ring' | 'pipe' | 'mq';
const MECHANISMS: readonly Mechanism[] = ['ring', 'pipe', 'mq'];
const NAMES: Record<Mechanism, string> = { ring: 'the shared ring', pipe: 'the pipe', mq: 'the message queue' };

/** What carried each link in this run: the "ring" is pipes in the variant that takes shared memory away. */
function namesOf(trace: RunTrace): Record<Mechanism, string> {
  return trace.params.ringCarrier === 'pipe' ? { ...NAMES, ring: 'the "ring" link (pipes)' } : NAMES;
}
/** A reader the kernel did not carry the bytes to gains next to nothing in rchar: under 1% of them. */
const NOT_CARRIED = 0.01;

const t = (e: { ts: string }): bigint => BigInt(e.ts);

/**
 * What several lookups of one check share, worked out once per trace: a sweep's check asks for the
 * same events for each of up to 17 sizes and 3 mechanisms, over runs of up to 190,000 events, and a
 * fresh filter for each would cost seconds of the check's 5.
 */
const memo = new WeakMap<RunTrace, Map<string, unknown>>();
function cached<T>(trace: RunTrace, key: string, make: () => T): T {
  let entries = memo.get(trace);
  if (!entries) memo.set(trace, (entries = new Map()));
  if (!entries.has(key)) entries.set(key, make());
  return entries.get(key) as T;
}

const byTs = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** The times of one role's events of a kind on a channel (and op), sorted. */
function timesOf(trace: RunTrace, kind: 'io.begin' | 'buffer.level', role: string, channel: string, op?: string): bigint[] {
  const all = cached(trace, `${kind} ${role}`, () => {
    const grouped = new Map<string, bigint[]>();
    for (const e of eventsOf(trace, kind, role)) {
      const key = `${e.channel}\u0000${'op' in e ? e.op : ''}`;
      let list = grouped.get(key);
      if (!list) grouped.set(key, (list = []));
      list.push(t(e));
    }
    for (const list of grouped.values()) list.sort(byTs);
    return grouped;
  });
  return all.get(`${channel}\u0000${op ?? ''}`) ?? [];
}

/** The times in a sorted list strictly between two times. */
function between(times: bigint[], from: bigint, to: bigint): bigint[] {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= from) lo = mid + 1;
    else hi = mid;
  }
  const result: bigint[] = [];
  for (let i = lo; i < times.length && times[i]! < to; i++) result.push(times[i]!);
  return result;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

/** 64 MiB, or 67,108,865 bytes: exact either way. */
function bytesText(bytes: number): string {
  const short = formatBytes(bytes);
  return short.endsWith(' bytes') ? `${bytes.toLocaleString('en')} byte${bytes === 1 ? '' : 's'}` : short;
}

function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/** Bytes per second as MB/s (10^6 bytes), to 3 significant digits, from bytes and nanoseconds. */
function mbPerSecond(bytes: number, ns: bigint): number {
  return ns > 0n ? Number(((bytes * 1e3) / Number(ns)).toPrecision(3)) : NaN;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Only the measurements that are numbers: one the trace did not show is left out, never NaN. */
function finite(measurements: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(measurements).filter((entry): entry is [string, number] => Number.isFinite(entry[1])));
}

function processOf(trace: RunTrace, role: string) {
  return trace.processes.find((p) => p.role === role);
}

/** The snapshot the engine took of `pid` for the request named `reason` (lab.snapshot waits for it). */
function snapshotOf(trace: RunTrace, reason: string, pid: number | undefined): StoredEventOf<'kernel.snapshot'> | undefined {
  const request = eventsOf(trace, 'snapshot.request').find((r) => r.reason === reason);
  if (!request || pid === undefined) return undefined;
  return eventsOf(trace, 'kernel.snapshot').find((s) => s.pid === pid && s.requested === reason && t(s) >= t(request));
}

interface KernelDelta {
  io?: KernelIoCounters;
  voluntary?: number;
  involuntary?: number;
}

/** What the kernel counted for `pid` between two requested snapshots. */
function kernelDelta(trace: RunTrace, pid: number | undefined, from: string, to: string): KernelDelta {
  const a = snapshotOf(trace, from, pid);
  const b = snapshotOf(trace, to, pid);
  const delta: KernelDelta = {};
  if (a?.io && b?.io)
    delta.io = { rchar: b.io.rchar - a.io.rchar, wchar: b.io.wchar - a.io.wchar, syscr: b.io.syscr - a.io.syscr, syscw: b.io.syscw - a.io.syscw };
  if (a?.switches && b?.switches) {
    delta.voluntary = b.switches.voluntary - a.switches.voluntary;
    delta.involuntary = b.switches.involuntary - a.switches.involuntary;
  }
  return delta;
}

function noteAt(trace: RunTrace, role: string, text: string): StoredEventOf<'note'> | undefined {
  return eventsOf(trace, 'note', role).find((n) => n.text === text);
}

function measureOf(trace: RunTrace, role: string, name: string): StoredEventOf<'measure'> | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name);
}

/** Who ran a phase's loop: the TypeScript program, a call at a time, or one C loop in the addon. */
type Language = 'ts' | 'c';
const LANGUAGE_NAMES: Record<Language, string> = { ts: 'TypeScript', c: 'C' };
/** The channel of a C loop's single traced call (measure-carriers.ts nativeChannel). */
const nativeChannel = (m: Mechanism): string => `${m} ping, C loop`;

interface LoopCall {
  begin: StoredEventOf<'io.begin'>;
  end: StoredEventOf<'io.end'>;
}

/**
 * The C loops one process ran on a mechanism, in time order: each is one io.begin and one io.end on
 * the loop's channel (main/runtime/native-loops.ts tracedLoop), stamped just before the loop starts
 * and just after it returns.
 */
function loopCalls(trace: RunTrace, role: string, mechanism: Mechanism, op: 'read' | 'write'): LoopCall[] {
  return cached(trace, `loops ${role} ${mechanism} ${op}`, () => findLoopCalls(trace, role, mechanism, op));
}

function findLoopCalls(trace: RunTrace, role: string, mechanism: Mechanism, op: 'read' | 'write'): LoopCall[] {
  // Held whole, not streamed: loopCalls runs for every mechanism, role and op of the run, and each
  // stream would read and parse the kind again (a same-job run under load then went over the 5 s limit);
  // loaded once, it is shared by all of them (at most ~190,000 events within the event budget).
  const mine = <E extends { channel: string; op: string; ts: string }>(events: E[]) =>
    events.filter((e) => e.channel === nativeChannel(mechanism) && e.op === op).sort((a, b) => (t(a) < t(b) ? -1 : t(a) > t(b) ? 1 : 0));
  const begins = mine(eventsOf(trace, 'io.begin', role));
  const ends = mine(eventsOf(trace, 'io.end', role));
  return ends.flatMap((end) => {
    const begin = begins.filter((b) => b.pid === end.pid && t(b) <= t(end)).at(-1);
    return begin ? [{ begin, end }] : [];
  });
}

interface TripFigures {
  count: number;
  p50Us?: number;
  meanUs: number;
}

/**
 * The round trips of one phase. TypeScript: from the sender's own events, each ping starts with a
 * write (a pipe's io.begin) or ends in a buffer level (a ring's put, a queue's send) on "<mechanism>
 * ping", and the phase ends with the sender's note after the last pong; round trip i is the time from
 * ping i to ping i + 1 (the last: to that note), and the median leaves out the slow ones a loaded
 * machine adds. C: the ping loop's one traced call gives the mean (its time over the round trips),
 * and the loop's own median, timed on the trace's clock, comes as the sender's measure.
 */
function roundTripsOf(
  trace: RunTrace,
  mechanism: Mechanism,
  language: Language,
  phase: string,
  loop: { messageBytes: number; nth: number },
): TripFigures | undefined {
  if (language === 'c') {
    // The sender's C loops on a mechanism alternate: a bulk transfer, then its round trips.
    const call = loopCalls(trace, 'sender', mechanism, 'write').filter((_, i) => i % 2 === 1)[loop.nth];
    const wanted = call && call.end.bytes > 0 ? call.end.bytes : 0;
    if (!call || wanted === 0) return undefined;
    const bytes = loop.messageBytes;
    const p50 = eventsOf(trace, 'measure', 'sender').find((m) => m.name === `${phase} C round trip p50` && t(m) >= t(call.end));
    // Each round trip moves its message both ways: 2 x bytes per round trip.
    const count = bytes > 0 ? Math.round(wanted / (2 * bytes)) : 0;
    return { count, ...(p50 ? { p50Us: round(p50.value, 2) } : {}), meanUs: round(Number(t(call.end) - t(call.begin)) / 1e3 / Math.max(count, 1), 2) };
  }
  const start = noteAt(trace, 'sender', `${phase}: start`);
  const end = noteAt(trace, 'sender', `${phase}: end`);
  if (!start || !end) return undefined;
  const channel = `${mechanism} ping`;
  // One sender process: its events between its two notes are this phase's.
  const writes = between(timesOf(trace, 'io.begin', 'sender', channel, 'write'), t(start), t(end));
  const marks = writes.length > 0 ? writes : between(timesOf(trace, 'buffer.level', 'sender', channel), t(start), t(end));
  if (marks.length === 0) return undefined;
  marks.push(t(end));
  const gaps = marks.slice(1).map((m, i) => Number(m - marks[i]!) / 1e3);
  return { count: gaps.length, p50Us: round(median(gaps), 1), meanUs: round(Number(t(end) - t(start)) / 1e3 / gaps.length, 1) };
}

interface BulkPhase {
  mechanism: Mechanism;
  language: Language;
  pid?: number;
  /** What the receiver took: its count (TypeScript), the bytes its loop's io.end says (C). */
  received?: number;
  ns?: bigint;
  rateMBs?: number;
  receiver: KernelDelta;
  sender: KernelDelta;
  /** Set when the phase is not all in the trace: what is missing. */
  missing?: string;
}

/**
 * The bulk phase of one mechanism in the "same job" scenario, in one language: its time, its bytes,
 * the kernel's counts between the receiver's snapshots around it. TypeScript: from the receiver's note
 * before its "go" to its snapshot request after the last byte. C: the receiver's loop call.
 */
function bulkPhase(trace: RunTrace, mechanism: Mechanism, language: Language = 'ts'): BulkPhase {
  const role = `${mechanism}-receiver`;
  const receiver = processOf(trace, role);
  const sender = processOf(trace, 'sender');
  const tag = language === 'c' ? `${mechanism} C bulk` : `${mechanism} bulk`;
  const base: BulkPhase = {
    mechanism,
    language,
    pid: receiver?.pid,
    receiver: kernelDelta(trace, receiver?.pid, `before ${tag}`, `after ${tag}`),
    sender: kernelDelta(trace, sender?.pid, `before ${tag}`, `after ${tag}`),
  };
  if (!receiver) return { ...base, missing: `no ${role} ran` };
  if (language === 'c') {
    const call = loopCalls(trace, role, mechanism, 'read')[0];
    if (!call) return { ...base, missing: `the ${role} ran no C loop` };
    const ns = t(call.end) - t(call.begin);
    return { ...base, received: call.end.bytes, ns, rateMBs: mbPerSecond(call.end.bytes, ns) };
  }
  const start = noteAt(trace, role, `${mechanism} bulk: start`);
  const after = eventsOf(trace, 'snapshot.request', role).find((r) => r.reason === `after ${mechanism} bulk`);
  const received = measureOf(trace, role, `${mechanism} bytes received`)?.value;
  if (!start || !after || received === undefined) return { ...base, received, missing: `the ${role} did not finish the transfer` };
  const ns = t(after) - t(start);
  return { ...base, received, ns, rateMBs: mbPerSecond(received, ns) };
}

/** Whether the kernel's count says read(2) carried the bytes to this receiver: yes, no, or unknown. */
function carriedByRead(phase: BulkPhase, bytes: number): boolean | undefined {
  const rchar = phase.receiver.io?.rchar;
  if (rchar === undefined) return undefined;
  if (rchar >= bytes) return true;
  if (rchar < bytes * NOT_CARRIED) return false;
  return undefined;
}

/** What the kernel says about the two readers a check relies on: the pipe's (carried) and the ring's (not). */
function kernelVerdict(phases: Record<Mechanism, BulkPhase>, payload: number): { ok: boolean; problem?: string; hint?: string } {
  const loop = (p: BulkPhase) => (p.language === 'c' ? ' (C loop)' : '');
  for (const phase of Object.values(phases)) {
    if (phase.missing) return { ok: false, problem: `${NAMES[phase.mechanism]}${loop(phase)}: ${phase.missing}.` };
    if (phase.received !== payload)
      return {
        ok: false,
        problem: `The ${phase.mechanism}-receiver${loop(phase)} took ${bytesText(phase.received ?? 0)} of ${bytesText(payload)} through ${NAMES[phase.mechanism]}.`,
      };
    if (!phase.receiver.io)
      return {
        ok: false,
        problem: `The kernel view has no /proc/<pid>/io counters for the ${phase.mechanism}-receiver at both ends of its transfer${loop(phase)}.`,
      };
  }
  if (carriedByRead(phases.pipe, payload) !== true)
    return {
      ok: false,
      problem: `The pipe's reader${loop(phases.pipe)} gained only ${bytesText(phases.pipe.receiver.io!.rchar)} of rchar for ${bytesText(payload)} through read(2).`,
    };
  if (carriedByRead(phases.ring, payload) !== false)
    return {
      ok: false,
      problem: `The "ring" link's reader${loop(phases.ring)} gained ${bytesText(phases.ring.receiver.io!.rchar)} of rchar (/proc/${phases.ring.pid}/io) while it took ${bytesText(payload)}: read(2) carried the bytes, so they went through the kernel, not through a shared segment.`,
      hint: 'The ring link was carried by pipes (What carries the "ring" link: pipe). Put it back in the shared segment to compare the two models.',
    };
  return { ok: true };
}

function bulkPhases(trace: RunTrace, language: Language = 'ts'): Record<Mechanism, BulkPhase> {
  return Object.fromEntries(MECHANISMS.map((m) => [m, bulkPhase(trace, m, language)])) as Record<Mechanism, BulkPhase>;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : undefined;
}

const LANGUAGES: readonly Language[] = ['ts', 'c'];
/** Measurement ids: the TypeScript figure keeps the plain id, the C loop's adds "-c". */
const suffix = (language: Language): string => (language === 'c' ? '-c' : '');

const sameJobMeasures = Object.fromEntries(
  LANGUAGES.flatMap((l) => {
    const by = l === 'c' ? ', C loops' : ', TypeScript';
    return [
      [
        `ring-throughput${suffix(l)}`,
        { unit: 'MB/s', title: `the ring's bulk transfer: bytes taken over the time from the receiver's go to its last byte${by}` },
      ],
      [`pipe-throughput${suffix(l)}`, { unit: 'MB/s', title: `the pipe's bulk transfer, the same way${by}` }],
      [`mq-throughput${suffix(l)}`, { unit: 'MB/s', title: `the message queue's bulk transfer, the same way${by}` }],
      [`ring-round-trip${suffix(l)}`, { unit: 'µs', title: `median round trip through the ring (ping and pong)${by}` }],
      [`pipe-round-trip${suffix(l)}`, { unit: 'µs', title: `median round trip through the two pipes${by}` }],
      [`mq-round-trip${suffix(l)}`, { unit: 'µs', title: `median round trip through the two queues${by}` }],
      [`ring-to-pipe-throughput${suffix(l)}`, { unit: 'times', title: `the ring's throughput divided by the pipe's${by}` }],
      [`pipe-to-ring-round-trip${suffix(l)}`, { unit: 'times', title: `the pipe's median round trip divided by the ring's${by}` }],
    ];
  }),
);

const sameJobMeasured = {
  title: 'The same bytes went through the ring, the pipe and the queue, and the same round trips, from TypeScript and from C; each was timed from the trace',
  hint: 'Each receiver takes the whole payload between its two snapshots, then answers every ping, first in TypeScript, then in a C loop: look for a receiver that stopped early.',
  measures: sameJobMeasures,
  check(trace: RunTrace): CheckOutcome {
    const payload = Number(trace.params.payloadMiB) * 1024 * 1024;
    const wanted = Number(trace.params.roundTrips);
    const names = namesOf(trace);
    const per = LANGUAGES.map((language) => {
      const phases = bulkPhases(trace, language);
      const loop = { messageBytes: Number(trace.params.messageBytes), nth: 0 };
      const trips = Object.fromEntries(MECHANISMS.map((m) => [m, roundTripsOf(trace, m, language, language === 'c' ? m : `${m} round trips`, loop)])) as Record<
        Mechanism,
        TripFigures | undefined
      >;
      return { language, phases, trips };
    });
    const measurements = finite(
      Object.fromEntries(
        per.flatMap(({ language, phases, trips }) => [
          ...MECHANISMS.flatMap((m) => [
            [`${m}-throughput${suffix(language)}`, phases[m].rateMBs],
            [`${m}-round-trip${suffix(language)}`, trips[m]?.p50Us],
          ]),
          [`ring-to-pipe-throughput${suffix(language)}`, ratio(phases.ring.rateMBs, phases.pipe.rateMBs)],
          [`pipe-to-ring-round-trip${suffix(language)}`, ratio(trips.pipe?.p50Us, trips.ring?.p50Us)],
        ]),
      ),
    );
    const figures = MECHANISMS.map((m) => {
      const side = per.map(({ language, phases, trips }) => {
        const p = phases[m];
        const r = trips[m];
        const rate = p.rateMBs !== undefined ? `${p.rateMBs} MB/s` : 'no bulk figure';
        const trip = r ? `${r.p50Us ?? '?'} µs median (${r.meanUs} µs mean)` : 'no round trips';
        return `${LANGUAGE_NAMES[language]} ${rate}, ${trip}`;
      });
      return `${names[m]}: ${side.join('; ')}`;
    }).join('. ');
    const ratios = per
      .map(({ language }) => {
        const [bulk, trip] = [measurements[`ring-to-pipe-throughput${suffix(language)}`], measurements[`pipe-to-ring-round-trip${suffix(language)}`]];
        return bulk !== undefined && trip !== undefined
          ? `${LANGUAGE_NAMES[language]}, the ring moved ${bulk}× the pipe's bytes per second and the pipe's round trip took ${trip}× the ring's`
          : '';
      })
      .filter(Boolean)
      .join('; ');
    const ratioText = ratios ? ` This run: ${ratios}.` : '';
    const lastPhase = eventsOf(trace, 'note', 'sender')
      .filter((n) => n.text.endsWith('round trips: end'))
      .at(-1);
    for (const { language, phases, trips } of per) {
      const verdict = kernelVerdict(phases, payload);
      if (!verdict.ok) return { passed: false, detail: `${verdict.problem} ${figures}.`, ...(verdict.hint ? { hint: verdict.hint } : {}), measurements };
      const short = MECHANISMS.find((m) => !trips[m] || trips[m]!.count !== wanted);
      if (short)
        return {
          passed: false,
          detail: `${names[short]} (${LANGUAGE_NAMES[language]}): ${trips[short] ? plural(trips[short]!.count, 'round trip') : 'no round trips'} of ${wanted} in the sender's trace. ${figures}.`,
          measurements,
        };
    }
    const [ts, c] = [per[0]!.phases, per[1]!.phases];
    return {
      passed: true,
      detail:
        `Each receiver took all ${bytesText(payload)} twice, from TypeScript and from a C loop: the pipe's reader's rchar grew by ${bytesText(ts.pipe.receiver.io!.rchar)} and ${bytesText(c.pipe.receiver.io!.rchar)}, ` +
        `the ring's by ${bytesText(ts.ring.receiver.io!.rchar)} and ${bytesText(c.ring.receiver.io!.rchar)}; ${plural(wanted, 'round trip')} went through each, both ways. ${figures}.${ratioText}`,
      moment: lastPhase?.ts,
      measurements,
    };
  },
};

function describeDelta(role: string, d: KernelDelta): string {
  if (!d.io) return `${role}: no counters`;
  const switches = d.voluntary !== undefined ? `, ${plural(d.voluntary, 'voluntary switch')}`.replace('switchs', 'switches') : '';
  return `${role} rchar +${bytesText(d.io.rchar)} in ${plural(d.io.syscr, 'read call')}, wchar +${bytesText(d.io.wchar)}${switches}`;
}

/** The C loops' transfers, as the kernel counted them for their readers: the same story without JavaScript. */
function loopsText(phases: Record<Mechanism, BulkPhase>): string {
  const rchar = MECHANISMS.map((m) => (phases[m].receiver.io ? `${NAMES[m].replace(/^the /, '')} +${bytesText(phases[m].receiver.io!.rchar)}` : undefined));
  return rchar.every(Boolean) ? ` The same transfers by C loops: the readers' rchar ${rchar.join(', ')}.` : '';
}

const kernelInvolvement = {
  title: "The kernel carried the pipe's bytes through read() and write(), and none of the ring's",
  hint: "Each receiver asks for a kernel snapshot just before its transfer and just after it: compare the receivers' rchar and voluntary context switches between the two.",
  measures: {
    'pipe-reader-rchar': { unit: 'bytes', title: "bytes the pipe receiver's rchar (/proc/<pid>/io) grew by during its transfer" },
    'ring-reader-rchar': { unit: 'bytes', title: "bytes the ring receiver's rchar grew by during its transfer" },
    'mq-reader-rchar': { unit: 'bytes', title: "bytes the queue receiver's rchar grew by during its transfer" },
    'pipe-reader-switches': { unit: 'switches', title: 'voluntary context switches of the pipe receiver during its transfer (/proc/<pid>/status)' },
    'ring-reader-switches': { unit: 'switches', title: 'voluntary context switches of the ring receiver during its transfer' },
    'mq-reader-switches': { unit: 'switches', title: 'voluntary context switches of the queue receiver during its transfer' },
  },
  check(trace: RunTrace): CheckOutcome {
    const payload = Number(trace.params.payloadMiB) * 1024 * 1024;
    const phases = bulkPhases(trace);
    const measurements = finite({
      'pipe-reader-rchar': phases.pipe.receiver.io?.rchar,
      'ring-reader-rchar': phases.ring.receiver.io?.rchar,
      'mq-reader-rchar': phases.mq.receiver.io?.rchar,
      'pipe-reader-switches': phases.pipe.receiver.voluntary,
      'ring-reader-switches': phases.ring.receiver.voluntary,
      'mq-reader-switches': phases.mq.receiver.voluntary,
    });
    const names = namesOf(trace);
    const table = MECHANISMS.map((m) => `${names[m]}: ${describeDelta('receiver', phases[m].receiver)}; ${describeDelta('sender', phases[m].sender)}`).join(
      '. ',
    );
    const verdict = kernelVerdict(phases, payload);
    const moment = snapshotOf(trace, 'after ring bulk', phases.ring.pid)?.ts;
    if (!verdict.ok)
      return {
        passed: false,
        detail: `${verdict.problem} ${table}.`,
        ...(verdict.hint ? { hint: verdict.hint } : {}),
        ...(moment ? { moment } : {}),
        measurements,
      };
    return {
      passed: true,
      detail: `For ${bytesText(payload)} each, between each receiver's two snapshots: ${table}.${loopsText(bulkPhases(trace, 'c'))}`,
      ...(moment ? { moment } : {}),
      measurements,
    };
  },
};

// The sweep.

interface SweepPoint {
  size: number;
  rateMBs?: number;
  p50Us?: number;
}

/** The sizes a sweep's parameters give, as the programs compute them (measure-phases.ts sweepSizes). */
function sweepSizes(trace: RunTrace): number[] {
  const factor = trace.params.sizeStep === 'x2' ? 2 : 4;
  const sizes: number[] = [];
  for (let size = Number(trace.params.smallestBytes); size <= Number(trace.params.largestBytes); size *= factor) sizes.push(size);
  return sizes;
}

/**
 * One mechanism's points, in one language. TypeScript: each size's bulk phase from the receiver's notes
 * around it, its bytes from the receiver's count. C: the receiver's C loops alternate, a bulk transfer
 * and then its pongs, one pair per size the mechanism carried; each loop call gives its time and bytes.
 */
function sweepPoints(trace: RunTrace, mechanism: Mechanism, language: Language): SweepPoint[] {
  const role = `${mechanism}-receiver`;
  const bulkLoops = language === 'c' ? loopCalls(trace, role, mechanism, 'read').filter((_, i) => i % 2 === 0) : [];
  return sweepSizes(trace).flatMap((size, index) => {
    if (language === 'c') {
      const call = bulkLoops[index];
      if (!call) return [];
      const trips = roundTripsOf(trace, mechanism, 'c', `${mechanism} ${size} B`, { messageBytes: size, nth: index });
      return [{ size, rateMBs: mbPerSecond(call.end.bytes, t(call.end) - t(call.begin)), p50Us: trips?.p50Us }];
    }
    const start = noteAt(trace, role, `${mechanism} ${size} B bulk: start`);
    const end = noteAt(trace, role, `${mechanism} ${size} B bulk: end`);
    const received = measureOf(trace, role, `${mechanism} ${size} B bytes received`)?.value;
    if (!start || !end || received === undefined) return [];
    const trips = roundTripsOf(trace, mechanism, 'ts', `${mechanism} ${size} B round trips`, { messageBytes: size, nth: index });
    return [{ size, rateMBs: mbPerSecond(received, t(end) - t(start)), p50Us: trips?.p50Us }];
  });
}

/** Sizes between which the leader changes (by the figure `of`), as this run measured them. */
function crossovers(
  a: SweepPoint[],
  b: SweepPoint[],
  of: (p: SweepPoint) => number | undefined,
  higherIsBetter: boolean,
): { from: number; to: number; leader: 'a' | 'b' }[] {
  const lead = a.flatMap((p) => {
    const q = b.find((x) => x.size === p.size);
    const [x, y] = [of(p), q && of(q)];
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y) || x === y) return [];
    return [{ size: p.size, leader: x > y === higherIsBetter ? ('a' as const) : ('b' as const) }];
  });
  return lead.slice(1).flatMap((p, i) => (p.leader !== lead[i]!.leader ? [{ from: lead[i]!.size, to: p.size, leader: p.leader }] : []));
}

function sizeText(bytes: number): string {
  return bytesText(bytes).replace(' bytes', ' B');
}

const whereEachWins = {
  title:
    'Every message size was measured through each mechanism the size fits, from TypeScript and from C, and the queue refused the first size beyond its limit',
  hint: 'Each receiver takes every size in turn; a size missing from a curve means that phase did not finish. The queue stops at its message size, at most msgsize_max.',
  measures: {
    'mq-largest-message': { unit: 'bytes', title: 'the largest message size the queue carried in this sweep' },
    'mq-refused-size': { unit: 'bytes', title: 'the message size whose mq_send the kernel refused with EMSGSIZE' },
    ...Object.fromEntries(
      LANGUAGES.flatMap((l) => {
        const by = l === 'c' ? ', C loops' : ', TypeScript';
        return [
          [`ring-to-pipe-throughput-smallest${suffix(l)}`, { unit: 'times', title: `at the smallest size: the ring's throughput divided by the pipe's${by}` }],
          [`ring-to-pipe-throughput-largest${suffix(l)}`, { unit: 'times', title: `at the largest size: the ring's throughput divided by the pipe's${by}` }],
          [
            `pipe-to-ring-round-trip-smallest${suffix(l)}`,
            { unit: 'times', title: `at the smallest size: the pipe's median round trip divided by the ring's${by}` },
          ],
        ];
      }),
    ),
  },
  charts: {
    throughput: {
      title: 'Bulk throughput against message size',
      x: { label: 'Message size', unit: 'bytes', scale: 'log2' as const },
      y: { label: 'Throughput', unit: 'MB/s' },
    },
    'round-trip': {
      title: 'Median round trip against message size',
      x: { label: 'Message size', unit: 'bytes', scale: 'log2' as const },
      y: { label: 'Round trip', unit: 'µs' },
    },
  },
  check(trace: RunTrace): CheckOutcome {
    const sizes = sweepSizes(trace);
    if (sizes.length === 0)
      return {
        passed: false,
        detail: `The smallest message (${trace.params.smallestBytes} bytes) is larger than the largest (${trace.params.largestBytes} bytes): the sweep had no size to measure.`,
        hint: 'Make Smallest message at most Largest message.',
      };
    const curves = Object.fromEntries(
      LANGUAGES.map((l) => [l, Object.fromEntries(MECHANISMS.map((m) => [m, sweepPoints(trace, m, l)])) as Record<Mechanism, SweepPoint[]>]),
    ) as Record<Language, Record<Mechanism, SweepPoint[]>>;
    const points = curves.ts;
    const names = namesOf(trace);
    // Six curves: each mechanism from TypeScript and from C, side by side from the same run.
    const series = (of: (p: SweepPoint) => number | undefined): ChartSeries[] =>
      LANGUAGES.flatMap((l) =>
        MECHANISMS.map((m) => ({
          name: `${names[m].replace(/^the /, '')}, ${LANGUAGE_NAMES[l]}`,
          points: curves[l][m].flatMap((p) => {
            const y = of(p);
            return y !== undefined && Number.isFinite(y) ? [{ x: p.size, y }] : [];
          }),
        })),
      );
    const charts = { throughput: series((p) => p.rateMBs), 'round-trip': series((p) => p.p50Us) };
    // The queue's link shows one write attempt (io.begin with its bytes), the one past its message size.
    const refused = eventsOf(trace, 'io.error', 'sender').find((e) => e.channel === 'mq ping' && e.code === 'EMSGSIZE');
    const refusedSize = findLastIn(
      trace.stream('io.begin', 'sender'),
      (e) => e.channel === 'mq ping' && e.op === 'write' && (!refused || t(e) <= t(refused)),
    )?.bytes;
    const mqLargest = points.mq.at(-1)?.size;
    const [first, last] = [sizes[0]!, sizes.at(-1)!];
    const at = (m: Mechanism, size: number, l: Language = 'ts') => curves[l][m].find((p) => p.size === size);
    const measurements = finite({
      'mq-largest-message': mqLargest,
      'mq-refused-size': refused ? refusedSize : undefined,
      ...Object.fromEntries(
        LANGUAGES.flatMap((l) => [
          [`ring-to-pipe-throughput-smallest${suffix(l)}`, ratio(at('ring', first, l)?.rateMBs, at('pipe', first, l)?.rateMBs)],
          [`ring-to-pipe-throughput-largest${suffix(l)}`, ratio(at('ring', last, l)?.rateMBs, at('pipe', last, l)?.rateMBs)],
          [`pipe-to-ring-round-trip-smallest${suffix(l)}`, ratio(at('pipe', first, l)?.p50Us, at('ring', first, l)?.p50Us)],
        ]),
      ),
    });
    const fail = (detail: string, hint?: string): CheckOutcome => ({ passed: false, detail, ...(hint ? { hint } : {}), measurements, charts });
    for (const l of LANGUAGES)
      for (const m of MECHANISMS) {
        // The queue's sizes end at its message size (checked below); the ring and the pipe carry them all.
        const mqSizes = points.mq.map((p) => p.size);
        const missing = (m === 'mq' ? mqSizes : sizes).filter((s) => !at(m, s, l));
        if (missing.length) return fail(`${names[m]} (${LANGUAGE_NAMES[l]}) has no measurement at ${missing.map(sizeText).join(', ')}.`);
      }
    // The kernel's view of the whole sweep: the pipe's reader read() every byte, the ring's none.
    const total = (m: Mechanism) => measureOf(trace, `${m}-receiver`, `${m} sweep bytes received`)?.value;
    const rchar = (m: Mechanism) => kernelDelta(trace, processOf(trace, `${m}-receiver`)?.pid, `before the ${m} sweep`, `after the ${m} sweep`).io?.rchar;
    const [ringBytes, pipeBytes, ringRchar, pipeRchar] = [total('ring'), total('pipe'), rchar('ring'), rchar('pipe')];
    if (ringBytes === undefined || pipeBytes === undefined || ringRchar === undefined || pipeRchar === undefined)
      return fail('The kernel view lacks the /proc/<pid>/io counters of the ring and pipe receivers around their sweeps.');
    if (pipeRchar < pipeBytes) return fail(`The pipe's reader gained ${bytesText(pipeRchar)} of rchar for ${bytesText(pipeBytes)} taken.`);
    if (ringRchar >= ringBytes * NOT_CARRIED)
      return fail(
        `The "ring" reader's rchar grew by ${bytesText(ringRchar)} while it took ${bytesText(ringBytes)}: read(2) carried the sweep, so these are not shared-memory figures.`,
        'The ring link was carried by pipes (What carries the "ring" link: pipe). Put it back in the shared segment.',
      );
    // The queue: every size up to its message size, and EMSGSIZE at the first one beyond (mq_send(3)).
    const beyond = sizes.find((s) => !at('mq', s));
    if (beyond !== undefined && (!refused || refusedSize !== beyond))
      return fail(`The queue has no measurement at ${sizeText(beyond)}, and the kernel refused no send of that size with EMSGSIZE.`);
    if (beyond !== undefined && sizes.some((s) => s > beyond && at('mq', s)))
      return fail(`The queue skipped ${sizeText(beyond)} but has larger sizes measured.`);
    const leaderText = (f: { from: number; to: number; leader: 'a' | 'b' }) =>
      `between ${sizeText(f.from)} and ${sizeText(f.to)} (${f.leader === 'a' ? 'the ring' : 'the pipe'} ahead from there)`;
    const list = (flips: { from: number; to: number; leader: 'a' | 'b' }[]) => (flips.length ? flips.map(leaderText).join(', ') : 'none');
    const crossoverText =
      'Crossovers between the ring and the pipe found on this machine in this run: ' +
      LANGUAGES.map((l) => {
        const [ring, pipe] = [curves[l].ring, curves[l].pipe];
        return `${LANGUAGE_NAMES[l]}, throughput ${list(crossovers(ring, pipe, (p) => p.rateMBs, true))} and round trip ${list(crossovers(ring, pipe, (p) => p.p50Us, false))}`;
      }).join('; ') +
      '.';
    const queueText =
      beyond !== undefined
        ? ` The queue carried up to ${sizeText(mqLargest ?? 0)}; a send of ${sizeText(beyond)} got ${refused!.code}.`
        : ` The queue carried every size, up to ${sizeText(last)}.`;
    return {
      passed: true,
      detail:
        `${sizes.length} sizes from ${sizeText(first)} to ${sizeText(last)} through the ring and the pipe (the pipe's reader's rchar +${bytesText(pipeRchar)} for ${bytesText(pipeBytes)}, the ring's +${bytesText(ringRchar)}).` +
        `${queueText} ${crossoverText}`,
      moment: refused?.ts ?? eventsOf(trace, 'note', 'sender').at(-1)?.ts,
      measurements,
      charts,
    };
  },
};

export default defineChecks({
  ...sharingChecks,
  'same-job-measured': sameJobMeasured,
  'kernel-carries-messages': kernelInvolvement,
  'where-each-wins': whereEachWins,
});
