/**
 * A synthetic RPC run for the arrow-pairing tests (engine and page): a client (pid 40) calls a bank
 * server (50) through a lossy link (60) under each fault the link makes, the server is killed and a
 * new one (70) replays the call from its ledger, an error reply, a call that ends unknown, and the same
 * xid on two programs (a second client, 80, and a matchmaker, 90). `expected` lists the arrows each
 * situation must give when the events are stored in time order, by pid and ms.
 */
import type { Event } from './trace-window-truth.js';

const MS = 1_000_000;

export const RPC_ROLES: Record<number, string> = { 40: 'client', 50: 'server', 60: 'link', 70: 'server', 80: 'client', 90: 'matchmaker' };

type Spec = [ms: number, pid: number, kind: string, fields: Record<string, unknown>];

const call = (xid: number, attempt = 1, channel = 'bank') => ({ channel, xid, procedure: 'deposit', args: '{…}', attempt });
const execute = (xid: number, channel = 'bank') => ({ channel, xid, procedure: 'deposit', args: '{…}', result: '100' });
const reply = (xid: number, attempts = 1, channel = 'bank') => ({ channel, xid, procedure: 'deposit', result: '100', attempts, durationNs: '1000' });
const replayed = (xid: number) => ({ channel: 'bank', xid, procedure: 'deposit', action: 'replayed' });
const fault = (xid: number, f: string) => ({ channel: 'link', xid, fault: f, detail: f });
const wait = (xid: number) => ({ op: 'wait', channel: `bank: reply to xid ${xid}` });

const SPECS: Spec[] = [
  // An ordinary call and its reply; the client's wait for it is a blocked bar of 2 ms.
  [10, 40, 'rpc.call', call(101)],
  [10.01, 40, 'io.begin', wait(101)],
  [11, 50, 'rpc.execute', execute(101)],
  [12.01, 40, 'io.end', { ...wait(101), bytes: 32, durationNs: String(2 * MS) }],
  [12.02, 40, 'rpc.reply', reply(101)],
  // drop-request: the first copy goes as far as the link; the wait ends ETIMEDOUT; the retry goes through.
  [20, 40, 'rpc.call', call(102)],
  [20.01, 40, 'io.begin', wait(102)],
  [20.5, 60, 'rpc.fault', fault(102, 'drop-request')],
  [1020, 40, 'io.error', { ...wait(102), code: 'ETIMEDOUT', message: 'no reply to xid 102 within 1000 ms' }],
  [1020.1, 40, 'rpc.call', call(102, 2)],
  [1021, 50, 'rpc.execute', execute(102)],
  [1022, 40, 'rpc.reply', reply(102, 2)],
  // drop-reply: the reply goes as far as the link; the retry is answered from the duplicate table.
  [2000, 40, 'rpc.call', call(103)],
  [2001, 50, 'rpc.execute', execute(103)],
  [2001.5, 60, 'rpc.fault', fault(103, 'drop-reply')],
  [3000, 40, 'rpc.call', call(103, 2)],
  [3001, 50, 'rpc.duplicate', replayed(103)],
  [3002, 40, 'rpc.reply', reply(103, 2)],
  // duplicate-request: one call reaches the server twice; the client takes the first reply.
  [4000, 40, 'rpc.call', call(104)],
  [4000.3, 60, 'rpc.fault', fault(104, 'duplicate-request')],
  [4001, 50, 'rpc.execute', execute(104)],
  [4001.5, 40, 'rpc.reply', reply(104)],
  [4002, 50, 'rpc.duplicate', replayed(104)],
  // delay: the first copy is held at the link, the retry is run, the late copy is replayed to nobody.
  [5000, 40, 'rpc.call', call(105)],
  [5000.2, 60, 'rpc.fault', fault(105, 'delay')],
  [6000, 40, 'rpc.call', call(105, 2)],
  [6001, 50, 'rpc.execute', execute(105)],
  [6002, 40, 'rpc.reply', reply(105, 2)],
  [6500, 50, 'rpc.duplicate', replayed(105)],
  // The server runs the call and is killed before replying; the new server replays it from its ledger.
  [7000, 40, 'rpc.call', call(106)],
  [7001, 50, 'rpc.execute', execute(106)],
  [7002, 50, 'host.exit', { code: null, signal: 'SIGKILL' }],
  [8000, 40, 'rpc.call', call(106, 2)],
  [8001, 70, 'rpc.duplicate', replayed(106)],
  [8002, 40, 'rpc.reply', reply(106, 2)],
  // An error reply: the server refuses the procedure, the client's stub says so.
  [9000, 40, 'rpc.call', call(107)],
  [9001, 70, 'rpc.error', { channel: 'bank', xid: 107, procedure: 'deposit', code: 'PROC_UNAVAIL', message: 'no such procedure' }],
  [9002, 40, 'rpc.error', { channel: 'bank', xid: 107, procedure: 'deposit', code: 'PROC_UNAVAIL', message: 'the server answered PROC_UNAVAIL' }],
  // No reply at all: the call ends unknown, and draws no reply arrow.
  [10000, 40, 'rpc.call', call(108)],
  [11000, 40, 'rpc.error', { channel: 'bank', xid: 108, procedure: 'deposit', code: 'unknown', message: 'no reply after 1 attempt' }],
  // One xid on two programs: channels keep them apart.
  [11999, 80, 'rpc.call', call(109)],
  [12000, 40, 'rpc.call', call(109, 1, 'matchmaker')],
  [12000.5, 70, 'rpc.execute', execute(109)],
  [12001, 90, 'rpc.execute', execute(109, 'matchmaker')],
  [12001.5, 80, 'rpc.reply', reply(109)],
  [12002, 40, 'rpc.reply', reply(109, 1, 'matchmaker')],
];

