/**
 * The stubs produced from an interface, against a real server in this process over real TCP on
 * 127.0.0.1: results come back, every field of a call is labelled, error replies become RpcErrors,
 * and each semantics does what it promises when a lossy link (a relay between two real sockets) loses,
 * repeats or delays messages, and when the server goes away between logging a deposit and replying
 * (the ledger, read back from the file, counts the executions).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TraceEventFields } from '../../../main/contract/trace-events.js';
import { connectClient, RpcError } from '../../../main/runtime/rpc/client.js';
import { readLog } from '../../../main/runtime/rpc/durable-log.js';
import { defineProgram, procedure, type RpcEventKind, type RpcTracer, type Semantics } from '../../../main/runtime/rpc/interface.js';
import { startLossyLink, type LinkPlan } from '../../../main/runtime/rpc/lossy-link.js';
import { encodeCall } from '../../../main/runtime/rpc/message.js';
import { lookUp, registerWithMatchmaker, startMatchmaker } from '../../../main/runtime/rpc/matchmaker.js';
import { frameRecord } from '../../../main/runtime/rpc/record-marking.js';
import { startServer, type RpcServer, type ServerOptions } from '../../../main/runtime/rpc/server.js';

/**
 * How long a client waits for a reply before it sends the call again. Well above what one call costs
 * here (an fsync of the ledger: 17-45 ms measured), so that only the link's faults cause retries.
 */
const CALL_TIMEOUT_MS = 1000;

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
    deposit: procedure<{ account: string; amount: number }, number>(
      1,
      {
        kind: 'struct',
        fields: [
          ['account', account],
          ['amount', { kind: 'int' }],
        ],
      },
      { kind: 'int' },
      { idempotent: false },
    ),
    balance: procedure<string, number>(3, account, { kind: 'int' }, { idempotent: true }),
  },
});

async function bankServer(semantics: Semantics, tracer: RpcTracer, extra: Partial<ServerOptions> = {}) {
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
    { semantics, tracer, ...extra },
  );
}

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function ledgerPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-rpc-test-'));
  dirs.push(dir);
  return join(dir, 'bank.ledger');
}

/** How often each xid's deposit is in the ledger file. */
function runsPerXid(path: string): Map<number, number> {
  const runs = new Map<number, number>();
  for (const r of readLog(path).records) if (r.name === 'deposit') runs.set(r.xid, (runs.get(r.xid) ?? 0) + 1);
  return runs;
}

