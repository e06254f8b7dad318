/**
 * The cooperating-processes lab on real processes and real pipes: every step's checks pass on a
 * correct run, the variants fail as they declare, and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { assertNothingLeft, checksOf, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness();
});
after(async () => {
  await harness.close();
});

const LAB = 'cooperating-processes';

/** The launcher's record of A's output in each round, by round tag (indep-1 ... coop-3). */
function outputsOfA(stored: readonly { kind: string }[]): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const e of stored as StoredEventOf<'message.receive'>[])
    if (e.kind === 'message.receive' && e.role === 'launcher' && e.channel.endsWith(": A's output")) outputs[e.channel.split(':')[0]!] = e.text ?? '';
  return outputs;
}

describe('cooperating processes lab', () => {
  it('step independent-or-cooperating: the independent pair shares nothing, the cooperating pair one pipe', async () => {
    const { run, stored } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pair', stepId: 'independent-or-cooperating' });
    assert.equal(run.status, 'passed', JSON.stringify(run.checks, null, 2));
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': true, 'cooperating-share-one': true });
    // 1+..+10 = 55; cooperating adds B's 1+..+20 = 210, then 1+..+25 = 325; killed, B adds nothing.
    assert.deepEqual(outputsOfA(stored), {
      'indep-1': '55',
      'indep-2': '55',
      'indep-3': '55',
      'coop-1': '265',
      'coop-2': '380',
      'coop-3': '55 (nothing from B: end of file)',
    });
    const killed = run.processes.find((p) => p.role === 'coop-3-b')!;
    assert.equal(killed.signal, 'SIGKILL');
    // The pipe both held in the first cooperating round is one the launcher created (lab.pipe).
    const link = stored.find((e): e is StoredEventOf<'object.create'> => e.kind === 'object.create' && e.channel === 'coop-1: B → A')!;
    const snapshotOf = (role: string): StoredEventOf<'kernel.snapshot'> =>
      stored.find((e): e is StoredEventOf<'kernel.snapshot'> => e.kind === 'kernel.snapshot' && e.role === role && e.requested !== undefined)!;
    for (const role of ['coop-1-a', 'coop-1-b'])
      assert.ok(
        snapshotOf(role).fds.some((fd) => fd.target === link.object.name),
        `${role} holds ${link.object.name}`,
      );
    assertNothingLeft(run);
  });

  it('step independent-or-cooperating: a "cooperating" pair never connected fails the cooperating check', async () => {
    const { run } = await runToEnd(harness.engine, { labId: LAB, scenarioId: 'pair', stepId: 'independent-or-cooperating', params: { cooperate: false } });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': true, 'cooperating-share-one': false });
    assert.match(run.checks.find((c) => c.id === 'cooperating-share-one')!.detail, /no pipe held by both A/);
    assertNothingLeft(run);
  });

  it('step independent-or-cooperating: an "independent" pair connected by a pipe fails the independent check', async () => {
    const { run, stored } = await runToEnd(harness.engine, {
      labId: LAB,
      scenarioId: 'pair',
      stepId: 'independent-or-cooperating',
      params: { independentShare: true },
    });
    assert.equal(run.status, 'failed');
    assert.deepEqual(checksOf(run), { 'independent-share-nothing': false, 'cooperating-share-one': true });
    assert.match(run.checks.find((c) => c.id === 'independent-share-nothing')!.detail, /both held pipe:\[\d+\]: they were connected/);
    assert.equal(outputsOfA(stored)['indep-2'], '380');
    assertNothingLeft(run);
  });
});
