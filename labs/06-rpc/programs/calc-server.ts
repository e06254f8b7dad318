/**
 * Step 5's server: CALC's add served two ways, so the client can compare them on the same payload
 * (two ints in, one int out):
 *   - through the RPC server stub (header, XDR, dispatch), on one port;
 *   - by hand on a raw socket, on another: 8 bytes in (a, b), 4 bytes out (a + b), record-marked too.
 * Both run the same add (after `workUs` of computing, when the step asks for it).
 * Neither traces each call: the trace would cost more than what is measured.
 */
import { createServer } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { startServer } from '../../../main/runtime/rpc/server.js';
import { CALC, addAfterWork } from './interfaces.js';
import { serveRawAdd } from './raw-add.js';
import { publishPort } from './rendezvous-file.js';

const add = addAfterWork(lab.int('workUs'));
const rpc = await startServer(CALC, { add }, { semantics: 'at-least-once', tracer: lab, traceBytes: false, traceCalls: false });
lab.emit('socket.listen', { channel: 'calc', transport: 'tcp', address: rpc.address, detail: 'CALC through the RPC stubs' });

const raw = createServer((socket) => serveRawAdd(socket, undefined, add));
await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
const rawPort = (raw.address() as { port: number }).port;
lab.emit('socket.listen', { channel: 'raw', transport: 'tcp', address: `127.0.0.1:${rawPort}`, detail: 'add by hand: 8 bytes in, 4 out' });
publishPort('calc', rpc.port);
publishPort('raw', rawPort);

process.on('SIGTERM', () => {
  raw.close();
  void rpc.close().then(() => process.exit(0));
});
