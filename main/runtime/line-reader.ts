/**
 * A pipe or a FIFO carries a stream of bytes and keeps no message boundaries: one read() may return
 * half a line, or three. Lab programs that send one message per line use sendLine, and this reader
 * cuts the stream back into lines (the cooperating-processes and named-pipes labs).
 */
import { lab } from './lab-runtime.js';

export class LineReader {
  private partial = '';
  private readonly buffer = Buffer.alloc(4096);

  constructor(
    private readonly fd: number,
    private readonly channel: string,
  ) {}

  /** The next line without its newline, or undefined at end of file (every write end closed: for a FIFO, every writer). */
  next(): string | undefined {
    for (;;) {
      const newline = this.partial.indexOf('\n');
      if (newline >= 0) {
        const line = this.partial.slice(0, newline);
        this.partial = this.partial.slice(newline + 1);
        return line;
      }
      const bytes = lab.read(this.fd, this.channel, this.buffer);
      if (bytes === 0) return undefined;
      this.partial += this.buffer.toString('utf8', 0, bytes);
    }
  }
}

/** Writes one line, announced as a message first (the write can wake a reader, whose event must not be stamped earlier). */
export function sendLine(fd: number, channel: string, text: string, messageId = 1): void {
  const data = Buffer.from(text + '\n');
  lab.emit('message.send', { channel, messageId, bytes: data.length, text });
  lab.write(fd, channel, data);
}
