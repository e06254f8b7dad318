/**
 * What the browser keeps after signing in to IPC Lab must not let anything else in. Browsers send the
 * cookies of 127.0.0.1 to every port of it, so a page of any other local program would receive a
 * cookie credential. Here a real second HTTP server on another port records what Chromium sends it
 * after the student opened IPC Lab; a plain Node WebSocket client then tries to drive IPC Lab with
 * exactly that (and a forged Origin, which a non-browser client can send at will).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { expect, test, labCard } from './app-fixture.js';

interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
}

/** A page on another port that also asks its own server for an image and a credentialed fetch. */
async function startOtherProgram(recorded: Recorded[]): Promise<Server> {
  const server = createServer((req, res) => {
    recorded.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Another local program</title><img src="/pixel.png"><p id="done">other program</p>');
      return;
    }
    res.writeHead(204);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

type Attempt = { opened: false; status: number } | { opened: true; reply: { ok: boolean } | 'closed' };

/** A non-browser client: connects to IPC Lab's /ws with the given headers, then calls labs.list. */
function tryToDrive(appPort: number, headers: Record<string, string>): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${appPort}/ws`, { headers, perMessageDeflate: false });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ opened: false, status: res.statusCode ?? 0 });
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify({ ready: true }));
      ws.send(JSON.stringify({ id: 1, command: 'labs.list', request: {} }));
    });
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; ok: boolean };
      if (message.id !== 1) return;
      resolve({ opened: true, reply: message });
      ws.close();
    });
    ws.once('close', () => resolve({ opened: true, reply: 'closed' }));
  });
}

test('what the browser sends another local port cannot drive IPC Lab', async ({ page, app }) => {
  const recorded: Recorded[] = [];
  const other = await startOtherProgram(recorded);
  try {
    await page.goto(app.url);
    await expect(page.getByTestId('lab-card').first()).toBeVisible();

    const otherPort = (other.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${otherPort}/`);
    await expect(page.locator('#done')).toBeVisible();
    await page.evaluate(() => fetch('/fetched', { credentials: 'include' }).then((r) => r.status));
    // Chromium may also ask for /favicon.ico: wait for the three we caused, whatever else comes.
    await expect.poll(() => recorded.map((r) => r.url)).toEqual(expect.arrayContaining(['/', '/fetched', '/pixel.png']));

    const appPort = Number(new URL(app.origin).port);
    for (const { url, headers } of recorded) {
      const stolen: Record<string, string> = { Origin: app.origin };
      for (const [name, value] of Object.entries(headers)) {
        if (value === undefined || ['host', 'connection', 'upgrade', 'origin'].includes(name) || name.startsWith('sec-websocket')) continue;
        stolen[name] = Array.isArray(value) ? value.join('; ') : value;
      }
      const attempt = await tryToDrive(appPort, stolen);
      const drove = attempt.opened && attempt.reply !== 'closed' && attempt.reply.ok;
      expect(drove, `with what ${url} received (${JSON.stringify(stolen)}), a Node client drove IPC Lab`).toBe(false);
    }
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('the token leaves the address bar, and a reload keeps the tab signed in', async ({ page, app }) => {
  await page.goto(app.url);
  await expect(page.getByTestId('lab-card').first()).toBeVisible();
  const token = new URL(app.url.replace('#', '?')).searchParams.get('token')!;
  expect(token.length).toBeGreaterThan(20);
  expect(page.url()).not.toContain(token);

  await labCard(page, 'ordinary-pipes').click();
  await expect(page.getByTestId('step-body')).toBeVisible();
  const labPage = page.url();
  await page.reload();
  await expect(page.getByTestId('step-body')).toBeVisible();
  expect(page.url()).toBe(labPage);
  await expect(page.getByText(/Lost connection|could not reach IPC Lab/i)).toHaveCount(0);
});
