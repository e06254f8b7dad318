/**
 * A run stores at most its event budget (RUN_EVENT_BUDGET; here a small one, through the engine's
 * eventBudget option, so the test floods 3,000 events instead of half a million). Past it, events are
 * counted, not stored, a warning marks the spot, and the run ends as an error that names the budget and
 * the parameter to change, without running its checks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HOST_EVENTS_PAST_BUDGET, type StoredEventOf } from '../../main/contract/trace-events.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { assertNothingLeft, FIXTURE_LABS, runToEnd } from '../support/engine-harness.js';

const BUDGET = 1000;
let engine: Engine;
let dataDir: string;
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-data-'));
  engine = await openEngine({ dataDir, labsDir: FIXTURE_LABS, eventBudget: BUDGET });
});
after(async () => {
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the event budget', () => {
  it('stores no more than the budget, says where it ran out, and ends the run as an error without checks', async () => {
    const { run, stored } = await runToEnd(engine, { labId: 'event-flood', stepId: 'flood', scenarioId: 'flood', params: { notes: 3000 } });
    assert.equal(run.status, 'error', `status ${run.status}: ${run.message}`);
    assert.match(run.message ?? '', /budget of 1,000 per run/);
    assert.match(run.message ?? '', /notes 3000 \(default 10\)/);
    assert.deepEqual(run.checks, [], 'the checks were not run');
    // The budget is reached at the BUDGET-th stored event; past it, only the host's few own kinds are stored.
    assert.deepEqual(
      stored.filter((e) => e.seq > BUDGET && !HOST_EVENTS_PAST_BUDGET.has(e.kind)).map((e) => e.kind),
      [],
      'events stored past the budget',
    );
    const warnings = stored.filter((e): e is StoredEventOf<'host.warning'> => e.kind === 'host.warning');
    const reached = warnings.find((e) => /reached IPC Lab's budget of 1,000 stored events/.test(e.text));
    assert.ok(reached, 'a warning marks where the budget ran out');
    assert.equal(reached.seq, BUDGET + 1, 'the warning follows the last event stored');
    const count = warnings.map((e) => /^([\d,]+) events of this run were over its budget/.exec(e.text)).find(Boolean);
    assert.ok(count, 'a warning gives the count of events not stored');
    const notStored = Number(count[1]!.replace(/,/g, ''));
    const notesStored = stored.filter((e) => e.kind === 'note').length;
    assert.ok(notesStored + notStored >= 3000, `every note was counted: ${notesStored} stored + ${notStored} not`);
    assert.ok(
      stored.some((e) => e.kind === 'host.exit'),
      'the process exit is stored past the budget',
    );
    assertNothingLeft(run);
  });

  it('leaves a run under its budget alone', async () => {
    const { run, stored } = await runToEnd(engine, { labId: 'event-flood', stepId: 'flood', scenarioId: 'flood', params: { notes: 100 } });
    assert.equal(run.status, 'passed', `status ${run.status}: ${run.message}`);
    assert.equal(stored.filter((e) => e.kind === 'note').length, 100);
    assertNothingLeft(run);
  });
});
