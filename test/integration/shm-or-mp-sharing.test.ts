/**
 * "Shared memory or message passing?", steps visibility, synchronisation and one-link-three-carriers,
 * on real processes, segments, message queues, pipes and TCP: each step's checks pass on a correct run
 * and fail, as declared, on its variants; what the checks say is read back from the trace and the kernel
 * view itself; no segment or queue is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent, StoredEventOf } from '../../main/contract/trace-events.js';
import { connectSender, createReceiver, type LinkSpec, type LinkTracer } from '../../main/runtime/logical-link/logical-link.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

const LAB = 'shared-memory-or-message-passing';
let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

/** Segments and queues this test process's engine made (named /ipc-lab-<pid>-<run>-…). */
function myObjects(): string[] {
  const mine = (dir: string) => {
    try {
      return readdirSync(dir).filter((name) => name.startsWith(`ipc-lab-${process.pid}-`));
    } catch {
      return [];
    }
  };
  return [...mine('/dev/shm'), ...mine('/dev/mqueue')];
}

function requestedSnapshots(stored: StoredEvent[], role: string): StoredEventOf<'kernel.snapshot'>[] {
  const request = stored.find((e): e is StoredEventOf<'snapshot.request'> => e.kind === 'snapshot.request' && e.role === role);
  assert.ok(request, `the ${role} asked for a kernel snapshot`);
  return stored.filter((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.requested === request.reason);
}

const roleOf = (stored: StoredEvent[], pid: number) => stored.find((e) => e.pid === pid && e.kind === 'process.start')?.role;

describe('shared memory or message passing: sharing steps', () => {
  it('visibility: all three processes map the segment shared; the third finds the mailbox empty (EAGAIN) after the first took the message', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'visibility', stepId: 'visibility' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const path = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.object.type === 'shm')!.object.name;
    const mapped = requestedSnapshots(stored, 'third').filter((s) => s.maps?.some((m) => m.path === path && m.perms === 'rw-s'));
    assert.deepEqual(new Set(mapped.map((s) => roleOf(stored, s.pid))), new Set(['owner', 'first', 'third']));
    const took = stored.find((e) => e.kind === 'io.end' && e.role === 'first' && e.op === 'read')!;
    const eagain = stored.find((e) => e.kind === 'io.error' && e.role === 'third' && e.code === 'EAGAIN')!;
    assert.ok(BigInt(took.ts) < BigInt(eagain.ts), 'the EAGAIN came after the take');
    assert.deepEqual(myObjects(), []);
    assertNothingLeft(run);

    const two = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'visibility', stepId: 'visibility', params: { letters: 2 } });
    assert.deepEqual(checksOf(two.run), { 'segment-seen-by-all': true, 'message-gone-for-others': false });
    assert.ok(
      two.stored.some((e) => e.kind === 'message.receive' && e.role === 'third' && e.messageId === 2),
      'the third process got the second message',
    );
    const privately = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'visibility', stepId: 'visibility', params: { thirdMapping: 'private' } });
    assert.deepEqual(checksOf(privately.run), { 'segment-seen-by-all': false, 'message-gone-for-others': true });
    assert.ok(
      privately.stored.some((e) => e.kind === 'note' && e.role === 'owner' && e.text.includes('never reached')),
      "the third's store stayed in its private copy",
    );
    assertNothingLeft(two.run);
    assertNothingLeft(privately.run);
    assert.deepEqual(myObjects(), []);
  });

  it('synchronisation: the textbook ring gives every item once; without the mutex items are lost and repeated, listed by number', async () => {
    const { run } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'synchronisation', stepId: 'synchronisation' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const broken = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'synchronisation', stepId: 'synchronisation', params: { mistake: 'no-mutex' } });
    assert.deepEqual(checksOf(broken.run), { 'items-exactly-once': false, 'nobody-stuck': true });
    const taken = new Set(broken.stored.filter((e) => e.kind === 'message.receive').map((e) => (e as StoredEventOf<'message.receive'>).messageId));
    const lost = broken.stored
      .filter((e): e is StoredEventOf<'message.send'> => e.kind === 'message.send')
      .map((e) => e.messageId)
      .filter((id) => !taken.has(id));
    assert.ok(lost.length > 0, 'some item put was never taken');
    const detail = broken.run.checks.find((c) => c.id === 'items-exactly-once')!.detail;
    assert.ok(detail.includes(`#${Math.min(...lost)}`), `the check names the first lost item: ${detail}`);
    assertNothingLeft(run);
    assertNothingLeft(broken.run);
    assert.deepEqual(myObjects(), []);
  });

  it('synchronisation: semaphores in the wrong order leave every process asleep in futex wait, seen by the kernel; the run still ends', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'synchronisation',
      stepId: 'synchronisation',
      params: { mistake: 'wrong-order' },
    });
    assert.deepEqual(checksOf(run), { 'items-exactly-once': false, 'nobody-stuck': false });
    const workers = run.processes.filter((p) => p.role === 'producer' || p.role === 'consumer');
    const asleep = requestedSnapshots(stored, 'starter').filter((s) => workers.some((w) => w.pid === s.pid));
    assert.equal(asleep.length, workers.length, 'the snapshot saw every worker');
    for (const s of asleep) {
      assert.match(s.state, /^S/);
      assert.match(s.wchan, /futex/);
    }
    assert.ok(
      workers.every((w) => w.signal === 'SIGKILL'),
      'the starter ended them',
    );
    assertNothingLeft(run);
    assert.deepEqual(myObjects(), []);
  });

  it('synchronisation over a pipe: the same producers and consumers, the mistake setting changes nothing, every record once', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'synchronisation',
      stepId: 'synchronisation',
      params: { carrier: 'pipe', mistake: 'no-mutex', producers: 4, consumers: 3 },
    });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    const reads = stored.filter((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.op === 'read' && e.bytes > 0);
    assert.equal(reads.length, 4 * 40);
    assert.ok(
      reads.every((r) => r.bytes === 64),
      'every read returned one whole record',
    );
    assertNothingLeft(run);
  });

  it('one link, three carriers: the same output; the sender waits at the capacity on each; three different kernel objects', async () => {
    const outputs: string[] = [];
    for (const carrier of ['ring', 'mq', 'tcp']) {
      const { run, stored } = await runToEnd(harness.engine, {
        labId: LAB,
        scenarioId: 'link',
        stepId: 'one-link-three-carriers',
        params: { carrier, capacity: 4, messages: 10 },
      });
      assert.equal(run.status, 'passed', `${carrier}: ${JSON.stringify(run.checks, null, 2)}`);
      assert.equal(run.checks[0]!.measurements?.find((m) => m.id === 'sent-before-wait')?.value, 4);
      outputs.push(
        stored
          .filter((e): e is StoredEventOf<'host.output'> => e.kind === 'host.output' && e.stream === 'stdout')
          .map((e) => e.text)
          .join('\n'),
      );
      const sender = run.processes.find((p) => p.role === 'sender')!;
      const seen = requestedSnapshots(stored, 'receiver').find((s) => s.pid === sender.pid)!;
      assert.match(seen.state, /^S/);
      if (carrier === 'ring')
        assert.ok(
          seen.maps?.some((m) => m.path.startsWith('/dev/shm/') && m.perms === 'rw-s'),
          'ring: the sender maps a segment shared',
        );
      if (carrier === 'mq')
        assert.ok(
          seen.fds.some((f) => /^\/ipc-lab-.*-link$/.test(f.target)),
          'mq: the sender holds the queue',
        );
      if (carrier === 'tcp')
        assert.ok(
          seen.fds.some((f) => f.socket?.transport === 'tcp' && f.socket.state === 'ESTABLISHED'),
          'tcp: the sender holds a connection',
        );
      assertNothingLeft(run);
    }
    assert.match(outputs[0]!, /#10 message 10 of 10/);
    assert.equal(outputs[1], outputs[0]);
    assert.equal(outputs[2], outputs[0]);
    const uncounted = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'link',
      stepId: 'one-link-three-carriers',
      params: { carrier: 'tcp', credits: false },
    });
    assert.deepEqual(checksOf(uncounted.run), { 'link-waits-at-capacity': false });
    assert.ok(!uncounted.stored.some((e) => e.kind === 'io.begin' && e.role === 'sender' && e.op === 'wait'), 'the sender never waited');
    assertNothingLeft(uncounted.run);
    assert.deepEqual(myObjects(), []);
  });
});

