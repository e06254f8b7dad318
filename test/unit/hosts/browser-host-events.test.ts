/**
 * Event delivery in the browser host: queued per tab until it says ready, then in order; slow tabs are
 * dropped rather than buffered without bound.
 *
 * These tests use a scripted EngineHandle (events emitted exactly when the test says) instead of the
 * real engine, whose events come from lab processes at times a test cannot control. Everything else is
 * real: the HTTP server, the WebSocket upgrade, the sockets.
 *
 * "Not delivered yet" is shown without sleeping: a request sent after the events is answered after them
 * on the same socket, so if the events had been sent they would have arrived before that answer.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WireEvent } from '../../../main/contract/commands.js';
import type { CommandOutcome, EngineHandle } from '../../../main/engine/engine-handle.js';
import { CLOSE_TOO_SLOW, startBrowserHost, type BrowserHost } from '../../../main/hosts/browser/browser-host.js';
import { asTab, connectOk, type TestSocket } from './browser-host-helpers.js';

class ScriptedEngine implements EngineHandle {
  readonly listeners = new Set<(event: WireEvent) => void>();
  async handle(command: string, request: unknown): Promise<CommandOutcome> {
    // Breaks the engine's promise never to throw: the host must still answer, without a stack.
    if (command === 'test.throw') throw new TypeError("Cannot read properties of undefined (reading 'pid')");
    return { ok: true, response: { command, request } };
  }
  onEvent(listener: (event: WireEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(runId: number, payload: Record<string, unknown> = {}): void {
    for (const listener of this.listeners) listener({ event: 'run:updated', payload: { runId, ...payload } });
  }
  async close(): Promise<void> {}
}

describe('browser host events', { timeout: 20_000 }, () => {
  let tmp: string;
  const engine = new ScriptedEngine();
  let host: BrowserHost;
  let access: ReturnType<typeof asTab>;
  const open: TestSocket[] = [];
  let warnings: string[] = [];
  let onWarning: (() => void) | undefined;

  async function tab(): Promise<TestSocket> {
    const socket = await connectOk(host.port, access);
    open.push(socket);
    return socket;
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'ipc-lab-browser-events-'));
    mkdirSync(join(tmp, 'ui'));
    writeFileSync(join(tmp, 'ui', 'index.html'), '<!doctype html>');
    host = await startBrowserHost({
      engine,
      staticDir: join(tmp, 'ui'),
      slowClientBytes: 64 * 1024,
      warn: (line) => {
        warnings.push(line);
        onWarning?.();
      },
    });
    access = asTab(host.port, host.token);
  });

  after(async () => {
    await Promise.all(open.map((socket) => socket.close()));
    await host.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the host subscribes to the engine once, however many tabs connect', async () => {
    await tab();
    await tab();
    assert.equal(engine.listeners.size, 1);
  });

  test('events wait until the tab is ready, then arrive in order, then flow directly', async () => {
    const socket = await tab();
    engine.emit(1);
    engine.emit(2);
    engine.emit(3);
    await socket.call(100, 'labs.list', {});
    assert.deepEqual(socket.events(), [], 'events were sent before {ready:true}');

    socket.send({ ready: true });
    await socket.next((m) => m.payload?.runId === 3);
    engine.emit(4);
    await socket.next((m) => m.payload?.runId === 4);
    assert.deepEqual(
      socket.events().map((e) => e.payload.runId),
      [1, 2, 3, 4],
    );
    assert.ok(
      socket.events().every((e) => e.event === 'run:updated'),
      "socket.events().every((e) => e.event === 'run:updated')",
    );
  });

  test('each tab has its own queue: a ready tab is not held back by one that is not', async () => {
    const ready = await tab();
    const waiting = await tab();
    ready.send({ ready: true });
    await ready.call(1, 'labs.list', {}); // the ready flag is set before this answer comes back
    engine.emit(10);
    await ready.next((m) => m.payload?.runId === 10);
    await waiting.call(2, 'labs.list', {});
    assert.deepEqual(waiting.events(), []);
    waiting.send({ ready: true });
    const flushed = await waiting.next((m) => m.payload?.runId === 10);
    assert.equal(flushed.event, 'run:updated');
  });

  test('an engine that throws still answers, as an internal error without a stack trace', async () => {
    const socket = await tab();
    const reply = await socket.call(50, 'test.throw', {});
    assert.equal(reply.ok, false);
    assert.equal(reply.error.code, 'internal');
    assert.match(reply.error.message, /Cannot read properties of undefined/);
    assert.doesNotMatch(JSON.stringify(reply), /\n\s+at |browser-host-events\.test\.ts/);
  });

  test('a tab that never says ready is dropped once its queue passes the limit', async () => {
    const socket = await tab();
    const padding = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 20; i++) engine.emit(1000 + i, { padding }); // 160 KiB > 64 KiB
    const closed = await socket.closed;
    assert.equal(closed.code, CLOSE_TOO_SLOW);
    assert.match(closed.reason, /reload/);
    assert.deepEqual(socket.events(), []);
  });

  test('a ready tab that stops reading is dropped instead of buffering without bound', async () => {
    const socket = await tab();
    socket.send({ ready: true });
    await socket.call(3, 'labs.list', {});
    warnings = [];
    const dropped = new Promise<void>((resolve) => (onWarning = resolve));
    // Stop reading: the kernel buffers fill, then the host's send buffer grows past the limit.
    (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const padding = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 400 && warnings.length === 0; i++) {
      engine.emit(2000 + i, { padding }); // at most 25 MiB, far past any loopback socket buffer
      if (i % 16 === 15) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await dropped;
    onWarning = undefined;
    assert.match(warnings[0] ?? '', /could not keep up/);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await socket.closed;
    assert.ok([CLOSE_TOO_SLOW, 1006].includes(closed.code), `closed with ${closed.code}`);
  });

  test('a tab that does not read its replies is closed with a reason, not buffered without bound', async () => {
    const socket = await tab();
    socket.send({ ready: true });
    await socket.call(4, 'labs.list', {});
    warnings = [];
    const dropped = new Promise<void>((resolve) => (onWarning = resolve));
    (socket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // The scripted engine echoes each request: 64 KiB asked, 64 KiB answered, like runs.get of a big run.
    const padding = 'z'.repeat(64 * 1024);
    for (let i = 0; i < 400 && warnings.length === 0; i++) {
      socket.send({ id: 3000 + i, command: 'runs.get', request: { padding } }); // at most 25 MiB of answers
      if (i % 16 === 15) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await dropped;
    onWarning = undefined;
    assert.match(warnings[0] ?? '', /does not read its answers/);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await socket.closed;
    assert.ok([CLOSE_TOO_SLOW, 1006].includes(closed.code), `closed with ${closed.code}`);
    assert.ok(socket.received.length < 400, `${socket.received.length} answers arrived: the host kept sending`);
  });
});
