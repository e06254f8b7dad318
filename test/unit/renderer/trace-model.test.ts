/**
 * The timeline model's view of how processes end: which state the kernel view gives a process at a
 * moment, and where the bar of a call that never returned ends. The events have the shape and order of
 * real runs (recorded from `ordinary-pipes --step end-of-file --set closeWriteEnd=false` and the
 * named-pipes lab): a child killed by SIGTERM in read() is reported by its parent's child.exit, in the
 * parent's pid, never by the child itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KernelFd, StoredEvent, TraceEventFields } from '../../../main/contract/trace-events.js';
import { TraceModel } from '../../../renderer/src/lib/trace/trace-model.js';
import { EXPECTED_RPC_ARROWS, RPC_ROLES, rpcRun } from '../../support/rpc-trace-fixture.js';
import { seededRandom } from '../../support/seeded-random.js';
import { rpcArrowsOf, type Event } from '../../support/trace-window-truth.js';

const START = 1_000_000_000n;
let seq = 0;

/** An event `ms` after the run's start. */
function ev<K extends keyof TraceEventFields>(kind: K, pid: number, role: string, ms: number, fields: TraceEventFields[K]): StoredEvent {
  return { v: 1, ts: (START + BigInt(Math.round(ms * 1e6))).toString(), pid, role, kind, runId: 1, seq: ++seq, ...fields } as unknown as StoredEvent;
}

const PARENT = 7850;
const CHILD = 7861;
const pipeFds: KernelFd[] = [
  { fd: 3, target: 'pipe:[13517]' },
  { fd: 4, target: 'pipe:[13539]', runtime: "Node's event loop" },
  { fd: 18, target: 'socket:[13547]', runtime: 'trace channel' },
];

/** The textbook hang: the child blocks in read() from 316 ms until its parent kills it at 3434 ms. */
function eofHang(): StoredEvent[] {
  return [
    ev('process.start', PARENT, 'parent', 103, { ppid: 1, program: 'programs/message-writer.ts' }),
    ev('process.start', CHILD, 'child', 199, { ppid: PARENT, program: 'programs/message-reader.ts' }),
    ev('kernel.snapshot', CHILD, 'child', 202, { state: 'S (sleeping)', wchan: 'anon_pipe_read', fds: pipeFds }),
    ev('io.begin', CHILD, 'child', 316.4, { op: 'read', channel: 'pipe', bytes: 4096 }),
    ev('note', PARENT, 'parent', 3423.9, { text: 'Ending it with SIGTERM.' }),
    ev('child.exit', PARENT, 'parent', 3434.4, { childPid: CHILD, childRole: 'child', code: null, signal: 'SIGTERM' }),
    ev('process.exit', PARENT, 'parent', 3434.9, { code: 0 }),
    ev('host.exit', PARENT, 'parent', 3470.6, { code: 0, signal: null }),
  ];
}

function model(events: StoredEvent[]): TraceModel {
  const m = new TraceModel(START.toString());
  m.append(events);
  return m;
}

function laneOf(m: TraceModel, pid: number): number {
  const lane = m.lanes.find((l) => l.pid === pid);
  assert.ok(lane, `a lane for pid ${pid}`);
  return lane.index;
}

describe('a call still open when its process died', () => {
  test('is drawn from its io.begin up to the death, and says how the process ended', () => {
    const m = model(eofHang());
    const bars = m.openBars().filter((b) => b.lane === laneOf(m, CHILD));
    assert.equal(bars.length, 1);
    const [bar] = bars;
    assert.equal(bar!.t0, 316.4);
    assert.equal(bar!.t1, 3434.4);
    assert.equal(bar!.open, undefined, 'not drawn as "still blocked": the process is gone');
    assert.equal(bar!.endedBy?.signal, 'SIGTERM');
    assert.equal(bar!.op, 'read');
    assert.match(bar!.label, /blocked in read 3\.1 s, never returned: killed by SIGTERM/);
  });

  test('runs to now while the process lives (the run goes on)', () => {
    const live = eofHang().slice(0, 5);
    const m = model(live);
    const [bar] = m.openBars(2000);
    assert.ok(bar, 'bar');
    assert.equal(bar.open, true);
    assert.equal(bar.t1, 2000);
    assert.match(bar.label, /not returned$/);
  });

  test('with no recorded end, runs to the end of a finished run (its processes ended with it)', () => {
    const m = model(eofHang().slice(0, 5));
    assert.deepEqual(m.openBars(), [], "the child's lane saw nothing after its io.begin");
    m.runEnded = true;
    const [bar] = m.openBars();
    assert.equal(bar?.t1, 3423.9);
    assert.match(bar!.label, /not returned when the run ended/);
  });

  test('the death comes from the parent, in any arrival order: the child.exit before the io.begin', () => {
    const events = eofHang();
    const reordered = [...events.slice(0, 3), events[5]!, events[3]!, ...events.slice(6)];
    const m = model(reordered);
    const [bar] = m.openBars();
    assert.equal(bar?.endedBy?.signal, 'SIGTERM');
    assert.equal(bar?.t1, 3434.4);
  });

  test('a call that returned before the death has no bar, and a short one at the death none either', () => {
    const events = eofHang();
    events.splice(4, 0, ev('io.end', CHILD, 'child', 400, { op: 'read', channel: 'pipe', bytes: 15, durationNs: '83600000' }));
    assert.deepEqual(model(events).openBars(), []);
    const short = [
      ev('io.begin', CHILD, 'child', 100, { op: 'write', channel: 'pipe', bytes: 10 }),
      ev('child.exit', PARENT, 'parent', 100.5, { childPid: CHILD, childRole: 'child', code: null, signal: 'SIGKILL' }),
    ];
    assert.deepEqual(model(short).openBars(), []);
  });
});

