/**
 * How a browser tab proves to the browser host that the student opened the URL it printed. Shared by the
 * host (main/hosts/browser) and the page (renderer/src/lib/bridge), hence here.
 *
 * The printed URL carries the token in its fragment (`/#token=...`), which the browser never sends to any
 * server. The page keeps it in sessionStorage (per origin, and an origin includes the port, so no other
 * local program's page can read it; a reload of the tab keeps it) and presents it on every WebSocket
 * connection as a subprotocol. It is never a cookie: browsers send the cookies of 127.0.0.1 to every
 * port of it, so a cookie credential would reach any other local program the student's browser visits.
 */

/** The subprotocol the host selects (the one it answers with: never the token). */
export const WS_PROTOCOL = 'ipc-lab';
/** The token travels as the subprotocol `ipc-lab-token.<token>` (base64url is valid in a protocol name). */
export const TOKEN_PROTOCOL_PREFIX = 'ipc-lab-token.';
/** The fragment key of the printed URL, and the sessionStorage key the page keeps the token under. */
export const TOKEN_FRAGMENT_KEY = 'token';
export const TOKEN_STORAGE_KEY = 'ipc-lab-token';

/** The subprotocols a tab offers: ours, and its token. */
export function webSocketProtocols(token: string): string[] {
  return [WS_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];
}

/** The token a WebSocket upgrade offers in `Sec-WebSocket-Protocol`, if any. */
export function tokenFromProtocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (protocol.startsWith(TOKEN_PROTOCOL_PREFIX)) return protocol.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** The URL the host prints: the token in the fragment, so no request ever carries it. */
export function signInUrl(origin: string, token: string): string {
  return `${origin}/#${TOKEN_FRAGMENT_KEY}=${token}`;
}
