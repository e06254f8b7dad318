/**
 * How the socket benchmark names an address on a command line: `unix:<path>` or `tcp:<host>:<port>`.
 */
import type { SocketAddress } from '../../../main/runtime/sockets/traced-socket.js';

export function parseAddress(spec: string): SocketAddress {
  if (spec.startsWith('unix:')) return { path: spec.slice(5) };
  const match = /^tcp:(.+):(\d+)$/.exec(spec);
  if (!match) throw new Error(`"${spec}" is not unix:<path> or tcp:<host>:<port>`);
  return { host: match[1]!, port: Number(match[2]) };
}
