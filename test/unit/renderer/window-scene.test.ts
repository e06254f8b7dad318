/**
 * The windowed timeline's scene (window-scene.ts): what the painter draws of a large run, from the
 * engine's trace.window answer over a real SQLite store. For a window whose series come raw it must be
 * what the page's own model (trace-model.ts) draws of the same events, so a run looks the same whether
 * the page holds it or asks for it; for a summarised one, the buckets' marks must count every mark.
 * Also when the last answer still draws a window (sceneCovers) and what is asked (requestFor).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventStore, type EventRow } from '../../../main/engine/event-store.js';
import { TraceModel, type Mark } from '../../../renderer/src/lib/trace/trace-model.js';
import { BUCKET_SEQ, WINDOW_MARGIN, requestFor, sceneCovers, windowScene } from '../../../renderer/src/lib/trace/window-scene.js';
import { seededRandom } from '../../support/seeded-random.js';

const START = 7_000_000_000_000n;
const MS = 1_000_000;
const runFacts = { labVersion: 'a'.repeat(64), machine: { os: 'Linux', kernel: '6.1', arch: 'x64', cores: 2, bootId: 'b00t' } };
const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-window-scene-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Fields = Record<string, unknown>;

/**
 * A writer and a reader over a pipe: `messages` writes (one in 10 blocking 1.5 ms), each received,
 * with the buffer's level after it; a failed wait (EAGAIN after blocking 2 ms), a note, both exits.
 * Every event in its process's time order; the two processes interleaved in arrival order.
 */
function pipeRun(messages: number, seed: number): { t: number; pid: number; role: string; kind: string; fields: Fields }[] {
  const random = seededRandom(seed);
  const writer: { t: number; pid: number; role: string; kind: string; fields: Fields }[] = [];
  const reader: typeof writer = [];
  const w = (t: number, kind: string, fields: Fields = {}) => writer.push({ t: Math.round(t), pid: 10, role: 'writer', kind, fields });
  const r = (t: number, kind: string, fields: Fields = {}) => reader.push({ t: Math.round(t), pid: 20, role: 'reader', kind, fields });
  w(0, 'process.start', { ppid: 1, program: 'writer' });
  r(1000, 'process.start', { ppid: 1, program: 'reader' });
  let t = 10_000;
  for (let id = 1; id <= messages; id++) {
    const took = id % 10 === 0 ? 1.5 * MS : 2_000 + random() * 3_000;
    w(t, 'io.begin', { op: 'write', channel: 'pipe', bytes: 64 });
    w(t + took, 'io.end', { op: 'write', channel: 'pipe', bytes: 64, durationNs: String(Math.round(took)) });
    w(t + took + 1, 'message.send', { channel: 'pipe', messageId: id, bytes: 64 });
    const got = t + took + 5_000 + random() * 20_000;
    r(got, 'message.receive', { channel: 'pipe', messageId: id, bytes: 64 });
    r(got + 1, 'buffer.level', { channel: 'pipe buffer', used: Math.floor(random() * 9), capacity: 8 });
    t += took + 30_000 + random() * 30_000;
  }
  r(t, 'io.begin', { op: 'wait', channel: 'items' });
  r(t + 2 * MS, 'io.error', { op: 'wait', channel: 'items', code: 'EAGAIN', message: 'try again' });
  w(t + 3 * MS, 'note', { text: 'done' });
  w(t + 4 * MS, 'process.exit', { code: 0 });
  r(t + 5 * MS, 'process.exit', { code: 0 });
  const events: typeof writer = [];
  for (let i = 0, j = 0; i < writer.length || j < reader.length;) {
    const take = Math.floor(random() * 40) + 1;
    events.push(...writer.slice(i, i + take));
    i += take;
    events.push(...reader.slice(j, j + take));
    j += take;
  }
  return events;
}

function store(storeDir: string, events: ReturnType<typeof pipeRun>): { store: EventStore; runId: number; model: TraceModel; endNs: number } {
  const s = EventStore.open(storeDir);
  const runId = s.createRun({ sessionId: s.createSession('lab'), labId: 'lab', stepId: null, scenarioId: 'x', params: {}, startTs: START, ...runFacts });
  const rows: EventRow[] = events.map((e, i) => {
    const ts = String(START + BigInt(e.t));
    return { seq: i + 1, ts, pid: e.pid, kind: e.kind, data: JSON.stringify({ v: 1, ts, pid: e.pid, role: e.role, kind: e.kind, ...e.fields }) };
  });
  for (let i = 0; i < rows.length; i += 500) s.insertEvents(runId, rows.slice(i, i + 500));
  const model = new TraceModel(String(START));
  model.append(s.events(runId));
  return { store: s, runId, model, endNs: Math.max(...events.map((e) => e.t)) };
}

const bySeq = (a: Mark, b: Mark) => a.seq - b.seq;
const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;

