import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
    const shm = labs.find((l) => l.id === 'shared-memory')!;
    assert.deepEqual(shm.platforms, ['linux']);
    assert.ok(
      shm.programs.some((p) => p.path === 'main/runtime/shared-memory/mutex.ts' && p.source.includes('class Mutex')),
      'library sources are shown',
    );
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
