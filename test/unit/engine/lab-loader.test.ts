import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LabProblem } from '../../../main/contract/lab-model.js';
import { loadLabs, paramProblem } from '../../../main/engine/lab-loader.js';
import { findProjectRoot } from '../../../main/project-root.js';

const root = findProjectRoot();

describe('loadLabs', () => {
  it('reports each malformed lab with file and line, and still loads the others', async () => {
    const dir = join(root, 'test', 'fixtures', 'broken-labs');
    const { labs, problems } = await loadLabs(dir, join(root, 'dist', 'test', 'fixtures', 'broken-labs'));
    assert.deepEqual(
      labs.map((l) => l.id),
      ['fine'],
    );
    const byFile = Object.fromEntries(problems.map((p) => [p.file, p]));
    assert.deepEqual(Object.keys(byFile).sort(), ['broken-labs/01-bad-yaml/lab.md', 'broken-labs/02-unknown-scenario/steps/01-step.md']);
    assert.equal(byFile['broken-labs/01-bad-yaml/lab.md']!.line, 3);
    assert.match(byFile['broken-labs/01-bad-yaml/lab.md']!.message, /YAML/);
    assert.equal(byFile['broken-labs/02-unknown-scenario/steps/01-step.md']!.line, 4);
    assert.match(byFile['broken-labs/02-unknown-scenario/steps/01-step.md']!.message, /scenario "imaginary" is not defined in lab.md \(defined: real\)/);
  });

  it('loads the shipped labs without problems', async () => {
    const { labs, problems } = await loadLabs(join(root, 'labs'), join(root, 'dist', 'labs'));
    assert.deepEqual(problems, []);
    const pipes = labs.find((l) => l.id === 'ordinary-pipes')!;
    assert.deepEqual(
      pipes.steps.map((s) => s.id),
      ['one-way', 'end-of-file', 'capacity', 'broken-pipe'],
    );
    assert.ok(
      pipes.programs.some((p) => p.path === 'programs/message-writer.ts' && p.source.includes('lab.pipe(')),
      "pipes.programs.some((p) => p.path === 'programs/message-writer.ts' && p.source.includes('lab.pipe...",
    );
    const capacity = pipes.steps.find((s) => s.id === 'capacity')!;
    assert.equal(capacity.control, 'The parent writes less than the pipe holds');
    assert.ok(
      capacity.questions.some((q) => q.type === 'number' && 'measurement' in q.expected),
      'the capacity step grades a number against its measurement',
    );
    const shm = labs.find((l) => l.id === 'shared-memory')!;
    assert.deepEqual(shm.platforms, ['linux']);
    assert.ok(
      shm.programs.some((p) => p.path === 'main/runtime/shared-memory/mutex.ts' && p.source.includes('class Mutex')),
      'library sources are shown',
    );
    // Whose file each is: the lab's own folder, or IPC Lab's library that lab.md lists.
    const origins = (lab: (typeof labs)[number]) => Object.fromEntries(lab.programs.map((p) => [p.path, p.origin]));
    assert.equal(origins(shm)['main/runtime/shared-memory/mutex.ts'], 'library');
    assert.equal(origins(shm)['checks.ts'], 'lab');
    assert.equal(origins(pipes)['programs/message-writer.ts'], 'lab');
    for (const lab of labs)
      for (const p of lab.programs)
        assert.equal(p.origin, p.path.startsWith('main/') ? 'library' : 'lab', `${lab.id}: ${p.path} is ${p.origin}, its path says otherwise`);
  });
});

/** A temporary labs folder and its compiled twin, with `fine-lab` lab folders written into it. */
function tempLabs(): { labsDir: string; compiledRoot: string; addLab(folder: string, options?: { compiled?: boolean }): string; remove(): void } {
  const top = mkdtempSync(join(tmpdir(), 'ipc-lab-loader-test-'));
  const labsDir = join(top, 'labs');
  const compiledRoot = join(top, 'dist', 'labs');
  mkdirSync(labsDir, { recursive: true });
  return {
    labsDir,
    compiledRoot,
    addLab(folder, { compiled = true } = {}) {
      const dir = join(labsDir, folder);
      mkdirSync(join(dir, 'steps'), { recursive: true });
      mkdirSync(join(dir, 'programs'));
      writeFileSync(
        join(dir, 'lab.md'),
        [
          '---',
          'title: Fine',
          'summary: Loads.',
          'scenarios:',
          '  only:',
          '    title: Only',
          '    programs:',
          '      - role: only',
          '        program: programs/nothing.ts',
          '---',
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'steps', '01-step.md'), ['---', 'title: Step', 'scenario: only', '---', 'Text', ''].join('\n'));
      writeFileSync(join(dir, 'programs', 'nothing.ts'), 'export {};\n');
      if (compiled) {
        mkdirSync(join(compiledRoot, folder, 'programs'), { recursive: true });
        writeFileSync(join(compiledRoot, folder, 'programs', 'nothing.js'), 'export {};\n');
      }
      return dir;
    },
    remove: () => rmSync(top, { recursive: true, force: true }),
  };
}