describe('windowScene', () => {
  let small: ReturnType<typeof store>;
  let large: ReturnType<typeof store>;
  before(() => {
    small = store(join(dir, 'small'), pipeRun(40, 3));
    large = store(join(dir, 'large'), pipeRun(6000, 4));
  });
  after(() => {
    small.store.close();
    large.store.close();
  });

  it('draws a raw window exactly as the page model draws the same events: lanes, marks, bars, arrows, levels', () => {
    const { store: s, runId, model, endNs } = small;
    const scene = windowScene(s.traceWindow(runId, -MS, endNs + MS, 1600), 1600);
    assert.equal(scene.summarised, false);
    assert.deepEqual(
      scene.lanes.map((l) => [l.pid, l.role]),
      model.lanes.map((l) => [l.pid, l.role]),
    );
    for (const lane of model.lanes) {
      const expected = [...model.marks[lane.index]!].sort(bySeq);
      const got = [...scene.marks[lane.index]!].sort(bySeq);
      assert.deepEqual(
        got.map((m) => [m.seq, m.kind, m.label]),
        expected.map((m) => [m.seq, m.kind, m.label]),
        `the marks of ${lane.role}`,
      );
      got.forEach((m, i) => assert.ok(near(m.t, expected[i]!.t), `mark ${m.seq} at ${m.t} ms, the model has ${expected[i]!.t}`));
    }
    const key = (b: { lane: number; label: string; short: string }) => `${b.lane} ${b.label} ${b.short}`;
    assert.ok(model.bars.length >= 5, 'the run has blocked calls');
    assert.deepEqual(scene.bars.map(key).sort(), model.bars.map(key).sort(), 'the same bars, labelled the same');
    assert.equal(scene.arrows.length, model.arrows.length);
    const arrowKey = (a: { fromLane: number; toLane: number; t0: number }) => `${a.fromLane}>${a.toLane}@${a.t0.toFixed(6)}`;
    assert.deepEqual(scene.arrows.map(arrowKey).sort(), model.arrows.map(arrowKey).sort());
    assert.equal(scene.occupancy.length, 1);
    assert.deepEqual(scene.occupancy[0]!.used, model.occupancy[0]!.used);
    assert.equal(scene.occupancy[0]!.capacity, 8);
    assert.ok(near(scene.endT, model.endT), `the scene ends at ${scene.endT} ms, the model at ${model.endT}`);
  });

  it('summarises a dense window into bucket marks that count every mark, each bar one of the model’s', () => {
    const { store: s, runId, model, endNs } = large;
    const scene = windowScene(s.traceWindow(runId, 0, endNs + 1, 300), 300);
    assert.equal(scene.summarised, true);
    for (const lane of model.lanes) {
      const counted = new Map<string, number>();
      for (const m of scene.marks[lane.index]!) {
        assert.equal(m.seq, BUCKET_SEQ, 'a summarised mark has no event of its own');
        assert.ok(m.bucket && m.bucket.t0 <= m.t && m.t < m.bucket.t1, 'drawn inside its bucket');
        counted.set(m.kind, (counted.get(m.kind) ?? 0) + m.count!);
      }
      const expected = new Map<string, number>();
      for (const m of model.marks[lane.index]!) expected.set(m.kind, (expected.get(m.kind) ?? 0) + 1);
      assert.deepEqual(Object.fromEntries(counted), Object.fromEntries(expected), `the marks of ${lane.role}, counted per kind`);
    }
    const labels = new Set(model.bars.map((b) => `${b.lane} ${b.label}`));
    assert.ok(scene.bars.length > 0, 'the summarised window has bars');
    for (const bar of scene.bars) assert.ok(labels.has(`${bar.lane} ${bar.label}`), `${bar.label} is a bar of the model`);
    assert.equal(new Set(scene.bars.map((b) => `${b.lane} ${b.t0}`)).size, scene.bars.length, 'a bar longest in many buckets is drawn once');
    const track = scene.occupancy[0]!;
    assert.ok(
      track.used.every((u) => u >= 0 && u <= 8),
      'every level within the capacity',
    );
    assert.equal(Math.max(...track.used), model.occupancy[0]!.maxUsed, 'the highest level is among the buckets’ maxima');
  });
});

describe('sceneCovers and requestFor', () => {
  const answer = (fromNs: number, toNs: number, raw: boolean) =>
    windowScene(
      {
        fromNs,
        toNs,
        bucketNs: 1000,
        span: { fromNs: 0, toNs: 10_000 * MS },
        lanes: [raw ? { pid: 1, role: 'a', raw: true, marks: [], bars: [] } : { pid: 1, role: 'a', raw: false, buckets: [] }],
        arrows: { raw: true, items: [] },
        occupancy: [],
      },
      1000,
    );

  it('asks for the window with a margin on either side at as many pixels', () => {
    const asked = requestFor({ t0: 100, t1: 200, width: 800 });
    assert.equal(asked.fromNs, (100 - 100 * WINDOW_MARGIN) * MS);
    assert.equal(asked.toNs, (200 + 100 * WINDOW_MARGIN) * MS);
    assert.equal(asked.width, Math.round(800 * (1 + 2 * WINDOW_MARGIN)));
    assert.ok(requestFor({ t0: 0, t1: 1, width: 100_000 }).width <= 8192, 'never wider than the engine takes');
    assert.ok(requestFor({ t0: 5, t1: 5, width: 10 }).toNs > requestFor({ t0: 5, t1: 5, width: 10 }).fromNs, 'never an empty window');
  });

  it('draws from the last answer while it covers the window and is fine enough', () => {
    const raw = answer(0, 1000 * MS, true);
    assert.equal(sceneCovers(raw, { t0: 100, t1: 900, width: 1000 }), true);
    assert.equal(sceneCovers(raw, { t0: 100, t1: 101, width: 1000 }), true, 'raw is exact at any zoom');
    assert.equal(sceneCovers(raw, { t0: 900, t1: 1100, width: 1000 }), false, 'past what it covers');
    const summarised = answer(0, 1000 * MS, false);
    assert.equal(sceneCovers(summarised, { t0: 0, t1: 1000, width: 1000 }), true);
    assert.equal(sceneCovers(summarised, { t0: 0, t1: 500, width: 1000 }), false, 'zoomed in by 2: its pixels are too wide');
    assert.equal(sceneCovers(null, { t0: 0, t1: 1, width: 1 }), false);
    const toEnd = answer(0, 10_000 * MS, true);
    assert.equal(sceneCovers(toEnd, { t0: 0, t1: 10_300, width: 1000 }), true, 'a fitted window reaches past the run’s end: nothing more to draw there');
  });
});
