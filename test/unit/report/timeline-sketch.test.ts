import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunSummary } from '../../../main/contract/lab-model.js';
import type { StoredEvent, TraceEvent } from '../../../main/contract/trace-events.js';
import { BLOCKED_THRESHOLD_NS, MAX_ARROWS, MAX_MARKS, MAX_SLICES, sketchTimeline } from '../../../main/report/timeline-sketch.js';
import { timelineSvg } from '../../../main/report/timeline-svg.js';
import { loadTrace } from '../../fixtures/traces/traces.js';

const START = 5_000_000_000n;

function run(processes: RunSummary['processes'], checks: RunSummary['checks'] = [], startTs = START): RunSummary {
  return {
    runId: 1,
    labVersion: null,
    sessionId: 1,
    labId: 'lab',
    stepId: 'step',
    scenarioId: 'scenario',
    params: {},
    status: 'passed',
    startTs: startTs.toString(),
    startedAt: '2026-12-01T10:00:00.000Z',
    endedAt: '2026-12-01T10:00:01.000Z',
    message: null,
    processes,
    checks,
  };
}

const proc = (pid: number, role: string): RunSummary['processes'][number] => ({
  pid,
  ppid: 1,
  role,
  program: `programs/${role}.ts`,
  state: 'exited',
  exitCode: 0,
  signal: null,
});

/** Builds stored events in order; `at` is ns after START. */
function trace() {
  const events: StoredEvent[] = [];
  const add = (at: bigint, pid: number, role: string, fields: Record<string, unknown> & { kind: TraceEvent['kind'] }) => {
    events.push({ v: 1, ts: (START + at).toString(), pid, role, ...fields, runId: 1, seq: events.length + 1 } as unknown as StoredEvent);
  };
  return { events, add };
}

