import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluateTemplate, fillStep, parseTemplate, questionTexts, templatesIn } from '../../../main/contract/param-template.js';
import { EventStore } from '../../../main/engine/event-store.js';
import { loadLabs, paramProblem } from '../../../main/engine/lab-loader.js';
import { pickValue, STUDENT_SEED_SETTING, studentPicks, studentSeed } from '../../../main/engine/student-params.js';
import { findProjectRoot } from '../../../main/project-root.js';

const root = findProjectRoot();
const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-seed-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 32 hex digits, the form of a seed, made from a number so that the test is the same every time. */
const seedOf = (n: number) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);

/** The shipped labs' randomised steps, each with its scenario's parameter rules. */
async function randomisedSteps() {
  const { labs, problems } = await loadLabs(join(root, 'labs'), join(root, 'dist', 'labs'));
  assert.deepEqual(problems, []);
  return labs.flatMap((lab) =>
    lab.steps
      .filter((step) => Object.keys(step.randomise).length > 0)
      .map((step) => ({ lab, step, specs: lab.scenarios.find((s) => s.id === step.scenario)!.params })),
  );
}

describe('student params', () => {
  it('every lab randomises at least one step', async () => {
    const steps = await randomisedSteps();
    const { labs } = await loadLabs(join(root, 'labs'), join(root, 'dist', 'labs'));
    assert.deepEqual([...new Set(steps.map((s) => s.lab.id))].sort(), labs.map((l) => l.id).sort());
  });

  it('the same seed gives the same picks, every time', async () => {
    for (const { lab, step } of await randomisedSteps()) {
      assert.deepEqual(studentPicks(seedOf(1), lab.id, step), studentPicks(seedOf(1), lab.id, step), `${lab.id}/${step.id}`);
    }
    assert.equal(pickValue('seed', 'lab', 'step', 'n', [1, 2, 3, 4, 5, 6, 7]), pickValue('seed', 'lab', 'step', 'n', [1, 2, 3, 4, 5, 6, 7]));
  });

  it('another seed picks other values for some step', async () => {
    const steps = await randomisedSteps();
    const picks = (seed: string) => steps.map(({ lab, step }) => studentPicks(seed, lab.id, step));
    assert.notDeepEqual(picks(seedOf(1)), picks(seedOf(2)));
    // And the pick depends on the step and the parameter, not only on the seed and the list.
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const across = ['a', 'b', 'c', 'd', 'e', 'f'].map((stepId) => pickValue(seedOf(1), 'lab', stepId, 'n', values));
    assert.ok(new Set(across).size > 1, `one seed, six steps: ${across.join(', ')}`);
  });

  it('every pick passes the parameter rule, and over many students every value is given to someone', async () => {
    for (const { lab, step, specs } of await randomisedSteps()) {
      const given = new Map<string, Set<unknown>>();
      for (let n = 0; n < 300; n++) {
        for (const [name, value] of Object.entries(studentPicks(seedOf(n), lab.id, step))) {
          const spec = specs.find((s) => s.name === name)!;
          assert.equal(paramProblem(spec, value), undefined, `${lab.id}/${step.id} ${name}=${String(value)}`);
          assert.ok(step.randomise[name]!.includes(value), `${lab.id}/${step.id} ${name}=${String(value)} is one of its values`);
          if (!given.has(name)) given.set(name, new Set());
          given.get(name)!.add(value);
        }
      }
      for (const [name, values] of Object.entries(step.randomise))
        assert.deepEqual([...given.get(name)!].sort(), [...values].sort(), `${lab.id}/${step.id} ${name}: some value is never picked`);
    }
  });

  it('every template of a randomised step has a value, not below zero, for every value a student may get', async () => {
    for (const { lab, step, specs } of await randomisedSteps()) {
      const start = { ...Object.fromEntries(specs.map((p) => [p.name, p.default])), ...step.params };
      const texts = [step.body, ...step.hints, ...step.questions.flatMap((q) => questionTexts(q).map((t) => t.text))];
      for (const [name, values] of Object.entries(step.randomise))
        for (const value of values) {
          const params = { ...start, [name]: value };
          for (const text of texts)
            for (const template of templatesIn(text)) {
              const filled = evaluateTemplate(parseTemplate(template.expression), params);
              assert.ok(
                typeof filled === 'string' || (typeof filled === 'number' && filled >= 0),
                `${lab.id}/${step.id} with ${name}=${String(value)}: ${template.source} gives ${String(filled)}`,
              );
            }
          assert.deepEqual(templatesIn(fillStep(step, params).body), [], `${lab.id}/${step.id}: the step text is filled in`);
        }
    }
  });

  it('the seed is made once, 128 random bits, and kept: reopening the store gives it back, and it is never replaced', () => {
    const store = EventStore.open(join(dir, 'a'));
    assert.equal(store.setting(STUDENT_SEED_SETTING), null, 'no seed before one is needed');
    const seed = studentSeed(store);
    assert.match(seed, /^[0-9a-f]{32}$/);
    assert.equal(studentSeed(store), seed);
    assert.equal(store.settingOnce(STUDENT_SEED_SETTING, 'f'.repeat(32)), seed, 'a second engine racing to make one gets the first');
    store.close();
    const reopened = EventStore.open(join(dir, 'a'));
    assert.equal(studentSeed(reopened), seed);
    reopened.close();
    const other = EventStore.open(join(dir, 'b'));
    assert.notEqual(studentSeed(other), seed, 'another data folder, another student');
    other.close();
  });
});
