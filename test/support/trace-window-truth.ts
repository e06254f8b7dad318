/**
 * What a trace.window answer must say, computed straight from the raw events (no summaries): for the
 * unit test's synthetic runs and the integration test's real ones.
 */
import assert from 'node:assert/strict';
import { TRACE_WINDOW_MAX_ITEMS, type TraceWindow } from '../../main/contract/commands.js';
import { BLOCKED_THRESHOLD_NS, markKindOf, type MarkKind } from '../../main/contract/trace-marks.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import { itemCount } from '../../main/engine/trace-window.js';

/** An event as these checks read it: `t` in ns since the run started, `fields` its JSON fields. */
export interface Event {
  seq: number;
  t: number;
  pid: number;
  kind: string;
  fields: Record<string, unknown>;
}

/** Stored events as Events, against the run's startTs. */
export function eventsOf(stored: readonly StoredEvent[], startTs: string): Event[] {
  const start = BigInt(startTs);
  return stored.map((e) => ({ seq: e.seq, t: Number(BigInt(e.ts) - start), pid: e.pid, kind: e.kind, fields: e as unknown as Record<string, unknown> }));
}

/** What the raw events say, computed here independently of the summaries. */
export function truthOf(events: Event[]) {
  const marks: { pid: number; t: number; kind: MarkKind; seq: number }[] = [];
  const bars: { pid: number; t0: number; t1: number; op: string; channel: string; code: string | null; seq: number }[] = [];
  const arrows: { fromPid: number; t0: number; toPid: number; t1: number; fromSeq: number; toSeq: number }[] = [];
  const levels = new Map<string, { t: number; used: number; seq: number }[]>();
  const open = new Map<string, number>();
  const waiting = new Map<string, Event[]>();
  const rpc = rpcArrowsOf(events);
  for (const e of events) {
    const kind = markKindOf(e.kind, e.fields.signal);
    if (kind) marks.push({ pid: e.pid, t: e.t, kind, seq: e.seq });
    const f = e.fields;
    if (e.kind === 'io.begin') open.set(`${e.pid} ${String(f.op)} ${String(f.channel)}`, e.t);
    if (e.kind === 'io.end' && BigInt(String(f.durationNs)) > BLOCKED_THRESHOLD_NS)
      bars.push({ pid: e.pid, t0: e.t - Number(f.durationNs), t1: e.t, op: String(f.op), channel: String(f.channel), code: null, seq: e.seq });
    // An io.error closes the call its io.begin opened; it is a bar when that call blocked long enough.
    if (e.kind === 'io.error') {
      const key = `${e.pid} ${String(f.op)} ${String(f.channel)}`;
      const t0 = open.get(key);
      open.delete(key);
      if (t0 !== undefined && BigInt(e.t - t0) > BLOCKED_THRESHOLD_NS)
        bars.push({ pid: e.pid, t0, t1: e.t, op: String(f.op), channel: String(f.channel), code: String(f.code), seq: e.seq });
    }
    if (e.kind === 'io.end') open.delete(`${e.pid} ${String(f.op)} ${String(f.channel)}`);
    if (e.kind === 'io.eof') open.delete(`${e.pid} read ${String(f.channel)}`);
    if (e.kind === 'buffer.level') {
      const list = levels.get(String(f.channel)) ?? [];
      list.push({ t: e.t, used: Number(f.used), seq: e.seq });
      levels.set(String(f.channel), list);
    }
    const key =
      e.kind === 'message.send' || e.kind === 'message.receive'
        ? `${String(f.channel)}#${String(f.messageId)}`
        : e.kind === 'socket.connect'
          ? `${String(f.local)}>${String(f.remote)}`
          : e.kind === 'socket.accept'
            ? `${String(f.remote)}>${String(f.local)}`
            : null;
    if (key === null) continue;
    const sends = e.kind === 'message.send' || e.kind === 'socket.connect';
    const mine = `${sends ? 'send' : 'receive'} ${key}`;
    const theirs = `${sends ? 'receive' : 'send'} ${key}`;
    const other = waiting.get(theirs)?.find((w) => w.pid !== e.pid);
    if (!other) waiting.set(mine, [...(waiting.get(mine) ?? []), e]);
    else {
      waiting.set(
        theirs,
        waiting.get(theirs)!.filter((w) => w !== other),
      );
      const [from, to] = sends ? [e, other] : [other, e];
      arrows.push({ fromPid: from.pid, t0: from.t, toPid: to.pid, t1: to.t, fromSeq: from.seq, toSeq: to.seq });
    }
  }
  for (const list of levels.values()) list.sort((a, b) => a.t - b.t || a.seq - b.seq);
  arrows.push(...rpc);
  return { marks, bars, arrows, levels };
}

