/**
 * The message-passing lab on real processes and real POSIX message queues: every step's checks pass
 * on a correct run and fail on one that does not show the behaviour, and no queue is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { native } from '../../main/native/index.js';
import checks from '../../labs/03-message-passing/checks.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, traceOf, waitForEvent, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

/** Queues of a run that still exist: by name (works whether or not /dev/mqueue is mounted). */
function queuesLeft(runId: number, names: string[]): string[] {
  return names.filter((name) => {
    try {
      native().mqClose(native().mqOpen(`/ipc-lab-${process.pid}-${runId}-${name}`, { create: false }));
      return true;
    } catch {
      return false;
    }
  });
}

function mqueueListing(): string[] {
  try {
    return readdirSync('/dev/mqueue').filter((name) => name.startsWith(`ipc-lab-${process.pid}-`));
  } catch {
    return [];
  }
}

/** What the lab's checks see of a finished run. */
const run = (scenarioId: string, stepId: string, params: Record<string, number | string | boolean> = {}) =>
  runToEnd(harness.engine, { labId: 'message-passing', scenarioId, stepId, params });

describe('message passing lab', () => {
  it('step naming: direct links per pair, one mailbox shared by three senders', async () => {
    const { run: summary, stored } = await run('naming', 'naming');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    const channels = new Set(stored.filter((e) => e.kind === 'message.send').map((e) => (e as StoredEventOf<'message.send'>).channel));
    assert.deepEqual([...channels].sort(), ['link alice→bob', 'link bob→alice', 'mailbox inbox']);
    assert.deepEqual(queuesLeft(summary.runId, ['inbox', 'link-alice-bob', 'link-bob-alice']), []);
    assertNothingLeft(summary);

    // The kernel view shows each link queue by its name in /proc/<pid>/fd, in alice's and bob's
    // descriptors only, and the inbox in all four processes of the mailbox.
    const prefix = `/ipc-lab-${process.pid}-${summary.runId}-`;
    const holders = (queue: string) =>
      [...new Set(stored.filter((e) => e.kind === 'kernel.snapshot' && e.fds.some((fd) => fd.target === prefix + queue)).map((e) => e.role))].sort();
    assert.deepEqual(holders('link-alice-bob'), ['alice', 'bob']);
    assert.deepEqual(holders('link-bob-alice'), ['alice', 'bob']);
    assert.deepEqual(holders('inbox'), ['receiver', 'sender-1', 'sender-2', 'sender-3']);

    // No parameter removes the behaviour, so the checks are shown to fail on the same trace without it.
    const trace = traceOf({ run: summary, stored });
    const bobUnseen = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'bob')) };
    assert.equal(checks['direct-links'].check(bobUnseen).passed, false, 'bob never seen holding the links');
    const thirdParty = {
      ...trace,
      events: trace.events.map((e) =>
        e.kind === 'kernel.snapshot' && e.role === 'sender-1' ? { ...e, fds: [...e.fds, { fd: 99, target: `${prefix}link-alice-bob` }] } : e,
      ),
    };
    assert.equal(checks['direct-links'].check(thirdParty).passed, false, 'a link held by a third process');
    const senderUnseen = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'sender-2')) };
    assert.equal(checks['shared-mailbox'].check(senderUnseen).passed, false);

    // The variants: one queue for both directions; a mailbox per sender.
    const oneQueue = await run('naming', 'naming', { aliceBobQueues: 'one' });
    assert.deepEqual(checksOf(oneQueue.run), { 'direct-links': false, 'shared-mailbox': true });
    assert.deepEqual(queuesLeft(oneQueue.run.runId, ['talk', 'inbox']), []);
    assertNothingLeft(oneQueue.run);
    const perSender = await run('naming', 'naming', { inboxes: 'per-sender' });
    assert.deepEqual(checksOf(perSender.run), { 'direct-links': true, 'shared-mailbox': false });
    assert.deepEqual(queuesLeft(perSender.run.runId, ['inbox-1', 'inbox-2', 'inbox-3']), []);
    assertNothingLeft(perSender.run);
    const twoSenders = { ...trace, events: trace.events.filter((e) => e.role !== 'sender-3') };
    assert.equal(checks['shared-mailbox'].check(twoSenders).passed, false);
    const lost = { ...trace, events: trace.events.filter((e) => !(e.kind === 'message.receive' && e.role === 'receiver' && e.messageId === 2001)) };
    assert.equal(checks['shared-mailbox'].check(lost).passed, false);
  });

  it('step blocking: a blocking receive waits, a non-blocking one returns the null message, a send to a full mailbox fails with EAGAIN', async () => {
    const { run: summary } = await run('blocking', 'blocking');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    assertNothingLeft(summary);
    const quick = await run('blocking', 'blocking', { senderDelayMs: 0 });
    assert.equal(checksOf(quick.run)['blocking-receive-waits'], false, 'with no delay the first receive may not wait long');
    assertNothingLeft(quick.run);
  });

  it('step buffering: bounded, zero and unbounded each behave as the textbook says', async () => {
    for (const buffering of ['bounded', 'zero', 'unbounded']) {
      const { run: summary, stored } = await run('buffering', 'buffering', { buffering });
      assert.equal(summary.status, 'passed', `${buffering}: ${JSON.stringify(summary.checks, null, 2)}`);
      assertNothingLeft(summary);
      if (buffering === 'zero') {
        // A sender that got ahead of the receiver (it took each message late) is no rendezvous.
        const trace = traceOf({ run: summary, stored });
        const late = {
          ...trace,
          events: trace.events.map((e) => (e.kind === 'buffer.level' && e.role === 'receiver' ? { ...e, ts: '99999999999999999' } : e)),
        };
        assert.equal(checks['buffering-behaviour'].check(late).passed, false);
      }
    }
    const fast = await run('buffering', 'buffering', { buffering: 'bounded', receiverDelayMs: 0, messages: 2 });
    assert.equal(checksOf(fast.run)['buffering-behaviour'], false, 'a bounded mailbox that never fills shows no waiting');
    // The kernel refuses a million-message queue (EINVAL) but grants two slots: then the "unbounded"
    // sender waits, and the limit check has nothing refused to show.
    const small = await run('buffering', 'buffering', { buffering: 'unbounded', unboundedAsk: 2 });
    assert.deepEqual(checksOf(small.run), { 'buffering-behaviour': false, 'kernel-limits': false });
    assertNothingLeft(small.run);
  });

  it('step message-size: fixed-size messages are padded to the longest record, and one byte more is EMSGSIZE', async () => {
    const { run: summary, stored } = await run('sizes', 'message-size', { records: 500 });
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    const value = (name: string) => stored.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === name)!.value;
    // mq_getattr's message size is the longest record, not a round number chosen in advance.
    const longest = Math.max(
      ...Array.from({ length: 500 }, (_, k) =>
        Buffer.byteLength(
          `${k}: ${['pipe', 'socket', 'mailbox', 'semaphore', 'shared memory segment', 'rendezvous', 'FIFO'].slice(0, 1 + (k % 7)).join(', ')}`,
        ),
      ),
    );
    assert.equal(value('mq_msgsize'), longest);
    assert.equal(value('fixed: bytes'), 500 * longest);
    assert.equal(value('variable: longest'), longest);
    assert.ok(value('variable: shortest') < longest, "value('variable: shortest') < longest");
    assert.ok(
      stored.some((e) => e.kind === 'io.error' && e.role === 'sender' && e.code === 'EMSGSIZE'),
      'a message one byte too long was refused',
    );
    assertNothingLeft(summary);

    // Records all of one length leave nothing to pad: the check fails.
    const equal = await run('sizes', 'message-size', { records: 500, recordLengths: 'equal' });
    assert.deepEqual(checksOf(equal.run), { 'sizes-compared': false });
    assertNothingLeft(equal.run);
  });

  it('step several-receivers: each message reaches exactly one receiver', async () => {
    const { run: summary, stored } = await run('receivers', 'several-receivers');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    assert.equal(stored.filter((e) => e.kind === 'message.receive').length, 60);
    assertNothingLeft(summary);
    const one = await run('receivers', 'several-receivers', { messages: 1 });
    assert.equal(checksOf(one.run)['exactly-one-receiver'], true);
    assert.equal(checksOf(one.run)['all-receivers-worked'], false, 'one message cannot reach three receivers');
    const trace = traceOf({ run: summary, stored });
    const twice = { ...trace, events: [...trace.events, ...trace.events.filter((e) => e.kind === 'message.receive').slice(0, 1)] };
    assert.equal(checks['exactly-one-receiver'].check(twice).passed, false);
    const copies = await run('receivers', 'several-receivers', { mailboxes: 'one per receiver' });
    assert.equal(checksOf(copies.run)['exactly-one-receiver'], false, 'a mailbox each: every receiver gets a copy of every message');
    assert.equal(copies.stored.filter((e) => e.kind === 'message.receive').length, 180);
    assertNothingLeft(copies.run);
  });

  it("unlinks the run's queues when the run is stopped mid-way", async () => {
    const { run: summary, stored } = await runToEnd(
      harness.engine,
      { labId: 'message-passing', scenarioId: 'blocking', stepId: 'blocking', params: { senderDelayMs: 5000 } },
      async (runId) => {
        await waitForEvent(harness.engine, (e) => e.kind === 'io.begin' && e.op === 'wait' && e.role === 'receiver');
        assert.deepEqual(queuesLeft(runId, ['box']), ['box']);
        await harness.engine.call('runs.stop', { runId });
      },
    );
    assert.equal(summary.status, 'stopped');
    assert.deepEqual(queuesLeft(summary.runId, ['box']), []);
    assert.ok(
      stored.some((e) => e.kind === 'host.cleanup' && e.removed.some((r) => r.endsWith('-box'))),
      "stored.some((e) => e.kind === 'host.cleanup' && e.removed.some((r) => r.endsWith('-box')))",
    );
    assert.deepEqual(mqueueListing(), []);
    assertNothingLeft(summary);
  });
});
