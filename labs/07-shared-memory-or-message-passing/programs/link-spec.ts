/** The link both ends of the "link" scenario use: one spec, from the run's parameters. */
import { lab } from '../../../main/runtime/lab-runtime.js';
import { CARRIERS, type Carrier, type LinkSpec } from '../../../main/runtime/logical-link/logical-link.js';

/** Every message is "#<k> message k of m": well under this. */
export const MESSAGE_BYTES = 64;

export function linkSpec(): LinkSpec {
  const carrier = lab.choice('carrier') as Carrier;
  if (!(CARRIERS as readonly string[]).includes(carrier)) throw new Error(`carrier must be one of ${CARRIERS.join(', ')}, not "${carrier}"`);
  return { carrier, capacity: lab.int('capacity'), messageBytes: MESSAGE_BYTES, channel: 'link', tracer: lab, credits: lab.bool('credits') };
}

export function messageId(text: string): number {
  return Number(/^#(\d+)/.exec(text)?.[1] ?? -1);
}
