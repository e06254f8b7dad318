/**
 * The child of the "capacity" scenario: it sleeps before reading, so the parent fills the pipe and
 * blocks. Just before its first read it has the kernel view record both processes: if the pipe is
 * full, the parent is asleep inside write() at that moment. Then it drains everything until end of file.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

const fd = lab.fd('pipe');
lab.traceFill(fd); // the pipe's level after each read, from the kernel (FIONREAD)
lab.note(`sleeping ${lab.int('readerDelayMs')} ms before the first read`);
lab.sleep(lab.int('readerDelayMs'));
lab.snapshot('the child is about to read for the first time');

const buffer = Buffer.alloc(64 * 1024);
let total = 0;
for (;;) {
  const bytes = lab.read(fd, 'pipe', buffer);
  if (bytes === 0) break;
  total += bytes;
}
lab.measure('bytes read', total, 'bytes');
lab.close(fd, 'pipe', 'read');
