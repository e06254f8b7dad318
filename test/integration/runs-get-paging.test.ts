/**
 * `runs.get` a page at a time (issue 11, defect 8): a run of more events than a page, on a real engine
 * over real lab processes and a real SQLite file. No answer carries more than one page; following
 * `nextSeq` gives every stored event exactly once, in seq order; bad cursors and limits are refused
 * with the field named; `ipc-lab show` follows the pages to the end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RUN_EVENTS_PAGE_EVENTS } from '../../main/contract/commands.js';
import type { StoredEvent } from '../../main/contract/trace-events.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

/** The benchmark's trace-flood lab: two processes that each emit `events` measure events. */
const FLOOD_LABS = join(findProjectRoot(), 'test', 'bench', 'labs');
/** Per process: the run stores 2 x this many measure events, and a few of the host's, so 3 pages. */
const EVENTS_EACH = 6000;

let harness: Harness;
let runId: number;
/** The run's events as stored, seq order (what the pages must add up to). */
let stored: StoredEvent[];

before(async () => {
  harness = await openHarness(FLOOD_LABS);
  const finished = await runToEnd(harness.engine, { labId: 'trace-flood', scenarioId: 'flood', stepId: 'flood', params: { events: EVENTS_EACH } });
  assert.equal(finished.run.status, 'completed', JSON.stringify(finished.run));
  assertNothingLeft(finished.run);
  runId = finished.run.runId;
  stored = finished.stored;
  assert.ok(stored.length > 2 * RUN_EVENTS_PAGE_EVENTS, `${stored.length} events stored: more than two pages`);
});
after(async () => {
  await harness.close();
});

describe('runs.get pages', () => {
  it('answers at most one page without a cursor, with the seq to go on from', async () => {
    const answer = await harness.engine.call('runs.get', { runId });
    assert.equal(answer.run.runId, runId);
    assert.equal(answer.events.length, RUN_EVENTS_PAGE_EVENTS, `${answer.events.length} events in the first answer`);
    assert.deepEqual(
      answer.events.map((e) => e.seq),
      stored.slice(0, RUN_EVENTS_PAGE_EVENTS).map((e) => e.seq),
    );
    assert.equal(answer.nextSeq, answer.events.at(-1)!.seq);
  });

  it('gives every event exactly once, in seq order, when nextSeq is followed to null', async () => {
    const events: StoredEvent[] = [];
    let afterSeq = 0;
    let answers = 0;
    for (;;) {
      const answer = await harness.engine.call('runs.get', { runId, afterSeq });
      answers++;
      assert.ok(answer.events.length <= RUN_EVENTS_PAGE_EVENTS, `answer ${answers}: ${answer.events.length} events`);
      events.push(...answer.events);
      if (answer.nextSeq === null) break;
      assert.ok(answer.nextSeq > afterSeq, `answer ${answers}: nextSeq ${answer.nextSeq} after afterSeq ${afterSeq}`);
      afterSeq = answer.nextSeq;
    }
    assert.equal(answers, Math.ceil(stored.length / RUN_EVENTS_PAGE_EVENTS));
    assert.deepEqual(events, stored, 'the pages add up to the stored trace, each event once, in order');
  });

  it('takes a smaller limit, and answers an empty last page past the end', async () => {
    const small = await harness.engine.call('runs.get', { runId, afterSeq: 10, limit: 7 });
    assert.deepEqual(
      small.events.map((e) => e.seq),
      stored.slice(10, 17).map((e) => e.seq),
    );
    assert.equal(small.nextSeq, 17);
    const last = stored.at(-1)!.seq;
    const tail = await harness.engine.call('runs.get', { runId, afterSeq: last - 3, limit: 3 });
    assert.equal(tail.events.length, 3);
    assert.equal(tail.nextSeq, null, 'the page that ends at the last stored event says there is no more');
    const past = await harness.engine.call('runs.get', { runId, afterSeq: last });
    assert.deepEqual([past.events, past.nextSeq], [[], null]);
  });

  it('refuses bad cursors and limits, naming the field and the range', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ afterSeq: -1 }, /"afterSeq" .*0 or more/],
      [{ afterSeq: 1.5 }, /"afterSeq" .*whole number/],
      [{ afterSeq: '10' }, /"afterSeq"/],
      [{ limit: 0 }, /"limit" .*from 1 to 5000/],
      [{ limit: RUN_EVENTS_PAGE_EVENTS + 1 }, /"limit" .*from 1 to 5000/],
      [{ limit: 2.5 }, /"limit" .*whole number/],
    ];
    for (const [fields, message] of cases) {
      const outcome = await harness.engine.handle('runs.get', { runId, ...fields });
      assert.equal(outcome.ok, false, `${JSON.stringify(fields)} was accepted`);
      if (outcome.ok) continue;
      assert.equal(outcome.error.code, 'bad-request');
      assert.match(outcome.error.message, message, JSON.stringify(fields));
    }
  });

  it('ipc-lab show prints every event of the run, all its pages', async () => {
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    // Another engine over the same data folder, as a second window would be: SQLite's WAL allows it.
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [cli, 'show', String(runId), '--json'],
        { env: { ...process.env, IPC_LAB_HOME: harness.dataDir }, maxBuffer: 64 << 20 },
        (error, out) => (error ? reject(error) : resolve(out)),
      ),
    );
    const shown = JSON.parse(stdout) as { events: StoredEvent[] };
    assert.equal(shown.events.length, stored.length, `ipc-lab show printed ${shown.events.length} of ${stored.length} events`);
    assert.deepEqual(
      shown.events.map((e) => e.seq),
      stored.map((e) => e.seq),
    );
  });
});
