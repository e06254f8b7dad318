/**
 * What the shared-memory benchmark's programs share: the chunks they move, how a consumer checks them,
 * and how a child program talks to the benchmark (not a program itself).
 *
 * Chunks: chunk i is pattern[i % PATTERNS] (pseudo-random bytes both sides generate from a seed) with
 * i as a 64-bit little-endian number in its first 8 bytes. The consumer checks every chunk's length,
 * index (so a lost, repeated or reordered chunk is caught) and one 32-bit word at a position that moves
 * with i, and compares every SAMPLE_EVERY-th chunk (and the last) byte for byte: a fast wrong result
 * cannot pass, and the checks cost the consumer little next to the copy itself.
 *
 * Talking to the benchmark: a child writes `ready` on stdout (one line) when it is set up, so the
 * benchmark starts its clock without counting process start-up, and one JSON line at the end.
 * Times are process.hrtime.bigint() (CLOCK_MONOTONIC: the same clock in every process of the machine),
 * sent as decimal strings.
 */
import { writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { native } from '../../../main/native/index.js';

export const PATTERNS = 16;
/** The futex ping-pong's word (offset in its segment) and the value that tells the answering side to stop. */
export const FUTEX_WORD = 0;
export const FUTEX_STOP = -1;
export const SAMPLE_EVERY = 61;

/** PATTERNS buffers of chunkBytes pseudo-random bytes (xorshift32), the same in every process. */
export function patterns(chunkBytes: number): Buffer[] {
  return Array.from({ length: PATTERNS }, (_, k) => {
    const buffer = Buffer.alloc(chunkBytes);
    let x = Math.imul(k + 1, 0x9e3779b9) | 0 || 1;
    for (let o = 0; o + 4 <= chunkBytes; o += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buffer.writeInt32LE(x, o);
    }
    return buffer;
  });
}

/** Chunk i, in its pattern's buffer (valid until the next call for the same pattern). */
export function stampChunk(pool: readonly Buffer[], i: number): Buffer {
  const chunk = pool[i % PATTERNS]!;
  chunk.writeBigUInt64LE(BigInt(i), 0);
  return chunk;
}

/** Where chunk i's spot-checked word is (after the index, 4-aligned). */
function spotOffset(i: number, chunkBytes: number): number {
  return 8 + (((Math.imul(i, 2654435761) >>> 0) % (chunkBytes - 12)) & ~3);
}

export interface ChunkReport {
  /** Chunks that arrived with the right length, index and content. */
  verified: number;
  /** Chunks compared byte for byte. */
  compared: number;
  /** Problems found, first few only. */
  problems: string[];
  problemCount: number;
}

/** Checks chunks in the order they arrive; expects 0, 1, 2... */
export class ChunkVerifier {
  private readonly pool: Buffer[];
  private next = 0;
  readonly report: ChunkReport = { verified: 0, compared: 0, problems: [], problemCount: 0 };

  constructor(
    private readonly chunkBytes: number,
    private readonly chunks: number,
  ) {
    this.pool = patterns(chunkBytes);
  }

  check(chunk: Buffer, length: number): void {
    const i = this.next++;
    if (length !== this.chunkBytes) return this.problem(`chunk ${i}: ${length} bytes instead of ${this.chunkBytes}`);
    const index = chunk.readBigUInt64LE(0);
    if (index !== BigInt(i)) return this.problem(`chunk ${i}: carries index ${index} (lost, repeated or reordered)`);
    const expected = this.pool[i % PATTERNS]!;
    const spot = spotOffset(i, this.chunkBytes);
    if (chunk.readInt32LE(spot) !== expected.readInt32LE(spot)) return this.problem(`chunk ${i}: wrong bytes at ${spot}`);
    if (i % SAMPLE_EVERY === 0 || i === this.chunks - 1) {
      this.report.compared++;
      if (chunk.compare(expected, 8, this.chunkBytes, 8, this.chunkBytes) !== 0) return this.problem(`chunk ${i}: content differs`);
    }
    this.report.verified++;
  }

  problem(text: string): void {
    if (this.report.problems.length < 5) this.report.problems.push(text);
    this.report.problemCount++;
  }
}

/**
 * Common set-up of every child program: die with the benchmark (SIGKILL when the parent goes, so a
 * crashed benchmark leaves no process blocked in a futex wait), then its arguments.
 */
export function childStart(): string[] {
  if (!native().setParentDeathSignal(osConstants.signals.SIGKILL, process.ppid)) process.exit(1);
  return process.argv.slice(2);
}

/** One line on stdout, written at once (synchronously: the program may block right after). */
export function tell(message: 'ready' | object): void {
  writeSync(1, (typeof message === 'string' ? message : JSON.stringify(message)) + '\n');
}

/** CPU time (user + system) this process used since `since`, in ms. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}
