/**
 * One run's trace as CSV (RFC 4180), for a spreadsheet or pandas: one row per stored event, in time order
 * (`ts`, then `seq` for events stamped in the same nanosecond), after a header row.
 *
 * Columns: seq, ts_ns (monotonic ns as stored), t_ms (ms since the run's start, 3 decimals, exact: taken
 * in bigint), pid, role, kind, channel, op, bytes, and `data`: the event's other fields as compact JSON
 * (`v` and the store's runId are left out: they are the same on every row). A field with a comma, a
 * double quote, CR or LF is quoted and its quotes doubled; records end with CRLF.
 *
 * Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a formula, so a text
 * cell starting with one of those characters gets a leading apostrophe (OWASP, "CSV Injection"). Only
 * the text columns are guarded: the numeric columns (seq, ts_ns, t_ms, pid, bytes) are written as
 * numbers and stay numbers, so a negative t_ms (an event stamped before the run's start) is -0.052, not
 * '-0.052.
 */
import type { RunSummary } from '../contract/lab-model.js';
import { parseNanos, type Nanos, type StoredEvent } from '../contract/trace-events.js';
import { fieldsOf } from './perfetto-trace.js';

export const CSV_COLUMNS = ['seq', 'ts_ns', 't_ms', 'pid', 'role', 'kind', 'channel', 'op', 'bytes', 'data'] as const;

/** Fields that have a column of their own, so `data` does not repeat them. */
const COLUMN_FIELDS = new Set(['channel', 'op', 'bytes']);

export function toCsv(run: RunSummary, events: StoredEvent[]): string {
  const start = parseNanos(run.startTs);
  const rows = events
    .map((event) => ({ event, ns: parseNanos(event.ts) }))
    .sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.event.seq - b.event.seq))
    .map(({ event, ns }) => {
      const fields = fieldsOf(event);
      const data = Object.fromEntries(Object.entries(fields).filter(([key]) => !COLUMN_FIELDS.has(key)));
      return [
        String(event.seq),
        event.ts,
        millisWith3Decimals(ns - start),
        String(event.pid),
        text(event.role),
        text(event.kind),
        text(typeof fields.channel === 'string' ? fields.channel : ''),
        text(typeof fields.op === 'string' ? fields.op : ''),
        typeof fields.bytes === 'number' ? String(fields.bytes) : '',
        text(JSON.stringify(data)),
      ];
    });
  return [[...CSV_COLUMNS], ...rows].map((row) => row.map(quoted).join(',') + '\r\n').join('');
}

/** Milliseconds with three decimals, rounded to the nearest µs, from exact nanoseconds. */
export function millisWith3Decimals(ns: Nanos): string {
  const negative = ns < 0n;
  const micros = ((negative ? -ns : ns) + 500n) / 1000n;
  const text = `${micros / 1000n}.${(micros % 1000n).toString().padStart(3, '0')}`;
  return negative && micros !== 0n ? `-${text}` : text;
}

/** A text cell, defused: a spreadsheet must show it, never evaluate it. */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function quoted(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