/** The arrows the run must give (stored in time order): [from pid, t0 ms, to pid, t1 ms]. */
export const EXPECTED_RPC_ARROWS: [number, number, number, number][] = [
  [40, 10, 50, 11],
  [50, 11, 40, 12.02],
  [40, 20, 60, 20.5],
  [40, 1020.1, 50, 1021],
  [50, 1021, 40, 1022],
  [40, 2000, 50, 2001],
  [50, 2001, 60, 2001.5],
  [40, 3000, 50, 3001],
  [50, 3001, 40, 3002],
  [40, 4000, 50, 4001],
  [50, 4001, 40, 4001.5],
  [40, 5000, 60, 5000.2],
  [40, 6000, 50, 6001],
  [50, 6001, 40, 6002],
  [40, 7000, 50, 7001],
  [40, 8000, 70, 8001],
  [70, 8001, 40, 8002],
  [40, 9000, 70, 9001],
  [70, 9001, 40, 9002],
  [80, 11999, 70, 12000.5],
  [70, 12000.5, 80, 12001.5],
  [40, 12000, 90, 12001],
  [90, 12001, 40, 12002],
];

/**
 * The run's events. `interleave`: a random generator; each process's events stay in their own order,
 * chunks of processes interleave (as batches from several processes reach the host). Without it, in
 * time order.
 */
export function rpcRun(interleave?: () => number): Event[] {
  const all = SPECS.map(([ms, pid, kind, fields]) => ({ seq: 0, t: Math.round(ms * MS), pid, kind, fields }));
  let events: Event[];
  if (!interleave) events = [...all].sort((a, b) => a.t - b.t);
  else {
    const byPid = [...new Set(all.map((e) => e.pid))].map((pid) => all.filter((e) => e.pid === pid).sort((a, b) => a.t - b.t));
    events = [];
    while (byPid.some((list) => list.length > 0)) {
      const list = byPid[Math.floor(interleave() * byPid.length)]!;
      events.push(...list.splice(0, 1 + Math.floor(interleave() * 3)));
    }
  }
  events.forEach((e, i) => (e.seq = i + 1));
  return events;
}
