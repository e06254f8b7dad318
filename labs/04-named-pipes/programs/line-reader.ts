/**
 * A FIFO, like any pipe, carries a stream of bytes and keeps no message boundaries: one read() may
 * return half a message, or three. These programs send one message per line, and this reader cuts
 * the stream back into lines.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

export class LineReader {
  private partial = '';
  private readonly buffer = Buffer.alloc(4096);

  constructor(
    private readonly fd: number,
    private readonly channel: string,
  ) {}

  /** The next line without its newline, or undefined at end of file (every writer closed). */
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
