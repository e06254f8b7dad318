/**
 * How many TCP connections the browser host keeps, so that nobody (no token needed) can use up its file
 * descriptors by opening connections and leaving them idle: the engine needs descriptors for every
 * run (pipes, sockets, its database), and a run that cannot get one fails.
 *
 * - A connection is *unauthenticated* until it becomes a tab's admitted WebSocket (the page's files,
 *   upgrades in progress, and idle connections all are). At most `unauthenticated` of them are kept: a
 *   new one closes the oldest (an idle one first), so a flood cannot lock the page out; each is closed
 *   `graceMs` after it opened, once its current request is answered (a file being sent is never cut).
 * - At most `tabs` admitted WebSockets; one more is refused (the host answers 503 saying so).
 *
 * So the host holds at most `unauthenticated + tabs` connections, whatever is thrown at it.
 */
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Connections not (yet) an admitted WebSocket. Default 64: a few tabs' page loads (6 each). */
  unauthenticated: number;
  /** How long, in ms, an unauthenticated connection may stay. Default 5000. */
  graceMs: number;
  /** Admitted WebSockets (one per open tab). Default 32. */
  tabs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { unauthenticated: 64, graceMs: 5000, tabs: 32 };

interface Pending {
  /** Requests being answered on this connection. */
  busy: number;
  expired: boolean;
  timer: NodeJS.Timeout;
}

export class ConnectionLimiter {
  readonly #limits: ConnectionLimits;
  /** In the order they opened: the first is the oldest. */
  readonly #unauthenticated = new Map<Socket, Pending>();
  readonly #tabs = new Set<Socket>();

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get counts(): { unauthenticated: number; tabs: number } {
    return { unauthenticated: this.#unauthenticated.size, tabs: this.#tabs.size };
  }

  /** A new TCP connection (the server's `connection` event). */
  admit(socket: Socket): void {
    while (this.#unauthenticated.size >= this.#limits.unauthenticated) this.#evictOldest();
    const pending: Pending = { busy: 0, expired: false, timer: setTimeout(() => this.#expire(socket), this.#limits.graceMs) };
    pending.timer.unref();
    this.#unauthenticated.set(socket, pending);
    socket.once('close', () => this.#forget(socket));
  }

  /** An HTTP request arrived on `socket`; `requestEnded` when its response is done. */
  requestStarted(socket: Socket): void {
    const pending = this.#unauthenticated.get(socket);
    if (pending) pending.busy++;
  }

  requestEnded(socket: Socket): void {
    const pending = this.#unauthenticated.get(socket);
    if (!pending) return;
    pending.busy = Math.max(0, pending.busy - 1);
    if (pending.expired && pending.busy === 0) socket.destroy();
  }

  /** The connection passed every check and becomes a tab's WebSocket; false if there are tabs enough. */
  promote(socket: Socket): boolean {
    if (this.#tabs.size >= this.#limits.tabs) return false;
    const pending = this.#unauthenticated.get(socket);
    if (pending) clearTimeout(pending.timer);
    this.#unauthenticated.delete(socket);
    this.#tabs.add(socket);
    return true;
  }

  #expire(socket: Socket): void {
    const pending = this.#unauthenticated.get(socket);
    if (!pending) return;
    pending.expired = true;
    if (pending.busy === 0) socket.destroy();
  }

  #evictOldest(): void {
    let victim: Socket | undefined;
    for (const [socket, pending] of this.#unauthenticated) {
      victim ??= socket;
      if (pending.busy === 0) {
        victim = socket;
        break;
      }
    }
    if (!victim) return;
    // Forget it now: its 'close' comes later, and the loop in admit() must see the room it made.
    this.#forget(victim);
    victim.destroy();
  }

  #forget(socket: Socket): void {
    const pending = this.#unauthenticated.get(socket);
    if (pending) clearTimeout(pending.timer);
    this.#unauthenticated.delete(socket);
    this.#tabs.delete(socket);
  }
}
