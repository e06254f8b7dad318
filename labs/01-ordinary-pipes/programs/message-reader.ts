/**
 * The child of the "messages" scenario: it reads through the read end of the pipe.
 *
 * Started with only the read end (descriptor 3), it holds nothing else of the pipe. Started as after
 * fork() (inheritAll), it also holds the write end it does not need; a correct child closes it at once
 * (childClosesWriteEnd). One that forgets keeps a write end open itself, and then read() can never
 * return 0: end of file needs every write end closed, its own included (pipe(7)).
 *
 * It reads until read() returns 0 (end of file) and splits the byte stream into lines, because a pipe
 * keeps no message boundaries: one read may return half a message, or three.
 *
 * With tryToReply, it first tries to write back into its read end. A pipe goes one way only, and the
 * kernel refuses: EBADF, the descriptor is not open for writing (write(2)). If it kept an inherited
 * write end, it writes through that one instead, and the write succeeds: into the one buffer both
 * processes share, where the next read() of the child itself finds it. Two-way talk needs two pipes.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

// Not handed the pipe, the child has no way to name the parent's: pipe() makes a new one, its own,
// connected to nothing else (pipe(2)). It will read from that one and wait for ever.
const fd = lab.bool('childGetsPipe') ? lab.fd('pipe') : lab.pipe('own pipe').readFd;
lab.traceFill(fd); // the pipe's level after each read, from the kernel (FIONREAD)

if (lab.bool('inheritAll')) {
  if (lab.bool('childClosesWriteEnd')) lab.close(lab.fd('pipeWrite'), 'pipe', 'write');
  else lab.note('Keeping the write end inherited from the parent: this process is now a writer of its own pipe.');
}
// The parent is up (it started this process): the kernel view records both descriptor tables now.
lab.snapshot("the child has started: its descriptors, and the parent's");

if (lab.bool('tryToReply')) {
  const reply = Buffer.from('reply from the child\n');
  if (lab.bool('inheritAll') && !lab.bool('childClosesWriteEnd')) {
    // It holds a write end, so the write succeeds: into the same buffer it reads from. It will read its
    // own reply back, mixed with the parent's messages; the parent never sees it.
    lab.emit('message.send', { channel: 'pipe', messageId: 1, bytes: reply.length, text: 'reply from the child' });
    lab.write(lab.fd('pipeWrite'), 'pipe', reply);
  } else {
    try {
      lab.write(fd, 'pipe', reply);
    } catch (error) {
      lab.note(`Writing into the read end failed with ${(error as NodeJS.ErrnoException).code}: a pipe carries data one way.`);
    }
  }
}

const buffer = Buffer.alloc(4096);
let partial = '';
let seq = 0;
for (;;) {
  const bytes = lab.read(fd, 'pipe', buffer);
  if (bytes === 0) break;
  partial += buffer.toString('utf8', 0, bytes);
  let newline: number;
  while ((newline = partial.indexOf('\n')) >= 0) {
    const text = partial.slice(0, newline);
    partial = partial.slice(newline + 1);
    lab.emit('message.receive', { channel: 'pipe', messageId: ++seq, bytes: Buffer.byteLength(text) + 1, text });
  }
}
lab.note(`end of file after ${seq} messages`);
lab.close(fd, 'pipe', 'read');
