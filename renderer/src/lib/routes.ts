/**
 * The app's URLs (hash routes), parsed and built in one place. Plain TS, so tests run it under Node;
 * `router.svelte.ts` keeps the current one in reactive state.
 *
 *   #/                                            the catalogue
 *   #/lab/<labId>                                 a lab (it names its step once loaded)
 *   #/lab/<labId>/<stepId>                        a step, showing its latest run
 *   #/lab/<labId>/<stepId>/run/<runId>            a step with one of its runs
 *   #/lab/<labId>/<stepId>/compare/<runA>/<runB>  two runs of a step side by side
 *
 * A run part that is not a run number still opens the lab page (as `{ kind: 'bad' }`), so the page can
 * say what is wrong with the link and offer a way back instead of "page not found".
 */

/** Which run a step's page shows. */
export type RunTarget = { kind: 'latest' } | { kind: 'run'; runId: number } | { kind: 'compare'; runIds: [number, number] } | { kind: 'bad'; text: string };

export type Route = { page: 'catalogue' } | { page: 'lab'; labId: string; stepId: string | null; target: RunTarget } | { page: 'unknown'; hash: string };

export const LATEST: RunTarget = Object.freeze({ kind: 'latest' });

/** A run id as the URL writes it: a positive decimal integer, no sign, no leading zero. */
function runNumber(text: string | undefined): number | null {
  if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null; // a malformed %-escape
  }
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '') return { page: 'catalogue' };
  const decoded = path.split('/').filter(Boolean).map(decode);
  if (decoded.some((p) => p === null)) return { page: 'unknown', hash };
  const parts = decoded as string[];
  if (parts[0] !== 'lab' || !parts[1]) return { page: 'unknown', hash };
  const [, labId, stepId, kind, ...rest] = parts;
  if (stepId === undefined) return { page: 'lab', labId, stepId: null, target: LATEST };
  if (kind === undefined) return { page: 'lab', labId, stepId, target: LATEST };
  const shown = parts.slice(3).join('/');
  if (kind === 'run' && rest.length === 1) {
    const runId = runNumber(rest[0]);
    return { page: 'lab', labId, stepId, target: runId === null ? { kind: 'bad', text: shown } : { kind: 'run', runId } };
  }
  if (kind === 'compare' && rest.length === 2) {
    const a = runNumber(rest[0]);
    const b = runNumber(rest[1]);
    return { page: 'lab', labId, stepId, target: a === null || b === null ? { kind: 'bad', text: shown } : { kind: 'compare', runIds: [a, b] } };
  }
  if (kind === 'run' || kind === 'compare') return { page: 'lab', labId, stepId, target: { kind: 'bad', text: shown } };
  return { page: 'unknown', hash };
}

export function labHref(labId: string, stepId?: string | null): string {
  return stepId ? `#/lab/${encodeURIComponent(labId)}/${encodeURIComponent(stepId)}` : `#/lab/${encodeURIComponent(labId)}`;
}

export function runHref(labId: string, stepId: string, runId: number): string {
  return `${labHref(labId, stepId)}/run/${runId}`;
}

/** Two runs compared, the older (smaller id) first whatever order they are given in. */
export function compareHref(labId: string, stepId: string, a: number, b: number): string {
  return `${labHref(labId, stepId)}/compare/${Math.min(a, b)}/${Math.max(a, b)}`;
}

/** The URL of a target on a step's page. */
export function targetHref(labId: string, stepId: string, target: RunTarget): string {
  switch (target.kind) {
    case 'run':
      return runHref(labId, stepId, target.runId);
    case 'compare':
      return compareHref(labId, stepId, target.runIds[0], target.runIds[1]);
    default:
      return labHref(labId, stepId);
  }
}

export function sameTarget(a: RunTarget, b: RunTarget): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'run' && b.kind === 'run') return a.runId === b.runId;
  if (a.kind === 'compare' && b.kind === 'compare') return a.runIds[0] === b.runIds[0] && a.runIds[1] === b.runIds[1];
  if (a.kind === 'bad' && b.kind === 'bad') return a.text === b.text;
  return true;
}
