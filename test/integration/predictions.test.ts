/**
 * Predictions graded against the student's own measurements: the real capacity step of the
 * ordinary-pipes lab, on real processes and a real pipe, with answers saved before the runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { AnswerValue, Grade } from '../../main/contract/lab-model.js';
import type { ReportStep, SessionReport } from '../../main/contract/report-format.js';
import { reportDigest } from '../../main/report/build-report.js';
import { reportJsonText } from '../../main/report/report-files.js';
import { verifyReportBytes } from '../../main/report/verify.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const step = { labId: 'ordinary-pipes', stepId: 'capacity' } as const;

async function answer(questionId: string, value: AnswerValue) {
  return harness.engine.call('questions.answer', { ...step, questionId, value });
}

async function runCapacity(params: Record<string, number> = {}) {
  const { run } = await runToEnd(harness.engine, { ...step, scenarioId: 'capacity', params });
  assertNothingLeft(run);
  const graded = await harness.engine.call('runs.grade', { runId: run.runId });
  const byId = Object.fromEntries(graded.grades.map((g) => [g.questionId, g])) as Record<string, Grade>;
  return { run, byId, ...graded };
}

describe('predictions on the capacity step', () => {
  it('grades a right and a wrong prediction against the measurement of each run, keeps the original when edited, and masters the step only with its control', async () => {
    assert.equal((await answer('writes-before-block', 16)).note, null, 'a draft before any run is no revision');
    await answer('bytes-before-block', 65536);
    await answer('blocked-state', ['a']);
    await answer('thousand-byte-writes', ['b']);

    // 4096-byte writes (the step randomises the size per student: chosen here): 16 whole pages before a write waits.
    const first = await runCapacity({ chunkBytes: 4096 });
    assert.equal(first.run.status, 'passed', JSON.stringify(first.run.checks, null, 2));
    const measured = first.run.checks.find((c) => c.id === 'capacity-measured')!.measurements!;
    assert.deepEqual(
      measured.map((m) => [m.id, m.value, m.unit]),
      [
        ['bytes-before-block', 65536, 'bytes'],
        ['writes-before-block', 16, 'writes'],
      ],
    );
    assert.equal(first.byId['writes-before-block']!.verdict, 'right');
    assert.equal(first.byId['bytes-before-block']!.feedback, 'You predicted 65,536 bytes; this run measured 65,536 bytes.');
    assert.equal(first.byId['blocked-state']!.verdict, 'right');
    assert.equal(first.byId['thousand-byte-writes']!.verdict, 'wrong');
    assert.match(first.byId['thousand-byte-writes']!.feedback, /never split/, 'a wrong choice names the misconception');
    assert.equal(first.mastery!.status, 'attempted', 'no control run yet');

    // An edit after the run is a new version: the run keeps the answer it tested.
    const edited = await answer('bytes-before-block', 65000);
    assert.match(edited.note!, new RegExp(`run ${first.run.runId} tested your answer from .*, which is kept as it was`));
    assert.equal(
      (await harness.engine.call('runs.grade', { runId: first.run.runId })).grades.find((g) => g.questionId === 'bytes-before-block')!.answer,
      65536,
    );

    // 1000-byte writes: four to a page, so 64 writes and 64,000 bytes, not 65 and 65,000.
    const thousand = await runCapacity({ chunkBytes: 1000 });
    assert.equal(thousand.run.status, 'passed', JSON.stringify(thousand.run.checks, null, 2));
    assert.deepEqual(
      [thousand.byId['bytes-before-block']!.expected, thousand.byId['bytes-before-block']!.verdict],
      [64000, 'close'],
      'the edited 65,000 is within 5% of the measured 64,000',
    );
    assert.deepEqual([thousand.byId['writes-before-block']!.expected, thousand.byId['writes-before-block']!.verdict], [64, 'wrong']);

    // The control: less data than the pipe holds, so no write blocks and there is nothing to measure.
    const control = await runCapacity({ totalKiB: 16 });
    assert.deepEqual(checksOf(control.run), { 'writer-blocked': false, 'capacity-measured': false });
    assert.deepEqual(control.variant, {
      name: 'The parent writes less than the pipe holds',
      control: true,
      fails: ['writer-blocked', 'capacity-measured'],
      asExpected: true,
    });
    // The answers are about the step as written: neither "wrong" for predicting the lesson, nor "right"
    // about a blocked writer this run never had. They are set aside for a run without the control.
    assert.deepEqual(
      Object.values(control.byId).map((g) => [g.questionId, g.verdict, g.expected]),
      [
        ['writes-before-block', 'variant', null],
        ['bytes-before-block', 'variant', null],
        ['blocked-state', 'variant', null],
        ['thousand-byte-writes', 'variant', null],
      ],
    );
    assert.match(control.byId['blocked-state']!.feedback, /^This run was a variant of the step \(The parent writes less than the pipe holds\)/);
    assert.deepEqual(control.mastery, {
      status: 'mastered',
      predictedFirst: true,
      passingRun: first.run.runId,
      controlRun: control.run.runId,
      hintsShown: 0,
    });

    const { progress } = await harness.engine.call('labs.get', { labId: 'ordinary-pipes' });
    assert.deepEqual(
      progress.capacity!.answers.map((v) => [v.questionId, v.value, v.lockedByRun]),
      [
        ['writes-before-block', 16, first.run.runId],
        ['bytes-before-block', 65536, first.run.runId],
        ['blocked-state', ['a'], first.run.runId],
        ['thousand-byte-writes', ['b'], first.run.runId],
        ['bytes-before-block', 65000, thousand.run.runId],
      ],
      'every version is kept with the run that tested it',
    );
    const { labs } = await harness.engine.call('labs.list', {});
    assert.equal(labs.find((l) => l.id === 'ordinary-pipes')!.masteredSteps, 1);
  });

  it('the report carries the questions, every version of the answers and the grades, and verify grades them again', async () => {
    await harness.engine.call('identity.set', { name: 'Ada' });
    const exported = await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'json' });
    const report = JSON.parse(exported.content) as SessionReport;
    const step = report.labs[0]!.steps.find((s) => s.id === 'capacity')!;
    assert.equal(step.mastery!.status, 'mastered');
    assert.equal(report.summary[0]!.mastered, 1, 'the tally counts mastery, not passes');
    assert.deepEqual(
      step.attempts.map((a) => a.control?.asExpected ?? null),
      [null, null, true],
    );
    assert.equal(step.chosen!.params.chunkBytes, 1000, 'the latest passing run that is not the control');
    assert.deepEqual(
      step.questions!.grades.map((g) => [g.questionId, g.verdict]),
      [
        ['writes-before-block', 'wrong'],
        ['bytes-before-block', 'close'],
        ['blocked-state', 'right'],
        ['thousand-byte-writes', 'wrong'],
      ],
    );
    const verdict = await verifyReportBytes('report.json', Buffer.from(exported.content), harness.engine.loadedLabs);
    assert.ok(verdict.ok, JSON.stringify(verdict.layers));
    // The step's four, and the lab's quiz (unanswered here, graded all the same).
    const graded = 4 + harness.engine.loadedLabs.find((l) => l.id === 'ordinary-pipes')!.quiz.length;
    assert.match(verdict.layers.map((l) => l.text).join('\n'), new RegExp(`grades re-graded: ${graded}/${graded} agree`));

    // A grade changed by hand, with the digest recomputed: the re-grade names it.
    const forge = (edit: (s: ReportStep) => void) => {
      const copy = JSON.parse(exported.content) as SessionReport;
      edit(copy.labs[0]!.steps.find((s) => s.id === 'capacity')!);
      const { digest: _digest, ...rest } = copy;
      return verifyReportBytes('forged.json', Buffer.from(reportJsonText({ ...rest, digest: reportDigest(rest) })), harness.engine.loadedLabs);
    };
    const regraded = await forge((s) => (s.questions!.grades[0]!.verdict = 'right'));
    assert.equal(regraded.ok, false);
    assert.match(regraded.layers.map((l) => l.text).join('\n'), /capacity question writes-before-block: the report says right, graded again wrong/);
    // An answer edited, or a later version claimed as given before the run: the answers' chain says so.
    const edited = await forge((s) => (s.questions!.versions[1]!.value = 64000));
    assert.match(edited.layers.map((l) => l.text).join('\n'), /answers of ordinary-pipes\/capacity: its versions do not recompute/);
    // The chosen run's header chains the answers it tested: none of them can be shown as untested.
    const misdated = await forge((s) => (s.questions!.versions[4]!.lockedByRun = null));
    assert.match(misdated.layers.map((l) => l.text).join('\n'), /version 5 says run none tested it, which the chain of run \d+ contradicts/);
  });

  it('refuses an answer of the wrong kind, a choice that is not an option, and an unknown question, and saves nothing', async () => {
    const before = (await harness.engine.call('labs.get', { labId: 'ordinary-pipes' })).progress.capacity!.answers.length;
    await assert.rejects(
      answer('bytes-before-block', 'lots'),
      /The answer was not saved: question "bytes-before-block" takes a number in bytes \(got "lots"\)/,
    );
    await assert.rejects(answer('blocked-state', ['z']), /has no option "z" \(its options: a, b, c\)/);
    await assert.rejects(answer('blocked-state', ['a', 'b']), /takes one option, not 2/);
    await assert.rejects(answer('how-big', 1), /Step "capacity" has no question "how-big"/);
    await assert.rejects(harness.engine.call('questions.answer', { ...step, questionId: 'x', value: { n: 1 } }), /Bad request for questions.answer: "value"/);
    assert.equal((await harness.engine.call('labs.get', { labId: 'ordinary-pipes' })).progress.capacity!.answers.length, before);
  });

  it('on the command line, --answer saves the answer before the run, and the text output prints what each check measured and the grade', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-cli-answer-'));
    try {
      const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [cli, 'run', 'ordinary-pipes', '--step', 'capacity', '--answer', 'bytes-before-block=65536', '--answer', 'writes-before-block=3'],
        { env: { ...process.env, IPC_LAB_HOME: home } },
      );
      const bytes = /measured: bytes-before-block ([\d,]+) bytes; writes-before-block (\d+) writes/.exec(stdout);
      assert.ok(bytes, stdout);
      // Graded against the same run's measurement the line printed: 65,536 right when it measured 65,536, wrong otherwise.
      const verdict = bytes[1] === '65,536' ? 'RIGHT' : 'WRONG';
      assert.match(stdout, new RegExp(`^${verdict} +bytes-before-block: `, 'm'));
      assert.match(stdout, /^WRONG +writes-before-block: /m);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
