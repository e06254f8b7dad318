import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { commandSchemas } from '../../../main/contract/commands.js';
import { UserError } from '../../../main/contract/errors.js';
import { EventStore, type EventRow } from '../../../main/engine/event-store.js';
import { seededRandom } from '../../support/seeded-random.js';
import { assertAgrees, truthOf, type Event } from '../../support/trace-window-truth.js';
import { EXPECTED_RPC_ARROWS, RPC_ROLES, rpcRun } from '../../support/rpc-trace-fixture.js';

const runFacts = { labVersion: 'a'.repeat(64), machine: { os: 'Linux', kernel: '6.1', arch: 'x64', cores: 2, bootId: 'b00t' } };
const START = 5_000_000_000_000n;
const MS = 1_000_000;

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-trace-window-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A run shaped like a lab's: a writer and a reader exchanging messages in two dense bursts (0-100 ms
 * and 1500-1600 ms, a call every ~20 µs, one in 40 blocking 1.5-5 ms), a buffer level per receive, a
 * sparse process across the whole 2 s (notes, a call failing with EPIPE after blocking, a TCP
 * connection to the reader, killed by SIGKILL), host bookkeeping without a lane. Stored in batches
 * that interleave processes, so seq order is not time order.
 */
function buildRun(seed: number): Event[] {
  const random = seededRandom(seed);
  const byProcess: Event[][] = [[], [], []];
  const add = (list: Event[], t: number, pid: number, kind: string, fields: Record<string, unknown> = {}) =>
    list.push({ seq: 0, t: Math.round(t), pid, kind, fields });
  const [writer, reader, sparse] = byProcess as [Event[], Event[], Event[]];
  add(writer, 0, 10, 'process.start', { ppid: 1, program: 'writer' });
  add(reader, 5_000, 20, 'process.start', { ppid: 1, program: 'reader' });
  add(sparse, 10_000, 30, 'host.spawn', { ppid: 1, program: 'sparse' });
  let id = 0;
  for (const burst of [0, 1500 * MS]) {
    for (let t = burst + 100_000; t < burst + 100 * MS;) {
      const blocked = random() < 1 / 40 ? Math.round(1.5 * MS + random() * 3.5 * MS) : Math.round(1_000 + random() * 5_000);
      add(writer, t, 10, 'io.begin', { op: 'write', channel: 'pipe', bytes: 64 });
      add(writer, t + blocked, 10, 'io.end', { op: 'write', channel: 'pipe', bytes: 64, durationNs: String(blocked) });
      add(writer, t + blocked + 1, 10, 'message.send', { channel: 'pipe', messageId: ++id, bytes: 64 });
      const received = t + blocked + 2_000 + random() * 30_000;
      add(reader, received, 20, 'message.receive', { channel: 'pipe', messageId: id, bytes: 64 });
      add(reader, received + 1, 20, 'buffer.level', { channel: 'pipe buffer', used: Math.floor(random() * 17), capacity: 16 });
      t += blocked + 5_000 + random() * 20_000;
    }
  }
  for (let t = 50 * MS; t < 1900 * MS; t += 97 * MS) add(sparse, t, 30, 'note', { text: `50% done_${t}` });
  add(sparse, 700 * MS, 30, 'io.begin', { op: 'write', channel: 'closed pipe' });
  add(sparse, 703 * MS, 30, 'io.error', { op: 'write', channel: 'closed pipe', code: 'EPIPE', message: 'broken pipe' });
  add(sparse, 710 * MS, 30, 'socket.connect', { channel: 'tcp', transport: 'tcp', local: '127.0.0.1:40000', remote: '127.0.0.1:5000' });
  add(reader, 711 * MS, 20, 'socket.accept', { channel: 'tcp', transport: 'tcp', local: '127.0.0.1:5000', remote: '127.0.0.1:40000' });
  // A two-way channel: each end numbers its messages from 1, so a send pairs only with a receive in another lane.
  add(writer, 800 * MS, 10, 'message.send', { channel: 'talk', messageId: 1, bytes: 5 });
  add(writer, 802 * MS, 10, 'message.receive', { channel: 'talk', messageId: 1, bytes: 5 });
  add(writer, 801 * MS, 20, 'message.send', { channel: 'talk', messageId: 1, bytes: 5 });
  add(writer, 803 * MS, 20, 'message.receive', { channel: 'talk', messageId: 1, bytes: 5 });
  add(sparse, 1990 * MS, 30, 'host.exit', { code: null, signal: 'SIGKILL' });
  add(reader, 1995 * MS, 20, 'process.exit', { code: 0 });
  add(writer, 1996 * MS, 10, 'io.eof', { channel: 'pipe' });
  add(sparse, 1997 * MS, 0, 'kernel.objects', { shm: [] });
  // Arrival order: each process's events in its own time order, chunks of processes interleaved.
  const events: Event[] = [];
  const cursors = [0, 0, 0];
  while (cursors.some((c, i) => c < byProcess[i]!.length)) {
    const i = Math.floor(random() * 3);
    const chunk = byProcess[i]!.slice(cursors[i], cursors[i]! + 1 + Math.floor(random() * 300));
    cursors[i]! += chunk.length;
    events.push(...chunk);
  }
  events.forEach((e, i) => (e.seq = i + 1));
  return events;
}

