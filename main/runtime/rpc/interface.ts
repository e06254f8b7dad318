/**
 * An interface definition: what a remote program offers, written once and shared by the client and
 * the server. In ONC RPC it is a `.x` file that `rpcgen` compiles into C stubs:
 *
 *     program BANK {
 *       version BANK_V1 {
 *         int DEPOSIT(deposit_args) = 1;
 *         ...
 *       } = 1;
 *     } = 0x20000101;
 *
 * Here it is a small typed object with the same content: the program's number and version, and for
 * each procedure its number and the XDR types of its arguments and result. Nothing else is needed to
 * produce both stubs (client.ts, server.ts): they read the types from this object and marshal with
 * xdr.ts. The TypeScript types <Args, Result> given to `procedure` only make the stubs pleasant to call;
 * the wire knows nothing of them.
 *
 * Program numbers 0x20000000-0x3fffffff are ONC RPC's range for "defined by the user".
 */
import type { TraceEventFields } from '../../contract/trace-events.js';
import type { XdrType } from './xdr.js';

/** One procedure: its number in the program, and the XDR types of its arguments and its result. */
export interface Procedure<Args = unknown, Result = unknown> {
  number: number;
  args: XdrType;
  result: XdrType;
  /** Running it twice does what running it once does (balance: yes; deposit: no). Shown to students. */
  idempotent: boolean;
  /** Only for TypeScript: carries Args and Result. Never set. */
  readonly types?: (args: Args) => Result;
}

export function procedure<Args, Result>(number: number, args: XdrType, result: XdrType, options: { idempotent: boolean }): Procedure<Args, Result> {
  return { number, args, result, idempotent: options.idempotent };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Procedures = Record<string, Procedure<any, any>>;

export interface ProgramDefinition<P extends Procedures = Procedures> {
  /** The name servers register with the matchmaker and clients look up: 'BANK'. */
  name: string;
  number: number;
  version: number;
  procedures: P;
}

export type ArgsOf<T> = T extends Procedure<infer A, infer _R> ? A : never;
export type ResultOf<T> = T extends Procedure<infer _A, infer R> ? R : never;

/** What the client stub offers: one async method per procedure. */
export type ClientStub<P extends Procedures> = { [K in keyof P]: (args: ArgsOf<P[K]>) => Promise<ResultOf<P[K]>> };

/** What the server's programmer writes: one function per procedure (it may be async). */
export type Implementation<P extends Procedures> = { [K in keyof P]: (args: ArgsOf<P[K]>) => ResultOf<P[K]> | Promise<ResultOf<P[K]>> };

/** Checks an interface once: numbers are unsigned ints, procedure numbers are unique and not 0 (ONC's NULL). */
export function defineProgram<P extends Procedures>(program: ProgramDefinition<P>): ProgramDefinition<P> {
  const isUint = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(program.name)) throw new Error(`program name '${program.name}' must be upper-case letters, digits and _ (like BANK)`);
  if (!isUint(program.number) || !isUint(program.version)) throw new Error(`program ${program.name}: number and version must be unsigned ints`);
  const seen = new Map<number, string>();
  for (const [name, proc] of Object.entries(program.procedures)) {
    if (!isUint(proc.number) || proc.number === 0)
      throw new Error(`${program.name}.${name}: procedure number must be an unsigned int other than 0 (0 is NULL in ONC RPC)`);
    const other = seen.get(proc.number);
    if (other) throw new Error(`${program.name}: procedures ${other} and ${name} both have number ${proc.number}`);
    seen.set(proc.number, name);
  }
  return program;
}

/** The procedure with this number, and its name. */
export function procedureByNumber(program: ProgramDefinition, number: number): { name: string; procedure: Procedure } | undefined {
  for (const [name, procedure] of Object.entries(program.procedures)) if (procedure.number === number) return { name, procedure };
  return undefined;
}

/** The events the stubs record. The lab runtime (`lab`) is one; tests pass a collector. */
export type RpcEventKind =
  | 'rpc.call'
  | 'rpc.execute'
  | 'rpc.duplicate'
  | 'rpc.reply'
  | 'rpc.error'
  | 'rpc.fault'
  | 'rpc.ledger'
  | 'message.bytes'
  | 'socket.listen'
  | 'socket.connect'
  | 'socket.accept'
  | 'socket.close'
  | 'object.create'
  | 'io.begin'
  | 'io.end'
  | 'io.error'
  | 'buffer.level'
  | 'note';

export interface RpcTracer {
  emit<K extends RpcEventKind>(kind: K, fields: TraceEventFields[K]): void;
  /**
   * Writes buffered events out now (the lab runtime buffers them). The stubs call it before a write that
   * can wake another process, and before the process may die, so that what they announce is recorded.
   */
  flush?(): void;
}

/** A tracer that records nothing (for measuring the stubs' own cost). */
export const SILENT: RpcTracer = { emit() {} };

/**
 * What a call promises about how often the procedure runs, decided by the client and the server
 * together (client.ts and server.ts say what each does):
 *
 *   at-least-once  the client retries until it has a reply; the server keeps no duplicate table and runs
 *                  every copy it receives. A reply means "ran once or more" (ONC RPC's own semantics,
 *                  RFC 5531, "Transports and Semantics": a retried call may be executed again).
 *   at-most-once   the server keeps a duplicate table in memory and answers a retry from it; the client
 *                  retries only on the connection the request went out on. A call that gets no reply
 *                  (the last timeout, or the connection lost) ends "unknown": it ran once or not at all.
 *   exactly-once   the duplicate table is durable (appended and fsync'ed before the reply) and a
 *                  restarted server reads it back; the client retries, reconnecting, until it has an
 *                  answer. So every call that returns ran exactly once, even across a crash of the server.
 */
export type Semantics = 'at-least-once' | 'at-most-once' | 'exactly-once';
export const SEMANTICS = ['at-least-once', 'at-most-once', 'exactly-once'] as const satisfies readonly Semantics[];
