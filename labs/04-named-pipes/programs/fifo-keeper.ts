/**
 * The keeper of the "lifetime" scenario. It creates the FIFO "mailbox" but never opens it; it starts
 * a writer and a reader, waits until both have exited, and only then starts a third process, the
 * inspector, which looks at what is left.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

lab.mkfifo('mailbox');
const writer = lab.spawn('writer', 'mailbox-writer.ts');
const reader = lab.spawn('reader', 'mailbox-reader.ts');
await Promise.all([writer.exited, reader.exited]);
lab.note('the writer and the reader have exited: no process has the FIFO open');

const inspector = lab.spawn('inspector', 'fifo-inspector.ts');
await inspector.exited;