function rowsOf(events: Event[]): EventRow[] {
  const role = (pid: number) => ({ 10: 'writer', 20: 'reader', 30: 'sparse', ...RPC_ROLES })[pid] ?? 'host';
  return events.map((e) => {
    const ts = String(START + BigInt(e.t));
    return { seq: e.seq, ts, pid: e.pid, kind: e.kind, data: JSON.stringify({ v: 1, ts, pid: e.pid, role: role(e.pid), kind: e.kind, ...e.fields }) };
  });
}

function storeRun(store: EventStore, events: Event[], batch = 997): number {
  const runId = store.createRun({
    sessionId: store.createSession('lab'),
    labId: 'lab',
    stepId: null,
    scenarioId: 'x',
    params: {},
    startTs: START,
    ...runFacts,
  });
  const rows = rowsOf(events);
  for (let i = 0; i < rows.length; i += batch) store.insertEvents(runId, rows.slice(i, i + batch));
  return runId;
}

describe('trace.window: RPC arrows', () => {
  let store: EventStore;
  before(() => (store = EventStore.open(join(dir, 'rpc'))));
  after(() => store.close());

  it('draws each call to where the server (or the link) took it and each reply to where the client (or the link) got it', () => {
    const runId = storeRun(store, rpcRun(), 5);
    const answer = store.traceWindow(runId, 0, 13_000 * MS, 8192);
    assert.ok(answer.arrows.raw, 'the arrows come raw');
    assert.deepEqual(
      answer.arrows.items.map((a) => [a.fromPid, a.t0 / MS, a.toPid, a.t1 / MS]),
      [...EXPECTED_RPC_ARROWS].sort((a, b) => a[1] - b[1]),
    );
    // The arrow carries the program's channel and the xid.
    assert.deepEqual(
      answer.arrows.items.filter((a) => a.t0 === 12000 * MS).map((a) => [a.channel, a.messageId]),
      [['matchmaker', 109]],
    );
    const client = answer.lanes.find((l) => l.pid === 40)!;
    assert.ok(client.raw, 'the client lane comes raw');
    assert.deepEqual(
      client.bars.map((b) => [b.channel, b.code, b.t1 - b.t0]),
      [
        ['bank: reply to xid 101', null, 2 * MS],
        ['bank: reply to xid 102', 'ETIMEDOUT', 1000 * MS - 0.01 * MS],
      ],
    );
  });

  for (const seed of [1, 2, 3, 4, 5])
    it(`agrees with the raw events when processes' events arrive interleaved (seed ${seed})`, () => {
      const events = rpcRun(seededRandom(seed));
      const runId = storeRun(store, events, 3);
      const truth = truthOf(events);
      assert.equal(truth.arrows.length > 10, true, `${truth.arrows.length} arrows`);
      for (const [fromNs, toNs, width] of [
        [0, 13_000 * MS, 8192],
        [0, 13_000 * MS, 50],
        [1000 * MS, 3001 * MS, 400],
      ] as const)
        assertAgrees(store.traceWindow(runId, fromNs, toNs, width), truth, fromNs, toNs, width);
    });
});

