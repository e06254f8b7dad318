/**
 * The message-passing teaching layer on real processes and real POSIX message queues: several senders
 * into one mailbox (every message once, each sender identified by what it wrote), several receivers
 * on one mailbox (each message to exactly one of them), blocking receives and sends that really wait
 * (seen through the tracer), a signal during a timed wait, a rendezvous whose sender is released only
 * by the receiver (with a capacity-1 mailbox as the control that shows the check can fail), and direct
 * links between three named processes.
 *
 * The fixture programs (test/fixtures/mq/) run compiled, from dist/: run `npx tsc -p tsconfig.json`
 * first (`npm test` does). Every queue is unlinked here; the last test checks that none is left.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findProjectRoot } from '../../main/project-root.js';
import { native } from '../../main/native/index.js';
import { DirectLinks } from '../../main/runtime/message-passing/direct-links.js';
import { Mailbox } from '../../main/runtime/message-passing/mailbox.js';
import { Rendezvous } from '../../main/runtime/message-passing/rendezvous.js';
import { assertBuiltFresh, FixtureRunner, result, type Fixture } from '../support/fixture-process.js';

const root = findProjectRoot();
const fixtureDir = join(root, 'dist', 'test', 'fixtures', 'mq');
const prefix = `/ipc-lab-test-${process.pid}-`;
let counter = 0;
/** Every queue name this file may have made: all are unlinked at the end and checked by the last test. */
const names: string[] = [];
const fixtures = new FixtureRunner(fixtureDir);
const runFixture = (program: string, args: (string | number)[]): Fixture => fixtures.run(program, args);

function freshName(): string {
  const name = `${prefix}${++counter}`;
  names.push(name);
  return name;
}

