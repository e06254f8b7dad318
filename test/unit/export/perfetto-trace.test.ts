/**
 * The Perfetto export against the rules Perfetto's JSON importer holds it to, on real recorded runs
 * (test/fixtures/traces) and on small traces made for one rule each: slices nest on every thread, every
 * flow has one start and one end and runs forward in time, every track is named, ts are µs since the
 * run's start, and no event is lost on the way.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunSummary } from '../../../main/contract/lab-model.js';
import { LAB_EVENT_KINDS, parseLabTraceLine, type StoredEvent, type TraceEventFields } from '../../../main/contract/trace-events.js';
import {
  BUFFERS_TRACK_PID,
  checkNesting,
  HOST_TRACK_PID,
  perfettoJson,
  toPerfettoTrace,
  type CompleteEventJson,
  type InstantEventJson,
  type PerfettoTrace,
  type TraceEventJson,
} from '../../../main/export/perfetto-trace.js';
import { loadTrace, TRACE_FIXTURES } from '../../fixtures/traces/traces.js';

const slices = (trace: PerfettoTrace) => trace.traceEvents.filter((e): e is CompleteEventJson => e.ph === 'X');
const instants = (trace: PerfettoTrace) => trace.traceEvents.filter((e): e is InstantEventJson => e.ph === 'i');
const nonMetadata = (trace: PerfettoTrace) => trace.traceEvents.filter((e) => e.ph !== 'M');

/** Every way the file can break Perfetto's importer, as messages; empty when none. */
function importProblems(trace: PerfettoTrace): string[] {
  const problems = [...checkNesting(trace.traceEvents)];
  const events = trace.traceEvents;
  const firstOther = events.findIndex((e) => e.ph !== 'M');
  if (events.slice(firstOther).some((e) => e.ph === 'M')) problems.push('metadata events are not all first');
  const times = nonMetadata(trace).map((e) => e.ts);
  times.forEach((ts, i) => {
    if (i > 0 && ts < times[i - 1]!) problems.push(`ts goes back from ${times[i - 1]} to ${ts} µs at event ${i}`);
  });
  for (const s of slices(trace)) if (!(Number.isFinite(s.dur) && s.dur >= 0)) problems.push(`"${s.name}" has dur ${s.dur}`);

  const processNames = new Set(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.pid));
  const threadNames = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => `${e.pid}/${e.tid}`));
  for (const e of nonMetadata(trace)) {
    if (!processNames.has(e.pid)) problems.push(`pid ${e.pid} ("${e.name}") has no process_name`);
    if (!threadNames.has(`${e.pid}/${e.tid}`)) problems.push(`pid ${e.pid} tid ${e.tid} ("${e.name}") has no thread_name`);
    if (e.pid === 0) problems.push(`"${e.name}" is on pid 0`);
  }

  const flows = new Map<number, CompleteEventJson[]>();
  for (const e of events) {
    const bind = (e as { bind_id?: unknown }).bind_id; // read as JSON: the type allows it on X only
    if (bind === undefined) continue;
    if (e.ph !== 'X' || typeof bind !== 'number') problems.push(`flow ${String(bind)} is bound to a ${e.ph} event`);
    else flows.set(bind, [...(flows.get(bind) ?? []), e]);
  }
  for (const [id, ends] of flows) {
    const starts = ends.filter((e) => e.flow_out && !e.flow_in);
    const finishes = ends.filter((e) => e.flow_in && !e.flow_out);
    if (starts.length !== 1 || finishes.length !== 1) problems.push(`flow ${id} has ${starts.length} starts and ${finishes.length} ends`);
    else if (ends.some((e) => e.ts < starts[0]!.ts || e.ts > finishes[0]!.ts)) problems.push(`flow ${id} does not run forward in time`);
    else if (events.indexOf(starts[0]!) > events.indexOf(finishes[0]!)) problems.push(`flow ${id} ends before it starts in the file`);
  }
  return problems;
}

