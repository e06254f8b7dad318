/**
 * `ls`, as a pipeline stage: writes the names in a directory (this lab's compiled programs), sorted,
 * one per line, to its standard output, whatever that is. It does not know it writes into a pipe.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lab } from '../../../main/runtime/lab-runtime.js';

const out = lab.choice('outChannel');
lab.snapshot('ls: its standard input and output');
const names = readdirSync(dirname(process.argv[1]!)).sort();
lab.write(1, out, Buffer.from(names.map((n) => n + '\n').join('')));
