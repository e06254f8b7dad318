/**
 * `tr a-z A-Z`, as a pipeline stage: copies its standard input to its standard output in capitals,
 * until end of file.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const out = lab.choice('outChannel');
const inChannel = lab.choice('inChannel');
lab.snapshot('tr: its standard input and output');
const buffer = Buffer.alloc(4096);
for (let bytes = lab.read(0, inChannel, buffer); bytes > 0; bytes = lab.read(0, inChannel, buffer))
  lab.write(1, out, Buffer.from(buffer.toString('latin1', 0, bytes).toUpperCase(), 'latin1'));