/** The seqs the trace shows (slices and instants name theirs; a counter stands for its buffer.level). */
function seqsShown(trace: PerfettoTrace): Set<number> {
  const seqs = new Set<number>();
  for (const e of [...slices(trace), ...instants(trace)]) {
    if (typeof e.args.seq === 'number') seqs.add(e.args.seq);
    if (typeof e.args.endSeq === 'number') seqs.add(e.args.endSeq);
  }
  return seqs;
}

describe('real runs exported for Perfetto', () => {
  for (const name of TRACE_FIXTURES) {
    describe(name, () => {
      const fixture = loadTrace(name);
      const trace = toPerfettoTrace(fixture.run, fixture.events);

      test('the fixture is a trace the host would have accepted', () => {
        for (const event of fixture.events) {
          if (!(LAB_EVENT_KINDS as readonly string[]).includes(event.kind)) continue;
          const { runId: _runId, seq: _seq, ...line } = event;
          const verdict = parseLabTraceLine(JSON.stringify(line), event.pid);
          assert.ok(verdict.ok, `event ${event.seq} (${event.kind}): ${verdict.ok ? '' : verdict.reason}`);
        }
      });

      test("Perfetto's importer keeps every slice, arrow and track", () => {
        assert.deepEqual(importProblems(trace), []);
      });

      test('the JSON text parses back to the same trace', () => {
        assert.deepEqual(JSON.parse(perfettoJson(fixture.run, fixture.events)), trace);
      });

      test('ts are µs since the run started: the first event sits where its nanoseconds say', () => {
        const first = fixture.events.map((e) => BigInt(e.ts)).reduce((a, b) => (b < a ? b : a));
        const expected = Number(first - BigInt(fixture.run.startTs)) / 1000;
        const times = nonMetadata(trace).map((e) => e.ts);
        assert.equal(Math.min(...times), expected);
        assert.ok(expected >= 0 && expected < 1e6, `the first event is ${expected} µs after the start`);
      });

      test('every event is shown: by a slice or instant naming its seq, or by its counter', () => {
        const shown = seqsShown(trace);
        const missing = fixture.events.filter((e) => e.kind !== 'buffer.level' && !shown.has(e.seq)).map((e) => `${e.seq} ${e.kind}`);
        assert.deepEqual(missing, []);
        const levels = fixture.events.filter((e) => e.kind === 'buffer.level').length;
        assert.equal(trace.traceEvents.filter((e) => e.ph === 'C' && e.cat === 'buffer').length, levels);
      });

      test('every lab process has its own named track', () => {
        for (const p of fixture.run.processes) {
          const named = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === p.pid);
          assert.deepEqual(named?.ph === 'M' ? named.args : null, { name: `${p.role} (pid ${p.pid})` });
        }
      });
    });
  }
});

describe('ordinary pipes: a child killed while blocked in read()', () => {
  const fixture = loadTrace('ordinary-pipes-one-way-killed');
  const trace = toPerfettoTrace(fixture.run, fixture.events);
  const PARENT = 27851;
  const CHILD = 27862;
  const ns = (ts: string) => Number(BigInt(ts) - BigInt(fixture.run.startTs));

  test('its read() is a slice up to the moment its parent reaped it, marked unfinished', () => {
    const read = slices(trace).find((s) => s.pid === CHILD && s.args.op === 'read');
    assert.ok(read, 'a read slice in the child');
    assert.equal(Math.round(read.ts * 1000), ns('3511531257488'));
    assert.equal(Math.round((read.ts + read.dur) * 1000), ns('3514507075115'), "its end is the parent's child.exit");
    assert.equal(read.args.unfinished, true);
    assert.equal(read.args.endedBy, 'killed by SIGTERM');
  });

  test('the signal is an instant on the child, the failed writes are slices and instants with their errno', () => {
    assert.ok(
      instants(trace).some((i) => i.pid === CHILD && i.name === 'killed by SIGTERM'),
      'killed by SIGTERM on the child',
    );
    for (const [pid, code] of [
      [PARENT, 'EPIPE'],
      [CHILD, 'EBADF'],
    ] as const) {
      assert.ok(
        slices(trace).some((s) => s.pid === pid && s.args.code === code && s.name === `write(pipe) → ${code}`),
        `a write slice ending in ${code}`,
      );
      assert.ok(
        instants(trace).some((i) => i.pid === pid && i.args.kind === 'io.error' && i.args.code === code && i.s === 't'),
        `an ${code} instant`,
      );
    }
  });

  test('the message nobody received is an instant without an arrow, and says why', () => {
    const send = instants(trace).find((i) => i.args.kind === 'message.send');
    assert.ok(send, 'the send is an instant');
    assert.match(String(send.args.flow), /^no arrow: no other process received/);
    assert.equal(trace.traceEvents.filter((e) => 'bind_id' in e).length, 0);
  });
});