describe('sketchTimeline on real traces', () => {
  it('draws one lane per process and an arrow per message, from the sender to the receiver (message-passing naming)', () => {
    const { run: summary, events } = loadTrace('message-passing-naming');
    const sketch = sketchTimeline(summary, events);
    assert.deepEqual(
      sketch.lanes.map((l) => `${l.role} ${l.pid}`),
      summary.processes.map((p) => `${p.role} ${p.pid}`),
      'lanes follow the run summary',
    );
    for (const lane of sketch.lanes) {
      assert.equal(lane.exit, 'exit 0', `${lane.role} exited 0`);
      assert.ok(lane.endNs !== null && lane.endNs > lane.startNs, `${lane.role} has an end after its start`);
    }
    // Expected arrows, computed here from the raw events: each send with the receive of the same channel and id in another process.
    const sends = events.filter((e) => e.kind === 'message.send');
    const receives = events.filter((e) => e.kind === 'message.receive');
    const expected = sends
      .map((s) => {
        const r = receives.find((x) => x.channel === s.channel && x.messageId === s.messageId && x.pid !== s.pid);
        return r ? `${s.pid}->${r.pid} ${Number(BigInt(s.ts) - BigInt(summary.startTs))}->${Number(BigInt(r.ts) - BigInt(summary.startTs))}` : null;
      })
      .filter((x) => x !== null)
      .sort();
    assert.equal(expected.length, 15, 'the fixture has 15 delivered messages');
    const actual = sketch.arrows.map((a) => `${sketch.lanes[a.fromLane]!.pid}->${sketch.lanes[a.toLane]!.pid} ${a.fromNs}->${a.toNs}`).sort();
    assert.deepEqual(actual, expected);
    // Every blocked wait is long (this trace's waits block for tens of ms) and lies inside its process's life.
    for (const slice of sketch.slices) {
      const lane = sketch.lanes[slice.lane]!;
      assert.ok(slice.startNs >= lane.startNs && slice.endNs <= (lane.endNs ?? Infinity), `slice ${slice.label} inside ${lane.role}'s life`);
      if (slice.endNs - slice.startNs >= BLOCKED_THRESHOLD_NS) assert.ok(slice.blocked, `${slice.label} lasted long enough to be blocked`);
    }
    assert.ok(
      sketch.slices.some((s) => s.blocked && s.op === 'wait'),
      'the receiver waits on its empty mailbox',
    );
    assert.equal(sketch.simplified, 0, 'a small trace is not simplified');
  });

  it('shows a process killed inside read(), its errors and the checks (ordinary-pipes one-way, killed)', () => {
    const { run: summary, events } = loadTrace('ordinary-pipes-one-way-killed');
    const sketch = sketchTimeline(summary, events);
    const child = sketch.lanes.findIndex((l) => l.role === 'child');
    const parent = sketch.lanes.findIndex((l) => l.role === 'parent');
    const start = BigInt(summary.startTs);
    const reap = events.find((e) => e.kind === 'child.exit')!;
    const reapNs = Number(BigInt(reap.ts) - start);
    assert.equal(sketch.lanes[child]!.exit, 'SIGTERM');
    assert.equal(sketch.lanes[child]!.endNs, reapNs, "the child's end is its parent's waitpid");
    assert.equal(sketch.lanes[parent]!.exit, 'exit 0');

    const read = sketch.slices.find((s) => s.lane === child && s.op === 'read');
    assert.ok(read, 'the read that never returned is drawn');
    assert.equal(read.endNs, reapNs, 'it runs to the end of the process');
    assert.ok(read.blocked, 'and it is blocked');
    assert.match(read.label, /never returned: ended by SIGTERM/);

    const errors = sketch.marks.filter((m) => m.kind === 'error').map((m) => `${sketch.lanes[m.lane]!.role} ${m.label}`);
    assert.equal(errors.length, 2, errors.join('; '));
    assert.ok(
      errors.some((e) => e.startsWith('parent write on pipe: EPIPE')),
      errors.join('; '),
    );
    assert.ok(
      errors.some((e) => e.startsWith('child write on pipe: EBADF')),
      errors.join('; '),
    );
    const signal = sketch.marks.filter((m) => m.kind === 'signal');
    assert.deepEqual(
      signal.map((m) => [m.lane, m.atNs]),
      [[child, reapNs]],
      'one signal mark, in the child lane',
    );
    const starts = sketch.marks.filter((m) => m.kind === 'start').map((m) => m.lane);
    assert.deepEqual(starts.sort(), [parent, child].sort(), 'a start mark per process');

    // Check marks sit at each check's moment, in the lane of the event at that moment.
    const checks = sketch.marks.filter((m) => m.kind === 'check');
    const withMoment = summary.checks.filter((c) => c.moment !== null);
    assert.equal(checks.length, withMoment.length);
    for (const c of withMoment) {
      const at = Number(BigInt(c.moment!) - start);
      const mark = checks.find((m) => m.atNs === at);
      assert.ok(mark, `a mark for ${c.id}`);
      const pid = events.find((e) => e.ts === c.moment)!.pid;
      assert.equal(sketch.lanes[mark.lane]!.pid, pid, `${c.id} in the lane of its evidence`);
      assert.ok(mark.label.startsWith(c.passed ? 'check passed' : 'check failed'), mark.label);
    }
  });

  it('draws an RPC arrow only for the call the server executed, and the TCP connection (rpc stubs, PROC_UNAVAIL)', () => {
    const { run: summary, events } = loadTrace('rpc-stubs-proc-unavail');
    const sketch = sketchTimeline(summary, events);
    const client = sketch.lanes.findIndex((l) => l.role === 'client');
    const server = sketch.lanes.findIndex((l) => l.role === 'server');
    const rpcArrows = sketch.arrows.filter((a) => a.label.startsWith('RPC '));
    assert.equal(rpcArrows.length, 1, 'the first call was refused and never executed');
    assert.deepEqual([rpcArrows[0]!.fromLane, rpcArrows[0]!.toLane], [client, server]);
    assert.match(rpcArrows[0]!.label, /xid 31607542/);
    const execute = events.find((e) => e.kind === 'rpc.execute')!;
    assert.equal(rpcArrows[0]!.toNs, Number(BigInt(execute.ts) - BigInt(summary.startTs)));
    assert.equal(sketch.arrows.filter((a) => a.label.startsWith('TCP connection')).length, 1, 'the connection, connect to accept');
    assert.equal(sketch.marks.filter((m) => m.kind === 'error').length, 2, 'PROC_UNAVAIL in both processes');
  });
});

