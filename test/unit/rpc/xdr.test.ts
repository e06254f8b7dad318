/**
 * The XDR codec against RFC 4506: exact byte layouts (the RFC's own §7 example included), labelled
 * fields from describe, error messages that name field, offset and expectation, and fast-check
 * properties over random schemas: round trips, 4-byte alignment, truncated prefixes, garbage input
 * and non-zero padding.
 */
import assert from 'node:assert/strict';
import { describe as group, it } from 'node:test';
import fc from 'fast-check';
import {
  XdrError,
  XdrReader,
  XdrWriter,
  decode,
  describe,
  describeBytes,
  encode,
  formatFields,
  hex,
  read,
  type XdrType,
  type XdrValue,
} from '../../../main/runtime/rpc/xdr.js';

const int: XdrType = { kind: 'int' };
const bytesOf = (hexText: string): Buffer => Buffer.from(hexText.replace(/\s+/g, ''), 'hex');
const hexOf = (type: XdrType, value: unknown): string => hex(encode(type, value));

/** Asserts that `fn` throws an XdrError (not a RangeError, not a TypeError) whose message matches. */
function throwsXdr(fn: () => unknown, message: RegExp | string, path?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof XdrError, `expected an XdrError, got ${String(error)}`);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  });
}

// RFC 4506 §7, "An Example of an XDR Data Description".
const filekind: XdrType = { kind: 'enum', values: { TEXT: 0, DATA: 1, EXEC: 2 } };
const file: XdrType = {
  kind: 'struct',
  fields: [
    ['filename', { kind: 'string', max: 255 }],
    [
      'type',
      {
        kind: 'union',
        discriminant: filekind as Extract<XdrType, { kind: 'enum' }>,
        arms: [
          ['TEXT', { kind: 'void' }],
          ['DATA', { kind: 'string', max: 255 }],
          ['EXEC', { kind: 'string', max: 255 }],
        ],
      },
    ],
    ['owner', { kind: 'string', max: 32 }],
    ['data', { kind: 'varOpaque', max: 65535 }],
  ],
};
const sillyprog = { filename: 'sillyprog', type: { tag: 'EXEC', value: 'lisp' }, owner: 'john', data: Buffer.from('(quit)') };