describe('message passing: several processes, one mailbox', () => {
  const fixture = loadTrace('message-passing-naming');
  const trace = toPerfettoTrace(fixture.run, fixture.events);

  test('each of the 15 messages is an arrow from its sender to the process that received it', () => {
    const ends = slices(trace).filter((s) => s.bind_id !== undefined);
    const pairs = new Map<number, { from?: number; to?: number; channel?: unknown; id?: unknown }>();
    for (const s of ends) {
      const pair = pairs.get(s.bind_id!) ?? {};
      pairs.set(s.bind_id!, pair);
      if (s.flow_out) Object.assign(pair, { from: s.pid, channel: s.args.channel, id: s.args.messageId });
      if (s.flow_in) {
        pair.to = s.pid;
        assert.deepEqual([s.args.channel, s.args.messageId], [pair.channel, pair.id], `flow ${s.bind_id} joins one message`);
      }
    }
    assert.equal(pairs.size, 15);
    const intoMailbox = [...pairs.values()].filter((p) => p.channel === 'mailbox inbox');
    assert.deepEqual(new Set(intoMailbox.map((p) => p.to)), new Set([10204]));
    assert.deepEqual(new Set(intoMailbox.map((p) => p.from)), new Set([10214, 10215, 10222]));
    assert.equal(trace.metadata.arrowsNotDrawn, 0);
  });

  test('buffer occupancy is one counter track per channel, on the buffers track', () => {
    const counters = trace.traceEvents.filter((e) => e.ph === 'C');
    assert.ok(
      counters.every((c) => c.pid === BUFFERS_TRACK_PID && Object.keys(c.args).join() === 'used'),
      'counters on the buffers track, args {used}',
    );
    assert.deepEqual(
      new Set(counters.map((c) => c.name)),
      new Set(['link alice→bob (capacity 4)', 'link bob→alice (capacity 4)', 'mailbox inbox (capacity 8)']),
    );
    const inbox = counters.filter((c) => c.name === 'mailbox inbox (capacity 8)').map((c) => Number(c.args.used));
    assert.equal(Math.max(...inbox), 8);
  });
});

describe('rpc: a call the server cannot run, then one it can', () => {
  const fixture = loadTrace('rpc-stubs-proc-unavail');
  const trace = toPerfettoTrace(fixture.run, fixture.events);

  test('the call that ran is one flow: call (client) → execute (server) → reply (client)', () => {
    const chain = slices(trace).filter((s) => s.bind_id !== undefined);
    assert.deepEqual(
      chain.map((s) => [s.args.kind, s.pid, s.args.xid, s.flow_out ?? false, s.flow_in ?? false]),
      [
        ['rpc.call', 31607, 31607542, true, false],
        ['rpc.execute', 31631, 31607542, true, true],
        ['rpc.reply', 31607, 31607542, false, true],
      ],
    );
  });

  test('the call answered PROC_UNAVAIL has no arrow and both errors are instants', () => {
    const call = instants(trace).find((i) => i.args.kind === 'rpc.call' && i.args.xid === 31607541);
    assert.ok(call, 'the failed call is an instant');
    const errors = instants(trace).filter((i) => i.args.kind === 'rpc.error');
    assert.deepEqual(errors.map((e) => [e.pid, e.args.code]).sort(), [
      [31607, 'PROC_UNAVAIL'],
      [31631, 'PROC_UNAVAIL'],
    ]);
  });
});

