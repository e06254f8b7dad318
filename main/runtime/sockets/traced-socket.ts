/**
 * Sockets, traced. A socket is one end of a connection between two processes, named by an address:
 * for TCP an IP address and a port ("127.0.0.1:7070"), for a Unix domain socket a path in the file
 * system ("/tmp/ipc-lab-run-x/echo.sock"). The calls are the textbook ones, made by Node's `net`
 * module on real kernel sockets:
 *
 *   server: socket() + bind(address) + listen()  → `listen`     (traced socket.listen, or io.error op bind)
 *           accept() → a new socket per client   → `traceAccepted` (traced socket.accept)
 *   client: socket() + connect(address)          → `connect`    (traced socket.connect, or io.error op connect)
 *   both:   close()                              → traced socket.close: `end` the peer closed in order
 *                                                  (FIN), `reset` it vanished (RST), `local` we closed
 *
 * A connection is the pair (local address, remote address): the client's side of it has an ephemeral
 * port the kernel chose at connect() time, and the server sees that same pair, reversed, from accept().
 *
 * The helpers take a tracer (the `lab` object of lab-runtime.ts) rather than importing it, so that
 * the benchmarks can use the same framing without a lab engine around them.
 *
 * Facts the texts and fixes below rely on (Linux):
 *   - A Unix socket's path goes in sockaddr_un.sun_path, 108 bytes including the terminating NUL
 *     (unix(7)): 107 bytes of path at most. libuv (Node 20) silently truncates a longer path and binds
 *     the truncated name, so `listen` and `connect` refuse such a path themselves (ENAMETOOLONG).
 *   - ECONNREFUSED: the peer's kernel answered the SYN with RST because no socket listens on that address
 *     and port (tcp(7), connect(2)). A host that drops the SYN (a firewall, an unreachable machine)
 *     gives no answer at all: connect() then fails with ETIMEDOUT after the SYN retries
 *     (/proc/sys/net/ipv4/tcp_syn_retries), not ECONNREFUSED.
 *   - libuv sets SO_REUSEADDR on every TCP socket it binds (listening or not). On Linux that lets a
 *     server bind its port again while old connections of it sit in TIME_WAIT (socket(7)), but never
 *     while another socket listens on it: that is EADDRINUSE.
 */
import { fstatSync } from 'node:fs';
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect as netConnect, createServer } from 'node:net';
import type { KernelObjectRef, SocketTransport, TraceEventFields } from '../../contract/trace-events.js';

/** What the helpers need to record events: lab-runtime's `lab` is one. */
export interface SocketTracer {
  emit<K extends 'socket.listen' | 'socket.connect' | 'socket.accept' | 'socket.close' | 'io.error' | 'object.create' | 'note'>(
    kind: K,
    fields: TraceEventFields[K],
  ): void;
}

/** Where a socket lives: a TCP host and port, or a Unix socket's path. */
export type SocketAddress = { host: string; port: number } | { path: string };

export function transportOf(address: SocketAddress): SocketTransport {
  return 'path' in address ? 'unix' : 'tcp';
}

/**
 * The address as a student reads it: "127.0.0.1:5000", "[::1]:5000" (an IPv6 address in brackets, so
 * its colons are not taken for the port's), or a Unix socket's path.
 */
