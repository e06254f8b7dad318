/**
 * The CSV export, read back with a strict RFC 4180 parser written here (so the test does not trust the
 * writer's own idea of quoting): one record per event plus the header, fields that round-trip whatever
 * they hold, and text cells that a spreadsheet shows instead of evaluating.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunSummary } from '../../../main/contract/lab-model.js';
import type { StoredEvent, TraceEventFields } from '../../../main/contract/trace-events.js';
import { CSV_COLUMNS, millisWith3Decimals, toCsv } from '../../../main/export/csv-trace.js';
import { fieldsOf } from '../../../main/export/perfetto-trace.js';
import { loadTrace, TRACE_FIXTURES } from '../../fixtures/traces/traces.js';

/** RFC 4180: records end with CRLF; a quoted field may hold commas, CR, LF and doubled quotes. Throws on anything else. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && !',\r\n'.includes(text[i]!)) {
        if (text[i] === '"') throw new Error(`a quote inside an unquoted field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
      continue;
    }
    throw new Error(`expected a comma or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
  }
  if (record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

const START = 2_000_000_000n;
let seq = 0;
function ev<K extends keyof TraceEventFields>(kind: K, pid: number, role: string, us: number, fields: TraceEventFields[K]): StoredEvent {
  return { v: 1, ts: (START + BigInt(Math.round(us * 1000))).toString(), pid, role, kind, runId: 3, seq: ++seq, ...fields } as unknown as StoredEvent;
}
const run = { runId: 3, startTs: START.toString(), processes: [], checks: [] } as unknown as RunSummary;
/** The records after the header, as objects by column name. */
function rowsOf(csv: string): Record<(typeof CSV_COLUMNS)[number], string>[] {
  const [header, ...records] = parseCsv(csv);
  assert.deepEqual(header, [...CSV_COLUMNS]);
  return records.map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]!])) as Record<(typeof CSV_COLUMNS)[number], string>);
}

describe('real runs as CSV', () => {
  for (const name of TRACE_FIXTURES) {
    test(`${name}: one record per event, in time order, each field back as it was`, () => {
      const { run: recorded, events } = loadTrace(name);
      const csv = toCsv(recorded, events);
      const records = parseCsv(csv);
      assert.equal(records.length, events.length + 1);
      assert.ok(
        records.every((r) => r.length === CSV_COLUMNS.length),
        `every record has ${CSV_COLUMNS.length} fields`,
      );
      const rows = rowsOf(csv);
      const bySeq = new Map(events.map((e) => [e.seq, e]));
      assert.deepEqual(new Set(rows.map((r) => Number(r.seq))), new Set(bySeq.keys()));
      let lastNs = -1n;
      for (const row of rows) {
        const event = bySeq.get(Number(row.seq))!;
        assert.ok(BigInt(row.ts_ns) >= lastNs, `seq ${row.seq} is not before the row above it`);
        lastNs = BigInt(row.ts_ns);
        assert.deepEqual([row.ts_ns, row.pid, row.role, row.kind], [event.ts, String(event.pid), event.role, event.kind]);
        assert.equal(row.t_ms, millisWith3Decimals(BigInt(event.ts) - BigInt(recorded.startTs)));
        const back = { ...JSON.parse(row.data) };
        if (row.channel !== '') back.channel = row.channel;
        if (row.op !== '') back.op = row.op;
        if (row.bytes !== '') back.bytes = Number(row.bytes);
        assert.deepEqual(back, fieldsOf(event), `seq ${row.seq}: columns and data hold the event's fields`);
      }
    });
  }
});

describe('fields a spreadsheet could misread', () => {
  test('commas, quotes and line breaks round-trip', () => {
    const text = 'a, "quoted" word\r\nand a second line\nand a third';
    const [note, close] = rowsOf(
      toCsv(run, [ev('note', 10, 'parent, the "first"', 1, { text }), ev('io.close', 10, 'two\nlines', 2, { channel: 'cr\ronly', end: 'read' })]),
    );
    assert.equal(note!.role, 'parent, the "first"');
    assert.equal(JSON.parse(note!.data).text, text);
    assert.deepEqual([close!.role, close!.channel], ['two\nlines', 'cr\ronly']);
  });

  test('a text cell that starts like a formula gets an apostrophe', () => {
    const rows = rowsOf(
      toCsv(run, [
        ev('io.close', 10, '+cmd', 1, { channel: '=HYPERLINK("http://example.com","x")', end: 'read' }),
        ev('io.close', 10, '@SUM(A1)', 2, { channel: '-1+1', end: 'write' }),
        ev('io.close', 10, '\tindent', 3, { channel: '\r=1', end: 'both' }),
        ev('io.close', 10, 'a=b', 4, { channel: 'pipe -1', end: 'both' }),
      ]),
    );
    assert.deepEqual(
      rows.map((r) => [r.role, r.channel]),
      [
        ["'+cmd", '\'=HYPERLINK("http://example.com","x")'],
        ["'@SUM(A1)", "'-1+1"],
        ["'\tindent", "'\r=1"],
        ['a=b', 'pipe -1'],
      ],
    );
  });

  test('numbers stay numbers, negative ones too', () => {
    const rows = rowsOf(
      toCsv(run, [
        ev('measure', 10, 'parent', -500, { name: 'offset', value: -5, unit: 'ms' }),
        ev('io.end', 10, 'parent', 1234.5678, { op: 'read', channel: 'pipe', bytes: 0, durationNs: '10' }),
      ]),
    );
    assert.deepEqual(
      rows.map((r) => [r.t_ms, r.bytes]),
      [
        ['-0.500', ''],
        ['1.235', '0'],
      ],
    );
    assert.equal(JSON.parse(rows[0]!.data).value, -5);
    assert.ok(
      rows.every((r) => !r.t_ms.startsWith("'") && !r.data.startsWith("'")),
      'no numeric or JSON cell is prefixed',
    );
  });

  test('ms since the start are rounded to the µs from exact nanoseconds', () => {
    assert.deepEqual([1_234_567n, 1_234_499n, 0n, -400n, -600n, 90_071_992_547_409_931n].map(millisWith3Decimals), [
      '1.235',
      '1.234',
      '0.000',
      '0.000',
      '-0.001',
      '90071992547.410',
    ]);
  });
});