// Small traces, one rule each. Times are µs after the run's start.
const START = 5_000_000_000n;
let seq = 0;
function ev<K extends keyof TraceEventFields>(kind: K, pid: number, role: string, us: number, fields: TraceEventFields[K]): StoredEvent {
  return { v: 1, ts: (START + BigInt(Math.round(us * 1000))).toString(), pid, role, kind, runId: 9, seq: ++seq, ...fields } as unknown as StoredEvent;
}
function runOf(pids: [number, string][]): RunSummary {
  return {
    runId: 9,
    sessionId: 1,
    labId: 'test',
    stepId: null,
    scenarioId: 'test',
    params: {},
    status: 'completed',
    startTs: START.toString(),
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: null,
    message: null,
    processes: pids.map(([pid, role]) => ({ pid, ppid: 1, role, program: 'p.ts', state: 'exited', exitCode: 0, signal: null })),
    checks: [],
  } as unknown as RunSummary;
}
function exported(events: StoredEvent[], pids: [number, string][] = [[100, 'parent']]): PerfettoTrace {
  const trace = toPerfettoTrace(runOf(pids), events);
  assert.deepEqual(importProblems(trace), []);
  const shown = seqsShown(trace);
  assert.deepEqual(
    events.filter((e) => e.kind !== 'buffer.level' && !shown.has(e.seq)).map((e) => e.kind),
    [],
  );
  return trace;
}

