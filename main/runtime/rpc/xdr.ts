/**
 * XDR, the External Data Representation (RFC 4506): how an RPC call's arguments become bytes.
 *
 * The problem: a client and a server may run on machines that store numbers differently (byte
 * order, word size, float format). So both sides agree on one *canonical* form on the wire and each
 * converts to and from it: that conversion is called marshalling, and XDR is the form Sun RPC (NFS,
 * the portmapper) uses. Its rules are few:
 *
 * - Everything is made of 4-byte units, big-endian (most significant byte first).
 *     int 1             00 00 00 01          int -1            ff ff ff ff  (two's complement)
 *     hyper 1           00 00 00 00 00 00 00 01                          (64 bits: two units)
 *     float 1.0         3f 80 00 00  (IEEE 754 single)      bool TRUE   00 00 00 01  (an enum, 0 or 1)
 * - Things whose size is not a multiple of 4 (opaque bytes, strings) are padded with zero bytes to
 *   the next multiple of 4, so the next item starts aligned. RFC 4506 §4.9-4.11 requires the encoder
 *   to write them as zeros ("residual zero bytes"); it does not say what a decoder must do with
 *   non-zero ones. This codec refuses them (its own choice: a peer that sends them is confused, and
 *   accepting them would let two different byte strings mean the same value).
 * - Things whose size varies carry it first: a string is its byte count, then its bytes, then padding.
 *     string "hello"    00 00 00 05  68 65 6c 6c 6f  00 00 00
 * - Nothing describes itself. The bytes carry no types and no field names: the reader must know the
 *   type in advance (from the interface definition both sides were generated from). Given the wrong
 *   type, the same bytes mean something else, and the reader cannot tell.
 * - Composite types are their parts one after another: a struct is its fields in order; an array is
 *   its elements (with a count first if its length varies); an optional value is a bool then, if
 *   TRUE, the value; a discriminated union is the discriminant (an int) then the arm it selects.
 *
 * This file has three layers:
 *   XdrWriter / XdrReader   the primitive types, written into a growing buffer or read from one
 *   XdrType, encode/decode  a schema (the interface definition as data) and whole values of it; what
 *                           generated stubs call
 *   describe                which bytes of a message belong to which field, with offsets and hex
 *
 * Why a reader must distrust its input: the bytes come from another process. A length field may say
 * 4294967295 when three bytes are left; a reader that believed it would allocate 4 GB or read past
 * the end. So every length is checked against the bytes left *before* anything is allocated, and
 * every problem (truncation, a bad bool, non-zero padding, a string over its maximum, invalid UTF-8)
 * throws an XdrError naming the field, the offset and what was expected.
 */

import type { MessageField } from '../../contract/trace-events.js';

/** The largest unsigned int, and so the largest length XDR can carry (and the default maximum). */
export const XDR_MAX_LENGTH = 0xffff_ffff;

/** Something in a message (or a value to encode) does not fit its XDR type. */
export class XdrError extends Error {
  constructor(
    /** The field, as a JavaScript path into the value: 'account.owner', 'items[3]', '' for the whole. */
    readonly path: string,
    /** What was wrong, with the offset when decoding. */
    readonly detail: string,
  ) {
    super(`${path === '' ? '(message)' : path}: ${detail}`);
    this.name = 'XdrError';
  }
}

