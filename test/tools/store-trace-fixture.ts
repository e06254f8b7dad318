/**
 * Stores a large fixture run (test/bench/trace-scale/fixture-trace.ts: message arrows, blocked calls,
 * pipe occupancy, kernel snapshots) as a finished run of ordinary-pipes / one-way in the IPC Lab home
 * given, and prints its id and event count as JSON. For the end-to-end test of a million-event run, and
 * to look at one by hand: `ipc-lab serve` over the same home, then open #/lab/ordinary-pipes/one-way/run/<id>.
 * Usage: node dist/test/tools/store-trace-fixture.js <home> <events>
 */
import { openEngine } from '../../main/engine/engine.js';
import { storeFixtureRun } from '../bench/trace-scale/fixture-run.js';

export const FIXTURE_LAB = 'ordinary-pipes';
export const FIXTURE_STEP = 'one-way';
/** The fixture's parent has this many children: four lanes. */
export const FIXTURE_CHILDREN = 3;

async function main(): Promise<void> {
  const [home, count] = process.argv.slice(2);
  const events = Number(count);
  if (!home || !Number.isInteger(events) || events < 1) {
    console.error('Usage: store-trace-fixture <IPC Lab home> <number of events>. Fix: give the folder the app uses (IPC_LAB_HOME) and a whole number.');
    process.exit(2);
  }
  const engine = await openEngine({ dataDir: home });
  try {
    const lab = engine.loadedLabs.find((l) => l.id === FIXTURE_LAB);
    if (!lab) throw new Error(`the lab ${FIXTURE_LAB} did not load`);
    const run = storeFixtureRun(engine.store, lab, FIXTURE_STEP, events, FIXTURE_CHILDREN);
    console.log(JSON.stringify({ runId: run.runId, events: run.events, storeMs: Math.round(run.storeMs) }));
  } finally {
    await engine.close();
  }
}

if (process.argv[1]?.endsWith('store-trace-fixture.js') || process.argv[1]?.endsWith('store-trace-fixture.ts')) void main();
