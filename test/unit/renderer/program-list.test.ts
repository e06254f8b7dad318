/**
 * The Programs panel's list: the lab's files apart from IPC Lab's library, the scenario's programs first,
 * and same-named files told apart by the shortest folder tail that no other file shares.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProgramSource } from '../../../main/contract/lab-model.js';
import { distinctTails, groupPrograms } from '../../../renderer/src/lib/components/program-list.js';

const lab = (path: string): ProgramSource => ({ path, source: '', origin: 'lab' });
const library = (path: string): ProgramSource => ({ path, source: '', origin: 'library' });

describe('distinctTails', () => {
  test('a name used once stays bare', () => {
    assert.deepEqual([...distinctTails(['programs/writer.ts', 'main/runtime/line-reader.ts']).values()], ['writer.ts', 'line-reader.ts']);
  });

  test('same-named files get the folders that tell them apart, no more', () => {
    const tails = distinctTails(['programs/matchmaker.ts', 'main/runtime/rpc/matchmaker.ts', 'main/runtime/rpc/client.ts']);
    assert.deepEqual(Object.fromEntries(tails), {
      'programs/matchmaker.ts': 'programs/matchmaker.ts',
      'main/runtime/rpc/matchmaker.ts': 'rpc/matchmaker.ts',
      'main/runtime/rpc/client.ts': 'client.ts',
    });
  });

  test('folders named alike are climbed until the paths differ', () => {
    const tails = distinctTails(['main/runtime/a/index.ts', 'main/native/a/index.ts', 'main/runtime/b/index.ts']);
    assert.deepEqual(Object.fromEntries(tails), {
      'main/runtime/a/index.ts': 'runtime/a/index.ts',
      'main/native/a/index.ts': 'native/a/index.ts',
      'main/runtime/b/index.ts': 'b/index.ts',
    });
  });

  test('a path that is the tail of another is shown whole, and so differs', () => {
    assert.deepEqual(Object.fromEntries(distinctTails(['checks.ts', 'programs/checks.ts'])), {
      'checks.ts': 'checks.ts',
      'programs/checks.ts': 'programs/checks.ts',
    });
  });
});

describe('groupPrograms', () => {
  const programs = [
    lab('programs/bank-client.ts'),
    lab('programs/matchmaker.ts'),
    lab('programs/bank-server.ts'),
    lab('checks.ts'),
    library('main/runtime/rpc/server.ts'),
    library('main/runtime/rpc/matchmaker.ts'),
    library('main/native/measure-loops.c'),
  ];

  test("the lab's files and the library's are in their own groups", () => {
    const groups = groupPrograms(programs, []);
    assert.deepEqual(
      groups.lab.map((p) => p.program.path),
      ['checks.ts', 'programs/bank-client.ts', 'programs/bank-server.ts', 'programs/matchmaker.ts'],
    );
    assert.deepEqual(
      groups.library.map((p) => p.program.path),
      ['main/runtime/rpc/server.ts', 'main/runtime/rpc/matchmaker.ts', 'main/native/measure-loops.c'],
      "the library keeps lab.md's order",
    );
  });

  test('the scenario starts its programs first, in its order, and says so', () => {
    const groups = groupPrograms(programs, ['programs/bank-server.ts', 'programs/bank-client.ts']);
    assert.deepEqual(
      groups.lab.map((p) => [p.program.path, p.started]),
      [
        ['programs/bank-server.ts', true],
        ['programs/bank-client.ts', true],
        ['checks.ts', false],
        ['programs/matchmaker.ts', false],
      ],
    );
  });

  test('names clash across the groups too: both matchmakers show their folder', () => {
    const groups = groupPrograms(programs, []);
    const shown = [...groups.lab, ...groups.library].map((p) => p.dir + p.name);
    assert.equal(new Set(shown).size, shown.length, `no two labels alike: ${shown.join(', ')}`);
    const byPath = Object.fromEntries([...groups.lab, ...groups.library].map((p) => [p.program.path, [p.dir, p.name]]));
    assert.deepEqual(byPath['programs/matchmaker.ts'], ['programs/', 'matchmaker.ts']);
    assert.deepEqual(byPath['main/runtime/rpc/matchmaker.ts'], ['rpc/', 'matchmaker.ts']);
    assert.deepEqual(byPath['programs/bank-client.ts'], ['', 'bank-client.ts']);
  });
});
