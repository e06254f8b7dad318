import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, CHAIN_START, chainOver, eventHash, nextLink, packHashes, recordHash, unpackHashes } from '../../../main/engine/evidence-chain.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth, leaves no whitespace, and drops undefined members', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    // "\u00e9" (é, 0xE9) sorts after "z" (0x7A); "\ud83d\ude00" (a surrogate pair, 0xD83D) after "\u00e9".
    assert.equal(canonicalJson({ '\u{1F600}': 1, é: 2, z: 3, A: 4 }), '{"A":4,"z":3,"é":2,"😀":1}');
  });

  it('writes numbers as ECMAScript does and refuses what JSON cannot hold', () => {
    assert.equal(canonicalJson([1e21, 0.1, -0, 1.5e-7]), '[1e+21,0.1,0,1.5e-7]');
    assert.throws(() => canonicalJson({ x: Number.NaN }), /no JSON form/);
    assert.throws(() => canonicalJson({ x: 1n }), /bigint/);
  });

  it('is the same for any key order, and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(JSON.parse(text)), text, 'canonical text is a fixed point');
        const shuffled = JSON.parse(
          JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)),
        );
        assert.equal(canonicalJson(shuffled), text, 'key order does not matter');
      }),
    );
  });
});

describe('hash chain', () => {
  it('links SHA-256 over the previous link and the record hash, from 64 zeros', () => {
    const hash = recordHash({ type: 'event', n: 1 });
    assert.equal(hash, createHash('sha256').update('{"n":1,"type":"event"}').digest('hex'));
    assert.equal(
      nextLink(CHAIN_START, hash),
      createHash('sha256')
        .update(CHAIN_START + hash)
        .digest('hex'),
    );
    assert.equal(chainOver([hash, hash]), nextLink(nextLink(CHAIN_START, hash), hash));
  });

  it('changes its head when any record changes, is removed, or moves', () => {
    const records = Array.from({ length: 20 }, (_, i) => recordHash({ seq: i + 1, text: `n${i}` }));
    const head = chainOver(records);
    for (let i = 0; i < records.length; i++) {
      const changed = [...records];
      changed[i] = recordHash({ seq: i + 1, text: `n${i}!` });
      assert.notEqual(chainOver(changed), head, `a change to record ${i} changes the head`);
      assert.notEqual(chainOver(records.filter((_, j) => j !== i)), head, `leaving out record ${i} changes the head`);
    }
    assert.notEqual(chainOver([records[1]!, records[0]!, ...records.slice(2)]), head, 'swapping two records changes the head');
  });

  it('hashes an event over its run, its sequence number and its stored text, byte for byte', () => {
    const data = '{"v":1,"kind":"note","text":"hi"}';
    assert.equal(eventHash(3, 7, data), createHash('sha256').update(`event 3 7 ${data}`).digest('hex'));
    assert.notEqual(eventHash(3, 7, data), eventHash(3, 8, data), 'the sequence number counts');
    assert.notEqual(eventHash(3, 7, data), eventHash(4, 7, data), 'the run counts');
    assert.notEqual(eventHash(3, 7, data), eventHash(3, 7, data.replace(':', ': ')), 'so does a space');
  });

  it('packs record hashes into base64 and back, and refuses a text that is not whole digests', () => {
    const hashes = Array.from({ length: 5 }, (_, i) => recordHash({ i }));
    const packed = packHashes(hashes);
    assert.equal(packed.length, Math.ceil((5 * 32) / 3) * 4);
    assert.deepEqual(unpackHashes(packed), hashes);
    assert.deepEqual(unpackHashes(''), []);
    assert.equal(unpackHashes(packed.slice(0, -4)), undefined, 'a cut text is refused');
    assert.equal(unpackHashes(packed.replace(/.$/, '!')), undefined, 'a character outside base64 is refused');
  });
});
