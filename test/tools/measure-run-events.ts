/**
 * How many trace events each lab scenario makes at the extremes of its allowed parameters, against the
 * per-run budget (RUN_EVENT_BUDGET, labs/README.md "Event budget"). A value written 'min' or 'max' is
 * that parameter's bound as the loader has it now, so the same cases measure narrowed ranges too.
 * Events past the budget are counted from the run's closing warning.
 * Usage: ip netns exec <ns> npx tsx test/tools/measure-run-events.ts [lab-id[/scenario-id]]...
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_EVENT_BUDGET, type StoredEventOf } from '../../main/contract/trace-events.js';
import type { ParamValues } from '../../main/contract/lab-model.js';
import { openEngine } from '../../main/engine/engine.js';

type Bound = number | boolean | string | 'min' | 'max';
const CASES: { lab: string; scenario: string; params: Record<string, Bound> }[] = [
  { lab: 'shared-memory-or-message-passing', scenario: 'same-job', params: { payloadMiB: 'max', chunkKiB: 'min', roundTrips: 'max', messageBytes: 'min' } },
  {
    lab: 'shared-memory-or-message-passing',
    scenario: 'sweep',
    params: { smallestBytes: 'min', sizeStep: 'x2', bulkKiBPerSize: 'max', maxMessagesPerSize: 'max', maxRoundTripsPerSize: 'max' },
  },
  { lab: 'ordinary-pipes', scenario: 'capacity', params: { chunkBytes: 'min', totalKiB: 'max', readerDelayMs: 'min' } },
  { lab: 'ordinary-pipes', scenario: 'messages', params: { messages: 'max', messageDelayMs: 'min' } },
  { lab: 'ordinary-pipes', scenario: 'early-exit', params: { readerReads: 'max' } },
  { lab: 'shared-memory', scenario: 'bulk', params: { mib: 'max', through: 'shm' } },
  { lab: 'shared-memory', scenario: 'bulk', params: { mib: 'max', through: 'pipe' } },
  { lab: 'shared-memory', scenario: 'bounded', params: { slots: 'min', items: 'max', fastItems: 'max', producerDelayMs: 'min', consumerDelayMs: 'min' } },
  { lab: 'shared-memory', scenario: 'unbounded', params: { items: 'max', fastItems: 'max', producerDelayMs: 'min', consumerDelayMs: 'min', room: 'max' } },
  { lab: 'shared-memory', scenario: 'race', params: { workers: 'max', increments: 'max', protection: 'mutex' } },
  { lab: 'shared-memory', scenario: 'race', params: { workers: 'max', increments: 'max', protection: 'none' } },
  { lab: 'shared-memory', scenario: 'crowd', params: { producers: 'max', consumers: 'max', items: 'max', slots: 'min' } },
  { lab: 'message-passing', scenario: 'naming', params: { messages: 'max' } },
  { lab: 'message-passing', scenario: 'buffering', params: { buffering: 'unbounded', messages: 'max', unboundedAsk: 'max', receiverDelayMs: 'min' } },
  { lab: 'message-passing', scenario: 'sizes', params: { records: 'max' } },
  { lab: 'message-passing', scenario: 'identity', params: { messages: 'max' } },
  { lab: 'message-passing', scenario: 'reservation', params: { attempts: 'max', messageBytes: 'min' } },
  { lab: 'message-passing', scenario: 'fragments', params: { mailboxBytes: 'min', messageBytes: 'max', messages: 'max' } },
  { lab: 'message-passing', scenario: 'receivers', params: { receivers: 'max', messages: 'max' } },
  { lab: 'named-pipes', scenario: 'two-programs', params: { messages: 'max', messageDelayMs: 'min', createDelayMs: 'min' } },
  { lab: 'named-pipes', scenario: 'writers', params: { writers: 'max', records: 'max', recordBytes: 'max', readBytes: 'min', readerDelayMs: 'min' } },
  { lab: 'named-pipes', scenario: 'conversation', params: { pings: 'max', pingDelayMs: 'min', serverDelayMs: 'min' } },
  { lab: 'named-pipes', scenario: 'lifetime', params: { messages: 'max', reads: 'max' } },
  { lab: 'sockets', scenario: 'connections', params: { clients: 'max', holdMs: 'min' } },
  { lab: 'sockets', scenario: 'transports', params: { roundTrips: 'max', messageBytes: 'min', totalBytes: 'max' } },
  { lab: 'sockets', scenario: 'many-clients', params: { clients: 'max', messages: 'max', messageDelayMs: 'min' } },
  { lab: 'sockets', scenario: 'small-writes', params: { rounds: 'max', bodyBytes: 'max' } },
  { lab: 'rpc', scenario: 'failures', params: { deposits: 'max', faultEvery: 'min', attempts: 'max', timeoutMs: 'min', fault: 'duplicate-request' } },
  { lab: 'rpc', scenario: 'crash', params: { deposits: 'max', attempts: 'max', timeoutMs: 'min' } },
  { lab: 'rpc', scenario: 'cost', params: { calls: 'max' } },
  { lab: 'rpc', scenario: 'bad-input', params: { deposits: 'max', pauseMs: 'min' } },
];

const only = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'ipc-lab-measure-'));
const engine = await openEngine({ dataDir });
try {
  for (const c of CASES) {
    if (only.length && !only.some((o) => o === c.lab || o === `${c.lab}/${c.scenario}`)) continue;
    const spec = engine.loadedLabs.find((l) => l.id === c.lab)!.scenarios.find((s) => s.id === c.scenario)!;
    const params: ParamValues = {};
    for (const [name, bound] of Object.entries(c.params)) {
      const p = spec.params.find((q) => q.name === name)!;
      params[name] = bound === 'min' || bound === 'max' ? (p.type === 'integer' ? p[bound] : p.default) : bound;
    }
    const started = performance.now();
    const { run } = await engine.call('runs.start', { labId: c.lab, scenarioId: c.scenario, params });
    const final = await engine.currentRun!.done;
    const events = engine.store.events(run.runId);
    const over = events
      .filter((e): e is StoredEventOf<'host.warning'> => e.kind === 'host.warning')
      .map((e) => /^([\d,]+) events of this run were over its budget/.exec(e.text))
      .find(Boolean);
    const total = events.length + (over ? Number(over[1]!.replace(/,/g, '')) : 0);
    const share = ((100 * total) / RUN_EVENT_BUDGET).toFixed(1);
    console.log(
      `${c.lab}/${c.scenario} ${JSON.stringify(params)}: ${total.toLocaleString('en')} events (${share}% of the budget), ${final.status}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
} finally {
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
}
