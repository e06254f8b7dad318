/**
 * A: computes from its own input (the sum 1 + 2 + ... + input). In a cooperating pair it was handed the
 * read end of a pipe from B, and adds B's result to its own: its output now depends on B's input, and
 * on B being there at all (killed, B never writes, and A's read() returns 0: end of file). Independent,
 * it reads nothing from anyone, and its output depends on its own input only.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader, sendLine } from '../../../main/runtime/line-reader.js';
import { sumUpTo } from './sum.js';

const tag = lab.choice('tag');
const result = lab.fd('result');
const hold = lab.fd('hold');

lab.snapshot(`${tag}: A holds what it was handed`);
sendLine(result, `${tag}: A's output`, 'ready');
let output = String(sumUpTo(lab.int('input')));
if (lab.bool('readsB')) {
  const fromB = new LineReader(lab.fd('fromB'), `${tag}: B → A`);
  const line = fromB.next();
  if (line === undefined) output = `${output} (nothing from B: end of file)`;
  else {
    lab.emit('message.receive', { channel: `${tag}: B → A`, messageId: 1, bytes: line.length + 1, text: line });
    output = String(Number(output) + Number(line));
  }
}
sendLine(result, `${tag}: A's output`, output, 2);
lab.read(hold, `${tag}: hold A`, Buffer.alloc(1));