describe('loadLabs refuses at load what could not run, or would show what is not the lab', () => {
  it('a folder whose name is not a number, a dash and a lab id, naming the rule', async () => {
    const temp = tempLabs();
    try {
      temp.addLab('01-fine');
      temp.addLab('09-Bad Name');
      const { labs, problems } = await loadLabs(temp.labsDir, temp.compiledRoot);
      assert.deepEqual(
        labs.map((l) => l.id),
        ['fine'],
      );
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]!.file, 'labs/09-Bad Name');
      assert.match(problems[0]!.message, /a lab folder is named .*number.*lower-case letters, digits and dashes.*01-ordinary-pipes/);
    } finally {
      temp.remove();
    }
  });

  it('a program whose compiled file is missing, with the fix', async () => {
    const temp = tempLabs();
    try {
      temp.addLab('01-unbuilt', { compiled: false });
      const { labs, problems } = await loadLabs(temp.labsDir, temp.compiledRoot);
      assert.deepEqual(labs, []);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]!.file, 'labs/01-unbuilt/lab.md');
      assert.equal(problems[0]!.line, 9, 'the line of the program');
      assert.match(problems[0]!.message, /program programs\/nothing\.ts is not built \(.*nothing\.js is missing\)\. Fix: run npm run build/);
    } finally {
      temp.remove();
    }
  });

  it('a program that is a folder, or a link to one inside the lab, with its file and line (it was an EISDIR with neither)', async () => {
    const temp = tempLabs();
    try {
      const folder = temp.addLab('01-folder');
      rmSync(join(folder, 'programs', 'nothing.ts'));
      mkdirSync(join(folder, 'programs', 'nothing.ts'));
      const linked = temp.addLab('02-linked');
      rmSync(join(linked, 'programs', 'nothing.ts'));
      symlinkSync('..', join(linked, 'programs', 'nothing.ts'));
      const { labs, problems } = await loadLabs(temp.labsDir, temp.compiledRoot);
      assert.deepEqual(labs, []);
      assert.deepEqual(
        problems.map((p) => [p.file, p.line]),
        [
          ['labs/01-folder/lab.md', 9],
          ['labs/02-linked/lab.md', 9],
        ],
        JSON.stringify(problems),
      );
      for (const problem of problems) assert.match(problem.message, /program programs\/nothing\.ts is not a file in /);
    } finally {
      temp.remove();
    }
  });

  it('a program that is a symbolic link out of the lab folder, and keeps one that stays in it', async () => {
    const temp = tempLabs();
    try {
      const outside = temp.addLab('01-outside');
      rmSync(join(outside, 'programs', 'nothing.ts'));
      symlinkSync('/etc/passwd', join(outside, 'programs', 'nothing.ts'));
      const inside = temp.addLab('02-inside');
      writeFileSync(join(inside, 'programs', 'real.ts'), 'export {};\n');
      rmSync(join(inside, 'programs', 'nothing.ts'));
      symlinkSync('real.ts', join(inside, 'programs', 'nothing.ts'));
      const { labs, problems } = await loadLabs(temp.labsDir, temp.compiledRoot);
      assert.deepEqual(
        labs.map((l) => l.id),
        ['inside'],
      );
      assert.ok(!labs.some((l) => l.programs.some((p) => p.source.includes('root:'))), 'no lab shows /etc/passwd as a program');
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]!.file, 'labs/01-outside/programs/nothing.ts');
      assert.match(problems[0]!.message, /symbolic link to \/etc\/passwd, outside the lab folder/);
    } finally {
      temp.remove();
    }
  });
});

