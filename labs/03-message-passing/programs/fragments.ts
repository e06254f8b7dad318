/**
 * The wire format of the "fragments" scenario: a message longer than the mailbox's message size
 * (mq_msgsize) travels as several queue messages, each a fragment with a header in front:
 *
 *   bytes 0-3  id      which message the fragment belongs to (u32, big-endian)
 *   bytes 4-5  index   its place in that message, from 0 (u16)
 *   bytes 6-7  count   how many fragments the message has (u16); 0 marks a sender's last word
 *   bytes 8-   data    at most mq_msgsize - 8 bytes of the message
 *
 * The kernel keeps each fragment whole and in order per priority, but fragments of messages from
 * several senders interleave in a shared mailbox: the id says whose each one is, the index where it goes.
 */
import { createHash } from 'node:crypto';

export const FRAGMENT_HEADER_BYTES = 8;

export interface Fragment {
  id: number;
  index: number;
  count: number;
  data: Buffer;
}

/** Splits `message` into fragments that each fit in `messageBytes` (the mailbox's mq_msgsize). */
export function fragmentsOf(id: number, message: Buffer, messageBytes: number): Buffer[] {
  const room = messageBytes - FRAGMENT_HEADER_BYTES;
  if (room < 1)
    throw new Error(`a mailbox of ${messageBytes}-byte messages has no room after the ${FRAGMENT_HEADER_BYTES}-byte fragment header: make its messages larger`);
  const count = Math.max(1, Math.ceil(message.length / room));
  if (count > 0xffff) throw new Error(`${message.length} bytes would need ${count} fragments, more than the header's 65535: use a larger message size`);
  return Array.from({ length: count }, (_, index) => {
    const fragment = Buffer.alloc(FRAGMENT_HEADER_BYTES + Math.min(room, message.length - index * room));
    fragment.writeUInt32BE(id, 0);
    fragment.writeUInt16BE(index, 4);
    fragment.writeUInt16BE(count, 6);
    message.copy(fragment, FRAGMENT_HEADER_BYTES, index * room, index * room + room);
    return fragment;
  });
}

/** The marker a sender sends when it has nothing more (count 0). */
export function lastWord(id: number): Buffer {
  const marker = Buffer.alloc(FRAGMENT_HEADER_BYTES);
  marker.writeUInt32BE(id, 0);
  return marker;
}

export function parseFragment(bytes: Buffer): Fragment {
  if (bytes.length < FRAGMENT_HEADER_BYTES) throw new Error(`a ${bytes.length}-byte queue message is shorter than the fragment header`);
  return { id: bytes.readUInt32BE(0), index: bytes.readUInt16BE(4), count: bytes.readUInt16BE(6), data: bytes.subarray(FRAGMENT_HEADER_BYTES) };
}

/** Message `id`'s content: readable lines, `bytes` long. */
export function messageContent(id: number, bytes: number): Buffer {
  let text = '';
  for (let line = 1; text.length < bytes; line++) text += `message ${id}, line ${line}\n`;
  return Buffer.from(text.slice(0, bytes));
}

/** How a send and a receive name the same content in the trace: its length and SHA-256. */
export function describe(id: number, message: Buffer): string {
  return `#${id} ${message.length} bytes, sha-256 ${createHash('sha256').update(message).digest('hex').slice(0, 16)}`;
}
