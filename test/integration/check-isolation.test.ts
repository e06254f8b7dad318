/**
 * A lab's checks are code from lab files, a teacher's too: a check that never returns, or that
 * allocates without bound, must cost its own verdict, not the host. The fixture lab
 * test/fixtures/labs/04-runaway-checks has one of each beside a correct check. The run must finish,
 * each runaway check fail saying which limit it went over, the correct one pass, and the host keep
 * answering while the checks run (before they ran in a worker, the host froze for ever on the first
 * and died of the second when its heap was full).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { CHECK_MEMORY_LIMIT_MB, CHECK_TIME_LIMIT_MS, checksFileOf, runChecksInWorker } from '../../main/engine/check-runner.js';
import { assertNothingLeft, FIXTURE_LABS, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

describe('checks run off the host’s event loop, under limits', () => {
  // Generous: the limits add up to about 5 s of checks; the test fails by its timeout where the host froze.
  it(
    'stops a check that never returns and one that allocates without bound, runs the correct one, and the host answers meanwhile',
    { timeout: 120_000 },
    async () => {
      const { engine } = harness;
      /** Once the speaker has exited and the run is still not over, its checks are what is running. */
      let runId: number | undefined;
      let checking = false;
      let done = false;
      let ticksWhileChecking = 0;
      let answersWhileChecking = 0;
      let longestGapMs = 0;
      let lastTick = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        if (checking && !done) longestGapMs = Math.max(longestGapMs, now - lastTick);
        lastTick = now;
        if (runId === undefined || done) return;
        checking ||= engine.store.events(runId).some((e) => e.kind === 'process.exit');
        if (!checking) return;
        ticksWhileChecking++;
        // A request through the engine, answered from the store while the worker spins.
        void engine.call('runs.get', { runId }).then(({ run }) => {
          if (!done && run.runId === runId) answersWhileChecking++;
        });
      }, 20);
      try {
        const finished = await runToEnd(engine, { labId: 'runaway-checks', scenarioId: 'note', stepId: 'runaway' }, (id) => {
          runId = id;
        });
        done = true;
        const { run } = finished;
        const byId = Object.fromEntries(run.checks.map((c) => [c.id, c]));
        assert.equal(byId['loops-for-ever']?.passed, false);
        assert.equal(byId['loops-for-ever']?.detail, `The check loops-for-ever took longer than ${CHECK_TIME_LIMIT_MS / 1000} s, so it was stopped.`);
        assert.equal(byId['allocates-without-bound']?.passed, false);
        assert.equal(
          byId['allocates-without-bound']?.detail,
          `The check allocates-without-bound used more than ${CHECK_MEMORY_LIMIT_MB} MB, so it was stopped.`,
        );
        assert.match(byId['loops-for-ever']!.hint, /bug in the lab's checks\.ts/);
        assert.equal(byId['reads-the-note']?.passed, true, 'the correct check ran after the two were stopped, in a fresh worker');
        assert.equal(byId['reads-the-note']?.detail, '1 note(s) from the speaker.');
        assert.equal(run.status, 'failed');
        assert.ok(ticksWhileChecking > 0, 'the host’s timers fired while the checks ran');
        assert.ok(answersWhileChecking > 0, 'the host answered a request while the checks ran');
        assertNothingLeft(run);
      } finally {
        done = true;
        clearInterval(ticker);
      }
      // A figure, not an assertion (the machine's load decides it): how long the host's loop went unanswered.
      console.log(
        `while the checks ran: ${ticksWhileChecking} ticks of 20 ms, ${answersWhileChecking} requests answered, longest gap ${longestGapMs.toFixed(0)} ms`,
      );
    },
  );

  it('fails a check it cannot run with the reason, and still runs the others', async () => {
    const lab = harness.engine.loadedLabs.find((l) => l.id === 'runaway-checks')!;
    const checksFile = checksFileOf(lab.compiledDir);
    const named = (id: string) => ({ id, definition: lab.checks[id] ?? { title: id, hint: '', check: () => ({ passed: true, detail: '' }) } });
    const [unknown, note] = await runChecksInWorker({
      checksFile,
      checks: [named('not-in-checks-ts'), named('reads-the-note')],
      params: {},
      processes: [],
      source: { events: [] },
    });
    assert.equal(unknown!.passed, false);
    assert.match(unknown!.detail, /^The check not-in-checks-ts could not run: check "not-in-checks-ts" is not defined in .*checks\.js\.$/);
    assert.equal(note!.detail, '0 note(s) from the speaker.', 'the next check ran, in a fresh worker');
    const missing = join(harness.dataDir, 'no-such.sqlite');
    const [unread] = await runChecksInWorker({
      checksFile,
      checks: [named('reads-the-note')],
      params: {},
      processes: [],
      source: { dbFile: missing, runId: 1 },
    });
    assert.equal(unread!.detail, `The check reads-the-note could not run: the run's trace in ${missing} cannot be read (unable to open database file).`);
  });
});
