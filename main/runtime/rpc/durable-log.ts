/**
 * A server's durable log (its ledger): one line per execution of a procedure, appended to a file and
 * forced to the disk with fsync(2) *before* the reply leaves. It is what lets a restarted server know
 * what it did before it died:
 *
 *   {"xid":4096001,"key":"4096001:9f2c...","proc":1,"name":"deposit","args":"00000005616c696365000000000003e8","reply":"003e8001..."}
 *
 * `args` are the call's XDR arguments and `reply` the whole XDR reply that was about to be sent, so
 * recovery needs no other format: it decodes the arguments with the interface's types and runs the
 * procedure again on a fresh state (a redo log), and, for exactly-once, puts `key -> reply` back in
 * the duplicate table, so that a retry after the crash is answered without running anything.
 *
 * What fsync adds: a process killed with SIGKILL loses nothing it had passed to write(2), since the
 * bytes are already in the kernel's page cache; fsync is what makes them survive a power cut or a
 * kernel crash as well (fsync(2): "transfers all modified in-core data of the file to the disk").
 * A line cut short by such a crash (no final newline) is not a finished execution: `readLog` leaves it
 * out and says so.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** One execution, as the log holds it. */
export interface LogRecord {
  xid: number;
  /** The duplicate table's key for this request (xid and a digest of the request's bytes). */
  key: string;
  proc: number;
  name: string;
  /** The XDR arguments, in hex without spaces. */
  args: string;
  /** The XDR reply, in hex without spaces. */
  reply: string;
}

export interface LogContents {
  records: LogRecord[];
  /** Bytes in the file. */
  bytes: number;
  /** Lines that are not whole records (a torn last line after a crash of the machine). */
  torn: number;
}

/** Reads the log at `path` (an absent file is an empty log). */
export function readLog(path: string): LogContents {
  if (!existsSync(path)) return { records: [], bytes: 0, torn: 0 };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // Everything after the last newline never got its newline: it is not a finished record.
  const last = lines.pop()!;
  const records: LogRecord[] = [];
  let torn = last === '' ? 0 : 1;
  for (const line of lines) {
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      torn++;
    }
  }
  return { records, bytes: Buffer.byteLength(text), torn };
}

/** The log opened for appending. */
export class DurableLog {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Appends one record and returns once fsync(2) says it is on the disk. */
  append(record: LogRecord): void {
    const line = Buffer.from(JSON.stringify(record) + '\n');
    for (let at = 0; at < line.length;) at += writeSync(this.fd, line, at);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
