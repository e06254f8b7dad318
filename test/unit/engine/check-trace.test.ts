/**
 * The query interface checks read a run through (RunTrace): over a real SQLite file as the check worker
 * opens it (StoredTrace, read-only, while the store's own connection stays open), and over events in
 * memory (memoryTrace). Both must give the events of a kind, of a role, all of them, and a paged scan,
 * in seq order, each event as the store's own `events()` gives it; and the same counts, streams, first
 * and last events, for kinds read a page at a time (GROWING_KINDS) and kinds read together.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventsOf, findIn, memoryTrace, zip, type RunTrace } from '../../../main/engine/check-kit.js';
import { GROWING_KINDS, StoredTrace } from '../../../main/engine/check-trace-store.js';
import type { StoredEvent, TraceEventKind } from '../../../main/contract/trace-events.js';
import { EventStore } from '../../../main/engine/event-store.js';
import type { ProcessInfo } from '../../../main/contract/lab-model.js';

const runFacts = { labVersion: 'a'.repeat(64), machine: { os: 'Linux', kernel: '6.1', arch: 'x64', cores: 2, bootId: 'b00t' } };
const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-check-trace-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const processes: ProcessInfo[] = [{ pid: 7, ppid: 1, role: 'writer', program: 'w.ts', state: 'exited', exitCode: 0, signal: null }];
/**
 * More events than one page of scan (10,000) and of a stream (4,096 for message.send), five kinds (two
 * read a page at a time), two roles, and another run beside.
 */
const COUNT = 25_003;
const KINDS = ['note', 'measure', 'process.exit', 'message.send', 'io.end'] as const;
const kindOf = (i: number) => KINDS[i % KINDS.length]!;
const roleOf = (i: number) => (i % 2 === 0 ? 'writer' : 'reader');

function storeWithRuns(kindAt: (i: number) => string = kindOf) {
  const store = EventStore.open(join(dir, `s${Math.random().toString(36).slice(2)}`));
  const session = store.createSession('lab');
  const runs = [1, 2].map(() =>
    store.createRun({ sessionId: session, labId: 'lab', stepId: 's', scenarioId: 'x', params: { n: 1 }, startTs: 10n, ...runFacts }),
  );
  for (const runId of runs) {
    const rows = Array.from({ length: COUNT }, (_, i) => ({
      seq: i + 1,
      ts: String(1000 + i),
      pid: 7,
      kind: kindAt(i),
      data: JSON.stringify({ v: 1, ts: String(1000 + i), pid: 7, role: roleOf(i), kind: kindAt(i), text: `run ${runId} event ${i}` }),
    }));
    store.insertEvents(runId, rows);
  }
  return { store, runId: runs[1]! };
}

/** The same questions to either implementation. */
function assertAnswers(trace: RunTrace, expected: ReturnType<EventStore['events']>) {
  assert.deepEqual(trace.events(), expected, 'every event, as the store gives them');
  const notes = trace.events('note');
  assert.deepEqual(
    notes,
    expected.filter((e) => e.kind === 'note'),
  );
  assert.deepEqual(
    eventsOf(trace, 'measure', 'reader'),
    expected.filter((e) => e.kind === 'measure' && e.role === 'reader'),
  );
  assert.deepEqual(trace.events('socket.accept'), [], 'a kind the run has none of');
  assert.deepEqual(
    [...trace.scan(['note', 'process.exit'])].map((e) => e.seq),
    expected.filter((e) => e.kind === 'note' || e.kind === 'process.exit').map((e) => e.seq),
  );
  assert.equal([...trace.scan()].length, COUNT, 'a scan of every kind crosses pages and ends');
  // The array is the check's own: sorting it changes what no other check sees.
  notes.reverse();
  assert.equal(trace.events('note')[0]!.seq, 1);
  assertQueries(trace, expected);
}