describe('the shipped labs ask', () => {
  it('at least one graded question on every step, and a closing quiz in every lab', async () => {
    const { labs } = await loadLabs(join(root, 'labs'), join(root, 'dist', 'labs'));
    for (const lab of labs) {
      assert.ok(lab.quiz.length >= 3, `${lab.id} has a closing quiz of at least 3 questions`);
      for (const step of lab.steps)
        assert.ok(
          step.questions.some((q) => q.type !== 'text'),
          `${lab.id}/${step.id} asks no graded question`,
        );
    }
  });
});

describe('paramProblem', () => {
  const messages = { name: 'messages', label: 'Messages', type: 'integer', default: 5, min: 1, max: 1000, unit: 'messages' } as const;
  it('names the parameter, the range and the value', () => {
    assert.equal(paramProblem(messages, 5), undefined);
    assert.equal(paramProblem(messages, 0), '"messages" must be between 1 and 1000 messages (got 0)');
    assert.match(paramProblem(messages, 1.5)!, /whole number/);
    assert.match(paramProblem(messages, '5')!, /whole number/);
    assert.match(paramProblem({ name: 'on', label: 'On', type: 'boolean', default: true }, 'yes')!, /true or false/);
    assert.match(paramProblem({ name: 'mode', label: 'Mode', type: 'choice', default: 'a', options: ['a', 'b'] }, 'c')!, /one of a, b/);
  });
});

