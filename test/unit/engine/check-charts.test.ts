/**
 * A check's charts held to what can be drawn (main/engine/check-charts.ts): the loader refuses a bad
 * declaration with checks.ts's file and line, and a check whose outcome draws what it did not declare,
 * or values a chart cannot show, gets an error result naming the check, the chart and the fix.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CHART_MAX_POINTS, CHART_MAX_SERIES, type ChartSeries } from '../../../main/contract/lab-model.js';
import { memoryTrace, type CheckDefinition } from '../../../main/engine/check-kit.js';
import { chartDeclarationProblem, measuredChartsOf } from '../../../main/engine/check-charts.js';
import { loadLabs } from '../../../main/engine/lab-loader.js';
import { runChecks } from '../../../main/engine/run-checks.js';

const speedUp: CheckDefinition = {
  title: 'Speed-up',
  hint: 'h',
  charts: {
    'speed-up': { title: 'Speed-up against processes', x: { label: 'processes', unit: 'processes', scale: 'log2' }, y: { label: 'speed-up', unit: 'x' } },
    other: { title: 'Other', x: { label: 'a', unit: 'u' }, y: { label: 'b', unit: 'v' } },
  },
  check: () => ({ passed: true, detail: '' }),
};

function withCharts(charts: Record<string, unknown>): CheckDefinition {
  return { ...speedUp, check: () => ({ passed: true, detail: 'ran', charts: charts as Record<string, ChartSeries[]> }) };
}

const trace = memoryTrace({ params: {}, processes: [], events: [] });

describe('measuredChartsOf', () => {
  it('builds each chart from its declaration and the series given, in the order declared, scales set', () => {
    const series = [
      {
        name: 'pipes',
        points: [
          { x: 1, y: 1 },
          { x: 2, y: 1.9 },
          { x: 4, y: 3.1 },
        ],
      },
    ];
    const charts = measuredChartsOf('speed', speedUp, { passed: true, detail: '', charts: { other: [], 'speed-up': series } });
    assert.deepEqual(charts, [
      {
        id: 'speed-up',
        title: 'Speed-up against processes',
        x: { label: 'processes', unit: 'processes', scale: 'log2' },
        y: { label: 'speed-up', unit: 'x', scale: 'linear' },
        series,
      },
      { id: 'other', title: 'Other', x: { label: 'a', unit: 'u', scale: 'linear' }, y: { label: 'b', unit: 'v', scale: 'linear' }, series: [] },
    ]);
    assert.deepEqual(measuredChartsOf('speed', speedUp, { passed: true, detail: '' }), [], 'no charts given, none drawn');
  });

  const point = (x: unknown, y: unknown) => [
    {
      name: 'pipes',
      points: [
        { x: 2, y: 1 },
        { x, y },
      ],
    },
  ];
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'an undeclared chart',
      { curve: [] },
      /check "speed" drew chart "curve", which its charts: does not declare \(declared: speed-up, other\)\. Fix: declare it under charts:/,
    ],
    ['a NaN', { 'speed-up': point(4, NaN) }, /check "speed" chart "speed-up": series "pipes" point 2 has y = NaN, which is not a finite number\. Fix: /],
    ['an infinity', { 'speed-up': point(Infinity, 1) }, /point 2 has x = Infinity, which is not a finite number/],
    ['a string', { 'speed-up': point('4', 1) }, /point 2 has x = "4", which is not a finite number/],
    [
      'a zero on a log2 axis',
      { 'speed-up': point(0, 1) },
      /point 2 has x = 0, but its x axis \(processes\) is log2, which holds only positive values\. Fix: leave the point out, or declare the axis scale: 'linear'/,
    ],
    ['a negative on a log2 axis', { 'speed-up': point(-2, 1) }, /x = -2, but its x axis/],
    [
      'too many series',
      { 'speed-up': Array.from({ length: CHART_MAX_SERIES + 1 }, (_, i) => ({ name: `s${i}`, points: [] })) },
      /check "speed" chart "speed-up" has 9 series, more than the 8 a chart can tell apart\. Fix: /,
    ],
    [
      'too many points',
      { other: [{ name: 'long', points: Array.from({ length: CHART_MAX_POINTS + 1 }, (_, i) => ({ x: i, y: i })) }] },
      /check "speed" chart "other": series "long" has 257 points, more than the 256 a series may hold\. Fix: /,
    ],
    [
      'two series of one name',
      {
        other: [
          { name: 'a', points: [] },
          { name: 'a', points: [] },
        ],
      },
      /two series are named "a"/,
    ],
    ['a series without a name', { other: [{ points: [] }] }, /series 1 has no name/],
    ['series that are not a list', { other: { name: 'a' } }, /chart "other" is \{"name":"a"\}\. Fix: give a list of series/],
  ];
  for (const [what, charts, message] of cases) {
    it(`refuses ${what}, naming the check, the chart and the fix`, () => {
      assert.throws(() => measuredChartsOf('speed', withCharts(charts), withCharts(charts).check(trace)), message);
    });
  }

  it("makes the check's result an error that says so (as an undeclared measurement does)", () => {
    const [bad, good] = runChecks(
      [
        { id: 'speed', definition: withCharts({ 'speed-up': point(4, NaN) }) },
        { id: 'fine', definition: withCharts({ other: [{ name: 'a', points: [{ x: 0, y: 0 }] }] }) },
      ],
      trace,
    );
    assert.equal(bad!.passed, false);
    assert.match(bad!.detail, /^The check itself failed: check "speed" chart "speed-up": series "pipes" point 2 has y = NaN/);
    assert.equal(bad!.charts, undefined);
    assert.equal(good!.passed, true);
    assert.deepEqual(
      good!.charts?.map((c) => c.id),
      ['other'],
    );
  });
});

describe('chartDeclarationProblem', () => {
  const axes = { x: { label: 'message size', unit: 'bytes', scale: 'log2' }, y: { label: 'throughput', unit: 'MiB/s' } };
  it('accepts a declaration with a title and two labelled axes with units', () => {
    assert.equal(chartDeclarationProblem('c', 'throughput', { title: 'T', ...axes }), null);
  });
  const cases: [string, unknown, RegExp][] = [
    ['Speed_Up', { title: 'T', ...axes }, /chart "Speed_Up": a chart id is lower-case letters, digits and dashes/],
    ['t', { title: ' ', ...axes }, /chart "t" without a title/],
    ['t', { title: 'T', ...axes, x: { label: '', unit: 'bytes' } }, /its x axis has no label/],
    ['t', { title: 'T', ...axes, y: { label: 'throughput', unit: '' } }, /its y axis \("throughput"\) has no unit/],
    [
      't',
      { title: 'T', ...axes, y: { label: 'l', unit: 'u', scale: 'log10' } },
      /its y axis \("l"\) has scale "log10": use 'linear' \(the default\) or 'log2'/,
    ],
    ['t', { title: 'T', x: axes.x }, /its y axis is missing/],
  ];
  for (const [id, declaration, message] of cases) {
    it(`refuses ${message.source.slice(0, 40)}`, () => assert.match(chartDeclarationProblem('c', id, declaration) ?? '', message));
  }

  it("is the loader's problem for the lab, at the line of checks.ts that names the chart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-lab-charts-'));
    try {
      const lab = join(dir, 'labs', '01-c');
      mkdirSync(join(lab, 'steps'), { recursive: true });
      mkdirSync(join(lab, 'programs'));
      writeFileSync(join(lab, 'programs', 'p.ts'), '');
      const source = [
        'export default {',
        '  first: { title: "F", hint: "h", check: () => ({ passed: true, detail: "" }) },',
        '  curves: {',
        '    title: "C",',
        '    charts: {',
        "      'speed-up': { title: 'S', x: { label: 'k', unit: '' }, y: { label: 's', unit: 'x' } },",
        '    },',
        '  },',
        '};',
      ];
      writeFileSync(join(lab, 'checks.ts'), source.join('\n'));
      writeFileSync(
        join(lab, 'lab.md'),
        '---\ntitle: C\nsummary: C.\nscenarios:\n  only:\n    title: Only\n    programs: [{ role: p, program: programs/p.ts }]\n---\n',
      );
      writeFileSync(join(lab, 'steps', '01-s.md'), '---\ntitle: S\nscenario: only\nchecks: [curves]\n---\nBody.\n');
      const compiled = join(dir, 'dist', '01-c');
      mkdirSync(join(compiled, 'programs'), { recursive: true });
      writeFileSync(join(compiled, 'programs', 'p.js'), '');
      writeFileSync(
        join(compiled, 'checks.js'),
        source.join('\n').replace('title: "C",', 'title: "C", hint: "h", check: () => ({ passed: true, detail: "" }),'),
      );
      const { labs, problems } = await loadLabs(join(dir, 'labs'), join(dir, 'dist'));
      assert.deepEqual(labs, []);
      assert.equal(problems.length, 1);
      assert.equal(problems[0]!.file, 'labs/01-c/checks.ts');
      assert.equal(problems[0]!.line, 6);
      assert.match(problems[0]!.message, /check "curves" declares chart "speed-up": its x axis \("k"\) has no unit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
