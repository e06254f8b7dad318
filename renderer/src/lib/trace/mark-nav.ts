/**
 * Stepping through the timeline's marks by keyboard: the same details the hover shows, reachable
 * without a mouse. Left / Right go to the previous / next mark in time over every lane, Up / Down to
 * the mark nearest in time on the lane above / below, Home / End to the first / last mark. Plain TS,
 * so unit tests run it under Node.
 *
 * Marks are kept per lane in the order they arrived (TraceModel appends, never reorders), so a
 * `MarkRef` stays valid while a live run grows; the time order is rebuilt from the lanes when the
 * model changes (one sort, not one per key press).
 */
import type { Mark } from './trace-model.js';

/** A mark on the timeline: its lane and its place in that lane's list. */
export interface MarkRef {
  lane: number;
  index: number;
}

export type MarkMove = 'previous' | 'next' | 'up' | 'down' | 'first' | 'last';

/** The key that makes each move (the keys of `KeyboardEvent.key`). */
export const MARK_KEYS: Record<string, MarkMove> = {
  ArrowLeft: 'previous',
  ArrowRight: 'next',
  ArrowUp: 'up',
  ArrowDown: 'down',
  Home: 'first',
  End: 'last',
};

export class MarkOrder {
  readonly #marks: readonly (readonly Mark[])[];
  /** Every mark, by time then sequence number. */
  readonly #order: MarkRef[] = [];
  /** Where each mark is in `#order`: `#position[lane][index]`. */
  readonly #position: number[][] = [];

  constructor(marks: readonly (readonly Mark[])[]) {
    this.#marks = marks;
    marks.forEach((lane, l) => lane.forEach((_, i) => this.#order.push({ lane: l, index: i })));
    this.#order.sort((a, b) => {
      const ma = this.mark(a)!;
      const mb = this.mark(b)!;
      return ma.t - mb.t || ma.seq - mb.seq || a.lane - b.lane;
    });
    this.#position = marks.map((lane) => new Array<number>(lane.length));
    this.#order.forEach((ref, p) => (this.#position[ref.lane]![ref.index] = p));
  }

  /** How many marks there are. */
  get size(): number {
    return this.#order.length;
  }

  mark(ref: MarkRef): Mark | null {
    return this.#marks[ref.lane]?.[ref.index] ?? null;
  }

  /** 0-based place of `ref` in time order, or -1 when it is not a mark of this order. */
  positionOf(ref: MarkRef): number {
    return this.#position[ref.lane]?.[ref.index] ?? -1;
  }

  /**
   * Where `move` goes from `current` (null: nothing chosen yet; then any move but `previous` and `last`
   * starts at the first mark). At an end, or with no lane that way, it stays where it is. Null only
   * when there are no marks.
   */
  move(current: MarkRef | null, move: MarkMove): MarkRef | null {
    if (this.#order.length === 0) return null;
    const last = this.#order.length - 1;
    const at = current ? this.positionOf(current) : -1;
    if (at < 0) return this.#order[move === 'previous' || move === 'last' ? last : 0]!;
    switch (move) {
      case 'first':
        return this.#order[0]!;
      case 'last':
        return this.#order[last]!;
      case 'previous':
        return this.#order[Math.max(at - 1, 0)]!;
      case 'next':
        return this.#order[Math.min(at + 1, last)]!;
      case 'up':
      case 'down':
        return this.#nearestOnLane(current!, move === 'up' ? -1 : 1) ?? current;
    }
  }

  /** The mark nearest in time to `from` on the next lane with marks in direction `dir`. */
  #nearestOnLane(from: MarkRef, dir: -1 | 1): MarkRef | null {
    const t = this.mark(from)!.t;
    for (let lane = from.lane + dir; lane >= 0 && lane < this.#marks.length; lane += dir) {
      const marks = this.#marks[lane]!;
      if (marks.length === 0) continue;
      let best = 0;
      for (let i = 1; i < marks.length; i++) if (Math.abs(marks[i]!.t - t) < Math.abs(marks[best]!.t - t)) best = i;
      return { lane, index: best };
    }
    return null;
  }
}
