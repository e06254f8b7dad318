/**
 * Which of a run's events a report embeds: those its checks need to reach the verdicts they reached.
 * Runs in the check worker (check-worker.ts), like every other run of a lab's checks.
 */
import type { RunSummary } from '../contract/lab-model.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { memoryTrace } from '../engine/check-kit.js';
import { canonicalJson } from '../engine/evidence-chain.js';
import { runChecks, type NamedCheck } from '../engine/run-checks.js';

/** How many times checkEvidence may re-run a step's checks while it narrows the events down. */
export const EVIDENCE_TRIALS = 300;

/**
 * The events the run's checks need to reach the verdicts they reached: every check re-run over them
 * gives the same outcome (passed, detail, hint, moment) as over the whole trace. Found by leaving out
 * groups of events (one kind from one process), then halves, quarters... of what is left of a group,
 * keeping each cut that leaves the outcomes unchanged; at most EVIDENCE_TRIALS re-runs, so it may keep
 * more than the least. When the checks of today do not reproduce the stored outcomes (the lab changed
 * since the run), nothing can be cut safely and every event is kept.
 */
export function checkEvidence(checks: NamedCheck[], run: Pick<RunSummary, 'checks' | 'params' | 'processes'>, events: StoredEvent[]): StoredEvent[] {
  if (run.checks.length === 0) return [];
  const target = canonicalJson(run.checks);
  const outcomes = (kept: StoredEvent[]) => canonicalJson(runChecks(checks, memoryTrace({ params: run.params, processes: run.processes, events: kept })));
  if (outcomes(events) !== target) return events;

  const dropped = new Uint8Array(events.length);
  const kept = () => events.filter((_, i) => dropped[i] === 0);
  let trials = 0;
  /** Drops `indices` if the outcomes stay the same without them. */
  const tryDrop = (indices: number[]): boolean => {
    if (trials >= EVIDENCE_TRIALS || indices.length === 0) return false;
    trials++;
    for (const i of indices) dropped[i] = 1;
    if (outcomes(kept()) === target) return true;
    for (const i of indices) dropped[i] = 0;
    return false;
  };

  const groups = new Map<string, number[]>();
  events.forEach((e, i) => {
    const key = `${e.kind}\0${e.role}\0${e.pid}`;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  });
  // Largest first: they cost the most to embed.
  const ordered = [...groups.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const remaining = ordered.filter((group) => !tryDrop(group));
  for (const group of remaining) {
    for (let size = Math.ceil(group.length / 2); size >= 8; size = Math.ceil(size / 2)) {
      for (let start = 0; start < group.length; start += size) tryDrop(group.slice(start, start + size).filter((i) => dropped[i] === 0));
    }
  }
  return kept();
}
