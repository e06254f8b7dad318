/**
 * The shared-memory teaching layer on real processes and real POSIX segments: data crosses between
 * processes with no message, the ring buffer moves every item exactly once (one or several producers
 * and consumers, either side faster), unsynchronised increments lose updates while atomic add and the
 * mutex lose none, and a waiter learns that the mutex holder was SIGKILLed.
 *
 * The fixture programs (test/fixtures/shm/) run compiled, from dist/: run `npx tsc -p tsconfig.json`
 * first (`npm test` does). Every segment is created and unlinked here; the last test checks /dev/shm.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findProjectRoot } from '../../main/project-root.js';
import { CountingSemaphore } from '../../main/runtime/shared-memory/counting-semaphore.js';
import { Mutex, MutexNotRecoverableError, MutexOwnerDiedError } from '../../main/runtime/shared-memory/mutex.js';
import { RingBuffer, RingBufferOverflowError, RingBufferTimeoutError } from '../../main/runtime/shared-memory/ring-buffer.js';
import { SharedSegment } from '../../main/runtime/shared-memory/shared-segment.js';
import type { SyncTracer } from '../../main/runtime/shared-memory/sync-tracer.js';
import { assertBuiltFresh, FixtureRunner, result, type Fixture } from '../support/fixture-process.js';

const root = findProjectRoot();
const fixtureDir = join(root, 'dist', 'test', 'fixtures', 'shm');
const prefix = `ipc-lab-test-${process.pid}-`;
let counter = 0;
const segments: SharedSegment[] = [];
const fixtures = new FixtureRunner(fixtureDir);
const runFixture = (program: string, args: (string | number)[]): Fixture => fixtures.run(program, args);

/** A fresh segment, unlinked and detached at the end of the file whatever happens. */
function freshSegment(size: number): SharedSegment {
  const segment = SharedSegment.create(`/${prefix}${++counter}`, size);
  segments.push(segment);
  return segment;
}

before(() => {
  // The fixtures run from dist/: refuse a missing or stale build rather than test old code.
  const pairs = ['exchange-peer', 'ring-producer', 'ring-consumer', 'race-worker', 'mutex-holder', 'mutex-waiter', 'fixture-support']
    .map((f) => [join(root, 'test/fixtures/shm', `${f}.ts`), join(fixtureDir, `${f}.js`)] as const)
    .concat(
      ['shared-segment', 'mutex', 'counting-semaphore', 'ring-buffer'].map(
        (f) => [join(root, 'main/runtime/shared-memory', `${f}.ts`), join(root, 'dist/main/runtime/shared-memory', `${f}.js`)] as const,
      ),
    );
  assertBuiltFresh(pairs);
});

after(() => {
  fixtures.killAll();
  for (const segment of segments) {
    try {
      segment.unlink();
    } catch {
      /* already unlinked by its test */
    }
  }
});

interface RingCounts {
  waits: Record<string, number>;
  maxLevel: number;
}
interface ConsumerResult extends RingCounts {
  got: Record<string, number[]>;
  corrupt: number;
}

/** Runs producers and consumers over one ring; ends each consumer with an empty item once the producers are done. */
async function runRing(options: {
  slots: number;
  slotBytes: number;
  items: number;
  producers: { pauseEvery: number; pauseMs: number }[];
  consumers: { pauseEvery: number; pauseMs: number; getInto?: boolean }[];
}): Promise<{ producers: (RingCounts & { put: number })[]; consumers: ConsumerResult[] }> {
  const segment = freshSegment(RingBuffer.bytesFor(options.slots, options.slotBytes));
  const ring = RingBuffer.create(segment, { slots: options.slots, slotBytes: options.slotBytes });
  const consumers = options.consumers.map((c) => runFixture('ring-consumer', [segment.name, c.pauseEvery, c.pauseMs, c.getInto ? 'getInto' : 'get']));
  const producers = options.producers.map((p, id) => runFixture('ring-producer', [segment.name, id, options.items, p.pauseEvery, p.pauseMs]));
  const produced = await Promise.all(producers.map((p) => result<RingCounts & { put: number }>(p)));
  for (const _ of consumers) ring.put(new Uint8Array(0), 10_000);
  const consumed = await Promise.all(consumers.map((c) => result<ConsumerResult>(c)));
  assert.equal(ring.used, 0, 'the buffer ends empty');
  segment.unlink();
  segment.detach();
  return { producers: produced, consumers: consumed };
}

