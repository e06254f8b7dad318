/**
 * Record marking (RFC 5531 §11): how RPC messages keep their edges on a TCP stream.
 *
 * TCP carries bytes, not messages: one write of 40 bytes may arrive as two reads of 20, and two writes
 * may arrive as one read. So ONC RPC puts each message (a *record*) in one or more *fragments*, each
 * behind a 4-byte header, big-endian:
 *
 *     bit 31       1 if this is the last fragment of the record
 *     bits 0-30    how many bytes of record follow this header (0 to 2^31 - 1)
 *
 *     80 00 00 1c  <28 bytes>                  a record of 28 bytes, in one fragment
 *     00 00 00 10  <16 bytes>  80 00 00 0c  <12 bytes>   the same record of 28 bytes, in two fragments
 *
 * The reader gathers bytes until it has a whole header, then a whole fragment, and hands a record on
 * when the last fragment is complete. The header comes from the peer, so it is checked before anything
 * is allocated: a length of 2^31 - 1 from a confused (or hostile) client must not make the server
 * reserve 2 GB. Records over `maxRecordBytes` are refused with a RecordError that says what to fix.
 */

/** The top bit of a fragment header: this fragment ends the record. */
export const LAST_FRAGMENT = 0x8000_0000;
/** The largest fragment a header can announce. */
export const MAX_FRAGMENT_BYTES = 0x7fff_ffff;
/** Default largest record a reader accepts: far above any message of the labs, far below trouble. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** The stream does not hold well-formed records (a lying header, a record too large). */
export class RecordError extends Error {
  constructor(
    /** A short code for traces: 'record-too-large', 'empty-fragment-stream', 'truncated'. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RecordError';
  }
}

/**
 * The record as bytes to write: header(s) then the record. With `fragmentBytes`, the record is cut in
 * fragments of at most that many bytes (to show, and to test, reassembly); by default, one fragment.
 * One buffer, so one write(2): header and body never leave as two TCP segments (see Nagle in the notes).
 */
export function frameRecord(record: Uint8Array, fragmentBytes = MAX_FRAGMENT_BYTES): Buffer {
  if (!Number.isInteger(fragmentBytes) || fragmentBytes < 1 || fragmentBytes > MAX_FRAGMENT_BYTES) {
    throw new RangeError(`fragmentBytes must be an integer in [1, ${MAX_FRAGMENT_BYTES}], got ${fragmentBytes}`);
  }
  const fragments = Math.max(1, Math.ceil(record.length / fragmentBytes));
  const out = Buffer.alloc(record.length + 4 * fragments);
  let at = 0;
  for (let i = 0; i < fragments; i++) {
    const start = i * fragmentBytes;
    const end = Math.min(record.length, start + fragmentBytes);
    const last = i === fragments - 1;
    out.writeUInt32BE((last ? LAST_FRAGMENT : 0) + (end - start), at);
    out.set(record.subarray(start, end), at + 4);
    at += 4 + end - start;
  }
  return out;
}

/** A fragment header as the lab shows it: '80 00 00 1c = last fragment, 28 bytes'. */
export function describeHeader(header: number): { last: boolean; length: number } {
  return { last: (header & LAST_FRAGMENT) !== 0, length: header & MAX_FRAGMENT_BYTES };
}

/**
 * Turns the chunks a stream delivers (any sizes, any cuts) back into records. Feed it every chunk with
 * `push`; it returns the records completed by that chunk, in order. After a RecordError the stream is
 * out of step (the next header cannot be found any more): the connection must be closed.
 */
export class RecordReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Fragments of the record being gathered. */
  private fragments: Buffer[] = [];
  private recordBytes = 0;
  private broken: RecordError | undefined;

  constructor(readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Bytes received and not yet part of a completed record (for "truncated" reports at end of stream). */
  get buffered(): number {
    return this.pendingBytes + this.recordBytes;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (this.broken) throw this.broken;
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    const records: Buffer[] = [];
    for (;;) {
      if (this.pendingBytes < 4) break;
      const header = this.peekHeader();
      const { last, length } = describeHeader(header);
      if (this.recordBytes + length > this.maxRecordBytes) {
        this.broken = new RecordError(
          'record-too-large',
          `a fragment header (${header.toString(16).padStart(8, '0')}) announces ${length} bytes, making a record of ` +
            `${this.recordBytes + length} bytes, over this reader's limit of ${this.maxRecordBytes}: the peer is not speaking ` +
            'record-marked RPC (or sent garbage). Fix: frame each message as RFC 5531 §11 says: 4-byte header, top bit = last fragment, then the bytes.',
        );
        throw this.broken;
      }
      if (this.pendingBytes < 4 + length) break; // the fragment is not all here yet
      this.take(4);
      this.fragments.push(this.take(length));
      this.recordBytes += length;
      if (last) {
        records.push(Buffer.concat(this.fragments, this.recordBytes));
        this.fragments = [];
        this.recordBytes = 0;
      }
    }
    return records;
  }

  /** Call at end of stream: throws if a record was left half-received. */
  end(): void {
    if (this.buffered > 0) {
      throw new RecordError(
        'truncated',
        `the stream ended inside a record (${this.buffered} bytes received after the last complete record): the peer closed mid-message.`,
      );
    }
  }

  private peekHeader(): number {
    const first = this.pending[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    return Buffer.concat(this.pending, this.pendingBytes).readUInt32BE(0);
  }

  /** Removes and returns the next n bytes (n <= pendingBytes). */
  private take(n: number): Buffer {
    const parts: Buffer[] = [];
    let needed = n;
    while (needed > 0) {
      const first = this.pending[0]!;
      if (first.length <= needed) {
        parts.push(first);
        this.pending.shift();
        needed -= first.length;
      } else {
        parts.push(first.subarray(0, needed));
        this.pending[0] = first.subarray(needed);
        needed = 0;
      }
    }
    this.pendingBytes -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }
}
