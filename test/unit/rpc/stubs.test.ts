/**
 * The stubs produced from an interface, against a real server in this process over real TCP on
 * 127.0.0.1: results come back, every field of a call is labelled, error replies become RpcErrors,
 * and each semantics does what it promises under injected faults (the final balance says so).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import type { TraceEventFields } from '../../../main/contract/trace-events.js';
import { connectClient, RpcError, type FaultPlan } from '../../../main/runtime/rpc/client.js';
import { defineProgram, procedure, type RpcEventKind, type RpcTracer, type Semantics } from '../../../main/runtime/rpc/interface.js';
import { encodeCall } from '../../../main/runtime/rpc/message.js';
import { lookUp, registerWithMatchmaker, startMatchmaker } from '../../../main/runtime/rpc/matchmaker.js';
import { frameRecord } from '../../../main/runtime/rpc/record-marking.js';
import { startServer } from '../../../main/runtime/rpc/server.js';

type Event = { [K in RpcEventKind]: { kind: K } & TraceEventFields[K] }[RpcEventKind];

function collector(): RpcTracer & { events: Event[]; of<K extends RpcEventKind>(kind: K): (TraceEventFields[K] & { kind: K })[] } {
  const events: Event[] = [];
  return {
    events,
    emit(kind, fields) {
      events.push({ kind, ...fields } as Event);
    },
    of(kind) {
      return events.filter((e) => e.kind === kind) as never;
    },
  };
}

const account = { kind: 'string', max: 32 } as const;
const BANK = defineProgram({
  name: 'BANK',
  number: 0x2000_0101,
  version: 1,
  procedures: {
    deposit: procedure<{ account: string; amount: number }, number>(1, { kind: 'struct', fields: [['account', account], ['amount', { kind: 'int' }]] }, { kind: 'int' }, { idempotent: false }),
    balance: procedure<string, number>(3, account, { kind: 'int' }, { idempotent: true }),
  },
});

async function bankServer(semantics: Semantics, tracer: RpcTracer) {
  const balances = new Map<string, number>();
  return startServer(
    BANK,
    {
      deposit({ account, amount }) {
        const balance = (balances.get(account) ?? 0) + amount;
        balances.set(account, balance);
        return balance;
      },
      balance: (account) => balances.get(account) ?? 0,
    },
    { semantics, tracer },
  );
}

/** Deposits `n` x 10 under `faults`, then reads the balance after every held-back request has gone. */
async function depositRun(semantics: Semantics, faults: FaultPlan | undefined, n = 4) {
  const tracer = collector();
  const server = await bankServer(semantics, tracer);
  const client = await connectClient(BANK, { port: server.port, semantics, tracer, timeoutMs: 200, maxAttempts: 5, faults, firstXid: 100 });
  try {
    for (let i = 0; i < n; i++) await client.stub.deposit({ account: 'alice', amount: 10 });
    await client.drain();
    return { balance: await client.stub.balance('alice'), tracer };
  } finally {
    await client.close();
    await server.close();
  }
}

