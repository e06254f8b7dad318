/**
 * The charts a check draws (check-kit.ts `charts`), held to what the page, the CLI and the report can
 * draw honestly: the lab loader checks each declaration (`chartDeclarationProblem`), and run-checks.ts
 * turns an outcome's series into MeasuredCharts (`measuredChartsOf`), refusing a chart the check did
 * not declare, a value that is not a finite number (or not positive on a log2 axis), and more series
 * or points than a chart can show. A refusal is the check's bug, so it throws, as an undeclared
 * measurement does: the check's result then says, in one sentence, which check, which chart, and the fix.
 */
import { CHART_MAX_POINTS, CHART_MAX_SERIES, type ChartAxis, type ChartSeries, type MeasuredChart } from '../contract/lab-model.js';
import type { CheckDefinition, CheckOutcome, ChartDeclaration } from './check-kit.js';

/** A chart's id: lower-case words and dashes, like a check's. */
export const CHART_ID = /^[a-z0-9][a-z0-9-]*$/;

/** What is wrong with one declared chart, for the lab loader (file and line are its business), or null. */
export function chartDeclarationProblem(checkId: string, chartId: string, declaration: unknown): string | null {
  const where = `check "${checkId}" declares chart "${chartId}"`;
  if (!CHART_ID.test(chartId)) return `${where}: a chart id is lower-case letters, digits and dashes, like speed-up`;
  if (typeof declaration !== 'object' || declaration === null)
    return `${where} as ${JSON.stringify(declaration)}: give { title, x: { label, unit }, y: { label, unit } }`;
  const { title, x, y } = declaration as Partial<ChartDeclaration>;
  if (typeof title !== 'string' || title.trim() === '') return `${where} without a title: give it title: (the figure's caption)`;
  for (const [name, axis] of [
    ['x', x],
    ['y', y],
  ] as const) {
    const problem = axisProblem(axis);
    if (problem) return `${where}: its ${name} axis ${problem}`;
  }
  return null;
}

function axisProblem(axis: unknown): string | null {
  if (typeof axis !== 'object' || axis === null) return "is missing: give { label, unit, scale?: 'linear' | 'log2' }";
  const { label, unit, scale } = axis as Partial<ChartAxis>;
  if (typeof label !== 'string' || label.trim() === '') return 'has no label: say what it shows, like "message size"';
  if (typeof unit !== 'string' || unit.trim() === '') return `("${label}") has no unit: give one, like "bytes", "MiB/s" or "x"`;
  if (scale !== undefined && scale !== 'linear' && scale !== 'log2')
    return `("${label}") has scale ${JSON.stringify(scale)}: use 'linear' (the default) or 'log2'`;
  return null;
}

/**
 * The outcome's charts, in the order the definition declares them, each with its declaration's title
 * and axes (scale set). Throws, naming the check, the chart and the fix, on anything a chart cannot show.
 */
export function measuredChartsOf(checkId: string, definition: CheckDefinition, outcome: CheckOutcome): MeasuredChart[] {
  const given = outcome.charts ?? {};
  const declared = definition.charts ?? {};
  for (const id of Object.keys(given)) {
    if (!Object.hasOwn(declared, id))
      throw new Error(
        `check "${checkId}" drew chart "${id}", which its charts: does not declare (declared: ${Object.keys(declared).join(', ') || 'none'}). ` +
          `Fix: declare it under charts: in checks.ts, or return only the charts declared`,
      );
  }
  return Object.entries(declared)
    .filter(([id]) => Object.hasOwn(given, id))
    .map(([id, declaration]) => {
      const chart: MeasuredChart = {
        id,
        title: declaration.title,
        x: { label: declaration.x.label, unit: declaration.x.unit, scale: declaration.x.scale ?? 'linear' },
        y: { label: declaration.y.label, unit: declaration.y.unit, scale: declaration.y.scale ?? 'linear' },
        series: [],
      };
      chart.series = seriesOf(`check "${checkId}" chart "${id}"`, chart, given[id]);
      return chart;
    });
}

function seriesOf(where: string, chart: MeasuredChart, given: unknown): ChartSeries[] {
  if (!Array.isArray(given))
    throw new Error(`${where} is ${JSON.stringify(given) ?? String(given)}. Fix: give a list of series, [{ name, points: [{ x, y }] }]`);
  if (given.length > CHART_MAX_SERIES)
    throw new Error(
      `${where} has ${given.length} series, more than the ${CHART_MAX_SERIES} a chart can tell apart. Fix: draw fewer, or split them over two charts`,
    );
  const names = new Set<string>();
  return given.map((series: Partial<ChartSeries> | null, index) => {
    const name = series?.name;
    if (typeof name !== 'string' || name.trim() === '')
      throw new Error(`${where}: series ${index + 1} has no name. Fix: give each series a name: (the legend's text)`);
    if (names.has(name)) throw new Error(`${where}: two series are named "${name}". Fix: give each series its own name (the legend tells them apart by it)`);
    names.add(name);
    const points = series!.points;
    if (!Array.isArray(points)) throw new Error(`${where}: series "${name}" has no list of points. Fix: give points: [{ x, y }, ...]`);
    if (points.length > CHART_MAX_POINTS)
      throw new Error(
        `${where}: series "${name}" has ${points.length} points, more than the ${CHART_MAX_POINTS} a series may hold. ` +
          `Fix: give one point per value measured (a chart is a curve over parameters, not a trace)`,
      );
    return {
      name,
      points: points.map((point: unknown, at) => {
        const { x, y } = (point ?? {}) as { x?: unknown; y?: unknown };
        return { x: value(where, chart.x, 'x', x, name, at), y: value(where, chart.y, 'y', y, name, at) };
      }),
    };
  });
}

function value(where: string, axis: MeasuredChart['x'], name: 'x' | 'y', v: unknown, series: string, at: number): number {
  const point = `${where}: series "${series}" point ${at + 1} has ${name} = ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${point}, which is not a finite number. Fix: give a point only for a value the run measured`);
  if (axis.scale === 'log2' && v <= 0)
    throw new Error(
      `${point}, but its ${name} axis (${axis.label}) is log2, which holds only positive values. Fix: leave the point out, or declare the axis scale: 'linear'`,
    );
  return v;
}
