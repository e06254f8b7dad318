/**
 * Parameters randomised per student, on the real engine and real runs: a data folder is a student
 * (there is deliberately no way to choose a seed), so two folders are two students. Their steps start
 * from different values, a run takes the student's own, an answer worked out from the run's parameters
 * is graded against that run's, and the report still verifies.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ParamValues } from '../../main/contract/lab-model.js';
import type { SessionReport } from '../../main/contract/report-format.js';
import { openEngine } from '../../main/engine/engine.js';
import { STUDENT_SEED_SETTING } from '../../main/engine/student-params.js';
import { findProjectRoot } from '../../main/project-root.js';
import { verifyReportBytes } from '../../main/report/verify.js';
import { assertNothingLeft, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) await h.close();
});

async function student(): Promise<Harness> {
  const harness = await openHarness();
  harnesses.push(harness);
  return harness;
}

/** Every randomised step's values for this student, as labs.get gives them: "lab/step" → its randomised parameters. */
async function picksOf(harness: Harness): Promise<Record<string, ParamValues>> {
  const picks: Record<string, ParamValues> = {};
  for (const lab of harness.engine.loadedLabs) {
    const { lab: shown } = await harness.engine.call('labs.get', { labId: lab.id });
    for (const step of shown.steps)
      if (Object.keys(step.randomise).length > 0)
        picks[`${lab.id}/${step.id}`] = Object.fromEntries(Object.keys(step.randomise).map((name) => [name, step.params[name]!]));
  }
  return picks;
}

const boundedStep = { labId: 'shared-memory', stepId: 'bounded-buffer' } as const;

