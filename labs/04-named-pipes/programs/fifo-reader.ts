/**
 * The reader of the "two-programs" scenario, and the FIFO's creator.
 *
 *   1. mkfifo() puts a name in the file system: an entry of type p in the run's directory. No data
 *      will ever be stored in that file; it only names a pipe buffer in the kernel.
 *   2. open(path, O_RDONLY) blocks until some process opens the same path for writing.
 *   3. It reads lines until read() returns 0: end of file, the writer closed its end.
 *   4. unlink() removes the name. (The host would remove the whole run directory anyway.)
 *
 * The writer is not this process's child: the engine starts both, and the writer finds the FIFO by
 * its path alone.
 *
 * With channel "pipe" it makes an ordinary pipe instead. A pipe has no name, so the writer the engine
 * started has nothing to look for; the reader must start a writer of its own and hand it the write
 * end, as a parent does (lab.spawn with fds).
 */
import { unlinkSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { LineReader } from '../../../main/runtime/line-reader.js';

const createDelayMs = lab.int('createDelayMs');
const openDelayMs = lab.int('readerOpenDelayMs');

if (createDelayMs > 0) lab.note(`waiting ${createDelayMs} ms before creating the ${lab.choice('channel') === 'pipe' ? 'pipe' : 'FIFO'}`);
lab.sleep(createDelayMs);

let fd: number;
let path: string | undefined;
let child: ReturnType<typeof lab.spawn> | undefined;
if (lab.choice('channel') === 'pipe') {
  const ends = lab.pipe('chat');
  child = lab.spawn('writer', 'fifo-writer.ts', { fds: { chat: ends.writeFd }, params: { ...lab.params, handedPipe: true } });
  lab.close(ends.writeFd, 'chat', 'write');
  fd = ends.readFd;
} else {
  path = lab.mkfifo('chat');
  if (openDelayMs > 0) lab.note(`the FIFO exists; waiting ${openDelayMs} ms before opening it for reading`);
  lab.sleep(openDelayMs);
  fd = lab.open(path, 'chat', 'read');
}

const lines = new LineReader(fd, 'chat');
let seq = 0;
for (let text = lines.next(); text !== undefined; text = lines.next()) {
  lab.emit('message.receive', { channel: 'chat', messageId: ++seq, bytes: Buffer.byteLength(text) + 1, text });
  // While this process surely holds its descriptor: the kernel view then shows it, whatever the timing.
  if (seq === 1) lab.snapshot('the reader has read its first message');
}
lab.note(`end of file after ${seq} messages: the writer closed its end`);
lab.close(fd, 'chat', 'read');

if (path) {
  unlinkSync(path);
  lab.note(`unlink("${path}"): the name is gone`);
}
if (child) await child.exited;
