/**
 * The overview strip above the timeline (issue 13, "Navigation"): the whole run at a glance, one row per
 * lane, each pixel column as dark as the marks in it (on a log scale: a column of 1 mark is visible, one
 * of 10,000 is not 10,000 times darker), with the window on screen marked. Drawn from whatever scene
 * holds the whole run: the page's own model of a small run, or the engine's summarised answer for the
 * whole span of a large one (a bucket mark counts `count` marks). Plain TS: unit tests run it under Node.
 */
import type { TraceScene } from './window-scene.js';

/** Per lane, marks per pixel column of [t0, t1) ms at `width` columns. */
export function overviewDensity(scene: TraceScene, t0: number, t1: number, width: number): Float64Array[] {
  const span = Math.max(t1 - t0, 1e-6);
  return scene.lanes.map((lane) => {
    const columns = new Float64Array(Math.max(width, 1));
    for (const mark of scene.marks[lane.index] ?? []) {
      const x = Math.floor(((mark.t - t0) / span) * width);
      if (x >= 0 && x < width) columns[x]! += mark.count ?? 1;
    }
    return columns;
  });
}

/** How dark a column of `count` marks is drawn, 0 to 1: log-scaled against the busiest column of the strip. */
export function densityShade(count: number, busiest: number): number {
  if (count <= 0) return 0;
  return 0.25 + 0.75 * (Math.log1p(count) / Math.log1p(Math.max(busiest, 1)));
}

/**
 * Where a click at `x` of a `width`-pixel strip over [0, end] ms moves the window: centred there, its span
 * kept (a fitted timeline zooms to a tenth of the run), and kept inside the run.
 */
export function windowAt(x: number, width: number, end: number, shown: { t0: number; t1: number } | null): { t0: number; t1: number } {
  const t = (Math.min(Math.max(x, 0), width) / Math.max(width, 1)) * end;
  const span = Math.min(shown ? shown.t1 - shown.t0 : end / 10, end);
  const t0 = Math.min(Math.max(t - span / 2, 0), Math.max(end - span, 0));
  return { t0, t1: t0 + span };
}
