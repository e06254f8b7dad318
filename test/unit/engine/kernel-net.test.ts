/**
 * The kernel view's socket tables (/proc/net/tcp, tcp6, unix) against real sockets this test opens:
 * each socket:[inode] descriptor of this process gets its addresses and state as the kernel shows them.
 */
import assert from 'node:assert/strict';
import { fstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProcNetAddress, NetTables, parseProcNetTcp, parseProcNetUnix, snapshotProcess } from '../../../main/engine/kernel-view.js';

const linux = process.platform === 'linux';

function inodeOf(handle: Server | Socket): number {
  return fstatSync((handle as unknown as { _handle: { fd: number } })._handle.fd).ino;
}

function listening(server: Server, options: object): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve());
  });
}

function connected(options: { host?: string; port?: number; path?: string }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(options as never, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('kernel view: sockets', { skip: linux ? false : 'the kernel view reads /proc: Linux only' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-kernel-net-'));
  const tcpServer = createServer((s) => accepted.push(s));
  const unixServer = createServer((s) => accepted.push(s));
  const accepted: Socket[] = [];
  let tcpClient: Socket;
  let unixClient: Socket;
  const unixPath = join(dir, 'test.sock');

  before(async () => {
    await listening(tcpServer, { host: '127.0.0.1', port: 0 });
    await listening(unixServer, { path: unixPath });
    tcpClient = await connected({ host: '127.0.0.1', port: (tcpServer.address() as { port: number }).port });
    unixClient = await connected({ path: unixPath });
    while (accepted.length < 2) await new Promise((r) => setImmediate(r));
  });
  after(() => {
    for (const s of [tcpClient, unixClient, ...accepted]) s.destroy();
    tcpServer.close();
    unixServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes /proc/net addresses (host-order words) into what a student reads', () => {
    if (endianness() === 'LE') {
      assert.equal(decodeProcNetAddress('0100007F:1B9E'), '127.0.0.1:7070');
      assert.equal(decodeProcNetAddress('00000000:0050'), '0.0.0.0:80');
      assert.equal(decodeProcNetAddress('00000000000000000000000001000000:1B9E'), '[::1]:7070');
      assert.equal(decodeProcNetAddress('0000000000000000FFFF00000100007F:0016'), '[::ffff:127.0.0.1]:22');
      assert.equal(decodeProcNetAddress('000080FE00000000FF00FC0201FFFE00:0016').startsWith('[fe80::'), true);
    } else {
      assert.equal(decodeProcNetAddress('7F000001:1B9E'), '127.0.0.1:7070');
    }
  });

  it('finds a real TCP listener and both ends of a real connection in /proc/net/tcp', () => {
    const port = (tcpServer.address() as { port: number }).port;
    const table = parseProcNetTcp(readFileSync('/proc/self/net/tcp', 'utf8'));
    assert.deepEqual(table.get(inodeOf(tcpServer)), { transport: 'tcp', local: `127.0.0.1:${port}`, state: 'LISTEN' });
    const client = `127.0.0.1:${tcpClient.localPort}`;
    assert.deepEqual(table.get(inodeOf(tcpClient)), { transport: 'tcp', local: client, remote: `127.0.0.1:${port}`, state: 'ESTABLISHED' });
    const serverSide = accepted.find((s) => s.remotePort === tcpClient.localPort)!;
    assert.deepEqual(table.get(inodeOf(serverSide)), { transport: 'tcp', local: `127.0.0.1:${port}`, remote: client, state: 'ESTABLISHED' });
  });

  it('finds a real Unix listener (its path, LISTEN) and its connected sockets in /proc/net/unix', () => {
    const table = parseProcNetUnix(readFileSync('/proc/self/net/unix', 'utf8'));
    assert.deepEqual(table.get(inodeOf(unixServer)), { transport: 'unix', local: unixPath, state: 'LISTEN' });
    assert.deepEqual(table.get(inodeOf(unixClient)), { transport: 'unix', local: '(unnamed)', state: 'CONNECTED' });
    const serverSide = accepted.find((s) => s !== accepted.find((a) => a.remotePort === tcpClient.localPort))!;
    assert.deepEqual(table.get(inodeOf(serverSide)), { transport: 'unix', local: unixPath, state: 'CONNECTED' });
  });

  it('a snapshot of this process attaches the socket to each socket:[inode] descriptor', () => {
    const snapshot = snapshotProcess(process.pid, new NetTables())!;
    const byInode = new Map(snapshot.fds.filter((fd) => fd.target.startsWith('socket:[')).map((fd) => [Number(fd.target.slice(8, -1)), fd.socket]));
    assert.equal(byInode.get(inodeOf(tcpServer))?.state, 'LISTEN');
    assert.equal(byInode.get(inodeOf(tcpClient))?.state, 'ESTABLISHED');
    assert.equal(byInode.get(inodeOf(unixServer))?.local, unixPath);
    // Descriptors that are not sockets carry no socket field.
    assert.ok(
      snapshot.fds.filter((fd) => !fd.target.startsWith('socket:[')).every((fd) => fd.socket === undefined),
      "snapshot.fds.filter((fd) => !fd.target.startsWith('socket:[')).every((fd) => fd.socket === undefi...",
    );
  });

  it('reads each table once per round, however many sockets there are', () => {
    const net = new NetTables();
    const first = net.lookup(process.pid, inodeOf(tcpServer));
    tcpClient.destroy(); // the table was read: a change now is not seen in this round
    assert.equal(net.lookup(process.pid, inodeOf(tcpServer)), first);
  });
});
