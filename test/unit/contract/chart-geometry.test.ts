/** Where a measured chart's marks go (main/contract/chart-geometry.ts): domains, ticks, lines, markers, labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MeasuredChart } from '../../../main/contract/lab-model.js';
import {
  chartLayout,
  linearDomain,
  linearTicks,
  log2Domain,
  log2Ticks,
  markerPath,
  SERIES_STYLES,
  tickLabel,
  valueText,
} from '../../../main/contract/chart-geometry.js';

const sizes = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];
const throughput: MeasuredChart = {
  id: 'throughput',
  title: 'Throughput against message size',
  x: { label: 'message size', unit: 'bytes', scale: 'log2' },
  y: { label: 'throughput', unit: 'MiB/s', scale: 'linear' },
  series: [
    { name: 'pipe', points: sizes.map((x, i) => ({ x, y: 50 + 40 * i })) },
    // Given out of order: the line still runs left to right.
    { name: 'socket', points: [...sizes].reverse().map((x, i) => ({ x, y: 300 - 30 * i })) },
  ],
};

describe('chart scales', () => {
  it('starts a linear axis at 0 and ends it on a nice step past the largest value', () => {
    assert.deepEqual(linearDomain([1, 1.9, 3.1, 3.7]), { min: 0, max: 4 });
    assert.deepEqual(linearDomain([50, 330]), { min: 0, max: 400 });
    assert.deepEqual(linearDomain([-3, 7]), { min: -4, max: 8 });
    assert.deepEqual(linearDomain([]), { min: 0, max: 1 }, 'nothing to show');
    assert.deepEqual(linearDomain([0, 0]), { min: 0, max: 1 });
  });

  it('ticks a linear axis at multiples of 1, 2 or 5 times a power of ten, without float noise', () => {
    assert.deepEqual(linearTicks(0, 400), [0, 100, 200, 300, 400]);
    assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(linearTicks(0, 0.3), [0, 0.1, 0.2, 0.3]);
  });

  it('spans a log2 axis between the powers of two around its values, and ticks each (or every 2nd) one', () => {
    assert.deepEqual(log2Domain([1, 2, 4, 8]), { min: 1, max: 8 });
    assert.deepEqual(log2Domain([3, 5]), { min: 2, max: 8 });
    assert.deepEqual(log2Domain([4]), { min: 2, max: 8 }, 'one value: a power either side');
    assert.deepEqual(log2Ticks(1, 8), [1, 2, 4, 8]);
    assert.deepEqual(log2Ticks(64, 1048576), [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576], '15 powers: every second one');
  });

  it('labels bytes with binary prefixes and other values short', () => {
    assert.deepEqual(
      [64, 1024, 65536, 1048576, 1536].map((v) => tickLabel(v, 'bytes')),
      ['64 B', '1 KiB', '64 KiB', '1 MiB', '1.5 KiB'],
    );
    assert.deepEqual(
      [0, 0.5, 2048, 12000, 3_200_000].map((v) => tickLabel(v, 'x')),
      ['0', '0.5', '2,048', '12k', '3.2M'],
    );
    assert.equal(valueText(65536, 'bytes'), '65,536 bytes');
    assert.equal(valueText(1.23456789, 'x'), '1.23457 x');
  });
});

describe('chartLayout', () => {
  const layout = chartLayout(throughput);

  it('puts the least x at the left of the plot and the largest at its right, the y axis from 0 up', () => {
    const pipe = layout.series[0]!;
    assert.equal(pipe.points[0]!.px, layout.plot.left);
    assert.equal(pipe.points.at(-1)!.px, layout.plot.right);
    assert.equal(layout.y.min, 0);
    assert.equal(layout.y.ticks[0]!.at, layout.plot.bottom, 'the y axis starts at the bottom of the plot');
    // Powers of two are evenly spaced on a log2 axis.
    const gaps = pipe.points.slice(1).map((p, i) => Math.round((p.px - pipe.points[i]!.px) * 10));
    assert.equal(new Set(gaps).size, 1, `even gaps: ${gaps}`);
  });

  it('draws each series as a line in order of x, with its own colour and marker shape', () => {
    const socket = layout.series[1]!;
    assert.deepEqual(
      socket.points.map((p) => p.x),
      sizes,
    );
    assert.match(socket.line, new RegExp(`^M${layout.plot.left}\\.0 [\\d.]+ L[\\d.]+ [\\d.]+( L[\\d.]+ [\\d.]+){6}$`));
    assert.deepEqual(
      layout.series.map((s) => [s.colourVar, s.marker]),
      [
        [SERIES_STYLES[0]!.colourVar, SERIES_STYLES[0]!.marker],
        [SERIES_STYLES[1]!.colourVar, SERIES_STYLES[1]!.marker],
      ],
    );
    assert.equal(new Set(SERIES_STYLES.map((s) => s.marker)).size, SERIES_STYLES.length, 'eight distinct marker shapes');
    assert.equal(new Set(SERIES_STYLES.map((s) => s.colourVar)).size, SERIES_STYLES.length, 'eight distinct colours');
  });

  it('titles the axes with their units and tells a screen reader what the drawing shows', () => {
    assert.equal(layout.x.title, 'message size (bytes)');
    assert.equal(layout.y.title, 'throughput (MiB/s)');
    assert.equal(
      layout.description,
      'Throughput against message size: throughput (MiB/s) against message size (bytes) (log2 scale), 2 series (pipe, socket). Every point is in the table of numbers.',
    );
  });

  it('draws a lone point as a marker without a line, and a chart without points on default axes', () => {
    const lone = chartLayout({ ...throughput, series: [{ name: 'one', points: [{ x: 4096, y: 10 }] }] });
    assert.equal(lone.series[0]!.line, '');
    assert.equal(lone.series[0]!.points.length, 1);
    const empty = chartLayout({ ...throughput, series: [] });
    assert.deepEqual([empty.x.min, empty.x.max, empty.y.min, empty.y.max], [1, 2, 0, 1]);
  });

  it('gives the same bytes for the same chart', () => {
    assert.equal(JSON.stringify(chartLayout(throughput)), JSON.stringify(layout));
    assert.equal(markerPath('square', 10, 20, 2), 'M8.0 18.0 L12.0 18.0 L12.0 22.0 L8.0 22.0 Z');
  });
});

describe('a log2 axis with many powers', () => {
  it('runs on to the next tick, so that both ends are labelled', () => {
    assert.deepEqual(log2Ticks(64, 32768), [64, 256, 1024, 4096, 16384, 65536]);
    const layout = chartLayout({
      ...throughput,
      series: [
        {
          name: 'pipe',
          points: [
            { x: 64, y: 1 },
            { x: 32768, y: 2 },
          ],
        },
      ],
    });
    assert.equal(layout.x.max, 65536);
    assert.equal(layout.x.ticks.at(-1)!.at, layout.plot.right);
    assert.ok(layout.series[0]!.points[1]!.px < layout.plot.right, 'the last point short of the end');
  });
});
