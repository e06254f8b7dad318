/**
 * The answering side of the pipe ping-pong: reads each message (completing partial reads) from the
 * pipe at fd 3, checks it carries the next round number, and writes it back on the pipe at fd 4, until
 * end of file.
 *
 *   node pipe-pong.js <message bytes>
 * stdout: `ready`, then {rounds, problems}
 */
import { readSync, writeSync } from 'node:fs';
import { childStart, tell } from './payload.js';

const IN_FD = 3;
const OUT_FD = 4;
const [bytesArg] = childStart();
const message = Buffer.alloc(Number(bytesArg));
const problems: string[] = [];
let rounds = 0;
tell('ready');
try {
  for (;;) {
    let filled = 0;
    while (filled < message.length) {
      const n = readSync(IN_FD, message, filled, message.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled === 0) break; // end of file: the benchmark is done
    if (filled < message.length) throw new Error(`round ${rounds}: end of file inside a message (${filled} bytes)`);
    if (message.readUInt32LE(0) !== rounds) throw new Error(`round ${rounds}: message carries ${message.readUInt32LE(0)}`);
    for (let written = 0; written < message.length;) written += writeSync(OUT_FD, message, written, message.length - written);
    rounds++;
  }
} catch (error) {
  problems.push((error as Error).message);
}
tell({ rounds, problems });
