import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessInfo } from '../../../main/contract/lab-model.js';
import { laneNames } from '../../../renderer/src/lib/trace/lane-names.js';

const process = (pid: number, role: string) => ({ pid, role }) as ProcessInfo;

test('a role held by one process names its lane; a shared one is numbered in spawn order, not lane or pid order', () => {
  // The server started clients 1, 2, 3 with pids that do not sort the same way (pids wrap), and client 3 spoke first.
  const processes = [process(500, 'server'), process(900, 'client'), process(120, 'client'), process(301, 'client')];
  const lanes = [process(500, 'server'), process(301, 'client'), process(900, 'client'), process(120, 'client')];
  assert.deepEqual(Object.fromEntries(laneNames(lanes, processes)), { 500: 'server', 900: 'client 1', 120: 'client 2', 301: 'client 3' });
});

test('a process the run summary does not list yet comes after those it lists, in pid order', () => {
  const names = laneNames([process(7, 'worker'), process(3, 'worker'), process(5, 'worker')], [process(7, 'worker')]);
  assert.deepEqual(Object.fromEntries(names), { 7: 'worker 1', 3: 'worker 2', 5: 'worker 3' });
});
