/**
 * Step 6's intruder. It starts the bank server and an ordinary client, then, each on a connection of
 * its own, sends the server what a broken or hostile peer might:
 *   garbage           an HTTP request: its first 4 bytes read as a record mark announce ~1.2 GB
 *   truncated         a record mark for 52 bytes, 20 bytes, then the end of the connection
 *   short header      a whole record of 12 bytes: xid, CALL, rpcvers, and nothing more
 *   unknown program   a well-formed call to program 0x20009999
 *   unknown procedure a well-formed call to BANK's procedure 42
 *   bad arguments     deposit whose arguments stop after the account name
 * and notes what came back. The server must answer or hang up, say what was wrong, and keep serving.
 * With `sendBadInput` off it sends nothing, and only waits for the ordinary client.
 */
import { connect } from 'node:net';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { decodeReply, encodeCall } from '../../../main/runtime/rpc/message.js';
import { RecordReader, frameRecord } from '../../../main/runtime/rpc/record-marking.js';
import { BANK } from './interfaces.js';
import { waitForPort } from './rendezvous-file.js';

/** Sends `bytes` on a fresh connection (then ends it if `end`), and says what came back. */
async function attempt(port: number, what: string, bytes: Buffer, end: boolean): Promise<void> {
  const socket = connect({ port, host: '127.0.0.1' });
  try {
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  } catch (error) {
    lab.note(`${what}: cannot connect (${(error as NodeJS.ErrnoException).code}): the server is gone`);
    return;
  }
  const records = new RecordReader();
  const outcome = await new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      const [reply] = records.push(chunk);
      if (reply) resolve(`the server answered ${decodeReply(reply, { kind: 'void' }).stat}`);
    });
    socket.on('close', () => resolve('the server closed the connection'));
    socket.on('error', () => {});
    socket.write(bytes);
    if (end) socket.end();
  });
  lab.note(`${what}: ${outcome}`);
  socket.destroy();
}

const server = lab.spawn('server', 'bank-server.ts');
let client: ReturnType<typeof lab.spawn> | undefined;
try {
  const port = await waitForPort('bank');
  client = lab.spawn('client', 'steady-client.ts');
  await waitForPort('first-deposit');
  if (lab.bool('sendBadInput')) await intrude(port);
  await client.exited;
} finally {
  client?.kill('SIGTERM');
  server.kill('SIGTERM');
  await Promise.all([server.exited, client?.exited]);
}

async function intrude(port: number): Promise<void> {
  const call = (prog: number, proc: number) => encodeCall({ xid: 666, prog, vers: 1, proc }, { kind: 'string' }, 'x');
  await attempt(port, 'garbage (an HTTP request)', Buffer.from('GET / HTTP/1.1\r\nHost: bank\r\n\r\n'), false);
  await attempt(port, 'truncated record', Buffer.concat([Buffer.from([0x80, 0, 0, 52]), Buffer.alloc(20, 0xab)]), true);
  await attempt(port, 'short header', frameRecord(call(BANK.number, 1).subarray(0, 12)), false);
  await attempt(port, 'unknown program', frameRecord(call(0x2000_9999, 1)), false);
  await attempt(port, 'unknown procedure', frameRecord(call(BANK.number, 42)), false);
  const deposit = encodeCall({ xid: 667, prog: BANK.number, vers: 1, proc: 1 }, BANK.procedures.deposit.args, { account: 'mallory', amount: 5 });
  await attempt(port, 'bad arguments', frameRecord(deposit.subarray(0, deposit.length - 4)), false);
}
