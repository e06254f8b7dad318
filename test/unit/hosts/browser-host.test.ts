/**
 * The browser host against a real server on a free port and the real engine (temporary data folder).
 * The UI folder is a tiny fixture, with a secret file next to it that no request may reach.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEngine } from '../../../main/engine/engine.js';
import type { EngineHandle } from '../../../main/engine/engine-handle.js';
import { startBrowserHost, type BrowserHost } from '../../../main/hosts/browser/browser-host.js';
import { browserHostCsp } from '../../../main/hosts/content-security-policy.js';
import { webSocketProtocols } from '../../../main/contract/browser-access.js';
import { asTab, connect, connectOk, httpGet } from './browser-host-helpers.js';

const SECRET = 'not-for-the-browser-7f3a';

describe('browser host', { timeout: 20_000 }, () => {
  let tmp: string;
  let engine: EngineHandle;
  let host: BrowserHost;
  let origin: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ipc-lab-browser-host-'));
    const ui = join(tmp, 'ui');
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>IPC Lab fixture</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log("fixture");');
    writeFileSync(join(ui, 'assets', 'app.css'), 'body { margin: 0 }');
    writeFileSync(join(tmp, 'secret.txt'), SECRET);
    engine = await openEngine({ dataDir: join(tmp, 'data') });
    host = await startBrowserHost({ engine, port: 0, staticDir: ui, warn: () => {} });
    origin = `http://127.0.0.1:${host.port}`;
  });

  after(async () => {
    await host?.close();
    await engine?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('prints a loopback URL carrying a 32-character token in its fragment (never sent in a request)', () => {
    assert.equal(host.url, `http://127.0.0.1:${host.port}/#token=${host.token}`);
    assert.match(host.token, /^[A-Za-z0-9_-]{32}$/);
  });

  test('the older ?token= URL moves the token into the fragment, and sets no cookie', async () => {
    const answer = await httpGet(host.port, `/?token=${host.token}`);
    assert.equal(answer.status, 303);
    assert.equal(answer.headers['location'], `/#token=${host.token}`);
    assert.equal(answer.headers['set-cookie'], undefined);
  });

  test('a wrong token gets 403 and no cookie', async () => {
    // Change the last character to one it is not: a fixed 'x' would be the right token 1 time in 64.
    const lastChar = host.token.endsWith('x') ? 'y' : 'x';
    const answer = await httpGet(host.port, `/?token=${host.token.slice(0, -1)}${lastChar}`);
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['set-cookie'], undefined);
  });

  test('no request sets a cookie, and a cookie holding the token does not open the WebSocket', async () => {
    for (const path of ['/', '/assets/app.js', `/?token=${host.token}`]) {
      assert.equal((await httpGet(host.port, path)).headers['set-cookie'], undefined, path);
    }
    const withCookie = await connect(host.port, { Cookie: `ipc-lab-token-${host.port}=${host.token}`, Origin: origin });
    assert.equal(!withCookie.opened && withCookie.status, 403);
  });

  test('a request for a file with a foreign Host header gets 403 saying what to do', async () => {
    const answer = await httpGet(host.port, '/', { Host: `evil.example:${host.port}` });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /Open the URL that `npm start` printed, with its token/);
    assert.equal(answer.body.trim().split('\n').length, 1);
  });

  test('a foreign Host header gets 403, for files and for the WebSocket with the token (DNS rebinding)', async () => {
    const answer = await httpGet(host.port, '/', { Host: `evil.example:${host.port}` });
    assert.equal(answer.status, 403);
    assert.match(answer.body, /npm start/);
    const wrongPort = await httpGet(host.port, '/', { Host: `127.0.0.1:${host.port + 1}` });
    assert.equal(wrongPort.status, 403);
    const tab = asTab(host.port, host.token);
    const upgrade = await connect(host.port, { ...tab.headers, Host: `evil.example:${host.port}` }, tab.protocols);
    assert.equal(!upgrade.opened && upgrade.status, 403);
  });

  test('localhost:<port> is accepted as Host too', async () => {
    const answer = await httpGet(host.port, '/', { Host: `localhost:${host.port}` });
    assert.equal(answer.status, 200);
  });

  test('/ serves index.html with the security headers (the files hold no secret: no token needed)', async () => {
    const answer = await httpGet(host.port, '/');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(answer.body, /IPC Lab fixture/);
    assert.equal(answer.headers['content-security-policy'], browserHostCsp(host.port));
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['referrer-policy'], 'no-referrer');
  });

  test('assets get their content types', async () => {
    const js = await httpGet(host.port, '/assets/app.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    const css = await httpGet(host.port, '/assets/app.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  test('unknown paths get 404', async () => {
    const answer = await httpGet(host.port, '/no/such/file.js');
    assert.equal(answer.status, 404);
  });

  test('path traversal never reaches a file outside the UI folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
    ]) {
      const answer = await httpGet(host.port, path);
      assert.ok([403, 404].includes(answer.status), `${path} answered ${answer.status}`);
      assert.ok(!answer.body.includes(SECRET), `${path} leaked the secret`);
    }
    const encoded = await httpGet(host.port, '/..%2fsecret.txt');
    assert.equal(encoded.status, 403);
  });

  test('a non-GET request needs our Origin, and is then refused as a method', async () => {
    const foreign = await httpGet(host.port, '/', { Origin: 'http://evil.example' }, 'POST');
    assert.equal(foreign.status, 403);
    const ours = await httpGet(host.port, '/', { Origin: origin }, 'POST');
    assert.equal(ours.status, 405);
  });

  test('a WebSocket from another origin, without an origin, without the token or with a wrong one is refused', async () => {
    const protocols = webSocketProtocols(host.token);
    const foreign = await connect(host.port, { Origin: 'http://evil.example' }, protocols);
    assert.equal(foreign.opened, false);
    assert.equal(!foreign.opened && foreign.status, 403);
    const noOrigin = await connect(host.port, {}, protocols);
    assert.equal(!noOrigin.opened && noOrigin.status, 403);
    const noToken = await connect(host.port, { Origin: origin }, ['ipc-lab']);
    assert.equal(!noToken.opened && noToken.status, 403);
    assert.match(!noToken.opened ? noToken.body : '', /did not present IPC Lab's access token/);
    const lastChar = host.token.endsWith('x') ? 'y' : 'x';
    const wrongToken = await connect(host.port, { Origin: origin }, webSocketProtocols(`${host.token.slice(0, -1)}${lastChar}`));
    assert.equal(!wrongToken.opened && wrongToken.status, 403);
    const elsewhere = await connect(host.port, { Origin: origin }, protocols, '/not-ws');
    assert.equal(!elsewhere.opened && elsewhere.status, 404);
  });

  test('the host answers with its own subprotocol, never echoing the token', async () => {
    const socket = await connectOk(host.port, asTab(host.port, host.token));
    try {
      assert.equal(socket.ws.protocol, 'ipc-lab');
    } finally {
      await socket.close();
    }
  });

  test('labs.list goes to the real engine and back', async () => {
    const socket = await connectOk(host.port, asTab(host.port, host.token));
    try {
      const reply = await socket.call(1, 'labs.list', {});
      assert.equal(reply.id, 1);
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.ok(Array.isArray(reply.response.labs), 'Array.isArray(reply.response.labs)');
      assert.ok(Array.isArray(reply.response.problems), 'Array.isArray(reply.response.problems)');
    } finally {
      await socket.close();
    }
  });

  test('malformed messages get bad-request and the connection stays usable', async () => {
    const socket = await connectOk(host.port, asTab(host.port, host.token));
    try {
      socket.send('this is not json');
      const notJson = await socket.next((m) => m.ok === false && m.id === 0);
      assert.equal(notJson.error.code, 'bad-request');
      assert.ok(notJson.error.message && notJson.error.fix, 'notJson.error.message && notJson.error.fix');

      socket.send({ id: 7, command: 42 });
      const badCommand = await socket.next((m) => m.id === 7);
      assert.equal(badCommand.ok, false);
      assert.equal(badCommand.error.code, 'bad-request');

      socket.send({ id: 'eight', command: 'labs.list', request: {} });
      const badId = await socket.next((m) => m.id === 0 && /numeric "id"/.test(m.error?.message));
      assert.equal(badId.error.code, 'bad-request');

      socket.send({ id: 9, command: 'labs.list', request: { padding: 'x'.repeat(1024 * 1024) } });
      const tooBig = await socket.next((m) => m.id === 9);
      assert.equal(tooBig.error.code, 'bad-request');
      assert.match(tooBig.error.message, /limit/);

      const unknown = await socket.call(10, 'labs.destroy', {});
      assert.equal(unknown.ok, false);

      const reply = await socket.call(11, 'labs.list', {});
      assert.equal(reply.ok, true);
      assert.equal(socket.ws.readyState, socket.ws.OPEN);
    } finally {
      await socket.close();
    }
  });

  test('connection limits: tabs beyond the cap get 503, idle connections are closed, a tab is not', async () => {
    const limited = await startBrowserHost({ engine, staticDir: join(tmp, 'ui'), connectionLimits: { tabs: 1, unauthenticated: 2, graceMs: 300 } });
    try {
      const first = await connectOk(limited.port, asTab(limited.port, limited.token));
      const tab = asTab(limited.port, limited.token);
      const second = await connect(limited.port, tab.headers, tab.protocols);
      assert.equal(!second.opened && second.status, 503);
      assert.match(!second.opened ? second.body : '', /tabs connected/);

      // Three idle connections with room for two: the oldest goes at once, the others after the grace.
      const idle = [0, 1, 2].map(() => netConnect(limited.port, '127.0.0.1').on('error', () => {}));
      await Promise.all(idle.map((socket) => new Promise((resolve) => socket.once('close', resolve))));
      const reply = await first.call(1, 'labs.list', {});
      assert.equal(reply.ok, true);
      assert.equal(first.ws.readyState, first.ws.OPEN);
      await first.close();
    } finally {
      await limited.close();
    }
  });

  test('an oversized or deeply nested frame is refused before it is parsed', async () => {
    const socket = await connectOk(host.port, asTab(host.port, host.token));
    try {
      // Not JSON at all, and too big: the size is what it hears about (JSON.parse never ran on it).
      // Each answer is awaited as the next message, whatever its id, so a wrong answer fails at once.
      const nextAnswer = () => {
        const seen = socket.received.length;
        return socket.next((m) => socket.received.indexOf(m) >= seen);
      };
      let answer = nextAnswer();
      socket.send(`{"id": 21, "command": "labs.list", "request": ${'['.repeat(1024 * 1024)}`);
      const tooBig = await answer;
      assert.equal(tooBig.id, 21);
      assert.equal(tooBig.error.code, 'bad-request');
      assert.match(tooBig.error.message, /limit is 1048576 bytes/);

      // Small, but nested far deeper than any request: refused for its nesting, not handed to JSON.parse.
      answer = nextAnswer();
      socket.send(`{"id": 22, "command": "labs.list", "request": {"a": ${'['.repeat(200)}${']'.repeat(200)}}}`);
      const nested = await answer;
      assert.equal(nested.id, 22);
      assert.equal(nested.error.code, 'bad-request');
      assert.match(nested.error.message, /nested/);

      // Brackets inside strings are only text.
      const inString = await socket.call(23, 'labs.list', { note: '['.repeat(200) });
      assert.doesNotMatch(inString.error?.message ?? '', /nested/);
      assert.equal((await socket.call(24, 'labs.list', {})).ok, true);
    } finally {
      await socket.close();
    }
  });

  test('a missing UI folder answers 503 saying to build', async () => {
    const unbuilt = await startBrowserHost({ engine, staticDir: join(tmp, 'not-built') });
    try {
      const answer = await httpGet(unbuilt.port, '/');
      assert.equal(answer.status, 503);
      assert.equal(answer.body.trim(), 'The UI is not built: run npm run build');
    } finally {
      await unbuilt.close();
    }
  });

  test('close() closes open sockets and stops listening, and leaves the engine open', async () => {
    const second = await startBrowserHost({ engine, staticDir: join(tmp, 'ui') });
    const socket = await connectOk(second.port, asTab(second.port, second.token));
    await second.close();
    const closed = await socket.closed;
    assert.equal(closed.code, 1001);
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const probe = netConnect(second.port, '127.0.0.1', () => {
          probe.destroy();
          resolve();
        });
        probe.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
    const stillThere = await engine.handle('labs.list', {});
    assert.equal(stillThere.ok, true);
  });
});