function unlinkQuietly(name: string): void {
  try {
    native().mqUnlink(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

interface Summary {
  waits: Record<string, number>;
  gaveUp: Record<string, number>;
  wouldBlocks: Record<string, number>;
  levelChannels: string[];
  maxLevel: number;
}

/** Whether the process is still running (not exited, not a zombie). */
function running(fixture: Fixture): boolean {
  return fixture.child.exitCode === null && fixture.child.signalCode === null;
}

before(() => {
  // The fixtures run from dist/: refuse a missing or stale build rather than test old code.
  const pairs = ['mq-support', 'mailbox-sender', 'mailbox-receiver', 'mailbox-once', 'rendezvous-peer', 'link-peer']
    .map((f) => [join(root, 'test/fixtures/mq', `${f}.ts`), join(fixtureDir, `${f}.js`)] as const)
    .concat(
      ['mailbox', 'direct-links', 'rendezvous'].map(
        (f) => [join(root, 'main/runtime/message-passing', `${f}.ts`), join(root, 'dist/main/runtime/message-passing', `${f}.js`)] as const,
      ),
    );
  assertBuiltFresh(pairs);
});

after(() => {
  fixtures.killAll();
  for (const name of names) unlinkQuietly(name);
});

describe('mailbox (indirect naming)', () => {
  it("three senders, one mailbox, one receiver: every message arrives once, in each sender's order, sender identified", async () => {
    const name = freshName();
    const box = Mailbox.create(name, { capacity: 4, messageBytes: 32 });
    try {
      const receiver = runFixture('mailbox-receiver', [name, 0]);
      const count = 300;
      const senders = ['A', 'B', 'C'].map((id) => runFixture('mailbox-sender', [name, id, count]));
      const sent = await Promise.all(senders.map((s) => result<Summary & { sent: number }>(s)));
      // All senders are done, so "stop" (same priority) is behind every message in the queue.
      box.send('stop');
      const { got } = await result<{ got: string[] } & Summary>(receiver);

      assert.equal(got.length, 3 * count, 'every message arrived, none twice');
      for (const id of ['A', 'B', 'C']) {
        const seqs = got.filter((m) => m.startsWith(`${id}:`)).map((m) => Number(m.slice(2)));
        assert.deepEqual(seqs, [...Array(count).keys()], `sender ${id}: all ${count} messages, in the order sent`);
      }
      // A capacity of 4 against 900 messages: at least one sender found the mailbox full and waited.
      assert.ok(
        sent.some((s) => (s.waits['box: full'] ?? 0) > 0),
        `no sender ever waited: ${JSON.stringify(sent.map((s) => s.waits))}`,
      );
      assert.ok(
        sent.every((s) => s.maxLevel <= 4 && s.levelChannels.join() === 'box'),
        "sent.every((s) => s.maxLevel <= 4 && s.levelChannels.join() === 'box')",
      );
      assert.equal(box.depth, 0);
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('several receivers on one mailbox: each message is delivered to exactly one receiver', async () => {
    const name = freshName();
    const box = Mailbox.create(name, { capacity: 8, messageBytes: 32 });
    try {
      const receivers = [0, 1, 2].map(() => runFixture('mailbox-receiver', [name, 1]));
      const sender = runFixture('mailbox-sender', [name, 'S', 240]);
      await result(sender);
      for (let i = 0; i < receivers.length; i++) box.send('stop'); // one stop each: a receiver takes one and quits
      const results = await Promise.all(receivers.map((r) => result<{ got: string[] }>(r)));

      const all = results.flatMap((r) => r.got);
      assert.equal(all.length, 240);
      assert.equal(new Set(all).size, 240, 'no message went to two receivers');
      assert.deepEqual(new Set(all), new Set([...Array(240).keys()].map((i) => `S:${i}`)));
      // Each receiver pauses 1 ms per message, so the work is shared (not a guarantee of fairness).
      assert.ok(results.filter((r) => r.got.length > 0).length >= 2, `one receiver took everything: ${results.map((r) => r.got.length)}`);
      for (const r of results) {
        const seqs = r.got.map((m) => Number(m.slice(2)));
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          'a single receiver sees the messages it gets in queue order',
        );
      }
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('a blocking receive on an empty mailbox waits (traced as "box: empty") until a message comes', async () => {
    const name = freshName();
    const box = Mailbox.create(name, { capacity: 2, messageBytes: 32 });
    try {
      const receiver = runFixture('mailbox-once', ['receive', name, 'Infinity']);
      await receiver.line(/^wait-begin box: empty$/);
      assert.ok(running(receiver), 'the receiver is still blocked');
      assert.equal(box.send('hello'), true);
      const got = await result<Summary & { message: string | null }>(receiver);
      assert.equal(got.message, 'hello');
      assert.deepEqual(got.waits, { 'box: empty': 1 });
      assert.deepEqual(got.gaveUp, {});
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('a blocking send on a full mailbox waits (traced as "box: full") until a receiver takes one', async () => {
    const name = freshName();
    const box = Mailbox.create(name, { capacity: 2, messageBytes: 32 });
    try {
      assert.equal(box.send('one'), true);
      assert.equal(box.send('two'), true);
      assert.equal(box.send('three', { block: false }), false, 'full: a non-blocking send returns false');
      const sender = runFixture('mailbox-once', ['send', name, 'late', 'Infinity']);
      await sender.line(/^wait-begin box: full$/);
      assert.ok(running(sender), 'the sender is still blocked');
      assert.equal(box.depth, 2, 'the blocked message is not in the mailbox');

      assert.equal(box.receive()!.toString(), 'one');
      const sent = await result<Summary & { sent: boolean }>(sender);
      assert.equal(sent.sent, true);
      assert.deepEqual(sent.waits, { 'box: full': 1 });
      assert.deepEqual(
        [box.receive({ block: false }), box.receive({ block: false }), box.receive({ block: false })].map((m) => m?.toString() ?? null),
        ['two', 'late', null],
        'the waiting message went in behind the others; then the mailbox is empty (the null message)',
      );
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('timeouts give up (false / null) and say so in the trace; non-blocking calls report EAGAIN', () => {
    const name = freshName();
    const events: string[] = [];
    const tracer = {
      waitBegin: (c: string) => events.push(`begin ${c}`),
      waitEnd: (c: string, _ns: bigint, outcome: string) => events.push(`end ${c} ${outcome}`),
      level: (c: string, used: number, capacity: number | null) => events.push(`level ${c} ${used}/${capacity}`),
      wouldBlock: (c: string, syscall: string, code: string) => events.push(`${code} ${c} ${syscall}`),
    };
    const box = Mailbox.create(name, { capacity: 1, messageBytes: 8, tracer, channel: 'box' });
    try {
      assert.equal(box.receive({ block: false }), null);
      let start = performance.now();
      assert.equal(box.receive({ timeoutMs: 50 }), null);
      assert.ok(performance.now() - start >= 45, 'performance.now() - start >= 45');
      assert.equal(box.send('x', { priority: 3 }), true);
      start = performance.now();
      assert.equal(box.send('y', { timeoutMs: 50 }), false);
      assert.ok(performance.now() - start >= 45, 'performance.now() - start >= 45');
      // Right after a blocking wait, a non-blocking send still does not block: the descriptor went back
      // to O_NONBLOCK (the EAGAIN below).
      assert.equal(box.send('y', { block: false }), false);
      assert.deepEqual(box.receiveWithPriority(), { message: Buffer.from('x'), priority: 3 });
      assert.deepEqual(events, [
        'EAGAIN box mq_receive',
        'level box 0/1',
        'begin box: empty',
        'end box: empty timed-out',
        'level box 0/1',
        'level box 1/1',
        'begin box: full',
        'end box: full timed-out',
        'level box 1/1',
        'EAGAIN box mq_send',
        'level box 1/1',
        'level box 0/1',
      ]);
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('a signal during a timed wait neither ends it early nor makes it throw (EINTR is retried with the time left)', async () => {
    const name = freshName();
    const box = Mailbox.create(name, { capacity: 1, messageBytes: 8 });
    try {
      const receiver = runFixture('mailbox-once', ['receive', name, 400, 'signal']);
      await receiver.line(/^wait-begin box: empty$/);
      receiver.child.kill('SIGUSR2');
      const got = await result<{ message: string | null; ms: number } & Summary>(receiver);
      assert.equal(got.message, null);
      assert.ok(got.ms >= 395 && got.ms < 2000, `the wait lasted ${got.ms} ms, not about 400`);
      assert.deepEqual(got.gaveUp, { 'box: empty': 1 });
    } finally {
      box.close();
      box.unlink();
    }
  });
});

describe('rendezvous (zero capacity)', () => {
  interface SenderTimes extends Summary {
    sends: { before: string; after: string }[];
  }
  interface ReceiverTimes extends Summary {
    receives: { called: string; returned: string; message: string }[];
  }
  async function handOver(kind: 'rendezvous' | 'mailbox', name: string): Promise<{ sender: SenderTimes; receiver: ReceiverTimes }> {
    const receiver = runFixture('rendezvous-peer', [kind, 'receiver', name, 3, 80]);
    const sender = runFixture('rendezvous-peer', [kind, 'sender', name, 3]);
    return { sender: await result<SenderTimes>(sender), receiver: await result<ReceiverTimes>(receiver) };
  }

  it("the sender's send returns only after the receiver called receive (a capacity-1 mailbox does not wait)", async () => {
    const name = freshName();
    names.push(Rendezvous.ackName(name));
    const meet = Rendezvous.create(name, { messageBytes: 32 });
    try {
      const { sender, receiver } = await handOver('rendezvous', name);
      assert.deepEqual(
        receiver.receives.map((r) => r.message),
        ['m0', 'm1', 'm2'],
      );
      for (let i = 0; i < 3; i++) {
        const returned = BigInt(sender.sends[i]!.after);
        assert.ok(returned > BigInt(receiver.receives[i]!.called), `send ${i} returned before the receiver asked for it`);
        assert.ok(
          BigInt(sender.sends[i]!.before) < BigInt(receiver.receives[i]!.returned),
          'BigInt(sender.sends[i]!.before) < BigInt(receiver.receives[i]!.returned)',
        );
      }
      // The sender waited for each acknowledgement (the receiver sleeps 80 ms before each receive).
      assert.ok((sender.waits['meet ack: empty'] ?? 0) >= 2, JSON.stringify(sender.waits));
    } finally {
      meet.close();
      meet.unlink();
    }

    // Control: with a capacity-1 mailbox the first send returns at once, before the receiver asks. The
    // receiver starts only once the first message is queued (mq_getattr), so a late-starting sender
    // on a loaded machine cannot make it look as if the send had waited.
    const control = freshName();
    const box = Mailbox.create(control, { capacity: 1, messageBytes: 32 });
    try {
      const senderFixture = runFixture('rendezvous-peer', ['mailbox', 'sender', control, 3]);
      for (const deadline = Date.now() + 10_000; box.depth === 0;) {
        if (Date.now() > deadline) throw new Error('the sender never queued its first message');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const receiverFixture = runFixture('rendezvous-peer', ['mailbox', 'receiver', control, 3, 80]);
      const sender = await result<SenderTimes>(senderFixture);
      const receiver = await result<ReceiverTimes>(receiverFixture);
      assert.deepEqual(
        receiver.receives.map((r) => r.message),
        ['m0', 'm1', 'm2'],
      );
      assert.ok(BigInt(sender.sends[0]!.after) < BigInt(receiver.receives[0]!.called), 'a buffered send does not wait for the receiver');
    } finally {
      box.close();
      box.unlink();
    }
  });

  it('a second sender on the same rendezvous is detected, not released by the wrong acknowledgement', () => {
    const name = freshName();
    names.push(Rendezvous.ackName(name));
    const meet = Rendezvous.create(name, { messageBytes: 8 });
    try {
      // Play a foreign sender by hand: its ack waits in the reply queue when our send looks for ours.
      const replies = Mailbox.open(Rendezvous.ackName(name));
      const foreign = Buffer.alloc(8);
      foreign.writeUInt32LE(1, 0);
      foreign.writeUInt32LE(7, 4);
      replies.send(foreign);
      replies.close();
      assert.throws(() => meet.send('hi'), /acknowledgement was for message 7 of process 1.*another sender shares this rendezvous/);
      assert.throws(() => meet.send('x'.repeat(9)), /9 bytes does not fit/);
    } finally {
      meet.close();
      meet.unlink();
    }
  });
});

describe('direct links (direct naming)', () => {
  it('three named processes each send to and receive from the other two; links set up by whoever comes first', async () => {
    const linkPrefix = `${prefix}${++counter}`;
    const people = ['parent', 'child-1', 'child-2'];
    for (const from of people) for (const to of people) if (from !== to) names.push(`${linkPrefix}-${from}-${to}`);
    const count = 5;
    const peers = people.map((self) => runFixture('link-peer', [self, linkPrefix, count, ...people.filter((p) => p !== self)]));
    const results = await Promise.all(peers.map((p) => result<Summary & { got: Record<string, string[]>; names: string[] }>(p)));
    results.forEach((r, index) => {
      const self = people[index]!;
      for (const peer of people.filter((p) => p !== self)) {
        assert.deepEqual(
          r.got[peer],
          [...Array(count).keys()].map((i) => `${peer}→${self}#${i}`),
          `${self} from ${peer}`,
        );
      }
      assert.equal(r.names.length, 4, 'two links out, two links in');
      for (const channel of r.levelChannels) assert.match(channel, new RegExp(`^link (${self}→|.*→${self}$)`));
    });
    assert.ok(results[0]!.levelChannels.includes('link parent→child-1'), "results[0]!.levelChannels.includes('link parent→child-1')");
    assert.ok(results[0]!.levelChannels.includes('link child-2→parent'), "results[0]!.levelChannels.includes('link child-2→parent')");
    // Every process only closed its descriptors: the six queues are there until someone unlinks them.
    const links = new DirectLinks('parent', { nameFor: (from, to) => `${linkPrefix}-${from}-${to}`, capacity: count, messageBytes: 64 });
    for (const peer of ['child-1', 'child-2']) {
      assert.equal(links.receive(peer, { block: false }), null, 'all messages were taken');
      links.send(peer, 'bye');
    }
    links.unlinkAll();
    for (const name of [`${linkPrefix}-child-1-parent`, `${linkPrefix}-child-2-parent`, `${linkPrefix}-parent-child-1`, `${linkPrefix}-parent-child-2`]) {
      assert.throws(() => native().mqOpen(name, { create: false }), { code: 'ENOENT' }, `${name} was unlinked by unlinkAll`);
    }
    for (const name of [`${linkPrefix}-child-1-child-2`, `${linkPrefix}-child-2-child-1`]) native().mqUnlink(name);
  });
});

it('leaves no queue behind', () => {
  for (const name of names) {
    assert.throws(() => native().mqOpen(name, { create: false }), { code: 'ENOENT' }, `${name} is still there`);
  }
  // A cross-check where the mqueue filesystem is mounted (it is not needed: the loop above is the test).
  if (readFileSync('/proc/self/mounts', 'utf8').includes(' /dev/mqueue ')) {
    assert.deepEqual(
      readdirSync('/dev/mqueue').filter((n) => n.startsWith(prefix.slice(1))),
      [],
    );
  }
});