/** Bytes needed to pad `n` bytes to a multiple of 4 (0 to 3). */
export function paddingFor(n: number): number {
  return (4 - (n % 4)) % 4;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const HYPER_MIN = -(2n ** 63n);
const HYPER_MAX = 2n ** 63n - 1n;
const UHYPER_MAX = 2n ** 64n - 1n;

/** A JavaScript string that cannot be UTF-8 (a lone surrogate) would come back as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a leading EF BB BF is kept. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function checkMax(max: number, path: string): void {
  if (!Number.isInteger(max) || max < 0 || max > XDR_MAX_LENGTH) {
    throw new XdrError(path, `a maximum length must be an integer in [0, ${XDR_MAX_LENGTH}], got ${max}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Layer 1: primitives
// ---------------------------------------------------------------------------------------------------

/**
 * Writes XDR primitives one after another into a buffer that grows as needed. Each method checks its
 * value (range, integer-ness, maximum length) and throws XdrError naming `path` rather than write
 * something the other side would read back differently.
 */
export class XdrWriter {
  private buffer = Buffer.alloc(64);
  private length = 0;

  /** Bytes written so far: the offset the next item starts at. */
  get offset(): number {
    return this.length;
  }

  /** A copy of the bytes written so far (always a multiple of 4 long). */
  bytes(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /**
   * Room for `n` more bytes; returns where they start. Growth doubles, so n writes cost O(n).
   * It may replace this.buffer: call it before touching the buffer, never inside the same expression.
   */
  private reserve(n: number): number {
    if (this.length + n > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  /** Signed 32-bit integer, two's complement: [-2^31, 2^31 - 1]. */
  int(n: number, path = ''): void {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < INT_MIN || n > INT_MAX) {
      throw new XdrError(path, `int must be an integer in [${INT_MIN}, ${INT_MAX}], got ${describeValue(n)}`);
    }
    const at = this.reserve(4);
    this.buffer.writeInt32BE(n, at);
  }

  /** Unsigned 32-bit integer: [0, 2^32 - 1]. */
  uint(n: number, path = ''): void {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > XDR_MAX_LENGTH) {
      throw new XdrError(path, `unsigned int must be an integer in [0, ${XDR_MAX_LENGTH}], got ${describeValue(n)}`);
    }
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(n, at);
  }

  /** Signed 64-bit integer (a bigint: a JavaScript number is exact only up to 2^53). */
  hyper(b: bigint, path = ''): void {
    if (typeof b !== 'bigint' || b < HYPER_MIN || b > HYPER_MAX) {
      throw new XdrError(path, `hyper must be a bigint in [-2^63, 2^63 - 1], got ${describeValue(b)}`);
    }
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(b, at);
  }

  /** Unsigned 64-bit integer (a bigint in [0, 2^64 - 1]). */
  uhyper(b: bigint, path = ''): void {
    if (typeof b !== 'bigint' || b < 0n || b > UHYPER_MAX) {
      throw new XdrError(path, `unsigned hyper must be a bigint in [0, 2^64 - 1], got ${describeValue(b)}`);
    }
    const at = this.reserve(8);
    this.buffer.writeBigUInt64BE(b, at);
  }

  /** A bool is the enum { FALSE = 0, TRUE = 1 }: one unit. */
  bool(b: boolean, path = ''): void {
    if (typeof b !== 'boolean') throw new XdrError(path, `bool must be true or false, got ${describeValue(b)}`);
    const at = this.reserve(4);
    this.buffer.writeInt32BE(b ? 1 : 0, at);
  }

  /**
   * IEEE 754 single precision. A JavaScript number is a double, so this rounds to the nearest float
   * (0.1 goes out as 0.100000001490116...): what C does when it assigns a double to a float.
   */
  float(x: number, path = ''): void {
    if (typeof x !== 'number') throw new XdrError(path, `float must be a number, got ${describeValue(x)}`);
    const at = this.reserve(4);
    this.buffer.writeFloatBE(x, at);
  }

  /** IEEE 754 double precision: exactly a JavaScript number. */
  double(x: number, path = ''): void {
    if (typeof x !== 'number') throw new XdrError(path, `double must be a number, got ${describeValue(x)}`);
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(x, at);
  }

  /** Fixed-length opaque data: exactly `fixedLength` bytes, no length on the wire, zero padding. */
  opaque(fixedLength: number, bytes: Uint8Array, path = ''): void {
    if (!(bytes instanceof Uint8Array)) throw new XdrError(path, `opaque[${fixedLength}] must be bytes (a Uint8Array), got ${describeValue(bytes)}`);
    if (bytes.length !== fixedLength) {
      throw new XdrError(path, `opaque[${fixedLength}] must be exactly ${fixedLength} bytes, got ${bytes.length}`);
    }
    this.raw(bytes);
  }

  /** Variable-length opaque data: the length (unsigned int), the bytes, zero padding. */
  varOpaque(bytes: Uint8Array, max = XDR_MAX_LENGTH, path = ''): void {
    if (!(bytes instanceof Uint8Array)) throw new XdrError(path, `opaque<${max}> must be bytes (a Uint8Array), got ${describeValue(bytes)}`);
    if (bytes.length > max) throw new XdrError(path, `opaque of ${bytes.length} bytes exceeds its maximum of ${max}`);
    this.uint(bytes.length, path);
    this.raw(bytes);
  }

  /**
   * A string: its UTF-8 bytes as variable-length opaque data. RFC 4506 says ASCII; UTF-8 is a
   * superset, so ASCII strings encode exactly as the RFC says. The maximum counts bytes, not characters.
   */
  string(s: string, max = XDR_MAX_LENGTH, path = ''): void {
    if (typeof s !== 'string') throw new XdrError(path, `string must be a string, got ${describeValue(s)}`);
    if (LONE_SURROGATE.test(s)) throw new XdrError(path, 'string contains a lone UTF-16 surrogate, which has no UTF-8 form');
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > max) throw new XdrError(path, `string of ${bytes.length} bytes (UTF-8) exceeds its maximum of ${max}`);
    this.uint(bytes.length, path);
    this.raw(bytes);
  }

  /** The bytes, then zeros up to the next multiple of 4. */
  private raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length + paddingFor(bytes.length));
    this.buffer.set(bytes, at);
    this.buffer.fill(0, at + bytes.length, this.length);
  }
}

