/**
 * Charts end to end, on a real run of test/fixtures/labs/06-charts: the check's chart is read off the
 * trace, stored with the run's results and comes back in runs.get and in the report; a chart the check
 * draws wrongly makes its result an error that names the check, the chart and the fix.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { SessionReport } from '../../main/contract/report-format.js';
import type { StoredEventOf } from '../../main/contract/trace-events.js';
import { findProjectRoot } from '../../main/project-root.js';
import { verifyReportBytes } from '../../main/report/verify.js';
import { assertNothingLeft, FIXTURE_LABS, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';

let harness: Harness;
before(async () => {
  harness = await openHarness(FIXTURE_LABS);
});
after(async () => {
  await harness.close();
});

const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
const start = (drawing: string, largest = 16384) => ({ labId: 'charts', scenarioId: 'sizes', stepId: 'sizes', params: { drawing, largest } });

describe('a check that draws a chart', () => {
  it("carries the chart, read off the run's io.end events, in the result, in runs.get and in the report", async () => {
    const { run, stored } = await runToEnd(harness.engine, start('right', 4096));
    assert.equal(run.status, 'passed', JSON.stringify(run.checks));
    const [check] = run.checks;
    assert.equal(check!.charts?.length, 1);
    const chart = check!.charts![0]!;
    assert.deepEqual(
      { id: chart.id, title: chart.title, x: chart.x, y: chart.y },
      {
        id: 'time-by-size',
        title: 'Time of each call against message size',
        x: { label: 'message size', unit: 'bytes', scale: 'log2' },
        y: { label: 'time', unit: 'µs', scale: 'linear' },
      },
    );
    const ends = stored.filter((e): e is StoredEventOf<'io.end'> => e.kind === 'io.end' && e.channel === 'pipe' && e.bytes > 0);
    for (const op of ['write', 'read'] as const) {
      const series = chart.series.find((s) => s.name === op);
      assert.deepEqual(
        series?.points,
        ends.filter((e) => e.op === op).map((e) => ({ x: e.bytes, y: Number(e.durationNs) / 1000 })),
        `the ${op} series is the kernel calls' own sizes and times`,
      );
      assert.deepEqual(
        series!.points.map((p) => p.x),
        [64, 128, 256, 512, 1024, 2048, 4096],
      );
    }

    const got = await harness.engine.call('runs.get', { runId: run.runId });
    assert.deepEqual(got.run.checks[0]!.charts, check!.charts, 'stored with the results and given back as they were');

    await harness.engine.call('identity.set', { name: 'Ada Lovelace' });
    const exported = await harness.engine.call('report.export', { labId: 'charts', format: 'json' });
    const report = JSON.parse(exported.content) as SessionReport;
    assert.deepEqual(report.labs[0]!.steps[0]!.chosen?.checks[0]!.charts, check!.charts);
    const verdict = await verifyReportBytes(exported.fileName, Buffer.from(exported.content), harness.engine.loadedLabs);
    assert.equal(verdict.ok, true, verdict.layers.map((l) => `${l.ok ? 'ok' : 'FAIL'} ${l.text}`).join('\n'));

    // The HTML report draws it as the page does: the figure, its SVG and every point in its table.
    const html = (await harness.engine.call('report.export', { labId: 'charts', format: 'html' })).content;
    const figure = /<figure class="measured-chart" data-chart-id="time-by-size">[\s\S]*?<\/figure>/.exec(html)?.[0] ?? '';
    assert.match(figure, /<figcaption>Time of each call against message size<\/figcaption>/);
    assert.match(
      figure,
      /<svg role="img" aria-label="Time of each call against message size: time \(µs\) against message size \(bytes\) \(log2 scale\), 2 series \(write, read\)\./,
    );
    assert.match(figure, /<details class="numbers"><summary>Numbers<\/summary><table>/);
    assert.equal(figure.match(/<tr><td>/g)?.length, 14, 'one row per point: 7 sizes, written and read');
    assert.match(figure, /<tr><td>write<\/td><td class="num">4,096 bytes<\/td><td class="num">[\d.,]+ µs<\/td><\/tr>/);

    // The CLI: show --json carries it; show's text prints its points as a table.
    const env = { ...process.env, IPC_LAB_HOME: harness.dataDir };
    const json = JSON.parse((await promisify(execFile)(process.execPath, [cli, 'show', String(run.runId), '--json'], { env })).stdout) as { run: typeof run };
    assert.deepEqual(json.run.checks[0]!.charts, check!.charts);
    const text = (await promisify(execFile)(process.execPath, [cli, 'show', String(run.runId)], { env })).stdout;
    assert.match(text, /\n {6}chart: Time of each call against message size\n {8}series +message size \(bytes\) +time \(µs\)\n {8}write +64 +[\d.,]+\n/);
    assert.equal(text.match(/^ {8}(write|read) /gm)?.length, 14, 'every point');
    assertNothingLeft(run);
  });

  const wrong: [string, RegExp][] = [
    ['undeclared', /check "times-by-size" drew chart "size-by-time", which its charts: does not declare \(declared: time-by-size\)\. Fix: declare it/],
    ['not-a-number', /check "times-by-size" chart "time-by-size": series "write" point \d+ has y = NaN, which is not a finite number\. Fix: /],
    [
      'zero-on-log2',
      /check "times-by-size" chart "time-by-size": series "write" point 1 has x = 0, but its x axis \(message size\) is log2, which holds only positive values\. Fix: /,
    ],
    ['too-many-series', /check "times-by-size" chart "time-by-size" has 9 series, more than the 8 a chart can tell apart\. Fix: /],
    ['too-many-points', /check "times-by-size" chart "time-by-size": series "write" has 257 points, more than the 256 a series may hold\. Fix: /],
  ];
  for (const [drawing, message] of wrong) {
    it(`fails the check with a clear error when it draws ${drawing}`, async () => {
      const { run } = await runToEnd(harness.engine, start(drawing, 256));
      assert.equal(run.status, 'failed');
      const [check] = run.checks;
      assert.equal(check!.passed, false);
      assert.match(check!.detail, /^The check itself failed: /);
      assert.match(check!.detail, message);
      assert.equal(check!.hint, "This is a bug in the lab's checks.ts.");
      assert.equal(check!.charts, undefined, 'no half-drawn chart is kept');
      assertNothingLeft(run);
    });
  }
});