describe('slices that would not nest', () => {
  test('checkNesting names a slice that starts inside another and ends after it', () => {
    const x = (name: string, ts: number, dur: number): TraceEventJson => ({ ph: 'X', name, cat: 'io', pid: 1, tid: 1, ts, dur, args: {} });
    assert.deepEqual(checkNesting([x('outer', 10, 10), x('inside', 12, 3), x('touching', 20, 5)]), []);
    const problems = checkNesting([x('accept(srv)', 10, 20), x('read(conn)', 20, 20)]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /"read\(conn\)" \[20, 40\] µs starts inside "accept\(srv\)" \[10, 30\] µs/);
  });

  test('calls that overlap in one process go on a second thread of that process', () => {
    const trace = exported([
      ev('io.begin', 100, 'parent', 10, { op: 'accept', channel: 'srv' }),
      ev('io.begin', 100, 'parent', 20, { op: 'read', channel: 'conn', bytes: 10 }),
      ev('io.end', 100, 'parent', 30, { op: 'accept', channel: 'srv', bytes: 0, durationNs: '20000' }),
      ev('io.end', 100, 'parent', 40, { op: 'read', channel: 'conn', bytes: 10, durationNs: '20000' }),
    ]);
    const [accept, read] = slices(trace);
    assert.deepEqual([accept?.name, accept?.tid, accept?.ts, accept?.dur], ['accept(srv)', 100, 10, 20]);
    assert.deepEqual([read?.name, read?.pid, read?.ts, read?.dur], ['read(conn)', 100, 20, 20]);
    assert.ok(read!.tid > HOST_TRACK_PID, `the second thread has a synthetic tid, not ${read!.tid}`);
    const thread = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === read!.tid);
    assert.deepEqual(thread?.ph === 'M' ? thread.args.name : null, 'parent (pid 100), overlapping calls 1');
  });

  test("a message's slice is cut short before the next call and inside the call around it", () => {
    const trace = exported(
      [
        ev('message.send', 100, 'parent', 10, { channel: 'pipe', messageId: 1, bytes: 5 }),
        ev('io.begin', 100, 'parent', 10.2, { op: 'write', channel: 'pipe', bytes: 5 }),
        ev('io.end', 100, 'parent', 15, { op: 'write', channel: 'pipe', bytes: 5, durationNs: '4800' }),
        ev('io.begin', 200, 'child', 5, { op: 'read', channel: 'pipe', bytes: 4096 }),
        ev('message.receive', 200, 'child', 15.7, { channel: 'pipe', messageId: 1, bytes: 5 }),
        ev('io.end', 200, 'child', 16, { op: 'read', channel: 'pipe', bytes: 5, durationNs: '11000' }),
      ],
      [
        [100, 'parent'],
        [200, 'child'],
      ],
    );
    const send = slices(trace).find((s) => s.args.kind === 'message.send');
    const receive = slices(trace).find((s) => s.args.kind === 'message.receive');
    assert.deepEqual([send?.ts, send?.dur, send?.flow_out], [10, 0.2, true]);
    assert.deepEqual([receive?.ts, receive?.dur, receive?.flow_in, receive?.bind_id], [15.7, 0.3, true, send?.bind_id]);
  });

  test('a call that never returned, begun with another one, is written before it: the parent first', () => {
    const trace = exported([
      ev('io.begin', 100, 'parent', 10, { op: 'read', channel: 'pipe' }),
      ev('io.end', 100, 'parent', 12, { op: 'write', channel: 'other', bytes: 1, durationNs: '2000' }),
      ev('note', 100, 'parent', 30, { text: 'still reading' }),
    ]);
    assert.deepEqual(
      slices(trace).map((s) => [s.name, s.ts, s.dur]),
      [
        ['read(pipe) never returned', 10, 20],
        ['write(other)', 10, 2],
      ],
    );
  });

  test('at the same ts the longer slice comes first, and slices before instants', () => {
    const trace = exported([
      ev('note', 100, 'parent', 10, { text: 'before the read' }),
      ev('message.receive', 100, 'parent', 10, { channel: 'pipe', messageId: 1, bytes: 1 }),
      ev('io.begin', 100, 'parent', 10, { op: 'read', channel: 'pipe' }),
      ev('message.send', 200, 'child', 9, { channel: 'pipe', messageId: 1, bytes: 1 }),
      ev('io.end', 100, 'parent', 20, { op: 'read', channel: 'pipe', bytes: 1, durationNs: '10000' }),
    ]);
    const at10 = nonMetadata(trace).filter((e) => e.ts === 10);
    assert.deepEqual(
      at10.map((e) => [e.ph, e.name]),
      [
        ['X', 'read(pipe)'],
        ['X', 'receive #1 pipe'],
        ['i', 'before the read'],
      ],
    );
  });
});