/**
 * RPC arrows as main/contract/trace-arrows.ts defines them, worked out the plain way (not with its
 * code): in stored order, an end that takes a message pairs with the latest end left that sent it
 * (another process, same xid, same channel unless one is the link's fault, stamped no later), an end
 * that sends with the earliest taker left stamped no earlier.
 */
export function rpcArrowsOf(events: readonly Event[]): Truth['arrows'] {
  const arrows: Truth['arrows'] = [];
  const left: { e: Event; arrow: string; sends: boolean }[] = [];
  const clients = new Set<string>();
  const replies = ['RPC_MISMATCH', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];
  for (const e of events) {
    const f = e.fields;
    if (typeof f.xid !== 'number') continue;
    const call = `${e.pid} ${String(f.channel)} ${f.xid}`;
    const ends: [string, boolean][] = [];
    if (e.kind === 'rpc.call') {
      clients.add(call);
      ends.push(['call', true]);
    }
    if (e.kind === 'rpc.execute' || (e.kind === 'rpc.duplicate' && f.action === 'replayed')) ends.push(['call', false], ['reply', true]);
    if (e.kind === 'rpc.duplicate' && f.action === 'dropped') ends.push(['call', false]);
    if (e.kind === 'rpc.error' && clients.has(call) && f.code !== 'unknown') ends.push(['reply', false]);
    if (e.kind === 'rpc.error' && !clients.has(call))
      ends.push(['call', false], ...(replies.includes(String(f.code)) ? [['reply', true] as [string, boolean]] : []));
    if (e.kind === 'rpc.fault' && (f.fault === 'drop-request' || f.fault === 'delay')) ends.push(['call', false]);
    if (e.kind === 'rpc.fault' && f.fault === 'drop-reply') ends.push(['reply', false]);
    if (e.kind === 'rpc.reply') ends.push(['reply', false]);
    for (const [arrow, sends] of ends) {
      const partners = left
        .filter((w) => w.arrow === arrow && w.sends !== sends && w.e.pid !== e.pid && w.e.fields.xid === f.xid)
        .filter((w) => w.e.kind === 'rpc.fault' || e.kind === 'rpc.fault' || w.e.fields.channel === f.channel)
        .filter((w) => (sends ? w.e.t >= e.t : w.e.t <= e.t))
        .sort((a, b) => (sends ? a.e.t - b.e.t || a.e.seq - b.e.seq : b.e.t - a.e.t || b.e.seq - a.e.seq));
      const partner = partners[0];
      if (!partner) {
        left.push({ e, arrow, sends });
        continue;
      }
      left.splice(left.indexOf(partner), 1);
      const [from, to] = sends ? [e, partner.e] : [partner.e, e];
      arrows.push({ fromPid: from.pid, t0: from.t, toPid: to.pid, t1: to.t, fromSeq: from.seq, toSeq: to.seq });
    }
  }
  return arrows;
}

export type Truth = ReturnType<typeof truthOf>;

