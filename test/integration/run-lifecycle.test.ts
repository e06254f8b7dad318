/**
 * What happens when lab processes or the host misbehave: garbage on the trace channel, a crash, a
 * process that never exits, a host killed with SIGKILL. Nothing logged is lost and nothing is left.
 */
import assert from 'node:assert/strict';
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { findProjectRoot } from '../../main/project-root.js';
import { openEngine } from '../../main/engine/engine.js';
import { assertNothingLeft, FIXTURE_LABS, isAlive, openHarness, runDirsOwnedBy, runToEnd, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

describe('misbehaving lab processes', () => {
  it('records garbage trace lines as rejections and keeps every valid event', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'misbehaving', scenarioId: 'garbage' });
    assert.equal(run.status, 'completed');
    const notes = stored.filter((e): e is StoredEventOf<'note'> => e.kind === 'note').map((e) => e.text);
    assert.deepEqual(notes, ['before the garbage', 'after the garbage']);
    const reasons = stored.filter((e): e is StoredEventOf<'trace.rejected'> => e.kind === 'trace.rejected').map((e) => e.reason);
    assert.equal(reasons.length, 5, reasons.join('\n'));
    assert.match(reasons.join('\n'), /not JSON/);
    assert.match(reasons.join('\n'), /unknown kind "host\.exit"/);
    assert.match(reasons.join('\n'), /field "text" of a note event/);
    assert.match(reasons.join('\n'), /channel belongs to pid/);
    assert.match(reasons.join('\n'), /schema version 99/);
    assertNothingLeft(run);
  });

  it('reports a crash with its exit code and its output', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'misbehaving', scenarioId: 'crash' });
    assert.equal(run.status, 'completed');
    assert.equal(run.processes[0]?.exitCode, 1);
    const output = stored.filter((e): e is StoredEventOf<'host.output'> => e.kind === 'host.output');
    assert.ok(
      output.some((e) => e.stream === 'stdout' && e.text === 'stdout line from the crasher'),
      "output.some((e) => e.stream === 'stdout' && e.text === 'stdout line from the crasher')",
    );
    assert.ok(
      output.some((e) => e.stream === 'stderr' && e.text.includes('deliberate crash for the test')),
      "output.some((e) => e.stream === 'stderr' && e.text.includes('deliberate crash for the test'))",
    );
    assertNothingLeft(run);
  });

  it('keeps the trace of programs that exit the moment they have spoken', async () => {
    // Their trace channels can still wait in the listen backlog when the host sees them exit.
    for (let round = 0; round < 5; round++) {
      const { run, stored } = await runToEnd(harness.engine, { labId: 'misbehaving', scenarioId: 'blinks' });
      const notes = stored.filter((e): e is StoredEventOf<'note'> => e.kind === 'note').map((e) => e.text);
      assert.equal(notes.length, 8, `round ${round}: ${notes.join(', ')}`);
      assertNothingLeft(run);
    }
  });

  it('stops a process that never exits at the wall-clock limit', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: 'misbehaving', scenarioId: 'hang' });
    assert.equal(run.status, 'timed-out');
    assert.match(run.message ?? '', /1 s limit/);
    assert.ok(
      stored.some((e) => e.kind === 'host.warning' && /wall-clock limit/.test(e.text)),
      "stored.some((e) => e.kind === 'host.warning' && /wall-clock limit/.test(e.text))",
    );
    assert.equal(run.processes[0]?.signal, 'SIGTERM');
    assertNothingLeft(run);
  });
});

describe('platforms', () => {
  it('refuses to run a lab on a platform its kernel objects do not exist on, and says so', async () => {
    const outcome = await harness.engine.handle('runs.start', { labId: 'elsewhere', scenarioId: 'only' });
    assert.ok(!outcome.ok, '!outcome.ok');
    assert.equal(outcome.error.code, 'unsupported-platform');
    assert.match(outcome.error.message, /not supported on Linux yet: its kernel objects exist here only on Windows/);
    assert.equal(harness.engine.currentRun, undefined);
  });
});

describe('descriptors', () => {
  it('lab processes do not inherit descriptors the host inherited from whatever started it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-test-home-'));
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    // A file handed to the host at descriptor 40 without close-on-exec, as a shell or an IDE might.
    const file = openSync(join(findProjectRoot(), 'package.json'), 'r');
    const stdio: StdioOptions = ['ignore', 'pipe', 'inherit', ...Array<'ignore'>(37).fill('ignore'), file];
    const host = spawn(process.execPath, [cli, 'run', 'ordinary-pipes', '--step', 'one-way', '--json'], { env: { ...process.env, IPC_LAB_HOME: home }, stdio });
    closeSync(file);
    const inherited = readlinkSync(`/proc/${host.pid}/fd/40`);
    const targets = new Set<string>();
    for await (const line of createInterface({ input: host.stdout! })) {
      const record = JSON.parse(line) as { type: string; event?: { kind: string; fds?: { target: string }[] } };
      if (record.event?.kind === 'kernel.snapshot') for (const fd of record.event.fds!) targets.add(fd.target);
    }
    rmSync(home, { recursive: true, force: true });
    assert.ok(targets.size > 0, 'the run had kernel snapshots');
    assert.equal(targets.has(inherited), false, `${inherited} leaked into a lab process`);
  });
});

