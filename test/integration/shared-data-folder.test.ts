/**
 * Two IPC Labs on one data folder (issue 11, defect 5): a second engine (the CLI beside the app) must
 * leave the first one's live run alone, and a second `npm start` must send the student to the first
 * one instead of serving another copy on another port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { findProjectRoot } from '../../main/project-root.js';
import { LOCK_FILE } from '../../main/hosts/instance-lock.js';
import { assertNothingLeft, FIXTURE_LABS, isAlive, openHarness, type Harness } from '../support/engine-harness.js';

const root = findProjectRoot();
const cli = join(root, 'dist', 'main', 'cli', 'ipc-lab.js');
const launcher = join(root, 'dist', 'main', 'hosts', 'launcher.js');

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

/**
 * Runs a built IPC Lab entry point on the harness's data folder; resolves with its exit code and output.
 * Output matching `failOn` ends it at once, as a failure (a second host that serves instead of exiting).
 */
function runNode(file: string, args: string[], env: NodeJS.ProcessEnv = {}, failOn?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, IPC_LAB_HOME: harness.dataDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (failOn?.test(stdout)) {
        child.kill('SIGKILL');
        reject(new Error(`${file} should have exited, but printed:\n${stdout}`));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a second engine on the same data folder', () => {
  it("leaves the first engine's live run alone: `ipc-lab sessions` beside it does not mark it error", async () => {
    const { run } = await harness.engine.call('runs.start', { labId: 'misbehaving', scenarioId: 'waits' });
    const live = harness.engine.currentRun!;
    assert.equal(harness.engine.store.run(run.runId)?.status, 'running');
    const second = await runNode(cli, ['sessions']);
    assert.equal(second.code, 0, second.stderr);
    const seen = harness.engine.store.run(run.runId)!;
    assert.equal(seen.status, 'running', `after a second engine opened the folder: ${seen.status} "${seen.message}"`);
    await harness.engine.call('runs.stop', { runId: run.runId });
    const final = await live.done;
    assert.equal(final.status, 'stopped');
    assert.equal(final.message, 'Stopped by the student.');
    assertNothingLeft(final);
  });
});

/** Starts `npm start -- --browser` (the built launcher) on the harness's data folder; resolves with the URL it prints. */
function startLauncher(): { url: Promise<string>; exited: Promise<number | null>; pid: number; kill(): void } {
  const child = spawn(process.execPath, [launcher, '--browser'], {
    env: { ...process.env, IPC_LAB_HOME: harness.dataDir, IPC_LAB_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const match = /^IPC Lab is running at (\S+)$/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`the launcher exited (${code}) before it printed its URL:\n${lines.join('\n')}`)));
  });
  return { url, exited, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}

describe('a second npm start on the same data folder', { timeout: 60_000 }, () => {
  it('says where the first one runs and exits 0, instead of serving another copy on another port', async () => {
    const first = startLauncher();
    try {
      const url = await first.url;
      const second = await runNode(launcher, ['--browser'], { IPC_LAB_PORT: '0' }, /IPC Lab is running at/);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout.trim().split('\n').at(-1), `IPC Lab is already running at ${url}`, second.stdout);
      process.kill(first.pid, 'SIGTERM');
      assert.equal(await first.exited, 0);
      assert.equal(existsSync(join(harness.dataDir, LOCK_FILE)), false, 'the lock is released on exit');
    } finally {
      first.kill();
    }
  });

  it('takes over a stale lock: its pid is gone, or is a process that started after the lock was written', async () => {
    // A lock left by a host killed with SIGKILL (its pid gone), then one whose pid is alive but is
    // another process (this test's own pid, with a start time it never had): both are stale.
    for (const stale of [
      { pid: 2 ** 22 + 1, start: 1, url: 'http://127.0.0.1:1/#token=gone' },
      { pid: process.pid, start: 1, url: 'http://127.0.0.1:1/#token=reused' },
    ]) {
      writeFileSync(join(harness.dataDir, LOCK_FILE), JSON.stringify(stale), { mode: 0o600 });
      const next = startLauncher();
      try {
        const url = await next.url;
        assert.notEqual(url, stale.url);
        const lock = JSON.parse(readFileSync(join(harness.dataDir, LOCK_FILE), 'utf8')) as { pid: number; url: string };
        assert.deepEqual([lock.pid, lock.url], [next.pid, url]);
        process.kill(next.pid, 'SIGTERM');
        assert.equal(await next.exited, 0);
        assert.equal(isAlive(next.pid), false);
      } finally {
        next.kill();
      }
    }
  });
});
