/**
 * A SyncTracer that only counts blocking episodes per channel: how often a side of the benchmark had
 * to sleep in the kernel (for an empty slot, an item, the mutex). The uncontended paths never call it.
 */
import type { SyncTracer, WaitEndOutcome } from '../../../main/runtime/shared-memory/sync-tracer.js';

export class WaitCounter implements SyncTracer {
  readonly counts: Record<string, number> = {};
  waitBegin(channel: string): void {
    this.counts[channel] = (this.counts[channel] ?? 0) + 1;
  }
  waitEnd(_channel: string, _durationNs: bigint, _outcome: WaitEndOutcome): void {}
  level(): void {}
}
