/**
 * The launcher: finding Electron's binary without downloading it, reading the port, and browser mode
 * end to end (a real launcher process, a real engine on a temporary $IPC_LAB_HOME).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORT, findElectronBinary, requestedPort, serveBrowserMode } from '../../../main/hosts/launcher.js';
import { asTab, connectOk } from './browser-host-helpers.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ipc-lab-launcher-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function fakeElectronPackage(name: string, files: { pathTxt?: string; binary?: string; executable?: boolean }): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  if (files.pathTxt !== undefined) writeFileSync(join(dir, 'path.txt'), files.pathTxt);
  if (files.binary !== undefined) {
    const binary = join(dir, 'dist', files.binary);
    writeFileSync(binary, '#!/bin/sh\n');
    chmodSync(binary, files.executable === false ? 0o644 : 0o755);
  }
  return dir;
}

describe('findElectronBinary', () => {
  test('no path.txt: never downloaded', () => {
    const lookup = findElectronBinary({ packageDir: fakeElectronPackage('none', {}), env: {} });
    assert.equal(lookup.found, false);
    assert.match(!lookup.found ? lookup.reason : '', /path\.txt/);
  });

  test('path.txt naming a missing binary: not installed', () => {
    const lookup = findElectronBinary({ packageDir: fakeElectronPackage('missing', { pathTxt: 'electron' }), env: {} });
    assert.equal(lookup.found, false);
  });

  test('a binary that is not executable does not count', () => {
    const lookup = findElectronBinary({ packageDir: fakeElectronPackage('noexec', { pathTxt: 'electron', binary: 'electron', executable: false }), env: {} });
    assert.equal(lookup.found, false);
  });

  test('path.txt naming an executable binary: found, inside dist/', () => {
    const dir = fakeElectronPackage('present', { pathTxt: 'electron', binary: 'electron' });
    assert.deepEqual(findElectronBinary({ packageDir: dir, env: {} }), { found: true, binary: join(dir, 'dist', 'electron') });
  });

  test('ELECTRON_OVERRIDE_DIST_PATH is honoured, as index.js does', () => {
    const other = fakeElectronPackage('override', { binary: 'electron' });
    const lookup = findElectronBinary({ packageDir: fakeElectronPackage('empty', {}), env: { ELECTRON_OVERRIDE_DIST_PATH: join(other, 'dist') } });
    assert.deepEqual(lookup, { found: true, binary: join(other, 'dist', 'electron') });
  });

  test('the real node_modules/electron here answers at once, without downloading', () => {
    const started = process.hrtime.bigint();
    const lookup = findElectronBinary({ env: {} });
    assert.ok(process.hrtime.bigint() - started < 1_000_000_000n, 'process.hrtime.bigint() - started < 1_000_000_000n');
    assert.equal(typeof lookup.found, 'boolean');
  });
});

describe('requestedPort', () => {
  test('reads --port N, --port=N, then IPC_LAB_PORT', () => {
    assert.equal(requestedPort(['--port', '4781'], {}), 4781);
    assert.equal(requestedPort(['--port=0'], {}), 0);
    assert.equal(requestedPort([], { IPC_LAB_PORT: '5000' }), 5000);
    assert.equal(requestedPort(['--port', '5001'], { IPC_LAB_PORT: '5000' }), 5001);
    assert.equal(requestedPort([], {}), undefined);
  });

  test('refuses what is not a port, saying what to give', () => {
    for (const bad of ['abc', '-1', '65536', '1.5', '']) {
      assert.throws(() => requestedPort(['--port', bad], {}), /0 to 65535/);
    }
    assert.throws(() => requestedPort(['--port'], {}), /0 to 65535/);
  });
});

function occupy(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined)); // already taken by someone else: just as good
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('serveBrowserMode', { timeout: 20_000 }, () => {
  test('falls back to a free port when the default one is taken, and says so', async () => {
    const blocker = await occupy(DEFAULT_PORT);
    const lines: string[] = [];
    try {
      const running = await serveBrowserMode({ dataDir: join(tmp, 'data-fallback'), handleSignals: false, print: (line) => lines.push(line) });
      try {
        assert.notEqual(running.port, DEFAULT_PORT);
        assert.match(lines.join('\n'), new RegExp(`Port ${DEFAULT_PORT} is taken`));
        assert.match(lines.at(-1) ?? '', new RegExp(`^IPC Lab is running at http://127\\.0\\.0\\.1:${running.port}/#token=`));
      } finally {
        await running.close();
      }
    } finally {
      blocker?.close();
    }
  });

  test('an explicit port that is taken is an error, not a silent move', async () => {
    const blocker = await occupy(0);
    assert.ok(blocker, 'blocker');
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : -1;
    try {
      await assert.rejects(
        serveBrowserMode({ port, dataDir: join(tmp, 'data-taken'), handleSignals: false, print: () => {} }),
        new RegExp(`port ${port} is taken`),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('launcher process', { timeout: 30_000 }, () => {
  test('without an Electron binary it serves browser mode, and exits 0 on SIGTERM', async (t) => {
    const lookup = findElectronBinary();
    if (lookup.found) {
      t.skip('Electron is installed on this machine; the launcher would open a window');
      return;
    }
    const launcher = fileURLToPath(new URL('../../../main/hosts/launcher.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', launcher], {
      env: { ...process.env, IPC_LAB_HOME: join(tmp, 'home'), IPC_LAB_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const url = await new Promise<string>((resolve, reject) => {
        const reader = createInterface({ input: child.stdout! });
        reader.on('line', (line) => {
          lines.push(line);
          const match = /^IPC Lab is running at (http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)$/.exec(line);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`launcher exited with ${code} before printing its URL:\n${lines.join('\n')}`)));
      });
      assert.match(lines[0] ?? '', /Electron's binary is not installed here \(no download possible\); serving IPC Lab in browser mode instead\./);
      const parsed = new URL(url);
      // The printed URL works as the page uses it: its fragment's token opens the WebSocket.
      const token = new URLSearchParams(parsed.hash.slice(1)).get('token')!;
      const socket = await connectOk(Number(parsed.port), asTab(Number(parsed.port), token));
      assert.equal((await socket.call(1, 'labs.list', {})).ok, true);
      await socket.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
