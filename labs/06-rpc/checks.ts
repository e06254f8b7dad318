/**
 * Checks over the student's own run of the RPC lab. Each says whether the trace shows the behaviour
 * the step is about, and what it showed.
 */
import { defineChecks, eventsOf, type RunTrace } from '../../main/engine/check-kit.js';
import type { MessageField, StoredEventOf } from '../../main/contract/trace-events.js';

const BANK_NUMBER = 0x2000_0101;
const DEPOSIT = 1;

function field(fields: MessageField[], path: string, type?: string): MessageField | undefined {
  return fields.find((f) => f.path === path && (type === undefined || f.type === type));
}

function measureOf(trace: RunTrace, name: string, role?: string): StoredEventOf<'measure'> | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name);
}

/** The request bytes the client sent for call `xid` (found by its labelled xid field). */
function requestBytes(trace: RunTrace, xid: number, role: string): StoredEventOf<'message.bytes'> | undefined {
  return eventsOf(trace, 'message.bytes', role).find((m) => m.direction === 'send' && field(m.fields, 'xid')?.value === String(xid) && field(m.fields, 'msgType')?.value === 'CALL (0)');
}

function int(trace: RunTrace, name: string): number {
  return trace.params[name] as number;
}

export default defineChecks({
  'request-fields-match-call': {
    title: "The request's labelled bytes say what the call was: program, procedure and arguments",
    hint: "Open the deposit's request in the client's lane: its fields should read BANK's program number, procedure 1 and the amount you chose.",
    check(trace) {
      const call = eventsOf(trace, 'rpc.call', 'client').find((c) => c.procedure === 'deposit' && c.attempt === 1);
      if (!call) return { passed: false, detail: 'The client made no deposit call.' };
      const bytes = requestBytes(trace, call.xid, 'client');
      if (!bytes) return { passed: false, detail: `No request bytes with xid ${call.xid} were traced.` };
      const got = {
        prog: field(bytes.fields, 'prog')?.value,
        proc: field(bytes.fields, 'proc')?.value,
        account: field(bytes.fields, 'args.account', 'string<32>')?.value,
        amount: field(bytes.fields, 'args.amount')?.value,
      };
      const want = { prog: String(BANK_NUMBER), proc: String(DEPOSIT), account: '"alice"', amount: String(int(trace, 'amount')) };
      const wrong = Object.entries(want).filter(([k, v]) => got[k as keyof typeof got] !== v);
      if (wrong.length > 0) return { passed: false, detail: `The request's fields disagree with the call: ${wrong.map(([k, v]) => `${k} is ${got[k as keyof typeof got] ?? 'missing'}, expected ${v}`).join('; ')}.` };
      const amount = field(bytes.fields, 'args.amount')!;
      return {
        passed: true,
        detail: `xid ${call.xid}: prog ${got.prog} (0x${BANK_NUMBER.toString(16)}), proc ${got.proc} (deposit), account ${got.account}, amount ${got.amount} as ${amount.bytes} at offset ${amount.offset}; ${bytes.bytes} bytes on the wire.`,
      };
    },
  },
  'result-right': {
    title: 'The server ran the deposit and the client got the right balance back',
    hint: 'Look for rpc.execute in the server\'s lane and rpc.reply in the client\'s, with the same xid.',
    check(trace) {
      const call = eventsOf(trace, 'rpc.call', 'client').find((c) => c.procedure === 'deposit');
      if (!call) return { passed: false, detail: 'The client made no deposit call.' };
      const executed = eventsOf(trace, 'rpc.execute', 'server').find((e) => e.xid === call.xid);
      const reply = eventsOf(trace, 'rpc.reply', 'client').find((e) => e.xid === call.xid);
      const amount = String(int(trace, 'amount'));
      if (!executed) return { passed: false, detail: `The server did not run xid ${call.xid}.` };
      if (!reply) return { passed: false, detail: `No reply to xid ${call.xid} reached the client.` };
      return reply.result === amount
        ? { passed: true, detail: `The server (pid ${executed.pid}) ran deposit(${executed.args}) -> ${executed.result}; the client (pid ${reply.pid}) got ${reply.result} after ${reply.attempts} attempt(s), ${(Number(reply.durationNs) / 1e6).toFixed(2)} ms.` }
        : { passed: false, detail: `The client got ${reply.result}; a first deposit of ${amount} into a new account should give ${amount}.` };
    },
  },
  'native-order-misread': {
    title: 'The integer sent in native byte order arrived as another number; the XDR one arrived right',
    hint: 'Send it raw as well as in XDR, and pick a value whose four bytes are not a palindrome (1000 is fine).',
    check(trace) {
      const sent = eventsOf(trace, 'message.bytes', 'sender').filter((m) => m.channel === 'numbers');
      const texts = new Map(eventsOf(trace, 'message.send', 'sender').map((m) => [m.messageId, m.text]));
      const received = new Map(eventsOf(trace, 'message.receive', 'receiver').map((m) => [m.messageId, m.text]));
      const outcome = (encoding: (e: string) => boolean) =>
        sent.filter((m) => encoding(m.encoding ?? '')).map((m) => ({ sent: texts.get(m.messageId), got: received.get(m.messageId), hex: m.hex }));
      const native = outcome((e) => e.startsWith('native'));
      const xdr = outcome((e) => e === 'xdr');
      const misread = native.find((n) => n.got !== undefined && n.got !== n.sent);
      const right = xdr.find((n) => n.got !== undefined && n.got === n.sent);
      if (!misread) {
        return { passed: false, detail: native.length === 0 ? 'Nothing was sent in native order.' : `The native-order integer arrived as ${native[0]!.got ?? 'nothing'} (sent ${native[0]!.sent}): not misread.` };
      }
      if (!right) return { passed: false, detail: 'The XDR integer did not arrive as sent.' };
      return { passed: true, detail: `Native order: sent ${misread.sent}, bytes ${misread.hex.slice(12)}, read as ${misread.got}. XDR: bytes ${right.hex.slice(12)}, read as ${right.got}.` };
    },
  },
  'balance-right': {
    title: 'The final balance counts each deposit exactly once',
    hint: 'Compare the deposits the client made with the final balance; with semantics "none", look for rpc.duplicate "executed-again".',
    check(trace) {
      const expected = int(trace, 'deposits') * int(trace, 'amount');
      const balance = measureOf(trace, 'final balance', 'client');
      if (!balance) return { passed: false, detail: 'The client never got the final balance.' };
      const executed = eventsOf(trace, 'rpc.execute', 'server').filter((e) => e.procedure === 'deposit').length;
      return balance.value === expected
        ? { passed: true, detail: `${int(trace, 'deposits')} deposits of ${int(trace, 'amount')}: balance ${balance.value}, as expected; the server ran deposit ${executed} times.` }
        : { passed: false, detail: `The balance is ${balance.value}, not ${expected}: the server ran deposit ${executed} times for ${int(trace, 'deposits')} deposits.` };
    },
  },
  'faults-and-retries': {
    title: 'The chosen fault was injected, and the client retried where it had to',
    hint: 'A fault acts on every k-th call: make sure there are at least k deposits. A delay causes a retry only if it is longer than the timeout.',
    check(trace) {
      const fault = trace.params.fault as string;
      const faults = eventsOf(trace, 'rpc.fault', 'client');
      const retries = eventsOf(trace, 'rpc.call', 'client').filter((c) => c.attempt > 1);
      if (fault === 'none') return faults.length === 0 ? { passed: true, detail: 'No fault chosen, none injected.' } : { passed: false, detail: `${faults.length} faults injected though none was chosen.` };
      const injected = faults.filter((f) => f.fault === fault);
      if (injected.length === 0) return { passed: false, detail: `No ${fault} fault appears in the trace.` };
      const mustRetry = fault === 'drop-request' || fault === 'drop-reply' || (fault === 'delay' && int(trace, 'delayMs') > int(trace, 'timeoutMs'));
      if (mustRetry && retries.length < injected.length) return { passed: false, detail: `${injected.length} ${fault} faults but only ${retries.length} retries.` };
      return { passed: true, detail: `${injected.length} ${fault} fault(s) on xids ${injected.map((f) => f.xid).join(', ')}; ${retries.length} retr${retries.length === 1 ? 'y' : 'ies'}.` };
    },
  },
  'duplicates-suppressed': {
    title: 'Every repeated request was recognised and not run again',
    hint: 'With semantics "none" the server has no memory of xids: choose at-most-once or exactly-once.',
    check(trace) {
      const duplicates = eventsOf(trace, 'rpc.duplicate', 'server');
      const again = duplicates.filter((d) => d.action === 'executed-again' && d.procedure === 'deposit');
      if (again.length > 0) return { passed: false, detail: `${again.length} repeated deposit(s) ran again (xids ${again.map((d) => d.xid).join(', ')}).` };
      const counts = ['replayed', 'dropped'].map((a) => `${duplicates.filter((d) => d.action === a).length} ${a}`).join(', ');
      return { passed: true, detail: duplicates.length === 0 ? 'No request reached the server twice.' : `${duplicates.length} duplicate(s) suppressed: ${counts}.` };
    },
  },
  'port-from-matchmaker': {
    title: "The client called the port the matchmaker gave it, which is the server's own, and the call succeeded",
    hint: 'The server registers when it listens; the client must LOOKUP before it connects to the bank.',
    check(trace) {
      const listen = eventsOf(trace, 'socket.listen', 'server').find((l) => l.channel === 'bank');
      if (!listen) return { passed: false, detail: 'The bank server never listened.' };
      const serverPort = Number(listen.address.split(':').pop());
      const lookup = eventsOf(trace, 'rpc.reply', 'client').filter((r) => r.channel === 'matchmaker' && r.procedure === 'lookup' && r.result !== '0').pop();
      if (!lookup) return { passed: false, detail: 'The client got no port from the matchmaker.' };
      const connect = eventsOf(trace, 'socket.connect', 'client').find((c) => c.channel === 'bank' && c.seq > lookup.seq);
      if (!connect) return { passed: false, detail: 'The client did not connect to the bank after its lookup.' };
      const calledPort = Number(connect.remote.split(':').pop());
      if (String(calledPort) !== lookup.result || calledPort !== serverPort) {
        return { passed: false, detail: `Lookup said ${lookup.result}, the client connected to ${calledPort}, the server listens on ${serverPort}.` };
      }
      const reply = eventsOf(trace, 'rpc.reply', 'client').find((r) => r.channel === 'bank' && r.seq > connect.seq);
      if (!reply) return { passed: false, detail: `The client connected to port ${calledPort} but got no reply from the bank.` };
      return { passed: true, detail: `The server listened on port ${serverPort} (chosen by the kernel); LOOKUP BANK answered ${lookup.result}; the client called ${reply.procedure} there and got ${reply.result}.` };
    },
  },
  'three-ways-measured': {
    title: 'A direct call, a raw socket round trip and an RPC were each measured over every call, with every result right',
    hint: 'All three must run the requested number of calls; look at the measure events of the client.',
    check(trace) {
      const calls = int(trace, 'calls');
      const ways = ['direct', 'raw socket', 'rpc'];
      const rows = ways.map((w) => ({
        way: w,
        calls: measureOf(trace, `${w}: calls`, 'client')?.value,
        right: measureOf(trace, `${w}: right results`, 'client')?.value,
        ns: measureOf(trace, `${w}: time per call`, 'client')?.value,
      }));
      const bad = rows.filter((r) => r.calls !== calls || r.right !== calls || !(r.ns! > 0));
      if (bad.length > 0) return { passed: false, detail: bad.map((r) => `${r.way}: ${r.calls ?? 'no'} calls, ${r.right ?? 'no'} right results`).join('; ') + ` (expected ${calls} each).` };
      const [direct, raw, rpc] = rows.map((r) => r.ns!) as [number, number, number];
      return {
        passed: true,
        detail: `${calls} calls each. Per call: direct ${direct} ns, raw socket ${(raw / 1000).toFixed(1)} µs, RPC ${(rpc / 1000).toFixed(1)} µs. RPC / direct ${Math.round(rpc / direct)}x, RPC / raw socket ${(rpc / raw).toFixed(2)}x.`,
      };
    },
  },
  'bad-input-reported': {
    title: 'Each bad input was answered or cut off, with an error naming what was wrong',
    hint: 'Look at the rpc.error events of the server: one per kind of bad input the intruder sent.',
    check(trace) {
      const expected = ['record-too-large', 'truncated', 'malformed-header', 'PROG_UNAVAIL', 'PROC_UNAVAIL', 'GARBAGE_ARGS'];
      const codes = new Set(eventsOf(trace, 'rpc.error', 'server').map((e) => e.code));
      const missing = expected.filter((c) => !codes.has(c));
      return missing.length === 0
        ? { passed: true, detail: `The server reported ${expected.join(', ')}.` }
        : { passed: false, detail: `No error was reported for: ${missing.join(', ')}.` };
    },
  },
  'others-served': {
    title: 'The ordinary client was served throughout: every deposit answered, the balance right',
    hint: 'A server that crashes or stalls on bad input takes its other clients down with it.',
    check(trace) {
      const deposits = int(trace, 'deposits');
      const replies = eventsOf(trace, 'rpc.reply', 'client').filter((r) => r.procedure === 'deposit');
      const errors = eventsOf(trace, 'rpc.error', 'client');
      const balance = measureOf(trace, 'final balance', 'client');
      const bad = eventsOf(trace, 'rpc.error', 'server');
      const firstBad = bad[0];
      const lastBad = bad[bad.length - 1];
      if (errors.length > 0) return { passed: false, detail: `The client had errors: ${errors.map((e) => e.code).join(', ')}.` };
      if (replies.length !== deposits || balance?.value !== deposits * 10) {
        return { passed: false, detail: `${replies.length} of ${deposits} deposits answered; final balance ${balance?.value ?? 'unknown'} (expected ${deposits * 10}).` };
      }
      if (!firstBad || !lastBad) return { passed: true, detail: `${deposits} deposits answered; no bad input reached the server.` };
      const before = replies.filter((r) => r.seq < firstBad.seq).length;
      const after = replies.filter((r) => r.seq > lastBad.seq).length;
      if (after === 0) return { passed: false, detail: 'No deposit was answered after the last bad input: did the server keep serving?' };
      return { passed: true, detail: `${deposits} deposits answered: ${before} before the first bad input, ${after} after the last; final balance ${balance.value}.` };
    },
  },
});