/** count, stream, first and last agree with a filter of every event, whichever is asked first. */
function assertQueries(trace: RunTrace, expected: StoredEvent[]) {
  const kinds: TraceEventKind[] = ['measure', 'message.send', 'io.end', 'socket.accept', 'io.begin'];
  for (const [i, kind] of kinds.entries())
    for (const role of [undefined, 'reader', 'writer', 'nobody']) {
      const want = expected.filter((e) => e.kind === kind && (role === undefined || e.role === role));
      const what = `${kind} of ${role ?? 'every role'}`;
      const count = () => assert.equal(trace.count(kind, role), want.length, `count of ${what}`);
      // Half the kinds are counted first (a later stream may know from the count that there is none), half last.
      if (i % 2 === 0) count();
      assert.deepEqual([...trace.stream(kind, role)], want, `stream of ${what}`);
      assert.deepEqual(trace.first(kind, role), want[0], `first of ${what}`);
      assert.deepEqual(trace.last(kind, role), want.at(-1), `last of ${what}`);
      if (i % 2 === 1) count();
    }
  // Leaving a stream early leaves the trace readable, and a stream read again starts from the first event.
  const sends = expected.filter((e) => e.kind === 'message.send');
  assert.equal(findIn(trace.stream('message.send'), (e) => e.seq > sends[4_500]!.seq)?.seq, sends[4_501]!.seq);
  assert.equal(trace.first('message.send')?.seq, sends[0]!.seq);
  // Two streams side by side, to the end of the shorter.
  const pairs = [...zip(trace.stream('message.send', 'writer'), trace.stream('io.end', 'reader'))];
  const ends = expected.filter((e) => e.kind === 'io.end' && e.role === 'reader');
  assert.equal(pairs.length, Math.min(ends.length, sends.filter((e) => e.role === 'writer').length));
  assert.deepEqual(pairs.at(-1)![1], ends[pairs.length - 1]);
}

describe('RunTrace', () => {
  it('reads a run from SQLite a kind at a time, read-only, while the store has the file open', () => {
    const { store, runId } = storeWithRuns();
    const expected = store.events(runId);
    const stored = new StoredTrace(store.file, runId);
    try {
      const trace = stored.trace({ n: 1 }, processes);
      assert.deepEqual(trace.params, { n: 1 });
      assert.deepEqual(trace.processes, processes);
      assertAnswers(trace, expected);
      assert.ok(
        trace.events().every((e) => e.runId === runId),
        'only the run asked for',
      );
      assert.deepEqual(Object.keys(trace.events('note')[0]!), Object.keys(expected[0]!), 'the keys in the order the store gives them');
    } finally {
      stored.close();
      store.close();
    }
  });

  it('sees events the host wrote after the trace was opened (WAL: a reader sees the last commit)', () => {
    const { store, runId } = storeWithRuns();
    const stored = new StoredTrace(store.file, runId);
    try {
      store.insertEvents(runId, [
        { seq: COUNT + 1, ts: '99999', pid: 7, kind: 'io.eof', data: JSON.stringify({ v: 1, ts: '99999', pid: 7, role: 'writer', kind: 'io.eof' }) },
      ]);
      assert.deepEqual(
        stored
          .trace({}, [])
          .events('io.eof')
          .map((e) => e.seq),
        [COUNT + 1],
      );
    } finally {
      stored.close();
      store.close();
    }
  });

  it('gives the same answers over events in memory (memoryTrace)', () => {
    const { store, runId } = storeWithRuns();
    const expected = store.events(runId);
    store.close();
    const trace = memoryTrace({ params: { n: 1 }, processes, events: expected });
    assertAnswers(trace, expected);
  });

  it('keeps the kinds read together only while they are small: a kind with more events is read on its own', () => {
    // 'note' (not a growing kind) past the limit of the shared pass, beside a few of another small kind.
    const { store, runId } = storeWithRuns((i) => (i % 1000 === 0 ? 'measure' : 'note'));
    const expected = store.events(runId);
    const stored = new StoredTrace(store.file, runId);
    try {
      const trace = stored.trace({}, processes);
      assert.equal(trace.events('measure').length, 26, 'the small kind, from the shared pass');
      assert.equal(trace.count('note'), COUNT - 26);
      assert.equal(trace.count('note', 'reader'), expected.filter((e) => e.kind === 'note' && e.role === 'reader').length);
      assert.deepEqual(
        [...trace.stream('note', 'writer')],
        expected.filter((e) => e.kind === 'note' && e.role === 'writer'),
      );
      assert.deepEqual(
        trace.events('note'),
        expected.filter((e) => e.kind === 'note'),
      );
    } finally {
      stored.close();
      store.close();
    }
  });

  it('lists as growing the kinds the labs stream', () => {
    for (const kind of ['message.send', 'message.receive', 'io.begin', 'io.end', 'buffer.level'] as const) assert.ok(GROWING_KINDS.includes(kind), kind);
  });

  it('refuses a database that is not there, naming it', () => {
    assert.throws(() => new StoredTrace(join(dir, 'none.sqlite'), 1), /none\.sqlite|does not exist|unable to open/);
  });
});
