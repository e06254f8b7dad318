/**
 * The architecture's layering is held by lint rules (eslint.config.js): these tests show that each rule
 * fires on a file in the wrong place, and stays quiet where the import is allowed. `npm run lint`
 * applies them to the whole tree.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { ESLint } from 'eslint';
import { findProjectRoot } from '../../main/project-root.js';

const root = findProjectRoot();
const eslint = new ESLint({ cwd: root });

/** The ids of the import rules that fire on `code` as if it were the file at `path`. */
async function importRulesFiring(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result!.messages.map((m) => m.ruleId ?? m.message).filter((id) => /restricted-imports/.test(id));
}

const violations: [string, string][] = [
  ['main/engine/lab-run.ts', "import { app } from 'electron';\nexport const a = app;\n"],
  ['main/runtime/lab-runtime.ts', "import { ipcMain } from 'electron/main';\nexport const a = ipcMain;\n"],
  ['labs/01-ordinary-pipes/checks.ts', "import { app } from 'electron';\nexport const a = app;\n"],
  ['main/contract/commands.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n"],
  ['main/native/index.ts', "import { openEngine } from '../engine/engine.js';\nexport const a = openEngine;\n"],
  ['renderer/src/lib/format.ts', "import { openEngine } from '../../../main/engine/engine.js';\nexport const a = openEngine;\n"],
  ['renderer/src/lib/format.ts', "import { lab } from '../../../main/runtime/lab-runtime.js';\nexport const a = lab;\n"],
];

for (const [path, code] of violations) {
  it(`refuses ${code.split('\n')[0]} in ${path}`, async () => {
    assert.notDeepEqual(await importRulesFiring(path, code), [], 'the layering rule should fire');
  });
}

const allowed: [string, string][] = [
  ['main/native/index.ts', "import { findProjectRoot } from '../project-root.js';\nexport const a = findProjectRoot;\n"],
  ['main/hosts/electron/main.ts', "import { app } from 'electron';\nexport const a = app;\n"],
  ['renderer/src/lib/format.ts', "import { BridgeError } from '../../../main/contract/errors.js';\nexport const a = BridgeError;\n"],
  ['renderer/src/lib/format.ts', "import type { Engine } from '../../../main/engine/engine.js';\nexport type A = Engine;\n"],
];

for (const [path, code] of allowed) {
  it(`allows ${code.split('\n')[0]} in ${path}`, async () => {
    assert.deepEqual(await importRulesFiring(path, code), []);
  });
}