describe('the host dies', () => {
  it('leaves a message queue that the next engine start unlinks', async (t) => {
    if (!existsSync('/dev/mqueue') || !readFileSync('/proc/mounts', 'utf8').includes(' /dev/mqueue ')) {
      t.skip('the mqueue file system is not mounted at /dev/mqueue (.ci/run mounts it)');
      return;
    }
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-test-home-'));
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    const host = spawn(process.execPath, [cli, 'run', 'message-passing', '--step', 'blocking', '--set', 'senderDelayMs=5000', '--json'], {
      env: { ...process.env, IPC_LAB_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: host.stdout! })) {
      const record = JSON.parse(line) as { type: string; event?: { kind: string; role?: string } };
      if (record.event?.kind === 'object.open' && record.event.role === 'sender') break;
    }
    const queues = () => readdirSync('/dev/mqueue').filter((name) => name.startsWith(`ipc-lab-${host.pid}-`));
    assert.equal(queues().length, 1);
    const hostExited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGKILL');
    await hostExited;
    assert.equal(queues().length, 1, 'nobody was left to unlink it');
    const engine = await openEngine({ dataDir: home });
    try {
      assert.deepEqual(queues(), [], 'the next engine start unlinked it');
    } finally {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('leaves a shared-memory segment that the next engine start unlinks', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-test-home-'));
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    const host = spawn(process.execPath, [cli, 'run', 'shared-memory', '--step', 'segment', '--set', 'holdMs=10000', '--json'], {
      env: { ...process.env, IPC_LAB_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: host.stdout! })) {
      const record = JSON.parse(line) as { type: string; event?: { kind: string } };
      if (record.event?.kind === 'object.open') break;
    }
    const segments = () => readdirSync('/dev/shm').filter((name) => name.startsWith(`ipc-lab-${host.pid}-`));
    assert.equal(segments().length, 1);
    const hostExited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGKILL');
    await hostExited;
    assert.equal(segments().length, 1, 'nobody was left to unlink it');
    const engine = await openEngine({ dataDir: home });
    try {
      assert.deepEqual(segments(), [], 'the next engine start unlinked it');
    } finally {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('leaves no lab process 2 s after the host is killed with SIGKILL, and the next start sweeps its run directory', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-test-home-'));
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    const host = spawn(process.execPath, [cli, 'run', 'ordinary-pipes', '--step', 'capacity', '--set', 'readerDelayMs=10000', '--json'], {
      env: { ...process.env, IPC_LAB_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Wait until both lab processes have started (the parent blocks writing, the child sleeps).
    const pids = new Map<string, number>();
    for await (const line of createInterface({ input: host.stdout! })) {
      const record = JSON.parse(line) as { type: string; event?: { kind: string; role: string; pid: number } };
      if (record.type === 'event' && record.event?.kind === 'process.start') pids.set(record.event.role, record.event.pid);
      if (pids.size === 2) break;
    }
    assert.deepEqual([...pids.keys()].sort(), ['child', 'parent']);
    const hostExited = new Promise((resolve) => host.once('exit', resolve));
    assert.equal(runDirsOwnedBy(host.pid!).length, 1);
    host.kill('SIGKILL');
    await hostExited;

    const deadline = Date.now() + 2000;
    while ([...pids.values()].some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const [role, pid] of pids) assert.equal(isAlive(pid), false, `${role} (pid ${pid}) outlived its host`);

    const leftover = runDirsOwnedBy(host.pid!);
    assert.equal(leftover.length, 1, 'a SIGKILLed host cannot clean up its run directory itself');
    const engine = await openEngine({ dataDir: home });
    try {
      assert.equal(existsSync(join(tmpdir(), leftover[0]!)), false, 'the next engine start removed it');
      const { lastRun } = await engine.call('labs.get', { labId: 'ordinary-pipes' });
      assert.equal(lastRun?.status, 'error');
      assert.match(lastRun?.message ?? '', /app stopped while this run was going on/);
    } finally {
      await engine.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a long TMPDIR', () => {
  it('runs with the trace socket in a short private directory when the run directory is too deep for sun_path, and leaves nothing', async () => {
    // sun_path holds 107 bytes and a NUL (unix(7)); <TMPDIR>/ipc-lab-run-XXXXXX/trace.sock must not fit.
    const long = join(mkdtempSync(join(tmpdir(), 'ipc-lab-long-tmpdir-')), 'd'.repeat(90));
    mkdirSync(long);
    const pipes = await openHarness();
    const before = process.env.TMPDIR;
    process.env.TMPDIR = long;
    try {
      const { run, stored } = await runToEnd(pipes.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' });
      assert.equal(run.status, 'passed', `${run.message ?? ''} ${JSON.stringify(run.checks.filter((c) => !c.passed))}`);
      assert.ok(
        stored.some((e) => e.kind === 'process.start' && e.role === 'child'),
        'the programs reached the trace socket',
      );
      assert.deepEqual(readdirSync(long), [], 'nothing left in the long TMPDIR');
      assert.deepEqual(runDirsOwnedBy(process.pid), [], 'no run directory left in the long TMPDIR');
      assert.deepEqual(runDirsIn('/tmp', process.pid), [], 'no short socket directory left in /tmp');
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
      await pipes.close();
      rmSync(dirname(long), { recursive: true, force: true });
    }
  });
});

/** Run directories under `dir` whose owner.pid names process `pid`. */
function runDirsIn(dir: string, pid: number): string[] {
  return readdirSync(dir).filter((name) => {
    try {
      return name.startsWith('ipc-lab-run-') && Number(readFileSync(join(dir, name, 'owner.pid'), 'utf8')) === pid;
    } catch {
      return false;
    }
  });
}
