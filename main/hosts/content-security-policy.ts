/**
 * The Content-Security-Policy both hosts send with the UI. The UI is our own bundle: scripts only from
 * our origin, no inline scripts, no eval, no plugins, no framing. Inline styles stay allowed because
 * Svelte's transitions and style: directives set them.
 */

/** The policy, with the extra origins the page may connect to (the browser host's WebSocket). */
export function contentSecurityPolicy(extraConnectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    ['connect-src', "'self'", ...extraConnectSources].join(' '),
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The browser host's policy: the page may open the WebSocket on its own port, by either loopback name. */
export function browserHostCsp(port: number): string {
  return contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}

/** The Electron window's policy: no network at all beyond its own files. */
export const ELECTRON_CSP = contentSecurityPolicy();
