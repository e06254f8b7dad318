/**
 * Record marking (RFC 5531 §11): exact header bytes, reassembly whatever the cuts of the stream and
 * the fragment sizes (fast-check), refusal of absurd lengths before any allocation, and truncation
 * found at end of stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RecordError, RecordReader, frameRecord } from '../../../main/runtime/rpc/record-marking.js';

/** Cuts `bytes` at the given points (sorted, deduplicated) into chunks. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe('record marking', () => {
  it('writes the header as RFC 5531 says: top bit last fragment, 31-bit length', () => {
    assert.equal(frameRecord(Buffer.from('abcd')).toString('hex'), '8000000461626364');
    assert.equal(frameRecord(Buffer.from('abcde'), 3).toString('hex'), '00000003616263' + '800000026465');
    assert.equal(frameRecord(Buffer.alloc(0)).toString('hex'), '80000000');
  });

  it('gives back every record, in order, whatever the fragment sizes and the cuts of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (records, fragmentBytes, points) => {
          const stream = Buffer.concat(records.map((r) => frameRecord(r, fragmentBytes)));
          const reader = new RecordReader();
          const got = cut(stream, points).flatMap((chunk) => reader.push(chunk));
          assert.deepEqual(
            got.map((b) => [...b]),
            records.map((r) => [...r]),
          );
          reader.end(); // nothing left half-received
        },
      ),
    );
  });

  it('refuses a header announcing more than its limit, before waiting for (or allocating) the bytes', () => {
    const reader = new RecordReader(1024);
    assert.throws(
      () => reader.push(Buffer.from([0x80, 0, 0x04, 0x01])),
      (e: unknown) => e instanceof RecordError && e.code === 'record-too-large' && /1025 bytes.*limit of 1024.*Fix/.test(e.message),
    );
    // Broken for good: the stream is out of step.
    assert.throws(() => reader.push(frameRecord(Buffer.from('ok'))), RecordError);
    // Fragments that add up past the limit are refused too.
    const small = new RecordReader(10);
    assert.throws(() => small.push(Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.alloc(6), Buffer.from([0x80, 0, 0, 6])])), /record of 12 bytes/);
  });

  it('any garbage either yields records or is refused with a RecordError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (garbage) => {
        const reader = new RecordReader(4096);
        try {
          reader.push(garbage);
          reader.end();
        } catch (e) {
          assert.ok(e instanceof RecordError, String(e));
        }
      }),
    );
  });

  it('finds a record cut short at end of stream', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), (record, n) => {
        const framed = frameRecord(record);
        const prefix = framed.subarray(0, 1 + (n % (framed.length - 1)));
        const reader = new RecordReader();
        assert.deepEqual(reader.push(prefix), []);
        assert.throws(
          () => reader.end(),
          (e: unknown) => e instanceof RecordError && e.code === 'truncated',
        );
      }),
    );
  });
});