describe('RPC stubs over TCP', () => {
  it('calls a procedure: result, labelled request bytes, execute and reply events', async () => {
    const tracer = collector();
    const server = await bankServer('at-most-once', tracer);
    const client = await connectClient(BANK, { port: server.port, semantics: 'at-most-once', tracer, timeoutMs: 1000, firstXid: 7 });
    try {
      assert.equal(await client.stub.deposit({ account: 'bob', amount: 1000 }), 1000);
      assert.equal(await client.stub.deposit({ account: 'bob', amount: -1 }), 999);
    } finally {
      await client.close();
      await server.close();
    }
    const sent = tracer.of('message.bytes').find((e) => e.direction === 'send')!;
    const byPath = Object.fromEntries(sent.fields.map((f) => [f.path, f]));
    // 40 bytes of header (AUTH_NONE), "bob" as 4 + 3 + 1 padding, amount 4: 52 = 0x34.
    assert.equal(byPath['(record mark)']!.bytes, '80 00 00 34');
    assert.equal(byPath.xid!.value, '7');
    assert.equal(byPath.msgType!.value, 'CALL (0)');
    assert.equal(byPath.prog!.value, String(0x2000_0101));
    assert.equal(byPath.proc!.value, '1');
    assert.equal(sent.fields.find((f) => f.path === 'args.account' && f.type === 'string<32>')!.value, '"bob"');
    assert.equal(sent.fields.find((f) => f.path === 'args.amount')!.bytes, '00 00 03 e8');
    // The fields cover the bytes exactly, in order.
    let at = 0;
    for (const f of sent.fields) {
      assert.equal(f.offset, at);
      at += f.length;
    }
    assert.equal(at, sent.bytes);
    assert.deepEqual(tracer.of('rpc.execute').map((e) => e.result), ['1000', '999']);
    assert.deepEqual(tracer.of('rpc.reply').map((e) => [e.xid, e.attempts]), [[7, 1], [8, 1]]);
  });

  it('turns an unknown procedure into PROC_UNAVAIL and bad arguments into GARBAGE_ARGS, and keeps serving', async () => {
    const tracer = collector();
    const server = await bankServer('none', tracer);
    // A client built from a newer interface than the server's: procedure 9 does not exist there.
    const NEWER = defineProgram({ ...BANK, procedures: { ...BANK.procedures, audit: procedure<string, number>(9, account, { kind: 'int' }, { idempotent: true }) } });
    const client = await connectClient(NEWER, { port: server.port, semantics: 'none', tracer, timeoutMs: 1000 });
    try {
      await assert.rejects(client.stub.audit('x'), (e: unknown) => e instanceof RpcError && e.code === 'PROC_UNAVAIL');
      // Arguments of the wrong type: an int where a string<32> is expected, sent by hand.
      const raw = connect({ port: server.port, host: '127.0.0.1' });
      await new Promise((r) => raw.once('connect', r));
      const garbage = encodeCall({ xid: 55, prog: BANK.number, vers: 1, proc: 3 }, { kind: 'int' }, 4000);
      const reply = await new Promise<Buffer>((resolve) => {
        raw.once('data', resolve);
        raw.write(frameRecord(garbage));
      });
      raw.destroy();
      assert.equal(reply.readUInt32BE(4), 55, 'the reply carries the xid');
      assert.equal(reply.readUInt32BE(4 + 20), 4, 'accept_stat GARBAGE_ARGS (4)');
      assert.equal(await client.stub.deposit({ account: 'a', amount: 5 }), 5, 'still serving');
    } finally {
      await client.close();
      await server.close();
    }
    const codes = tracer.of('rpc.error').map((e) => e.code);
    assert.ok(codes.includes('PROC_UNAVAIL') && codes.includes('GARBAGE_ARGS'), codes.join(','));
    assert.match(tracer.of('rpc.error').find((e) => e.code === 'GARBAGE_ARGS')!.message, /args.*length 4000 .*exceeds/);
  });

  it('survives bad peers: short message, absurd record length, truncated record, wrong RPC and program versions', async () => {
    const tracer = collector();
    const server = await bankServer('at-most-once', tracer);
    /** Sends bytes on a fresh connection; resolves with the reply's accept/reject word, or 'closed'. */
    const poke = (bytes: Buffer, end = false) =>
      new Promise<string>((resolve) => {
        const raw = connect({ port: server.port, host: '127.0.0.1' });
        raw.on('data', (reply: Buffer) => {
          resolve(`stat ${reply.readUInt32BE(12)}/${reply.readUInt32BE(reply.readUInt32BE(12) === 1 ? 16 : 24)}`);
          raw.destroy();
        });
        raw.on('close', () => resolve('closed'));
        raw.on('error', () => {});
        raw.write(bytes);
        if (end) raw.end();
      });
    const call = encodeCall({ xid: 1, prog: BANK.number, vers: 1, proc: 3 }, account, 'a');
    const rpcv3 = Buffer.from(call);
    rpcv3.writeUInt32BE(3, 8);
    const vers2 = encodeCall({ xid: 2, prog: BANK.number, vers: 2, proc: 3 }, account, 'a');
    const client = await connectClient(BANK, { port: server.port, semantics: 'at-most-once', tracer, timeoutMs: 1000 });
    try {
      assert.equal(await poke(frameRecord(Buffer.from([1, 2, 3]))), 'closed');
      assert.equal(await poke(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0])), 'closed');
      assert.equal(await poke(frameRecord(call).subarray(0, 30), true), 'closed');
      assert.equal(await poke(frameRecord(rpcv3)), 'stat 1/0', 'MSG_DENIED / RPC_MISMATCH');
      assert.equal(await poke(frameRecord(vers2)), 'stat 0/2', 'MSG_ACCEPTED / PROG_MISMATCH');
      assert.equal(await client.stub.deposit({ account: 'a', amount: 3 }), 3, 'the other client is still served');
    } finally {
      await client.close();
      await server.close();
    }
    const codes = tracer.of('rpc.error').map((e) => e.code);
    assert.deepEqual(codes, ['malformed-message', 'record-too-large', 'truncated', 'RPC_MISMATCH', 'PROG_MISMATCH']);
    for (const e of tracer.of('rpc.error')) assert.match(e.message, /Fix:/, e.code);
  });

  it('gives up after maxAttempts when every request is lost', async () => {
    const tracer = collector();
    const server = await bankServer('at-most-once', tracer);
    const client = await connectClient(BANK, { port: server.port, semantics: 'at-most-once', tracer, timeoutMs: 30, maxAttempts: 3, faults: { fault: 'drop-request', first: 1 } });
    try {
      // Only attempt 1 is faulted, so attempt 2 gets through.
      assert.equal(await client.stub.balance('x'), 0);
    } finally {
      await client.close();
      await server.close();
    }
    assert.deepEqual(tracer.of('rpc.call').map((e) => e.attempt), [1, 2]);
    assert.equal(tracer.of('rpc.fault').length, 1);

    const lost = collector();
    const none = await connectClient(BANK, { port: 1, semantics: 'none', tracer: lost, timeoutMs: 10 }).catch((e: unknown) => e);
    assert.ok(none instanceof RpcError && none.code === 'connect', String(none));
  });

  for (const fault of ['drop-reply', 'duplicate-request', 'delay'] as const) {
    const plan: FaultPlan = { fault, every: 2, delayMs: 400 };
    it(`${fault}: without memory a deposit runs twice; at-most-once and exactly-once keep the balance right`, async () => {
      const none = await depositRun('none', plan);
      assert.equal(none.balance, 60, 'two of four deposits ran twice: 4 x 10 + 2 x 10');
      assert.equal(none.tracer.of('rpc.duplicate').filter((d) => d.action === 'executed-again').length, 2);
      for (const semantics of ['at-most-once', 'exactly-once'] as const) {
        const run = await depositRun(semantics, plan);
        assert.equal(run.balance, 40, `${semantics}: each deposit counted once`);
        const duplicates = run.tracer.of('rpc.duplicate');
        assert.equal(duplicates.length, 2, `${semantics}: two duplicates seen`);
        assert.ok(duplicates.every((d) => d.action !== 'executed-again'));
        assert.equal(run.tracer.of('rpc.execute').filter((e) => e.procedure === 'deposit').length, 4);
        if (fault !== 'duplicate-request') assert.ok(run.tracer.of('rpc.call').some((c) => c.attempt === 2), 'a retry');
      }
    });
  }

  it('exactly-once: ACKs free the kept replies; a late duplicate is dropped, not replayed', async () => {
    const run = await depositRun('exactly-once', { fault: 'delay', every: 2, delayMs: 400 });
    const levels = run.tracer.of('buffer.level').map((l) => l.used);
    assert.ok(Math.max(...levels) <= 1, `at most one reply kept at a time: ${levels.join(',')}`);
    assert.deepEqual(run.tracer.of('rpc.duplicate').map((d) => d.action), ['dropped', 'dropped']);
    const amo = await depositRun('at-most-once', { fault: 'delay', every: 2, delayMs: 400 });
    assert.equal(Math.max(...amo.tracer.of('buffer.level').map((l) => l.used)), 5, 'at-most-once keeps every reply');
  });

  it('finds a server through the matchmaker', async () => {
    const tracer = collector();
    const matchmaker = await startMatchmaker(0, tracer);
    const server = await bankServer('none', tracer);
    try {
      assert.equal(await registerWithMatchmaker(matchmaker.port, 'BANK', server.port, tracer), true);
      assert.equal(await lookUp(matchmaker.port, 'BANK', tracer), server.port);
      await assert.rejects(lookUp(matchmaker.port, 'NOBODY', tracer), /knows no program NOBODY/);
    } finally {
      await server.close();
      await matchmaker.close();
    }
  });
});
