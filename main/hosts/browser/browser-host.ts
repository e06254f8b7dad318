/**
 * The browser host: the same engine the Electron window talks to, reached from an ordinary browser tab
 * over HTTP (the built UI) and one WebSocket per tab (the contract's wire format). It binds to 127.0.0.1
 * only and admits a tab only with the token printed at start (see access-guard.ts for why each check).
 *
 * The host stays thin: it parses frames, hands `{command, request}` to the engine unchanged (the engine
 * checks every request against the contract) and fans the engine's events out to every tab.
 */
import { createReadStream } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { signInUrl, WS_PROTOCOL } from '../../contract/browser-access.js';
import type { WireEvent } from '../../contract/commands.js';
import { toErrorInfo, type ErrorInfo } from '../../contract/errors.js';
import type { CommandOutcome, EngineHandle } from '../../engine/engine-handle.js';
import { browserHostCsp } from '../content-security-policy.js';
import { rendererDir } from '../project-paths.js';
import { AccessGuard, newToken, type Verdict } from './access-guard.js';
import { ConnectionLimiter, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection-limits.js';
import { lookUpStatic } from './static-files.js';

/** Requests larger than this are answered with `bad-request`, unparsed (the connection stays open). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * Requests nested deeper than this are answered with `bad-request`, unparsed: a request is a few levels
 * deep, while JSON.parse of 1 MiB of `[[[[...` took 0.76 s here (the host does nothing else meanwhile).
 */
export const MAX_MESSAGE_DEPTH = 32;
/** Frames larger than this are not even buffered: `ws` closes the connection with 1009. */
const HARD_MAX_PAYLOAD_BYTES = 4 * MAX_MESSAGE_BYTES;
/** Close code for a tab that cannot keep up with the engine's events (4000-4999: for applications). */
export const CLOSE_TOO_SLOW = 4008;
/** Close code when the host shuts down. */
export const CLOSE_GOING_AWAY = 1001;

export interface BrowserHostOptions {
  /** The engine to serve; the caller owns it (`close()` does not close it). */
  engine: EngineHandle;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The built UI; default: the project's dist/renderer. */
  staticDir?: string;
  /**
   * How many bytes of events a tab may have waiting (queued before it is ready, or unsent in its
   * socket) before it is dropped as too slow. Default 8 MiB: minutes of trace batches. The same bound
   * holds for answers: one is not sent while more than this waits unread in the tab's socket.
   */
  slowClientBytes?: number;
  /** How many connections the host keeps (connection-limits.ts); defaults: DEFAULT_CONNECTION_LIMITS. */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Where warnings go (a slow tab dropped, an event that could not be serialised). */
  warn?: (line: string) => void;
}

export interface BrowserHost {
  /** The URL to open, token in the fragment: `http://127.0.0.1:<port>/#token=<token>`. */
  url: string;
  port: number;
  token: string;
  /** Stops listening and closes every tab's socket. Does not close the engine. */
  close(): Promise<void>;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { engine } = options;
  const staticDir = options.staticDir ?? rendererDir();
  const slowClientBytes = options.slowClientBytes ?? 8 * 1024 * 1024;
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const token = newToken();

  // Known once listening (the port may be 0 until then); no request is handled before that.
  let guard: AccessGuard;
  let securityHeaders: Record<string, string> = {};

  const clients = new Set<Client>();
  const limiter = new ConnectionLimiter({ ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: HARD_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // Answer with our protocol, never with the offered token protocol (the upgrade checked it already).
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  const server = createServer((req, res) => {
    serveHttp(req, res).catch((error: unknown) => {
      warn(`IPC Lab's browser host failed to answer ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) sendText(res, 500, 'IPC Lab hit an internal error serving this file; see the terminal it runs in.');
      else res.destroy();
    });
  });

  server.on('connection', (socket: Socket) => limiter.admit(socket));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    limiter.requestStarted(req.socket);
    res.once('close', () => limiter.requestEnded(req.socket));
  });

  function sendText(res: ServerResponse, status: number, line: string, extra: Record<string, string> = {}): void {
    const body = `${line}\n`;
    res.writeHead(status, {
      ...securityHeaders,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  function refuse(res: ServerResponse, verdict: Verdict): boolean {
    if (verdict.allowed) return false;
    sendText(res, 403, verdict.reason);
    return true;
  }

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refuse(res, guard.checkHost(req))) return;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      if (refuse(res, guard.checkOrigin(req))) return;
      sendText(res, 405, "IPC Lab's server only serves the UI's files (GET); commands go over its WebSocket.", { Allow: 'GET, HEAD' });
      return;
    }
    const url = parseRequestUrl(req.url);
    if (!url) {
      sendText(res, 400, 'This request names no path IPC Lab understands. Open the URL that `npm start` printed, with its token.');
      return;
    }

    const given = url.searchParams.get('token');
    if (given !== null) {
      // The older form of the printed URL: move the token into the fragment, where the page takes it
      // (no cookie: see access-guard.ts).
      if (refuse(res, guard.checkToken(given))) return;
      sendText(res, 303, 'Continue to the page.', { Location: signInUrl('', token) });
      return;
    }

    if (url.pathname === '/ws') {
      sendText(res, 426, 'This address is the WebSocket the UI connects to; open / instead.', { Upgrade: 'websocket' });
      return;
    }
    const found = await lookUpStatic(staticDir, url.pathname);
    switch (found.kind) {
      case 'not-built':
        sendText(res, 503, 'The UI is not built: run npm run build');
        return;
      case 'outside':
        sendText(res, 403, "That path leads outside IPC Lab's UI folder; open / instead.");
        return;
      case 'not-found':
        sendText(res, 404, `IPC Lab has no file at ${url.pathname}; open / instead.`);
        return;
      case 'file': {
        res.writeHead(200, {
          ...securityHeaders,
          'Content-Type': found.contentType,
          'Content-Length': String(found.size),
          'Cache-Control': 'no-cache',
        });
        if (method === 'HEAD') {
          res.end();
          return;
        }
        const stream = createReadStream(found.file);
        stream.on('error', () => res.destroy());
        stream.pipe(res);
        return;
      }
    }
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = parseRequestUrl(req.url);
    if (!url || url.pathname !== '/ws') {
      rejectUpgrade(socket, 404, 'IPC Lab only accepts WebSocket connections at /ws.');
      return;
    }
    for (const verdict of [guard.checkHost(req), guard.checkOrigin(req), guard.checkWebSocketToken(req)]) {
      if (!verdict.allowed) {
        rejectUpgrade(socket, 403, verdict.reason);
        return;
      }
    }
    if (!limiter.promote(req.socket)) {
      rejectUpgrade(socket, 503, `IPC Lab already has ${limiter.counts.tabs} tabs connected, its limit; close one and reload this one.`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws));
  });

  function rejectUpgrade(socket: Duplex, status: number, line: string): void {
    const body = `${line}\n`;
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
        body,
    );
  }

  function accept(ws: WebSocket): void {
    const client = new Client(ws, slowClientBytes, warn);
    clients.add(client);
    ws.on('close', () => clients.delete(client));
    ws.on('error', () => clients.delete(client));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void onMessage(client, data, isBinary);
    });
  }

  async function onMessage(client: Client, data: RawData, isBinary: boolean): Promise<void> {
    const parsed = parseMessage(data, isBinary);
    if (parsed.kind === 'ready') {
      client.markReady();
      return;
    }
    let reply: { id: number } & CommandOutcome;
    if (parsed.kind === 'bad') {
      reply = { id: parsed.id, ok: false, error: parsed.error };
    } else {
      let outcome: CommandOutcome;
      try {
        outcome = await engine.handle(parsed.command, parsed.request);
      } catch (error) {
        // The engine promises never to throw; if it does, the tab still gets an answer.
        outcome = { ok: false, error: toErrorInfo(error) };
      }
      reply = { id: parsed.id, ...outcome };
    }
    client.sendReply(reply);
  }

  const unsubscribe = engine.onEvent((event: WireEvent) => {
    let data: string;
    try {
      data = JSON.stringify(event);
    } catch (error) {
      warn(`IPC Lab could not send a ${event.event} event to the browser: ${String(error)}`);
      return;
    }
    for (const client of clients) client.deliver(data);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: options.port ?? 0, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    wss.close();
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('IPC Lab: the browser host has no TCP address');
  const port = address.port;
  guard = new AccessGuard(port, token);
  securityHeaders = {
    'Content-Security-Policy': browserHostCsp(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };

  let closing: Promise<void> | undefined;
  return {
    url: signInUrl(`http://127.0.0.1:${port}`, token),
    port,
    token,
    close() {
      closing ??= (async () => {
        unsubscribe();
        await Promise.all([...clients].map((client) => client.shutDown()));
        wss.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/**
 * One tab. Events wait in `queue` until the tab says `{ready:true}`, then go out in order. A tab whose
 * backlog (queued, or buffered in its socket) passes `slowClientBytes` when an event or an answer is
 * to go out is closed with CLOSE_TOO_SLOW: memory stays bounded (to that, plus one message), and the UI
 * can reconnect and re-read runs with `runs.get`. One message is bounded too: runs.get answers a page
 * of events at a time (RUN_EVENTS_PAGE_MAX_WIRE_BYTES, main/contract/commands.ts), so a large run never
 * goes out as one message.
 */
class Client {
  #ready = false;
  #dropped = false;
  #queue: string[] = [];
  #queuedBytes = 0;

  constructor(
    readonly ws: WebSocket,
    readonly slowClientBytes: number,
    readonly warn: (line: string) => void,
  ) {}

  deliver(data: string): void {
    if (this.#dropped || this.ws.readyState !== WebSocket.OPEN) return;
    if (!this.#ready) {
      this.#queue.push(data);
      this.#queuedBytes += Buffer.byteLength(data);
      if (this.#queuedBytes > this.slowClientBytes) {
        this.#drop('IPC Lab: this page never said it was ready and fell too far behind; reload it.');
      }
      return;
    }
    this.#send(data);
  }

  markReady(): void {
    if (this.#ready) return;
    this.#ready = true;
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const data of queued) this.#send(data);
  }

  sendReply(reply: { id: number } & CommandOutcome): void {
    if (this.#dropped || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.slowClientBytes) {
      this.#drop('IPC Lab: this page does not read its answers and fell too far behind; reload it.');
      return;
    }
    let data: string;
    try {
      data = JSON.stringify(reply);
    } catch (error) {
      data = JSON.stringify({ id: reply.id, ok: false, error: toErrorInfo(error) });
    }
    this.ws.send(data);
  }

  /** Closes the socket politely, and for good if the tab does not answer within a second. */
  shutDown(): Promise<void> {
    return this.#close(CLOSE_GOING_AWAY, 'IPC Lab is shutting down.');
  }

  #send(data: string): void {
    if (this.#dropped || this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.slowClientBytes) {
      this.#drop('IPC Lab: this page could not keep up with the lab events; reload it to catch up.');
      return;
    }
    this.ws.send(data);
  }

  #drop(reason: string): void {
    this.#dropped = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.warn(`${reason} (closed one browser tab's connection)`);
    void this.#close(CLOSE_TOO_SLOW, reason);
  }

  #close(code: number, reason: string): Promise<void> {
    const ws = this.ws;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => ws.terminate(), 1000);
      timer.unref();
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    });
  }
}

type ParsedMessage = { kind: 'ready' } | { kind: 'request'; id: number; command: string; request: unknown } | { kind: 'bad'; id: number; error: ErrorInfo };

const WIRE_FIX =
  'Send one text frame per request holding JSON {"id": <number>, "command": "<name>", "request": {...}}, at most 1 MiB, or {"ready": true} once.';

function badRequest(id: number, message: string): ParsedMessage {
  return { kind: 'bad', id, error: { code: 'bad-request', message, fix: WIRE_FIX } };
}

/**
 * Turns one frame into a request, the ready signal, or a bad-request answer (never throws). Size and
 * nesting are checked on the raw bytes first, in one linear pass: JSON.parse only ever sees a frame of
 * at most MAX_MESSAGE_BYTES nested at most MAX_MESSAGE_DEPTH deep.
 */
export function parseMessage(data: RawData, isBinary: boolean): ParsedMessage {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (isBinary) return badRequest(leadingId(bytes), 'IPC Lab got a binary frame; it only reads JSON text.');
  if (bytes.length > MAX_MESSAGE_BYTES) {
    return badRequest(leadingId(bytes), `IPC Lab got a ${bytes.length}-byte message; the limit is ${MAX_MESSAGE_BYTES} bytes.`);
  }
  if (nestedDeeperThan(bytes, MAX_MESSAGE_DEPTH)) {
    return badRequest(leadingId(bytes), `IPC Lab got a message nested more than ${MAX_MESSAGE_DEPTH} levels deep; no request is.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return badRequest(0, 'IPC Lab got a message that is not JSON.');
  }
  const record = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const id = typeof record?.['id'] === 'number' && Number.isFinite(record['id']) ? record['id'] : 0;
  if (!record) return badRequest(0, 'IPC Lab got a JSON message that is not an object.');
  if (record['ready'] === true && !('id' in record)) return { kind: 'ready' };
  if (typeof record['id'] !== 'number' || !Number.isFinite(record['id'])) {
    return badRequest(0, 'IPC Lab got a request without a numeric "id".');
  }
  if (typeof record['command'] !== 'string') return badRequest(id, 'IPC Lab got a request whose "command" is not a string.');
  return { kind: 'request', id, command: record['command'], request: record['request'] };
}

/** The id of a frame that starts `{"id": <digits>`, the way the UI writes requests (0 otherwise): read unparsed. */
function leadingId(bytes: Buffer): number {
  const match = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\s*[,}]/.exec(bytes.subarray(0, 64).toString('latin1'));
  return match ? Number(match[1]) : 0;
}

/** Whether JSON text nests `[` / `{` deeper than `max` (brackets inside strings do not count). */
function nestedDeeperThan(bytes: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > max) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** The path and query of an origin-form request target (`/path?query`); anything else is refused. */
function parseRequestUrl(raw: string | undefined): URL | undefined {
  if (!raw?.startsWith('/')) return undefined;
  try {
    // Prefixing keeps `//evil.example/x` a path instead of a host name.
    return new URL(`http://127.0.0.1${raw}`);
  } catch {
    return undefined;
  }
}