/**
 * Reads XDR primitives from a buffer, front to back. Every read first checks that the bytes it needs
 * are there, so a truncated or lying message throws XdrError (naming `path` and the offset), never a
 * RangeError, and never allocates more than the message holds.
 */
export class XdrReader {
  private readonly buffer: Buffer;
  private position = 0;

  constructor(bytes: Uint8Array) {
    // A view, not a copy: the reader never writes.
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes read so far: the offset of the next item. */
  get offset(): number {
    return this.position;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.buffer.length - this.position;
  }

  /** Throws unless every byte has been read: trailing bytes mean the two sides disagree on the type. */
  done(path = ''): void {
    if (this.remaining !== 0) {
      throw new XdrError(path, `${this.remaining} bytes left over at offset ${this.position} after the end of the value`);
    }
  }

  /** Claims the next `n` bytes for `what`; returns where they start. */
  private take(n: number, what: string, path: string): number {
    if (n > this.remaining) {
      throw new XdrError(path, `${what} at offset ${this.position} needs ${n} bytes, only ${this.remaining} left`);
    }
    const at = this.position;
    this.position += n;
    return at;
  }

  int(path = ''): number {
    return this.buffer.readInt32BE(this.take(4, 'int', path));
  }

  uint(path = ''): number {
    return this.buffer.readUInt32BE(this.take(4, 'unsigned int', path));
  }

  hyper(path = ''): bigint {
    return this.buffer.readBigInt64BE(this.take(8, 'hyper', path));
  }

  uhyper(path = ''): bigint {
    return this.buffer.readBigUInt64BE(this.take(8, 'unsigned hyper', path));
  }

  /** Only 0 and 1 are bools; anything else means the bytes are not what we think they are. */
  bool(path = ''): boolean {
    const at = this.take(4, 'bool', path);
    const n = this.buffer.readInt32BE(at);
    if (n !== 0 && n !== 1) throw new XdrError(path, `bool at offset ${at} is ${n}, expected 0 (FALSE) or 1 (TRUE)`);
    return n === 1;
  }

  float(path = ''): number {
    return this.buffer.readFloatBE(this.take(4, 'float', path));
  }

  double(path = ''): number {
    return this.buffer.readDoubleBE(this.take(8, 'double', path));
  }

  /** Fixed-length opaque data: `fixedLength` bytes and their padding. Returns a copy. */
  opaque(fixedLength: number, path = ''): Buffer {
    return this.padded(fixedLength, `opaque[${fixedLength}]`, path);
  }

  /** Variable-length opaque data: the length, checked against `max` and the bytes left, then the bytes. */
  varOpaque(max = XDR_MAX_LENGTH, path = ''): Buffer {
    return this.padded(this.length('opaque', max, path), 'opaque', path);
  }

  /** A string: variable-length opaque data that must be valid UTF-8. */
  string(max = XDR_MAX_LENGTH, path = ''): string {
    const start = this.position;
    const bytes = this.padded(this.length('string', max, path), 'string', path);
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new XdrError(path, `string at offset ${start + 4} is not valid UTF-8`);
    }
  }

