/** The messages of the "lifetime" scenario: fixed-size lines, so that a reader can take exactly one. */
export const MESSAGE_BYTES = 32;

export function message(seq: number, of: number): string {
  return `message ${seq} of ${of}`.padEnd(MESSAGE_BYTES - 1, '.') + '\n';
}
