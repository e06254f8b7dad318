/** An item of the "synchronisation" scenario: "#<id> <text>", padded to ITEM_BYTES, ids producer × 10000 + k. */
import { ITEM_BYTES } from './sync-buffer.js';

/** What tells the consumers of the ring that the producers are done. */
export const END = 'END';

export function itemRecord(id: number, text: string): Buffer {
  return Buffer.from(`#${id} ${text}`.slice(0, ITEM_BYTES).padEnd(ITEM_BYTES, ' '));
}

/** The id an item carries, or 0 for bytes that are no item (an empty slot nobody wrote). */
export function itemIdOf(text: string): number {
  return Number(/^#(\d+)/.exec(text)?.[1] ?? 0);
}
