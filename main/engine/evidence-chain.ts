/**
 * The hash chain that makes stored evidence tamper-evident (the contract: main/contract/report-format.ts).
 *
 * A run's records are, in order: its header (`run.start`), each trace event in sequence order, and its
 * end (`run.end`). A step's saved answers form a chain of their own. Each record is hashed, and each
 * link over the previous link and that hash:
 *
 *   recordHash = SHA-256(canonical(record))                      header, end, answers
 *              = SHA-256("event <runId> <seq> " ‖ stored text)   a trace event: its JSON as stored
 *   link[i]    = SHA-256(link[i-1] ‖ recordHash[i])               (hex strings, link[-1] = 64 zeros)
 *
 * An event is hashed over the text the store keeps (what the process wrote), not a canonical form:
 * canonicalising every event would cost more than storing it (npm run bench, section 1), and a report
 * carries that exact text. Hashing the record's hash rather than its bytes lets a report leave an event
 * out and still carry enough (its record hash) to recompute the chain to the stored head.
 */
import { hash } from 'node:crypto';

export const CHAIN_START = '0'.repeat(64);

/**
 * JSON with object keys sorted by UTF-16 code units and no whitespace; numbers and strings as
 * JSON.stringify writes them. For the values IPC Lab stores (finite numbers, strings, booleans, null,
 * arrays, plain objects) this is RFC 8785 (JCS). `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`canonicalJson: ${value} has no JSON form`);
    if (typeof value === 'bigint') throw new Error('canonicalJson: a bigint has no JSON form; store it as a decimal string');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * JSON.parse for text that must hash as it was written: a number beyond a double's range (1e999, which
 * JSON.parse reads as Infinity) has no JSON form to hash, so it is refused here, with where it is.
 */
export function parseFiniteJson(text: string): unknown {
  return JSON.parse(text, (key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new SyntaxError(`the number at "${key}" is beyond the range of a JSON number`);
    return value;
  });
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export function recordHash(record: unknown): string {
  return sha256Hex(canonicalJson(record));
}

export function nextLink(previous: string, hashOfRecord: string): string {
  return hash('sha256', previous + hashOfRecord, 'hex');
}

/** The record hash of one stored event: over its run, its sequence number and its JSON text as stored. */
export function eventHash(runId: number, seq: number, data: string): string {
  return sha256Hex(`event ${runId} ${seq} ${data}`);
}

/** Record hashes (hex) as a report carries them: their 32-byte digests concatenated, in base64. */
export function packHashes(hexes: string[]): string {
  return Buffer.from(hexes.join(''), 'hex').toString('base64');
}

/** The inverse of packHashes; undefined when the text is not a whole number of base64 digests. */
export function unpackHashes(packed: string): string[] | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(packed)) return undefined;
  const bytes = Buffer.from(packed, 'base64');
  if (bytes.length % 32 !== 0 || bytes.toString('base64') !== packed) return undefined;
  return Array.from({ length: bytes.length / 32 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32).toString('hex'));
}

/** The link after a sequence of record hashes, from `start`. */
export function chainOver(recordHashes: Iterable<string>, start = CHAIN_START): string {
  let link = start;
  for (const hash of recordHashes) link = nextLink(link, hash);
  return link;
}

/** The chain record of one saved version of a step's answer. */
export function answerRecord(labId: string, stepId: string, revision: { text: string; savedAt: string }) {
  return { type: 'answer', labId, stepId, text: revision.text, savedAt: revision.savedAt };
}

/** The chain record of one saved version of the answer to a step's question (value: JSON-able, null for a skip). */
export function questionAnswerRecord(labId: string, stepId: string, version: { questionId: string; value: unknown; savedAt: string }) {
  return { type: 'question-answer', labId, stepId, questionId: version.questionId, value: version.value, savedAt: version.savedAt };
}
