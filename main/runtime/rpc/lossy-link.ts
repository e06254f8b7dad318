/**
 * A lossy link: a relay between RPC clients and a server that loses, repeats and delays messages on
 * purpose, so that the failure step shows what a real network does to RPC, the same way each run.
 *
 *   client  ──TCP──▶  link (this, its own process)  ──TCP──▶  server
 *
 * The client connects to the link instead of the server; for each such connection the link opens one
 * to the server, and copies whole records (record marking, RFC 5531 §11) both ways. On chosen calls it
 * interferes with the *first copy* of the call (retries, with the same xid, pass untouched):
 *
 *   drop-request       the call never reaches the server
 *   drop-reply         the server runs the call and replies; the link throws the reply away
 *   duplicate-request  the call reaches the server twice
 *   delay              the call reaches the server `delayMs` later
 *
 * Calls are numbered 1, 2, 3 ... in the order their first copy reaches the link; the fault hits every
 * `every`-th. Both sockets are real TCP connections on the loopback, which by themselves lose nothing:
 * every loss here is the link deciding not to write a record it has read. (UDP on the loopback would not
 * lose either, unless a buffer overflows, and then not the same way each run.)
 *
 * When the client closes its side, the link still delivers what it holds back, then closes towards the
 * server, and closes towards the client once the server has: nothing held back is lost at the end.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { RpcFault } from '../../contract/trace-events.js';
import { RecordReader, frameRecord } from './record-marking.js';
import { peekMessage } from './message.js';
import type { RpcTracer } from './interface.js';
import { connect as connectTraced, traceAccepted } from '../sockets/traced-socket.js';

export interface LinkPlan {
  fault: RpcFault | 'none';
  /** The fault hits calls every, 2 x every, ... (numbered from 1 in the order they reach the link). */
  every: number;
  /** How long 'delay' holds a call back. */
  delayMs: number;
}

export interface LossyLink {
  port: number;
  address: string;
  close(): Promise<void>;
}

export async function startLossyLink(options: {
  target: { host: string; port: number };
  plan: LinkPlan;
  tracer: RpcTracer;
  channel?: string;
}): Promise<LossyLink> {
  const { plan, tracer, target } = options;
  const channel = options.channel ?? 'link';
  if (!Number.isInteger(plan.every) || plan.every < 1) throw new RangeError(`every must be a whole number of 1 or more, got ${plan.every}`);
  /** xid -> call number, for every call whose first copy came through. */
  const calls = new Map<number, number>();
  const sockets = new Set<Socket>();

  const fault = (xid: number, f: RpcFault, detail: string) => {
    tracer.emit('rpc.fault', { channel, xid, fault: f, detail });
    tracer.flush?.();
  };

  // allowHalfOpen: when the client shuts its side down, the link's side stays open until what it holds
  // back has gone to the server and the server's replies have come back.
  const server: Server = createServer({ allowHalfOpen: true }, (downstream) => {
    sockets.add(downstream);
    downstream.on('close', () => sockets.delete(downstream));
    traceAccepted(tracer, downstream, channel, 'tcp');
    const fromClient = new RecordReader();
    const fromServer = new RecordReader();
    const dropReplyTo = new Set<number>();
    const held = new Set<Promise<void>>();
    let clientEnded = false;
    const early: Buffer[] = [];
    let upstream: Socket | undefined;

    const toServer = (record: Buffer) => {
      if (upstream && !upstream.destroyed) upstream.write(frameRecord(record));
    };
    const endUpstreamWhenIdle = async () => {
      while (held.size > 0) await Promise.all([...held]);
      upstream?.end();
    };

    const onRequest = (record: Buffer) => {
      let xid: number;
      try {
        xid = peekMessage(record).xid;
      } catch {
        toServer(record); // not an RPC message: the server will say so
        return;
      }
      if (calls.has(xid)) {
        toServer(record); // a retry: passes untouched
        return;
      }
      const n = calls.size + 1;
      calls.set(xid, n);
      const hit = plan.fault !== 'none' && n % plan.every === 0 ? plan.fault : undefined;
      if (hit === 'drop-request') {
        fault(xid, hit, `call ${n}: the link read the request and did not pass it on; the server never sees it`);
        return;
      }
      if (hit === 'delay') {
        fault(xid, hit, `call ${n}: the link holds the request back ${plan.delayMs} ms before passing it on`);
        const later = new Promise<void>((resolve) =>
          setTimeout(() => {
            tracer.emit('note', { text: `the link passes on the request of xid ${xid} now, ${plan.delayMs} ms late` });
            tracer.flush?.();
            toServer(record);
            held.delete(later);
            resolve();
          }, plan.delayMs),
        );
        held.add(later);
        return;
      }
      if (hit === 'drop-reply') {
        dropReplyTo.add(xid);
        tracer.emit('note', { text: `call ${n} (xid ${xid}): the request goes through; the link will throw the server's reply away` });
      }
      if (hit === 'duplicate-request') fault(xid, hit, `call ${n}: the link passes the request on twice`);
      toServer(record);
      if (hit === 'duplicate-request') toServer(record);
    };

    downstream.on('data', (chunk: Buffer) => {
      let records: Buffer[];
      try {
        records = fromClient.push(chunk);
      } catch {
        downstream.destroy();
        upstream?.destroy();
        return;
      }
      for (const r of records) {
        if (upstream) onRequest(r);
        else early.push(r);
      }
    });
    downstream.on('end', () => {
      clientEnded = true;
      if (upstream) void endUpstreamWhenIdle();
    });
    downstream.on('error', () => {});

    connectTraced(tracer, target, channel)
      .then((connection) => {
        upstream = connection.socket;
        sockets.add(upstream);
        upstream.on('data', (chunk: Buffer) => {
          let records: Buffer[];
          try {
            records = fromServer.push(chunk);
          } catch {
            upstream?.destroy();
            downstream.destroy();
            return;
          }
          for (const r of records) {
            let xid = -1;
            try {
              xid = peekMessage(r).xid;
            } catch {
              // passed on as it is
            }
            if (dropReplyTo.delete(xid)) {
              fault(
                xid,
                'drop-reply',
                `call ${calls.get(xid)}: the server replied; the link read the reply and did not pass it on: the call ran, the client will not know`,
              );
              continue;
            }
            if (!downstream.destroyed) downstream.write(frameRecord(r));
          }
        });
        upstream.on('end', () => downstream.end());
        upstream.on('close', () => {
          sockets.delete(upstream!);
          if (!downstream.destroyed) downstream.end();
        });
        upstream.on('error', () => {});
        for (const r of early.splice(0)) onRequest(r);
        if (clientEnded) void endUpstreamWhenIdle();
      })
      .catch(() => downstream.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const address = `127.0.0.1:${port}`;
  tracer.emit('socket.listen', {
    channel,
    transport: 'tcp',
    address,
    detail: `a lossy link to ${target.host}:${target.port}: ${plan.fault === 'none' ? 'no fault' : `${plan.fault} on calls ${[1, 2, 3].map((i) => i * plan.every).join(', ')} ...`}`,
  });
  return {
    port,
    address,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
