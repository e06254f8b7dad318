/**
 * `grep PATTERN` (or `grep -v PATTERN` with `invert`), as a pipeline stage: reads lines from its
 * standard input until end of file and writes those that contain the pattern (or do not) to its
 * standard output.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from '../../../main/runtime/line-reader.js';

const pattern = lab.choice('pattern');
const invert = lab.bool('invert');
const out = lab.choice('outChannel');
lab.snapshot(`grep: its standard input and output`);
const input = new LineReader(0, lab.choice('inChannel'));
for (let line = input.next(); line !== undefined; line = input.next()) if (line.includes(pattern) !== invert) lab.write(1, out, Buffer.from(line + '\n'));