  /**
   * Reads the length word of a variable-length item and checks it, before anything is allocated,
   * against the item's maximum and against the bytes left (padding included).
   */
  private length(what: string, max: number, path: string): number {
    const at = this.position;
    const n = this.uint(path);
    if (n > max) throw new XdrError(path, `${what} length ${n} at offset ${at} exceeds its maximum of ${max}`);
    if (n > this.remaining) throw new XdrError(path, `${what} length ${n} at offset ${at} exceeds the ${this.remaining} bytes left`);
    return n;
  }

  /**
   * `n` bytes and their padding; the padding must be zero (this codec's rule: RFC 4506 requires the
   * encoder to write zeros, and leaves a decoder free to ignore them). Returns a copy of the `n` bytes.
   */
  private padded(n: number, what: string, path: string): Buffer {
    const padding = paddingFor(n);
    const at = this.take(n + padding, `${what} of ${n} bytes (+${padding} padding)`, path);
    for (let i = at + n; i < at + n + padding; i++) {
      if (this.buffer[i] !== 0) {
        throw new XdrError(
          path,
          `padding byte at offset ${i} is 0x${this.buffer[i]!.toString(16).padStart(2, '0')}; RFC 4506 has encoders write zeros, and this decoder refuses anything else`,
        );
      }
    }
    return Buffer.from(this.buffer.subarray(at, at + n));
  }
}

// ---------------------------------------------------------------------------------------------------
// Layer 2: schemas. An XdrType is an interface definition as data; stubs are generated from it.
// ---------------------------------------------------------------------------------------------------

/** The discriminant of a union: an int, an unsigned int, a bool or an enum (RFC 4506 §4.15). */
export type XdrDiscriminantType = { kind: 'int' } | { kind: 'uint' } | { kind: 'bool' } | XdrEnumType;

/** An enum: names and their int values, e.g. { RED: 2, YELLOW: 3, BLUE: 5 }. Its JavaScript value is the name. */
export interface XdrEnumType {
  kind: 'enum';
  values: Readonly<Record<string, number>>;
}

/**
 * An XDR type, and the JavaScript value that goes with it:
 *   int, uint, float, double   number              hyper, uhyper   bigint
 *   bool                       boolean             enum            the name, a string
 *   opaque, varOpaque          Uint8Array (decode gives a Buffer)
 *   string                     string              void            undefined
 *   array, varArray            an array            optional        the value, or null when absent
 *   struct                     an object with exactly those fields
 *   union                      { tag, value }: tag is the discriminant's value, value the arm's
 * `max` is the largest length (bytes for opaque and string, elements for arrays); none means 2^32 - 1.
 * Names (struct fields, enum constants) are RFC 4506 identifiers: a letter, then letters, digits, _.
 */
export type XdrType =
  | { kind: 'int' }
  | { kind: 'uint' }
  | { kind: 'hyper' }
  | { kind: 'uhyper' }
  | { kind: 'bool' }
  | XdrEnumType
  | { kind: 'float' }
  | { kind: 'double' }
  | { kind: 'opaque'; length: number }
  | { kind: 'varOpaque'; max?: number }
  | { kind: 'string'; max?: number }
  | { kind: 'array'; length: number; of: XdrType }
  | { kind: 'varArray'; max?: number; of: XdrType }
  | { kind: 'optional'; of: XdrType }
  | { kind: 'struct'; fields: readonly (readonly [name: string, type: XdrType])[] }
  | {
      kind: 'union';
      /** Default { kind: 'int' }. */
      discriminant?: XdrDiscriminantType;
      /** Each arm: the discriminant value that selects it, and its type ({ kind: 'void' } for none). */
      arms: readonly (readonly [tag: XdrTag, type: XdrType])[];
      /** The arm for any other discriminant value; without it, other values are errors. */
      default?: XdrType;
    }
  | { kind: 'void' };

