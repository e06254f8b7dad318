/**
 * The kernel view folds per process: each process is a heading with a one-line summary (role, pid,
 * state, how many descriptors) that opens onto its descriptors and mappings. Which ones start open:
 * all of them when there are few (most steps have two or three processes, and the student compares
 * them side by side); with more (a server and many clients), the ones the checks' evidence is about,
 * else the first. What the student opens or folds stays so for that run.
 */

/** Up to this many processes, every one starts open. */
export const OPEN_ALL_UP_TO = 4;

/** The pids (in `pids`) that start open, given the pids the checks' evidence names. */
export function openByDefault(pids: readonly number[], evidence: readonly number[]): number[] {
  if (pids.length <= OPEN_ALL_UP_TO) return [...pids];
  const named = pids.filter((pid) => evidence.includes(pid));
  return named.length > 0 ? named : pids.slice(0, 1);
}

/** "1 descriptor", "4 descriptors": what a folded process says it holds. */
export function countText(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
