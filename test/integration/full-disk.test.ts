/**
 * A full disk under the data folder (issue 11, defect 1), made for real: IPC_LAB_HOME on a 2 MiB tmpfs
 * (the tests run as root in their own mount of it), filled with a file while a message-size run records
 * thousands of events. The run must stop as `error` saying which disk is full and what to do, with its
 * processes and kernel objects gone and every event stored so far kept; the engine must keep answering,
 * close cleanly, and start again read-only on the full disk (past runs still viewable and exportable).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, isAlive, waitForEvent } from '../support/engine-harness.js';
import { asTab, connectOk } from '../unit/hosts/browser-host-helpers.js';

const DISK_FULL = /^The disk holding .+ is full; free space or set IPC_LAB_HOME elsewhere/;

let mountPoint: string;
let dataDir: string;
const engines: Engine[] = [];

before(() => {
  mountPoint = mkdtempSync(join(tmpdir(), 'ipc-lab-test-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'none', mountPoint]);
  dataDir = join(mountPoint, 'home');
});
after(async () => {
  for (const engine of engines) await engine.close();
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes a file until the tmpfs has no byte left; returns its path. */
function fillDisk(on = mountPoint): string {
  const path = join(on, 'filler');
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(16 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return path;
}

/** This run's named objects still in /dev/shm and /dev/mqueue. */
function objectsLeft(): string[] {
  return ['/dev/shm', '/dev/mqueue'].flatMap((dir) => {
    try {
      return readdirSync(dir).filter((name) => name.startsWith(`ipc-lab-${process.pid}-`));
    } catch {
      return [];
    }
  });
}

describe('a full disk', { timeout: 120_000 }, () => {
  let runId = 0;
  let eventsKept = 0;

  it('stops the run as error, naming the disk and the fix; processes and objects gone, what was stored kept', async (t) => {
    const engine = await openEngine({ dataDir });
    engines.push(engine);
    let pushed = 0;
    engine.onEvent(
      ({ event, payload }) => {
        if (event === 'trace:batch') pushed += (payload as { events: unknown[] }).events.length;
      },
      { everyEvent: true },
    );
    const created = waitForEvent(engine, (e) => e.kind === 'object.create', 30_000);
    const { run } = await engine.call('runs.start', { labId: 'message-passing', scenarioId: 'sizes', stepId: 'message-size', params: { records: 20000 } });
    runId = run.runId;
    const live = engine.currentRun!;
    await created;
    fillDisk();
    const final = await live.done;
    assert.equal(final.status, 'error', `the run ended ${final.status}: ${final.message}`);
    assert.match(final.message ?? '', DISK_FULL);
    assert.match(final.message ?? '', new RegExp(dataDir.replace(/[/.]/g, '\\$&')));
    assertNothingLeft(final);
    assert.deepEqual(objectsLeft(), []);
    // Every event the page was shown is stored: the ones after the disk filled were never shown.
    eventsKept = engine.store.eventCount(runId);
    assert.ok(eventsKept > 0, 'no event kept');
    assert.equal(eventsKept, pushed);
    t.diagnostic(`${eventsKept} events kept, the run ended: ${final.message}`);
    assert.deepEqual(engine.store.run(runId)?.status, 'error');
  });

  it('keeps answering: past runs are shown and exported, what would write says the disk is full', async () => {
    const engine = engines[0]!;
    const { run, events } = await engine.call('runs.get', { runId });
    assert.equal(run.status, 'error');
    assert.equal(events.length, eventsKept);
    const exported = await engine.call('trace.export', { runId, format: 'csv' });
    assert.ok(exported.content.length > 0, 'an empty export');
    const start = await engine.handle('runs.start', { labId: 'message-passing', scenarioId: 'sizes' });
    assert.equal(start.ok, false);
    assert.match(!start.ok ? start.error.message : '', DISK_FULL);
    const answer = await engine.handle('answers.save', { labId: 'message-passing', stepId: 'message-size', text: 'x'.repeat(10_000) });
    assert.match(!answer.ok ? answer.error.message : 'saved', DISK_FULL);
    assert.match((await engine.call('storage.get', {})).problem ?? '', DISK_FULL);
    await engine.close();
    engines.pop();
  });

  it('starts again on the full disk, read-only: past runs viewable and exportable, writes refused with the message', async () => {
    // Closing gave back the WAL's space: fill what it freed, so that the disk is full as the engine starts.
    fillDisk();
    const engine = await openEngine({ dataDir });
    engines.push(engine);
    assert.equal(engine.store.readOnly, true, 'SQLite could open its WAL index: the disk was not full');
    assert.ok((await engine.call('labs.list', {})).labs.length > 0, 'no lab listed');
    assert.match((await engine.call('storage.get', {})).problem ?? '', DISK_FULL);
    const { run, events } = await engine.call('runs.get', { runId });
    assert.equal(run.status, 'error');
    assert.equal(events.length, eventsKept);
    assert.ok((await engine.call('trace.export', { runId, format: 'csv' })).content.length > 0, 'an empty export');
    const start = await engine.handle('runs.start', { labId: 'message-passing', scenarioId: 'sizes' });
    assert.match(!start.ok ? start.error.message : 'started', DISK_FULL);
    // A read-only engine keeps the database to itself (exclusive locking: no -shm file on a full disk);
    // a second IPC Lab beside it (here the CLI) is told so, not handed an internal error.
    const beside = spawnSync(process.execPath, [join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js'), 'sessions'], {
      env: { ...process.env, IPC_LAB_HOME: dataDir },
      encoding: 'utf8',
    });
    assert.equal(beside.status, 1, beside.stderr);
    assert.match(beside.stderr, /^ipc-lab: Another IPC Lab is using the data folder .+ on its own, read-only, because its disk is full\.\nFix: /);
    assert.doesNotMatch(beside.stderr, /^\s+at |internal/im);
    await engine.close();
    engines.pop();
  });

  it('`ipc-lab run` on the full disk exits 1 with the message and its fix, no stack trace', () => {
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    const result = spawnSync(process.execPath, [cli, 'run', 'message-passing', '--step', 'message-size'], {
      env: { ...process.env, IPC_LAB_HOME: dataDir },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^ipc-lab: The disk holding .+ is full; free space or set IPC_LAB_HOME elsewhere\.\nFix: /);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });
});

describe('a full disk under the browser host', { timeout: 120_000 }, () => {
  let disk: string;
  before(() => {
    disk = mkdtempSync(join(tmpdir(), 'ipc-lab-test-full-disk-ws-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'none', disk]);
  });
  after(() => {
    execFileSync('umount', [disk]);
    rmSync(disk, { recursive: true, force: true });
  });

  it("ends the tab's run as error with the message over its WebSocket, which stays open; the host lives on", async () => {
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    const host = spawn(process.execPath, [cli, 'serve', '--port', '0'], {
      env: { ...process.env, IPC_LAB_HOME: join(disk, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    host.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => host.once('exit', resolve));
    try {
      let url: URL | undefined;
      for await (const line of createInterface({ input: host.stdout })) {
        const match = /running at (http:\/\/\S+)/.exec(line);
        if (match) {
          url = new URL(match[1]!);
          break;
        }
      }
      assert.ok(url, `ipc-lab serve printed no URL: ${stderr}`);
      const port = Number(url.port);
      const tab = await connectOk(port, asTab(port, new URLSearchParams(url.hash.slice(1)).get('token')!));
      tab.send({ ready: true });
      const created = tab.next((m) => m?.event === 'trace:batch' && m.payload.events.some((e: { kind: string }) => e.kind === 'object.create'));
      const started = await tab.call(1, 'runs.start', { labId: 'message-passing', scenarioId: 'sizes', stepId: 'message-size', params: { records: 20000 } });
      assert.equal(started.ok, true, JSON.stringify(started));
      const runId = started.response.run.runId as number;
      await created;
      fillDisk(disk);
      const ended = await tab.next((m) => m?.event === 'run:updated' && m.payload.run.runId === runId && m.payload.run.status === 'error');
      assert.match(ended.payload.run.message, DISK_FULL);
      const storage = await tab.call(2, 'storage.get', {});
      assert.match(storage.response.problem, DISK_FULL);
      const again = await tab.call(3, 'runs.start', { labId: 'message-passing', scenarioId: 'sizes' });
      assert.equal(again.ok, false);
      assert.match(again.error.message, DISK_FULL);
      assert.equal(host.exitCode, null, `the host exited: ${stderr}`);
      assert.doesNotMatch(stderr, /SqliteError|^\s+at /m);
      for (const p of ended.payload.run.processes as { pid: number }[]) assert.equal(isAlive(p.pid), false, `pid ${p.pid} still runs`);
      await tab.close();
      host.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      host.kill('SIGKILL');
      await exited;
    }
  });
});