/** A union discriminant's JavaScript value: a number (int, uint), a boolean or an enum name. */
export type XdrTag = number | boolean | string;

/** The JavaScript value of a union. */
export interface XdrUnion {
  tag: XdrTag;
  value: XdrValue;
}

/** Any decoded value (see XdrType for which goes with which type). */
export type XdrValue = number | bigint | boolean | string | Uint8Array | undefined | null | XdrValue[] | XdrUnion | { [field: string]: XdrValue };

/** Encodes a whole value of `type`. Throws XdrError naming the field if the value does not fit. */
export function encode(type: XdrType, value: unknown): Buffer {
  checkType(type, '');
  const writer = new XdrWriter();
  writeValue(type, value, writer, '');
  return writer.bytes();
}

/** Decodes a whole message of `type`: every byte must belong to the value. */
export function decode(type: XdrType, bytes: Uint8Array): XdrValue {
  checkType(type, '');
  const reader = new XdrReader(bytes);
  const value = readValue(type, reader, '', undefined);
  reader.done();
  return value;
}

/** Writes a value of `type` after whatever `writer` holds (a stub writing a header, then arguments). */
export function write(type: XdrType, value: unknown, writer: XdrWriter, path = ''): void {
  checkType(type, path);
  writeValue(type, value, writer, path);
}