/** Deposits `n` x 10 through a lossy link with `plan`; returns the ledger's counts once everything has gone through. */
async function depositRun(semantics: Semantics, plan: LinkPlan, n = 4, maxAttempts = 5) {
  const tracer = collector();
  const log = ledgerPath();
  const server = await bankServer(semantics, tracer, { log });
  const link = await startLossyLink({ target: { host: '127.0.0.1', port: server.port }, plan, tracer });
  const client = await connectClient(BANK, { port: link.port, semantics, tracer, timeoutMs: CALL_TIMEOUT_MS, maxAttempts, firstXid: 100 });
  const outcomes: (number | string)[] = [];
  try {
    for (let i = 0; i < n; i++) outcomes.push(await client.stub.deposit({ account: 'alice', amount: 10 }).catch((e: RpcError) => e.code));
  } finally {
    // The link delivers what it holds back before it lets the client's connection close.
    await client.close();
    await link.close();
    await server.close();
  }
  return { outcomes, runs: runsPerXid(log), tracer };
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
    assert.deepEqual(
      tracer.of('rpc.execute').map((e) => e.result),
      ['1000', '999'],
    );
    assert.deepEqual(
      tracer.of('rpc.reply').map((e) => [e.xid, e.attempts]),
      [
        [7, 1],
        [8, 1],
      ],
    );
  });

  it('turns an unknown procedure into PROC_UNAVAIL and bad arguments into GARBAGE_ARGS, and keeps serving', async () => {
    const tracer = collector();
    const server = await bankServer('at-least-once', tracer);
    // A client built from a newer interface than the server's: procedure 9 does not exist there.
    const NEWER = defineProgram({
      ...BANK,
      procedures: { ...BANK.procedures, audit: procedure<string, number>(9, account, { kind: 'int' }, { idempotent: true }) },
    });
    const client = await connectClient(NEWER, { port: server.port, semantics: 'at-least-once', tracer, timeoutMs: 1000 });
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

  it('a lost request is repaired by the retry; with one send per call the call ends unknown and never ran', async () => {
    const repaired = await depositRun('at-most-once', { fault: 'drop-request', every: 1, delayMs: 0 }, 2);
    assert.deepEqual(repaired.outcomes, [10, 20]);
    assert.deepEqual(
      repaired.tracer.of('rpc.call').map((e) => e.attempt),
      [1, 2, 1, 2],
      'each first copy lost, each retry through',
    );
    assert.deepEqual([...repaired.runs.values()], [1, 1]);

    const lost = await depositRun('at-most-once', { fault: 'drop-request', every: 2, delayMs: 0 }, 2, 1);
    assert.deepEqual(lost.outcomes, [10, 'unknown']);
    assert.equal(lost.runs.get(101), undefined, 'the lost call never ran');
    assert.match(lost.tracer.of('rpc.error').find((e) => e.code === 'unknown')!.message, /no reply after 1 attempt .*once or not at all/);

    const refused = await connectClient(BANK, { port: 1, semantics: 'at-least-once', tracer: collector(), timeoutMs: 10 }).catch((e: unknown) => e);
    assert.ok(refused instanceof RpcError && refused.code === 'connect', String(refused));
  });

  for (const fault of ['drop-reply', 'duplicate-request', 'delay'] as const) {
    const plan: LinkPlan = { fault, every: 2, delayMs: CALL_TIMEOUT_MS + 500 };
    it(`${fault}: at-least-once runs two deposits twice; at-most-once and exactly-once run each once`, async () => {
      const alo = await depositRun('at-least-once', plan);
      // At least: a reply merely slower than the timeout (a loaded machine) is sent again, and run again, too.
      const runs = [...alo.runs.values()];
      assert.ok(runs.length === 4 && runs.every((n, i) => n >= [1, 2, 1, 2][i]!), `calls 2 and 4 in the ledger at least twice: ${runs}`);
      assert.ok(alo.tracer.of('rpc.duplicate').filter((d) => d.action === 'executed-again').length >= 2, 'both hit calls ran again');
      for (const semantics of ['at-most-once', 'exactly-once'] as const) {
        const run = await depositRun(semantics, plan);
        assert.deepEqual([...run.runs.values()], [1, 1, 1, 1], `${semantics}: each deposit once in the ledger`);
        assert.deepEqual(run.outcomes, [10, 20, 30, 40]);
        const duplicates = run.tracer.of('rpc.duplicate');
        assert.ok(duplicates.length >= 2, `${semantics}: at least the two hit calls' duplicates seen, not ${duplicates.length}`);
        assert.ok(
          duplicates.every((d) => d.action === 'replayed'),
          JSON.stringify(duplicates),
        );
        assert.equal(run.tracer.of('rpc.fault').length, 2, 'one fault per hit call');
        if (fault !== 'duplicate-request')
          assert.ok(
            run.tracer.of('rpc.call').some((c) => c.attempt === 2),
            'a retry',
          );
      }
    });
  }

  describe('the server goes away after logging deposit 2 and before its reply; a new one starts on the same ledger', () => {
    /**
     * Deposits 3 x 10; the first server drops every connection right after logging deposit 2 (xid 501).
     * By xid, not by the count of executions: at-least-once may run a slow deposit 1 twice on a loaded
     * machine, and then the 2nd execution is not deposit 2.
     */
    async function crashRun(semantics: Semantics) {
      const tracer = collector();
      const log = ledgerPath();
      let restarted: RpcServer | undefined;
      const first: RpcServer = await bankServer(semantics, tracer, {
        log,
        beforeReply: ({ xid }) => {
          if (xid === 501) void first.close(); // every connection destroyed now: the reply is never written
        },
      });
      const locate = async () => (restarted ??= await bankServer(semantics, tracer, { log })).port;
      const client = await connectClient(BANK, { port: first.port, locate, semantics, tracer, timeoutMs: 1000, firstXid: 500 });
      const outcomes: (number | string)[] = [];
      try {
        for (let i = 0; i < 3; i++) outcomes.push(await client.stub.deposit({ account: 'alice', amount: 10 }).catch((e: RpcError) => e.code));
      } finally {
        await client.close();
        await restarted?.close();
      }
      return { outcomes, runs: runsPerXid(log), tracer };
    }

    it('at-least-once: the retry runs deposit 2 again on the new server', async () => {
      const { outcomes, runs } = await crashRun('at-least-once');
      // At least: on an idle machine exactly [1, 2, 1] and balances [10, 30, 40]; a reply slower than the
      // timeout (a loaded machine) is sent again and run again too, and every run adds its 10.
      const counts = [500, 501, 502].map((xid) => runs.get(xid) ?? 0);
      assert.ok(counts[0]! >= 1 && counts[1]! >= 2 && counts[2]! >= 1, `deposit 2 ran at least twice, the others at least once: ${counts}`);
      assert.equal(outcomes.length, 3);
      assert.equal(outcomes[2], 10 * counts.reduce((a, b) => a + b, 0), 'the last balance counts every run of every deposit');
      assert.ok(
        (outcomes[0] as number) < (outcomes[1] as number) && (outcomes[1] as number) < (outcomes[2] as number),
        `every call answered, balances rising: ${outcomes}`,
      );
    });

    it('at-most-once: deposit 2 ran but ends unknown, and is not sent again', async () => {
      const { outcomes, runs, tracer } = await crashRun('at-most-once');
      assert.deepEqual(outcomes, [10, 'unknown', 30]);
      assert.deepEqual(
        [...runs],
        [
          [500, 1],
          [501, 1],
          [502, 1],
        ],
      );
      assert.deepEqual(
        tracer
          .of('rpc.call')
          .filter((c) => c.xid === 501)
          .map((c) => c.attempt),
        [1],
      );
    });

    it('exactly-once: the new server answers the retry from the ledger; every deposit once, every call answered', async () => {
      const { outcomes, runs, tracer } = await crashRun('exactly-once');
      assert.deepEqual(outcomes, [10, 20, 30]);
      assert.deepEqual(
        [...runs],
        [
          [500, 1],
          [501, 1],
          [502, 1],
        ],
      );
      const recovery = tracer.of('rpc.ledger').find((l) => l.reason === 'recovery')!;
      assert.deepEqual(
        recovery.entries.map((e) => [e.xid, e.result]),
        [
          [500, '10'],
          [501, '20'],
        ],
      );
      assert.deepEqual(
        tracer.of('rpc.duplicate').map((d) => [d.xid, d.action]),
        [[501, 'replayed']],
      );
    });
  });

  it('finds a server through the matchmaker', async () => {
    const tracer = collector();
    const matchmaker = await startMatchmaker(0, tracer);
    const server = await bankServer('at-least-once', tracer);
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