describe('sketchTimeline rules', () => {
  it('calls a short call blocked only when the kernel view saw the process asleep in it, with a wait channel', () => {
    const { events, add } = trace();
    add(0n, 10, 'a', { kind: 'process.start', ppid: 1, program: 'a.ts' });
    // 1: 200 µs, asleep in pipe_write during it: blocked.
    add(1_000_000n, 10, 'a', { kind: 'io.begin', op: 'write', channel: 'pipe', bytes: 10 });
    add(1_100_000n, 10, 'a', { kind: 'kernel.snapshot', state: 'S (sleeping)', wchan: 'pipe_write', fds: [] });
    add(1_200_000n, 10, 'a', { kind: 'io.end', op: 'write', channel: 'pipe', bytes: 10, durationNs: '200000' });
    // 2: 200 µs, "S" with no wait channel: not blocked.
    add(2_000_000n, 10, 'a', { kind: 'io.begin', op: 'write', channel: 'pipe', bytes: 10 });
    add(2_100_000n, 10, 'a', { kind: 'kernel.snapshot', state: 'S (sleeping)', wchan: '', fds: [] });
    add(2_200_000n, 10, 'a', { kind: 'io.end', op: 'write', channel: 'pipe', bytes: 10, durationNs: '200000' });
    // 3: exactly the threshold: blocked.
    add(3_000_000n, 10, 'a', { kind: 'io.begin', op: 'read', channel: 'pipe', bytes: 10 });
    add(4_000_000n, 10, 'a', { kind: 'io.end', op: 'read', channel: 'pipe', bytes: 10, durationNs: String(BLOCKED_THRESHOLD_NS) });
    // 4: asleep, but after the call: not blocked.
    add(5_000_000n, 10, 'a', { kind: 'io.begin', op: 'read', channel: 'pipe', bytes: 10 });
    add(5_100_000n, 10, 'a', { kind: 'io.end', op: 'read', channel: 'pipe', bytes: 10, durationNs: '100000' });
    add(5_200_000n, 10, 'a', { kind: 'kernel.snapshot', state: 'D (disk sleep)', wchan: 'pipe_read', fds: [] });
    add(6_000_000n, 10, 'a', { kind: 'process.exit', code: 0 });
    const sketch = sketchTimeline(run([proc(10, 'a')]), events);
    assert.deepEqual(
      sketch.slices.map((s) => [s.startNs, s.endNs, s.blocked]),
      [
        [1_000_000, 1_200_000, true],
        [2_000_000, 2_200_000, false],
        [3_000_000, 4_000_000, true],
        [5_000_000, 5_100_000, false],
      ],
    );
    assert.equal(sketch.durationNs, 6_000_000);
    assert.deepEqual(sketch.lanes[0], { pid: 10, role: 'a', startNs: 0, endNs: 6_000_000, exit: 'exit 0' });
  });

  it('takes times from the run start in bigint, exact past 2^53 ns of monotonic clock', () => {
    const start = 2n ** 62n + 12_345n;
    const events: StoredEvent[] = [
      { v: 1, ts: (start + 1_234_567n).toString(), pid: 3, role: 'x', kind: 'note', text: 'hi', runId: 1, seq: 1 },
      { v: 1, ts: (start + 1_234_568n).toString(), pid: 3, role: 'x', kind: 'process.exit', code: 0, runId: 1, seq: 2 },
    ];
    const sketch = sketchTimeline(run([proc(3, 'x')], [], start), events);
    assert.deepEqual(
      sketch.marks.map((m) => [m.kind, m.atNs]),
      [
        ['note', 1_234_567],
        ['exit', 1_234_568],
      ],
    );
  });

  it('pairs a message only across processes: both ends of a two-way channel number their messages from 1', () => {
    const { events, add } = trace();
    add(1_000n, 1, 'a', { kind: 'message.send', channel: 'fifo', messageId: 1, bytes: 3 });
    add(2_000n, 1, 'a', { kind: 'message.receive', channel: 'fifo', messageId: 1, bytes: 3 }); // b's #1 arriving at a
    add(1_500n, 2, 'b', { kind: 'message.send', channel: 'fifo', messageId: 1, bytes: 3 });
    add(2_500n, 2, 'b', { kind: 'message.receive', channel: 'fifo', messageId: 1, bytes: 3 });
    const sketch = sketchTimeline(run([proc(1, 'a'), proc(2, 'b')]), events);
    assert.deepEqual(
      sketch.arrows.map((a) => [a.fromLane, a.fromNs, a.toLane, a.toNs]),
      [
        [0, 1_000, 1, 2_500],
        [1, 1_500, 0, 2_000],
      ],
    );
  });

  it('stays within its limits on a 100,000-event trace, and says how much it simplified', () => {
    const { events, add } = trace();
    const pids = [101, 102, 103, 104];
    pids.forEach((pid, i) => add(BigInt(i), pid, `p${i}`, { kind: 'process.start', ppid: 1, program: `p${i}.ts` }));
    let t = 10_000n;
    let id = 0;
    while (events.length < 100_000 - 8) {
      const writer = pids[id % 2]!;
      const reader = pids[2 + (id % 2)]!;
      id++;
      add(t, writer, 'w', { kind: 'io.begin', op: 'write', channel: 'pipe', bytes: 64 });
      // Every 50th write blocks for 2 ms.
      const d = id % 50 === 0 ? 2_000_000n : 5_000n;
      add(t + d, writer, 'w', { kind: 'io.end', op: 'write', channel: 'pipe', bytes: 64, durationNs: d.toString() });
      add(t + d + 100n, writer, 'w', { kind: 'message.send', channel: `pipe${id % 2}`, messageId: id, bytes: 64 });
      add(t + d + 1_000n, reader, 'r', { kind: 'message.receive', channel: `pipe${id % 2}`, messageId: id, bytes: 64 });
      if (id % 10 === 0) add(t + d + 2_000n, reader, 'r', { kind: 'note', text: `got ${id}` });
      t += d + 10_000n;
    }
    pids.forEach((pid) => add(t + 1_000n, pid, 'x', { kind: 'process.exit', code: 0 }));
    assert.ok(events.length >= 99_990 && events.length <= 100_000, `${events.length} events`);
    const summary = run(pids.map((pid, i) => proc(pid, `p${i}`)));
    const sketch = sketchTimeline(summary, events);
    assert.ok(sketch.slices.length <= MAX_SLICES, `${sketch.slices.length} slices`);
    assert.ok(sketch.arrows.length <= MAX_ARROWS, `${sketch.arrows.length} arrows`);
    assert.ok(sketch.marks.length <= MAX_MARKS, `${sketch.marks.length} marks`);
    assert.ok(sketch.simplified > 0, 'simplified counts what was merged or left out');
    assert.equal(sketch.lanes.length, 4);
    assert.ok(
      sketch.slices.some((s) => s.blocked),
      'merged slices that held a blocked call stay blocked',
    );
    assert.ok(
      sketch.slices.some((s) => /calls merged/.test(s.label)),
      'merged slices say so',
    );
    // Every process's start and end survive the thinning of marks.
    for (let lane = 0; lane < 4; lane++) {
      assert.ok(
        sketch.marks.some((m) => m.lane === lane && m.kind === 'start'),
        `start of lane ${lane}`,
      );
      assert.ok(
        sketch.marks.some((m) => m.lane === lane && m.kind === 'exit'),
        `exit of lane ${lane}`,
      );
    }
    for (const s of sketch.slices) assert.ok(s.startNs <= s.endNs && s.endNs <= sketch.durationNs, 'slice within the run');
    // The drawing of it is bounded too.
    const svg = timelineSvg(sketch);
    assert.ok(svg.length < 1_000_000, `${svg.length} characters of SVG`);
    assert.match(svg, /items merged or left out/);
  });

  it('is deterministic: the same events, in any array order, give the same sketch', () => {
    const { run: summary, events } = loadTrace('message-passing-naming');
    const a = sketchTimeline(summary, events);
    const b = sketchTimeline(summary, [...events].reverse());
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.equal(timelineSvg(a, { idPrefix: 'x' }), timelineSvg(b, { idPrefix: 'x' }));
  });
});

