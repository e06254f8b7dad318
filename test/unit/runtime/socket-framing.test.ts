/**
 * Length-prefixed framing (main/runtime/sockets/framing.ts): messages come out whole however the
 * stream cuts the bytes, including a length split across chunks, and a garbage length is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPattern, frame, FrameError, FrameReader, patternBytes } from '../../../main/runtime/sockets/framing.js';

describe('socket framing', () => {
  const messages = [Buffer.from('hello'), Buffer.alloc(0), patternBytes(0, 70_000), Buffer.from('bye')];
  const wire = Buffer.concat(messages.map(frame));

  for (const cut of [1, 2, 3, 5, 4096, 65536, wire.length]) {
    it(`reassembles every message from chunks of ${cut} bytes`, () => {
      const reader = new FrameReader();
      const out: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) out.push(...reader.push(wire.subarray(i, i + cut)).map((m) => Buffer.from(m)));
      assert.deepEqual(out, messages);
      assert.equal(reader.pending, 0);
    });
  }

  it('refuses a length larger than the reader accepts, instead of waiting for it', () => {
    const reader = new FrameReader(1024);
    assert.throws(
      () => reader.push(Buffer.from('GET / HTTP/1.0\r\n')),
      (e: unknown) => e instanceof FrameError && /1195725856 bytes/.test(e.message),
    );
  });

  it('finds the first wrong byte of a pattern stream', () => {
    const chunk = Buffer.from(patternBytes(1000, 300));
    assert.equal(checkPattern(chunk, 1000), -1);
    assert.equal(checkPattern(chunk, 1001), 0, 'the same bytes one place later are wrong');
    chunk[123] = chunk[123]! ^ 1;
    assert.equal(checkPattern(chunk, 1000), 123);
  });
});
