/**
 * The records of the "writers" scenario. Each writer writes fixed-size records, one write() each:
 *
 *   offset 0   a 16-byte header in ASCII: the writer's letter, the record number (5 digits), a space,
 *              the record's length (8 digits) and "|", e.g. "B00017 00008192|"
 *   offset 16  the body: the writer's letter repeated to the end of the record
 *
 * So a record read back is easy to judge: it is whole if its header is valid and every body byte is
 * the header's letter; any other byte inside it came from another writer.
 */

/**
 * The largest write the kernel promises to put into a pipe in one piece, with no other writer's data
 * inside it. POSIX requires at least 512 bytes; Linux gives 4096 (the limits.h constant PIPE_BUF).
 */
export const PIPE_BUF = 4096;
export const HEADER_BYTES = 16;
const PIPE_CHAR = 0x7c; // the '|' that ends a header

/** Writer 1 writes A, writer 2 B, ... */
export function letterOf(writer: number): string {
  return String.fromCharCode(64 + writer);
}

/** The id of a record in message.send / message.receive: writer × 100000 + record number (200017: B's 17th). */
export function recordId(writer: number, seq: number): number {
  return writer * 100_000 + seq;
}

export function makeRecord(writer: number, seq: number, size: number): Buffer {
  const letter = letterOf(writer);
  const record = Buffer.alloc(size, letter, 'latin1');
  record.write(`${letter}${String(seq).padStart(5, '0')} ${String(size).padStart(8, '0')}|`, 0, 'latin1');
  return record;
}

interface Header {
  letter: string;
  seq: number;
  size: number;
}

function headerAt(bytes: Buffer, offset: number): Header | undefined {
  if (offset + HEADER_BYTES > bytes.length) return undefined;
  const match = /^([A-Z])(\d{5}) (\d{8})\|$/.exec(bytes.toString('latin1', offset, offset + HEADER_BYTES));
  return match ? { letter: match[1]!, seq: Number(match[2]), size: Number(match[3]) } : undefined;
}

/** The writer and record number of a whole record, or undefined if `piece` is not one. */
export function wholeRecord(piece: Buffer): { writer: number; seq: number } | undefined {
  const header = headerAt(piece, 0);
  if (!header || header.size !== piece.length) return undefined;
  const letter = header.letter.charCodeAt(0);
  for (let i = HEADER_BYTES; i < piece.length; i++) if (piece[i] !== letter) return undefined;
  return { writer: letter - 64, seq: header.seq };
}

/** What a piece holds, e.g. "header A#3, A×4080, B×4096": runs of one letter, and the headers between them. */
export function describePiece(piece: Buffer, maxParts = 8): string {
  const parts: string[] = [];
  let i = 0;
  while (i < piece.length && parts.length < maxParts) {
    const header = headerAt(piece, i);
    if (header) {
      parts.push(`header ${header.letter}#${header.seq}`);
      i += HEADER_BYTES;
      continue;
    }
    let end = i + 1;
    // A run ends at a different byte, or where a header starts (it begins with a letter too).
    while (end < piece.length && piece[end] === piece[i] && !(piece[end + HEADER_BYTES - 1] === PIPE_CHAR && headerAt(piece, end))) end++;
    const char = String.fromCharCode(piece[i]!);
    parts.push(end - i === 1 ? JSON.stringify(char) : `${char}×${end - i}`);
    i = end;
  }
  return parts.join(', ') + (i < piece.length ? ', …' : '');
}