describe('arrows Perfetto would drop', () => {
  test('a send and its receive stamped in the same nanosecond: the start is written first', () => {
    const trace = exported(
      [
        ev('message.receive', 200, 'reader', 19, { channel: 'chat', messageId: 5, bytes: 3 }),
        ev('message.send', 100, 'writer', 19, { channel: 'chat', messageId: 5, bytes: 3 }),
      ],
      [
        [100, 'writer'],
        [200, 'reader'],
      ],
    );
    assert.deepEqual(
      slices(trace).map((s) => [s.args.kind, s.flow_out ?? false]),
      [
        ['message.send', true],
        ['message.receive', false],
      ],
    );
  });

  test('a receive stamped before its send gets no arrow; both ends say why, the metadata counts it', () => {
    const trace = exported(
      [
        ev('message.receive', 200, 'reader', 19, { channel: 'chat', messageId: 5, bytes: 3 }),
        ev('message.send', 100, 'writer', 20, { channel: 'chat', messageId: 5, bytes: 3 }),
      ],
      [
        [100, 'writer'],
        [200, 'reader'],
      ],
    );
    assert.equal(slices(trace).length, 0);
    const notes = instants(trace).map((i) => i.args.flow);
    assert.deepEqual(notes, [notes[0], notes[0]]);
    assert.match(String(notes[0]), /^no arrow: the receive was stamped 1 µs before the send/);
    assert.equal(trace.metadata.arrowsNotDrawn, 1);
  });

  test('a process that reads back its own message gets no arrow from itself', () => {
    const trace = exported([
      ev('message.send', 100, 'talker', 10, { channel: 'fifo', messageId: 1, bytes: 2 }),
      ev('message.receive', 100, 'talker', 20, { channel: 'fifo', messageId: 1, bytes: 2 }),
    ]);
    assert.deepEqual(
      instants(trace).map((i) => [i.args.kind, i.args.flow]),
      [
        ['message.send', 'no arrow: no other process received this message'],
        ['message.receive', 'no arrow: no other process sent a message with this channel and messageId'],
      ],
    );
  });

  test('an RPC retried: the flow starts at the attempt before the execution, not the first one', () => {
    const trace = exported(
      [
        ev('rpc.call', 100, 'client', 10, { channel: 'bank', xid: 7, procedure: 'deposit', args: '1', attempt: 1 }),
        ev('rpc.call', 100, 'client', 50, { channel: 'bank', xid: 7, procedure: 'deposit', args: '1', attempt: 2 }),
        ev('rpc.execute', 200, 'server', 60, { channel: 'bank', xid: 7, procedure: 'deposit', args: '1', result: '1' }),
        ev('rpc.reply', 100, 'client', 70, { channel: 'bank', xid: 7, procedure: 'deposit', result: '1', attempts: 2, durationNs: '60000' }),
      ],
      [
        [100, 'client'],
        [200, 'server'],
      ],
    );
    assert.deepEqual(
      slices(trace).map((s) => [s.ts, s.args.kind, s.bind_id]),
      [
        [50, 'rpc.call', 1],
        [60, 'rpc.execute', 1],
        [70, 'rpc.reply', 1],
      ],
    );
    assert.deepEqual(
      instants(trace).map((i) => [i.ts, i.name]),
      [[10, 'call deposit xid 7']],
    );
  });
});