describe('trace.window', () => {
  const events = buildRun(13);
  const truth = truthOf(events);
  let store: EventStore;
  let runId: number;
  before(() => {
    store = EventStore.open(join(dir, 'window'));
    runId = storeRun(store, events);
  });
  after(() => store.close());

  it('names the lanes in order of appearance, leaves host bookkeeping out, and gives the run span', () => {
    const answer = store.traceWindow(runId, 0, 2000 * MS, 1000);
    assert.deepEqual(
      answer.lanes.map((l) => [l.pid, l.role]),
      [...new Set(events.filter((e) => e.kind !== 'kernel.objects').map((e) => e.pid))].map((pid) => [pid, { 10: 'writer', 20: 'reader', 30: 'sparse' }[pid]]),
    );
    const times = events.map((e) => e.t);
    assert.deepEqual(answer.span, { fromNs: Math.min(...times), toNs: Math.max(...times) });
    assert.deepEqual(
      answer.occupancy.map((t) => [t.channel, t.capacity]),
      [['pipe buffer', 16]],
    );
  });

  const windows: [string, number, number, number][] = [
    ['the full span (summary levels)', 0, 2000 * MS, 1600],
    ['the full span at the widest width', -5 * MS, 2005 * MS, 8192],
    ['the full span at one pixel', 0, 2000 * MS, 1],
    ['a burst at 100 ms (finer than the finest level: counted from the events)', 1500 * MS, 1600 * MS, 1600],
    ['a burst at 10 ms', 1540 * MS, 1550 * MS, 300],
    ['1 ms of a burst (raw)', 30 * MS, 31 * MS, 1600],
    ['a stretch where only the sparse process acts', 400 * MS, 1200 * MS, 1600],
    ['an empty stretch', 1200 * MS + 1, 1250 * MS, 800],
    ['beyond the end', 3000 * MS, 4000 * MS, 800],
    ['before the start', -1000 * MS, -1, 800],
    ['windows not aligned to anything', 12_345_678, 1_587_654_321, 1234],
  ];
  for (const [name, fromNs, toNs, width] of windows)
    it(`agrees with the raw events over ${name}`, () => {
      assertAgrees(store.traceWindow(runId, fromNs, toNs, width), truth, fromNs, toNs, width);
    });

  it('summarises dense lanes and gives sparse ones raw, in the same window', () => {
    const answer = store.traceWindow(runId, 0, 2000 * MS, 1600);
    const form = Object.fromEntries(answer.lanes.map((l) => [l.pid, l.raw]));
    assert.deepEqual(form, { 10: false, 20: false, 30: true });
    assert.equal(answer.arrows.raw, false);
    assert.equal(answer.occupancy[0]!.raw, false);
    const sparse = answer.lanes.find((l) => l.pid === 30)!;
    assert.ok(sparse.raw, 'the sparse lane comes raw');
    assert.deepEqual(
      sparse.marks.filter((m) => m.label !== null).map((m) => [m.kind, m.label]),
      [
        ['error', 'EPIPE'],
        ['killed', 'SIGKILL'],
      ],
    );
    assert.deepEqual(
      sparse.bars.map((b) => [b.t1 - b.t0, b.op, b.channel, b.code]),
      [[3 * MS, 'write', 'closed pipe', 'EPIPE']],
    );
    const zoomed = store.traceWindow(runId, 30 * MS, 31 * MS, 1600);
    assert.ok(zoomed.lanes.every((l) => l.raw) && zoomed.arrows.raw && zoomed.occupancy[0]!.raw, 'at 1 ms everything comes raw');
  });

  it('answers the same from summaries stored in one batch or in many', () => {
    const other = EventStore.open(join(dir, 'one-batch'));
    try {
      const single = storeRun(other, events, events.length);
      for (const [, fromNs, toNs, width] of windows)
        assert.deepEqual(other.traceWindow(single, fromNs, toNs, width), store.traceWindow(runId, fromNs, toNs, width));
    } finally {
      other.close();
    }
  });

  it('refuses an unknown run and a window that ends before it starts, saying what to give', () => {
    assert.throws(
      () => store.traceWindow(999, 0, 10, 10),
      (e: unknown) => e instanceof UserError && e.code === 'unknown-run' && /run 999/.test(e.message),
    );
    for (const [from, to] of [
      [10, 5],
      [7, 7],
    ])
      assert.throws(
        () => store.traceWindow(runId, from!, to!, 10),
        (e: unknown) =>
          e instanceof UserError &&
          e.code === 'bad-request' &&
          /"fromNs" \(\d+\) must be less than "toNs"/.test(e.message) &&
          /fromNs is before its toNs/.test(e.fix),
      );
  });

  it('checks width and times in the contract, naming the field', () => {
    const schema = commandSchemas['trace.window'];
    const issue = (request: object) => schema.safeParse({ runId: 1, fromNs: 0, toNs: 10, width: 100, ...request }).error?.issues[0];
    assert.equal(issue({}), undefined);
    for (const width of [0, -1, 8193, 1e9, 2.5]) {
      const found = issue({ width });
      assert.deepEqual(found?.path, ['width'], `width ${width}`);
      assert.match(found!.message, /width is/);
    }
    assert.deepEqual(issue({ fromNs: 1.5 })?.path, ['fromNs']);
    assert.deepEqual(issue({ toNs: '10' })?.path, ['toNs']);
    assert.deepEqual(issue({ toNs: 2 ** 60 })?.path, ['toNs']);
  });
});

