/**
 * A data folder IPC Lab cannot make (IPC_LAB_HOME names a file, or a folder under one) is the user's to
 * fix: the CLI says which folder and what to do, with no stack trace. Before, it printed the raw
 * `Error: EEXIST: file already exists, mkdir …` with its stack.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { findProjectRoot } from '../../main/project-root.js';

const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
const scratch = mkdtempSync(join(tmpdir(), 'ipc-lab-test-data-folder-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

for (const [what, home] of [
  ['a file', join(scratch, 'a-file')],
  ['a folder under a file', join(scratch, 'a-file', 'home')],
] as const) {
  it(`IPC_LAB_HOME naming ${what}: exit 1, the folder named and the fix, no stack trace`, () => {
    writeFileSync(join(scratch, 'a-file'), 'not a folder');
    const result = spawnSync(process.execPath, [cli, 'sessions'], { env: { ...process.env, IPC_LAB_HOME: home }, encoding: 'utf8' });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(
      result.stderr,
      `ipc-lab: IPC Lab cannot make its data folder ${home} (${what === 'a file' ? 'EEXIST' : 'ENOTDIR'}).\nFix: Set IPC_LAB_HOME to a folder you can write to, or move what is in the way.\n`,
    );
  });
}