/** Every producer's items 0..items-1 arrived exactly once, in order within each consumer. */
function assertExactlyOnce(consumers: ConsumerResult[], producerCount: number, items: number): void {
  for (const c of consumers) assert.equal(c.corrupt, 0, 'no item was torn or overwritten');
  for (let p = 0; p < producerCount; p++) {
    const all: number[] = [];
    for (const c of consumers) {
      const seqs = c.got[p] ?? [];
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `consumer got producer ${p}'s items out of order`);
      all.push(...seqs);
    }
    all.sort((a, b) => a - b);
    assert.equal(all.length, items, `producer ${p}: ${all.length} items consumed, ${items} put`);
    assert.ok(
      all.every((seq, i) => seq === i),
      `producer ${p}: items lost or duplicated`,
    );
  }
}

describe('shared memory between processes', () => {
  it('two processes exchange 64 KiB through a segment, with no message between them', async () => {
    const bytes = 64 * 1024;
    const segment = freshSegment(16 + 2 * bytes);
    const second = runFixture('exchange-peer', [segment.name, 'second', bytes]); // waits on the flag
    const first = runFixture('exchange-peer', [segment.name, 'first', bytes]);
    const [a, b] = await Promise.all([result<{ ok: boolean; sent: string }>(first), result<{ ok: boolean; received: string }>(second)]);
    assert.equal(a.ok, true, 'first got its block back, reversed');
    assert.equal(b.received, a.sent, 'second read exactly what first wrote');
    assert.equal(segment.load(0), 2);
    assert.deepEqual(segment.read(16 + bytes, bytes), Buffer.from(segment.read(16, bytes)).reverse());
    segment.unlink();
    segment.detach();
  });

  it('ring buffer, producer faster: 20,000 items, none lost or duplicated; the producer waited for empty slots', async () => {
    const items = 20_000;
    const { producers, consumers } = await runRing({
      slots: 16,
      slotBytes: 64,
      items,
      producers: [{ pauseEvery: 0, pauseMs: 0 }],
      consumers: [{ pauseEvery: 1_000, pauseMs: 5 }],
    });
    assertExactlyOnce(consumers, 1, items);
    assert.deepEqual(
      consumers[0]!.got[0],
      Array.from({ length: items }, (_, i) => i),
      'one producer, one consumer: FIFO',
    );
    assert.ok((producers[0]!.waits['ring: empty slots'] ?? 0) > 0, `the producer never found the buffer full: ${JSON.stringify(producers[0])}`);
    assert.equal(producers[0]!.maxLevel, 16, 'the buffer filled up to its capacity');
  });

  it('ring buffer, consumer faster (getInto): 20,000 items, none lost or duplicated; the consumer waited for full slots', async () => {
    const items = 20_000;
    const { consumers } = await runRing({
      slots: 16,
      slotBytes: 100,
      items,
      producers: [{ pauseEvery: 1_000, pauseMs: 5 }],
      consumers: [{ pauseEvery: 0, pauseMs: 0, getInto: true }],
    });
    assertExactlyOnce(consumers, 1, items);
    assert.ok((consumers[0]!.waits['ring: full slots'] ?? 0) > 0, `the consumer never found the buffer empty: ${JSON.stringify(consumers[0]!.waits)}`);
  });

  it('ring buffer, 2 producers × 2 consumers: every item consumed exactly once', async () => {
    const items = 10_000;
    const { consumers } = await runRing({
      slots: 8,
      slotBytes: 48,
      items,
      producers: [
        { pauseEvery: 0, pauseMs: 0 },
        { pauseEvery: 2_000, pauseMs: 2 },
      ],
      consumers: [
        { pauseEvery: 0, pauseMs: 0 },
        { pauseEvery: 0, pauseMs: 0, getInto: true },
      ],
    });
    assertExactlyOnce(consumers, 2, items);
  });

  describe('the counter race: 3 processes × 200,000 increments', () => {
    const workers = 3;
    const iterations = 200_000;
    async function race(mode: 'plain' | 'atomic' | 'mutex'): Promise<number> {
      const segment = freshSegment(64);
      Mutex.init(segment, 8);
      const fixtures = Array.from({ length: workers }, () => runFixture('race-worker', [segment.name, mode, iterations]));
      await Promise.all(fixtures.map((f) => f.line(/^ready$/)));
      segment.store(4, 1); // the starting gun: all workers increment at the same time
      segment.wake(4, workers);
      for (const f of fixtures) assert.equal((await f.exited).code, 0);
      const total = segment.load(0);
      segment.unlink();
      segment.detach();
      return total;
    }

    it('load then store (two separate calls) loses updates', async () => {
      const total = await race('plain');
      assert.ok(total < workers * iterations, `no update was lost (${total}): the race did not happen`);
      assert.ok(total >= iterations, `fewer than one worker's increments (${total})`);
    });

    it('atomic add loses none', async () => {
      assert.equal(await race('atomic'), workers * iterations);
    });

    it('load then store under the futex mutex loses none', async () => {
      assert.equal(await race('mutex'), workers * iterations);
    });
  });

  describe('a robust mutex whose holder', () => {
    /** A mutex at offset 0 held by a fixture, and a waiter started; the holder's pid. */
    async function heldByFixture(options: { robust?: boolean } = {}): Promise<{ segment: SharedSegment; holder: Fixture; holderPid: number }> {
      const segment = freshSegment(64);
      Mutex.init(segment, 0, options);
      const holder = runFixture('mutex-holder', [segment.name]);
      const holderPid = Number((await holder.line(/^locked \d+$/)).split(' ')[1]);
      assert.equal(holderPid, holder.child.pid);
      assert.equal(Mutex.at(segment, 0).holderPid, holderPid);
      return { segment, holder, holderPid };
    }

    type WaiterOutcome = {
      name?: string;
      code?: string;
      holderPid?: number;
      message?: string;
      locked?: boolean;
      repaired?: number | null;
      again?: boolean;
      ms: number;
      waits: Record<string, number>;
      gaveUp: Record<string, string>;
    };

    it('was SIGKILLed while another waited: the kernel marks it, the waiter gets EOWNERDEAD, repairs, and the mutex works again', async () => {
      const { segment, holder, holderPid } = await heldByFixture();
      const timeoutMs = 4_000;
      const waiter = runFixture('mutex-waiter', [segment.name, timeoutMs, 'repair']);
      await waiter.line(/^waiting$/);
      holder.child.kill('SIGKILL');
      assert.equal((await holder.exited).signal, 'SIGKILL');
      const outcome = await result<WaiterOutcome>(waiter);
      assert.equal(outcome.locked, true, outcome.message);
      assert.equal(outcome.repaired, holderPid, 'the repair was told who died');
      assert.equal(outcome.again, true, 'after pthread_mutex_consistent the mutex locks and unlocks as before');
      assert.ok(outcome.ms < timeoutMs, `noticed after ${outcome.ms} ms`);
      assert.deepEqual(outcome.gaveUp, { 'the mutex': 'owner-died' }, 'the wait ended with EOWNERDEAD');
      // It is consistent for everyone: this process can take it too.
      const mutex = Mutex.at(segment, 0);
      mutex.lock(100);
      mutex.unlock();
      segment.unlink();
      segment.detach();
    });

    it('was SIGKILLed and the next locker does not repair: MutexOwnerDiedError naming it, then ENOTRECOVERABLE for everyone', async () => {
      const { segment, holder, holderPid } = await heldByFixture();
      holder.child.kill('SIGKILL');
      await holder.exited;
      // The holder was dead before anyone came: the first lock's fast path already sees the kernel's mark.
      const outcome = await result<WaiterOutcome>(runFixture('mutex-waiter', [segment.name, 2_000]));
      assert.equal(outcome.name, 'MutexOwnerDiedError', outcome.message);
      assert.equal(outcome.code, 'EOWNERDEAD');
      assert.equal(outcome.holderPid, holderPid);
      assert.match(outcome.message!, new RegExp(`process ${holderPid} died while holding`));
      assert.throws(
        () => Mutex.at(segment, 0).lock(100),
        (e: unknown) => e instanceof MutexNotRecoverableError && e.code === 'ENOTRECOVERABLE',
      );
      segment.unlink();
      segment.detach();
    });

    it('was SIGKILLed, the mutex not robust: the waiter is told nothing and times out', async () => {
      const { segment, holder } = await heldByFixture({ robust: false });
      const waiter = runFixture('mutex-waiter', [segment.name, 600]);
      await waiter.line(/^waiting$/);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const outcome = await result<WaiterOutcome>(waiter);
      assert.equal(outcome.name, 'MutexTimeoutError', outcome.message);
      assert.ok(outcome.ms >= 590, `gave up after ${outcome.ms} ms`);
      segment.unlink();
      segment.detach();
    });

    it('is alive and keeps it: the waiter gets MutexTimeoutError naming the holder after its timeout', async () => {
      const { segment, holder, holderPid } = await heldByFixture();
      const outcome = await result<WaiterOutcome>(runFixture('mutex-waiter', [segment.name, 300]));
      assert.equal(outcome.name, 'MutexTimeoutError', outcome.message);
      assert.equal(outcome.holderPid, holderPid);
      assert.match(outcome.message!, new RegExp(`within 300 ms: process ${holderPid} holds it`));
      assert.ok(outcome.ms >= 290, `gave up after ${outcome.ms} ms`);
      holder.child.kill('SIGKILL');
      await holder.exited;
      segment.unlink();
      segment.detach();
    });
  });
});

