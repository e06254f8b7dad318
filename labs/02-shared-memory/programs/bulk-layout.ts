/** What the "bulk" scenario's producer and consumer agree on. */
export const PIECE_BYTES = 64 * 1024;
export const SLOTS = 16;

/** Piece n: its number in the first 4 bytes (so the consumer can tell that none is lost or repeated). */
export function fillPiece(piece: Buffer, n: number): Buffer {
  piece.writeUInt32LE(n, 0);
  return piece;
}
