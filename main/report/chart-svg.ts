/**
 * A check's measured chart as static HTML for the report: the same geometry as the page's
 * MeasuredChart.svelte (main/contract/chart-geometry.ts) and the same DOM, a
 * <figure class="measured-chart"> captioned with the chart's title, an <svg role="img" aria-label>,
 * a legend and <details><summary>Numbers</summary><table> with every point (opened when printed).
 * Colours are the light theme's (a report has no theme), each series with its own marker shape so
 * that it stays apart in black and white. No script, no external reference; the same chart always
 * gives the same bytes.
 */
import type { MeasuredChart } from '../contract/lab-model.js';
import { chartLayout, markerIsStroke, markerPath, valueText, type SeriesLayout } from '../contract/chart-geometry.js';
import { escapeMarkup as esc } from './escape-markup.js';

export function chartFigure(chart: MeasuredChart): string {
  const layout = chartLayout(chart);
  const { plot } = layout;
  const marks: string[] = [];
  for (const t of layout.y.ticks)
    marks.push(
      `<line x1="${plot.left}" x2="${plot.right}" y1="${t.at}" y2="${t.at}" stroke="#e0e0e0"/>` +
        `<text x="${plot.left - 6}" y="${t.at}" text-anchor="end" dominant-baseline="middle" class="tick">${esc(t.label)}</text>`,
    );
  for (const t of layout.x.ticks)
    marks.push(
      `<line x1="${t.at}" x2="${t.at}" y1="${plot.top}" y2="${plot.bottom}" stroke="#e0e0e0"/>` +
        `<text x="${t.at}" y="${plot.bottom + 16}" text-anchor="middle" class="tick">${esc(t.label)}</text>`,
    );
  marks.push(`<path d="M${plot.left} ${plot.top} V${plot.bottom} H${plot.right}" fill="none" stroke="#4a4a4a"/>`);
  marks.push(`<text x="${(plot.left + plot.right) / 2}" y="${layout.height - 8}" text-anchor="middle" class="axis-title">${esc(layout.x.title)}</text>`);
  marks.push(
    `<text transform="translate(14 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-title">${esc(layout.y.title)}</text>`,
  );
  for (const s of layout.series) {
    if (s.line) marks.push(`<path d="${s.line}" fill="none" stroke="${s.print}" stroke-width="2"/>`);
    for (const p of s.points) marks.push(marker(s, p.marker));
  }
  const legend = layout.series.map(
    (s) =>
      `<li><svg class="key" viewBox="0 0 24 12" width="24" height="12" aria-hidden="true"><path d="M0 6 H24" stroke="${s.print}" stroke-width="2"/>` +
      `${marker(s, markerPath(s.marker, 12, 6, 4))}</svg>${esc(s.name)}</li>`,
  );
  const rows = chart.series.flatMap((s) =>
    s.points.map(
      (p) =>
        `<tr><td>${esc(s.name)}</td><td class="num">${esc(valueText(p.x, chart.x.unit))}</td><td class="num">${esc(valueText(p.y, chart.y.unit))}</td></tr>`,
    ),
  );
  return [
    `<figure class="measured-chart" data-chart-id="${esc(chart.id)}">`,
    `<figcaption>${esc(chart.title)}</figcaption>`,
    `<svg role="img" aria-label="${esc(layout.description)}" viewBox="0 0 ${layout.width} ${layout.height}" xmlns="http://www.w3.org/2000/svg">${marks.join('')}</svg>`,
    `<ul class="chart-legend">${legend.join('')}</ul>`,
    '<details class="numbers"><summary>Numbers</summary><table>',
    `<thead><tr><th scope="col">Series</th><th scope="col">${esc(chart.x.label)}</th><th scope="col">${esc(chart.y.label)}</th></tr></thead>`,
    `<tbody>${rows.join('')}</tbody>`,
    '</table></details>',
    '</figure>',
  ].join('\n');
}

function marker(s: SeriesLayout, d: string): string {
  return markerIsStroke(s.marker)
    ? `<path d="${d}" fill="none" stroke="${s.print}" stroke-width="2"/>`
    : `<path d="${d}" fill="${s.print}" stroke="${s.print}"/>`;
}

/** The report's CSS for charts (appended to report-html.ts's STYLE). */
export const CHART_STYLE = `
figure.measured-chart { margin: .5rem 0 .6rem; max-width: 30rem; }
figure.measured-chart figcaption { font-weight: 600; font-size: .9rem; color: #1a1a1a; margin: 0 0 .2rem; }
figure.measured-chart svg[role="img"] { display: block; width: 100%; height: auto; }
figure.measured-chart .tick { font-size: 12px; fill: #4a4a4a; }
figure.measured-chart .axis-title { font-size: 12px; fill: #1a1a1a; }
ul.chart-legend { list-style: none; padding: 0; margin: .2rem 0; display: flex; flex-wrap: wrap; gap: .2rem 1rem; font-size: .85rem; }
ul.chart-legend li { display: flex; align-items: center; gap: .35rem; }
details.numbers { font-size: .85rem; }
details.numbers table { width: auto; }
details.numbers table td, details.numbers table th { padding: .1rem .6rem .1rem 0; }
@media print {
  details.numbers > summary { list-style: none; }
  details.numbers::details-content { content-visibility: visible; display: block; }
}
`;

/** Control characters XML does not allow in a document; they become U+FFFD. */
