/** The kernel view's words: which descriptors are the runtime's, and how an ended process reads. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEnd, heldByTwoOrMore, isRuntimeFd, runtimeKinds } from '../../../renderer/src/lib/kernel-words.js';

test("only the engine's mark makes a descriptor the runtime's", () => {
  // What /proc/<pid>/fd of a lab process shows: the lab's pipe, libuv's pipes and eventfd, the trace channel.
  const fds = [
    { fd: 3, target: 'pipe:[13517]' },
    { fd: 4, target: 'pipe:[13510]', runtime: "Node's event loop" },
    { fd: 5, target: 'anon_inode:[eventfd]', runtime: "Node's event loop" },
    { fd: 17, target: 'socket:[13515]', runtime: 'trace channel' },
    { fd: 20, target: 'anon_inode:[eventpoll]' },
  ];
  assert.deepEqual(
    fds.filter((fd) => !isRuntimeFd(fd)).map((fd) => fd.fd),
    [3, 20],
  );
  assert.deepEqual(runtimeKinds([{ fds }]), ["Node's event loop", 'trace channel']);
});

test('an ended process says how, and that it holds nothing any more', () => {
  const killed = describeEnd({ code: null, signal: 'SIGTERM', seenIn: 'child.exit' });
  assert.equal(killed.tag, 'killed by SIGTERM');
  assert.match(killed.text, /^Its parent's waitpid\(\) reported it killed by SIGTERM\./);
  assert.doesNotMatch(killed.text + killed.tag, /sleep/i);
  assert.equal(describeEnd({ code: 0, signal: null, seenIn: 'process.exit' }).tag, 'exited (code 0)');
  assert.equal(describeEnd(null, { code: null, signal: null }).tag, 'ended');
});

test('one pipe in two processes is found from both ends; a pipe in one process is not shared', () => {
  const snapshots = [
    { pid: 1, keys: ['pipe:[10]', 'pipe:[11]'] },
    { pid: 2, keys: ['pipe:[10]'] },
    { pid: 3, keys: ['pipe:[12]', 'pipe:[12]'] },
  ];
  assert.deepEqual(
    heldByTwoOrMore(snapshots, (s) => s.keys),
    [{ key: 'pipe:[10]', pids: [1, 2] }],
  );
});
