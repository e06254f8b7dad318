/**
 * The hash chain that makes stored evidence tamper-evident (the contract: main/contract/report-format.ts).
 *
 * A run's records are, in order: its header (`run.start`), each trace event in sequence order
 * (`{ type: 'event', event }`, the event exactly as EventStore.events() returns it), and its end
 * (`run.end`). A step's saved answers form a chain of their own. Each record is hashed over its canonical
 * encoding, and each link over the previous link and that hash:
 *
 *   recordHash = SHA-256(canonical(record))
 *   link[i]    = SHA-256(link[i-1] ‖ recordHash[i])      (hex strings, link[-1] = 64 zeros)
 *
 * Hashing the record's hash rather than its bytes lets a report leave an event out and still carry
 * enough (its record hash) to recompute the chain to the stored head.
 */
import { createHash } from 'node:crypto';
import type { StoredEvent } from '../contract/trace-events.js';

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

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function recordHash(record: unknown): string {
  return sha256Hex(canonicalJson(record));
}

export function nextLink(previous: string, hashOfRecord: string): string {
  return createHash('sha256').update(previous, 'ascii').update(hashOfRecord, 'ascii').digest('hex');
}

/** The chain record of one stored event. */
export function eventRecord(event: StoredEvent): { type: 'event'; event: StoredEvent } {
  return { type: 'event', event };
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