describe('the death is marked in the lane of the process that died', () => {
  test('SIGTERM reported by the parent is a "killed" mark on the child\'s lane, at the child.exit', () => {
    const m = model(eofHang());
    const killed = m.marks[laneOf(m, CHILD)]!.filter((mark) => mark.kind === 'killed');
    assert.deepEqual(
      killed.map((k) => [k.t, k.label]),
      [[3434.4, 'SIGTERM']],
    );
    // The parent's lane shows its waitpid, not an exit of its own at that time.
    const parentMarks = m.marks[laneOf(m, PARENT)]!;
    assert.deepEqual(
      parentMarks.filter((mark) => mark.kind === 'reap').map((k) => k.t),
      [3434.4],
    );
    assert.deepEqual(
      parentMarks.filter((mark) => mark.kind === 'killed'),
      [],
    );
  });

  test('a host.exit with a signal is a killed mark too; one with a code is an exit', () => {
    const m = model([
      ev('process.start', 10, 'server', 1, { ppid: 1, program: 'p.ts' }),
      ev('host.exit', 10, 'server', 50, { code: null, signal: 'SIGKILL' }),
      ev('process.start', 11, 'client', 1, { ppid: 1, program: 'q.ts' }),
      ev('host.exit', 11, 'client', 60, { code: 3, signal: null }),
    ]);
    assert.equal(m.marks[laneOf(m, 10)]!.at(-1)!.kind, 'killed');
    assert.equal(m.marks[laneOf(m, 11)]!.at(-1)!.kind, 'exit');
    assert.deepEqual(
      m.laneSummaries().map((s) => [s.pid, s.end?.signal ?? s.end?.code]),
      [
        [10, 'SIGKILL'],
        [11, 3],
      ],
    );
  });

  test("a child that said process.exit itself gets no second exit mark from its parent's child.exit", () => {
    const m = model([
      ev('process.start', CHILD, 'child', 5, { ppid: PARENT, program: 'r.ts' }),
      ev('process.exit', CHILD, 'child', 40, { code: 0 }),
      ev('child.exit', PARENT, 'parent', 42, { childPid: CHILD, childRole: 'child', code: 0, signal: null }),
    ]);
    assert.equal(m.marks[laneOf(m, CHILD)]!.filter((mark) => mark.kind === 'exit').length, 1);
    assert.equal(m.ends.get(CHILD)?.t, 40, 'the earliest word of its end');
  });
});