group('XDR byte layouts (RFC 4506)', () => {
  it('int and unsigned int: 4 bytes, big-endian, two’s complement', () => {
    assert.equal(hexOf(int, -1), 'ff ff ff ff');
    assert.equal(hexOf(int, 1), '00 00 00 01');
    assert.equal(hexOf(int, 256), '00 00 01 00');
    assert.equal(hexOf(int, -(2 ** 31)), '80 00 00 00');
    assert.equal(hexOf(int, 2 ** 31 - 1), '7f ff ff ff');
    assert.equal(hexOf({ kind: 'uint' }, 1), '00 00 00 01');
    assert.equal(hexOf({ kind: 'uint' }, 2 ** 32 - 1), 'ff ff ff ff');
    assert.equal(decode(int, bytesOf('ff ff ff fe')), -2);
    assert.equal(decode({ kind: 'uint' }, bytesOf('ff ff ff fe')), 2 ** 32 - 2);
  });

  it('hyper and unsigned hyper: 8 bytes, as bigints', () => {
    assert.equal(hexOf({ kind: 'hyper' }, -1n), 'ff ff ff ff ff ff ff ff');
    assert.equal(hexOf({ kind: 'hyper' }, 1n), '00 00 00 00 00 00 00 01');
    assert.equal(hexOf({ kind: 'hyper' }, 0x0102030405060708n), '01 02 03 04 05 06 07 08');
    assert.equal(hexOf({ kind: 'hyper' }, -(2n ** 63n)), '80 00 00 00 00 00 00 00');
    assert.equal(hexOf({ kind: 'uhyper' }, 2n ** 64n - 1n), 'ff ff ff ff ff ff ff ff');
    assert.equal(decode({ kind: 'hyper' }, bytesOf('ff ff ff ff ff ff ff fe')), -2n);
    assert.equal(decode({ kind: 'uhyper' }, bytesOf('80 00 00 00 00 00 00 00')), 2n ** 63n);
  });

  it('bool and enum are ints', () => {
    assert.equal(hexOf({ kind: 'bool' }, true), '00 00 00 01');
    assert.equal(hexOf({ kind: 'bool' }, false), '00 00 00 00');
    const colors: XdrType = { kind: 'enum', values: { RED: 2, YELLOW: 3, BLUE: 5 } };
    assert.equal(hexOf(colors, 'YELLOW'), '00 00 00 03');
    assert.equal(decode(colors, bytesOf('00 00 00 05')), 'BLUE');
    assert.equal(hexOf({ kind: 'enum', values: { MINUS: -1 } }, 'MINUS'), 'ff ff ff ff');
  });

  it('float and double: IEEE 754 bit patterns', () => {
    assert.equal(hexOf({ kind: 'float' }, 1.0), '3f 80 00 00');
    assert.equal(hexOf({ kind: 'float' }, -2.0), 'c0 00 00 00');
    assert.equal(hexOf({ kind: 'float' }, 0.1), '3d cc cc cd'); // rounded to the nearest float
    assert.equal(hexOf({ kind: 'float' }, -0), '80 00 00 00');
    assert.equal(hexOf({ kind: 'float' }, Infinity), '7f 80 00 00');
    assert.equal(hexOf({ kind: 'double' }, 1.0), '3f f0 00 00 00 00 00 00');
    assert.equal(hexOf({ kind: 'double' }, 0.1), '3f b9 99 99 99 99 99 9a');
    assert.equal(decode({ kind: 'float' }, bytesOf('40 49 0f db')), Math.fround(Math.PI));
    assert.ok(
      Object.is(decode({ kind: 'double' }, bytesOf('80 00 00 00 00 00 00 00')), -0),
      "Object.is(decode({ kind: 'double' }, bytesOf('80 00 00 00 00 00 00 00')), -0)",
    );
  });

  it('fixed-length opaque: the bytes, zero-padded to 4', () => {
    assert.equal(hexOf({ kind: 'opaque', length: 5 }, Buffer.from('abcde')), '61 62 63 64 65 00 00 00');
    assert.equal(hexOf({ kind: 'opaque', length: 4 }, Buffer.from('abcd')), '61 62 63 64');
    assert.equal(hexOf({ kind: 'opaque', length: 0 }, Buffer.alloc(0)), '');
    assert.deepEqual(decode({ kind: 'opaque', length: 3 }, bytesOf('01 02 03 00')), Buffer.from([1, 2, 3]));
  });

  it('variable-length opaque and string: length, bytes, zero padding', () => {
    assert.equal(hexOf({ kind: 'varOpaque' }, Buffer.from([1, 2, 3])), '00 00 00 03 01 02 03 00');
    assert.equal(hexOf({ kind: 'string' }, 'hello'), '00 00 00 05 68 65 6c 6c 6f 00 00 00');
    assert.equal(hexOf({ kind: 'string' }, 'abcd'), '00 00 00 04 61 62 63 64');
    assert.equal(hexOf({ kind: 'string' }, ''), '00 00 00 00');
    // UTF-8: the length counts bytes, and the maximum too.
    assert.equal(hexOf({ kind: 'string', max: 2 }, 'é'), '00 00 00 02 c3 a9 00 00');
    assert.equal(decode({ kind: 'string' }, bytesOf('00 00 00 05 68 65 6c 6c 6f 00 00 00')), 'hello');
    // A leading byte-order mark is data, not something to strip.
    assert.equal(decode({ kind: 'string' }, bytesOf('00 00 00 03 ef bb bf 00')), '\uFEFF');
  });

  it('arrays: fixed ones have no count, variable ones count elements (not bytes)', () => {
    assert.equal(hexOf({ kind: 'array', length: 2, of: int }, [1, 2]), '00 00 00 01 00 00 00 02');
    assert.equal(hexOf({ kind: 'varArray', of: int }, [1, 2]), '00 00 00 02 00 00 00 01 00 00 00 02');
    assert.equal(hexOf({ kind: 'varArray', of: { kind: 'string' } }, ['a', 'bc']), '00 00 00 02 00 00 00 01 61 00 00 00 00 00 00 02 62 63 00 00');
    assert.equal(hexOf({ kind: 'varArray', max: 4, of: int }, []), '00 00 00 00');
  });

  it('optional data: a bool, then the value if TRUE', () => {
    const maybe: XdrType = { kind: 'optional', of: int };
    assert.equal(hexOf(maybe, 7), '00 00 00 01 00 00 00 07');
    assert.equal(hexOf(maybe, null), '00 00 00 00');
    assert.equal(decode(maybe, bytesOf('00 00 00 00')), null);
    assert.equal(decode(maybe, bytesOf('00 00 00 01 ff ff ff ff')), -1);
  });

  it('struct: the fields in order, nothing between them', () => {
    const point: XdrType = {
      kind: 'struct',
      fields: [
        ['x', int],
        ['y', int],
        ['label', { kind: 'string' }],
      ],
    };
    assert.equal(hexOf(point, { x: 1, y: -1, label: 'p' }), '00 00 00 01 ff ff ff ff 00 00 00 01 70 00 00 00');
    assert.deepEqual(decode(point, bytesOf('00 00 00 01 ff ff ff ff 00 00 00 01 70 00 00 00')), { x: 1, y: -1, label: 'p' });
    assert.equal(hexOf({ kind: 'struct', fields: [] }, {}), '');
    assert.equal(hexOf({ kind: 'void' }, undefined), '');
  });

  it('union: the discriminant, then the arm it selects (or the default)', () => {
    const result: XdrType = {
      kind: 'union',
      arms: [
        [0, { kind: 'string' }],
        [1, { kind: 'void' }],
      ],
      default: int,
    };
    assert.equal(hexOf(result, { tag: 0, value: 'ok' }), '00 00 00 00 00 00 00 02 6f 6b 00 00');
    assert.equal(hexOf(result, { tag: 1 }), '00 00 00 01');
    assert.equal(hexOf(result, { tag: -5, value: 9 }), 'ff ff ff fb 00 00 00 09');
    assert.deepEqual(decode(result, bytesOf('00 00 00 01')), { tag: 1, value: undefined });
    assert.deepEqual(decode(result, bytesOf('00 00 00 07 00 00 00 08')), { tag: 7, value: 8 });
    const flag: XdrType = {
      kind: 'union',
      discriminant: { kind: 'bool' },
      arms: [
        [true, int],
        [false, { kind: 'void' }],
      ],
    };
    assert.equal(hexOf(flag, { tag: true, value: 3 }), '00 00 00 01 00 00 00 03');
  });

  it('the RFC 4506 §7 example: the file "sillyprog", byte for byte', () => {
    const expected = bytesOf(`
      00 00 00 09  73 69 6c 6c  79 70 72 6f  67 00 00 00
      00 00 00 02  00 00 00 04  6c 69 73 70
      00 00 00 04  6a 6f 68 6e
      00 00 00 06  28 71 75 69  74 29 00 00`);
    assert.deepEqual(encode(file, sillyprog), expected);
    assert.deepEqual(decode(file, expected), sillyprog);
  });

  it('a writer and a reader compose: a header, then a body, then done()', () => {
    const w = new XdrWriter();
    w.uint(0x20000099);
    w.string('add');
    w.hyper(-3n);
    w.bool(true);
    w.double(2.5);
    w.opaque(2, Buffer.from([9, 8]));
    w.varOpaque(Buffer.from([7]), 4);
    assert.equal(w.offset, 44);
    const r = new XdrReader(w.bytes());
    assert.equal(r.uint(), 0x20000099);
    assert.equal(r.string(), 'add');
    assert.equal(r.hyper(), -3n);
    assert.equal(r.bool(), true);
    assert.equal(r.double(), 2.5);
    assert.deepEqual(r.opaque(2), Buffer.from([9, 8]));
    assert.deepEqual(r.varOpaque(4), Buffer.from([7]));
    r.done();
    const more = new XdrReader(bytesOf('00 00 00 01 00 00 00 02'));
    assert.equal(read(int, more), 1);
    assert.equal(more.offset, 4);
    throwsXdr(() => more.done('args'), 'args: 4 bytes left over at offset 4 after the end of the value');
  });
});

