/**
 * Which events are the two ends of an RPC's arrows, and how they find each other: a call drawn from the
 * client's rpc.call to where the server took it, and its reply from where the server sent it to where
 * the client got it. The engine's window summaries (main/engine/trace-window.ts) and the page's model
 * (renderer/src/lib/trace/trace-model.ts) both pair with RpcArrowPairing, so they draw the same arrows.
 * No imports: the page bundles it.
 *
 * The ends, by what the events of main/runtime/rpc/ say:
 *   call sent       rpc.call (the client, once per attempt)
 *   call taken      rpc.execute (the server ran it), rpc.duplicate replayed or dropped (it knew it),
 *                   a server's rpc.error naming the xid (it refused it), or the lossy link's rpc.fault
 *                   drop-request or delay (the call went as far as the link)
 *   reply sent      rpc.execute (stamped just before the reply is written), rpc.duplicate replayed, or a
 *                   server's rpc.error whose code is an error reply it sends (PROC_UNAVAIL ...)
 *   reply received  rpc.reply, a client's rpc.error naming the xid (an error reply, or one that does not
 *                   decode; not `unknown`, which says no reply came), or the link's rpc.fault drop-reply
 * A client's rpc.error is told from a server's by who emitted it: the process that sent rpc.call for
 * that xid on that channel is the client (a process's events are stored in the order it emitted them).
 *
 * Pairing: the xid names the call, and the channel the program (a link's faults carry the link's
 * channel, so they match by xid alone). Every attempt of a call carries the same xid and the same bytes
 * (that is how a server knows a retry), so which copy a server took cannot be read off the events; the
 * rule is that a message is taken after it was sent: an end that takes pairs with the latest waiting
 * sent end (in another process) stamped at or before it, and an end that sends pairs with the earliest
 * waiting taking end stamped at or after it. Each end is used once. Ends are fed in stored order, as
 * the rest of the timeline's pairing is, and an arrow once drawn stays: when another process's events
 * come late (say the link's drop-reply after the client's reply to the retry), or a delayed first copy
 * crosses its retry, an arrow may join the other copy of the same call.
 */

/** The error replies a server sends (RFC 5531 accept_stat and reject_stat), as rpc.error codes. */
export const RPC_ERROR_REPLIES: ReadonlySet<string> = new Set(['RPC_MISMATCH', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR']);

/** Kinds that can be an end of an RPC arrow (the others need not be read). */
export const RPC_ARROW_KINDS: ReadonlySet<string> = new Set(['rpc.call', 'rpc.execute', 'rpc.duplicate', 'rpc.error', 'rpc.fault', 'rpc.reply']);

type Role = 'call sent' | 'call taken' | 'reply sent' | 'reply received';

interface End<P> {
  pid: number;
  ts: bigint;
  seq: number;
  channel: string;
  xid: number;
  /** Emitted by the lossy link (rpc.fault): matches any channel. */
  link: boolean;
  payload: P;
}

/** An arrow: `from` sent, `to` took; `channel` and `xid` from the sending end. */
export interface RpcArrow<P> {
  arrow: 'call' | 'reply';
  from: P;
  to: P;
  channel: string;
  xid: number;
}

/**
 * Feed it a run's events in stored order (`add`); it returns the arrows each one completes. `P` is
 * whatever the caller wants back for each end (a lane and a time, a seq).
 */
export class RpcArrowPairing<P> {
  /** `${pid} ${channel} ${xid}` of every rpc.call: that process is the client of that call. */
  readonly #called = new Set<string>();
  /** Ends waiting for their partner, by role and xid. */
  readonly #waiting = new Map<string, End<P>[]>();

  add(event: { kind: string; pid: number; ts: bigint; seq: number; fields: Record<string, unknown> }, payload: P): RpcArrow<P>[] {
    const { kind, pid, fields: f } = event;
    if (!RPC_ARROW_KINDS.has(kind) || typeof f.xid !== 'number') return [];
    const channel = String(f.channel);
    const xid = f.xid;
    const roles: Role[] = [];
    switch (kind) {
      case 'rpc.call':
        this.#called.add(`${pid} ${channel} ${xid}`);
        roles.push('call sent');
        break;
      case 'rpc.execute':
        roles.push('call taken', 'reply sent');
        break;
      case 'rpc.duplicate':
        // executed-again: an rpc.execute of the same copy follows, and is its end.
        if (f.action === 'replayed') roles.push('call taken', 'reply sent');
        else if (f.action === 'dropped') roles.push('call taken');
        break;
      case 'rpc.error':
        if (this.#called.has(`${pid} ${channel} ${xid}`)) {
          if (f.code !== 'unknown') roles.push('reply received');
        } else {
          roles.push('call taken');
          if (RPC_ERROR_REPLIES.has(String(f.code))) roles.push('reply sent');
        }
        break;
      case 'rpc.fault':
        if (f.fault === 'drop-request' || f.fault === 'delay') roles.push('call taken');
        else if (f.fault === 'drop-reply') roles.push('reply received');
        break;
      case 'rpc.reply':
        roles.push('reply received');
        break;
    }
    const arrows: RpcArrow<P>[] = [];
    for (const role of roles) {
      const end: End<P> = { pid, ts: event.ts, seq: event.seq, channel, xid, link: kind === 'rpc.fault', payload };
      const arrow = role.startsWith('call') ? 'call' : 'reply';
      const sends = role === 'call sent' || role === 'reply sent';
      const partnerKey = `${arrow} ${sends ? 'taken' : 'sent'} ${xid}`;
      const waiting = this.#waiting.get(partnerKey);
      let best = -1;
      if (waiting) {
        for (let i = 0; i < waiting.length; i++) {
          const w = waiting[i]!;
          if (w.pid === pid || !(w.link || end.link || w.channel === channel)) continue;
          if (sends ? w.ts < end.ts : w.ts > end.ts) continue;
          const b = waiting[best];
          // Sending: the earliest taker at or after it; taking: the latest sender at or before it.
          if (!b || (sends ? w.ts < b.ts || (w.ts === b.ts && w.seq < b.seq) : w.ts > b.ts || (w.ts === b.ts && w.seq > b.seq))) best = i;
        }
      }
      if (best !== -1) {
        const match = waiting!.splice(best, 1)[0]!;
        if (waiting!.length === 0) this.#waiting.delete(partnerKey);
        const [from, to] = sends ? [end, match] : [match, end];
        arrows.push({ arrow, from: from.payload, to: to.payload, channel: from.channel, xid });
        continue;
      }
      const key = `${arrow} ${sends ? 'sent' : 'taken'} ${xid}`;
      const list = this.#waiting.get(key);
      if (list) list.push(end);
      else this.#waiting.set(key, [end]);
    }
    return arrows;
  }
}
