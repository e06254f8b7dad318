import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabTraceLine, TRACE_SCHEMA_VERSION } from '../../../main/contract/trace-events.js';

const base = { v: TRACE_SCHEMA_VERSION, ts: '123456789', pid: 42, role: 'parent' };
const line = (fields: object) => JSON.stringify({ ...base, ...fields });

describe('parseLabTraceLine', () => {
  it('accepts every lab event kind with its fields', () => {
    const good = [
      { kind: 'process.start', ppid: 1, program: 'programs/a.ts' },
      { kind: 'io.end', op: 'write', channel: 'pipe', bytes: 4096, durationNs: '1000' },
      { kind: 'message.send', channel: 'pipe', messageId: 1, bytes: 10, text: 'hi' },
      { kind: 'object.create', channel: 'pipe', object: { type: 'pipe', name: 'pipe:[1]', inode: 1 } },
      { kind: 'child.exit', childPid: 43, childRole: 'child', code: null, signal: 'SIGKILL' },
      { kind: 'measure', name: 'F_GETPIPE_SZ', value: 65536, unit: 'bytes' },
    ];
    for (const fields of good) assert.deepEqual(parseLabTraceLine(line(fields), 42), { ok: true, event: { ...base, ...fields } }, fields.kind);
  });

  it('refuses what a lab process may not say, with the reason', () => {
    const bad: [string, RegExp][] = [
      ['{not json', /not JSON/],
      ['[1,2]', /not a JSON object/],
      [line({ kind: 'note', text: 'x', v: 2 }), /schema version 2/],
      [line({ kind: 'note', text: 'x', ts: 12 }), /"ts" must be monotonic nanoseconds/],
      [line({ kind: 'note', text: 'x', pid: 7 }), /channel belongs to pid 42/],
      [line({ kind: 'host.exit', code: 0, signal: null }), /unknown kind "host.exit"/],
      [line({ kind: 'kernel.snapshot', state: 'R', wchan: '', fds: [] }), /unknown kind/],
      [line({ kind: 'io.end', op: 'write', channel: 'pipe', bytes: 1, durationNs: 5 }), /field "durationNs"/],
      [line({ kind: 'io.begin', op: 'ioctl', channel: 'pipe' }), /field "op"/],
      [line({ kind: 'note', text: 'x'.repeat(20_000) }), /longer than/],
    ];
    for (const [text, reason] of bad) {
      const verdict = parseLabTraceLine(text, 42);
      assert.equal(verdict.ok, false, text.slice(0, 80));
      if (!verdict.ok) assert.match(verdict.reason, reason);
    }
  });
});