group('describe', () => {
  it('labels each field with its offset, length and hex', () => {
    const transfer: XdrType = {
      kind: 'struct',
      fields: [
        ['from', int],
        ['amount', int],
      ],
    };
    assert.deepEqual(describe(transfer, { from: 7, amount: 100 }), [
      { path: 'from', type: 'int', offset: 0, length: 4, bytes: '00 00 00 07', value: '7' },
      { path: 'amount', type: 'int', offset: 4, length: 4, bytes: '00 00 00 64', value: '100' },
    ]);
  });

  it('the RFC 4506 §7 example, as the lab shows it', () => {
    const table = formatFields(describe(file, sillyprog));
    assert.equal(
      table,
      [
        '   0  00 00 00 09                 filename    length of string<255>  9',
        '   4  73 69 6c 6c 79 70 72 6f 67  filename    string<255>  "sillyprog"',
        '  13  00 00 00                    filename    padding',
        '  16  00 00 00 02                 type.tag    enum  EXEC (2)',
        '  20  00 00 00 04                 type.value  length of string<255>  4',
        '  24  6c 69 73 70                 type.value  string<255>  "lisp"',
        '  28  00 00 00 04                 owner       length of string<32>  4',
        '  32  6a 6f 68 6e                 owner       string<32>  "john"',
        '  36  00 00 00 06                 data        length of opaque<65535>  6',
        '  40  28 71 75 69 74 29           data        opaque<65535>',
        '  46  00 00                       data        padding',
      ].join('\n'),
    );
  });

  it('labels counts, optional flags, elements, void arms and hypers', () => {
    const type: XdrType = {
      kind: 'struct',
      fields: [
        ['ids', { kind: 'varArray', max: 3, of: { kind: 'hyper' } }],
        ['note', { kind: 'optional', of: { kind: 'bool' } }],
        ['reply', { kind: 'union', arms: [[1, { kind: 'void' }]] }],
      ],
    };
    assert.deepEqual(
      describe(type, { ids: [5n], note: false, reply: { tag: 1 } }).map((f) => [f.path, f.type, f.offset, f.length, f.bytes, f.value]),
      [
        ['ids', 'count of hyper<3>', 0, 4, '00 00 00 01', '1'],
        ['ids[0]', 'hyper', 4, 8, '00 00 00 00 00 00 00 05', '5'],
        ['note', 'optional flag (bool)', 12, 4, '00 00 00 01', 'TRUE (present)'],
        ['note', 'bool', 16, 4, '00 00 00 00', 'FALSE'],
        ['reply.tag', 'int', 20, 4, '00 00 00 01', '1'],
        ['reply.value', 'void', 24, 0, '', ''],
      ],
    );
  });

  it('describeBytes labels a received message and rejects a bad one like decode', () => {
    assert.deepEqual(describeBytes(int, bytesOf('00 00 00 2a')), [{ path: '', type: 'int', offset: 0, length: 4, bytes: '00 00 00 2a', value: '42' }]);
    throwsXdr(() => describeBytes(int, bytesOf('00 00 00')), '(message): int at offset 0 needs 4 bytes, only 3 left');
  });
});

