/**
 * Who may talk to the browser host. It listens on 127.0.0.1 only, but any web page the student has open
 * can still send requests to 127.0.0.1 (and a DNS-rebinding page can even read the answers), so:
 *
 * - `Host` must name the loopback address we listen on: this defeats DNS rebinding.
 * - `Origin`, when a request can have side effects (the WebSocket upgrade, any non-GET), must be our own
 *   page: this defeats cross-site WebSocket hijacking, since browsers always send Origin on upgrades.
 * - A random token, printed once in the URL's fragment, must be offered on every WebSocket upgrade as a
 *   subprotocol (main/contract/browser-access.ts). The page keeps it in sessionStorage. Nothing the browser
 *   sends on its own (cookies, which reach every port of 127.0.0.1) grants access: a page of another local
 *   program, or another local user, cannot learn or guess it.
 *
 * The UI's files are served without the token: they are the same for everyone and hold no secret (and
 * `Host` is still checked). Only the WebSocket reaches the engine.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokenFromProtocols } from '../../contract/browser-access.js';

export const OPEN_PRINTED_URL = 'Open the URL that `npm start` printed, with its token.';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares secrets in constant time, whatever their lengths (both sides are hashed to 32 bytes first). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export type Verdict = { allowed: true } | { allowed: false; reason: string };

export class AccessGuard {
  readonly #port: number;
  readonly #token: string;

  constructor(port: number, token: string) {
    this.#port = port;
    this.#token = token;
  }

  /** `Host` must be our loopback address and port (DNS rebinding sends the attacker's host name). */
  checkHost(req: IncomingMessage): Verdict {
    const host = req.headers.host;
    if (host === `127.0.0.1:${this.#port}` || host === `localhost:${this.#port}`) return { allowed: true };
    return {
      allowed: false,
      reason: `IPC Lab only answers requests for 127.0.0.1:${this.#port} (this one was for ${JSON.stringify(host ?? '')}). ${OPEN_PRINTED_URL}`,
    };
  }

  /** `Origin` must be our own page (checked on WebSocket upgrades and any non-GET request). */
  checkOrigin(req: IncomingMessage): Verdict {
    const origin = req.headers.origin;
    if (origin === `http://127.0.0.1:${this.#port}` || origin === `http://localhost:${this.#port}`) return { allowed: true };
    return {
      allowed: false,
      reason: `IPC Lab refuses requests from other pages (origin ${JSON.stringify(origin ?? 'none')}). ${OPEN_PRINTED_URL}`,
    };
  }

  /** A WebSocket upgrade must offer the token as a subprotocol (what a browser stores alone never does). */
  checkWebSocketToken(req: IncomingMessage): Verdict {
    const given = tokenFromProtocols(req.headers['sec-websocket-protocol']);
    if (given === undefined) return { allowed: false, reason: `This connection did not present IPC Lab's access token. ${OPEN_PRINTED_URL}` };
    return this.checkToken(given);
  }

  checkToken(given: string): Verdict {
    if (sameSecret(given, this.#token)) return { allowed: true };
    return { allowed: false, reason: `The token in this URL is not the one IPC Lab printed (it changes every start). ${OPEN_PRINTED_URL}` };
  }
}
