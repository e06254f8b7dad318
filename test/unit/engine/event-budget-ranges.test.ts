/**
 * The parameter ranges that keep every allowed run well under the per-run event budget
 * (RUN_EVENT_BUDGET; labs/README.md "Event budget"), as the loader enforces them. The two scenarios whose
 * event count grows with a product of parameters are bounded here by that product (the event model in
 * the comments next to their ranges; test/tools/measure-run-events.ts measured 166,824 and 196,219
 * events at these bounds): widening a range past half the budget fails this test.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { ParamSpec, Scenario } from '../../../main/contract/lab-model.js';
import { RUN_EVENT_BUDGET } from '../../../main/contract/trace-events.js';
import { loadLabs, paramProblem, type LoadedLab } from '../../../main/engine/lab-loader.js';
import { findProjectRoot } from '../../../main/project-root.js';

const root = findProjectRoot();
let labs: LoadedLab[];
before(async () => {
  ({ labs } = await loadLabs(join(root, 'labs'), join(root, 'dist', 'labs')));
});

function scenario(labId: string, scenarioId: string): Scenario {
  return labs.find((l) => l.id === labId)!.scenarios.find((s) => s.id === scenarioId)!;
}

function integer(s: Scenario, name: string): Extract<ParamSpec, { type: 'integer' }> {
  const spec = s.params.find((p) => p.name === name);
  assert.ok(spec?.type === 'integer', `${name} is an integer parameter`);
  return spec;
}

describe('parameter ranges under the event budget', () => {
  it("ordinary-pipes capacity: at most 640 KiB in writes of at least 16 bytes, three events per write (the pipe's level the third)", () => {
    const s = scenario('ordinary-pipes', 'capacity');
    const chunk = integer(s, 'chunkBytes');
    const total = integer(s, 'totalKiB');
    assert.deepEqual([chunk.min, total.max], [16, 640]);
    const writes = (total.max * 1024) / chunk.min;
    assert.ok(3 * writes <= RUN_EVENT_BUDGET / 2, `${3 * writes} events from the writes alone`);
    // Still more than a pipe holds (65,536 bytes, pipe(7)), so the writer blocks.
    assert.ok(total.max * 1024 > 65_536, 'more data than a pipe holds');
    assert.equal(paramProblem(chunk, 1), '"chunkBytes" must be between 16 and 65536 bytes (got 1)');
    assert.equal(paramProblem(total, 4096), '"totalKiB" must be between 1 and 640 KiB (got 4096)');
  });

  it("named-pipes writers: at most 4 x 250 records of 16 KiB, read 256 bytes or more at a time, three events per read (the FIFO's level the third)", () => {
    const s = scenario('named-pipes', 'writers');
    const [writers, records, recordBytes, readBytes] = ['writers', 'records', 'recordBytes', 'readBytes'].map((n) => integer(s, n));
    assert.deepEqual([writers!.max, records!.max, recordBytes!.max, readBytes!.min], [4, 250, 16384, 256]);
    const pieces = writers!.max * records!.max;
    const reads = pieces * Math.ceil(recordBytes!.max / readBytes!.min);
    // Each record is also a message.send, a traced write and the FIFO's level (four events) and a message.receive.
    assert.ok(3 * reads + 5 * pieces <= RUN_EVENT_BUDGET / 2, `${3 * reads + 5 * pieces} events`);
    assert.ok(recordBytes!.max > 4096, 'records larger than PIPE_BUF stay possible (pipe(7))');
    assert.equal(paramProblem(readBytes!, 1), '"readBytes" must be between 256 and 65536 bytes (got 1)');
    assert.equal(paramProblem(records!, 1000), '"records" must be between 1 and 250 records (got 1000)');
  });
});
