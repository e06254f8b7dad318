/**
 * The RPC message format: what a call and its reply look like on the wire, after ONC RPC (RFC 5531),
 * the RPC of NFS and the portmapper. Every field is XDR (xdr.ts), so every field is 4-byte aligned and
 * big-endian.
 *
 *   call                                   reply (accepted)                reply (denied)
 *   xid        unsigned int  request id    xid                             xid
 *   msgType    CALL (0)                    msgType     REPLY (1)           msgType    REPLY (1)
 *   rpcvers    2                           replyStat   MSG_ACCEPTED (0)    replyStat  MSG_DENIED (1)
 *   prog       program number              verf        flavor + body       rejectStat RPC_MISMATCH (0)
 *   vers       program version             acceptStat  SUCCESS (0) ...     mismatch   low, high
 *   proc       procedure number            result      (SUCCESS only)
 *   cred       flavor + body (AUTH_NONE)
 *   verf       flavor + body (AUTH_NONE)
 *   args       the procedure's arguments
 *
 * The xid is the client's name for one call: a retry carries the same xid, so a server that keeps a
 * table of xids can tell a retry from a new call. The bytes carry no types: the server knows how to
 * read `args` only because prog, vers and proc tell it which procedure of which interface this is.
 * So it reads the header first, looks the procedure up, and only then reads the arguments with that
 * procedure's type. What can go wrong is answered in acceptStat:
 *
 *   PROG_UNAVAIL   this server does not serve that program
 *   PROG_MISMATCH  it does, but not that version (the reply says which versions it has)
 *   PROC_UNAVAIL   the program has no such procedure
 *   GARBAGE_ARGS   the arguments could not be decoded (truncated, wrong type, bad padding)
 *   SYSTEM_ERR     the procedure failed on the server
 *
 * Simplification: authentication is always AUTH_NONE (flavor 0, empty body).
 */
import {
  XdrError,
  XdrReader,
  XdrWriter,
  decode,
  describeBytes,
  hex,
  read,
  write,
  type XdrEnumType,
  type XdrField,
  type XdrType,
  type XdrValue,
} from './xdr.js';
import { describeHeader } from './record-marking.js';

/** The ONC RPC protocol version this codec speaks. */
export const RPC_VERSION = 2;
/** Largest body of an authentication field (RFC 5531 §8.2). */
export const MAX_AUTH_BYTES = 400;

export const MSG_TYPE: XdrEnumType = { kind: 'enum', values: { CALL: 0, REPLY: 1 } };
export const REPLY_STAT: XdrEnumType = { kind: 'enum', values: { MSG_ACCEPTED: 0, MSG_DENIED: 1 } };
export const ACCEPT_STAT: XdrEnumType = {
  kind: 'enum',
  values: { SUCCESS: 0, PROG_UNAVAIL: 1, PROG_MISMATCH: 2, PROC_UNAVAIL: 3, GARBAGE_ARGS: 4, SYSTEM_ERR: 5 },
};
export const REJECT_STAT: XdrEnumType = { kind: 'enum', values: { RPC_MISMATCH: 0, AUTH_ERROR: 1 } };
export const AUTH_FLAVOR: XdrEnumType = { kind: 'enum', values: { AUTH_NONE: 0, AUTH_SYS: 1 } };

const uint: XdrType = { kind: 'uint' };
export const OPAQUE_AUTH: XdrType = {
  kind: 'struct',
  fields: [
    ['flavor', AUTH_FLAVOR],
    ['body', { kind: 'varOpaque', max: MAX_AUTH_BYTES }],
  ],
};
const MISMATCH: XdrType = {
  kind: 'struct',
  fields: [
    ['low', uint],
    ['high', uint],
  ],
};

/** The fields of a call before its arguments. */
const CALL_HEADER_FIELDS = [
  ['xid', uint],
  ['msgType', MSG_TYPE],
  ['rpcvers', uint],
  ['prog', uint],
  ['vers', uint],
  ['proc', uint],
  ['cred', OPAQUE_AUTH],
  ['verf', OPAQUE_AUTH],
] as const;

/** A call's header: which procedure of which program, and the request id. */
export interface CallHeader {
  xid: number;
  prog: number;
  vers: number;
  proc: number;
}

