/**
 * Checks over the student's own run of the RPC lab. Each says whether the trace shows the behaviour
 * the step is about, and what it showed. Order in time is judged by `ts` (the monotonic clock every
 * process shares), never by the order events reached the host; each outcome names the moment of its
 * evidence where there is one.
 */
import { defineChecks, eventsOf, findIn, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { MessageField, StoredEventOf } from '../../main/contract/trace-events.js';

const BANK_NUMBER = 0x2000_0101;
const DEPOSIT = 1;
/** The least factor between a direct call's median and a remote call's that step 6 claims. */
const LOCAL_FACTOR = 100;

function field(fields: MessageField[], path: string, type?: string): MessageField | undefined {
  return fields.find((f) => f.path === path && (type === undefined || f.type === type));
}

function ts(e: { ts: string }): bigint {
  return BigInt(e.ts);
}

function byTime<T extends { ts: string }>(events: T[]): T[] {
  return [...events].sort((a, b) => (ts(a) < ts(b) ? -1 : ts(a) > ts(b) ? 1 : 0));
}

function ms(from: { ts: string }, to: { ts: string }): string {
  return `${(Number(ts(to) - ts(from)) / 1e6).toFixed(1)} ms`;
}

function measureOf(trace: RunTrace, name: string, role?: string): StoredEventOf<'measure'> | undefined {
  return eventsOf(trace, 'measure', role).find((m) => m.name === name);
}

/** The request bytes the client sent for call `xid` (found by its labelled xid field). */
function requestBytes(trace: RunTrace, xid: number, role: string): StoredEventOf<'message.bytes'> | undefined {
  return eventsOf(trace, 'message.bytes', role).find(
    (m) => m.direction === 'send' && field(m.fields, 'xid')?.value === String(xid) && field(m.fields, 'msgType')?.value === 'CALL (0)',
  );
}

function int(trace: RunTrace, name: string): number {
  return trace.params[name] as number;
}

/** The client's deposits: the xid of each, from its first attempt, in time order. */
function depositXids(trace: RunTrace): number[] {
  return byTime(eventsOf(trace, 'rpc.call', 'client').filter((c) => c.procedure === 'deposit' && c.attempt === 1)).map((c) => c.xid);
}

/** The last time a server read its ledger back: what the file held, the latest view of it. */
function lastLedger(trace: RunTrace): StoredEventOf<'rpc.ledger'> | undefined {
  return byTime(eventsOf(trace, 'rpc.ledger', 'server')).pop();
}

/** How often each xid's deposit is in the ledger. */
function runsPerXid(ledger: StoredEventOf<'rpc.ledger'>): Map<number, number> {
  const runs = new Map<number, number>();
  for (const e of ledger.entries) if (e.procedure === 'deposit') runs.set(e.xid, (runs.get(e.xid) ?? 0) + 1);
  return runs;
}

export default defineChecks({
  'request-fields-match-call': {
    title: "The request's labelled bytes say what the call was: program, procedure and arguments",
    hint: "Open the deposit's request in the client's lane: its fields should read BANK's program number, procedure 1 and the amount you chose.",
    measures: {
      'request-bytes': { unit: 'bytes', title: "the deposit request's bytes on the wire, record mark included" },
      'account-bytes': { unit: 'bytes', title: 'the bytes of the account name in the request: length, characters and padding' },
    },
    check(trace) {
      const call = eventsOf(trace, 'rpc.call', 'client').find((c) => c.procedure === 'deposit' && c.attempt === 1);
      if (!call) return { passed: false, detail: 'The client made no deposit call.' };
      const bytes = requestBytes(trace, call.xid, 'client');
      if (!bytes) return { passed: false, detail: `No request bytes with xid ${call.xid} were traced.`, moment: call.ts };
      const account = bytes.fields.filter((f) => f.path === 'args.account');
      const measurements: Record<string, number> = {
        'request-bytes': bytes.bytes,
        ...(account.length > 0 ? { 'account-bytes': account.reduce((sum, f) => sum + f.length, 0) } : {}),
      };
      const got = {
        prog: field(bytes.fields, 'prog')?.value,
        proc: field(bytes.fields, 'proc')?.value,
        account: field(bytes.fields, 'args.account', 'string<32>')?.value,
        amount: field(bytes.fields, 'args.amount')?.value,
      };
      const want = { prog: String(BANK_NUMBER), proc: String(DEPOSIT), account: '"alice"', amount: String(int(trace, 'amount')) };
      const wrong = Object.entries(want).filter(([k, v]) => got[k as keyof typeof got] !== v);
      if (wrong.length > 0) {
        return {
          passed: false,
          detail: `The request's fields disagree with the call: ${wrong.map(([k, v]) => `${k} is ${got[k as keyof typeof got] ?? 'missing'}, expected ${v}`).join('; ')}.`,
          moment: bytes.ts,
          measurements,
          ...(got.proc !== want.proc
            ? {
                hint: `The stub numbered deposit ${got.proc ?? '?'}, the server's interface numbers it ${DEPOSIT}: the bytes carry numbers, not names, so both stubs must come from the same interface definition.`,
              }
            : {}),
        };
      }
      const amount = field(bytes.fields, 'args.amount')!;
      return {
        passed: true,
        detail: `xid ${call.xid}: prog ${got.prog} (0x${BANK_NUMBER.toString(16)}), proc ${got.proc} (deposit), account ${got.account}, amount ${got.amount} as ${amount.bytes} at offset ${amount.offset}; ${bytes.bytes} bytes on the wire.`,
        moment: bytes.ts,
        measurements,
      };
    },
  },
  'result-right': {
    title: 'The server ran the deposit and the client got the right balance back',
    hint: "Look for rpc.execute in the server's lane and rpc.reply in the client's, with the same xid.",
    check(trace) {
      const call = eventsOf(trace, 'rpc.call', 'client').find((c) => c.procedure === 'deposit');
      if (!call) return { passed: false, detail: 'The client made no deposit call.' };
      const executed = eventsOf(trace, 'rpc.execute', 'server').find((e) => e.xid === call.xid && ts(e) > ts(call));
      const reply = eventsOf(trace, 'rpc.reply', 'client').find((e) => e.xid === call.xid);
      const error = eventsOf(trace, 'rpc.error', 'client').find((e) => e.xid === call.xid);
      const amount = String(int(trace, 'amount'));
      if (!executed) {
        return {
          passed: false,
          detail: `The server did not run xid ${call.xid}${error ? `; the client got ${error.code}` : ''}.`,
          moment: (error ?? call).ts,
          ...(error?.code === 'PROC_UNAVAIL'
            ? { hint: 'The server has no procedure with the number the client sent: the client was built from another interface than the server.' }
            : {}),
        };
      }
      if (!reply || ts(reply) < ts(executed))
        return { passed: false, detail: `No reply to xid ${call.xid} reached the client after the server ran it.`, moment: executed.ts };
      return reply.result === amount
        ? {
            passed: true,
            detail: `The server (pid ${executed.pid}) ran deposit(${executed.args}) -> ${executed.result}; the client (pid ${reply.pid}) got ${reply.result} after ${reply.attempts} attempt(s), ${(Number(reply.durationNs) / 1e6).toFixed(2)} ms.`,
            moment: reply.ts,
          }
        : { passed: false, detail: `The client got ${reply.result}; a first deposit of ${amount} into a new account should give ${amount}.`, moment: reply.ts };
    },
  },
  'native-order-misread': {
    title: 'The integer sent in native byte order arrived as another number; the XDR one arrived right',
    hint: 'Send it raw as well as in XDR, and pick a value whose four bytes do not read the same both ways (1000 is fine).',
    measures: {
      'native-read-as': { unit: 'unsigned int', title: 'the number the receiver read from the integer sent in native byte order' },
    },
    check(trace) {
      const sent = eventsOf(trace, 'message.bytes', 'sender').filter((m) => m.channel === 'numbers');
      const texts = new Map(eventsOf(trace, 'message.send', 'sender').map((m) => [m.messageId, m.text]));
      const received = new Map(eventsOf(trace, 'message.receive', 'receiver').map((m) => [m.messageId, m]));
      const outcome = (encoding: (e: string) => boolean) =>
        sent
          .filter((m) => encoding(m.encoding ?? ''))
          .map((m) => ({ sent: texts.get(m.messageId), got: received.get(m.messageId)?.text, at: received.get(m.messageId)?.ts, hex: m.hex }));
      const native = outcome((e) => e.startsWith('native'));
      const xdr = outcome((e) => e === 'xdr');
      const misread = native.find((n) => n.got !== undefined && n.got !== n.sent);
      const right = xdr.find((n) => n.got !== undefined && n.got === n.sent);
      const readAs = Number(native.find((n) => n.got !== undefined)?.got);
      const measurements: Record<string, number> = Number.isFinite(readAs) ? { 'native-read-as': readAs } : {};
      if (!misread) {
        if (native.length === 0)
          return {
            passed: false,
            detail: 'Nothing was sent in native order.',
            hint: 'Turn the raw send on: the XDR copy alone is read right, so nothing shows the problem.',
          };
        return {
          passed: false,
          detail: `The native-order integer arrived as ${native[0]!.got ?? 'nothing'} (sent ${native[0]!.sent}): not misread.`,
          ...(native[0]!.at ? { moment: native[0]!.at } : {}),
          hint: 'Its four bytes read the same in both orders: pick a value like 1000, whose bytes are not a palindrome.',
          measurements,
        };
      }
      if (!right) return { passed: false, detail: 'The XDR integer did not arrive as sent.', moment: misread.at!, measurements };
      return {
        passed: true,
        detail: `Native order: sent ${misread.sent}, bytes ${misread.hex.slice(12)}, read as ${misread.got}. XDR: bytes ${right.hex.slice(12)}, read as ${right.got}.`,
        moment: misread.at!,
        measurements,
      };
    },
  },
  'each-deposit-once': {
    title: "The server's ledger holds each of the client's deposits exactly once",
    hint: "The ledger is the file the server appended and fsync'ed before each reply, read back when it stopped: look at the last rpc.ledger in the server's lane.",
    measures: {
      balance: { unit: 'units', title: "alice's balance after the last deposit in the server's ledger, as the server read it back" },
      'deposits-repeated': { unit: 'deposits', title: "the client's deposits that the ledger holds more than once" },
    },
    check(trace) {
      const xids = depositXids(trace);
      if (xids.length === 0) return { passed: false, detail: 'The client made no deposit.' };
      const ledger = lastLedger(trace);
      if (!ledger)
        return {
          passed: false,
          detail: 'No server read its ledger back, so nothing says how often each deposit ran.',
          hint: 'The server reads its ledger when it stops on SIGTERM: did the run end before it could?',
        };
      const runs = runsPerXid(ledger);
      const twice = xids.filter((x) => (runs.get(x) ?? 0) > 1);
      const never = xids.filter((x) => !runs.has(x));
      const balance = ledger.entries.filter((e) => e.procedure === 'deposit').pop()?.result ?? '0';
      const measurements: Record<string, number> = {
        'deposits-repeated': twice.length,
        ...(Number.isFinite(Number(balance)) ? { balance: Number(balance) } : {}),
      };
      const from = `the ledger as the server read it back (${ledger.reason}, ${ledger.bytes} bytes, ${ledger.entries.length} entries; last balance ${balance})`;
      if (twice.length > 0) {
        return {
          passed: false,
          detail: `${twice.map((x) => `xid ${x} ran ${runs.get(x)} times`).join(', ')}, by ${from}.`,
          moment: ledger.ts,
          measurements,
          hint: 'A copy of a call that had already run was run again: the server kept no duplicate table that knew it (at-least-once, or a table lost with a crashed process).',
        };
      }
      if (never.length > 0) {
        return {
          passed: false,
          detail: `${never.map((x) => `xid ${x}`).join(', ')} never ran, by ${from}.`,
          moment: ledger.ts,
          measurements,
          hint: 'Those requests never reached the server, and the client stopped sending them: allow more attempts (with one send per call, a lost request is lost for good).',
        };
      }
      return { passed: true, detail: `Each of the ${xids.length} deposits ran exactly once, by ${from}.`, moment: ledger.ts, measurements };
    },
  },
  'faults-and-retries': {
    title: 'The link interfered with calls, and the client sent each hit call again where it had to',
    hint: 'A fault hits every k-th call: make sure there are at least k deposits. A delay causes a retry only if it is longer than the timeout.',
    measures: {
      retries: { unit: 'sends', title: 'deposit calls the client sent again (rpc.call with attempt 2 or more)' },
    },
    check(trace) {
      const measurements = { retries: eventsOf(trace, 'rpc.call', 'client').filter((c) => c.procedure === 'deposit' && c.attempt > 1).length };
      const faults = byTime(eventsOf(trace, 'rpc.fault', 'link'));
      if (faults.length === 0)
        return {
          passed: false,
          detail: 'The link interfered with no message: there was nothing to retry.',
          hint: 'Choose a fault for the link (drop-request, drop-reply, duplicate-request or delay).',
          measurements,
        };
      const retries = eventsOf(trace, 'rpc.call', 'client').filter((c) => c.attempt > 1);
      const mustRetry = (f: (typeof faults)[number]) =>
        f.fault === 'drop-request' || f.fault === 'drop-reply' || (f.fault === 'delay' && int(trace, 'delayMs') > int(trace, 'timeoutMs'));
      const unrepaired = faults.filter((f) => mustRetry(f) && !retries.some((r) => r.xid === f.xid && ts(r) > ts(f)));
      if (unrepaired.length > 0) {
        const first = unrepaired[0]!;
        return {
          passed: false,
          detail: `${unrepaired.map((f) => `${f.fault} on xid ${f.xid}`).join(', ')}: no retry of that xid came after it.`,
          moment: first.ts,
          measurements,
          ...(int(trace, 'attempts') === 1 && trace.params.semantics !== 'exactly-once'
            ? { hint: 'With one send per call the client never sends a call again: what the link lost stays lost.' }
            : {}),
        };
      }
      const repaired = faults.filter(mustRetry).map((f) => retries.find((r) => r.xid === f.xid && ts(r) > ts(f))!);
      return {
        passed: true,
        detail: `${faults.length} fault(s): ${faults.map((f) => `${f.fault} on xid ${f.xid}`).join(', ')}; ${repaired.length} followed by a retry of the same xid (${repaired.map((r, i) => `${ms(faults.filter(mustRetry)[i]!, r)} later`).join(', ') || 'none needed'}).`,
        moment: faults[0]!.ts,
        measurements,
      };
    },
  },
  'duplicates-suppressed': {
    title: 'Repeated requests reached the server, and it answered them without running them again',
    hint: 'A duplicate table answers a repeated xid from what it kept: choose at-most-once or exactly-once.',
    check(trace) {
      const duplicates = byTime(eventsOf(trace, 'rpc.duplicate', 'server').filter((d) => d.procedure === 'deposit'));
      const suppressed = duplicates.filter((d) => d.action !== 'executed-again');
      const ledger = lastLedger(trace);
      const repeatedInLedger = ledger ? [...runsPerXid(ledger)].filter(([, n]) => n > 1).map(([x]) => x) : [];
      const again = duplicates.filter((d) => d.action === 'executed-again');
      if (again.length > 0 || repeatedInLedger.length > 0) {
        const xids = [...new Set([...again.map((d) => d.xid), ...repeatedInLedger])];
        return {
          passed: false,
          detail: `Repeated deposit(s) ran again: xid${xids.length === 1 ? '' : 's'} ${xids.join(', ')} (server's rpc.duplicate${ledger ? ' and its ledger' : ''}).`,
          moment: (again[0] ?? ledger!).ts,
        };
      }
      if (suppressed.length === 0) {
        return {
          passed: false,
          detail: 'No request reached the server twice: there was nothing to suppress.',
          hint: 'A lost request is repaired by the retry alone. A lost reply, a doubled request or a delay longer than the timeout make a copy reach the server.',
        };
      }
      const counts = ['replayed', 'dropped'].map((a) => `${suppressed.filter((d) => d.action === a).length} ${a}`).join(', ');
      return {
        passed: true,
        detail: `${suppressed.length} repeated deposit(s) (${counts}) on xid${suppressed.length === 1 ? '' : 's'} ${suppressed.map((d) => d.xid).join(', ')}; none ran twice.`,
        moment: suppressed[0]!.ts,
      };
    },
  },
  'crash-between-execute-and-reply': {
    title: 'The server was killed after running a deposit and before replying, and the restarted server read it back from its ledger',
    hint: 'Set crashOnDeposit to one of the deposits (1 to the number of deposits).',
    measures: {
      'cut-deposit-runs': { unit: 'times', title: 'how often the last ledger holds the deposit the first server ran just before it died' },
    },
    check(trace) {
      const starts = byTime(eventsOf(trace, 'process.start', 'server'));
      const first = starts[0];
      if (!first) return { passed: false, detail: 'No server started.' };
      const died = eventsOf(trace, 'child.exit', 'supervisor').find((e) => e.childPid === first.pid);
      if (!died || died.signal !== 'SIGKILL') {
        const how = died ? (died.signal ? `of ${died.signal}` : `with exit code ${died.code}`) : 'at no time the supervisor saw';
        return {
          passed: false,
          detail: `The first server (pid ${first.pid}) did not die of SIGKILL: it ended ${how}.`,
          ...(died ? { moment: died.ts } : {}),
          ...(int(trace, 'crashOnDeposit') > int(trace, 'deposits')
            ? { hint: `crashOnDeposit (${int(trace, 'crashOnDeposit')}) is past the last deposit (${int(trace, 'deposits')}): the server never reaches it.` }
            : {}),
        };
      }
      const executed = byTime(eventsOf(trace, 'rpc.execute', 'server').filter((e) => e.pid === first.pid && e.procedure === 'deposit' && ts(e) < ts(died)));
      const last = executed[executed.length - 1];
      if (!last) return { passed: false, detail: `The first server died of SIGKILL before it ran any deposit.`, moment: died.ts };
      const ledger = lastLedger(trace);
      const measurements: Record<string, number> = ledger ? { 'cut-deposit-runs': runsPerXid(ledger).get(last.xid) ?? 0 } : {};
      const restarted = starts.find((s) => s.pid !== first.pid && ts(s) > ts(died));
      const earlyReply = eventsOf(trace, 'rpc.reply', 'client').find((r) => r.xid === last.xid && (!restarted || ts(r) < ts(restarted)));
      if (earlyReply)
        return {
          passed: false,
          detail: `The client had its reply to xid ${last.xid} before the server was started again: the crash came after the reply.`,
          moment: earlyReply.ts,
          measurements,
        };
      if (!restarted)
        return {
          passed: false,
          detail: `The server died of SIGKILL after running xid ${last.xid}, and was not started again.`,
          moment: died.ts,
          hint: 'The supervisor starts the server again when it dies of a signal: look at its lane.',
          measurements,
        };
      const recovery = eventsOf(trace, 'rpc.ledger', 'server').find((l) => l.pid === restarted.pid && l.reason === 'recovery');
      if (!recovery || !recovery.entries.some((e) => e.xid === last.xid)) {
        return {
          passed: false,
          detail: `The restarted server (pid ${restarted.pid}) did not read xid ${last.xid} back from its ledger.`,
          moment: (recovery ?? restarted).ts,
          measurements,
        };
      }
      return {
        passed: true,
        detail: `Server pid ${first.pid} ran deposit xid ${last.xid} (${last.args} -> ${last.result}) and died of SIGKILL ${ms(last, died)} later with no reply sent; pid ${restarted.pid} started ${ms(died, restarted)} after that and read ${recovery.entries.length} entries (${recovery.bytes} bytes) back from the ledger, xid ${last.xid} among them.`,
        moment: died.ts,
        measurements,
      };
    },
  },
  'every-call-answered': {
    title: 'The client got an answer to every deposit',
    hint: "A call with no answer ended unknown: look for rpc.error code unknown in the client's lane.",
    measures: {
      unanswered: { unit: 'deposits', title: 'deposits the client got no reply to' },
    },
    check(trace) {
      const xids = depositXids(trace);
      if (xids.length === 0) return { passed: false, detail: 'The client made no deposit.' };
      const replies = eventsOf(trace, 'rpc.reply', 'client');
      const errors = byTime(eventsOf(trace, 'rpc.error', 'client'));
      const missing = xids.filter((x) => !replies.some((r) => r.xid === x));
      const measurements = { unanswered: missing.length };
      if (missing.length > 0) {
        const error = errors.find((e) => e.xid !== undefined && missing.includes(e.xid));
        return {
          passed: false,
          detail: `No answer to xid ${missing.join(', ')}${error ? `: ${error.code} (${error.message})` : ''}.`,
          measurements,
          ...(error ? { moment: error.ts } : {}),
          ...(error?.code === 'unknown' && trace.params.semantics === 'at-most-once'
            ? {
                hint: "At-most-once gives a call up when its connection breaks: the restarted server's duplicate table is empty, so a retry could run the deposit twice. Exactly-once keeps the table on disk and can retry.",
              }
            : {}),
        };
      }
      const last = byTime(replies.filter((r) => xids.includes(r.xid))).pop()!;
      const retried = replies.filter((r) => xids.includes(r.xid) && r.attempts > 1);
      return {
        passed: true,
        detail: `All ${xids.length} deposits answered${retried.length > 0 ? `; ${retried.map((r) => `xid ${r.xid} after ${r.attempts} attempts`).join(', ')}` : ''}.`,
        moment: last.ts,
        measurements,
      };
    },
  },
  'port-from-matchmaker': {
    title: "The client called the port the matchmaker gave it, which is the server's own, and the call succeeded",
    hint: 'The server registers when it listens; the client must LOOKUP before it connects to the bank.',
    check(trace) {
      const listen = eventsOf(trace, 'socket.listen', 'server').find((l) => l.channel === 'bank');
      const lookup = byTime(
        eventsOf(trace, 'rpc.reply', 'client').filter((r) => r.channel === 'matchmaker' && r.procedure === 'lookup' && r.result !== '0'),
      ).pop();
      if (!lookup) {
        return {
          passed: false,
          detail: `The client got no port from the matchmaker; the server ${listen ? `listens on ${listen.address.split(':').pop()}` : 'never listened'}.`,
          ...(listen ? { moment: listen.ts } : {}),
          ...(int(trace, 'hardcodedPort') !== 0
            ? {
                hint: `The client used port ${int(trace, 'hardcodedPort')}, written into it: the kernel gives the bank a different port each run, so only the matchmaker knows the right one.`,
              }
            : {}),
        };
      }
      if (!listen) return { passed: false, detail: `The matchmaker answered ${lookup.result}, but the bank server never listened.`, moment: lookup.ts };
      const serverPort = Number(listen.address.split(':').pop());
      const connect = byTime(eventsOf(trace, 'socket.connect', 'client').filter((c) => c.channel === 'bank' && ts(c) > ts(lookup)))[0];
      if (!connect) return { passed: false, detail: 'The client did not connect to the bank after its lookup.', moment: lookup.ts };
      const calledPort = Number(connect.remote.split(':').pop());
      if (String(calledPort) !== lookup.result || calledPort !== serverPort) {
        return {
          passed: false,
          detail: `Lookup said ${lookup.result}, the client connected to ${calledPort}, the server listens on ${serverPort}.`,
          moment: connect.ts,
        };
      }
      const reply = eventsOf(trace, 'rpc.reply', 'client').find((r) => r.channel === 'bank' && ts(r) > ts(connect));
      if (!reply) return { passed: false, detail: `The client connected to port ${calledPort} but got no reply from the bank.`, moment: connect.ts };
      return {
        passed: true,
        detail: `The server listened on port ${serverPort} (chosen by the kernel); LOOKUP BANK answered ${lookup.result}; the client called ${reply.procedure} there and got ${reply.result}.`,
        moment: connect.ts,
      };
    },
  },
  'local-far-cheaper': {
    title: `A direct call's median is at least ${LOCAL_FACTOR} times below both remote calls' medians, every result right`,
    hint: "Look at the client's measure events: each way's median and its 10th-90th percentile spread.",
    measures: {
      'rpc-round-trip': {
        unit: 'µs',
        title: "an RPC on average: the timed calls' time, from the client's note at their start to its snapshot after them, per write() the kernel counted",
      },
      'raw-round-trip': { unit: 'µs', title: 'a bare socket round trip on average, measured the same way' },
      'native-round-trip': {
        unit: 'µs',
        title: "the trip alone in a C loop on average: the client's io.begin to io.end around its pingLoop, per call asked for",
      },
    },
    check(trace) {
      const calls = int(trace, 'calls');
      const measurements = { ...averageCalls(trace), ...nativeTrip(trace, calls) };
      const ways = ['direct', 'raw socket', 'rpc'] as const;
      const rows = ways.map((w) => ({
        way: w,
        calls: measureOf(trace, `${w}: calls`, 'client')?.value,
        right: measureOf(trace, `${w}: right results`, 'client')?.value,
        median: measureOf(trace, `${w}: median`, 'client'),
        p10: measureOf(trace, `${w}: p10`, 'client')?.value,
        p90: measureOf(trace, `${w}: p90`, 'client')?.value,
      }));
      const bad = rows.filter((r) => r.calls !== calls || r.right !== calls || !r.median || !(r.median.value > 0));
      if (bad.length > 0)
        return {
          passed: false,
          detail: bad.map((r) => `${r.way}: ${r.calls ?? 'no'} calls, ${r.right ?? 'no'} right results`).join('; ') + ` (expected ${calls} each).`,
          measurements,
        };
      const [direct, raw, rpc] = rows as [(typeof rows)[number], (typeof rows)[number], (typeof rows)[number]];
      const show = (r: (typeof rows)[number]) => `${r.way} ${fmt(r.median!.value)} (${fmt(r.p10!)}-${fmt(r.p90!)})`;
      const factorRaw = raw.median!.value / direct.median!.value;
      const factorRpc = rpc.median!.value / direct.median!.value;
      const detail =
        `Medians per call (10th-90th percentile), ${calls} calls each: ${rows.map(show).join(', ')}. ` +
        `Raw socket / direct ${factor(factorRaw)}, RPC / direct ${factor(factorRpc)}; RPC / raw socket ${factor(rpc.median!.value / raw.median!.value)} (this one varies from run to run).` +
        nativeDetail(trace, raw.median!.value, measurements);
      const passed = factorRaw >= LOCAL_FACTOR && factorRpc >= LOCAL_FACTOR;
      const outcome: CheckOutcome = { passed, detail, moment: rpc.median!.ts, measurements };
      if (!passed && int(trace, 'workUs') > 0)
        outcome.hint = `Each call computed for ${int(trace, 'workUs')} µs first, in the server as in the direct call: the trip is now a small part of each call's cost.`;
      return outcome;
    },
  },
  'bad-input-reported': {
    title: 'Each bad input was answered or cut off, with an error naming what was wrong',
    hint: 'Look at the rpc.error events of the server: one per kind of bad input the intruder sent.',
    check(trace) {
      const expected = ['record-too-large', 'truncated', 'malformed-header', 'PROG_UNAVAIL', 'PROC_UNAVAIL', 'GARBAGE_ARGS'];
      const errors = byTime(eventsOf(trace, 'rpc.error', 'server'));
      const codes = new Set(errors.map((e) => e.code));
      const missing = expected.filter((c) => !codes.has(c));
      const serverEnd = eventsOf(trace, 'child.exit', 'intruder').find((e) => e.childRole === 'server');
      const died = serverEnd && !(serverEnd.code === 0 || serverEnd.signal === 'SIGTERM') ? serverEnd : undefined;
      if (missing.length === 0) return { passed: true, detail: `The server reported ${expected.join(', ')}.`, moment: errors[errors.length - 1]!.ts };
      return {
        passed: false,
        detail: `No error was reported for: ${missing.join(', ')}${died ? `; the server died (exit code ${died.code}${died.signal ? `, ${died.signal}` : ''}) after ${errors.length} error(s)` : ''}.`,
        ...(died ? { moment: died.ts } : errors.length > 0 ? { moment: errors[errors.length - 1]!.ts } : {}),
        ...(died
          ? { hint: 'The first bad input killed the server: an exception nobody catches ends the whole process, and every client with it.' }
          : errors.length === 0
            ? { hint: 'No bad input reached the server: is the intruder sending?' }
            : {}),
      };
    },
  },
  'others-served': {
    title: 'The ordinary client was served throughout: every deposit answered, the balance right',
    hint: 'A server that crashes or stalls on bad input takes its other clients down with it.',
    measures: {
      'deposits-answered': { unit: 'deposits', title: "the ordinary client's deposits that got a reply" },
    },
    check(trace) {
      const deposits = int(trace, 'deposits');
      const replies = byTime(eventsOf(trace, 'rpc.reply', 'client').filter((r) => r.procedure === 'deposit'));
      const measurements = { 'deposits-answered': replies.length };
      const errors = eventsOf(trace, 'rpc.error', 'client');
      const balance = measureOf(trace, 'final balance', 'client');
      const bad = byTime(eventsOf(trace, 'rpc.error', 'server'));
      const firstBad = bad[0];
      const lastBad = bad[bad.length - 1];
      if (errors.length > 0)
        return {
          passed: false,
          detail: `The client had errors: ${errors.map((e) => `${e.code} (${e.message})`).join('; ')}.`,
          moment: errors[0]!.ts,
          measurements,
        };
      if (replies.length !== deposits || balance?.value !== deposits * 10) {
        return {
          passed: false,
          detail: `${replies.length} of ${deposits} deposits answered; final balance ${balance?.value ?? 'unknown'} (expected ${deposits * 10}).`,
          measurements,
          ...(replies.length > 0 ? { moment: replies[replies.length - 1]!.ts } : {}),
        };
      }
      if (!firstBad || !lastBad)
        return {
          passed: true,
          detail: `${deposits} deposits answered; no bad input reached the server.`,
          moment: replies[replies.length - 1]!.ts,
          measurements,
        };
      const before = replies.filter((r) => ts(r) < ts(firstBad)).length;
      const after = replies.filter((r) => ts(r) > ts(lastBad)).length;
      if (after === 0)
        return { passed: false, detail: 'No deposit was answered after the last bad input: did the server keep serving?', moment: lastBad.ts, measurements };
      return {
        passed: true,
        detail: `${deposits} deposits answered: ${before} before the first bad input, ${after} after the last; final balance ${balance.value}.`,
        moment: replies.find((r) => ts(r) > ts(lastBad))!.ts,
        measurements,
      };
    },
  },
});

/**
 * The average remote call of the cost step, by the trace alone: from the client's note that its timed
 * calls start (just after the snapshot before them) to the snapshot it asked for after them, divided by
 * the write() calls the kernel counted for the client in between (/proc/<pid>/io syscw: one per call,
 * plus a few more: the trace's own and libuv's eventfd wake-ups). In µs, for each remote way whose
 * snapshots are in the trace.
 */
function averageCalls(trace: RunTrace): Record<string, number> {
  const measurements: Record<string, number> = {};
  for (const [way, id] of [
    ['raw socket', 'raw-round-trip'],
    ['rpc', 'rpc-round-trip'],
  ] as const) {
    const before = eventsOf(trace, 'snapshot.request', 'client').find((r) => r.reason === `before ${way} calls`);
    const after = before && eventsOf(trace, 'snapshot.request', 'client').find((r) => r.reason === `after ${way} calls` && ts(r) > ts(before));
    const start =
      after && eventsOf(trace, 'note', 'client').find((n) => n.pid === before.pid && ts(n) > ts(before) && ts(n) < ts(after) && n.text.startsWith(`${way}: `));
    if (!before || !after || !start) continue;
    const io = (request: StoredEventOf<'snapshot.request'>) =>
      eventsOf(trace, 'kernel.snapshot').find((s) => s.pid === request.pid && s.requested === request.reason && ts(s) > ts(request))?.io;
    const [c0, c1] = [io(before), io(after)];
    const writes = c0 && c1 ? c1.syscw - c0.syscw : 0;
    if (writes > 0) measurements[id] = Math.round(Number(ts(after) - ts(start)) / writes / 100) / 10;
  }
  return measurements;
}

/**
 * The trip alone in C (cost.ts: pingLoop, main/native/measure-loops.c): one io.begin / io.end pair in
 * the client's lane, stamped just before and after the loop; its interval over the calls is the average.
 */
function nativeTrip(trace: RunTrace, calls: number): Record<string, number> {
  // Streamed: io.begin / io.end of the client grow with its calls when they are traced.
  const begin = findIn(trace.stream('io.begin', 'client'), (e) => e.channel === 'native');
  const end = begin && findIn(trace.stream('io.end', 'client'), (e) => e.channel === 'native' && ts(e) > ts(begin));
  return end ? { 'native-round-trip': Math.round(Number(ts(end) - ts(begin!)) / calls / 100) / 10 } : {};
}

function nativeDetail(trace: RunTrace, rawMedianNs: number, measurements: Record<string, number>): string {
  const median = measureOf(trace, 'native loop: median', 'client')?.value;
  const p90 = measureOf(trace, 'native loop: p90', 'client')?.value;
  const average = measurements['native-round-trip'];
  if (median === undefined || average === undefined) return '';
  return ` The trip alone in a C loop on the same kind of socket (12 bytes each way, write() then read(), no addition; main/native/measure-loops.c): median ${fmt(median)}${p90 === undefined ? '' : ` (90% within ${fmt(p90)})`}, ${average} µs on average; raw socket in Node / C loop ${factor(rawMedianNs / median)}.`;
}

/** A ratio as the detail shows it: '0.87x', '2.10x', '1314x'. */
function factor(x: number): string {
  return x < 10 ? `${x.toFixed(2)}x` : `${Math.round(x)}x`;
}

/** ns as the detail shows them: '7.4 ns', '310 ns', '62.4 µs', '1.20 ms'. */
function fmt(ns: number): string {
  if (ns < 100) return `${ns.toFixed(1)} ns`;
  if (ns < 1000) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}