describe('trace.events, trace.find and trace.follow', () => {
  const events = buildRun(7);
  const sorted = [...events].sort((a, b) => a.t - b.t || a.seq - b.seq);
  let store: EventStore;
  let runId: number;
  before(() => {
    store = EventStore.open(join(dir, 'events'));
    runId = storeRun(store, events);
  });
  after(() => store.close());
  const page = (from: { seq: number } | { ts: number } | { index: number }, filter = {}, direction: 'forward' | 'backward' = 'forward', limit = 500) =>
    store.traceEvents({ runId, from, direction, limit, filter }, 2 * 1024 * 1024);

  it('walks every event in time order, forward by index and backward from the end, with positions and the total', () => {
    const forward: number[] = [];
    for (let index = 0; ;) {
      const p = page({ index });
      assert.equal(p.index, index);
      assert.equal(p.total, events.length);
      forward.push(...p.events.map((e) => e.seq));
      if (p.events.length === 0) break;
      index += p.events.length;
    }
    assert.deepEqual(
      forward,
      sorted.map((e) => e.seq),
    );
    const backward: number[] = [];
    for (let index = events.length; index > 0;) {
      const p = page({ index }, {}, 'backward');
      assert.equal(p.index, index - p.events.length);
      backward.unshift(...p.events.map((e) => e.seq));
      index = p.index;
    }
    assert.deepEqual(backward, forward);
  });

  it('starts from an event or a moment, and pages from there tile', () => {
    const middle = sorted[5000]!;
    const p = page({ seq: middle.seq }, {}, 'forward', 10);
    assert.deepEqual(
      p.events.map((e) => e.seq),
      sorted.slice(5000, 5010).map((e) => e.seq),
    );
    assert.equal(p.index, 5000);
    const back = page({ seq: middle.seq }, {}, 'backward', 10);
    assert.deepEqual(
      back.events.map((e) => e.seq),
      sorted.slice(4990, 5000).map((e) => e.seq),
    );
    assert.equal(back.index, 4990);
    const at = page({ ts: 1000 * MS }, {}, 'forward', 3);
    const firstAfter = sorted.findIndex((e) => e.t >= 1000 * MS);
    assert.deepEqual(
      at.events.map((e) => e.seq),
      sorted.slice(firstAfter, firstAfter + 3).map((e) => e.seq),
    );
    assert.equal(at.index, firstAfter);
    assert.throws(
      () => page({ seq: 10 ** 9 }),
      (e: unknown) => e instanceof UserError && /no event with seq 1000000000/.test(e.message),
    );
  });

  it('filters by process, kind, channel and text (% and _ taken literally, ASCII case ignored)', () => {
    const check = (filter: object, keep: (e: Event) => boolean) => {
      const expected = sorted.filter(keep).map((e) => e.seq);
      const p = page({ index: 0 }, filter, 'forward', 1000);
      assert.equal(p.total, expected.length, JSON.stringify(filter));
      assert.deepEqual(
        p.events.map((e) => e.seq),
        expected.slice(0, 1000),
        JSON.stringify(filter),
      );
    };
    check({ pids: [30] }, (e) => e.pid === 30);
    check({ kinds: ['io.error', 'host.exit'] }, (e) => e.kind === 'io.error' || e.kind === 'host.exit');
    check({ pids: [10], kinds: ['message.send'] }, (e) => e.pid === 10 && e.kind === 'message.send');
    check({ channel: 'closed pipe' }, (e) => e.fields.channel === 'closed pipe');
    check({ text: '50% DONE_' }, (e) => e.kind === 'note');
    check({ text: '50%_done' }, () => false);
    check({ text: '5_%' }, () => false);
    check({ pids: [] }, () => false);
  });

  it('finds the next and previous event of a kind or a process', () => {
    const next = store.traceFind({ runId, ts: 0, kind: 'note', direction: 'next' });
    const firstNote = sorted.find((e) => e.kind === 'note')!;
    assert.equal(next.event?.seq, firstNote.seq);
    assert.equal(next.t, firstNote.t);
    const after = store.traceFind({ runId, ts: firstNote.t, seq: firstNote.seq, kind: 'note', direction: 'next' });
    assert.equal(after.event?.seq, sorted.filter((e) => e.kind === 'note')[1]!.seq);
    const previous = store.traceFind({ runId, ts: 1000 * MS, pid: 20, direction: 'previous' });
    assert.equal(previous.event?.seq, sorted.filter((e) => e.pid === 20 && e.t < 1000 * MS).at(-1)!.seq);
    assert.deepEqual(store.traceFind({ runId, ts: 0, kind: 'rpc.call', direction: 'next' }), { event: null, t: null });
    assert.deepEqual(store.traceFind({ runId, ts: 0, direction: 'previous' }), { event: null, t: null });
  });

  it('follows a message from its send to its receive and back, and a TCP connect to its accept', () => {
    const send = events.find((e) => e.kind === 'message.send' && e.fields.messageId === 42)!;
    const receive = events.find((e) => e.kind === 'message.receive' && e.fields.messageId === 42)!;
    assert.equal(store.traceFollow(runId, send.seq).partner?.seq, receive.seq);
    assert.equal(store.traceFollow(runId, receive.seq).partner?.seq, send.seq);
    const connect = events.find((e) => e.kind === 'socket.connect')!;
    assert.equal(store.traceFollow(runId, connect.seq).partner?.kind, 'socket.accept');
    const note = events.find((e) => e.kind === 'note')!;
    assert.throws(
      () => store.traceFollow(runId, note.seq),
      (e: unknown) => e instanceof UserError && /is a note/.test(e.message) && /message\.send/.test(e.fix),
    );
  });

  it('follows a send whose receive is not stored yet to nothing', () => {
    const lone = storeRun(store, [{ seq: 1, t: 5, pid: 10, kind: 'message.send', fields: { channel: 'c', messageId: 1, bytes: 1 } }]);
    assert.equal(store.traceFollow(lone, 1).partner, null);
  });
});

describe('migration 5', () => {
  it('summarises the runs stored before it', () => {
    const events = buildRun(3);
    const folder = join(dir, 'migration');
    const store = EventStore.open(folder);
    const runId = storeRun(store, events);
    const expected = store.traceWindow(runId, 0, 2000 * MS, 1600);
    store.close();
    // Back to schema 4: no summaries, no time indexes.
    const raw = new Database(join(folder, 'ipc-lab.sqlite'));
    for (const table of [
      'trace_lanes',
      'trace_marks',
      'trace_bars',
      'trace_arrows',
      'trace_arrow_buckets',
      'trace_levels',
      'trace_level_buckets',
      'trace_tracks',
    ])
      raw.exec(`DROP TABLE ${table}`);
    raw.exec('DROP INDEX events_by_time; DROP INDEX events_by_lane; PRAGMA user_version = 4');
    raw.close();
    const reopened = EventStore.open(folder);
    try {
      assert.deepEqual(reopened.traceWindow(runId, 0, 2000 * MS, 1600), expected);
    } finally {
      reopened.close();
    }
  });
});
