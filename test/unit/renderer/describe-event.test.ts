/**
 * The event list's sentences say each fact once: an errno's code, an object's type, a process's end.
 * The messages are the ones real runs produce: Node's fs errors, the addon's, Node's socket errors,
 * and the lab runtime's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredEvent, TraceEventFields } from '../../../main/contract/trace-events.js';
import { describeEvent, errnoText } from '../../../renderer/src/lib/trace/describe-event.js';

function ev<K extends keyof TraceEventFields>(kind: K, fields: TraceEventFields[K]): StoredEvent {
  return { v: 1, ts: '1000', pid: 42, role: 'child', kind, runId: 1, seq: 1, ...fields } as unknown as StoredEvent;
}

function occurrences(text: string, word: string): number {
  return text.split(word).length - 1;
}

test('an io.error names its errno once, with what it means', () => {
  assert.equal(
    describeEvent(ev('io.error', { op: 'write', channel: 'pipe', code: 'EBADF', message: 'EBADF: bad file descriptor, write' })),
    'write(pipe) failed: EBADF (bad file descriptor)',
  );
  const table: [string, string, string][] = [
    ['ENOENT', "ENOENT: no such file or directory, open '/tmp/run/x.fifo'", "ENOENT (no such file or directory: '/tmp/run/x.fifo')"],
    ['EPIPE', 'write: Broken pipe (EPIPE)', 'EPIPE (broken pipe)'],
    [
      'ENOENT',
      "mq_open '/q': No such file or directory (ENOENT). Another process unlinked it.",
      "ENOENT (no such file or directory: '/q') — Another process unlinked it.",
    ],
    ['EPIPE', 'write EPIPE', 'EPIPE'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:7070', 'ECONNREFUSED (127.0.0.1:7070)'],
    ['EACCES', 'bind 127.0.0.1:80: EACCES: binding 127.0.0.1:80 needs a privilege', 'EACCES — bind 127.0.0.1:80: binding 127.0.0.1:80 needs a privilege'],
    ['ETIMEDOUT', 'gave up waiting on buffer after 100 ms', 'ETIMEDOUT — gave up waiting on buffer after 100 ms'],
    ['EOWNERDEAD', 'EOWNERDEAD', 'EOWNERDEAD'],
  ];
  for (const [code, message, expected] of table) {
    const text = errnoText(code, message);
    assert.equal(text, expected);
    assert.equal(occurrences(text, code), 1, text);
  }
});

test('an RPC error names its call and code once', () => {
  const text = describeEvent(
    ev('rpc.error', { channel: 'bank', xid: 5, procedure: 'add', code: 'timeout', message: 'add (xid 5): no reply after 3 attempts of 200 ms each.' }),
  );
  assert.equal(text, 'RPC error: timeout — add (xid 5): no reply after 3 attempts of 200 ms each.');
  const bare = describeEvent(ev('rpc.error', { channel: 'bank', code: 'ECONNRESET', message: 'connection to 127.0.0.1:7070: read ECONNRESET' }));
  assert.equal(occurrences(bare, 'ECONNRESET'), 1, bare);
});

test('an object is named once: "pipe:[13517]" already says it is a pipe', () => {
  const pipe = describeEvent(
    ev('object.create', { channel: 'pipe', object: { type: 'pipe', name: 'pipe:[13517]', inode: 13517 }, detail: 'read end fd 18, write end fd 19' }),
  );
  assert.equal(pipe, 'created pipe:[13517] — read end fd 18, write end fd 19');
  const queue = describeEvent(ev('object.open', { channel: 'box', object: { type: 'mqueue', name: '/ipc-lab-1-2-box' } }));
  assert.equal(queue, 'opened mqueue /ipc-lab-1-2-box');
  const segment = describeEvent(ev('object.create', { channel: 'buffer', object: { type: 'shm', name: '/ipc-lab-1-2-seg' } }));
  assert.equal(segment, 'buffer: created shm /ipc-lab-1-2-seg');
});

test('how a process ended, once', () => {
  assert.equal(
    describeEvent(ev('child.exit', { childPid: 7, childRole: 'child', code: null, signal: 'SIGTERM' })),
    'waitpid: child (pid 7) was killed by SIGTERM',
  );
  assert.equal(describeEvent(ev('host.exit', { code: null, signal: 'SIGKILL' })), 'killed by SIGKILL');
  assert.equal(describeEvent(ev('host.exit', { code: 0, signal: null })), 'exited with code 0');
});

test('open() moves no bytes: its begin and end say how long it took, not "0 B"', () => {
  assert.equal(describeEvent(ev('io.begin', { op: 'open', channel: 'chat', bytes: 0 })), 'open(chat) …');
  assert.equal(describeEvent(ev('io.end', { op: 'open', channel: 'chat', bytes: 0, durationNs: '991000000' })), 'open(chat) returned after 991 ms');
});

test('every kind of the schema has its own sentence, not the fallback for kinds newer than the view', async () => {
  const { LAB_EVENT_KINDS } = await import('../../../main/contract/trace-events.js');
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(new URL('../../../renderer/src/lib/trace/describe-event.ts', import.meta.url), 'utf8');
  const missing = LAB_EVENT_KINDS.filter((kind) => !source.includes(`case '${kind}':`));
  assert.deepEqual(missing, []);
  assert.equal(
    describeEvent(
      ev('rpc.ledger', {
        channel: 'bank',
        path: '/tmp/run/bank.log',
        bytes: 120,
        reason: 'recovery',
        entries: [{ xid: 1, procedure: 'add', args: '1', result: '1' }],
        torn: 1,
      }),
    ),
    'read its log /tmp/run/bank.log back when it started again: 1 execution in 120 B, 1 torn line (not whole records) left out',
  );
});
