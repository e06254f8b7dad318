/**
 * The run indicator's rules (renderer/src/lib/state/active-run.ts): which run is going, whatever order
 * the engine's answer and its pushed updates arrive in, and what the indicator says about it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunStatus, RunSummary } from '../../../main/contract/lab-model.js';
import { ActiveRunTracker, endedText, formatElapsed, goingText, openHref } from '../../../renderer/src/lib/state/active-run.js';

function run(runId: number, status: RunStatus, stepId: string | null = 'capacity'): RunSummary {
  return {
    runId,
    labVersion: null,
    sessionId: 1,
    labId: 'ordinary-pipes',
    stepId,
    scenarioId: 'capacity',
    params: {},
    status,
    startTs: '0',
    startedAt: '2025-01-01T10:00:00.000Z',
    endedAt: null,
    message: null,
    processes: [],
    checks: [],
  };
}

describe('ActiveRunTracker', () => {
  test('a page that loads during a run finds it in the answer, follows its updates, and sees it end', () => {
    const tracker = new ActiveRunTracker();
    assert.deepEqual(tracker.onAnswer(tracker.beginAsk(), run(7, 'running')), { kind: 'going', run: run(7, 'running'), isNew: true });
    assert.deepEqual(tracker.onEvent(run(7, 'stopping')), { kind: 'going', run: run(7, 'stopping'), isNew: false });
    assert.deepEqual(tracker.onEvent(run(7, 'stopped')), { kind: 'ended', runId: 7, status: 'stopped' });
    assert.equal(tracker.current, null);
  });

  test('an answer overtaken by an event is dropped: the event is newer', () => {
    const tracker = new ActiveRunTracker();
    const token = tracker.beginAsk();
    tracker.onEvent(run(8, 'starting'));
    assert.equal(tracker.onAnswer(token, null), null, 'a stale "no run" hid the run that had just started');
    assert.equal(tracker.current?.runId, 8);
    const again = tracker.beginAsk();
    tracker.onEvent(run(8, 'passed'));
    assert.equal(tracker.onAnswer(again, run(8, 'running')), null, 'a stale "running" brought back an ended run');
    assert.equal(tracker.current, null);
  });

  test('a run seen ended never comes back as going, whatever arrives late', () => {
    const tracker = new ActiveRunTracker();
    tracker.onEvent(run(9, 'running'));
    tracker.onStopped(run(9, 'stopped'));
    assert.equal(tracker.onEvent(run(9, 'stopping')), null);
    assert.equal(tracker.onAnswer(tracker.beginAsk(), run(9, 'running')), null);
    assert.equal(tracker.current, null);
  });

  test('the end of a run it never showed says nothing; a new run replaces the shown one', () => {
    const tracker = new ActiveRunTracker();
    assert.equal(tracker.onEvent(run(3, 'failed')), null);
    tracker.onEvent(run(4, 'running'));
    assert.deepEqual(tracker.onEvent(run(5, 'starting')), { kind: 'going', run: run(5, 'starting'), isNew: true });
    assert.equal(tracker.onEvent(run(4, 'stopped')), null, 'the end of an older run hid the new one');
    assert.equal(tracker.current?.runId, 5);
  });

  test('"no run" from the engine takes away a run whose end was missed', () => {
    const tracker = new ActiveRunTracker();
    tracker.onEvent(run(6, 'running'));
    assert.deepEqual(tracker.onAnswer(tracker.beginAsk(), null), { kind: 'gone' });
    assert.equal(tracker.onAnswer(tracker.beginAsk(), null), null);
  });
});

describe('what the indicator says', () => {
  test('names the run, its lab and its step, with ids until the titles are known', () => {
    assert.equal(goingText(run(12, 'running'), 'Ordinary pipes', 'How much does a pipe hold?'), 'Run 12 is going: Ordinary pipes, How much does a pipe hold?');
    assert.equal(goingText(run(12, 'running'), null, null), 'Run 12 is going: ordinary-pipes, capacity');
    assert.equal(goingText(run(12, 'running', null), 'Ordinary pipes', null), 'Run 12 is going: Ordinary pipes, scenario capacity');
  });

  test('links to the run on its step, or to the lab for a run of no step', () => {
    assert.equal(openHref(run(12, 'running')), '#/lab/ordinary-pipes/capacity/run/12');
    assert.equal(openHref(run(12, 'running', null)), '#/lab/ordinary-pipes');
  });

  test('elapsed time reads like a clock', () => {
    const cases: Array<[number, string]> = [
      [0, '0:00'],
      [999, '0:00'],
      [7_000, '0:07'],
      [65_000, '1:05'],
      [3_725_000, '1:02:05'],
      [-5_000, '0:00'],
      [Number.NaN, '0:00'],
    ];
    for (const [ms, text] of cases) assert.equal(formatElapsed(ms), text, `${ms} ms`);
  });

  test('says how the run ended', () => {
    assert.equal(endedText(12, 'stopped'), 'Run 12 ended: stopped.');
    assert.equal(endedText(12, 'passed'), 'Run 12 ended: passed.');
    assert.equal(endedText(12, 'failed'), 'Run 12 ended: failed (see its checks).');
    assert.equal(endedText(12, 'timed-out'), 'Run 12 ended: timed out.');
  });
});
