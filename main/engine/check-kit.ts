/**
 * What a lab's checks.ts is written against. A check is a predicate over the student's own run: the
 * trace events, the processes and the parameters. It says whether the experiment showed what it should,
 * and in a sentence what the trace showed.
 */
import type { ParamValues, ProcessInfo } from '../contract/lab-model.js';
import type { StoredEvent, StoredEventOf, TraceEventKind } from '../contract/trace-events.js';

export interface RunTrace {
  params: ParamValues;
  processes: ProcessInfo[];
  events: StoredEvent[];
}

export interface CheckOutcome {
  passed: boolean;
  detail: string;
  /**
   * What to try, for this outcome: replaces the definition's hint when the general one would not fit
   * what the trace showed (a hint must follow from the evidence the check saw).
   */
  hint?: string;
  /**
   * The `ts` of the event that shows the evidence (the blocked write, the snapshot holding the pipe):
   * where the kernel view and the timeline's cursor open after the run.
   */
  moment?: string;
  /**
   * Numbers read off the trace, by the ids the definition's `measures` declares: what questions are
   * graded against. Give one only when the trace showed it (a capacity needs a write that blocked),
   * whether or not the check passed.
   */
  measurements?: Record<string, number>;
}

export interface MeasurementDeclaration {
  /** The unit a question graded against it must use ("bytes", "ms", "updates"). */
  unit: string;
  /** What it is, in a few words, for lab authors and the loader's messages. */
  title: string;
}

export interface CheckDefinition {
  title: string;
  /** Shown when the check fails: what the student could change or look at. */
  hint: string;
  /** The measurements the check can produce, by id (lower-case words and dashes, like capacity-bytes). */
  measures?: Record<string, MeasurementDeclaration>;
  check(trace: RunTrace): CheckOutcome;
}

export type LabChecks = Record<string, CheckDefinition>;

/** Identity, for the types: `export default defineChecks({ ... })`. */
export function defineChecks<T extends LabChecks>(checks: T): T {
  return checks;
}

/** The events of one kind, optionally from one role, in sequence order. */
export function eventsOf<K extends TraceEventKind>(trace: RunTrace, kind: K, role?: string): StoredEventOf<K>[] {
  return trace.events.filter((e) => e.kind === kind && (role === undefined || e.role === role)) as StoredEventOf<K>[];
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