describe('tracks, counters and instants', () => {
  test("pid 0 events go on the host's track, counters on the buffers track, a message queue's QSIZE too", () => {
    const trace = exported([
      ev('object.create', 100, 'parent', 1, { channel: 'mailbox box', object: { type: 'mqueue', name: '/ipc-lab-1-box' } }),
      ev('kernel.objects', 0, 'host', 2, { shm: [], mqueue: [{ path: '/dev/mqueue/ipc-lab-1-box', status: 'QSIZE:42         NOTIFY:0' }] }),
      ev('host.warning', 0, 'host', 3, { text: 'The run timed out.' }),
      ev('host.warning', 100, 'parent', 4, { text: 'parent wrote to stderr' }),
      ev('buffer.level', 100, 'parent', 5, { channel: 'mailbox box', used: 1, capacity: 3 }),
      ev('buffer.level', 200, 'child', 6, { channel: 'mailbox box', used: 0, capacity: 3 }),
    ]);
    const names = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, e.ph === 'M' ? e.args.name : '']));
    assert.equal(names.get(HOST_TRACK_PID), 'IPC Lab host');
    assert.equal(names.get(BUFFERS_TRACK_PID), 'Buffers and queues');
    assert.deepEqual(
      instants(trace)
        .filter((i) => i.args.kind !== 'object.create')
        .map((i) => [i.pid, i.name]),
      [
        [HOST_TRACK_PID, 'kernel objects'],
        [HOST_TRACK_PID, 'warning: The run timed out.'],
        [100, 'warning: parent wrote to stderr'],
      ],
    );
    assert.deepEqual(
      trace.traceEvents.filter((e) => e.ph === 'C').map((c) => [c.pid, c.name, c.args]),
      [
        [BUFFERS_TRACK_PID, 'mailbox box (QSIZE)', { bytes: 42 }],
        [BUFFERS_TRACK_PID, 'mailbox box (capacity 3)', { used: 1 }],
        [BUFFERS_TRACK_PID, 'mailbox box (capacity 3)', { used: 0 }],
      ],
    );
  });

  test('errors, EOF, notes and rejected lines are thread instants with their fields in args', () => {
    const trace = exported([
      ev('io.eof', 100, 'parent', 1, { channel: 'pipe' }),
      ev('note', 100, 'parent', 2, { text: 'end of file after 5 messages' }),
      ev('io.error', 100, 'parent', 3, { op: 'wait', channel: 'counter: mutex', code: 'EOWNERDEAD', message: 'the holder died' }),
      ev('rpc.error', 100, 'parent', 4, { channel: 'bank', code: 'TIMEOUT', message: 'no reply' }),
      ev('trace.rejected', 100, 'parent', 5, { line: '{', reason: 'not JSON', fix: 'write one JSON object per line' }),
    ]);
    assert.deepEqual(
      instants(trace).map((i) => [i.s, i.name, i.args.kind]),
      [
        ['t', 'EOF pipe', 'io.eof'],
        ['t', 'end of file after 5 messages', 'note'],
        ['t', 'EOWNERDEAD in wait(counter: mutex)', 'io.error'],
        ['t', 'TIMEOUT', 'rpc.error'],
        ['t', 'trace line rejected: not JSON', 'trace.rejected'],
      ],
    );
    assert.deepEqual(instants(trace)[4]!.args, { kind: 'trace.rejected', seq: seq, line: '{', reason: 'not JSON', fix: 'write one JSON object per line' });
  });

  test("a call's slice is its measured time inside the call, never earlier than its io.begin", () => {
    const trace = exported([
      ev('io.begin', 100, 'parent', 10, { op: 'read', channel: 'pipe', bytes: 64 }),
      ev('io.end', 100, 'parent', 20, { op: 'read', channel: 'pipe', bytes: 3, durationNs: '4000' }),
      ev('io.begin', 100, 'parent', 30, { op: 'write', channel: 'pipe', bytes: 3 }),
      ev('io.end', 100, 'parent', 32, { op: 'write', channel: 'pipe', bytes: 3, durationNs: '5000' }),
    ]);
    assert.deepEqual(
      slices(trace).map((s) => [s.name, s.ts, s.dur, s.args.requested, s.args.bytes, s.args.durationNs]),
      [
        ['read(pipe)', 16, 4, 64, 3, '4000'],
        ['write(pipe)', 30, 2, 3, 3, '5000'],
      ],
    );
  });

  test('an io.begin followed by another of the same call ends where the second begins, unfinished', () => {
    const trace = exported([
      ev('io.begin', 100, 'parent', 10, { op: 'read', channel: 'pipe' }),
      ev('io.begin', 100, 'parent', 20, { op: 'read', channel: 'pipe' }),
      ev('io.end', 100, 'parent', 30, { op: 'read', channel: 'pipe', bytes: 1, durationNs: '5000' }),
    ]);
    assert.deepEqual(
      slices(trace).map((s) => [s.name, s.ts, s.dur, s.args.endedBy ?? null]),
      [
        ['read(pipe) never returned', 10, 10, 'another io.begin of the same call'],
        ['read(pipe)', 25, 5, null],
      ],
    );
  });

  test('an io.end whose io.begin is missing is a slice of its own measured duration', () => {
    const trace = exported([ev('io.end', 100, 'parent', 50, { op: 'read', channel: 'pipe', bytes: 3, durationNs: '12500' })]);
    const [read] = slices(trace);
    assert.deepEqual([read?.ts, read?.dur, read?.args.beginMissing], [37.5, 12.5, true]);
  });

  test('the recorded runs name their own processes, never pid 0', () => {
    const { run, events } = loadTrace('rpc-stubs-proc-unavail');
    const pids = new Set(nonMetadata(toPerfettoTrace(run, events)).map((e) => e.pid));
    assert.deepEqual(pids, new Set([31607, 31631, BUFFERS_TRACK_PID]));
  });
});