describe('logical link module', () => {
  const quiet: LinkTracer = { emit() {}, waitBegin() {}, waitEnd() {}, level() {} };
  const spec = (over: Partial<LinkSpec> = {}): LinkSpec => ({ carrier: 'ring', capacity: 2, messageBytes: 16, channel: 'link', tracer: quiet, ...over });

  it('refuses a bad link before making anything, naming the fix', async () => {
    await assert.rejects(createReceiver(spec({ capacity: 0 }), '/unused'), /holds at least 1 message \(capacity 0\)\. Fix/);
    await assert.rejects(createReceiver(spec({ carrier: 'pigeon' as never }), '/unused'), /carrier is one of ring, mq, tcp, not "pigeon"/);
    assert.deepEqual(myObjects(), []);
  });

  it('ring: messages arrive once, in order; an empty or oversized message is refused; the end marker ends receive', async () => {
    const name = `/ipc-lab-${process.pid}-0-link-test`;
    const { address, receiver } = await createReceiver(spec(), name);
    const { sender } = await connectSender(spec(), address);
    const link = await receiver;
    await assert.rejects(sender.send(new Uint8Array(0)), /at least 1 byte .* Fix: send something/);
    await assert.rejects(sender.send(new Uint8Array(17)), /17 bytes is longer than the link's 16\. Fix/);
    await sender.send(Buffer.from('one'));
    await sender.send(Buffer.from('two'));
    assert.equal(link.waiting(), 2);
    assert.equal((await link.receive())?.toString(), 'one');
    await sender.close();
    assert.equal((await link.receive())?.toString(), 'two');
    assert.equal(await link.receive(), null);
    await link.close();
    assert.deepEqual(myObjects(), []);
  });
});
