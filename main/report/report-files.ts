/**
 * Reports and traces as files. The JSON report is written in one exact form (keys sorted, one-space
 * indent, a final newline), so `verify` can tell any byte changed, layout included, not only values.
 */
import type { ExportedFile } from '../contract/commands.js';
import type { RunSummary } from '../contract/lab-model.js';
import type { SessionReport } from '../contract/report-format.js';
import type { StoredEvent } from '../contract/trace-events.js';
import { toCsv } from '../export/csv-trace.js';
import { perfettoJson } from '../export/perfetto-trace.js';
import { renderReportHtml, sealHtml } from './report-html.js';

export type ReportFileFormat = 'html' | 'json';
export type TraceFileFormat = 'perfetto' | 'csv';

/** The one written form of a JSON report. */
export function reportJsonText(report: unknown): string {
  return JSON.stringify(sortedKeys(report), null, 1) + '\n';
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}

export function reportFile(report: SessionReport, format: ReportFileFormat): ExportedFile {
  const base = `ipc-lab-report-${slug(report.student.name)}-${report.labId ?? 'all-labs'}-${report.generatedAt.slice(0, 10)}`;
  return format === 'json'
    ? { fileName: `${base}.json`, mimeType: 'application/json', content: reportJsonText(report) }
    : { fileName: `${base}.html`, mimeType: 'text/html', content: sealHtml(renderReportHtml(report)) };
}

export function traceFile(run: RunSummary, events: StoredEvent[], format: TraceFileFormat): ExportedFile {
  const base = `ipc-lab-run-${run.runId}-${run.labId}${run.stepId ? `-${run.stepId}` : ''}`;
  return format === 'perfetto'
    ? { fileName: `${base}.perfetto.json`, mimeType: 'application/json', content: perfettoJson(run, events) }
    : { fileName: `${base}.csv`, mimeType: 'text/csv', content: toCsv(run, events) };
}

/** "Ada Lovelace" -> "ada-lovelace"; letters and digits of any script are kept. */
function slug(text: string): string {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'student'
  );
}
