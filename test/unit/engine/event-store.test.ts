import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { EventStore } from '../../../main/engine/event-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('EventStore', () => {
  it('migrates a new file, uses WAL, and stores batches in order', () => {
    const store = EventStore.open(join(dir, 'a'));
    const session = store.createSession('lab');
    const runId = store.createRun({ sessionId: session, labId: 'lab', stepId: 's', scenarioId: 'x', params: { n: 1 }, startTs: 10n });
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
    assert.equal(raw.pragma('user_version', { simple: true }), 2);
    assert.deepEqual(raw.prepare('SELECT DISTINCT typeof(ts) AS t FROM events').all(), [{ t: 'integer' }], 'ts is stored as a 64-bit integer');
    raw.close();
  });

  it('keeps a passed step passed, and marks runs a dead host left as ended', () => {
    const store = EventStore.open(join(dir, 'b'));
    const runId = store.createRun({ sessionId: store.createSession('lab'), labId: 'lab', stepId: 's', scenarioId: 'x', params: {}, startTs: 1n });
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
});
