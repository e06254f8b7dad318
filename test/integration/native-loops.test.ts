/**
 * The native measure loops (main/runtime/native-loops.ts, main/native/measure-loops.c) between two
 * real processes on real kernel objects: a pipe, a FIFO, a Unix and a TCP stream socket, a pair of
 * POSIX message queues and the shared-memory ring buffer. Each side reports what its loop moved, and
 * the kernel's own count agrees: /proc/<pid>/io rchar/wchar grew by those bytes where read(2)/write(2)
 * carried them, and by almost nothing where mq_timedsend/receive or memcpy into a mapping did. A C
 * ring loop and a TypeScript RingBuffer interoperate on one segment, in both directions.
 *
 * The peer program (test/fixtures/native/loop-peer.ts) runs compiled, from dist/: run
 * `npx tsc -p tsconfig.json` first. Every queue, segment, FIFO and socket file is removed at the end.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { native } from '../../main/native/index.js';
import { findProjectRoot } from '../../main/project-root.js';
import { RingBuffer } from '../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../main/runtime/shared-memory/shared-segment.js';
import { assertBuiltFresh } from '../support/fixture-process.js';

const root = findProjectRoot();
const peerPath = join(root, 'dist', 'test', 'fixtures', 'native', 'loop-peer.js');
const prefix = `/ipc-lab-test-${process.pid}-loops-`;
const scratch = mkdtempSync(join(tmpdir(), 'ipc-lab-loops-'));
const children = new Set<ChildProcess>();
const queues: string[] = [];
const segments: SharedSegment[] = [];
let counter = 0;

/** Well below the 64 KiB a pipe holds, many times over: the two sides really take turns. */
const TOTAL = 8 << 20;
const CHUNK = 64 << 10;
/** /proc/self/io is read by the peer itself around its loop: a few hundred bytes of its own. */
const IO_SLACK = 4096;

interface PeerReport {
  startNs: string;
  endNs: string;
  bytes: number;
  calls: number;
  roundTripNs?: { p50: number; p90: number; p99: number };
  rchar: number;
  wchar: number;
}

