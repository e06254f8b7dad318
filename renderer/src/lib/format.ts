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

export const STATUS_TEXT: Record<RunStatus, string> = {
  starting: 'Starting processes…',
  running: 'Running',
  stopping: 'Stopping…',
  completed: 'Finished (this step has no checks)',
  passed: 'Passed',
  failed: 'Failed',
  stopped: 'Stopped',
  'timed-out': 'Timed out',
  error: 'Error',
};

export function errorText(error: unknown): { message: string; fix: string | null } {
  if (error && typeof error === 'object' && 'info' in error) {
    const info = (error as { info: { message?: unknown; fix?: unknown } }).info;
    if (info && typeof info.message === 'string')
      return { message: info.message, fix: typeof info.fix === 'string' && info.fix ? info.fix : null };
  }
  if (error instanceof Error) return { message: error.message, fix: null };
  return { message: String(error), fix: null };
}
