/**
 * Step 5's server: CALC's add served two ways, so the client can compare them on the same payload
 * (two ints in, one int out):
 *   - through the RPC server stub (header, XDR, dispatch), on one port;
 *   - by hand on a raw socket, on another: 8 bytes in (a, b), 4 bytes out (a + b), record-marked too.
 * Both run the same add (after `workUs` of computing, when the step asks for it).
 * Neither traces each call: the trace would cost more than what is measured.
 * And a third port for the trip alone in C: on each connection this process runs pongLoop
 * (main/runtime/native-loops.ts): `calls` messages of the raw request's 12 bytes read and written back,
 * no addition, no Node in between; this process does nothing else meanwhile.
 */
import { createServer } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { startServer } from '../../../main/runtime/rpc/server.js';
import { CALC, addAfterWork } from './interfaces.js';
import { serveRawAdd } from './raw-add.js';
import { publishPort } from './rendezvous-file.js';
import { pongLoop } from '../../../main/runtime/native-loops.js';
import { RAW_REQUEST_BYTES } from './raw-add.js';

const add = addAfterWork(lab.int('workUs'));
const rpc = await startServer(CALC, { add }, { semantics: 'at-least-once', tracer: lab, traceBytes: false, traceCalls: false });
lab.emit('socket.listen', { channel: 'calc', transport: 'tcp', address: rpc.address, detail: 'CALC through the RPC stubs' });

const raw = createServer((socket) => serveRawAdd(socket, undefined, add));
await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
const rawPort = (raw.address() as { port: number }).port;
lab.emit('socket.listen', { channel: 'raw', transport: 'tcp', address: `127.0.0.1:${rawPort}`, detail: 'add by hand: 8 bytes in, 4 out' });
// pauseOnConnect: Node never reads these sockets, the C loop does.
const native = createServer({ pauseOnConnect: true }, (socket) => {
  socket.on('error', () => {});
  try {
    pongLoop(socket, socket, lab.int('calls'), RAW_REQUEST_BYTES);
  } catch (error) {
    lab.emit('io.error', { op: 'read', channel: 'native', code: (error as NodeJS.ErrnoException).code ?? 'EIO', message: (error as Error).message });
  }
  socket.resume().on('end', () => socket.end()); // now Node reads: the client's end of file
});
await new Promise<void>((resolve) => native.listen(0, '127.0.0.1', resolve));
const nativePort = (native.address() as { port: number }).port;
lab.emit('socket.listen', {
  channel: 'native',
  transport: 'tcp',
  address: `127.0.0.1:${nativePort}`,
  detail: 'the trip alone, in a C loop: 12 bytes in, the same 12 out',
});
publishPort('calc', rpc.port);
publishPort('raw', rawPort);
publishPort('native', nativePort);

process.on('SIGTERM', () => {
  raw.close();
  native.close();
  void rpc.close().then(() => process.exit(0));
});
