/**
 * What a page is pushed of one stored batch (issue 13): the batch itself when it is small, else the
 * events the page must see whole (LIVE_WHOLE_KINDS: process life and what the kernel view shows), the
 * latest labelled messages, and the latest of the rest, so a run emitting faster than a page can draw
 * never makes the page fall behind (and the browser host drop it). The page draws what was left out from
 * windowed queries over the stored trace. In-process listeners that want every event (the CLI, tests)
 * ask for them (Engine.onEvent's `everyEvent`).
 */
import { LIVE_BATCH_MAX_BYTES_EVENTS, LIVE_BATCH_MAX_EVENTS, LIVE_WHOLE_KINDS, type EngineEvents } from '../contract/commands.js';
import type { StoredEvent } from '../contract/trace-events.js';

export function liveBatch(runId: number, events: readonly StoredEvent[]): EngineEvents['trace:batch'] {
  const lastSeq = events.at(-1)?.seq ?? 0;
  if (events.length <= LIVE_BATCH_MAX_EVENTS) return { runId, events: events as StoredEvent[], skipped: 0, lastSeq };
  const keep = new Uint8Array(events.length);
  let kept = 0;
  for (let i = 0; i < events.length; i++) {
    if (LIVE_WHOLE_KINDS.has(events[i]!.kind)) {
      keep[i] = 1;
      kept++;
    }
  }
  let labelled = 0;
  for (let i = events.length - 1; i >= 0 && labelled < LIVE_BATCH_MAX_BYTES_EVENTS; i--) {
    if (events[i]!.kind !== 'message.bytes') continue;
    keep[i] = 1;
    kept++;
    labelled++;
  }
  for (let i = events.length - 1; i >= 0 && kept < LIVE_BATCH_MAX_EVENTS; i--) {
    if (keep[i] || events[i]!.kind === 'message.bytes') continue;
    keep[i] = 1;
    kept++;
  }
  const shown = events.filter((_, i) => keep[i] === 1);
  return { runId, events: shown, skipped: events.length - shown.length, lastSeq };
}
