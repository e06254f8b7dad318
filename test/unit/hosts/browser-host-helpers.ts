/**
 * Small clients for the browser host tests: raw HTTP (paths sent byte for byte, so traversal attempts are
 * not normalised away by a client library), and a WebSocket whose messages can be awaited in order.
 */
import { request } from 'node:http';
import { WebSocket, type RawData } from 'ws';

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

/** Signs in with the token and returns the `Cookie` header value the browser would send back. */
export async function signIn(port: number, token: string): Promise<string> {
  const answer = await httpGet(port, `/?token=${token}`);
  if (answer.status !== 303) throw new Error(`sign-in answered ${answer.status}: ${answer.body}`);
  const setCookie = answer.headers['set-cookie'];
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (!first) throw new Error('sign-in set no cookie');
  return first.split(';')[0]!;
}

export type Upgrade = { opened: true; socket: TestSocket } | { opened: false; status: number; body: string };

/** Opens /ws (or `path`) with the given headers; resolves either way, with the refusal's status. */
export function connect(port: number, headers: Record<string, string>, path = '/ws'): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, perMessageDeflate: false });
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

export async function connectOk(port: number, headers: Record<string, string>): Promise<TestSocket> {
  const upgrade = await connect(port, headers);
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