describe('which state the kernel view gives a process at a moment', () => {
  // The named-pipes lab: a FIFO writer blocked in open() at 100 ms, gone at 230 ms; its last snapshot
  // still says wait_for_partner, and no later one can come (there is no /proc/<pid> any more).
  const WRITER = 500;
  const READER = 501;
  const fifo = () =>
    model([
      ev('process.start', WRITER, 'writer', 10, { ppid: 1, program: 'fifo-writer.ts' }),
      ev('process.start', READER, 'reader', 12, { ppid: 1, program: 'fifo-reader.ts' }),
      ev('kernel.snapshot', WRITER, 'writer', 100, { state: 'S (sleeping)', wchan: 'wait_for_partner', fds: [] }),
      ev('kernel.snapshot', READER, 'reader', 101, { state: 'S (sleeping)', wchan: 'do_epoll_wait', fds: [] }),
      ev('process.exit', WRITER, 'writer', 230, { code: 0 }),
      ev('host.exit', WRITER, 'writer', 236, { code: 0, signal: null }),
    ]);

  test('alive before its end: its latest snapshot at or before the moment', () => {
    const at = fifo().processesAt(200);
    const writer = at.find((p) => p.pid === WRITER);
    assert.equal(writer?.end, null);
    assert.equal(writer?.snapshot?.wchan, 'wait_for_partner');
  });

  test('after its end: ended, with when and how, never its last snapshot as if it slept', () => {
    const at = fifo().processesAt(306);
    const writer = at.find((p) => p.pid === WRITER)!;
    assert.equal(writer.end?.t, 230);
    assert.equal(writer.end?.code, 0);
    assert.equal(writer.end?.seenIn, 'process.exit');
    const reader = at.find((p) => p.pid === READER)!;
    assert.equal(reader.end, null);
    assert.equal(reader.snapshot?.state, 'S (sleeping)');
  });

  test('the latest view of a finished run: a process with no recorded end is gone with the run', () => {
    const m = fifo();
    const live = m.processesAt(null, false);
    assert.equal(live.find((p) => p.pid === READER)?.endedWithRun, undefined);
    const after = m.processesAt(null, true, [
      { pid: READER, ppid: 1, role: 'reader', program: 'fifo-reader.ts', state: 'killed', exitCode: null, signal: 'SIGKILL' },
    ]);
    assert.deepEqual(after.find((p) => p.pid === READER)?.endedWithRun, { code: null, signal: 'SIGKILL' });
    assert.equal(after.find((p) => p.pid === WRITER)?.end?.t, 230);
  });

  test('a process neither seen in /proc nor ended yet is left out', () => {
    const m = fifo();
    assert.deepEqual(
      m.processesAt(50).map((p) => p.pid),
      [],
    );
  });

  test('the signal is kept whichever event brings it, and the earliest time', () => {
    const m = model([
      ev('host.exit', 9, 'worker', 80, { code: null, signal: 'SIGKILL' }),
      ev('child.exit', 8, 'starter', 75, { childPid: 9, childRole: 'worker', code: null, signal: null }),
    ]);
    assert.equal(m.ends.get(9)?.t, 75);
    assert.equal(m.ends.get(9)?.signal, 'SIGKILL');
  });
});

describe('RPC arrows and waits (main/contract/trace-arrows.ts), as the engine draws them', () => {
  const stored = (events: Event[]): StoredEvent[] =>
    events.map(
      (e) =>
        ({
          v: 1,
          ts: (START + BigInt(e.t)).toString(),
          pid: e.pid,
          role: RPC_ROLES[e.pid] ?? 'host',
          kind: e.kind,
          runId: 1,
          seq: e.seq,
          ...e.fields,
        }) as unknown as StoredEvent,
    );
  const arrowsOf = (m: TraceModel) =>
    m.arrows.map((a) => [m.lanes[a.fromLane]!.pid, a.t0, m.lanes[a.toLane]!.pid, a.t1]).sort((a, b) => a[1]! - b[1]! || a[0]! - b[0]!);

  test('each call to where the server (or the link) took it, each reply to where the client (or the link) got it', () => {
    const m = model(stored(rpcRun()));
    assert.deepEqual(
      arrowsOf(m),
      [...EXPECTED_RPC_ARROWS].sort((a, b) => a[1] - b[1] || a[0] - b[0]),
    );
  });

  test("the client's wait for a reply is a blocked bar, ending at the reply or at ETIMEDOUT", () => {
    const m = model(stored(rpcRun()));
    assert.deepEqual(
      m.bars.filter((b) => b.lane === laneOf(m, 40)).map((b) => b.label),
      ['blocked in wait (bank: reply to xid 101) 2.0 ms', 'blocked in wait (bank: reply to xid 102) 1000 ms, then ETIMEDOUT'],
    );
  });

  for (const seed of [1, 2, 3, 4, 5])
    test(`gives the arrows the raw events give (the engine's truth), in any arrival order (seed ${seed})`, () => {
      const events = rpcRun(seededRandom(seed));
      const expected = rpcArrowsOf(events).map((a) => [a.fromPid, a.t0 / 1e6, a.toPid, a.t1 / 1e6]);
      assert.deepEqual(
        arrowsOf(model(stored(events))),
        expected.sort((a, b) => a[1]! - b[1]! || a[0]! - b[0]!),
      );
    });
});