describe('timelineSvg', () => {
  it('is an accessible image: role, title, a description of what it shows, a row label per process', () => {
    const { run: summary, events } = loadTrace('ordinary-pipes-one-way-killed');
    const svg = timelineSvg(sketchTimeline(summary, events), { idPrefix: 'run-1', title: 'Timeline of run 419' });
    assert.match(svg, /^<svg [^>]*role="img"[^>]*aria-labelledby="run-1-title run-1-desc"/);
    assert.match(svg, /<title id="run-1-title">Timeline of run 419<\/title>/);
    assert.match(svg, /<desc id="run-1-desc">2 processes over [\d.]+ ms, one row each: parent \(pid 27851\), exit 0; child \(pid 27862\), SIGTERM\./);
    assert.match(svg, />parent \(pid 27851\)</);
    assert.match(svg, />child \(pid 27862\)</);
    assert.match(svg, /viewBox="0 0 900 \d+"/);
    // Blocked calls are hatched and outlined in black, so they print distinctly in black and white.
    assert.match(svg, /<rect [^>]*fill="url\(#run-1-hatch\)" stroke="#000000"[^>]*><title>read pipe 4096 B, never returned: ended by SIGTERM/);
    for (const [, value] of svg.matchAll(/url\(([^)]*)\)/g)) assert.match(value!, /^#run-1-/, 'only local references');
    assert.doesNotMatch(svg, /(?:href|src)=/, 'no links');
  });

  it('escapes every text and writes numbers with fixed decimals', () => {
    const { events, add } = trace();
    add(1_000_000n, 7, '<b>&"role"', { kind: 'note', text: '</svg><script>alert(1)</script>' });
    const svg = timelineSvg(sketchTimeline(run([proc(7, '<b>&"role"')]), events));
    assert.doesNotMatch(svg, /<script|<b>/);
    assert.match(svg, /&lt;\/svg&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(svg, /&lt;b&gt;&amp;&quot;role&quot; \(pid 7\)/);
    for (const [, value] of svg.matchAll(/ (?:x|y|x1|x2|y1|y2|cx|cy|width)="([^"]*)"/g)) assert.match(value!, /^-?\d+(\.\d)?$|^100%$/, `coordinate ${value}`);
  });

  it('says so when a run recorded no process', () => {
    const svg = timelineSvg(sketchTimeline(run([]), []));
    assert.match(svg, /No process events were recorded for this run\./);
  });
});
