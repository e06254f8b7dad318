/**
 * The RPC message codec (RFC 5531, simplified): exact bytes of a call and of each kind of reply,
 * labelled fields that cover every byte, round trips over random arguments (fast-check), and
 * rejection with an XdrError naming the field for every truncated call or reply.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  callType,
  decodeArgs,
  decodeCallHeader,
  decodeReply,
  encodeCall,
  encodeReply,
  peekMessage,
  wireFields,
  type Reply,
} from '../../../main/runtime/rpc/message.js';
import { XdrError, hex, type XdrType } from '../../../main/runtime/rpc/xdr.js';

const transfer: XdrType = {
  kind: 'struct',
  fields: [
    ['account', { kind: 'string', max: 32 }],
    ['amount', { kind: 'int' }],
  ],
};
const header = { xid: 0x01020304, prog: 0x2000_0101, vers: 1, proc: 1 };

describe('RPC messages', () => {
  it('lays a call out as ONC RPC does: xid, CALL, rpcvers 2, prog, vers, proc, AUTH_NONE x2, args', () => {
    const bytes = encodeCall(header, transfer, { account: 'bob', amount: 1000 });
    assert.equal(
      hex(bytes),
      '01 02 03 04 00 00 00 00 00 00 00 02 20 00 01 01 00 00 00 01 00 00 00 01 ' +
        '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ' +
        '00 00 00 03 62 6f 62 00 00 00 03 e8',
    );
    const decoded = decodeCallHeader(bytes);
    assert.deepEqual(decoded, { header, rpcvers: 2, argsOffset: 40 });
    assert.deepEqual(decodeArgs(bytes, decoded.argsOffset, transfer), { account: 'bob', amount: 1000 });
    assert.deepEqual(peekMessage(bytes), { xid: 0x01020304, msgType: 'CALL' });
  });

  it('lays replies out by outcome, and reads them back', () => {
    const int: XdrType = { kind: 'int' };
    const cases: [Reply, string][] = [
      [{ xid: 9, stat: 'SUCCESS', result: -1 }, '00 00 00 09 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff'],
      [{ xid: 9, stat: 'PROC_UNAVAIL' }, '00 00 00 09 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 03'],
      [{ xid: 9, stat: 'PROG_MISMATCH', low: 1, high: 2 }, '00 00 00 09 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 01 00 00 00 02'],
      [{ xid: 9, stat: 'RPC_MISMATCH', low: 2, high: 2 }, '00 00 00 09 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 02 00 00 00 02'],
    ];
    for (const [reply, bytes] of cases) {
      assert.equal(hex(encodeReply(reply, int)), bytes, reply.stat);
      assert.deepEqual(decodeReply(encodeReply(reply, int), int), reply);
    }
    assert.deepEqual(peekMessage(encodeReply({ xid: 5, stat: 'SUCCESS', result: 1 }, int)), { xid: 5, msgType: 'REPLY' });
    // ONC RPC has two message types (RFC 5531 §9): anything else is not an RPC message.
    const two = Buffer.from('0000000500000002', 'hex');
    assert.throws(() => peekMessage(two), /neither CALL \(0\) nor REPLY \(1\)/);
  });

  it('labels every byte on the wire, record mark first', () => {
    const bytes = encodeCall(header, transfer, { account: 'alice', amount: 7 });
    const { hex: wire, fields } = wireFields(bytes, callType(transfer));
    assert.equal(fields[0]!.value, `last fragment, ${bytes.length} bytes`);
    let at = 0;
    for (const f of fields) {
      assert.equal(f.offset, at);
      at += f.length;
    }
    assert.equal(at, bytes.length + 4);
    assert.equal(wire.split(' ').length, bytes.length + 4);
    assert.deepEqual(
      fields.filter((f) => f.path.startsWith('args')).map((f) => f.value),
      ['5', '"alice"', '', '7'],
    );
    // Garbage is labelled as far as it goes.
    const garbage = wireFields(Buffer.from('GET / HTTP/1.1'), callType(transfer)).fields.map((f) => f.path);
    assert.deepEqual(garbage, ['(record mark)', 'xid', 'msgType', '(undecodable)']);
    // A long message is shown in part: the trace line stays small.
    const long = wireFields(encodeCall(header, { kind: 'varOpaque' }, Buffer.alloc(100_000)), undefined);
    assert.ok(long.hex.length < 4000, String(long.hex.length));
    assert.equal(long.fields.at(-1)!.type, `${100_044 - 1024} more bytes, left out of the trace`);
  });

  it('round-trips random calls and replies', () => {
    fc.assert(
      fc.property(
        fc.record({
          xid: fc.nat({ max: 0xffff_ffff }),
          prog: fc.nat({ max: 0xffff_ffff }),
          vers: fc.nat({ max: 0xffff_ffff }),
          proc: fc.nat({ max: 0xffff_ffff }),
        }),
        fc.string({ maxLength: 32 }).filter((s) => Buffer.byteLength(s) <= 32),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        (h, account, amount) => {
          const bytes = encodeCall(h, transfer, { account, amount });
          assert.equal(bytes.length % 4, 0);
          const { header: got, argsOffset } = decodeCallHeader(bytes);
          assert.deepEqual(got, { ...h });
          assert.deepEqual(decodeArgs(bytes, argsOffset, transfer), { account, amount });
          const reply: Reply = { xid: h.xid, stat: 'SUCCESS', result: { account, amount } };
          assert.deepEqual(decodeReply(encodeReply(reply, transfer), transfer), reply);
        },
      ),
    );
  });

  it('rejects every truncated call and reply with an XdrError naming a field', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.integer(), fc.nat(), (account, amount, n) => {
        const call = encodeCall(header, transfer, { account, amount });
        const short = call.subarray(0, n % call.length);
        assert.throws(
          () => {
            const { argsOffset } = decodeCallHeader(short);
            decodeArgs(short, argsOffset, transfer);
          },
          (e: unknown) => e instanceof XdrError && e.path !== '' && /needs \d+ bytes|exceeds/.test(e.message),
        );
        const reply = encodeReply({ xid: 1, stat: 'SUCCESS', result: { account, amount } }, transfer);
        assert.throws(() => decodeReply(reply.subarray(0, n % reply.length), transfer), XdrError);
      }),
    );
  });

  it('rejects malformed headers: not a call, bad auth flavor, bad reply stat, trailing bytes', () => {
    const call = encodeCall(header, { kind: 'int' }, 1);
    const asReply = Buffer.from(call);
    asReply.writeUInt32BE(1, 4);
    assert.throws(() => decodeCallHeader(asReply), /msgType: expected CALL \(0\)/);
    const badFlavor = Buffer.from(call);
    badFlavor.writeUInt32BE(7, 24);
    assert.throws(() => decodeCallHeader(badFlavor), /cred\.flavor: authentication flavor 7/);
    assert.throws(() => peekMessage(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9])), /message type 9/);
    const reply = encodeReply({ xid: 1, stat: 'SUCCESS', result: 5 }, { kind: 'int' });
    const badStat = Buffer.from(reply);
    badStat.writeUInt32BE(2, 8);
    assert.throws(() => decodeReply(badStat, { kind: 'int' }), /reply_stat 2/);
    assert.throws(() => decodeArgs(Buffer.concat([call, Buffer.alloc(4)]), 40, { kind: 'int' }), /args: 4 bytes left over at offset 44/);
  });
});
