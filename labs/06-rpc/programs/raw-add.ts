/**
 * The baseline the cost step compares RPC with: the same addition done by hand over a bare TCP
 * socket. 8 bytes go out (two big-endian ints), 4 come back (their sum), each record-marked. No
 * header, no xid, no program or procedure number, no dispatch: what the stubs add on top is the
 * difference between this round trip and an RPC.
 */
import { connect, type Socket } from 'node:net';
import { RecordReader, frameRecord } from '../../../main/runtime/rpc/record-marking.js';
import { add } from './interfaces.js';

/** A request on the wire: the 4-byte record mark and two 4-byte ints. */
export const RAW_REQUEST_BYTES = 12;

/** Serves additions on an accepted connection with `sum` (add by default); `onAnswer` runs after each answer is written. */
export function serveRawAdd(socket: Socket, onAnswer?: () => void, sum: (args: { a: number; b: number }) => number = add): void {
  socket.setNoDelay(true);
  const records = new RecordReader(64);
  socket.on('data', (chunk: Buffer) => {
    for (const m of records.push(chunk)) {
      const answer = Buffer.alloc(4);
      answer.writeInt32BE(sum({ a: m.readInt32BE(0), b: m.readInt32BE(4) }));
      socket.write(frameRecord(answer));
      onAnswer?.();
    }
  });
  socket.on('error', () => {});
}

/** Connects to a raw-add server on 127.0.0.1:`port`. `add` sends one request and resolves with the answer (one call at a time). */
export async function connectRawAdd(port: number): Promise<{ socket: Socket; add(a: number, b: number): Promise<number> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const records = new RecordReader(64);
  let waiting: ((n: number) => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const m of records.push(chunk)) waiting?.(m.readInt32BE(0));
  });
  const request = Buffer.alloc(8);
  return {
    socket,
    add(a, b) {
      request.writeInt32BE(a, 0);
      request.writeInt32BE(b, 4);
      const answer = new Promise<number>((resolve) => (waiting = resolve));
      socket.write(frameRecord(request));
      return answer;
    },
  };
}
