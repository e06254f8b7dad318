/**
 * Small clients for the browser host tests: raw HTTP (paths sent byte for byte, so traversal attempts are
 * not normalised away by a client library), and a WebSocket whose messages can be awaited in order.
 */
import { request } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { webSocketProtocols } from '../../../main/contract/browser-access.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export type Upgrade = { opened: true; socket: TestSocket } | { opened: false; status: number; body: string };

/** What a tab of the host sends: our Origin, and the token as a subprotocol (as the page does). */
export function asTab(port: number, token: string): { headers: Record<string, string>; protocols: string[] } {
  return { headers: { Origin: `http://127.0.0.1:${port}` }, protocols: webSocketProtocols(token) };
}

/**
 * Opens /ws (or `path`) with the given headers and subprotocols; resolves either way, with the
 * refusal's status.
 */
export function connect(port: number, headers: Record<string, string>, protocols: string[] = [], path = '/ws'): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { headers, perMessageDeflate: false });
    const socket = new TestSocket(ws);
    ws.once('open', () => resolve({ opened: true, socket }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    ws.once('error', (error) => reject(error));
  });
}

export async function connectOk(port: number, tab: { headers: Record<string, string>; protocols: string[] }): Promise<TestSocket> {
  const upgrade = await connect(port, tab.headers, tab.protocols);
  if (!upgrade.opened) throw new Error(`upgrade refused with ${upgrade.status}: ${upgrade.body}`);
  return upgrade.socket;
}

/** A WebSocket whose incoming JSON messages are kept in arrival order and can be awaited. */
export class TestSocket {
  readonly received: unknown[] = [];
  #waiters: Array<{ predicate: (message: any) => boolean; resolve: (message: any) => void }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const message: unknown = JSON.parse(String(data));
      this.received.push(message);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.predicate(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (already received, or still to come) that `predicate` accepts. */
  next(predicate: (message: any) => boolean): Promise<any> {
    const earlier = this.received.find(predicate);
    if (earlier !== undefined) return Promise.resolve(earlier);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  /** Sends a request and waits for the answer with the same id. */
  async call(id: number, command: string, request: unknown): Promise<any> {
    this.send({ id, command, request });
    return this.next((message) => message?.id === id);
  }

  events(): Array<{ event: string; payload: any }> {
    return this.received.filter((message: any) => typeof message?.event === 'string') as Array<{ event: string; payload: any }>;
  }

  close(): Promise<unknown> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close();
    return this.closed;
  }
}