describe('loadLabs: questions', () => {
  /** One lab with one step whose frontmatter ends with `questions` (YAML), and a check that measures "writes". */
  async function loadStep(questions: string, quiz = ''): Promise<{ labs: Awaited<ReturnType<typeof loadLabs>>['labs']; problem?: LabProblem }> {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-questions-'));
    try {
      const lab = join(dir, 'labs', '01-q');
      mkdirSync(join(lab, 'steps'), { recursive: true });
      mkdirSync(join(lab, 'programs'));
      writeFileSync(join(lab, 'programs', 'p.ts'), '');
      writeFileSync(join(lab, 'checks.ts'), '');
      writeFileSync(
        join(lab, 'lab.md'),
        `---\ntitle: Q\nsummary: Q.\nscenarios:\n  only:\n    title: Only\n    programs: [{ role: p, program: programs/p.ts }]\n${quiz}\n---\n`,
      );
      writeFileSync(join(lab, 'steps', '01-s.md'), `---\ntitle: S\nscenario: only\nchecks: [counted]\n${questions}\n---\nBody.\n`);
      const compiled = join(dir, 'dist', '01-q');
      mkdirSync(join(compiled, 'programs'), { recursive: true });
      writeFileSync(join(compiled, 'programs', 'p.js'), '');
      writeFileSync(
        join(compiled, 'checks.js'),
        "export default { counted: { title: 'Counted', hint: 'h', measures: { writes: { unit: 'writes', title: 'writes' } }, check: () => ({ passed: true, detail: '' }) } };\n",
      );
      const { labs, problems } = await loadLabs(join(dir, 'labs'), join(dir, 'dist'));
      return { labs, problem: problems[0] };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('loads each kind of question, with tolerances, option ids and a control', async () => {
    const { labs, problem } = await loadStep(`questions:
  - { id: n, type: number, prompt: How many?, unit: writes, measurement: writes, close: 10%, explanation: E. }
  - { id: f, type: number, prompt: PIPE_BUF?, unit: bytes, answer: 4096, tolerance: 1, explanation: E. }
  - id: c
    type: choice
    prompt: Which?
    options: [{ text: Right, correct: true }, { text: Wrong, why: Because. }]
    explanation: E.
  - { id: o, type: order, prompt: Order?, items: [{ id: x, text: X }, { id: y, text: Y }], explanation: E. }
  - { id: t, type: text, prompt: Why?, explanation: E. }
hints: [First, Second]`);
    assert.equal(problem, undefined, problem?.message);
    const step = labs[0]!.steps[0]!;
    assert.deepEqual(step.questions[0], {
      id: 'n',
      type: 'number',
      prompt: 'How many?',
      explanation: 'E.',
      unit: 'writes',
      expected: { measurement: 'writes' },
      right: { absolute: 0 },
      close: { relative: 0.1 },
    });
    const [, fixed, choice, , text] = step.questions;
    assert.deepEqual(fixed?.type === 'number' && [fixed.expected, fixed.right, fixed.close], [{ value: 4096 }, { absolute: 1 }, null]);
    assert.deepEqual(choice?.type === 'choice' && choice.options.map((o) => [o.id, o.correct, o.why]), [
      ['a', true, null],
      ['b', false, 'Because.'],
    ]);
    assert.equal(text?.type === 'text' && text.maxLength, 2000);
    assert.deepEqual(step.hints, ['First', 'Second']);
    assert.equal(step.control, null);
  });

  it("loads the lab's quiz, and refuses a quiz question graded against a measurement", async () => {
    const fine = await loadStep('', 'quiz:\n  - { id: buf, type: number, prompt: PIPE_BUF?, unit: bytes, answer: 4096, explanation: E. }');
    assert.equal(fine.problem, undefined, fine.problem?.message);
    assert.deepEqual(
      fine.labs[0]!.quiz.map((q) => q.id),
      ['buf'],
    );
    const measured = await loadStep('', 'quiz:\n  - { id: buf, type: number, prompt: P, unit: writes, measurement: writes, explanation: E. }');
    assert.equal(measured.problem?.file, 'labs/01-q/lab.md');
    assert.equal(measured.problem?.line, 9);
    assert.match(measured.problem!.message, /quiz question "buf": a quiz has no run to measure; give a fixed answer: instead/);
  });

  it('names the file, the line and the fix for a question the loader cannot grade', async () => {
    const cases: [string, number, RegExp][] = [
      [
        'questions:\n  - { id: n, type: number, prompt: P, unit: writes, measurement: reads, explanation: E }',
        6,
        /question "n": no check of the step measures "reads" \(measured: writes\)/,
      ],
      [
        'questions:\n  - { id: n, type: number, prompt: P, unit: bytes, measurement: writes, explanation: E }',
        6,
        /question "n": the answer is in bytes, but check "counted" measures writes in writes/,
      ],
      ['questions:\n  - { id: n, type: number, prompt: P, unit: u, explanation: E }', 6, /needs a measurement or an answer, not both/],
      ['questions:\n  - { id: n, type: number, prompt: P, unit: u, answer: 1, tolerance: five, explanation: E }', 6, /percentage like "5%"/],
      [
        'questions:\n  - id: c\n    type: choice\n    prompt: P\n    explanation: E\n    options:\n      - { text: A, correct: true }\n      - { text: B }',
        12,
        /option "B" is wrong: give its why:/,
      ],
      [
        'questions:\n  - { id: c, type: choice, prompt: P, explanation: E, options: [{ text: A, why: W }, { text: B, why: W }] }',
        6,
        /no option is marked correct/,
      ],
      [
        'questions:\n  - { id: c, type: choice, prompt: P, explanation: E, options: [{ text: A, correct: true }, { text: B, correct: true }] }',
        6,
        /2 options are correct: add multiple: true/,
      ],
      [
        'questions:\n  - { id: t, type: text, prompt: P, explanation: E }\n  - { id: t, type: text, prompt: Q, explanation: E }',
        7,
        /two questions have the id "t"/,
      ],
      ['questions:\n  - { id: t, type: essay, prompt: P, explanation: E }', 6, /type/],
      [
        'variants:\n  - { name: A, params: {}, fails: [counted], control: true }\n  - { name: B, params: {}, fails: [counted], control: true }',
        7,
        /at most one control variant/,
      ],
    ];
    for (const [yaml, line, message] of cases) {
      const { problem } = await loadStep(yaml);
      assert.ok(problem, `no problem reported for:\n${yaml}`);
      assert.equal(problem.file, 'labs/01-q/steps/01-s.md');
      assert.match(problem.message, message);
      assert.equal(problem.line, line, `${problem.message}\n${yaml}`);
    }
  });
});

describe('loadLabs: randomised parameters and templates', () => {
  /**
   * One lab whose scenario has parameters (slots 1-64, mode a|b, on), with one step: its frontmatter
   * ends with `yaml`, its body is `body`. Line 5 of the step file is the first line of `yaml`.
   */
  async function load(yaml: string, body = 'Body.\n', quiz = ''): Promise<{ labs: Awaited<ReturnType<typeof loadLabs>>['labs']; problem?: LabProblem }> {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-randomise-'));
    try {
      const lab = join(dir, 'labs', '01-r');
      mkdirSync(join(lab, 'steps'), { recursive: true });
      mkdirSync(join(lab, 'programs'));
      writeFileSync(join(lab, 'programs', 'p.ts'), '');
      writeFileSync(join(lab, 'checks.ts'), '');
      writeFileSync(
        join(lab, 'lab.md'),
        `---\ntitle: R\nsummary: R.\nscenarios:\n  only:\n    title: Only\n    programs: [{ role: p, program: programs/p.ts }]\n    params:\n` +
          `      - { name: slots, label: Slots, type: integer, default: 4, min: 1, max: 64, unit: slots }\n` +
          `      - { name: mode, label: Mode, type: choice, default: a, options: [a, b] }\n` +
          `      - { name: on, label: On, type: boolean, default: true }\n${quiz}\n---\n`,
      );
      writeFileSync(join(lab, 'steps', '01-s.md'), `---\ntitle: S\nscenario: only\nchecks: [counted]\n${yaml}\n---\n${body}`);
      const compiled = join(dir, 'dist', '01-r');
      mkdirSync(join(compiled, 'programs'), { recursive: true });
      writeFileSync(join(compiled, 'programs', 'p.js'), '');
      writeFileSync(
        join(compiled, 'checks.js'),
        "export default { counted: { title: 'Counted', hint: 'h', measures: { writes: { unit: 'writes', title: 'writes' } }, check: () => ({ passed: true, detail: '' }) } };\n",
      );
      const { labs, problems } = await loadLabs(join(dir, 'labs'), join(dir, 'dist'));
      return { labs, problem: problems[0] };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('loads the values a step randomises, templates in its texts, and an answer that is a template', async () => {
    const { labs, problem } = await load(
      `params: { slots: 4 }
randomise:
  slots: [3, 4, 5]
  mode: [a, b]
questions:
  - id: permits
    type: number
    prompt: With {slots} slots and mode {mode}, how many permits?
    unit: permits
    answer: "{slots}"
    explanation: "{slots} permits, {slots - 1} after one put."
hints:
  - With {slots} slots, {2 * slots} in two rounds.`,
      'The buffer has {slots} slots; `call({ a: 1 })` is no template.\n',
    );
    assert.equal(problem, undefined, problem?.message);
    const step = labs[0]!.steps[0]!;
    assert.deepEqual(step.randomise, { slots: [3, 4, 5], mode: ['a', 'b'] });
    assert.deepEqual(step.params, { slots: 4 });
    const permits = step.questions[0]!;
    assert.deepEqual(permits.type === 'number' && permits.expected, { formula: 'slots' });
    assert.equal(permits.prompt, 'With {slots} slots and mode {mode}, how many permits?', 'loaded as written: whoever shows it fills it in');
  });

  it('names the file, the line and the fix for a bad randomise block or a template the scenario cannot fill', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['randomise:\n  slotz: [1, 2]', '', 6, /randomise: scenario "only" has no parameter "slotz" \(its parameters: slots, mode, on\)/],
      ['randomise:\n  slots: [2, 100]', '', 6, /randomise: "slots" must be between 1 and 64 slots \(got 100\)/],
      ['randomise:\n  slots: [2, 2.5]', '', 6, /randomise: "slots" must be a whole number \(got 2.5\)/],
      ['randomise:\n  mode: [a, c]', '', 6, /randomise: "mode" must be one of a, b \(got "c"\)/],
      // An id longer than a request can name (main/contract/commands.ts) could never run: refused, not echoed whole.
      [`questions:\n  - { id: ${'q'.repeat(65)}, type: text, prompt: P, explanation: E }`, '', 6, /^"questions\.0\.id": an id has at most 64 characters$/],
      // Whatever else a lab file quotes into a problem, its line is cut in the middle past 1,000 characters.
      [
        `questions:\n  - { id: n, type: number, prompt: P, unit: ${'u'.repeat(3000)}, measurement: writes, explanation: E }`,
        '',
        6,
        /^question "n": the answer is in u+ \[\.\.\. 2178 characters cut \.\.\.\] u+, but check "counted" measures writes in writes$/,
      ],
      // A long value is quoted cut, with its length: not a problem line of a megabyte.
      [`randomise:\n  mode: [a, ${'c'.repeat(5000)}]`, '', 6, /randomise: "mode" must be one of a, b \(got "c{79}\.\.\. \(5002 characters\)\)$/],
      ['randomise:\n  slots: [4]', '', 6, /"randomise.slots": a randomised parameter needs at least two values/],
      ['randomise:\n  slots:\n    - 2\n    - 3\n    - 2', '', 9, /randomise: "slots" lists 2 twice/],
      // A key written twice: refused in one pass (yaml's own check compares every pair: 50,000 keys took 21 s).
      ['hints: [a]\nhints: [b]', '', 6, /YAML error: the key "hints" is written twice in one mapping; keep one/],
      // "Billion laughs": nine aliases of nine aliases of ... expand past yaml's alias limit.
      [
        `l0: &l0 [x, x, x, x, x, x, x, x, x]\n${[1, 2, 3]
          .map(
            (i) =>
              `l${i}: &l${i} [${Array(9)
                .fill(`*l${i - 1}`)
                .join(', ')}]`,
          )
          .join('\n')}\nhints: *l3`,
        '',
        2,
        /YAML error: Excessive alias count .*Fix: write the values out/,
      ],
      [
        'params:\n  slots: 7\nrandomise:\n  slots: [2, 3]',
        '',
        6,
        /params: "slots" is 7, which is not one of the values it is randomised over \(2, 3\): use one of them, or leave it out/,
      ],
      [
        'questions:\n  - id: q\n    type: number\n    prompt: With {slot} slots?\n    unit: writes\n    measurement: writes\n    explanation: E.',
        '',
        8,
        /question "q": \{slot\} names "slot", which is not a parameter of the scenario \(its parameters: slots, mode, on\)/,
      ],
      [
        'questions:\n  - id: c\n    type: choice\n    prompt: P\n    explanation: E\n    options:\n      - { text: A, correct: true }\n      - text: B\n        why: Not {mode * 2}.',
        '',
        13,
        /question "c": \{mode \* 2\} does arithmetic with "mode", which is not a whole number/,
      ],
      ['hints:\n  - First\n  - With {slotz} slots', '', 7, /hint 2: \{slotz\} names "slotz"/],
      ['', 'First line.\n\nWith {count} of them.\n', 9, /the step text: \{count\} names "count"/],
      ['', 'A {slots +} here.\n', 7, /the step text: \{slots \+\}: it ends where a number or a parameter name should come/],
      [
        'questions:\n  - { id: n, type: number, prompt: P, unit: permits, answer: "{mode}", explanation: E }',
        '',
        6,
        /question "n": \{mode\} is "mode", which is not a whole number/,
      ],
      [
        'questions:\n  - { id: n, type: number, prompt: P, unit: permits, answer: "slots", explanation: E }',
        '',
        6,
        /question "n": answer: "slots" is neither a number nor one template over the run's parameters, such as "\{slots\}"/,
      ],
      [
        'questions:\n  - { id: n, type: number, prompt: P, unit: permits, answer: "{slots} or {slots}", explanation: E }',
        '',
        6,
        /is neither a number nor one template/,
      ],
      ['questions:\n  - { id: n, type: number, prompt: P, unit: permits, answer: "{slotz}", explanation: E }', '', 6, /\{slotz\} names "slotz"/],
    ];
    for (const [yaml, body, line, message] of cases) {
      const { problem } = await load(yaml, body || undefined);
      assert.ok(problem, `no problem reported for:\n${yaml}${body}`);
      assert.equal(problem.file, 'labs/01-r/steps/01-s.md');
      assert.match(problem.message, message);
      assert.equal(problem.line, line, `${problem.message}\n${yaml}${body}`);
    }
  });

  it("refuses a template in the lab's quiz, which has no parameters", async () => {
    const prompt = await load('', undefined, 'quiz:\n  - { id: buf, type: number, prompt: "With {slots}?", unit: bytes, answer: 4096, explanation: E. }');
    assert.equal(prompt.problem?.file, 'labs/01-r/lab.md');
    assert.equal(prompt.problem?.line, 13);
    assert.match(prompt.problem!.message, /question "buf": \{slots\}: a quiz has no parameters to fill in; write the value itself/);
    const answer = await load('', undefined, 'quiz:\n  - { id: buf, type: number, prompt: P, unit: bytes, answer: "{slots}", explanation: E. }');
    assert.match(answer.problem!.message, /question "buf": \{slots\}: a quiz has no parameters; give the number itself/);
  });
});
