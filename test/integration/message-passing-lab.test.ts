/**
 * The message-passing lab on real processes and real POSIX message queues: every step's checks pass
 * on a correct run and fail on one that does not show the behaviour, and no queue is left behind.
 */
import { memoryTrace } from '../../main/engine/check-kit.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunSummary } from '../../main/contract/lab-model.js';
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

/** What the run's checks measured, for grading answers: id → "value unit" (undefined when no check measured it). */
function measured(summary: Pick<RunSummary, 'checks'>, id: string): string | undefined {
  const m = summary.checks.flatMap((c) => c.measurements ?? []).find((x) => x.id === id);
  return m && `${m.value} ${m.unit}`;
}

function measuredValue(summary: Pick<RunSummary, 'checks'>, id: string, unit: string): number {
  const m = summary.checks.flatMap((c) => c.measurements ?? []).find((x) => x.id === id);
  assert.ok(m, `the run measured ${id}`);
  assert.equal(m.unit, unit, `${id} is in ${unit}`);
  return m.value;
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
    // The measurements the questions are graded against agree with the kernel view.
    assert.equal(measured(summary, 'alice-bob-queues'), '2 queues');
    assert.equal(measured(summary, 'inbox-holders'), `${holders('inbox').length} processes`);
    assert.equal(measured(summary, 'receiver-queues'), '1 queues');

    // No parameter removes the behaviour, so the checks are shown to fail on the same trace without it.
    const trace = traceOf({ run: summary, stored });
    const bobUnseen = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'bob')) };
    assert.equal(checks['direct-links'].check(memoryTrace(bobUnseen)).passed, false, 'bob never seen holding the links');
    const thirdParty = {
      ...trace,
      events: trace.events.map((e) =>
        e.kind === 'kernel.snapshot' && e.role === 'sender-1' ? { ...e, fds: [...e.fds, { fd: 99, target: `${prefix}link-alice-bob` }] } : e,
      ),
    };
    assert.equal(checks['direct-links'].check(memoryTrace(thirdParty)).passed, false, 'a link held by a third process');
    const senderUnseen = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'sender-2')) };
    assert.equal(checks['shared-mailbox'].check(memoryTrace(senderUnseen)).passed, false);

    // The variants: one queue for both directions; a mailbox per sender.
    const oneQueue = await run('naming', 'naming', { aliceBobQueues: 'one' });
    assert.deepEqual(checksOf(oneQueue.run), { 'direct-links': false, 'shared-mailbox': true });
    assert.equal(measured(oneQueue.run, 'alice-bob-queues'), '1 queues');
    assert.deepEqual(queuesLeft(oneQueue.run.runId, ['talk', 'inbox']), []);
    assertNothingLeft(oneQueue.run);
    const perSender = await run('naming', 'naming', { inboxes: 'per-sender' });
    assert.deepEqual(checksOf(perSender.run), { 'direct-links': true, 'shared-mailbox': false });
    assert.equal(measured(perSender.run, 'receiver-queues'), '3 queues');
    assert.equal(measured(perSender.run, 'inbox-holders'), undefined, 'no shared inbox to count holders of');
    assert.deepEqual(queuesLeft(perSender.run.runId, ['inbox-1', 'inbox-2', 'inbox-3']), []);
    assertNothingLeft(perSender.run);
    const twoSenders = { ...trace, events: trace.events.filter((e) => e.role !== 'sender-3') };
    assert.equal(checks['shared-mailbox'].check(memoryTrace(twoSenders)).passed, false);
    const lost = { ...trace, events: trace.events.filter((e) => !(e.kind === 'message.receive' && e.role === 'receiver' && e.messageId === 2001)) };
    assert.equal(checks['shared-mailbox'].check(memoryTrace(lost)).passed, false);
    // Messages left in the queue, by the kernel's count after the last receive, fail it too.
    const lastLevel = stored.filter((e) => e.kind === 'buffer.level' && e.role === 'receiver' && e.channel === 'mailbox inbox').at(-1)!;
    const left = { ...trace, events: trace.events.map((e) => (e === lastLevel ? { ...e, used: 1 } : e)) };
    assert.equal(checks['shared-mailbox'].check(memoryTrace(left)).passed, false);
  });

  it('step who-sent: the kernel (SO_PEERCRED) names the process behind each connection, and a sender that lies is caught by pid', async () => {
    const { run: summary, stored } = await run('identity', 'who-sent');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    // The kernel's answer per connection is a pid the engine saw start as one of the senders, a different one each.
    const senderPids = summary.processes.filter((p) => p.role.startsWith('sender-')).map((p) => p.pid);
    const answers = stored.filter((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === 'SO_PEERCRED pid');
    assert.equal(answers.length, stored.filter((e) => e.kind === 'message.receive').length, 'one kernel answer per message');
    assert.deepEqual([...new Set(answers.map((e) => e.value))].sort(), [...senderPids].sort());
    assert.ok(
      answers.every((e) => e.detail?.includes(`(uid ${process.getuid!()},`)),
      'the senders run as this user',
    );
    // Sends and receives share the channel and id, so the timeline draws an arrow from each sender.
    const sendKeys = stored.filter((e) => e.kind === 'message.send').map((e) => `${e.channel} ${e.messageId}`);
    assert.deepEqual(
      stored
        .filter((e) => e.kind === 'message.receive')
        .map((e) => `${e.channel} ${e.messageId}`)
        .sort(),
      sendKeys.sort(),
    );
    assert.equal(measured(summary, 'false-claims'), '0 messages');
    assert.equal(measured(summary, 'peer-pids'), '3 processes');
    assertNothingLeft(summary);

    // Without the kernel's answer, a claim cannot be checked: the check fails rather than trust the text.
    const trace = traceOf({ run: summary, stored });
    const unasked = { ...trace, events: trace.events.filter((e) => !(e.kind === 'measure' && e.name === 'SO_PEERCRED pid')) };
    assert.equal(checks['senders-verified'].check(memoryTrace(unasked)).passed, false);

    // The control: sender-3 writes "from sender-1"; the check names sender-3 by the pid the kernel gave.
    const liar = await run('identity', 'who-sent', { liar: 'sender-3' });
    assert.deepEqual(checksOf(liar.run), { 'senders-verified': false });
    const liarPid = liar.run.processes.find((p) => p.role === 'sender-3')!.pid;
    const sender1Pid = liar.run.processes.find((p) => p.role === 'sender-1')!.pid;
    const detail = liar.run.checks[0]!.detail;
    assert.match(detail, new RegExp(`^pid ${liarPid} \\(sender-3\\) claimed to be sender-1 \\(pid ${sender1Pid}\\) in ${liar.run.params.messages} messages`));
    assert.equal(measured(liar.run, 'false-claims'), `${liar.run.params.messages} messages`);
    assertNothingLeft(liar.run);
  });

  it('native: RLIMIT_MSGQUEUE is read and set per process, and a bad limit is refused with a sentence naming it', () => {
    const own = native().messageQueueLimit();
    assert.ok(own.soft <= own.hard, `${own.soft} <= ${own.hard}`);
    try {
      native().setMessageQueueLimit(own.soft - 1000);
      assert.equal(native().messageQueueLimit().soft, own.soft - 1000);
      assert.equal(native().messageQueueLimit().hard, own.hard, 'the hard limit stays');
      if (Number.isFinite(own.hard))
        assert.throws(() => native().setMessageQueueLimit(own.hard + 1, own.hard), { code: 'EINVAL', message: /soft limit may not be above the hard limit/ });
      assert.throws(() => native().setMessageQueueLimit(-1), { code: 'EARGS', message: /soft must be a whole number of bytes/ });
      assert.throws(() => native().setMessageQueueLimit(1.5), { code: 'EARGS' });
    } finally {
      native().setMessageQueueLimit(own.soft);
    }
    assert.deepEqual(native().messageQueueLimit(), own);
  });

  it('step blocking: a blocking receive waits, a non-blocking one returns the null message, a send to a full mailbox fails with EAGAIN', async () => {
    const { run: summary, stored } = await run('blocking', 'blocking');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    // The receive waited about the sender's 800 ms (the check passes from 400 ms on); 3 sends filled the mailbox.
    const waited = stored.filter((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.role === 'receiver' && e.op === 'wait');
    assert.equal(measuredValue(summary, 'receive-wait', 'ms'), Math.round(Math.max(...waited.map((e) => Number(e.durationNs))) / 1e6));
    assert.ok(measuredValue(summary, 'receive-wait', 'ms') >= 400, measured(summary, 'receive-wait'));
    assert.equal(measured(summary, 'sends-before-refused'), '3 messages');
    assert.equal(measured(summary, 'queued-when-refused'), '3 messages');
    assertNothingLeft(summary);
    const quick = await run('blocking', 'blocking', { senderDelayMs: 0 });
    assert.equal(checksOf(quick.run)['blocking-receive-waits'], false, 'with no delay the first receive may not wait long');
    assertNothingLeft(quick.run);
  });

  it('step buffering: bounded, zero and unbounded each behave as the textbook says', async () => {
    for (const buffering of ['bounded', 'zero', 'unbounded']) {
      const { run: summary, stored } = await run('buffering', 'buffering', { buffering });
      assert.equal(summary.status, 'passed', `${buffering}: ${JSON.stringify(summary.checks, null, 2)}`);
      // 8 messages, a receiver at 150 ms each: bounded (3) waits for the 5 that do not fit, zero for every one, unbounded never.
      assert.equal(measured(summary, 'sender-waits'), `${{ bounded: 5, zero: 8, unbounded: 0 }[buffering]} waits`, buffering);
      if (buffering === 'bounded') assert.equal(measured(summary, 'peak-depth'), '3 messages');
      if (buffering === 'zero') assert.equal(measured(summary, 'peak-depth'), undefined, 'a rendezvous has no mailbox of waiting messages');
      if (buffering === 'unbounded') assert.ok(measuredValue(summary, 'peak-depth', 'messages') <= 8, measured(summary, 'peak-depth'));
      assert.equal(measuredValue(summary, 'msg-max', 'messages'), Number(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8')));
      assertNothingLeft(summary);
      if (buffering === 'zero') {
        // A sender that got ahead of the receiver (it took each message late) is no rendezvous.
        const trace = traceOf({ run: summary, stored });
        const late = {
          ...trace,
          events: trace.events.map((e) => (e.kind === 'buffer.level' && e.role === 'receiver' ? { ...e, ts: '99999999999999999' } : e)),
        };
        assert.equal(checks['buffering-behaviour'].check(memoryTrace(late)).passed, false);
      }
    }
    const fast = await run('buffering', 'buffering', { buffering: 'bounded', receiverDelayMs: 0, messages: 2 });
    assert.equal(checksOf(fast.run)['buffering-behaviour'], false, 'a bounded mailbox that never fills shows no waiting');
    assert.equal(measured(fast.run, 'sender-waits'), '0 waits');
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
    assert.equal(measured(summary, 'too-long-taken'), '0 bytes', 'refused whole, not cut');
    assert.equal(measured(summary, 'fixed-bytes'), `${500 * longest} bytes`);
    assert.equal(measuredValue(summary, 'variable-bytes', 'bytes'), value('variable: bytes'));
    assertNothingLeft(summary);

    // Records all of one length leave nothing to pad: the check fails.
    const equal = await run('sizes', 'message-size', { records: 500, recordLengths: 'equal' });
    assert.deepEqual(checksOf(equal.run), { 'sizes-compared': false });
    assertNothingLeft(equal.run);
  });

  it('step queue-reservation: empty queues reserve their slots, and the kernel refuses the first that would pass RLIMIT_MSGQUEUE', async () => {
    const { run: summary, stored } = await run('reservation', 'queue-reservation');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    const value = (name: string) => stored.find((e): e is StoredEventOf<'measure'> => e.kind === 'measure' && e.name === name)?.value;
    const limit = value('RLIMIT_MSGQUEUE')!;
    assert.equal(limit, value('other reserved bytes before')! + Number(summary.params.limitBytes), 'the soft limit the program gave itself');
    assert.equal(measured(summary, 'reserved-per-queue'), `${10 * 8192} bytes`);
    const granted = measuredValue(summary, 'queues-granted', 'queues');
    assert.equal(stored.filter((e) => e.kind === 'object.create' && e.role === 'creator').length, granted);
    assert.ok(
      stored.some((e) => e.kind === 'io.error' && e.role === 'creator' && e.op === 'open' && e.code === 'EMFILE'),
      'the next queue was refused with EMFILE',
    );
    // The kernel answers the same for this process: under the same soft limit (this user's other queues
    // unchanged), the same queues are granted as many times, and the next is refused with EMFILE.
    if (value('other reserved bytes before') === 0 && value('other reserved bytes at refusal') === 0) {
      const own = native().messageQueueLimit();
      const made: string[] = [];
      let refused: string | undefined;
      try {
        native().setMessageQueueLimit(limit);
        for (let k = 0; k <= granted && refused === undefined; k++) {
          const name = `/ipc-lab-test-${process.pid}-reservation-${k}`;
          try {
            native().mqClose(native().mqOpen(name, { create: true, exclusive: true, maxMessages: 10, messageBytes: 8192 }));
            made.push(name);
          } catch (error) {
            refused = (error as NodeJS.ErrnoException).code;
          }
        }
      } finally {
        native().setMessageQueueLimit(own.soft);
        for (const name of made) native().mqUnlink(name);
      }
      assert.deepEqual({ made: made.length, refused }, { made: granted, refused: 'EMFILE' });
    }
    assert.deepEqual(mqueueListing(), [], 'every queue removed');
    assertNothingLeft(summary);

    // A refusal for another reason (queues_max: ENOSPC), or queues the kernel view never showed held, fail.
    const trace = traceOf({ run: summary, stored });
    const enospc = { ...trace, events: trace.events.map((e) => (e.kind === 'io.error' && e.role === 'creator' ? { ...e, code: 'ENOSPC' } : e)) };
    assert.equal(checks['reservation-refused'].check(memoryTrace(enospc)).passed, false);
    const unseen = { ...trace, events: trace.events.filter((e) => !(e.kind === 'kernel.snapshot' && e.role === 'creator')) };
    assert.equal(checks['reservation-refused'].check(memoryTrace(unseen)).passed, false);
    // A refusal earlier than the accounting allows (the limit twice as high as the program said) fails.
    const early = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'measure' && e.name === 'RLIMIT_MSGQUEUE' ? { ...e, value: 2 * e.value } : e)),
    };
    assert.equal(checks['reservation-refused'].check(memoryTrace(early)).passed, false);

    // The control: 64-byte slots reserve so little that every queue the program tries fits.
    const small = await run('reservation', 'queue-reservation', { messageBytes: 64 });
    assert.deepEqual(checksOf(small.run), { 'reservation-refused': false });
    assert.equal(measured(small.run, 'queues-granted'), `${small.run.params.attempts} queues`);
    assert.deepEqual(mqueueListing(), []);
    assertNothingLeft(small.run);
  });

  it('step fragments: a message longer than mq_msgsize crosses as fragments and is put back together; sent whole it is EMSGSIZE', async () => {
    const { run: summary, stored } = await run('fragments', 'fragments');
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    // 3,000 bytes in fragments of at most 256 - 8 bytes of data: 13 each, none longer than the mailbox's 256.
    assert.equal(measured(summary, 'fragments-per-message'), '13 fragments');
    assert.equal(measured(summary, 'largest-fragment'), '256 bytes');
    const sends = stored.filter((e): e is StoredEventOf<'message.send'> => e.kind === 'message.send');
    const receives = stored.filter((e): e is StoredEventOf<'message.receive'> => e.kind === 'message.receive');
    assert.equal(receives.length, 4);
    assert.deepEqual(receives.map((e) => e.text).sort(), sends.map((e) => e.text).sort(), 'every message came out as it went in');
    assert.deepEqual(mqueueListing(), []);
    assertNothingLeft(summary);

    // A message put back together wrong (a lost or misplaced fragment changes its digest) fails.
    const trace = traceOf({ run: summary, stored });
    const garbled = {
      ...trace,
      events: trace.events.map((e) => (e.kind === 'message.receive' ? { ...e, text: e.text!.replace(/sha-256 \w+/, 'sha-256 0000000000000000') } : e)),
    };
    assert.equal(checks['fragments-reassembled'].check(memoryTrace(garbled)).passed, false);

    // The control: sent whole, each message is refused with EMSGSIZE, nothing of it queued.
    const whole = await run('fragments', 'fragments', { fragment: false });
    assert.deepEqual(checksOf(whole.run), { 'fragments-reassembled': false });
    assert.equal(whole.stored.filter((e) => e.kind === 'io.error' && e.code === 'EMSGSIZE').length, 4);
    assert.equal(whole.stored.filter((e) => e.kind === 'message.receive').length, 0);
    assertNothingLeft(whole.run);
    // Messages that fit need no fragments: there is nothing for the step to show.
    const short = await run('fragments', 'fragments', { messageBytes: 100 });
    assert.deepEqual(checksOf(short.run), { 'fragments-reassembled': false });
    assertNothingLeft(short.run);
  });

  it('step several-receivers: each message reaches exactly one receiver', async () => {
    // The step randomises its message count per student: this data folder's pick is in the run's params.
    const { run: summary, stored } = await run('receivers', 'several-receivers');
    const messages = Number(summary.params.messages);
    assert.ok([45, 60, 75, 90].includes(messages), `${messages} is one of the step's values`);
    assert.equal(summary.status, 'passed', JSON.stringify(summary.checks, null, 2));
    assert.equal(stored.filter((e) => e.kind === 'message.receive').length, messages);
    assert.equal(measured(summary, 'messages-received'), `${messages} messages`);
    assert.equal(measured(summary, 'received-twice'), '0 messages');
    assert.equal(measured(summary, 'receivers-served'), '3 processes');
    const busiest = measuredValue(summary, 'busiest-receiver', 'messages');
    const idlest = measuredValue(summary, 'idlest-receiver', 'messages');
    assert.ok(busiest >= messages / 3 && idlest <= messages / 3 && idlest > 0, `${busiest} and ${idlest} of ${messages}`);
    assertNothingLeft(summary);
    const one = await run('receivers', 'several-receivers', { messages: 1 });
    assert.equal(checksOf(one.run)['exactly-one-receiver'], true);
    assert.equal(checksOf(one.run)['all-receivers-worked'], false, 'one message cannot reach three receivers');
    const trace = traceOf({ run: summary, stored });
    const twice = { ...trace, events: [...trace.events, ...trace.events.filter((e) => e.kind === 'message.receive').slice(0, 1)] };
    assert.equal(checks['exactly-one-receiver'].check(memoryTrace(twice)).passed, false);
    const copies = await run('receivers', 'several-receivers', { mailboxes: 'one per receiver' });
    assert.equal(checksOf(copies.run)['exactly-one-receiver'], false, 'a mailbox each: every receiver gets a copy of every message');
    assert.equal(copies.run.params.messages, messages, "the control runs with the student's own count");
    assert.equal(copies.stored.filter((e) => e.kind === 'message.receive').length, 3 * messages);
    assert.equal(measured(copies.run, 'messages-received'), `${3 * messages} messages`);
    assert.equal(measured(copies.run, 'received-twice'), `${messages} messages`);
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