export function formatAddress(address: SocketAddress | AddressInfo | string | null | undefined): string {
  if (address === null || address === undefined) return '(unnamed)';
  if (typeof address === 'string') return address === '' ? '(unnamed)' : address;
  if ('path' in address) return address.path;
  const host = 'host' in address ? address.host : address.address;
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

/** This end of a connected socket. A Unix client socket has no name of its own (it never bound one). */
export function localOf(socket: Socket, transport: SocketTransport, unixPath?: string): string {
  if (transport === 'unix') return unixPath ?? '(unnamed)';
  return formatAddress({ host: socket.localAddress ?? '?', port: socket.localPort ?? 0 });
}

/** The other end of a connected socket. */
export function remoteOf(socket: Socket, transport: SocketTransport, unixPath?: string): string {
  if (transport === 'unix') return unixPath ?? '(unnamed)';
  return formatAddress({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
}

/** What the kernel calls this socket's descriptor, "socket:[inode]", as /proc/<pid>/fd shows it. */
export function kernelRefOf(handle: Socket | Server): KernelObjectRef | undefined {
  // Node keeps the descriptor in its internal handle; it is there on Linux and macOS, not on Windows.
  const fd = (handle as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    const inode = fstatSync(fd).ino;
    return { type: 'socket', name: `socket:[${inode}]`, inode };
  } catch {
    return undefined;
  }
}

/**
 * sizeof(sockaddr_un.sun_path) on Linux, the terminating NUL included (unix(7)): a path of more bytes
 * than UNIX_PATH_MAX - 1 cannot be bound or connected to as it is.
 */
export const UNIX_PATH_MAX = 108;

/** The fix to suggest for a failed bind or connect, by errno. */
export function fixFor(code: string, op: 'bind' | 'connect', address: string): string {
  switch (code) {
    case 'EADDRINUSE':
      return address.startsWith('/')
        ? `${address} exists already: a server listens there, or a stale socket file was left by one that died. Fix: connect to find out (ECONNREFUSED: nobody listens), then unlink the stale file and bind again.`
        : `another socket is bound to ${address} already. Fix: choose another port (0 lets the kernel pick a free one), or stop the process that holds it (\`ss -ltnp\` names it).`;
    case 'EACCES':
      return `binding ${address} needs a privilege this process does not have: ports below /proc/sys/net/ipv4/ip_unprivileged_port_start are for root or CAP_NET_BIND_SERVICE (capabilities(7)). Fix: use a port at or above it.`;
    case 'ECONNREFUSED':
      return address.startsWith('/')
        ? `the socket file ${address} exists but nobody listens on it (unix(7)): a stale file, or a server that closed its socket. Fix: start the server (it may remove the stale file first).`
        : `nobody listens on ${address}: the kernel there answered the connection request (SYN) with a reset (RST). Fix: start the server first, or check the address and port. (A firewall that drops the SYN gives no answer: connect() then times out with ETIMEDOUT instead.)`;
    case 'ETIMEDOUT':
      return `${address} never answered: the connection request (SYN) was sent again and again (/proc/sys/net/ipv4/tcp_syn_retries) and nothing came back, neither SYN-ACK nor RST. Fix: check that the host is up and that no firewall drops the packets.`;
    case 'ENOENT':
      return `${address} does not exist: no server has bound this Unix socket path. Fix: start the server first.`;
    case 'ENAMETOOLONG':
      return `${address} is ${Buffer.byteLength(address)} bytes, but a Unix socket's path must fit in sun_path: at most ${UNIX_PATH_MAX - 1} bytes plus the terminating NUL (unix(7)). Fix: use a shorter path (a shorter TMPDIR, or a path relative to a shorter directory).`;
    case 'EADDRNOTAVAIL':
      return op === 'bind'
        ? `${address} is not an address of this machine. Fix: bind an address that \`ip addr\` lists, or 0.0.0.0 for all of them.`
        : `the connection (local address, ${address}) exists already: this local address and port are already connected to ${address}, and no two connections may have the same pair (or every ephemeral port is in use). Fix: let the kernel choose the local port (do not bind one before connect).`;
    default:
      return `${op} ${address} failed with ${code}.`;
  }
}

/** An errno-style error for a path that does not fit in sun_path, traced like one from the kernel. */
function pathTooLong(path: string): NodeJS.ErrnoException | undefined {
  if (Buffer.byteLength(path) <= UNIX_PATH_MAX - 1) return undefined;
  const error: NodeJS.ErrnoException = new Error(`ENAMETOOLONG: ${path} does not fit in sun_path (${UNIX_PATH_MAX} bytes with the NUL)`);
  error.code = 'ENAMETOOLONG';
  return error;
}

export interface ListenOptions {
  channel: string;
  /** Extra text for the socket.listen event (e.g. "bound to the loopback only"). */
  detail?: string;
  /** Connections waiting for accept() before the kernel refuses more (listen(2)'s backlog). */
  backlog?: number;
}

/**
 * socket() + bind() + listen() on `address`. Resolves with the listening server and the address it got
 * (port 0 means "any free port": the kernel picks one, and the trace shows which); rejects with the
 * errno (EADDRINUSE, EACCES, ...) after tracing it as io.error op "bind", with the fix in the message.
 * Accepted connections are the server's 'connection' events: pass each to `traceAccepted`.
 */
export function listen(tracer: SocketTracer, address: SocketAddress, options: ListenOptions): Promise<{ server: Server; address: string }> {
  const transport = transportOf(address);
  const server = createServer();
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'EUNKNOWN';
      const where = formatAddress(address);
      tracer.emit('io.error', { op: 'bind', channel: options.channel, code, message: `bind ${where}: ${code}: ${fixFor(code, 'bind', where)}` });
      server.close();
      reject(error);
    };
    const tooLong = 'path' in address ? pathTooLong(address.path) : undefined;
    if (tooLong) return onError(tooLong);
    server.once('error', onError);
    const ready = () => {
      server.off('error', onError);
      const bound = 'path' in address ? address.path : formatAddress(server.address() as AddressInfo);
      tracer.emit('socket.listen', { channel: options.channel, transport, address: bound, ...(options.detail ? { detail: options.detail } : {}) });
      const object = kernelRefOf(server);
      if (object) tracer.emit('object.create', { channel: options.channel, object, detail: `listening socket on ${bound}` });
      resolve({ server, address: bound });
    };
    if ('path' in address) server.listen({ path: address.path, backlog: options.backlog ?? 511 }, ready);
    else server.listen({ host: address.host, port: address.port, backlog: options.backlog ?? 511, exclusive: true }, ready);
  });
}

