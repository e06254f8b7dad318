import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LAB_EVENT_KINDS, parseLabTraceLine, type TraceEvent } from '../../../main/contract/trace-events.js';
import { openEngine } from '../../../main/engine/engine.js';
import { storeFixtureRun } from '../../bench/trace-scale/fixture-run.js';
import { FIXTURE_KINDS, fixtureEvents, fixtureMinEvents, fixtureProcesses, SNAPSHOT_EVERY } from '../../bench/trace-scale/fixture-trace.js';

const labKinds: ReadonlySet<string> = new Set(LAB_EVENT_KINDS);

/** What the spec of kernel.snapshot requires (the host's kind: parseLabTraceLine refuses it from a lab). */
function snapshotProblem(e: TraceEvent): string | null {
  if (e.kind !== 'kernel.snapshot') return 'not a kernel.snapshot';
  if (typeof e.state !== 'string' || typeof e.wchan !== 'string') return 'state and wchan must be strings';
  if (!Array.isArray(e.fds) || !e.fds.every((fd) => Number.isSafeInteger(fd.fd) && typeof fd.target === 'string')) return 'fds must list {fd, target}';
  return null;
}

describe('the trace-scale fixture', () => {
  for (const [events, children] of [
    [fixtureMinEvents(1), 1],
    [12_345, 3],
    [2 * SNAPSHOT_EVERY + 7, 4],
  ] as const) {
    it(`makes exactly ${events} valid events over ${children + 1} processes, of every kind it promises`, () => {
      const processes = fixtureProcesses(children);
      const trace = [...fixtureEvents({ events, children, startTs: 1_000_000_000n })];
      assert.equal(trace.length, events);
      const kinds = new Map<string, number>();
      for (const e of trace) {
        kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
        if (labKinds.has(e.kind)) {
          const verdict = parseLabTraceLine(JSON.stringify(e), e.pid);
          assert.ok(verdict.ok, `${e.kind} at ${e.ts}: ${verdict.ok ? '' : verdict.reason}`);
        } else assert.equal(snapshotProblem(e), null, `${e.kind} at ${e.ts}`);
      }
      assert.deepEqual([...kinds.keys()].sort(), [...FIXTURE_KINDS].sort());
      for (const kind of ['process.start', 'process.exit'] as const) assert.equal(kinds.get(kind), processes.length, kind);
      assert.equal(kinds.get('kernel.snapshot'), processes.length * (1 + Math.floor((events - 3 * processes.length) / SNAPSHOT_EVERY)));
      // In time order, every process inside its start and exit.
      for (let i = 1; i < trace.length; i++) assert.ok(BigInt(trace[i]!.ts) > BigInt(trace[i - 1]!.ts), `ts order at ${i}`);
      assert.deepEqual(new Set(trace.map((e) => e.pid)), new Set(processes.map((p) => p.pid)));
      for (const p of processes) {
        const own = trace.filter((e) => e.pid === p.pid);
        assert.equal(own[0]!.kind, 'process.start', p.role);
        assert.equal(own.at(-1)!.kind, 'process.exit', p.role);
      }
    });
  }

  it('pairs every message with its receive, closes every call, and blocks some calls for over 1 ms', () => {
    const trace = [...fixtureEvents({ events: 5_000, children: 3, startTs: 5n })];
    const sends = new Map<string, string>();
    const receives = new Map<string, string>();
    const open = new Map<string, bigint>();
    let blocked = 0;
    for (const e of trace) {
      if (e.kind === 'message.send') sends.set(`${e.channel}#${e.messageId}`, e.ts);
      if (e.kind === 'message.receive') receives.set(`${e.channel}#${e.messageId}`, e.ts);
      if (e.kind === 'io.begin') open.set(`${e.pid} ${e.op} ${e.channel}`, BigInt(e.ts));
      if (e.kind === 'io.end') {
        const key = `${e.pid} ${e.op} ${e.channel}`;
        const began = open.get(key);
        assert.ok(began !== undefined, `io.end without io.begin: ${key}`);
        assert.equal(BigInt(e.durationNs), BigInt(e.ts) - began, `durationNs of ${key} at ${e.ts}`);
        if (BigInt(e.durationNs) > 1_000_000n) blocked++;
        open.delete(key);
      }
    }
    assert.equal(open.size, 0, 'calls left open');
    assert.ok(sends.size > 500, `only ${sends.size} messages`);
    assert.deepEqual([...receives.keys()].sort(), [...sends.keys()].sort());
    for (const [id, ts] of sends) assert.ok(BigInt(receives.get(id)!) > BigInt(ts), `${id} received before it was sent`);
    assert.ok(blocked >= sends.size / 8, `${blocked} blocked calls for ${sends.size} messages`);
  });

  it('refuses a count too small to hold a message, saying the least it can make', () => {
    assert.throws(() => [...fixtureEvents({ events: 10, children: 3, startTs: 0n })], /at least 20 for 3 children/);
    assert.throws(() => [...fixtureEvents({ events: 1000, children: 0, startTs: 0n })], /children must be a whole number of 1 or more/);
  });

  it('stores the trace as a finished run of a lab step, every event and process in SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-fixture-'));
    try {
      const engine = await openEngine({ dataDir: dir });
      try {
        const lab = engine.loadedLabs.find((l) => l.id === 'ordinary-pipes')!;
        const { runId, events } = storeFixtureRun(engine.store, lab, 'one-way', 25_001, 3);
        assert.equal(events, 25_001);
        const run = engine.store.run(runId)!;
        assert.equal(run.status, 'completed');
        assert.equal(run.labId, 'ordinary-pipes');
        assert.equal(run.stepId, 'one-way');
        assert.ok(run.endedAt !== null, 'the run has no end time');
        assert.deepEqual(
          run.processes.map((p) => [p.role, p.state]),
          fixtureProcesses(3).map((p) => [p.role, 'exited']),
        );
        const stored = engine.store.events(runId);
        assert.deepEqual(
          stored.map((e) => e.seq),
          Array.from({ length: 25_001 }, (_, i) => i + 1),
        );
        assert.equal(stored.at(-1)!.kind, 'process.exit');
        assert.throws(() => storeFixtureRun(engine.store, lab, 'no-such-step', 100, 1), /has no step no-such-step/);
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
