/**
 * The addon's peerCredentials (getsockopt SO_PEERCRED, unix(7)) on a real Unix socket: it names the
 * process that connected, not the one holding the other end, and the peer's user; on a descriptor that
 * is not a socket it throws ENOTSOCK. The socket lives in a private temporary directory, removed at the end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { native } from '../../../main/native/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-peer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

describe('peerCredentials', () => {
  it('names the process that connected, and its user', async () => {
    const path = join(dir, 'peer.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    // Another process connects, and waits for its stdin to close.
    const child = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(path)}); process.stdin.resume().on('end', () => process.exit(0))`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const socket = await accepted;
      const peer = native().peerCredentials(fdOf(socket));
      assert.equal(peer.pid, child.pid);
      assert.equal(peer.uid, process.getuid!());
      assert.equal(peer.gid, process.getgid!());
      socket.destroy();
    } finally {
      child.stdin!.end();
      await exited;
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('throws ENOTSOCK on a descriptor that is not a socket', () => {
    const fd = openSync(join(dir, 'plain'), 'w');
    try {
      assert.throws(() => native().peerCredentials(fd), { code: 'ENOTSOCK', syscall: 'getsockopt(SO_PEERCRED)' });
    } finally {
      closeSync(fd);
    }
  });
});