export type AcceptStat = 'SUCCESS' | 'PROG_UNAVAIL' | 'PROG_MISMATCH' | 'PROC_UNAVAIL' | 'GARBAGE_ARGS' | 'SYSTEM_ERR';

/** A reply as JavaScript: the stat says which; `result` only with SUCCESS, low/high with mismatches. */
export type Reply =
  | { xid: number; stat: 'SUCCESS'; result: XdrValue }
  | { xid: number; stat: 'PROG_UNAVAIL' | 'PROC_UNAVAIL' | 'GARBAGE_ARGS' | 'SYSTEM_ERR' }
  | { xid: number; stat: 'PROG_MISMATCH' | 'RPC_MISMATCH'; low: number; high: number };

export type ReplyStat = Reply['stat'];

/** The whole call, header and arguments, as one XDR struct: what describe labels field by field. */
export function callType(args: XdrType): XdrType {
  return { kind: 'struct', fields: [...CALL_HEADER_FIELDS, ['args', args]] };
}

/** The reply of a given outcome as one XDR struct (its shape depends on the outcome). */
export function replyType(stat: ReplyStat, result: XdrType): XdrType {
  const head: [string, XdrType][] = [
    ['xid', uint],
    ['msgType', MSG_TYPE],
    ['replyStat', REPLY_STAT],
  ];
  if (stat === 'RPC_MISMATCH') return { kind: 'struct', fields: [...head, ['rejectStat', REJECT_STAT], ['mismatch', MISMATCH]] };
  const accepted: [string, XdrType][] = [...head, ['verf', OPAQUE_AUTH], ['acceptStat', ACCEPT_STAT]];
  if (stat === 'SUCCESS') accepted.push(['result', result]);
  if (stat === 'PROG_MISMATCH') accepted.push(['mismatch', MISMATCH]);
  return { kind: 'struct', fields: accepted };
}

export function encodeCall(header: CallHeader, args: XdrType, value: unknown): Buffer {
  // Field by field with the writer: the same bytes as encode(callType(args), ...), without building and
  // checking the whole message's schema on every call (the stubs' cost is measured in step 5).
  const w = new XdrWriter();
  w.uint(header.xid, 'xid');
  w.int(MSG_TYPE.values.CALL!, 'msgType');
  w.uint(RPC_VERSION, 'rpcvers');
  w.uint(header.prog, 'prog');
  w.uint(header.vers, 'vers');
  w.uint(header.proc, 'proc');
  writeAuthNone(w, 'cred');
  writeAuthNone(w, 'verf');
  write(args, value, w, 'args');
  return w.bytes();
}

function writeAuthNone(w: XdrWriter, path: string): void {
  w.int(AUTH_FLAVOR.values.AUTH_NONE!, `${path}.flavor`);
  w.varOpaque(new Uint8Array(0), MAX_AUTH_BYTES, `${path}.body`);
}

export function encodeReply(reply: Reply, result: XdrType): Buffer {
  const w = new XdrWriter();
  w.uint(reply.xid, 'xid');
  w.int(MSG_TYPE.values.REPLY!, 'msgType');
  if (reply.stat === 'RPC_MISMATCH') {
    w.int(REPLY_STAT.values.MSG_DENIED!, 'replyStat');
    w.int(REJECT_STAT.values.RPC_MISMATCH!, 'rejectStat');
    w.uint(reply.low, 'mismatch.low');
    w.uint(reply.high, 'mismatch.high');
    return w.bytes();
  }
  w.int(REPLY_STAT.values.MSG_ACCEPTED!, 'replyStat');
  writeAuthNone(w, 'verf');
  w.int(ACCEPT_STAT.values[reply.stat]!, 'acceptStat');
  if (reply.stat === 'SUCCESS') write(result, reply.result, w, 'result');
  if (reply.stat === 'PROG_MISMATCH') {
    w.uint(reply.low, 'mismatch.low');
    w.uint(reply.high, 'mismatch.high');
  }
  return w.bytes();
}

