/** What an item in the buffer looks like: "#<id> <text>", at most ITEM_BYTES bytes. */
export const ITEM_BYTES = 64;

export function itemText(id: number, text: string): string {
  return `#${id} ${text}`.slice(0, ITEM_BYTES);
}

export function itemId(text: string): number {
  return Number(/^#(\d+)/.exec(text)?.[1] ?? -1);
}
