/**
 * The serving side of a socket benchmark run: listens on its address, says `ready`, accepts one
 * connection and serves it, then reports and exits.
 *   echo  sends every message back unchanged (ping-pong);
 *   sink  checks every byte of the messages against the pattern (framing.ts) until an empty message,
 *         then answers with {received, badAt} (throughput).
 *
 *   node socket-server.js <unix:path | tcp:host:port> <echo | sink>
 * stdout: `ready`, then {received, badAt, messages, cpuMs, problems}
 */
import { createServer, type Socket } from 'node:net';
import { childStart, cpuMsSince, tell } from '../shm/payload.js';
import { checkPattern, frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';
import { parseAddress } from './address.js';

const [spec, mode] = childStart();
const address = parseAddress(spec!);

async function serve(socket: Socket): Promise<void> {
  const cpu = process.cpuUsage();
  const inbox = new FrameInbox(socket, 1024 * 1024);
  const problems: string[] = [];
  let received = 0;
  let messages = 0;
  let badAt = -1;
  try {
    if (mode === 'echo') {
      for (let m = await inbox.next(); m !== undefined; m = await inbox.next()) {
        socket.write(frame(m));
        received += m.length;
        messages++;
      }
    } else {
      for (let m = await inbox.next(); m !== undefined && m.length > 0; m = await inbox.next()) {
        const bad = checkPattern(m, received);
        if (bad >= 0 && badAt < 0) badAt = received + bad;
        received += m.length;
        messages++;
      }
      socket.write(frame(Buffer.from(JSON.stringify({ received, badAt }))));
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  socket.end();
  socket.on('close', () => {
    tell({ received, badAt, messages, cpuMs: cpuMsSince(cpu), problems });
    process.exit(0);
  });
}

const server = createServer((socket) => {
  server.close(); // one connection per run; for a Unix socket this also unlinks the file
  if ('port' in address) socket.setNoDelay(true);
  void serve(socket);
});
server.on('error', (error) => {
  tell({ received: 0, badAt: -1, messages: 0, cpuMs: 0, problems: [`listen ${spec}: ${(error as Error).message}`] });
  process.exit(1);
});
server.listen('path' in address ? { path: address.path } : { host: address.host, port: address.port }, () => tell('ready'));
