/**
 * The durable log on a real file: records come back in order, and a line cut short (a crash of the
 * machine in the middle of a write) is not taken for a finished execution.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DurableLog, readLog, type LogRecord } from '../../../main/runtime/rpc/durable-log.js';

const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-durable-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const record = (xid: number): LogRecord => ({ xid, key: `${xid}:ab`, proc: 1, name: 'deposit', args: '0000000a', reply: '00' });

describe('durable log', () => {
  it('an absent file is an empty log; appended records come back in order, with the file size', () => {
    const path = join(dir, 'a.ledger');
    assert.deepEqual(readLog(path), { records: [], bytes: 0, torn: 0 });
    const log = new DurableLog(path);
    log.append(record(1));
    log.append(record(2));
    log.close();
    const back = readLog(path);
    assert.deepEqual(
      back.records.map((r) => r.xid),
      [1, 2],
    );
    assert.equal(back.bytes, (JSON.stringify(record(1)) + '\n').length * 2);
    assert.equal(back.torn, 0);
    // Opened again, it appends after what is there (a restarted server).
    const again = new DurableLog(path);
    again.append(record(3));
    again.close();
    assert.deepEqual(
      readLog(path).records.map((r) => r.xid),
      [1, 2, 3],
    );
  });

  it('a last line without its newline is torn, not a record', () => {
    const path = join(dir, 'torn.ledger');
    const log = new DurableLog(path);
    log.append(record(1));
    log.close();
    appendFileSync(path, JSON.stringify(record(2)).slice(0, 20));
    const back = readLog(path);
    assert.deepEqual(
      back.records.map((r) => r.xid),
      [1],
    );
    assert.equal(back.torn, 1);
  });
});