group('XdrError: malformed input names the field, the offset and what was expected', () => {
  const account: XdrType = {
    kind: 'struct',
    fields: [
      ['id', int],
      [
        'account',
        {
          kind: 'struct',
          fields: [
            ['number', int],
            ['owner', { kind: 'string' }],
          ],
        },
      ],
    ],
  };

  it('a length that exceeds the bytes left fails before anything is allocated', () => {
    throwsXdr(
      () => decode(account, bytesOf('00 00 00 01 00 00 00 02 ff ff ff ff 41 42 43 44')),
      'account.owner: string length 4294967295 at offset 8 exceeds the 4 bytes left',
      'account.owner',
    );
    throwsXdr(
      () => decode({ kind: 'varOpaque' }, bytesOf('ff ff ff f0 00 00 00 00')),
      '(message): opaque length 4294967280 at offset 0 exceeds the 4 bytes left',
    );
    // Fits without its padding, not with it.
    throwsXdr(
      () => decode({ kind: 'string' }, bytesOf('00 00 00 05 68 65 6c 6c 6f')),
      /string of 5 bytes \(\+3 padding\) at offset 4 needs 8 bytes, only 5 left/,
    );
  });

  it('an array count that the bytes left cannot hold fails at once', () => {
    const many: XdrType = {
      kind: 'varArray',
      of: {
        kind: 'struct',
        fields: [
          ['a', int],
          ['b', { kind: 'hyper' }],
        ],
      },
    };
    const started = performance.now();
    throwsXdr(
      () => decode(many, bytesOf('ff ff ff ff 00 00 00 00')),
      '(message): 4294967295 elements of struct at offset 4 need at least 51539607540 bytes, only 4 left',
    );
    assert.ok(performance.now() - started < 100, 'performance.now() - started < 100');
    throwsXdr(() => decode({ kind: 'array', length: 3, of: int }, bytesOf('00 00 00 01')), /3 elements of int at offset 0 need at least 12 bytes, only 4 left/);
  });

  it('truncation, bad bools and enums, unknown union arms, leftovers', () => {
    throwsXdr(() => decode(account, bytesOf('00 00 00 01 00 00')), 'account.number: int at offset 4 needs 4 bytes, only 2 left');
    throwsXdr(() => decode({ kind: 'hyper' }, bytesOf('00 00 00 00 00 00 00')), '(message): hyper at offset 0 needs 8 bytes, only 7 left');
    throwsXdr(() => decode({ kind: 'bool' }, bytesOf('00 00 00 02')), '(message): bool at offset 0 is 2, expected 0 (FALSE) or 1 (TRUE)');
    throwsXdr(() => decode({ kind: 'optional', of: int }, bytesOf('ff ff ff ff')), /bool at offset 0 is -1/);
    throwsXdr(() => decode(filekind, bytesOf('00 00 00 03')), '(message): enum value 3 at offset 0 is none of TEXT (0), DATA (1), EXEC (2)');
    throwsXdr(
      () => decode({ kind: 'struct', fields: [['r', { kind: 'union', arms: [[0, int]] }]] }, bytesOf('00 00 00 09')),
      'r.tag: union discriminant 9 at offset 0 selects no arm (arms: 0; no default)',
      'r.tag',
    );
    throwsXdr(() => decode(int, bytesOf('00 00 00 01 00 00 00 00')), '(message): 4 bytes left over at offset 4 after the end of the value');
  });

  it('maxima are enforced on decode, and strings must be UTF-8', () => {
    throwsXdr(
      () => decode({ kind: 'string', max: 4 }, bytesOf('00 00 00 05 68 65 6c 6c 6f 00 00 00')),
      '(message): string length 5 at offset 0 exceeds its maximum of 4',
    );
    throwsXdr(() => decode({ kind: 'varOpaque', max: 0 }, bytesOf('00 00 00 01 00 00 00 00')), /opaque length 1 at offset 0 exceeds its maximum of 0/);
    throwsXdr(
      () => decode({ kind: 'varArray', max: 1, of: int }, bytesOf('00 00 00 02 00 00 00 01 00 00 00 02')),
      /array count 2 at offset 0 exceeds its maximum of 1/,
    );
    throwsXdr(() => decode({ kind: 'string' }, bytesOf('00 00 00 02 c3 28 00 00')), '(message): string at offset 4 is not valid UTF-8');
  });

  it("non-zero padding is rejected (this codec's choice; RFC 4506 has encoders write zeros)", () => {
    throwsXdr(
      () => decode({ kind: 'struct', fields: [['name', { kind: 'string' }]] }, bytesOf('00 00 00 05 68 65 6c 6c 6f 00 01 00')),
      'name: padding byte at offset 10 is 0x01; RFC 4506 has encoders write zeros, and this decoder refuses anything else',
    );
    throwsXdr(() => decode({ kind: 'opaque', length: 1 }, bytesOf('01 00 00 80')), /padding byte at offset 3 is 0x80/);
  });

  it('values that do not fit their type are refused on encode, naming the path', () => {
    const cases: [XdrType, unknown, RegExp, string][] = [
      [int, 2 ** 31, /int must be an integer in \[-2147483648, 2147483647\], got 2147483648/, ''],
      [int, 1.5, /got 1\.5/, ''],
      [int, '1', /got "1"/, ''],
      [int, Number.NaN, /got NaN/, ''],
      [{ kind: 'uint' }, -1, /unsigned int must be an integer in \[0, 4294967295\]/, ''],
      [{ kind: 'hyper' }, 1, /hyper must be a bigint/, ''],
      [{ kind: 'hyper' }, 2n ** 63n, /hyper must be a bigint in \[-2\^63, 2\^63 - 1\], got 9223372036854775808n/, ''],
      [{ kind: 'uhyper' }, -1n, /unsigned hyper must be a bigint/, ''],
      [{ kind: 'bool' }, 1, /bool must be true or false, got 1/, ''],
      [{ kind: 'float' }, 1n, /float must be a number/, ''],
      [{ kind: 'string', max: 4 }, 'hello', /string of 5 bytes \(UTF-8\) exceeds its maximum of 4/, ''],
      [{ kind: 'string', max: 1 }, 'é', /string of 2 bytes/, ''],
      [{ kind: 'string' }, 'a\uD800b', /lone UTF-16 surrogate/, ''],
      [{ kind: 'varOpaque', max: 1 }, Buffer.from([1, 2]), /opaque of 2 bytes exceeds its maximum of 1/, ''],
      [{ kind: 'opaque', length: 4 }, Buffer.from([1]), /opaque\[4\] must be exactly 4 bytes, got 1/, ''],
      [{ kind: 'opaque', length: 1 }, 'a', /must be bytes/, ''],
      [{ kind: 'array', length: 2, of: int }, [1], /int\[2\] must have exactly 2 elements, got 1/, ''],
      [{ kind: 'varArray', max: 1, of: int }, [1, 2], /array of 2 elements exceeds its maximum of 1/, ''],
      [{ kind: 'varArray', of: int }, [1, 2 ** 40], /int must be an integer/, '[1]'],
      [filekind, 'SOCKET', /enum must be one of TEXT, DATA, EXEC, got "SOCKET"/, ''],
      [{ kind: 'optional', of: int }, undefined, /absent is null/, ''],
      [{ kind: 'void' }, 0, /void has no value/, ''],
      [account, { id: 1, account: { number: 2 } }, /struct field is missing/, 'account.owner'],
      [account, { id: 1, account: { number: 2, owner: 'x', ownr: 'y' } }, /struct has no field 'ownr'/, 'account'],
      [account, { id: 1, account: { number: 2 ** 31, owner: 'x' } }, /^account\.number: int must be/, 'account.number'],
      [account, [1, 2], /struct must be an object, got an array of 2/, ''],
      [file, { ...sillyprog, type: { tag: 'SOCKET' } }, /enum must be one of/, 'type.tag'],
      [{ kind: 'union', arms: [[0, int]] }, { tag: 3, value: 1 }, /union discriminant 3 selects no arm/, 'tag'],
      [{ kind: 'union', arms: [[0, int]] }, 0, /union must be an object \{ tag, value \}/, ''],
    ];
    for (const [type, value, message, path] of cases) throwsXdr(() => encode(type, value), message, path);
  });

  it('schemas that cannot work are refused before use', () => {
    throwsXdr(() => encode({ kind: 'varArray', of: { kind: 'void' } }, []), /carries nothing/);
    throwsXdr(() => encode({ kind: 'struct', fields: [['__proto__', int]] }, {}), /not an identifier/);
    throwsXdr(
      () =>
        encode(
          {
            kind: 'struct',
            fields: [
              ['a', int],
              ['a', int],
            ],
          },
          {},
        ),
      /given twice/,
    );
    throwsXdr(
      () =>
        encode(
          {
            kind: 'union',
            arms: [
              [0, int],
              [0, int],
            ],
          },
          { tag: 0, value: 1 },
        ),
      /union arm 0 is given twice/,
    );
    throwsXdr(() => encode({ kind: 'union', arms: [[2 ** 31, int]] }, { tag: 0, value: 1 }), /int must be an integer/);
    throwsXdr(() => encode({ kind: 'optional', of: { kind: 'optional', of: int } }, null), /optional of an optional/);
    throwsXdr(() => encode({ kind: 'string', max: -1 }, ''), /maximum length must be an integer/);
    throwsXdr(() => encode({ kind: 'enum', values: { A: 1, B: 1 } }, 'A'), /enum value 1 is given twice/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties over random schemas
// ---------------------------------------------------------------------------------------------------

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** A type all of whose values take no bytes (not allowed as a variable-length array's element). */
function takesNoBytes(type: XdrType): boolean {
  switch (type.kind) {
    case 'void':
      return true;
    case 'opaque':
      return type.length === 0;
    case 'array':
      return type.length === 0 || takesNoBytes(type.of);
    case 'struct':
      return type.fields.every(([, field]) => takesNoBytes(field));
    default:
      return false;
  }
}

const maxArb = fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined });
const enumArb = fc
  .uniqueArray(fc.integer({ min: -3, max: 6 }), { minLength: 1, maxLength: 4 })
  .map((ns): Extract<XdrType, { kind: 'enum' }> => ({ kind: 'enum', values: Object.fromEntries(ns.map((n, i) => [`E${i}`, n])) }));

function leafArb(withFloats: boolean): fc.Arbitrary<XdrType> {
  const simple = (['int', 'uint', 'hyper', 'uhyper', 'bool', 'void', ...(withFloats ? ['float', 'double'] : [])] as const).map((kind) =>
    fc.constant({ kind } as XdrType),
  );
  return fc.oneof(
    ...simple,
    enumArb,
    fc.integer({ min: 0, max: 9 }).map((length): XdrType => ({ kind: 'opaque', length })),
    maxArb.map((max): XdrType => ({ kind: 'varOpaque', max })),
    maxArb.map((max): XdrType => ({ kind: 'string', max })),
  );
}

/** Random schemas of bounded depth; withFloats: false leaves out float and double (see the garbage property). */
function schemaArb(depth: number, withFloats = true): fc.Arbitrary<XdrType> {
  if (depth === 0) return leafArb(withFloats);
  const inner = schemaArb(depth - 1, withFloats);
  const discriminantArb = fc.oneof(
    fc.constant({ kind: 'int' } as const),
    fc.constant({ kind: 'uint' } as const),
    fc.constant({ kind: 'bool' } as const),
    enumArb,
  );
  const unionArb = discriminantArb.chain((discriminant) => {
    const tags: fc.Arbitrary<(number | boolean | string)[]> =
      discriminant.kind === 'bool'
        ? fc.subarray([true, false], { minLength: 1 })
        : discriminant.kind === 'enum'
          ? fc.subarray(Object.keys(discriminant.values), { minLength: 1 })
          : fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 });
    return fc
      .record({
        tags,
        armTypes: fc.array(inner, { minLength: 3, maxLength: 3 }),
        fallback: fc.option(inner, { nil: undefined }),
      })
      .map(({ tags: ts, armTypes, fallback }): XdrType => ({
        kind: 'union',
        discriminant,
        arms: ts.map((tag, i) => [tag, armTypes[i % armTypes.length]!] as const),
        ...(fallback ? { default: fallback } : {}),
      }));
  });
  return fc.oneof(
    { arbitrary: leafArb(withFloats), weight: 2 },
    fc.record({ length: fc.integer({ min: 0, max: 3 }), of: inner }).map(({ length, of }): XdrType => ({ kind: 'array', length, of })),
    fc.record({ max: maxArb, of: inner.filter((t) => !takesNoBytes(t)) }).map(({ max, of }): XdrType => ({ kind: 'varArray', max, of })),
    inner.filter((t) => t.kind !== 'optional').map((of): XdrType => ({ kind: 'optional', of })),
    fc.array(inner, { maxLength: 4 }).map((types): XdrType => ({ kind: 'struct', fields: types.map((t, i) => [`f${i}`, t] as const) })),
    unionArb,
  );
}

/** Random values of a schema (lengths kept small so runs stay fast). */
function valueArb(type: XdrType): fc.Arbitrary<XdrValue> {
  switch (type.kind) {
    case 'int':
      return fc.integer({ min: INT_MIN, max: INT_MAX });
    case 'uint':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'hyper':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'uhyper':
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'bool':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...Object.keys(type.values));
    case 'float':
      return fc.float(); // only values a float can hold exactly, NaN, ±0 and ±Infinity included
    case 'double':
      return fc.double();
    case 'void':
      return fc.constant(undefined);
    case 'opaque':
      return fc.uint8Array({ minLength: type.length, maxLength: type.length }).map((b) => Buffer.from(b));
    case 'varOpaque':
      return fc.uint8Array({ maxLength: Math.min(type.max ?? 12, 12) }).map((b) => Buffer.from(b));
    case 'string': {
      const max = type.max ?? 12;
      return fc.string({ unit: 'binary', maxLength: max }).filter((s) => Buffer.byteLength(s) <= max);
    }
    case 'array':
      return fc.array(valueArb(type.of), { minLength: type.length, maxLength: type.length });
    case 'varArray':
      return fc.array(valueArb(type.of), { maxLength: Math.min(type.max ?? 3, 3) });
    case 'optional':
      return fc.option(valueArb(type.of), { nil: null });
    case 'struct':
      return fc
        .tuple(...type.fields.map(([, field]) => valueArb(field)))
        .map((values) => Object.fromEntries(type.fields.map(([name], i) => [name, values[i]])));
    case 'union': {
      const discriminant = type.discriminant ?? { kind: 'int' };
      const armValues = type.arms.map(([tag, arm]) => valueArb(arm).map((value): XdrValue => ({ tag, value })));
      const taken = new Set(type.arms.map(([tag]) => tag));
      const others: fc.Arbitrary<number | boolean | string> | undefined =
        discriminant.kind === 'bool'
          ? [true, false].some((b) => !taken.has(b))
            ? fc.constantFrom(...[true, false].filter((b) => !taken.has(b)))
            : undefined
          : discriminant.kind === 'enum'
            ? Object.keys(discriminant.values).some((k) => !taken.has(k))
              ? fc.constantFrom(...Object.keys(discriminant.values).filter((k) => !taken.has(k)))
              : undefined
            : fc.integer({ min: 0, max: 20 }).filter((n) => !taken.has(n));
      if (type.default && others) {
        const fallback = type.default;
        armValues.push(fc.tuple(others, valueArb(fallback)).map(([tag, value]): XdrValue => ({ tag, value })));
      }
      return fc.oneof(...armValues);
    }
  }
}

const typedValue = (depth: number, withFloats = true) => schemaArb(depth, withFloats).chain((type) => valueArb(type).map((value) => ({ type, value })));

/** Runs `fn`; passes if it throws an XdrError, fails if it returns or throws anything else. */
function mustThrowXdr(fn: () => unknown, what: string): void {
  let result: unknown;
  try {
    result = fn();
  } catch (error) {
    if (error instanceof XdrError) return;
    throw new Error(`${what}: threw ${String(error)}, not an XdrError`, { cause: error });
  }
  throw new Error(`${what}: returned ${String(result)} instead of throwing`);
}

group('properties (fast-check)', () => {
  it('each primitive type round-trips, and its encoding is a multiple of 4 bytes', () => {
    fc.assert(
      fc.property(
        leafArb(true).chain((type) => valueArb(type).map((value) => ({ type, value }))),
        ({ type, value }) => {
          const bytes = encode(type, value);
          assert.equal(bytes.length % 4, 0);
          assert.deepStrictEqual(decode(type, bytes), value);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random nested schemas round-trip; describe covers every byte in order', () => {
    fc.assert(
      fc.property(typedValue(3), ({ type, value }) => {
        const bytes = encode(type, value);
        assert.equal(bytes.length % 4, 0);
        assert.deepStrictEqual(decode(type, bytes), value);
        let offset = 0;
        for (const field of describe(type, value)) {
          assert.equal(field.offset, offset, `${field.path} starts where the previous field ended`);
          assert.equal(field.bytes, hex(bytes.subarray(offset, offset + field.length)));
          offset += field.length;
        }
        assert.equal(offset, bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  it('every truncated prefix of a valid encoding throws XdrError', () => {
    fc.assert(
      fc.property(typedValue(3), ({ type, value }) => {
        const bytes = encode(type, value);
        for (let n = 0; n < bytes.length; n++) mustThrowXdr(() => decode(type, bytes.subarray(0, n)), `prefix of ${n}/${bytes.length} bytes`);
      }),
      { numRuns: 200 },
    );
  });

  it('garbage either decodes to a value that re-encodes to exactly the bytes read, or throws XdrError', () => {
    // Garbage: valid encodings with a few bytes overwritten (so that some still decode), and words
    // that look like small counts and tags. float and double are left out here: JavaScript has only
    // one NaN, so a NaN with other bits cannot come back the same (next property).
    const words = fc
      .array(fc.oneof(fc.constant([0, 0, 0, 0]), fc.constant([0, 0, 0, 1]), fc.constant([0, 0, 0, 2]), fc.array(fc.nat(255), { minLength: 4, maxLength: 4 })), {
        maxLength: 16,
      })
      .map((ws) => Buffer.from(ws.flat()));
    const mutated = typedValue(3, false).chain(({ type, value }) => {
      const bytes = encode(type, value);
      return fc.array(fc.tuple(fc.nat(Math.max(0, bytes.length - 1)), fc.nat(255)), { maxLength: 3 }).map((edits) => {
        const copy = Buffer.from(bytes);
        for (const [at, b] of edits) if (at < copy.length) copy[at] = b;
        return { type, garbage: copy };
      });
    });
    const input = fc.oneof(
      mutated,
      fc.tuple(schemaArb(3, false), words).map(([type, garbage]) => ({ type, garbage })),
    );
    let decoded = 0;
    fc.assert(
      fc.property(input, ({ type, garbage }) => {
        const reader = new XdrReader(garbage);
        let value: XdrValue;
        try {
          value = read(type, reader);
        } catch (error) {
          if (error instanceof XdrError) return;
          throw error;
        }
        decoded++;
        assert.deepStrictEqual(encode(type, value), garbage.subarray(0, reader.offset));
      }),
      { numRuns: 1000 },
    );
    assert.ok(decoded > 100, `only ${decoded} of 1000 inputs decoded: the property would say little`);
  });

  it('any 4 or 8 bytes read as float or double re-encode the same, NaNs aside', () => {
    for (const [type, size] of [
      [{ kind: 'float' }, 4],
      [{ kind: 'double' }, 8],
    ] as const) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: size, maxLength: size }), (raw) => {
          const x = decode(type, raw) as number;
          if (!Number.isNaN(x)) assert.equal(hex(encode(type, x)), hex(raw));
        }),
        { numRuns: 500 },
      );
    }
  });

  it('a non-zero padding byte anywhere is rejected', () => {
    // A random value with padded data in the middle, so that there is always padding to spoil.
    const arb = fc
      .record({ before: typedValue(2), pad: fc.uint8Array({ minLength: 1, maxLength: 7 }).filter((b) => b.length % 4 !== 0), after: typedValue(2) })
      .chain(({ before, pad, after }) => {
        const type: XdrType = {
          kind: 'struct',
          fields: [
            ['before', before.type],
            ['pad', { kind: 'varOpaque' }],
            ['after', after.type],
          ],
        };
        const value = { before: before.value, pad: Buffer.from(pad), after: after.value };
        const paddings = describe(type, value).filter((f) => f.type === 'padding');
        return fc
          .record({
            field: fc.constantFrom(...paddings),
            index: fc.nat(2),
            byte: fc.integer({ min: 1, max: 255 }),
          })
          .map(({ field, index, byte }) => ({ type, value, at: field.offset + (index % field.length), byte }));
      });
    fc.assert(
      fc.property(arb, ({ type, value, at, byte }) => {
        const bytes = encode(type, value);
        assert.equal(bytes[at], 0);
        bytes[at] = byte;
        throwsXdr(
          () => decode(type, bytes),
          new RegExp(
            `padding byte at offset ${at} is 0x${byte.toString(16).padStart(2, '0')}; RFC 4506 has encoders write zeros, and this decoder refuses anything else`,
          ),
        );
      }),
      { numRuns: 300 },
    );
  });
});
