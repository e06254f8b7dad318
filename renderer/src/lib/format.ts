/** Display helpers. Anything turning nanoseconds into a float says "Lossy": display only. */
import type { RunStatus } from '../../../main/contract/lab-model.js';

export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function formatNanosLossy(ns: bigint): string {
  return formatDurationMs(Number(ns) / 1e6);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'passed', 'failed', 'stopped', 'timed-out', 'error'];

export function isFinal(status: RunStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/**
 * What the run panel says after the status word: what the word alone does not (how many checks, why
 * none ran), never the word again ("FAILED Failed").
 */
export function runStatusText(status: RunStatus, checks: readonly { passed: boolean }[]): string {
  const total = checks.length;
  const failing = checks.filter((c) => !c.passed).length;
  const plural = (n: number) => (n === 1 ? '' : 's');
  switch (status) {
    case 'starting':
      return 'Launching the processes…';
    case 'running':
      return 'The checks run when it ends.';
    case 'stopping':
      return 'Ending every process…';
    case 'completed':
      return 'It ended by itself; this step has no checks.';
    case 'passed':
      return total === 1 ? 'Its check holds.' : `All ${total} checks hold.`;
    case 'failed':
      return `${failing} of ${total} check${plural(total)} did not hold: see the checks.`;
    case 'stopped':
      return 'Ended before it finished by itself: its checks were not run.';
    case 'timed-out':
      return 'It went past its time limit and was ended: its checks were not run.';
    case 'error':
      return 'Its checks were not run.';
  }
}

export function errorText(error: unknown): { message: string; fix: string | null } {
  if (error && typeof error === 'object' && 'info' in error) {
    const info = (error as { info: { message?: unknown; fix?: unknown } }).info;
    if (info && typeof info.message === 'string') return { message: info.message, fix: typeof info.fix === 'string' && info.fix ? info.fix : null };
  }
  if (error instanceof Error) return { message: error.message, fix: null };
  return { message: String(error), fix: null };
}
