/**
 * A run that cannot start (issue 11, defect 6) answers a clear error and leaves nothing: no run row (not
 * even one at `starting` or `error`), no run directory, no process. Failures made for real: the engine
 * out of file descriptors (a child engine under a low RLIMIT_NOFILE), and a temp folder that does not
 * exist (mkdtemp of the run directory fails).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FIXTURE_LABS, openHarness, runDirsOwnedBy, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

interface Attempt {
  freed: number;
  ok: boolean;
  code?: string;
  message?: string;
  fix?: string;
  runs: number;
  starting: number;
  runDirs: number;
  sockets: number;
}

describe('a start that fails', { timeout: 120_000 }, () => {
  it('out of file descriptors (EMFILE): answers what to do, and leaves no run row and no run directory, at every point it can fail', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-emfile-'));
    try {
      const script = fileURLToPath(new URL('../support/engine-out-of-descriptors.ts', import.meta.url));
      const child = spawn('prlimit', ['--nofile=160', '--', process.execPath, '--import', 'tsx', script, dataDir, FIXTURE_LABS], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      const attempts = stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Attempt);
      assert.equal(code, 0, `the engine crashed after ${attempts.length} attempts:\n${stderr}`);
      const failed = attempts.filter((a) => !a.ok);
      assert.ok(failed.length > 0, 'no start failed: the descriptor limit was never reached');
      assert.equal(attempts.at(-1)?.ok, true, 'no start succeeded once descriptors were freed');
      for (const attempt of failed) {
        // Sockets as many as before the first attempt: a failed start keeps no descriptor (Node's spawn leaked two).
        assert.deepEqual(
          { runs: attempt.runs, starting: attempt.starting, runDirs: attempt.runDirs, sockets: attempt.sockets },
          { runs: 0, starting: 0, runDirs: 0, sockets: failed[0]!.sockets },
          `with ${attempt.freed} descriptors freed: ${attempt.message}`,
        );
        assert.match(attempt.message ?? '', /too many files open|EMFILE/, `freed ${attempt.freed}`);
        assert.doesNotMatch(`${attempt.message} ${attempt.fix}`, /\/tmp\/|\/work\/|a bug in IPC Lab/, `freed ${attempt.freed}: no path, no "bug"`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('when the run directory cannot be made: answers which folder and what to do, and leaves no run row', async () => {
    const before = harness.engine.store.runs().length;
    const missing = join(tmpdir(), 'ipc-lab-test-no-such-folder', 'deeper');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = missing;
    let outcome;
    try {
      outcome = await harness.engine.handle('runs.start', { labId: 'misbehaving', scenarioId: 'crash' });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error.message : '', /could not start/);
    assert.match(!outcome.ok ? `${outcome.error.message} ${outcome.error.fix}` : '', /TMPDIR|temporary folder/);
    assert.equal(harness.engine.store.runs().length, before, 'a row was left for the run that never started');
    assert.deepEqual(runDirsOwnedBy(process.pid), []);
    assert.equal(harness.engine.currentRun, undefined, 'the engine still counts a run as going on');
    // And the next start works.
    const next = await harness.engine.call('runs.start', { labId: 'misbehaving', scenarioId: 'crash' });
    assert.equal((await harness.engine.currentRun!.done).runId, next.run.runId);
  });
});
