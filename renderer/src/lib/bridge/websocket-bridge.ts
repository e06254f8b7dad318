/**
 * Browser mode: the engine runs in `ipc-lab serve`, reached over a WebSocket on the same origin as the
 * page, which presents the tab's token as a subprotocol (main/contract/browser-access.ts). Wire format in
 * main/contract/commands.ts.
 */
import { webSocketProtocols } from '../../../../main/contract/browser-access.js';
import { BridgeError } from '../../../../main/contract/errors.js';
import type {
  Bridge,
  CommandName,
  CommandRequest,
  CommandResponse,
  EngineEvents,
  EventName,
  WireReady,
  WireRequest,
  WireResponse,
} from '../../../../main/contract/commands.js';
import { EventHub } from './bridge-events.js';

export const CONNECTION_LOST_MESSAGE = 'Lost connection to IPC Lab (the server stopped). Restart it with npm start and reload.';
/** A tab opened without the printed URL has no token to present. */
export const NO_TOKEN_MESSAGE =
  'This tab was not opened from the URL that `npm start` printed, so it has no access token. Open that URL (with its #token=...).';
/** The socket never opened: the server is gone, or the token is from an earlier start (it changes every start). */
export const NOT_ADMITTED_MESSAGE =
  'Could not connect to IPC Lab: it is not running, or this tab holds the token of an earlier start. Open the URL that `npm start` printed last.';

interface Pending {
  command: string;
  resolve: (response: unknown) => void;
  reject: (error: Error) => void;
}

export class WebSocketBridge implements Bridge {
  readonly #socket: WebSocket;
  readonly #opened: Promise<void>;
  readonly #events = new EventHub();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  /** `onLost` is told once, when the socket closes or cannot open (or at once, without a token). */
  constructor(url: string, token: string | null, onLost: (message: string) => void) {
    // Without a token the host would refuse us; offering only our protocol gets the same refusal.
    this.#socket = new WebSocket(url, token === null ? [] : webSocketProtocols(token));
    let opened = false;
    this.#socket.addEventListener('open', () => (opened = true), { once: true });
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.addEventListener('open', () => resolve(), { once: true });
      this.#socket.addEventListener('close', () => reject(new Error(CONNECTION_LOST_MESSAGE)), { once: true });
    });
    // Avoid an unhandled rejection when nobody is waiting for the socket to open.
    this.#opened.catch(() => {});
    this.#socket.addEventListener('message', (message) => this.#receive(message.data));
    this.#socket.addEventListener('open', () => {
      // Our handler is attached: the host may now flush the events it queued for us.
      const ready: WireReady = { ready: true };
      this.#socket.send(JSON.stringify(ready));
    });
    this.#socket.addEventListener('close', (event) => {
      if (this.#closed) return;
      this.#closed = true;
      for (const [, pending] of this.#pending) pending.reject(new Error(`${pending.command}: ${CONNECTION_LOST_MESSAGE}`));
      this.#pending.clear();
      if (!opened) {
        onLost(token === null ? NO_TOKEN_MESSAGE : NOT_ADMITTED_MESSAGE);
        return;
      }
      // The host names its reason when it closes on purpose (shutting down, a tab fallen too far behind).
      onLost(event.reason ? `${CONNECTION_LOST_MESSAGE} (${event.reason})` : CONNECTION_LOST_MESSAGE);
    });
  }

  /** The page's own origin, ws: or wss: to match http: or https:. */
  static urlForPage(location: Location): string {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  async call<C extends CommandName>(command: C, request: CommandRequest<C>): Promise<CommandResponse<C>> {
    await this.#opened;
    if (this.#closed) throw new Error(CONNECTION_LOST_MESSAGE);
    const id = this.#nextId++;
    const wire: WireRequest = { id, command, request };
    return new Promise<CommandResponse<C>>((resolve, reject) => {
      this.#pending.set(id, { command, resolve: resolve as (response: unknown) => void, reject });
      this.#socket.send(JSON.stringify(wire));
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      console.error('IPC Lab: the server sent a message that is not JSON', data.slice(0, 200));
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if ('event' in message) {
      const { event, payload } = message as { event: string; payload: unknown };
      this.#events.dispatch(event, payload);
      return;
    }
    if ('id' in message && 'ok' in message) {
      const response = message as WireResponse;
      const pending = this.#pending.get(response.id);
      if (!pending) return;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(response.response);
      else pending.reject(new BridgeError(response.error));
    }
  }
}