/**
 * A connected socket whose end is traced: socket.close once, with how it ended and the bytes that went
 * each way. The byte counts are the application's (what 'data' delivered and what write() accepted).
 */
export class TracedConnection {
  readonly local: string;
  readonly remote: string;
  bytesIn = 0;
  private closedLocally = false;
  private peerEnded = false;
  private resetCode: string | undefined;
  /** Resolves when the connection is closed (after socket.close is traced), with how it ended. */
  readonly closed: Promise<'end' | 'reset' | 'local'>;

  constructor(
    private readonly tracer: SocketTracer,
    readonly socket: Socket,
    readonly channel: string,
    readonly transport: SocketTransport,
    local: string,
    remote: string,
    /** Extra text for socket.close, computed when it closes (e.g. "got 5 of 10 messages"). */
    private readonly describeClose?: () => string | undefined,
  ) {
    this.local = local;
    this.remote = remote;
    socket.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length;
    });
    socket.on('end', () => {
      this.peerEnded = true;
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // ECONNRESET: the peer's kernel answered with RST (it died with data unread, or reset on purpose).
      // EPIPE: we wrote after the peer was gone.
      this.resetCode = error.code ?? 'EUNKNOWN';
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        // Neither the peer's FIN ('end') nor an error came before 'close': this process closed it (end() or destroy()).
        const how = this.resetCode ? 'reset' : this.peerEnded && !this.closedLocally ? 'end' : 'local';
        const extra = this.describeClose?.();
        const detail = [this.resetCode ? `${this.resetCode}: the peer is gone without a proper close` : undefined, extra].filter(Boolean).join('; ');
        tracer.emit('socket.close', {
          channel,
          transport,
          local,
          remote,
          how,
          bytesIn: this.bytesIn,
          bytesOut: socket.bytesWritten,
          ...(detail ? { detail } : {}),
        });
        resolve(how);
      });
    });
  }

  /** write(2), respecting back-pressure: resolves when the kernel took the bytes (or the buffer drained). */
  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const ok = this.socket.write(data, (error) => (error ? reject(error) : undefined));
      if (ok) resolve();
      else this.socket.once('drain', resolve);
    });
  }

  /** shutdown(SHUT_WR) then close: the peer reads end of file. */
  end(): void {
    this.closedLocally = !this.peerEnded;
    this.socket.end();
  }

  /** close() at once, with an RST (SO_LINGER 0): the peer sees ECONNRESET, not an orderly end. */
  reset(): void {
    this.closedLocally = true;
    this.socket.resetAndDestroy();
  }

  /**
   * Stops reading from the kernel, as a process stuck elsewhere would: whatever the peer sends from now
   * on stays in this socket's receive queue (/proc/net/tcp rx_queue). Node's pause() alone is not that:
   * Node goes on reading into its own buffer up to its high-water mark. So this stops the handle's read
   * (uv_read_stop) as well; the stream still believes a read is under way and does not start another.
   * Call it before data arrives.
   */
  stopReading(): void {
    this.socket.pause();
    (this.socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
  }
}