/** Checks every series of a window's answer, raw or bucketed, against the raw events. */
export function assertAgrees(answer: TraceWindow, truth: Truth, fromNs: number, toNs: number, width: number): void {
  const B = answer.bucketNs;
  assert.ok(itemCount(answer) <= TRACE_WINDOW_MAX_ITEMS, `${itemCount(answer)} items`);
  assert.ok(B >= (toNs - fromNs) / width, `buckets of ${B} ns are at least a pixel`);
  const j0 = Math.floor(fromNs / B);
  const j1 = Math.floor((toNs - 1) / B);
  const inWindow = (t: number) => t >= fromNs && t < toNs;
  const where = `window ${fromNs}..${toNs} at ${width} px`;
  for (const lane of answer.lanes) {
    const marks = truth.marks.filter((m) => m.pid === lane.pid);
    const bars = truth.bars.filter((b) => b.pid === lane.pid && b.t1 > fromNs && b.t0 < toNs);
    if (lane.raw) {
      const expected = marks.filter((m) => inWindow(m.t)).sort((a, b) => a.t - b.t || a.seq - b.seq);
      assert.deepEqual(
        lane.marks.map(({ t, kind, seq }) => ({ t, kind, seq })),
        expected.map(({ t, kind, seq }) => ({ t, kind, seq })),
        `${where}: raw marks of ${lane.pid}`,
      );
      assert.deepEqual(
        [...lane.bars].sort((a, b) => a.seq - b.seq),
        bars.map(({ pid: _pid, ...bar }) => bar).sort((a, b) => a.seq - b.seq),
        `${where}: bars of ${lane.pid}`,
      );
      continue;
    }
    const expected = new Map<number, Partial<Record<MarkKind, number>>>();
    for (const m of marks) {
      const j = Math.floor(m.t / B);
      if (j < j0 || j > j1) continue;
      const counts = expected.get(j) ?? {};
      counts[m.kind] = (counts[m.kind] ?? 0) + 1;
      expected.set(j, counts);
    }
    const got = new Map(lane.buckets.filter((b) => Object.keys(b.counts).length > 0).map((b) => [b.t0 / B, b.counts]));
    assert.deepEqual(got, expected, `${where}: mark counts per bucket of ${lane.pid}`);
    for (const bucket of lane.buckets) {
      const j = bucket.t0 / B;
      const overlapping = bars.filter((b) => b.t0 < (j + 1) * B && b.t1 > j * B);
      const longest = Math.max(0, ...overlapping.map((b) => b.t1 - b.t0));
      assert.equal(bucket.longest ? bucket.longest.t1 - bucket.longest.t0 : 0, longest, `${where}: longest blocked call in bucket ${j} of ${lane.pid}`);
    }
    for (const bar of bars)
      for (let j = Math.max(j0, Math.floor(bar.t0 / B)); j <= Math.min(j1, Math.floor((bar.t1 - 1) / B)); j++)
        assert.ok(
          lane.buckets.some((b) => b.t0 === j * B && b.longest),
          `${where}: bar ${bar.seq} shows in bucket ${j}`,
        );
  }
  const arrows = truth.arrows.filter((a) => inWindow(a.t0) || inWindow(a.t1));
  if (answer.arrows.raw) {
    assert.deepEqual(
      answer.arrows.items.map(({ fromPid, t0, toPid, t1, fromSeq, toSeq }) => ({ fromPid, t0, toPid, t1, fromSeq, toSeq })),
      [...arrows].sort((a, b) => a.t0 - b.t0 || a.fromSeq - b.fromSeq),
      `${where}: raw arrows`,
    );
  } else {
    const AB = answer.arrows.bucketNs;
    const expected = new Map<string, number>();
    for (const a of truth.arrows) {
      const j = Math.floor(a.t0 / AB);
      if (j < Math.floor(fromNs / AB) || j > Math.floor((toNs - 1) / AB)) continue;
      const key = `${j * AB} ${a.fromPid} ${a.toPid}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    assert.deepEqual(new Map(answer.arrows.buckets.map((b) => [`${b.t0} ${b.fromPid} ${b.toPid}`, b.count])), expected, `${where}: arrow counts`);
  }
  for (const track of answer.occupancy) {
    const levels = truth.levels.get(track.channel)!;
    if (track.raw) {
      const before = levels.filter((l) => l.t < fromNs).at(-1);
      const expected = [...(before ? [before] : []), ...levels.filter((l) => inWindow(l.t))].map(({ t, used }) => ({ t, used }));
      assert.deepEqual(track.points, expected, `${where}: levels of ${track.channel}`);
    } else {
      const expected = new Map<number, { min: number; max: number }>();
      for (const l of levels) {
        const j = Math.floor(l.t / B);
        if (j < j0 || j > j1) continue;
        const range = expected.get(j);
        expected.set(j, range ? { min: Math.min(range.min, l.used), max: Math.max(range.max, l.used) } : { min: l.used, max: l.used });
      }
      assert.deepEqual(new Map(track.buckets.map((b) => [b.t0 / B, { min: b.min, max: b.max }])), expected, `${where}: level min/max of ${track.channel}`);
    }
  }
}
