import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LabStep, RunStatus, RunSummary, SavedAnswer } from '../../../main/contract/lab-model.js';
import { controlAsExpected, isControlRun, stepMastery } from '../../../main/engine/mastery.js';

const step: LabStep = {
  id: 'capacity',
  title: 'Capacity',
  scenario: 'capacity',
  params: {},
  randomise: {},
  checks: [
    { id: 'blocked', title: 'Blocked' },
    { id: 'measured', title: 'Measured' },
  ],
  variants: [
    { name: 'Less than the pipe holds', params: { totalKiB: 16 }, fails: ['blocked', 'measured'] },
    { name: 'Slow reader', params: { readerDelayMs: 5000 }, fails: ['measured'] },
  ],
  body: '',
  questions: [
    { id: 'n', type: 'number', prompt: 'How many?', explanation: '', unit: 'writes', expected: { value: 16 }, right: { absolute: 0 }, close: null },
    { id: 't', type: 'text', prompt: 'Why?', explanation: '', maxLength: 100 },
  ],
  control: 'Less than the pipe holds',
  hints: ['one', 'two', 'three'],
};

let nextRun = 1;
function run(status: RunStatus, params: RunSummary['params'] = { totalKiB: 128 }, failing: string[] = []): RunSummary {
  return {
    runId: nextRun++,
    labVersion: null,
    sessionId: 1,
    labId: 'pipes',
    stepId: 'capacity',
    scenarioId: 'capacity',
    params,
    status,
    startTs: '0',
    startedAt: '',
    endedAt: '',
    message: null,
    processes: [],
    checks: step.checks.map((c) => ({ id: c.id, title: c.title, passed: !failing.includes(c.id), detail: '', hint: '', moment: null })),
  };
}
const answer = (questionId: string, value: SavedAnswer['value'], lockedByRun: number | null): SavedAnswer => ({ questionId, value, savedAt: '', lockedByRun });

describe('stepMastery', () => {
  it('a passing run with the defaults and no answers masters nothing', () => {
    const m = stepMastery(step, [run('passed')], []);
    assert.deepEqual(m, { status: 'attempted', predictedFirst: false, passingRun: m.passingRun, controlRun: null, hintsShown: 0 });
    assert.equal(stepMastery(step, [], []).status, 'not-started');
  });

  it('needs answers before the first run, a passing run and the control, each of them', () => {
    const first = run('failed', { totalKiB: 128 }, ['measured']);
    const passing = run('passed');
    const control = run('failed', { totalKiB: 16 }, ['blocked', 'measured']);
    const answered = [answer('n', 16, first.runId), answer('t', 'slots', first.runId)];
    assert.deepEqual(stepMastery(step, [control, first, passing], answered), {
      status: 'mastered',
      predictedFirst: true,
      passingRun: passing.runId,
      controlRun: control.runId,
      hintsShown: 1,
    });
    assert.equal(stepMastery(step, [first, passing], answered).status, 'attempted', 'without the control');
    assert.equal(stepMastery(step, [first, control], answered).status, 'attempted', 'without a passing run');
    // Answers saved only after the first run (locked by the second) are not a prediction.
    const late = [answer('n', 16, passing.runId), answer('t', 'slots', passing.runId)];
    assert.equal(stepMastery(step, [first, passing, control], late).predictedFirst, false);
    // A skipped question is not an answer; a later version does not change what the first run tested.
    assert.equal(stepMastery(step, [first, passing, control], [answer('n', 16, first.runId), answer('t', null, first.runId)]).predictedFirst, false);
    assert.equal(
      stepMastery(step, [first, passing, control], [...answered, answer('n', null, passing.runId)]).predictedFirst,
      true,
      'a version after the first run leaves the prediction as it was',
    );
  });

  it('a control run that passes its checks does not count, and a control is not the passing run', () => {
    const wrongControl = run('passed', { totalKiB: 16 });
    assert.equal(isControlRun(step, wrongControl.params), true);
    assert.equal(controlAsExpected(step, wrongControl), false);
    const m = stepMastery(step, [wrongControl], []);
    assert.equal(m.controlRun, null);
    assert.equal(m.passingRun, null, 'the control passing is no passing run of the step');
  });

  it('shows one more hint after each failed run, not after a control, up to all of them', () => {
    const failed = () => run('failed', { totalKiB: 128 }, ['measured']);
    assert.equal(stepMastery(step, [failed(), run('failed', { totalKiB: 16 }, ['blocked', 'measured'])], []).hintsShown, 1);
    assert.equal(stepMastery(step, [failed(), failed(), failed(), failed()], []).hintsShown, 3);
  });
});