/** Reads one value of `type` from where `reader` is; bytes after it are left for the caller. */
export function read(type: XdrType, reader: XdrReader, path = ''): XdrValue {
  checkType(type, path);
  return readValue(type, reader, path, undefined);
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Checks a schema once, before it is used: lengths and maxima in range, identifiers valid and
 * unique, union arms distinct. A bad schema is the programmer's mistake, reported as an XdrError
 * with the path of the type in the value.
 */
function checkType(type: XdrType, path: string): void {
  switch (type.kind) {
    case 'int':
    case 'uint':
    case 'hyper':
    case 'uhyper':
    case 'bool':
    case 'float':
    case 'double':
    case 'void':
      return;
    case 'enum': {
      const seen = new Set<number>();
      for (const [name, n] of Object.entries(type.values)) {
        if (!IDENTIFIER.test(name)) throw new XdrError(path, `schema: enum name '${name}' is not an identifier`);
        if (!Number.isInteger(n) || n < INT_MIN || n > INT_MAX) throw new XdrError(path, `schema: enum ${name} = ${n} is not an int`);
        if (seen.has(n)) throw new XdrError(path, `schema: enum value ${n} is given twice`);
        seen.add(n);
      }
      return;
    }
    case 'opaque':
      return checkMax(type.length, path);
    case 'varOpaque':
    case 'string':
      return checkMax(type.max ?? XDR_MAX_LENGTH, path);
    case 'array':
      checkMax(type.length, path);
      return checkType(type.of, `${path}[]`);
    case 'varArray':
      checkMax(type.max ?? XDR_MAX_LENGTH, path);
      // A count of elements that take no bytes could be 2^32 - 1 with nothing behind it to check.
      if (minimumSize(type.of) === 0) throw new XdrError(path, 'schema: a variable-length array of elements that take no bytes carries nothing');
      return checkType(type.of, `${path}[]`);
    case 'optional':
      // RFC 4506 has one level of '*'; two would make null ambiguous (outer or inner absent?).
      if (type.of.kind === 'optional') throw new XdrError(path, 'schema: an optional of an optional cannot tell which one is absent');
      return checkType(type.of, path);
    case 'struct': {
      const seen = new Set<string>();
      for (const [name, field] of type.fields) {
        if (!IDENTIFIER.test(name)) throw new XdrError(path, `schema: field name '${name}' is not an identifier`);
        if (seen.has(name)) throw new XdrError(path, `schema: field '${name}' is given twice`);
        seen.add(name);
        checkType(field, join(path, name));
      }
      return;
    }
    case 'union': {
      const discriminant = type.discriminant ?? { kind: 'int' };
      if (!['int', 'uint', 'bool', 'enum'].includes(discriminant.kind)) {
        throw new XdrError(path, `schema: a union discriminant must be int, uint, bool or enum, not ${discriminant.kind}`);
      }
      checkType(discriminant, join(path, 'tag'));
      const seen = new Set<XdrTag>();
      for (const [tag, arm] of type.arms) {
        writeValue(discriminant, tag, new XdrWriter(), `${join(path, 'tag')} (schema)`);
        if (seen.has(tag)) throw new XdrError(path, `schema: union arm ${String(tag)} is given twice`);
        seen.add(tag);
        checkType(arm, join(path, 'value'));
      }
      if (type.default) checkType(type.default, join(path, 'value'));
      return;
    }
  }
}

/** The fewest bytes a value of `type` can take. */
function minimumSize(type: XdrType): number {
  switch (type.kind) {
    case 'void':
      return 0;
    case 'hyper':
    case 'uhyper':
    case 'double':
      return 8;
    case 'opaque':
      return type.length + paddingFor(type.length);
    case 'array':
      return type.length * minimumSize(type.of);
    case 'struct':
      return type.fields.reduce((sum, [, field]) => sum + minimumSize(field), 0);
    default:
      return 4; // one unit: a number, a length, a count, a presence flag or a discriminant
  }
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function writeValue(type: XdrType, value: unknown, w: XdrWriter, path: string): void {
  switch (type.kind) {
    case 'int':
      return w.int(value as number, path);
    case 'uint':
      return w.uint(value as number, path);
    case 'hyper':
      return w.hyper(value as bigint, path);
    case 'uhyper':
      return w.uhyper(value as bigint, path);
    case 'bool':
      return w.bool(value as boolean, path);
    case 'float':
      return w.float(value as number, path);
    case 'double':
      return w.double(value as number, path);
    case 'enum': {
      // Only the declared names may be sent (RFC 4506 §4.3): the receiver could not name anything else.
      if (typeof value !== 'string' || !Object.hasOwn(type.values, value)) {
        throw new XdrError(path, `enum must be one of ${Object.keys(type.values).join(', ')}, got ${describeValue(value)}`);
      }
      return w.int(type.values[value]!, path);
    }
    case 'opaque':
      return w.opaque(type.length, value as Uint8Array, path);
    case 'varOpaque':
      return w.varOpaque(value as Uint8Array, type.max, path);
    case 'string':
      return w.string(value as string, type.max, path);
    case 'void':
      if (value !== undefined) throw new XdrError(path, `void has no value, got ${describeValue(value)}`);
      return;
    case 'array':
    case 'varArray': {
      if (!Array.isArray(value)) throw new XdrError(path, `${typeName(type)} must be an array, got ${describeValue(value)}`);
      if (type.kind === 'array' && value.length !== type.length) {
        throw new XdrError(path, `${typeName(type)} must have exactly ${type.length} elements, got ${value.length}`);
      }
      if (type.kind === 'varArray') {
        const max = type.max ?? XDR_MAX_LENGTH;
        if (value.length > max) throw new XdrError(path, `array of ${value.length} elements exceeds its maximum of ${max}`);
        w.uint(value.length, path);
      }
      value.forEach((element, i) => writeValue(type.of, element, w, `${path}[${i}]`));
      return;
    }
    case 'optional':
      if (value === undefined && type.of.kind !== 'void') throw new XdrError(path, 'optional value is undefined; absent is null');
      w.bool(value !== null, path);
      if (value !== null) writeValue(type.of, value, w, path);
      return;
    case 'struct': {
      if (!isRecord(value)) throw new XdrError(path, `struct must be an object, got ${describeValue(value)}`);
      const names = new Set(type.fields.map(([name]) => name));
      for (const key of Object.keys(value)) {
        if (!names.has(key)) throw new XdrError(path, `struct has no field '${key}' (fields: ${[...names].join(', ')})`);
      }
      for (const [name, field] of type.fields) {
        if (!Object.hasOwn(value, name) && field.kind !== 'void') throw new XdrError(join(path, name), 'struct field is missing');
        writeValue(field, value[name], w, join(path, name));
      }
      return;
    }
    case 'union': {
      if (!isRecord(value) || !Object.hasOwn(value, 'tag') || Object.keys(value).some((k) => k !== 'tag' && k !== 'value')) {
        throw new XdrError(path, `union must be an object { tag, value }, got ${describeValue(value)}`);
      }
      const tag = value.tag as XdrTag;
      writeValue(type.discriminant ?? { kind: 'int' }, tag, w, join(path, 'tag')); // a valid tag first,
      writeValue(armFor(type, tag, path), value.value, w, join(path, 'value')); // then one with an arm
      return;
    }
  }
}

function armFor(type: Extract<XdrType, { kind: 'union' }>, tag: XdrTag, path: string, offset?: number): XdrType {
  const arm = type.arms.find(([t]) => t === tag)?.[1] ?? type.default;
  if (!arm) {
    const where = offset === undefined ? '' : ` at offset ${offset}`;
    const cases = type.arms.map(([t]) => String(t)).join(', ');
    throw new XdrError(join(path, 'tag'), `union discriminant ${String(tag)}${where} selects no arm (arms: ${cases}; no default)`);
  }
  return arm;
}

/** Called by readValue for each primitive it reads, with where its bytes lie (used by describe). */
type FieldSink = (path: string, type: string, offset: number, length: number, value: string) => void;

function readValue(type: XdrType, r: XdrReader, path: string, sink: FieldSink | undefined): XdrValue {
  const start = r.offset;
  /** Reports the primitive just read (from `start` to the reader's offset) to the sink. */
  const leaf = <T extends XdrValue>(value: T, shown: string = String(value)): T => {
    sink?.(path, typeName(type), start, r.offset - start, shown);
    return value;
  };
  switch (type.kind) {
    case 'int':
      return leaf(r.int(path));
    case 'uint':
      return leaf(r.uint(path));
    case 'hyper':
      return leaf(r.hyper(path));
    case 'uhyper':
      return leaf(r.uhyper(path));
    case 'bool': {
      const b = r.bool(path);
      return leaf(b, b ? 'TRUE' : 'FALSE');
    }
    case 'float':
      return leaf(r.float(path));
    case 'double':
      return leaf(r.double(path));
    case 'enum': {
      const n = r.int(path);
      const name = Object.keys(type.values).find((key) => type.values[key] === n);
      if (name === undefined) {
        throw new XdrError(
          path,
          `enum value ${n} at offset ${start} is none of ${Object.entries(type.values)
            .map(([k, v]) => `${k} (${v})`)
            .join(', ')}`,
        );
      }
      return leaf(name, `${name} (${n})`);
    }
    case 'void':
      return leaf(undefined, '');
    case 'opaque': {
      const bytes = r.opaque(type.length, path);
      sinkBytes(sink, path, type, start, bytes.length, '');
      return bytes;
    }
    case 'varOpaque': {
      const bytes = r.varOpaque(type.max, path);
      sinkBytes(sink, path, type, start, bytes.length, '', true);
      return bytes;
    }
    case 'string': {
      const s = r.string(type.max, path);
      sinkBytes(sink, path, type, start, Buffer.byteLength(s, 'utf8'), JSON.stringify(s), true);
      return s;
    }
    case 'array':
    case 'varArray': {
      let count: number;
      if (type.kind === 'varArray') {
        const max = type.max ?? XDR_MAX_LENGTH;
        count = r.uint(path);
        sink?.(path, `count of ${typeName(type)}`, start, 4, String(count));
        if (count > max) throw new XdrError(path, `array count ${count} at offset ${start} exceeds its maximum of ${max}`);
      } else {
        count = type.length;
      }
      // Check the count against the bytes left before looping: a lying count fails here, at once.
      const needed = count * minimumSize(type.of);
      if (needed > r.remaining) {
        throw new XdrError(path, `${count} elements of ${typeName(type.of)} at offset ${r.offset} need at least ${needed} bytes, only ${r.remaining} left`);
      }
      const elements: XdrValue[] = [];
      for (let i = 0; i < count; i++) elements.push(readValue(type.of, r, `${path}[${i}]`, sink));
      return elements;
    }
    case 'optional': {
      const present = r.bool(path);
      sink?.(path, 'optional flag (bool)', start, 4, present ? 'TRUE (present)' : 'FALSE (absent)');
      return present ? readValue(type.of, r, path, sink) : null;
    }
    case 'struct': {
      const result: { [field: string]: XdrValue } = {};
      for (const [name, field] of type.fields) result[name] = readValue(field, r, join(path, name), sink);
      return result;
    }
    case 'union': {
      const tag = readValue(type.discriminant ?? { kind: 'int' }, r, join(path, 'tag'), sink) as XdrTag;
      const arm = armFor(type, tag, path, start);
      return { tag, value: readValue(arm, r, join(path, 'value'), sink) };
    }
  }
}

/** Reports opaque data or a string as up to three fields: its length word, its bytes, its padding. */
function sinkBytes(sink: FieldSink | undefined, path: string, type: XdrType, start: number, n: number, shown: string, hasLength = false): void {
  if (!sink) return;
  let at = start;
  if (hasLength) {
    sink(path, `length of ${typeName(type)}`, at, 4, String(n));
    at += 4;
  }
  sink(path, typeName(type), at, n, shown);
  if (paddingFor(n) > 0) sink(path, 'padding', at + n, paddingFor(n), '');
}

/** A type's name in RFC 4506 syntax: 'unsigned int', 'opaque[16]', 'string<255>', 'int<>'... */
export function typeName(type: XdrType): string {
  const max = (m: number | undefined) => (m === undefined ? '' : String(m));
  switch (type.kind) {
    case 'uint':
      return 'unsigned int';
    case 'uhyper':
      return 'unsigned hyper';
    case 'opaque':
      return `opaque[${type.length}]`;
    case 'varOpaque':
      return `opaque<${max(type.max)}>`;
    case 'string':
      return `string<${max(type.max)}>`;
    case 'array':
      return `${typeName(type.of)}[${type.length}]`;
    case 'varArray':
      return `${typeName(type.of)}<${max(type.max)}>`;
    case 'optional':
      return `${typeName(type.of)} *`;
    default:
      return type.kind;
  }
}

// ---------------------------------------------------------------------------------------------------
// Layer 3: describe, the message with each field labelled
// ---------------------------------------------------------------------------------------------------

/**
 * One labelled run of a message's bytes: path, type, offset, length, bytes (hex) and value. It is the
 * trace schema's MessageField, so that a message.bytes event carries describe()'s output as it is.
 */
export type XdrField = MessageField;

/**
 * Encodes `value` and labels every byte of the result: the fields come in message order, each
 * starting where the previous one ended, and together they cover the whole message.
 */
export function describe(type: XdrType, value: unknown): XdrField[] {
  return describeBytes(type, encode(type, value));
}

/** Labels the bytes of a message received as `type` (throws XdrError as decode does). */
export function describeBytes(type: XdrType, bytes: Uint8Array): XdrField[] {
  checkType(type, '');
  const fields: XdrField[] = [];
  const reader = new XdrReader(bytes);
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  readValue(type, reader, '', (path, name, offset, length, shown) => {
    fields.push({ path, type: name, offset, length, bytes: hex(all.subarray(offset, offset + length)), value: shown });
  });
  reader.done();
  return fields;
}

/** Bytes as lower-case hex pairs separated by spaces: '68 65 6c 6c 6f'. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * The fields as a text table, one line each: offset, hex, path, type, value. For logs and tests;
 * the lab draws its own table.
 */
export function formatFields(fields: readonly XdrField[]): string {
  const width = Math.max(11, ...fields.map((f) => f.bytes.length));
  const pathWidth = Math.max(4, ...fields.map((f) => (f.path || '(message)').length));
  return fields
    .map((f) => [String(f.offset).padStart(4), f.bytes.padEnd(width), (f.path || '(message)').padEnd(pathWidth), f.type, f.value].join('  ').trimEnd())
    .join('\n');
}
