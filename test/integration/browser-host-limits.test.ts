/**
 * The browser host under a flood of idle connections that never present the token. The real
 * `ipc-lab serve`, started with a low descriptor limit (prlimit), so that the flood would use up its
 * file descriptors if nothing capped it; the review found `runs.start` then failing with EMFILE.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { RunSummary } from '../../main/contract/lab-model.js';
import { findProjectRoot } from '../../main/project-root.js';
import { asTab, connectOk, httpGet, type TestSocket } from '../unit/hosts/browser-host-helpers.js';

/** The host's descriptors: about 22 when idle, some tens more during a run. */
const FD_LIMIT = 160;
/** More idle connections than FD_LIMIT: without a cap they alone exhaust the host's descriptors. */
const IDLE_CONNECTIONS = 300;
const TERMINAL: RunSummary['status'][] = ['completed', 'passed', 'failed', 'stopped', 'timed-out', 'error'];

describe('browser host connection limits', { timeout: 120_000 }, () => {
  let home: string;
  let child: ChildProcess;
  let port: number;
  let token: string;
  const idle: Socket[] = [];
  const tabs: TestSocket[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'ipc-lab-limits-'));
    const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
    child = spawn('prlimit', [`--nofile=${FD_LIMIT}:${FD_LIMIT}`, process.execPath, cli, 'serve', '--port', '0'], {
      env: { ...process.env, IPC_LAB_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /running at (http:\/\/\S+)/.exec(line);
      if (!match) continue;
      const url = new URL(match[1]!);
      port = Number(url.port);
      token = new URLSearchParams(url.hash.slice(1)).get('token')!;
      break;
    }
    assert.ok(port && token, 'ipc-lab serve printed its URL');
  });

  after(async () => {
    for (const socket of idle) socket.destroy();
    await Promise.all(tabs.map((tab) => tab.close()));
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  async function openTab(): Promise<TestSocket> {
    const tab = await connectOk(port, asTab(port, token));
    tabs.push(tab);
    tab.send({ ready: true });
    return tab;
  }

  test('idle connections beyond the cap are closed, and a tab can still connect and run a lab', async () => {
    const before = await openTab();

    const closedByHost: Promise<void>[] = [];
    await Promise.all(
      Array.from(
        { length: IDLE_CONNECTIONS },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = netConnect(port, '127.0.0.1', () => resolve());
            socket.once('error', reject);
            socket.on('error', () => {}); // a reset once the host closes it is expected
            closedByHost.push(new Promise((closed) => socket.once('close', () => closed())));
            idle.push(socket);
          }),
      ),
    );
    // Answered only once the host has accepted every connection queued before it (accept is in order).
    const page = await httpGet(port, '/').catch((error: Error) =>
      assert.fail(`after ${IDLE_CONNECTIONS} idle connections the host could not answer a request: ${error.message}`),
    );
    assert.equal(page.status, 200);

    const after = await openTab();
    const started = await after.call(1, 'runs.start', { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' });
    assert.equal(started.ok, true, JSON.stringify(started));
    const runId = started.response.run.runId as number;
    const ended = await after.next((m) => m.event === 'run:updated' && m.payload.run.runId === runId && TERMINAL.includes(m.payload.run.status));
    assert.notEqual(ended.payload.run.status, 'error', JSON.stringify(ended.payload.run));

    const listed = await before.call(2, 'labs.list', {});
    assert.equal(listed.ok, true, JSON.stringify(listed));

    // Not one idle connection stays: those beyond the cap at once, the rest after the unauthenticated grace.
    await Promise.all(closedByHost);
    assert.equal(before.ws.readyState, before.ws.OPEN);
  });
});