describe('parameters randomised per student', () => {
  let ada: Harness;
  let bob: Harness;
  before(async () => {
    ada = await student();
    bob = await student();
  });

  it("two students' steps start from different values; each keeps theirs, in the engine and on the command line", async () => {
    const adas = await picksOf(ada);
    assert.equal(Object.keys(adas).length >= 6, true, `a randomised step in every lab: ${Object.keys(adas).join(', ')}`);
    for (const [where, values] of Object.entries(adas)) {
      const [labId, stepId] = where.split('/');
      const step = ada.engine.loadedLabs.find((l) => l.id === labId)!.steps.find((s) => s.id === stepId)!;
      for (const [name, value] of Object.entries(values)) assert.ok(step.randomise[name]!.includes(value), `${where} ${name}=${String(value)}`);
    }
    // Six independent picks agree by chance about once in 7,680 pairs of students: then a third student.
    let other = bob;
    for (let tries = 0; tries < 3 && JSON.stringify(await picksOf(other)) === JSON.stringify(adas); tries++) other = await student();
    assert.notDeepEqual(await picksOf(other), adas, 'two students get different values for some step');

    // The same student after a restart of the app: the same seed, the same values.
    const seed = ada.engine.store.setting(STUDENT_SEED_SETTING);
    assert.match(seed!, /^[0-9a-f]{32}$/);
    const again = await openEngine({ dataDir: ada.dataDir });
    try {
      assert.equal(again.store.setting(STUDENT_SEED_SETTING), seed);
      const { lab } = await again.call('labs.get', { labId: 'ordinary-pipes' });
      assert.equal(lab.steps.find((s) => s.id === 'capacity')!.params.chunkBytes, adas['ordinary-pipes/capacity']!.chunkBytes);
    } finally {
      await again.close();
    }
    // `ipc-lab labs` over the same data folder says the same, and fills the question with it.
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'labs'], { env: { ...process.env, IPC_LAB_HOME: ada.dataDir } });
    const slots = adas['shared-memory/bounded-buffer']!.slots;
    assert.match(stdout, new RegExp(`--set slots=${slots}   \\(picked for you from 3\\|4\\|5\\|6: other students get other values\\)`));
    assert.match(stdout, new RegExp(`question empty-permits: .*its buffer of ${slots} slots\\.`));
    assert.doesNotMatch(stdout, /\{slots\}/, 'no template is left unfilled');
  });

  it("a run takes the student's own value, and an answer worked out from the run's parameters is graded right for each student", async () => {
    for (const harness of [ada, bob]) {
      const { lab } = await harness.engine.call('labs.get', { labId: 'shared-memory' });
      const slots = lab.steps.find((s) => s.id === 'bounded-buffer')!.params.slots as number;
      await harness.engine.call('questions.answer', { ...boundedStep, questionId: 'empty-permits', value: slots });
      const { run } = await runToEnd(harness.engine, { ...boundedStep, scenarioId: 'bounded' });
      assertNothingLeft(run);
      assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
      assert.equal(run.params.slots, slots, "the run started from the student's value");
      assert.equal(run.checks.flatMap((c) => c.measurements ?? []).find((m) => m.id === 'peak-occupancy')?.value, slots, 'the buffer had that size');
      const { grades } = await harness.engine.call('runs.grade', { runId: run.runId });
      const permits = grades.find((g) => g.questionId === 'empty-permits')!;
      assert.deepEqual([permits.verdict, permits.expected], ['right', slots]);
      assert.match(permits.explanation, new RegExp(`^${slots}, one permit for each slot`), 'the explanation is filled in with the run’s value');
      assert.ok(
        grades.every((g) => !/\{[a-zA-Z]/.test(g.explanation + g.feedback)),
        'no template is left in a grade',
      );
    }

    // The same answer against a run made with another size (8 slots, none a student is given, and no
    // variant of the step): the answer is worked out from that run's parameters, not from the student's value.
    const { lab } = await ada.engine.call('labs.get', { labId: 'shared-memory' });
    const slots = lab.steps.find((s) => s.id === 'bounded-buffer')!.params.slots as number;
    const { run } = await runToEnd(ada.engine, { ...boundedStep, scenarioId: 'bounded', params: { slots: 8 } });
    assertNothingLeft(run);
    const graded = await ada.engine.call('runs.grade', { runId: run.runId });
    assert.equal(graded.variant, null);
    const permits = graded.grades.find((g) => g.questionId === 'empty-permits')!;
    assert.deepEqual([permits.verdict, permits.expected, permits.answer], ['wrong', 8, slots]);

    // The variant with room for every item: the answers are about the step as written, set aside.
    const roomy = await runToEnd(ada.engine, { ...boundedStep, scenarioId: 'bounded', params: { slots: 64 } });
    assertNothingLeft(roomy.run);
    const aside = await ada.engine.call('runs.grade', { runId: roomy.run.runId });
    assert.deepEqual([aside.variant?.name, aside.variant?.asExpected], ['A buffer with room for every item', true]);
    assert.equal(aside.grades.find((g) => g.questionId === 'empty-permits')!.verdict, 'variant');
  });

  it("the student's report still verifies, its grades re-graded from what it carries", async () => {
    await ada.engine.call('identity.set', { name: 'Ada' });
    const exported = await ada.engine.call('report.export', { labId: 'shared-memory', format: 'json' });
    const verdict = await verifyReportBytes('report.json', Buffer.from(exported.content), ada.engine.loadedLabs);
    assert.ok(verdict.ok, JSON.stringify(verdict.layers, null, 2));
    assert.match(verdict.layers.map((l) => l.text).join('\n'), /grades re-graded: \d+\/\d+ agree/);
    // The answer worked out from the run's parameters is graded in the report as in the app: against the
    // chosen run's slots, with the question's text filled in from them in the HTML.
    const report = JSON.parse(exported.content) as SessionReport;
    const step = report.labs[0]!.steps.find((s) => s.id === boundedStep.stepId)!;
    const permits = step.questions!.grades.find((g) => g.questionId === 'empty-permits')!;
    assert.equal(permits.expected, step.chosen!.params.slots, 'graded against the slots of the run shown');
    const html = (await ada.engine.call('report.export', { labId: 'shared-memory', format: 'html' })).content;
    assert.match(html, new RegExp(`its buffer of ${String(step.chosen!.params.slots)} slots`), 'the question as the run shown asked it');
    // The JSON embedded for verify carries the questions as the lab writes them; what is shown has none left.
    assert.doesNotMatch(html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, ''), /\{slots\}/, 'no template is left in what the HTML shows');
  });
});
