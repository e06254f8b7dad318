import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EventStore, KIND_PAGE_SCAN_ROWS } from '../../../main/engine/event-store.js';
import { answerRecord, CHAIN_START, chainOver, eventHash, questionAnswerRecord, recordHash } from '../../../main/engine/evidence-chain.js';
import type { CheckResult } from '../../../main/contract/lab-model.js';
import { RUN_EVENTS_PAGE_BYTES, RUN_EVENTS_PAGE_EVENTS } from '../../../main/contract/commands.js';
import { MAX_TRACE_LINE_BYTES } from '../../../main/contract/trace-events.js';

const runFacts = { labVersion: 'a'.repeat(64), machine: { os: 'Linux', kernel: '6.1', arch: 'x64', cores: 2, bootId: 'b00t' } };

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('EventStore', () => {
  it('migrates a new file, uses WAL, and stores batches in order', () => {
    const store = EventStore.open(join(dir, 'a'));
    const session = store.createSession('lab');
    const runId = store.createRun({ sessionId: session, labId: 'lab', stepId: 's', scenarioId: 'x', params: { n: 1 }, startTs: 10n, ...runFacts });
    const rows = Array.from({ length: 200 }, (_, i) => ({
      seq: i + 1,
      ts: String(100 + i),
      pid: 7,
      kind: 'note',
      data: JSON.stringify({ kind: 'note', text: `n${i}` }),
    }));
    store.insertEvents(runId, rows);
    assert.equal(store.eventCount(runId), 200);
    const events = store.events(runId, 150);
    assert.deepEqual(
      events.map((e) => e.seq),
      rows.slice(150).map((r) => r.seq),
    );
    assert.equal((events[0] as { text?: string }).text, 'n150');
    store.close();
    const raw = new Database(join(dir, 'a', 'ipc-lab.sqlite'));
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(raw.pragma('user_version', { simple: true }), 5);
    assert.deepEqual(raw.prepare('SELECT DISTINCT typeof(ts) AS t FROM events').all(), [{ t: 'integer' }], 'ts is stored as a 64-bit integer');
    raw.close();
  });

  it('pages a run of large events by their bytes, and every event comes once', () => {
    const store = EventStore.open(join(dir, 'pages'));
    const runId = store.createRun({ sessionId: store.createSession('lab'), labId: 'lab', stepId: 's', scenarioId: 'x', params: {}, startTs: 1n, ...runFacts });
    // Notes as long as a trace line may be: 300 of them are 4.8 MB, more than two pages' budget.
    const text = 'x'.repeat(MAX_TRACE_LINE_BYTES - 100);
    const rows = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, ts: String(i), pid: 7, kind: 'note', data: JSON.stringify({ kind: 'note', text }) }));
    store.insertEvents(runId, rows);
    const pages: number[][] = [];
    let afterSeq = 0;
    for (;;) {
      const page = store.eventPage(runId, afterSeq, RUN_EVENTS_PAGE_EVENTS, RUN_EVENTS_PAGE_BYTES);
      const bytes = page.events.reduce((sum, e) => sum + Buffer.byteLength(rows[e.seq - 1]!.data), 0);
      assert.ok(bytes < RUN_EVENTS_PAGE_BYTES + MAX_TRACE_LINE_BYTES, `page ${pages.length + 1}: ${bytes} bytes`);
      pages.push(page.events.map((e) => e.seq));
      if (page.nextSeq === null) break;
      assert.equal(page.nextSeq, page.events.at(-1)!.seq);
      afterSeq = page.nextSeq;
    }
    assert.equal(pages.length, 3, `pages of ${pages.map((p) => p.length).join(', ')} events`);
    assert.deepEqual(
      pages.flat(),
      rows.map((r) => r.seq),
    );
    // An event larger than the budget still comes, alone; the count limit cuts as well.
    assert.deepEqual(
      store.eventPage(runId, 5, 10, 1).events.map((e) => e.seq),
      [6],
    );
    assert.deepEqual(
      store.eventPage(runId, 5, 2, RUN_EVENTS_PAGE_BYTES).events.map((e) => e.seq),
      [6, 7],
    );
    assert.equal(store.eventPage(runId, 298, 2, RUN_EVENTS_PAGE_BYTES).nextSeq, null);
    assert.equal(store.eventPage(runId, 297, 2, RUN_EVENTS_PAGE_BYTES).nextSeq, 299);
    store.close();
  });

  it('pages only some kinds of a large run, a bounded stretch per call, every one once and in seq order', () => {
    const store = EventStore.open(join(dir, 'kinds'));
    const runId = store.createRun({ sessionId: store.createSession('lab'), labId: 'lab', stepId: 's', scenarioId: 'x', params: {}, startTs: 1n, ...runFacts });
    const total = 3 * KIND_PAGE_SCAN_ROWS + 12_345;
    // Rare kinds as a large run has them: a snapshot every 997 events, a start near the beginning, nothing of them in one stretch.
    const kindOf = (seq: number) =>
      seq === 3 ? 'process.start' : seq % 997 === 0 && (seq < KIND_PAGE_SCAN_ROWS * 0.5 || seq > KIND_PAGE_SCAN_ROWS * 2.7) ? 'kernel.snapshot' : 'io.end';
    for (let from = 1; from <= total; from += 10_000) {
      const rows = [];
      for (let seq = from; seq < Math.min(from + 10_000, total + 1); seq++)
        rows.push({ seq, ts: String(seq), pid: 7, kind: kindOf(seq), data: JSON.stringify({ kind: kindOf(seq), n: seq }) });
      store.insertEvents(runId, rows);
    }
    assert.equal(store.lastSeq(runId), total);
    const wanted = ['process.start', 'kernel.snapshot'];
    const seen: number[] = [];
    const calls: { events: number; nextSeq: number | null }[] = [];
    for (let afterSeq: number | null = 0; afterSeq !== null;) {
      const page = store.eventPage(runId, afterSeq, 50, RUN_EVENTS_PAGE_BYTES, wanted);
      for (const e of page.events) assert.ok(wanted.includes(e.kind), `page after ${afterSeq} holds a ${e.kind}`);
      assert.ok(
        page.events.every((e) => e.seq > afterSeq! && e.seq <= afterSeq! + KIND_PAGE_SCAN_ROWS),
        'within its stretch',
      );
      seen.push(...page.events.map((e) => e.seq));
      calls.push({ events: page.events.length, nextSeq: page.nextSeq });
      assert.ok(page.nextSeq === null || page.nextSeq > afterSeq, 'each call moves on');
      afterSeq = page.nextSeq;
    }
    const expected = Array.from({ length: total }, (_, i) => i + 1).filter((seq) => wanted.includes(kindOf(seq)));
    assert.deepEqual(seen, expected);
    assert.ok(
      calls.some((c) => c.events === 0 && c.nextSeq !== null),
      'a stretch without any of the kinds is an empty page, not the end',
    );
    assert.ok(
      calls.some((c) => c.events === 50),
      'the limit cuts a page',
    );
    store.close();
  });

  it('keeps a passed step passed, and marks runs a dead host left as ended', () => {
    const store = EventStore.open(join(dir, 'b'));
    const runId = store.createRun({ sessionId: store.createSession('lab'), labId: 'lab', stepId: 's', scenarioId: 'x', params: {}, startTs: 1n, ...runFacts });
    store.recordStepOutcome('lab', 's', true, runId);
    store.recordStepOutcome('lab', 's', false, runId);
    assert.equal(store.progress('lab').s?.status, 'passed');
    store.recordStepOutcome('lab', 't', false, runId);
    assert.equal(store.progress('lab').t?.status, 'attempted');
    store.updateRunStatus(runId, 'running', null);
    assert.equal(store.closeAbandonedRuns(), 0, 'the engine of this run (this process) still lives: the run is its to finish');
    assert.equal(store.run(runId)?.status, 'running');
    store.close();
    // The same run as a host that died left it: its owner is a pid above any pid_max (2^22).
    const raw = new Database(join(dir, 'b', 'ipc-lab.sqlite'));
    raw.prepare("UPDATE runs SET owner = '5000000:1' WHERE id = ?").run(runId);
    raw.close();
    const reopened = EventStore.open(join(dir, 'b'));
    assert.equal(reopened.closeAbandonedRuns(), 1);
    assert.equal(reopened.run(runId)?.status, 'error');
    reopened.close();
  });

  it('refuses a database from a newer version, saying what to do', () => {
    const file = join(dir, 'c', 'ipc-lab.sqlite');
    EventStore.open(join(dir, 'c')).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    assert.throws(() => EventStore.open(join(dir, 'c')), /newer IPC Lab.*IPC_LAB_HOME/);
  });

  it("chains a run's header, every event and its end, so the stored head can be recomputed from them", () => {
    const store = EventStore.open(join(dir, 'd'));
    const runId = store.createRun({
      sessionId: store.createSession('lab'),
      labId: 'lab',
      stepId: 's',
      scenarioId: 'x',
      params: { n: 2 },
      startTs: 5n,
      ...runFacts,
    });
    const header = store.headerRecord(runId)!;
    assert.equal(store.chainHead(runId), chainOver([recordHash(header)]), 'a new run is chained from its header');
    const batch = (from: number) =>
      Array.from({ length: 70 }, (_, i) => ({
        seq: from + i,
        ts: String(100 + from + i),
        pid: 9,
        kind: 'note',
        data: JSON.stringify({ v: 1, ts: String(100 + from + i), pid: 9, role: 'p', kind: 'note', text: `n${from + i}` }),
      }));
    store.insertEvents(runId, batch(1));
    store.insertEvents(runId, batch(71));
    const checks: CheckResult[] = [{ id: 'c', title: 'C', passed: true, detail: 'seen', hint: '', moment: null }];
    store.finishRun(runId, 'passed', null, checks);
    const expected = chainOver([
      recordHash(header),
      ...store.eventTexts(runId).map((e) => eventHash(runId, e.seq, e.data)),
      recordHash(store.endRecord(runId)!),
    ]);
    assert.equal(store.chainHead(runId), expected, 'the head covers the header, 140 events in two batches, and the end record');
    assert.equal(store.endRecord(runId)?.checks[0]?.detail, 'seen');
    assert.equal(store.endRecord(runId)?.status, 'passed');
    assert.notEqual(
      expected,
      chainOver([
        recordHash(header),
        ...store.eventTexts(runId).map((e) => eventHash(runId, e.seq, e.data.replace('"ts"', '"ts "'))),
        recordHash(store.endRecord(runId)!),
      ]),
      'a changed event changes the head',
    );
    store.close();
  });

  it('keeps every changed version of an answer, chained per step, and seeds them when migrating from schema 2', () => {
    const store = EventStore.open(join(dir, 'e'));
    store.saveAnswer('lab', 's', 'first');
    store.saveAnswer('lab', 's', 'first');
    store.saveAnswer('lab', 's', 'second');
    const { revisions, chainHead } = store.answerRevisions('lab', 's');
    assert.deepEqual(
      revisions.map((r) => r.text),
      ['first', 'second'],
      'an unchanged save adds no revision',
    );
    assert.equal(chainHead, chainOver(revisions.map((r) => recordHash(answerRecord('lab', 's', r)))));
    assert.equal(store.progress('lab').s?.answer, 'second');
    store.close();

    // A schema-2 file with an answer: after migrating, that answer is the step's first revision.
    const old = join(dir, 'f');
    EventStore.open(old).close();
    const raw = new Database(join(old, 'ipc-lab.sqlite'));
    raw.exec(
      'DROP INDEX events_by_time; DROP INDEX events_by_lane; ' +
        ['trace_lanes', 'trace_marks', 'trace_bars', 'trace_arrows', 'trace_arrow_buckets', 'trace_levels', 'trace_level_buckets', 'trace_tracks']
          .map((t) => `DROP TABLE ${t};`)
          .join(' ') +
        'DROP TABLE question_answers; ALTER TABLE runs DROP COLUMN answers_upto; ALTER TABLE runs DROP COLUMN answers_head; ' +
        'DROP TABLE answer_revisions; DROP TABLE settings; ALTER TABLE runs DROP COLUMN lab_version; ALTER TABLE runs DROP COLUMN machine; ALTER TABLE runs DROP COLUMN chain_head; ALTER TABLE runs DROP COLUMN end_record;',
    );
    raw.prepare("INSERT INTO answers (lab_id, step_id, text, updated_at) VALUES ('lab', 's', 'old answer', '2026-01-01T00:00:00.000Z')").run();
    raw.pragma('user_version = 2');
    raw.close();
    const migrated = EventStore.open(old);
    assert.deepEqual(migrated.answerRevisions('lab', 's').revisions, [{ text: 'old answer', savedAt: '2026-01-01T00:00:00.000Z' }]);
    assert.notEqual(migrated.answerRevisions('lab', 's').chainHead, CHAIN_START);
    migrated.close();
  });

  it('keeps every version of a question answer; a run tests those saved before it, and its header chains them', () => {
    const store = EventStore.open(join(dir, 'g'));
    const session = store.createSession('lab');
    const start = (stepId: string) => store.createRun({ sessionId: session, labId: 'lab', stepId, scenarioId: 'x', params: {}, startTs: 1n, ...runFacts });
    const before = start('s');
    assert.equal(store.headerRecord(before)!.answersHead, undefined, 'a run with no answers saved has a header as before');
    assert.equal(store.answersOfRun(before).size, 0);

    store.saveQuestionAnswer('lab', 's', 'n', 65536);
    store.saveQuestionAnswer('lab', 's', 'n', 64000);
    store.saveQuestionAnswer('lab', 's', 'c', null);
    store.saveQuestionAnswer('lab', 'other', 'n', 1);
    const first = start('s');
    store.saveQuestionAnswer('lab', 's', 'n', 48000);
    const second = start('s');

    assert.deepEqual(
      [...store.answersOfRun(first)],
      [
        ['n', 64000],
        ['c', null],
      ],
    );
    assert.deepEqual(
      [...store.answersOfRun(second)],
      [
        ['n', 48000],
        ['c', null],
      ],
    );
    const { versions, chainHead } = store.questionAnswers('lab', 's');
    assert.deepEqual(
      versions.map((v) => [v.questionId, v.value, v.lockedByRun]),
      [
        ['n', 65536, first],
        ['n', 64000, first],
        ['c', null, first],
        ['n', 48000, second],
      ],
      'every version is kept, with the first run that tested it',
    );
    assert.equal(chainHead, chainOver(versions.map((v) => recordHash(questionAnswerRecord('lab', 's', v)))));
    // The header of the first run holds the chain head as it was then: the answers came before the run.
    assert.equal(store.headerRecord(first)!.answersHead, chainOver(versions.slice(0, 3).map((v) => recordHash(questionAnswerRecord('lab', 's', v)))));
    assert.equal(store.headerRecord(second)!.answersHead, chainHead);
    store.close();
  });

  it('keeps the database and its -wal and -shm files to this user (0600), and warns once of a data folder others can read', async () => {
    const folder = join(dir, 'shared-folder');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    // The usual umask: what the store creates must not depend on it.
    const umask = process.umask(0o022);
    try {
      const store = EventStore.open(folder);
      const session = store.createSession('lab');
      store.createRun({ sessionId: session, labId: 'lab', stepId: 's', scenarioId: 'x', params: {}, startTs: 1n, ...runFacts });
      const modes = Object.fromEntries(
        ['ipc-lab.sqlite', 'ipc-lab.sqlite-wal', 'ipc-lab.sqlite-shm'].map((name) => [name, (statSync(join(folder, name)).mode & 0o777).toString(8)]),
      );
      assert.deepEqual(modes, { 'ipc-lab.sqlite': '600', 'ipc-lab.sqlite-wal': '600', 'ipc-lab.sqlite-shm': '600' });
      EventStore.open(folder).close();
      store.close();
      // process.emitWarning emits on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.umask(umask);
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => w.message.includes(folder));
    assert.equal(ours.length, 1, `one warning for the folder, got: ${warnings.map((w) => w.message).join(' | ') || 'none'}`);
    assert.match(ours[0]!.message, /chmod 700/, 'the warning says how to fix it');
  });

  it('takes the read bits off a database an older version left readable to others', () => {
    const folder = join(dir, 'older');
    mkdirSync(folder, { mode: 0o700 });
    new Database(join(folder, 'ipc-lab.sqlite')).close();
    chmodSync(join(folder, 'ipc-lab.sqlite'), 0o644);
    EventStore.open(folder).close();
    assert.equal((statSync(join(folder, 'ipc-lab.sqlite')).mode & 0o777).toString(8), '600');
  });
});
