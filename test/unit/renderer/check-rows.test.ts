/**
 * The checks list and the run panel: what they say for each way a run can end, and where the views open
 * after it (the check's moment).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckInfo, CheckResult, RunStatus } from '../../../main/contract/lab-model.js';
import { checkRows, momentOfChecks, notCheckedReason } from '../../../renderer/src/lib/state/check-rows.js';
import { runStatusText } from '../../../renderer/src/lib/format.js';

const checks: CheckInfo[] = [
  { id: 'eof-after-close', title: 'The child saw end of file only after the parent closed the write end' },
  { id: 'same-pipe', title: 'Both processes held one pipe' },
];

function result(id: string, passed: boolean, moment: string | null = null): CheckResult {
  return { id, title: checks.find((c) => c.id === id)?.title ?? id, passed, detail: 'what the trace showed', hint: 'what to try', moment };
}

test('a stopped, timed-out or errored run says why for every check, and shows no result it may carry', () => {
  const cases: [RunStatus, string][] = [
    ['stopped', 'Not checked: the run was stopped.'],
    ['timed-out', 'Not checked: the run timed out.'],
    ['error', 'Not checked: the run ended with an error.'],
  ];
  for (const [status, why] of cases) {
    // A result left over (from a store written before the engine stopped checking such runs) is not shown.
    const rows = checkRows(checks, [result('eof-after-close', true)], status);
    assert.deepEqual(
      rows.map((r) => (r.state === 'not-checked' ? r.why : 'a result')),
      [why, why],
      status,
    );
    for (const row of rows) assert.doesNotMatch(row.state === 'not-checked' ? row.why : '', /yet/);
  }
});

test('a finished run shows its results; a live one says when they come; none before a run', () => {
  const rows = checkRows(checks, [result('same-pipe', false), result('eof-after-close', true)], 'failed');
  assert.deepEqual(
    rows.map((r) => [r.id, r.state === 'result' && r.result.passed]),
    [
      ['eof-after-close', true],
      ['same-pipe', false],
    ],
  );
  assert.equal(notCheckedReason('running'), 'Checked when the run ends.');
  assert.equal(checkRows(checks, [], 'running')[0]!.state, 'not-checked');
  assert.match(notCheckedReason(null)!, /run the step/);
});

test('the run panel never says the status twice', () => {
  const statuses: RunStatus[] = ['starting', 'running', 'stopping', 'completed', 'passed', 'failed', 'stopped', 'timed-out', 'error'];
  for (const status of statuses) {
    const text = runStatusText(status, [{ passed: false }, { passed: true }]);
    const word = status.replace('-', ' ');
    assert.ok(!text.toLowerCase().includes(word), `${status}: "${text}" repeats the word`);
    assert.ok(!text.toLowerCase().includes(status), `${status}: "${text}" repeats the word`);
  }
  assert.equal(runStatusText('failed', [{ passed: false }, { passed: true }, { passed: true }]), '1 of 3 checks did not hold: see the checks.');
  assert.equal(runStatusText('passed', [{ passed: true }]), 'Its check holds.');
});

test("the views open at a failing check's moment first, else the first moment, else none", () => {
  assert.equal(momentOfChecks([result('same-pipe', true, '500'), result('eof-after-close', false, '900')])?.ts, '900');
  assert.equal(momentOfChecks([result('same-pipe', true, '500'), result('eof-after-close', false)])?.ts, '500');
  assert.equal(momentOfChecks([result('same-pipe', false), result('eof-after-close', true)]), null);
  assert.equal(momentOfChecks([]), null);
});
