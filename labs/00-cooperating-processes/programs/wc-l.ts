/**
 * `wc -l`, as a pipeline stage: counts the lines of its standard input until end of file, and prints
 * the count (to its own standard output, the shell's: IPC Lab's output).
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const inChannel = lab.choice('inChannel');
lab.snapshot('wc: its standard input and output');
const buffer = Buffer.alloc(4096);
let lines = 0;
for (let bytes = lab.read(0, inChannel, buffer); bytes > 0; bytes = lab.read(0, inChannel, buffer))
  for (let i = 0; i < bytes; i++) if (buffer[i] === 0x0a) lines++;
lab.note(`wc -l: ${lines} lines`);
process.stdout.write(`${lines}\n`);