describe('shared-memory primitives in one process (their contracts and errors)', () => {
  function recordingTracer(): SyncTracer & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      waitBegin: (channel) => calls.push(`begin ${channel}`),
      waitEnd: (channel, ns, outcome) => calls.push(`end ${channel} ${outcome} ${ns >= 0n}`),
      level: (channel, used, capacity) => calls.push(`level ${channel} ${used}/${capacity}`),
    };
  }

  it('SharedSegment: name, size, path; attach sees the same words', () => {
    const segment = freshSegment(100);
    assert.equal(segment.size, 100);
    assert.equal(segment.path, '/dev/shm' + segment.name);
    assert.ok(existsSync(segment.path), 'existsSync(segment.path)');
    const other = SharedSegment.attach(segment.name);
    segment.store(8, 41);
    assert.equal(other.add(8, 1), 41);
    assert.equal(segment.load(8), 42);
    assert.equal(other.compareExchange(8, 42, 7), 42);
    assert.equal(segment.load(8), 7);
    other.detach();
    assert.throws(() => other.load(8), /was detached/);
    segment.unlink();
    assert.equal(existsSync(segment.path), false);
    assert.equal(segment.load(8), 7, 'an unlinked segment stays mapped');
    segment.detach();
  });

  it('CountingSemaphore: permits, a traced timed-out wait, post', () => {
    const segment = freshSegment(64);
    const tracer = recordingTracer();
    const sem = CountingSemaphore.init(segment, 8, 2, { tracer, channel: 'sem' });
    assert.equal(sem.value, 2);
    assert.equal(sem.wait(0), true);
    assert.equal(sem.wait(), true);
    assert.deepEqual(tracer.calls, [], 'the fast path traces nothing');
    assert.equal(sem.tryWait(), false);
    const start = performance.now();
    assert.equal(sem.wait(50), false);
    assert.ok(performance.now() - start >= 45, 'performance.now() - start >= 45');
    assert.deepEqual(tracer.calls, ['begin sem', 'end sem timed-out true']);
    sem.post();
    assert.equal(CountingSemaphore.at(segment, 8).value, 1);
    assert.equal(sem.wait(50), true);
    assert.throws(() => CountingSemaphore.init(segment, 8, -1), RangeError);
    segment.unlink();
    segment.detach();
  });

  it('Mutex: fast path untraced, error-checking unlock, relocking refused', () => {
    const segment = freshSegment(64);
    const tracer = recordingTracer();
    const mutex = Mutex.init(segment, 16, { tracer });
    assert.throws(() => mutex.unlock(), /does not hold.*it is not locked/);
    mutex.lock();
    assert.equal(mutex.holderPid, process.pid);
    assert.throws(() => mutex.tryLock(), /already holds this mutex/, 'trying again from the holder is refused too (EDEADLK)');
    assert.throws(() => mutex.lock(60), /mutex@16: process \d+ already holds this mutex; locking it again would wait for ever/);
    assert.deepEqual(tracer.calls, [], 'refused at once, without waiting');
    mutex.unlock();
    assert.equal(
      mutex.withLock(() => mutex.holderPid),
      process.pid,
    );
    assert.equal(mutex.holderPid, 0);
    assert.equal(segment.load(16), 0, 'unlocked');
    assert.throws(() => Mutex.init(segment, 12), /8-aligned/);
    assert.ok(new MutexOwnerDiedError('m', 123).message.includes('process 123 died'), "new MutexOwnerDiedError('m', 123).message.includes('process 123 died')");
    segment.unlink();
    segment.detach();
  });

  it('RingBuffer: geometry from the header, levels traced, timeouts, too-big items and targets', () => {
    const segment = freshSegment(RingBuffer.bytesFor(4, 10) + 8);
    assert.throws(() => RingBuffer.attach(segment), /no ring buffer at offset 0 .*Fix: attach after/);
    assert.throws(() => RingBuffer.create(segment, { slots: 100, slotBytes: 10 }), /needs \d+ bytes .*Fix: create the segment with at least/);
    const tracer = recordingTracer();
    const ring = RingBuffer.create(segment, { slots: 4, slotBytes: 10, tracer, channel: 'q' });
    const other = RingBuffer.attach(segment);
    assert.deepEqual([other.capacity, other.slotBytes, other.bounded], [4, 10, true]);
    ring.put(Buffer.from('hello'));
    ring.put(Buffer.from(''));
    assert.equal(other.used, 2);
    assert.equal(other.get().toString(), 'hello');
    assert.equal(other.get().length, 0);
    assert.deepEqual(tracer.calls, ['level q 1/4', 'level q 2/4']);
    assert.throws(() => ring.put(Buffer.alloc(11)), /11 bytes does not fit a slot of 10/);
    for (let i = 0; i < 4; i++) ring.put(Buffer.from([i]));
    assert.throws(
      () => ring.put(Buffer.from([9]), 30),
      (e: unknown) => e instanceof RingBufferTimeoutError && e.operation === 'put',
    );
    ring.get();
    ring.put(Buffer.from('0123456789'));
    for (let i = 1; i < 4; i++) assert.deepEqual([...ring.get()], [i]);
    assert.throws(() => ring.getInto(new Uint8Array(4)), /getInto needs a target of at least slotBytes \(10\) bytes, not 4/);
    const target = new Uint8Array(10);
    assert.equal(ring.getInto(target), 10, 'the item stayed after the refused getInto');
    assert.equal(Buffer.from(target).toString(), '0123456789');
    assert.throws(
      () => ring.get(20),
      (e: unknown) => e instanceof RingBufferTimeoutError && e.operation === 'get',
    );
    segment.unlink();
    segment.detach();
  });

  it('RingBuffer, not bounded: producers never wait, and a put that would overwrite unread data throws', () => {
    const segment = freshSegment(RingBuffer.bytesFor(3, 4));
    const tracer = recordingTracer();
    const ring = RingBuffer.create(segment, { slots: 3, slotBytes: 4, bounded: false, tracer, channel: 'u' });
    for (let i = 0; i < 3; i++) ring.put(Buffer.from([i]), 0);
    assert.throws(
      () => ring.put(Buffer.from([3])),
      (e: unknown) => e instanceof RingBufferOverflowError && /overwrite unread data: all 3 slots/.test(e.message),
    );
    assert.deepEqual([...ring.get()], [0], 'nothing was overwritten');
    ring.put(Buffer.from([3]));
    assert.deepEqual(
      [1, 2, 3].map(() => ring.get()[0]),
      [1, 2, 3],
    );
    assert.deepEqual(tracer.calls.slice(0, 3), ['level u 1/null', 'level u 2/null', 'level u 3/null']);
    assert.equal(RingBuffer.attach(segment).bounded, false);
    segment.unlink();
    segment.detach();
  });

  it('leaves nothing in /dev/shm', () => {
    for (const segment of segments) {
      try {
        segment.unlink();
      } catch {
        /* unlinked by its test */
      }
    }
    assert.deepEqual(
      readdirSync('/dev/shm').filter((f) => f.startsWith(prefix)),
      [],
    );
  });
});
