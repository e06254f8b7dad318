/**
 * The addon's POSIX message-queue calls on real queues: round trips and attributes, nonblocking EAGAIN
 * (full and empty), timeouts, messages too big for the queue or for the receive buffer, EINVAL that
 * names the /proc/sys/fs/mqueue limit, and priority order. Every queue is unlinked; the last test
 * checks that none is left (mq_open without O_CREAT says ENOENT).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { findProjectRoot } from '../../../main/project-root.js';
import { native } from '../../../main/native/index.js';

const prefix = `/ipc-lab-test-${process.pid}-`;
let counter = 0;
const made: string[] = [];
function freshName(): string {
  const name = `${prefix}${++counter}`;
  made.push(name);
  return name;
}
function cleanup(name: string): void {
  try {
    native().mqUnlink(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
function limit(file: string): number {
  return Number(readFileSync(`/proc/sys/fs/mqueue/${file}`, 'utf8').trim());
}
function errorWith(code: string, ...patterns: RegExp[]): (e: NodeJS.ErrnoException) => boolean {
  return (e) => {
    assert.equal(e.code, code, e.message);
    for (const re of patterns) assert.match(e.message, re);
    return true;
  };
}

after(() => {
  for (const name of made) cleanup(name);
});

describe('POSIX message queues (native)', () => {
  it('create, send, open elsewhere, receive; attributes come from the creator; close-on-exec', () => {
    const name = freshName();
    const a = native().mqOpen(name, { create: true, exclusive: true, maxMessages: 4, messageBytes: 64 });
    assert.deepEqual(native().mqGetattr(a), { maxMessages: 4, messageBytes: 64, currentMessages: 0, nonblock: false });
    // The descriptor is close-on-exec (flags in /proc/self/fdinfo are octal; O_CLOEXEC is 02000000).
    const flags = parseInt(/flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${a}`, 'utf8'))![1]!, 8);
    assert.ok(flags & 0o2000000, `mq descriptor ${a} is not close-on-exec (flags ${flags.toString(8)})`);

    assert.equal(native().mqSend(a, Buffer.from('first'), 0), 'ok');
    assert.equal(native().mqSend(a, new Uint8Array(0)), 'ok', 'an empty message is a message');
    const b = native().mqOpen(name, { create: false, access: 'read' });
    assert.notEqual(b, a);
    assert.deepEqual(native().mqGetattr(b), { maxMessages: 4, messageBytes: 64, currentMessages: 2, nonblock: false });

    const target = new Uint8Array(80).fill(0xee);
    assert.deepEqual(native().mqReceive(b, target), { bytes: 5, priority: 0 });
    assert.equal(Buffer.from(target.subarray(0, 5)).toString(), 'first');
    assert.equal(target[5], 0xee, 'only the message is written');
    assert.deepEqual(native().mqReceive(b, target, 1000), { bytes: 0, priority: 0 });
    assert.equal(native().mqGetattr(a).currentMessages, 0);

    // A read-only descriptor cannot send; the error says why.
    assert.throws(() => native().mqSend(b, Buffer.from('x')), errorWith('EBADF', /write access/));
    native().mqClose(b);
    native().mqClose(a);
    assert.throws(() => native().mqGetattr(a), errorWith('EBADF'));

    assert.throws(() => native().mqOpen(name, { create: true, exclusive: true, maxMessages: 1, messageBytes: 1 }), errorWith('EEXIST', /exists already/));
    native().mqUnlink(name);
    assert.throws(() => native().mqOpen(name, { create: false }), errorWith('ENOENT', /No queue has this name/));
    assert.throws(() => native().mqUnlink(name), errorWith('ENOENT'));
  });

  it('rejects bad names and options before the kernel sees them', () => {
    for (const bad of ['', '/', 'no-slash', '/a/b', '/' + 'x'.repeat(255)]) {
      assert.throws(
        () => native().mqOpen(bad, { create: false }),
        (e: NodeJS.ErrnoException) => e instanceof TypeError && /must start with '\/'/.test(e.message),
        bad,
      );
    }
    assert.throws(() => native().mqOpen('/ipc-lab-x', { create: false, maxMessages: 3 }), /only apply when creating/);
    assert.throws(() => native().mqOpen(freshName(), { create: true, maxMessages: 0, messageBytes: 8 }), /maxMessages must be a positive integer/);
    assert.throws(() => native().mqOpen(freshName(), { create: true, access: 'all' as 'both' }), /access must be 'read', 'write' or 'both'/);
  });

  it('nonblocking: EAGAIN on a full queue and on an empty one; mqSetNonblock switches per descriptor', () => {
    const name = freshName();
    const q = native().mqOpen(name, { create: true, nonblock: true, maxMessages: 2, messageBytes: 8 });
    const other = native().mqOpen(name, { create: false });
    try {
      assert.equal(native().mqGetattr(q).nonblock, true);
      const target = new Uint8Array(8);
      assert.throws(() => native().mqReceive(q, target), errorWith('EAGAIN', /empty and was opened nonblocking/));
      native().mqSend(q, Buffer.from('1'));
      native().mqSend(q, Buffer.from('2'));
      assert.throws(() => native().mqSend(q, Buffer.from('3')), errorWith('EAGAIN', /full and was opened nonblocking/));
      assert.equal(native().mqGetattr(q).currentMessages, 2, 'the refused message was not queued');

      // O_NONBLOCK belongs to the descriptor: the other one still blocks (here: times out).
      assert.equal(native().mqGetattr(other).nonblock, false);
      assert.equal(native().mqSend(other, Buffer.from('3'), 0, 20), 'timed-out');

      native().mqSetNonblock(q, false);
      assert.equal(native().mqGetattr(q).nonblock, false);
      assert.equal(native().mqSend(q, Buffer.from('3'), 0, 0), 'timed-out', 'blocking with timeout 0: only tries');
      native().mqSetNonblock(q, true);
      assert.throws(() => native().mqSend(q, Buffer.from('3')), errorWith('EAGAIN'));
    } finally {
      native().mqClose(other);
      native().mqClose(q);
      native().mqUnlink(name);
    }
  });

  it('timeouts: a full queue and an empty one wait about timeoutMs, then give up', () => {
    const name = freshName();
    const q = native().mqOpen(name, { create: true, maxMessages: 1, messageBytes: 8 });
    try {
      const target = new Uint8Array(8);
      let start = performance.now();
      assert.equal(native().mqReceive(q, target, 80), null);
      let waited = performance.now() - start;
      assert.ok(waited >= 75 && waited < 2000, `receive gave up after ${waited} ms`);

      assert.equal(native().mqSend(q, Buffer.from('x'), 0, 80), 'ok', 'room: no wait');
      start = performance.now();
      assert.equal(native().mqSend(q, Buffer.from('y'), 0, 80), 'timed-out');
      waited = performance.now() - start;
      assert.ok(waited >= 75 && waited < 2000, `send gave up after ${waited} ms`);
      assert.equal(native().mqGetattr(q).currentMessages, 1);
      assert.throws(() => native().mqSend(q, Buffer.from('y'), 0, Number.NaN), /timeoutMs must be a number/);
    } finally {
      native().mqClose(q);
      native().mqUnlink(name);
    }
  });

  it('a message too big for the queue, and a receive buffer smaller than messageBytes: EMSGSIZE with both sizes', () => {
    const name = freshName();
    const q = native().mqOpen(name, { create: true, maxMessages: 2, messageBytes: 16 });
    try {
      assert.throws(() => native().mqSend(q, new Uint8Array(17)), errorWith('EMSGSIZE', /17 bytes/, /at most 16 bytes/));
      native().mqSend(q, new Uint8Array(16));
      // Even a 1-byte message needs room for the largest possible one.
      assert.throws(() => native().mqReceive(q, new Uint8Array(15)), errorWith('EMSGSIZE', /target holds 15 bytes/, /up to 16 bytes/, /new Uint8Array\(16\)/));
      assert.equal(native().mqGetattr(q).currentMessages, 1, 'the message stays queued');
      assert.deepEqual(native().mqReceive(q, new Uint8Array(16)), { bytes: 16, priority: 0 });
    } finally {
      native().mqClose(q);
      native().mqUnlink(name);
    }
  });

  it('EINVAL on create names the limit file and its value', () => {
    const msgMax = limit('msg_max');
    const msgsizeMax = limit('msgsize_max');
    // Past the kernel's hard limits (65536 messages, 16 MiB): refused even for root.
    assert.throws(
      () => native().mqOpen(freshName(), { create: true, maxMessages: 70_000, messageBytes: 8 }),
      errorWith('EINVAL', new RegExp(`maxMessages 70000 is more than the system limit: /proc/sys/fs/mqueue/msg_max is ${msgMax}`), /Fix: ask for at most/),
    );
    assert.throws(
      () => native().mqOpen(freshName(), { create: true, maxMessages: 1, messageBytes: 17_000_000 }),
      errorWith('EINVAL', new RegExp(`messageBytes 17000000 is more than the system limit: /proc/sys/fs/mqueue/msgsize_max is ${msgsizeMax}`)),
    );
  });

  it('an ordinary user asking for msg_max + 1 messages gets EINVAL naming msg_max', (t) => {
    const name = freshName();
    const script = `
      const n = require(${JSON.stringify(join(findProjectRoot(), 'build', 'Release', 'ipc_lab_native.node'))});
      try { const q = n.mqOpen(${JSON.stringify(name)}, { create: true, maxMessages: ${limit('msg_max') + 1}, messageBytes: 8 });
            n.mqClose(q); n.mqUnlink(${JSON.stringify(name)}); console.log(JSON.stringify({ opened: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    // As root (CAP_SYS_RESOURCE) msg_max does not apply: run the attempt as user nobody, for real.
    const asNobody = process.getuid?.() === 0;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', ...(asNobody ? { uid: 65534, gid: 65534 } : {}) });
    if (run.status !== 0 && asNobody) return t.skip(`cannot run as nobody here: ${run.stderr}`);
    assert.equal(run.status, 0, run.stderr);
    const outcome = JSON.parse(run.stdout) as { code?: string; message?: string; opened?: boolean };
    assert.equal(outcome.code, 'EINVAL', JSON.stringify(outcome));
    assert.match(
      outcome.message!,
      new RegExp(`maxMessages ${limit('msg_max') + 1} is more than the system limit: /proc/sys/fs/mqueue/msg_max is ${limit('msg_max')}`),
    );
    assert.doesNotMatch(outcome.message!, /runs as root/);
  });

  it('a queue of a million messages is refused with EINVAL, privileged or not (HARD_MSGMAX is 65536)', () => {
    // What the message-passing lab's kernel-limits check relies on: no mailbox is unbounded.
    assert.throws(() => native().mqOpen(freshName(), { create: true, maxMessages: 1_000_000, messageBytes: 256 }), errorWith('EINVAL'));
  });

  it("/proc/<pid>/fd names a queue descriptor by the queue's name, relative to the mqueue file system", () => {
    // What the lab's checks read in kernel.snapshot: "/ipc-lab-…", not "/dev/mqueue/ipc-lab-…".
    const name = freshName();
    const mqd = native().mqOpen(name, { create: true, exclusive: true, maxMessages: 1, messageBytes: 8 });
    try {
      assert.equal(readlinkSync(`/proc/self/fd/${mqd}`), name);
    } finally {
      native().mqClose(mqd);
      cleanup(name);
    }
  });

  it('priority order: highest first, equal priorities in the order sent; the priority comes back', () => {
    const name = freshName();
    const q = native().mqOpen(name, { create: true, maxMessages: 8, messageBytes: 8 });
    try {
      const sent: [string, number][] = [
        ['a', 0],
        ['b', 5],
        ['c', 1],
        ['d', 5],
        ['e', 0],
        ['f', 31],
      ];
      for (const [text, priority] of sent) native().mqSend(q, Buffer.from(text), priority);
      const target = new Uint8Array(8);
      const got: string[] = [];
      for (let i = 0; i < sent.length; i++) {
        const { bytes, priority } = native().mqReceive(q, target, 0)!;
        got.push(`${Buffer.from(target.subarray(0, bytes)).toString()}${priority}`);
      }
      assert.deepEqual(got, ['f31', 'b5', 'd5', 'c1', 'a0', 'e0']);
      assert.throws(() => native().mqSend(q, Buffer.from('x'), -1), RangeError);
      assert.throws(() => native().mqSend(q, Buffer.from('x'), 32768), /priority must be an integer from 0 to 32767/);
    } finally {
      native().mqClose(q);
      native().mqUnlink(name);
    }
  });

  it('leaves no queue behind', () => {
    for (const name of made) {
      assert.throws(() => native().mqOpen(name, { create: false }), errorWith('ENOENT'), `${name} is still there`);
    }
  });
});