/** The first two fields every message has: whose it is, and what kind. Throws XdrError if they are not there. */
export function peekMessage(bytes: Uint8Array): { xid: number; msgType: 'CALL' | 'REPLY' } {
  const r = new XdrReader(bytes);
  const xid = r.uint('xid');
  const n = r.int('msgType');
  const msgType = (['CALL', 'REPLY'] as const)[n];
  if (msgType === undefined) throw new XdrError('msgType', `message type ${n} at offset 4 is neither CALL (0) nor REPLY (1)`);
  return { xid, msgType };
}

/**
 * Reads a call's header and leaves the arguments unread: the server needs prog/vers/proc to know
 * their type. Returns where the arguments start. Throws XdrError for a header that is truncated or
 * not a call.
 */
export function decodeCallHeader(bytes: Uint8Array): { header: CallHeader; rpcvers: number; argsOffset: number } {
  const r = new XdrReader(bytes);
  const xid = r.uint('xid');
  const msgType = r.int('msgType');
  if (msgType !== 0) throw new XdrError('msgType', `expected CALL (0) at offset 4, got ${msgType}`);
  const rpcvers = r.uint('rpcvers');
  const prog = r.uint('prog');
  const vers = r.uint('vers');
  const proc = r.uint('proc');
  for (const auth of ['cred', 'verf']) {
    const flavor = r.int(`${auth}.flavor`);
    if (flavor !== 0 && flavor !== 1) throw new XdrError(`${auth}.flavor`, `authentication flavor ${flavor} is neither AUTH_NONE (0) nor AUTH_SYS (1)`);
    r.varOpaque(MAX_AUTH_BYTES, `${auth}.body`);
  }
  return { header: { xid, prog, vers, proc }, rpcvers, argsOffset: r.offset };
}

/** The arguments of a call whose header said which procedure: every byte after the header must belong to them. */
export function decodeArgs(bytes: Uint8Array, argsOffset: number, args: XdrType): XdrValue {
  try {
    return decode(args, bytes.subarray(argsOffset));
  } catch (error) {
    if (error instanceof XdrError) {
      // Offsets in the message, not in the argument bytes, and paths under 'args'.
      const detail = error.detail.replace(/offset (\d+)/g, (_, n: string) => `offset ${Number(n) + argsOffset}`);
      throw new XdrError(error.path === '' ? 'args' : `args.${error.path}`, detail);
    }
    throw error;
  }
}

/** Decodes a reply, given the result type of the procedure that was called. */
export function decodeReply(bytes: Uint8Array, result: XdrType): Reply {
  const r = new XdrReader(bytes);
  const xid = r.uint('xid');
  const msgType = r.int('msgType');
  if (msgType !== 1) throw new XdrError('msgType', `expected REPLY (1) at offset 4, got ${msgType}`);
  const replyStat = r.int('replyStat');
  let stat: ReplyStat;
  if (replyStat === 1) {
    const reject = r.int('rejectStat');
    if (reject !== 0) throw new XdrError('rejectStat', `the server refused the call (reject_stat ${reject}, AUTH_ERROR): this lab does no authentication`);
    stat = 'RPC_MISMATCH';
  } else if (replyStat === 0) {
    r.int('verf.flavor');
    r.varOpaque(MAX_AUTH_BYTES, 'verf.body');
    const n = r.int('acceptStat');
    const name = Object.keys(ACCEPT_STAT.values).find((k) => ACCEPT_STAT.values[k] === n);
    if (name === undefined) throw new XdrError('acceptStat', `accept_stat ${n} is none of ${Object.keys(ACCEPT_STAT.values).join(', ')}`);
    stat = name as AcceptStat;
  } else {
    throw new XdrError('replyStat', `reply_stat ${replyStat} at offset 8 is neither MSG_ACCEPTED (0) nor MSG_DENIED (1)`);
  }
  let reply: Reply;
  if (stat === 'SUCCESS') reply = { xid, stat, result: read(result, r, 'result') };
  else if (stat === 'PROG_MISMATCH' || stat === 'RPC_MISMATCH') reply = { xid, stat, low: r.uint('mismatch.low'), high: r.uint('mismatch.high') };
  else reply = { xid, stat } as Reply;
  r.done();
  return reply;
}