/** Starts loop-peer with descriptors 3, 4... from `fds`; resolves with its report once it exits 0. */
function peer(role: string, object: string, count: number, bytes: number, fds: number[] = []): Promise<PeerReport> {
  const child = spawn(process.execPath, [peerPath, role, object, String(count), String(bytes)], { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      if (code !== 0) reject(new Error(`loop-peer ${role} ${object} exited with ${code ?? signal}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as PeerReport);
    }),
  );
}

function assertInterval(report: PeerReport): void {
  assert.ok(BigInt(report.endNs) > BigInt(report.startNs), `the loop's interval is empty: ${report.startNs}..${report.endNs}`);
}

/** read()/write() carried the bytes: the kernel's rchar or wchar grew by them (and not much more). */
function assertCountedByKernel(report: PeerReport, field: 'rchar' | 'wchar', bytes: number): void {
  assert.ok(report[field] >= bytes && report[field] <= bytes + IO_SLACK, `${field} grew by ${report[field]}, the loop moved ${bytes}`);
}

/** No read()/write() carried the bytes (queue calls, memcpy into a mapping): rchar and wchar barely moved. */
function assertNotThroughReadWrite(report: PeerReport): void {
  assert.ok(report.rchar <= IO_SLACK && report.wchar <= IO_SLACK, `rchar +${report.rchar}, wchar +${report.wchar} for bytes that no read/write carried`);
}

/** A connected pair of stream sockets (TCP on the loopback, or Unix at a path), both ends in this process. */
async function socketPair(transport: 'tcp' | 'unix'): Promise<{ a: Socket; b: Socket; close: () => void }> {
  const server = createServer({ pauseOnConnect: true }); // Node must not read ahead of the loops
  const path = join(scratch, `s${++counter}.sock`);
  await new Promise<void>((resolve) => (transport === 'tcp' ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const address = server.address();
  const a = transport === 'tcp' && typeof address === 'object' && address ? connect(address.port, '127.0.0.1') : connect(path);
  a.pause();
  await new Promise<void>((resolve) => a.once('connect', resolve));
  const b = await accepted;
  server.close();
  return {
    a,
    b,
    close: () => {
      a.destroy();
      b.destroy();
    },
  };
}

/** The descriptor a child gets (dup'ed by spawn); the loops' own Socket handling is what fdOf in native-loops.ts adds. */
const fdOf = (socket: Socket): number => (socket as unknown as { _handle: { fd: number } })._handle.fd;

function freshRingSegment(rings: number, slots: number, slotBytes: number): { segment: SharedSegment; second: number } {
  const second = Math.ceil(RingBuffer.bytesFor(slots, slotBytes) / 8) * 8;
  const segment = SharedSegment.create(`${prefix}${++counter}`, second * rings);
  segments.push(segment);
  RingBuffer.create(segment, { slots, slotBytes });
  if (rings > 1) RingBuffer.create(segment, { slots, slotBytes, offset: second });
  return { segment, second };
}

function freshQueue(messageBytes: number): string {
  const name = `${prefix}${++counter}`;
  native().mqClose(native().mqOpen(name, { create: true, exclusive: true, maxMessages: 10, messageBytes }));
  queues.push(name);
  return name;
}

before(() => {
  assertBuiltFresh([
    [join(root, 'test/fixtures/native/loop-peer.ts'), peerPath],
    [join(root, 'main/runtime/native-loops.ts'), join(root, 'dist/main/runtime/native-loops.js')],
  ]);
});

after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const name of queues) native().mqUnlink(name);
  for (const segment of segments) {
    segment.unlink();
    segment.detach();
  }
  rmSync(scratch, { recursive: true, force: true });
  for (const name of queues) assert.throws(() => native().mqOpen(name, { create: false }), { code: 'ENOENT' }, `queue ${name} is left`);
  for (const segment of segments) assert.ok(!existsSync(segment.path), `${segment.path} is left`);
});

describe('native measure loops between two processes', () => {
  it('pipe: writeLoop and readLoop move every byte through write(2)/read(2), as wchar and rchar say', async () => {
    const { readFd, writeFd } = native().pipe();
    const reader = peer('read', 'fd:3', TOTAL, CHUNK, [readFd]);
    const writer = peer('write', 'fd:3', TOTAL, CHUNK, [writeFd]);
    closeSync(readFd);
    closeSync(writeFd);
    const [r, w] = await Promise.all([reader, writer]);
    assert.equal(w.bytes, TOTAL);
    assert.equal(r.bytes, TOTAL);
    assert.ok(w.calls >= TOTAL / CHUNK, `${w.calls} writes for ${TOTAL / CHUNK} chunks`);
    assertCountedByKernel(w, 'wchar', TOTAL);
    assertCountedByKernel(r, 'rchar', TOTAL);
    assertInterval(r);
    assertInterval(w);
  });

  it('pipe: readLoop stops at end of file and says how much came', async () => {
    const { readFd, writeFd } = native().pipe();
    const reader = peer('read', 'fd:3', TOTAL, CHUNK, [readFd]);
    const writer = peer('write', 'fd:3', TOTAL / 2, CHUNK, [writeFd]);
    closeSync(readFd);
    closeSync(writeFd);
    const [r, w] = await Promise.all([reader, writer]);
    assert.equal(w.bytes, TOTAL / 2);
    assert.equal(r.bytes, TOTAL / 2, 'the reader ended at end of file with what was written');
  });

  it('pipes: pingLoop and pongLoop make every round trip, timed in percentiles', async () => {
    const there = native().pipe();
    const back = native().pipe();
    const trips = 2000;
    const pong = peer('pong', 'fd:3,4', trips, 64, [there.readFd, back.writeFd]);
    const ping = peer('ping', 'fd:3,4', trips, 64, [there.writeFd, back.readFd]);
    for (const fd of [there.readFd, there.writeFd, back.readFd, back.writeFd]) closeSync(fd);
    const [p, q] = await Promise.all([ping, pong]);
    assert.equal(p.bytes, trips * 128);
    assert.equal(q.bytes, trips * 128);
    assertCountedByKernel(p, 'wchar', trips * 64);
    assertCountedByKernel(p, 'rchar', trips * 64);
    const rtt = p.roundTripNs!;
    assert.ok(rtt.p50 > 0 && rtt.p50 <= rtt.p90 && rtt.p90 <= rtt.p99, JSON.stringify(rtt));
    assert.equal(q.roundTripNs, undefined, 'pong does not time round trips');
    // Every round trip lies inside the loop: their median times their count fits the interval.
    assert.ok(rtt.p50 * trips * 0.5 <= Number(BigInt(p.endNs) - BigInt(p.startNs)), `p50 ${rtt.p50} ns x ${trips} trips does not fit the loop's interval`);
  });

  it('FIFO: writeLoop and readLoop on a named pipe each process opens by path', async () => {
    const path = join(scratch, `fifo${++counter}`);
    native().mkfifo(path, 0o600);
    const [r, w] = await Promise.all([peer('read', `fifo:${path}`, TOTAL, CHUNK), peer('write', `fifo:${path}`, TOTAL, CHUNK)]);
    assert.equal(r.bytes, TOTAL);
    assertCountedByKernel(w, 'wchar', TOTAL);
    assertCountedByKernel(r, 'rchar', TOTAL);
  });

  for (const transport of ['unix', 'tcp'] as const) {
    it(`${transport} socket: bulk and round trips over non-blocking descriptors (EAGAIN, then poll)`, async () => {
      const pair = await socketPair(transport);
      try {
        const [r, w] = await Promise.all([peer('read', 'fd:3', TOTAL, CHUNK, [fdOf(pair.b)]), peer('write', 'fd:3', TOTAL, CHUNK, [fdOf(pair.a)])]);
        assert.equal(r.bytes, TOTAL);
        assertCountedByKernel(w, 'wchar', TOTAL);
        assertCountedByKernel(r, 'rchar', TOTAL);
        const [p, q] = await Promise.all([peer('ping', 'fd:3', 1000, 64, [fdOf(pair.a)]), peer('pong', 'fd:3', 1000, 64, [fdOf(pair.b)])]);
        assert.equal(p.bytes, 128_000);
        assert.equal(q.bytes, 128_000);
        assert.ok(p.roundTripNs!.p50 > 0, `round trips: ${JSON.stringify(p.roundTripNs)}`);
      } finally {
        pair.close();
      }
    });
  }

  it('POSIX message queues: mqSendLoop / mqReceiveLoop and ping-pong through Mailbox descriptors, no read/write', async () => {
    const bulk = freshQueue(4096);
    const total = 2 << 20;
    const [r, w] = await Promise.all([peer('read', `mq:${bulk}`, total, 4096), peer('write', `mq:${bulk}`, total, 4096)]);
    assert.equal(w.bytes, total);
    assert.equal(r.bytes, total);
    assert.equal(w.calls, total / 4096, 'one mq_send per message');
    assert.equal(r.calls, total / 4096, 'the queue kept message boundaries: one receive per message');
    assertNotThroughReadWrite(w);
    assertNotThroughReadWrite(r);

    const there = freshQueue(64);
    const back = freshQueue(64);
    const [p, q] = await Promise.all([peer('ping', `mq:${there},${back}`, 1000, 64), peer('pong', `mq:${there},${back}`, 1000, 64)]);
    assert.equal(p.bytes, 128_000);
    assert.equal(q.bytes, 128_000);
    assert.ok(p.roundTripNs!.p50 > 0, `round trips: ${JSON.stringify(p.roundTripNs)}`);
  });

  it('shared-memory ring: native producer and consumer move every byte by memcpy, not read/write', async () => {
    const { segment, second } = freshRingSegment(2, 16, CHUNK);
    const [r, w] = await Promise.all([peer('read', `ring:${segment.name}`, TOTAL, CHUNK), peer('write', `ring:${segment.name}`, TOTAL, CHUNK)]);
    assert.equal(w.bytes, TOTAL);
    assert.equal(r.bytes, TOTAL);
    assert.equal(r.calls, TOTAL / CHUNK, 'one get per item');
    assertNotThroughReadWrite(w);
    assertNotThroughReadWrite(r);
    const ring = RingBuffer.attach(segment);
    assert.equal(ring.used, 0, 'the ring is empty again');

    const [p, q] = await Promise.all([peer('ping', `ring:${segment.name},${second}`, 2000, 64), peer('pong', `ring:${segment.name},${second}`, 2000, 64)]);
    assert.equal(p.bytes, 256_000);
    assert.equal(q.bytes, 256_000);
    assert.ok(p.roundTripNs!.p50 > 0, `round trips: ${JSON.stringify(p.roundTripNs)}`);
  });

  it('shared-memory ring: a C loop and a TypeScript RingBuffer share one segment, both ways', async () => {
    const { segment } = freshRingSegment(1, 8, 4096);
    const total = 1 << 20;
    const [r1, w1] = await Promise.all([peer('ts-consume', `ring:${segment.name}`, total, 4096), peer('write', `ring:${segment.name}`, total, 4096)]);
    assert.equal(w1.bytes, total);
    assert.equal(r1.bytes, total, 'the TypeScript consumer got every byte the C producer put');
    const [r2, w2] = await Promise.all([peer('read', `ring:${segment.name}`, total, 4096), peer('ts-produce', `ring:${segment.name}`, total, 4096)]);
    assert.equal(w2.bytes, total);
    assert.equal(r2.bytes, total, 'the C consumer got every byte the TypeScript producer put');
    assert.equal(RingBuffer.attach(segment).used, 0);
  });

  it('bad arguments and bad objects get clear errors naming the call', () => {
    assert.throws(
      () => native().writeLoop(-1, 10, 10),
      (e: NodeJS.ErrnoException) => e.code === 'EBADF' && /write/.test(e.message),
    );
    assert.throws(() => native().writeLoop(1, 10, 0), /chunkBytes must be an integer from 1/);
    const { segment } = freshRingSegment(1, 4, 64);
    const handle = (segment as unknown as { handle: number }).handle;
    assert.throws(
      () => native().ringProduceLoop(handle, 0, 1000, 65),
      (e: NodeJS.ErrnoException) => e.code === 'EMSGSIZE' && /does not fit a slot of 64/.test(e.message),
    );
    const empty = SharedSegment.create(`${prefix}${++counter}`, 4096);
    segments.push(empty);
    assert.throws(() => native().ringConsumeLoop((empty as unknown as { handle: number }).handle, 0, 10, 10), /no ring buffer at this offset/);
  });

  it('every peer exited', () => {
    assert.equal(children.size, 0);
  });
});