/** Traces a connection a listening server accepted: socket.accept with the (server, client) pair. */
export function traceAccepted(
  tracer: SocketTracer,
  socket: Socket,
  channel: string,
  transport: SocketTransport,
  unixPath?: string,
  describeClose?: () => string | undefined,
): TracedConnection {
  const local = localOf(socket, transport, unixPath);
  const remote = transport === 'unix' ? '(unnamed client)' : remoteOf(socket, transport);
  if (transport === 'tcp') socket.setNoDelay(true);
  tracer.emit('socket.accept', { channel, transport, local, remote });
  const object = kernelRefOf(socket);
  if (object) tracer.emit('object.create', { channel, object, detail: `accepted: ${local} ← ${remote}` });
  return new TracedConnection(tracer, socket, channel, transport, local, remote, describeClose);
}

export interface ConnectOptions {
  /**
   * TCP only: bind() this local port (on `localAddress`, default 127.0.0.1) before connect(), instead
   * of letting the kernel choose an ephemeral port at connect() time.
   */
  localPort?: number;
  localAddress?: string;
}

/**
 * socket() + connect() to a server. Resolves once connected (traced socket.connect with the client's
 * own address, its ephemeral port for TCP); rejects after tracing io.error op "connect" (ECONNREFUSED:
 * nobody listens there). TCP sockets get TCP_NODELAY: each write goes out at once, with no Nagle delay.
 */
export function connect(
  tracer: SocketTracer,
  address: SocketAddress,
  channel: string,
  describeClose?: () => string | undefined,
  options: ConnectOptions = {},
): Promise<TracedConnection> {
  const transport = transportOf(address);
  const target = formatAddress(address);
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const onError = (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'EUNKNOWN';
      tracer.emit('io.error', { op: 'connect', channel, code, message: `connect ${target}: ${code}: ${fixFor(code, 'connect', target)}` });
      socket?.destroy();
      reject(error);
    };
    const tooLong = 'path' in address ? pathTooLong(address.path) : undefined;
    if (tooLong) return onError(tooLong);
    const bindFirst = options.localPort !== undefined ? { localAddress: options.localAddress ?? '127.0.0.1', localPort: options.localPort } : {};
    const connecting =
      'path' in address ? netConnect({ path: address.path }) : netConnect({ host: address.host, port: address.port, noDelay: true, ...bindFirst });
    socket = connecting;
    connecting.once('error', onError);
    connecting.once('connect', () => {
      connecting.off('error', onError);
      const local = transport === 'unix' ? '(unnamed)' : localOf(connecting, transport);
      const remote = transport === 'unix' ? target : remoteOf(connecting, transport);
      tracer.emit('socket.connect', { channel, transport, local, remote });
      const object = kernelRefOf(connecting);
      if (object) tracer.emit('object.create', { channel, object, detail: `connected: ${local} → ${remote}` });
      resolve(new TracedConnection(tracer, connecting, channel, transport, local, remote, describeClose));
    });
  });
}