// ---------------------------------------------------------------------------------------------------
// Labelled bytes for the lab's message view (message.bytes events)

/** Messages longer than this are shown in part in message.bytes events. */
export const MAX_TRACED_MESSAGE_BYTES = 1024;

/** The 4-byte record mark in front of a message on TCP, as a labelled field at offset 0. */
export function recordMarkField(recordBytes: number): XdrField {
  const header = 0x8000_0000 + recordBytes;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(header);
  const { last, length } = describeHeader(header);
  return {
    path: '(record mark)',
    type: 'record mark (RFC 5531 §11)',
    offset: 0,
    length: 4,
    bytes: hex(b),
    value: `${last ? 'last fragment' : 'fragment'}, ${length} bytes`,
  };
}

/**
 * The message as it went on the wire (record mark + XDR), each field labelled. `type` is the message
 * as one XDR struct (callType, replyType). Bytes that do not decode as `type` are labelled
 * as far as they go, then the rest as one 'undecodable' run, so that garbage can be shown too.
 */
export function wireFields(message: Uint8Array, type: XdrType | undefined): { hex: string; fields: XdrField[] } {
  const mark = recordMarkField(message.length);
  if (message.length > MAX_TRACED_MESSAGE_BYTES) {
    // A trace line has a size limit (and nobody reads 1 MB of hex): show the start, say what is left out.
    const shown = message.subarray(0, MAX_TRACED_MESSAGE_BYTES);
    const fields = labelPrefix(shown).map((f) => ({ ...f, offset: f.offset + 4 }));
    const rest = message.length - shown.length;
    fields.push({ path: '(not shown)', type: `${rest} more bytes, left out of the trace`, offset: 4 + shown.length, length: rest, bytes: '', value: '' });
    return { hex: `${mark.bytes} ${hex(shown)} …`, fields: [mark, ...fields] };
  }
  let fields: XdrField[];
  try {
    if (!type) throw new XdrError('', 'no type');
    fields = describeBytes(type, message);
  } catch {
    fields = labelPrefix(message);
  }
  const shifted = fields.map((f) => ({ ...f, offset: f.offset + 4 }));
  return { hex: `${mark.bytes}${message.length > 0 ? ' ' + hex(message) : ''}`, fields: [mark, ...shifted] };
}

/** Labels what can be labelled of a message that did not decode: the xid and msgType if there, then the rest. */
function labelPrefix(message: Uint8Array): XdrField[] {
  const fields: XdrField[] = [];
  const all = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let at = 0;
  if (message.length >= 4) {
    fields.push({ path: 'xid', type: 'unsigned int', offset: 0, length: 4, bytes: hex(all.subarray(0, 4)), value: String(all.readUInt32BE(0)) });
    at = 4;
  }
  if (message.length >= 8) {
    const n = all.readInt32BE(4);
    const name = Object.keys(MSG_TYPE.values).find((k) => MSG_TYPE.values[k] === n);
    fields.push({
      path: 'msgType',
      type: 'enum',
      offset: 4,
      length: 4,
      bytes: hex(all.subarray(4, 8)),
      value: name ? `${name} (${n})` : `${n} (not a message type)`,
    });
    at = 8;
  }
  if (at < message.length) {
    fields.push({
      path: '(undecodable)',
      type: 'bytes that do not fit the message format',
      offset: at,
      length: message.length - at,
      bytes: hex(all.subarray(at)),
      value: '',
    });
  }
  return fields;
}

/** A value as a short line for traces: `account: "alice", amount: 100` for a struct, JSON otherwise. */
export function formatValue(value: unknown): string {
  const one = (v: unknown): string => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `<${v.length} bytes>`;
    if (v === undefined) return 'void';
    if (Array.isArray(v)) return `[${v.map(one).join(', ')}]`;
    if (typeof v === 'object' && v !== null)
      return `{ ${Object.entries(v)
        .map(([k, x]) => `${k}: ${one(x)}`)
        .join(', ')} }`;
    return JSON.stringify(v);
  };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)) {
    return Object.entries(value)
      .map(([k, x]) => `${k}: ${one(x)}`)
      .join(', ');
  }
  return one(value);
}
