/**
 * The architecture rule that VS Code enforces with a lint rule: the engine, runtime and contract never
 * import electron; the renderer never imports the engine, hosts or runtime, only the contract.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { findProjectRoot } from '../../main/engine/project-root.js';

const root = findProjectRoot();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

it('only main/hosts/electron imports electron', () => {
  for (const folder of ['main/engine', 'main/runtime', 'main/contract', 'main/native', 'main/cli', 'labs']) {
    for (const file of sources(join(root, folder))) {
      assert.ok(!imports(file).some((spec) => spec === 'electron' || spec.startsWith('electron/')), `${relative(root, file)} imports electron`);
    }
  }
});

it('the renderer imports nothing of main/ but the contract', () => {
  for (const file of sources(join(root, 'renderer', 'src'))) {
    for (const spec of imports(file)) {
      if (spec.includes('/main/')) assert.match(spec, /\/main\/contract\//, `${relative(root, file)} imports ${spec}`);
    }
  }
});

it('the contract imports no Node module', () => {
  for (const file of sources(join(root, 'main', 'contract'))) {
    for (const spec of imports(file)) assert.ok(!spec.startsWith('node:'), `${relative(root, file)} imports ${spec}`);
  }
});
