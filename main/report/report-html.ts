/**
 * The session report as one self-contained HTML file: readable offline in any browser, printable, and
 * carrying the report's JSON so `ipc-lab report verify` can check it.
 *
 * Self-contained means no request of any kind: inline CSS, system fonts, the timelines as inline SVG, an
 * empty data: favicon (browsers otherwise ask for /favicon.ico), and a Content-Security-Policy that
 * would refuse anything else (`default-src 'none'`): no script runs; the embedded JSON is a
 * `<script type="application/json">` data block, which browsers never execute.
 *
 * Integrity (what verify checks on the HTML itself): the file holds exactly one
 *   <meta name="ipc-lab-html-digest" content="sha256:<64 hex>">
 * whose hex is SHA-256 over the whole file's UTF-8 bytes with those 64 characters written as zeros.
 * Every text from the report is escaped, so neither the embedded JSON (where `<` is written `\u003c`)
 * nor any text a student typed can contain a second such tag or close the script block early.
 * The report's own digest and evidence chains (main/contract/report-format.ts) cover the JSON; this
 * digest covers the page drawn from it.
 *
 * Deterministic: the same report gives byte-identical HTML (times are written in UTC from the report's
 * ISO strings, never in the reader's locale).
 */
import type { CheckResult, Grade, ParamValue, ParamValues, ProcessInfo, Question, RunStatus, SavedAnswer, StepMastery } from '../contract/lab-model.js';
import {
  ACTIVITY_GAP_MS,
  type AttemptSummary,
  type KernelFact,
  type ReportLab,
  type ReportPrediction,
  type ReportRun,
  type ReportStep,
  type SessionReport,
} from '../contract/report-format.js';
import { answerText } from '../contract/answer-rules.js';
import { fillQuestion } from '../contract/param-template.js';
import { parseFiniteJson, sha256Hex } from '../engine/evidence-chain.js';
import { timelineSvg } from './timeline-svg.js';
import { CHART_STYLE, chartFigure } from './chart-svg.js';
import { escapeMarkup as esc } from './escape-markup.js';

export const HTML_DIGEST_META = 'ipc-lab-html-digest';
export const REPORT_SCRIPT_ID = 'ipc-lab-report';

const ZERO_DIGEST = '0'.repeat(64);
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
/** Finds the digest tag; the page writes it exactly like this, and text from the report can never produce it (it is escaped). */
const DIGEST_TAG = new RegExp(`<meta name="${HTML_DIGEST_META}" content="sha256:([0-9a-f]{64})">`, 'g');
/** A digest tag's content with its name edited away (the name alone is found as text). */
const DAMAGED_DIGEST = /content=.?sha256:[0-9a-f]{40,}/;
const SCRIPT_OPEN = `<script type="application/json" id="${REPORT_SCRIPT_ID}">`;

/** The report as HTML, with a zero digest: pass it to sealHtml before writing it out. */
export function renderReportHtml(report: SessionReport): string {
  const who = report.student.studentId ? `${report.student.name} (${report.student.studentId})` : report.student.name;
  const body = [
    header(report, who),
    claims(report),
    summary(report),
    about(report),
    ...report.labs.map((lab, i) => labSection(report, lab, i)),
    footer(report),
  ].join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="${HTML_DIGEST_META}" content="sha256:${ZERO_DIGEST}">`,
    `<meta name="generator" content="${esc(`${report.app.name} ${report.app.version}`)}">`,
    '<link rel="icon" href="data:,">',
    `<title>${esc(`IPC Lab report: ${who}`)}</title>`,
    `<style>${STYLE}${CHART_STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    `${SCRIPT_OPEN}${embedJson(report)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Fills in the digest tag: SHA-256 of the file with the tag's 64 hex characters as zeros. */
export function sealHtml(html: string): string {
  const tags = [...html.matchAll(DIGEST_TAG)];
  if (tags.length !== 1) throw new Error(`sealHtml: the page must hold exactly one ${HTML_DIGEST_META} tag, it holds ${tags.length}`);
  const tag = tags[0]!;
  const start = tag.index + tag[0].indexOf('sha256:') + 'sha256:'.length;
  const zeroed = html.slice(0, start) + ZERO_DIGEST + html.slice(start + 64);
  return html.slice(0, start) + sha256Hex(zeroed) + html.slice(start + 64);
}

export interface HtmlReportReading {
  /** The embedded report as parsed JSON (not yet checked against the format), or undefined when there is none. */
  report: unknown;
  /**
   * `ok`: the page is as exported; `mismatch`: it changed after export (its digest differs, or its
   * digest tag was damaged or doubled); `missing`: it has no digest tag at all (not an exported report).
   */
  htmlDigest: 'ok' | 'mismatch' | 'missing';
  /** What is wrong, in a sentence, when something is. */
  problem?: string;
}

/** Reads an HTML report back: the embedded JSON and whether the page's digest still matches. */
export function readHtmlReport(html: string): HtmlReportReading {
  const problems: string[] = [];
  let report: unknown = undefined;
  const open = html.indexOf(SCRIPT_OPEN);
  if (open === -1)
    problems.push(`it holds no embedded report (a <script type="application/json" id="${REPORT_SCRIPT_ID}"> block); it is not an IPC Lab HTML report`);
  else {
    const from = open + SCRIPT_OPEN.length;
    const close = html.indexOf('</script>', from);
    if (close === -1) problems.push(`the embedded report (script id ${REPORT_SCRIPT_ID}) is cut short: its </script> is missing`);
    else {
      try {
        report = parseFiniteJson(html.slice(from, close));
      } catch (error) {
        problems.push(`the embedded report (script id ${REPORT_SCRIPT_ID}) is not valid JSON: ${(error as Error).message}`);
      }
    }
  }

  let htmlDigest: HtmlReportReading['htmlDigest'];
  const tags = [...html.matchAll(DIGEST_TAG)];
  if (tags.length === 1) {
    const tag = tags[0]!;
    const start = tag.index + tag[0].indexOf('sha256:') + 'sha256:'.length;
    const zeroed = html.slice(0, start) + ZERO_DIGEST + html.slice(start + 64);
    const actual = sha256Hex(zeroed);
    htmlDigest = actual === tag[1] ? 'ok' : 'mismatch';
    if (htmlDigest === 'mismatch') problems.push(`the page changed after it was exported: its SHA-256 is ${actual}, its digest tag says ${tag[1]}`);
  } else if (tags.length > 1) {
    // An exported page has exactly one, and nothing in it can make a second: someone added one.
    htmlDigest = 'mismatch';
    problems.push(`the page changed after it was exported: it has ${tags.length} <meta name="${HTML_DIGEST_META}"> tags where an exported report has one`);
  } else if (html.includes(HTML_DIGEST_META) || DAMAGED_DIGEST.test(html)) {
    // What is left of a tag whose name, quotes or digits were edited.
    htmlDigest = 'mismatch';
    problems.push(`the page changed after it was exported: its <meta name="${HTML_DIGEST_META}"> tag is damaged`);
  } else {
    htmlDigest = 'missing';
    problems.push(`it has no <meta name="${HTML_DIGEST_META}"> tag with a sha256 digest, so the page itself cannot be checked`);
  }
  return problems.length > 0 ? { report, htmlDigest, problem: problems.join('; ') } : { report, htmlDigest };
}

/** JSON that cannot end the script block early or break a line in old parsers: `<`, U+2028 and U+2029 as \u escapes. */
function embedJson(report: SessionReport): string {
  return JSON.stringify(report)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------------------------------
// Sections

function header(report: SessionReport, who: string): string {
  const scope = report.labId === null ? 'all labs' : (report.labs.find((l) => l.id === report.labId)?.title ?? report.labId);
  return [
    '<header class="title">',
    '<h1>IPC Lab session report</h1>',
    `<p class="who"><strong>${esc(who)}</strong></p>`,
    `<p class="meta">Exported ${time(report.generatedAt)} · covers ${esc(scope)} · time on task ${esc(formatDuration(report.timeOnTaskMs))}</p>`,
    '</header>',
  ].join('\n');
}

function claims(report: SessionReport): string {
  return [
    '<section class="claims" aria-labelledby="claims-title">',
    '<h2 id="claims-title">What this report proves</h2>',
    `<p>${esc(report.claims)}</p>`,
    `<p class="meta">A teacher checks it with <code>ipc-lab report verify FILE</code>. Report digest: <code class="hash" title="${esc(report.digest)}">sha256:${esc(short(report.digest, 16))}</code></p>`,
    '</section>',
  ].join('\n');
}

function summary(report: SessionReport): string {
  const rows = report.summary.map(
    (t) =>
      `<tr><th scope="row">${esc(t.title)}</th><td class="num">${t.mastered}</td><td class="num">${t.attempted}</td><td class="num">${t.notStarted}</td><td class="num">${t.mastered + t.attempted + t.notStarted}</td></tr>`,
  );
  if (report.summary.length > 1) {
    const sum = (f: (t: SessionReport['summary'][number]) => number) => report.summary.reduce((a, t) => a + f(t), 0);
    rows.push(
      `<tr class="total"><th scope="row">All labs</th><td class="num">${sum((t) => t.mastered)}</td><td class="num">${sum((t) => t.attempted)}</td><td class="num">${sum((t) => t.notStarted)}</td><td class="num">${sum((t) => t.mastered + t.attempted + t.notStarted)}</td></tr>`,
    );
  }
  const table =
    report.summary.length === 0
      ? '<p>No lab in this report.</p>'
      : [
          '<table class="summary">',
          '<thead><tr><th scope="col">Lab</th><th scope="col" class="num">Mastered</th><th scope="col" class="num">Attempted</th><th scope="col" class="num">Not started</th><th scope="col" class="num">Steps</th></tr></thead>',
          `<tbody>${rows.join('')}</tbody>`,
          '</table>',
        ].join('\n');
  return ['<section class="summary" aria-labelledby="summary-title">', '<h2 id="summary-title">Summary</h2>', table, '</section>'].join('\n');
}

function about(report: SessionReport): string {
  const m = report.machine;
  const rows: [string, string][] = [
    ['Student', esc(report.student.name)],
    ['Student id', report.student.studentId ? esc(report.student.studentId) : 'not given'],
    ['Exported', time(report.generatedAt)],
    [
      'Time on task',
      `${esc(formatDuration(report.timeOnTaskMs))} <span class="meta">(runs and saved answers; breaks over ${ACTIVITY_GAP_MS / 60_000} min left out)</span>`,
    ],
    ['App', `${esc(report.app.name)} ${esc(report.app.version)} <span class="meta">(report format ${esc(report.format)})</span>`],
    [
      'Evidence',
      report.evidence === 'full'
        ? 'every trace event of each run shown in full is embedded'
        : 'each run shown in full embeds the trace events its checks need (the rest by their hashes)',
    ],
    ['Machine', `${esc(m.os)} ${esc(m.kernel)}, ${esc(m.arch)}, ${m.cores} ${m.cores === 1 ? 'core' : 'cores'}`],
    ['Boot id', m.bootId ? `<code>${esc(m.bootId)}</code>` : 'not known (not Linux)'],
  ];
  const versions =
    report.labs.length === 0
      ? ''
      : [
          '<table class="versions">',
          '<thead><tr><th scope="col">Lab</th><th scope="col">Version (SHA-256 of its files)</th></tr></thead>',
          `<tbody>${report.labs.map((lab) => `<tr><th scope="row">${esc(lab.title)}</th><td>${hash(lab.version)}</td></tr>`).join('')}</tbody>`,
          '</table>',
        ].join('\n');
  return [
    '<section class="about" aria-labelledby="about-title">',
    '<h2 id="about-title">Who, when, where</h2>',
    `<table class="facts"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>`,
    versions,
    '</section>',
  ].join('\n');
}

function labSection(report: SessionReport, lab: ReportLab, labIndex: number): string {
  const tally = report.summary.find((t) => t.labId === lab.id);
  const line = tally ? `${tally.mastered} mastered, ${tally.attempted} attempted, ${tally.notStarted} not started` : `${lab.steps.length} steps`;
  let first = true;
  const steps = lab.steps.map((step, stepIndex) => {
    const full = step.attempts.length > 0 || step.chosen !== null || step.prediction !== null;
    if (!full) return `<p class="step not-started" id="${stepId(lab, step)}">${stepBadge('not-started')} <strong>${esc(step.title)}</strong>: not started.</p>`;
    const html = stepSection(report, lab, step, `tl-${labIndex}-${stepIndex}`, first);
    first = false;
    return html;
  });
  return [
    `<section class="lab" id="lab-${esc(lab.id)}" aria-labelledby="lab-${esc(lab.id)}-title">`,
    `<h2 id="lab-${esc(lab.id)}-title">${esc(lab.title)}</h2>`,
    `<p class="meta">${esc(line)} · version ${hash(lab.version)}</p>`,
    ...steps,
    quiz(lab),
    '</section>',
  ].join('\n');
}

function stepSection(report: SessionReport, lab: ReportLab, step: ReportStep, idPrefix: string, firstInLab: boolean): string {
  const parts = [
    `<article class="step${firstInLab ? '' : ' page'}" id="${stepId(lab, step)}">`,
    `<h3>${esc(step.title)} <span class="status">${stepBadge(masteryStatus(step))}</span></h3>`,
    mastery(step),
    prediction(step.prediction),
    questions(step),
    attempts(step),
    step.chosen ? chosenRun(report, lab, step.chosen, idPrefix) : '<p>No run of this step yet.</p>',
    '</article>',
  ];
  return parts.join('\n');
}

/** A step's mastery; a report exported before mastery existed says what its status said. */
function masteryStatus(step: ReportStep): StepMastery['status'] {
  return step.mastery?.status ?? (step.status === 'passed' ? 'mastered' : step.status);
}

function mastery(step: ReportStep): string {
  const m = step.mastery;
  if (!m) return '';
  const hasControl = step.attempts.some((a) => a.control) || m.controlRun !== null;
  const items = [
    `${m.predictedFirst ? '✓' : '✗'} every question answered before the step's first run`,
    `${m.passingRun !== null ? `✓ a run whose checks all pass (run ${m.passingRun})` : '✗ no run whose checks all pass yet'}`,
    ...(hasControl || m.controlRun !== null
      ? [`${m.controlRun !== null ? `✓ the control run came out as expected (run ${m.controlRun})` : '✗ the control has not been run yet'}`]
      : []),
    `hints shown: ${m.hintsShown}`,
  ];
  return `<ul class="mastery">${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
}

function questions(step: ReportStep): string {
  const q = step.questions;
  if (!q) return '';
  // Carried as the lab writes them ({slots}); shown with the values of the run they were graded against.
  const shown = step.chosen ? q.questions.map((question) => fillQuestion(question, step.chosen!.params)) : q.questions;
  const tested = (v: SavedAnswer) => (v.lockedByRun === null ? 'not tested by a run yet' : `tested first by run ${v.lockedByRun}`);
  return [
    '<section class="questions">',
    '<h4>Questions</h4>',
    questionList(shown, q.versions, q.grades, 'in the run shown', tested),
    `<p class="meta">Every saved version is listed, oldest first; the first ones are the answers given before the step's first run. Answer chain head ${hash(q.chainHead)}.</p>`,
    '</section>',
  ].join('\n');
}

function quiz(lab: ReportLab): string {
  const q = lab.quiz;
  if (!q) return '';
  const answered = new Set(q.versions.map((v) => v.questionId)).size;
  return [
    `<section class="quiz" id="lab-${esc(lab.id)}-quiz">`,
    `<h3>Quiz <span class="meta">${answered} of ${q.questions.length} answered</span></h3>`,
    questionList(q.questions, q.versions, q.grades, 'last answer', () => ''),
    `<p class="meta">Every saved version is listed, oldest first; the last one is graded. Answer chain head ${hash(q.chainHead)}.</p>`,
    '</section>',
  ].join('\n');
}

/** Questions with every saved version of their answers and the grade each got. */
function questionList(questions: Question[], versions: SavedAnswer[], grades: Grade[], gradedWhat: string, versionNote: (v: SavedAnswer) => string): string {
  const items = questions.map((question) => {
    const own = versions.filter((v) => v.questionId === question.id);
    const grade = grades.find((g) => g.questionId === question.id);
    const list = own
      .map((v) => {
        const note = versionNote(v);
        return `<li><span class="answer-value">${esc(answerText(question, v.value))}</span> <span class="meta">saved ${time(v.savedAt)}${note ? `, ${esc(note)}` : ''}</span></li>`;
      })
      .join('');
    return [
      '<li class="question">',
      `<p class="prompt">${esc(question.prompt)}</p>`,
      own.length > 0 ? `<ol class="versions">${list}</ol>` : '<p class="meta">Not answered.</p>',
      grade
        ? `<p class="grade ${grade.verdict}"><strong>${esc(VERDICT_TEXT[grade.verdict])}</strong> ${esc(gradedWhat)}: ${esc(grade.feedback)}</p><p class="explanation">${esc(grade.explanation)}</p>`
        : '',
      '</li>',
    ].join('');
  });
  return `<ol>${items.join('')}</ol>`;
}

const VERDICT_TEXT: Record<Grade['verdict'], string> = {
  right: '✓ Right',
  close: '≈ Close',
  wrong: '✗ Not right',
  skipped: '– Skipped',
  unanswered: '– Not answered before the run',
  'not-graded': 'Not graded',
  'no-measurement': '? Nothing measured to compare with',
  variant: 'A variant of the step: graded by a run of the step as written',
};

function prediction(p: ReportPrediction | null): string {
  if (!p) return '<section class="prediction"><h4>Prediction</h4><p>No prediction was written for this step.</p></section>';
  const when = p.beforeFirstRun ? 'written before the first run' : 'written after the first run';
  const revisions = p.revisions.length;
  const list = p.revisions
    .map((r, i) => `<li><p class="meta">Version ${i + 1}, saved ${time(r.savedAt)}</p><blockquote class="answer">${text(r.text)}</blockquote></li>`)
    .join('');
  return [
    '<section class="prediction">',
    '<h4>Prediction</h4>',
    `<blockquote class="answer">${text(p.text)}</blockquote>`,
    `<p class="meta">First written ${time(p.firstWrittenAt)}, <strong>${when}</strong>; last edited ${time(p.lastEditedAt)}; ${revisions} ${revisions === 1 ? 'revision' : 'revisions'} saved. Answer chain head ${hash(p.chainHead)}.</p>`,
    revisions > 0 ? `<details class="revisions"><summary>Every saved version (${revisions})</summary><ol>${list}</ol></details>` : '',
    '</section>',
  ].join('\n');
}

/** What an attempt of a variant came to: its failed checks are the lesson when they are the ones it names. */
function variantNote(a: AttemptSummary): string {
  const [kind, outcome] = a.control
    ? ['the control', a.control.asExpected]
    : a.variant
      ? [`the variant "${a.variant.name}"`, a.variant.asExpected]
      : [null, false];
  if (kind === null) return '';
  return ` <span class="meta">${esc(outcome ? `${kind}, as expected` : `${kind}, which should have failed the checks it names`)}</span>`;
}

function attempts(step: ReportStep): string {
  if (step.attempts.length === 0) return '<section class="attempts"><h4>Runs</h4><p>No run yet.</p></section>';
  const rows = step.attempts.map((a, i) => {
    const chosen = step.chosen?.runId === a.runId;
    return (
      `<tr${chosen ? ' class="chosen"' : ''}><td class="num">${i + 1}</td><td>run ${a.runId}${chosen ? ' <strong>(shown below)</strong>' : ''}</td><td>${time(a.startedAt)}</td>` +
      `<td>${changedList(a.changedParams)}</td><td>${runBadge(a.status)}${variantNote(a)}</td><td class="num">${a.checksPassed} of ${a.checksTotal}</td></tr>`
    );
  });
  return [
    '<section class="attempts">',
    `<h4>Runs (${step.attempts.length})</h4>`,
    '<table>',
    '<thead><tr><th scope="col" class="num">#</th><th scope="col">Run</th><th scope="col">Started</th><th scope="col">Changed parameters</th><th scope="col">Status</th><th scope="col" class="num">Checks passed</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
    '</section>',
  ].join('\n');
}

function chosenRun(report: SessionReport, lab: ReportLab, run: ReportRun, idPrefix: string): string {
  const why = run.status === 'passed' ? 'the latest run that passed, not counting the control' : 'the latest run; none passed';
  const facts: [string, string][] = [
    ['Status', runBadge(run.status)],
    ['Started', time(run.startedAt)],
    ['Ended', run.endedAt ? `${time(run.endedAt)} (${esc(wallDuration(run.startedAt, run.endedAt))})` : 'not recorded'],
    ['Scenario', `<code>${esc(run.scenarioId)}</code>`],
    ['Lab version', `${hash(run.labVersion)}${run.labVersion !== lab.version ? ' <strong>(not the version at export)</strong>' : ''}`],
    ['Ran on', machineLine(run, report)],
  ];
  if (run.message) facts.push(['Message', esc(run.message)]);
  return [
    '<section class="run">',
    `<h4>Run ${run.runId} in full <span class="meta">(${why})</span></h4>`,
    `<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('')}</tbody></table>`,
    params(run.params, run.defaultParams),
    processes(run.processes),
    checks(run),
    timeline(run, idPrefix),
    kernelFacts(run),
    evidence(run),
    '</section>',
  ].join('\n');
}

function params(values: ParamValues, defaults: ParamValues): string {
  const names = Object.keys(values);
  for (const name of Object.keys(defaults)) if (!names.includes(name)) names.push(name);
  if (names.length === 0) return '<h5>Parameters</h5><p>This scenario has no parameters.</p>';
  const rows = names.map((name) => {
    const value = values[name];
    const start = defaults[name];
    const changed = value !== start;
    return (
      `<tr${changed ? ' class="changed"' : ''}><th scope="row"><code>${esc(name)}</code></th><td>${value === undefined ? 'not set' : paramValue(value)}</td>` +
      `<td>${start === undefined ? 'none' : paramValue(start)}</td><td>${changed ? '<strong>✎ changed</strong>' : 'starting value'}</td></tr>`
    );
  });
  return [
    '<h5>Parameters</h5>',
    '<table class="params">',
    '<thead><tr><th scope="col">Parameter</th><th scope="col">Value</th><th scope="col">Starting value</th><th scope="col">Changed?</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

function checks(run: ReportRun): string {
  if (run.checks.length === 0) return '<h5>Checks</h5><p>This run has no checks (or they did not run).</p>';
  const passed = run.checks.filter((c) => c.passed).length;
  const items = run.checks.map((c) => checkItem(c, run.startTs));
  return [`<h5>Checks: ${passed} of ${run.checks.length} passed</h5>`, `<ol class="checks">${items.join('')}</ol>`].join('\n');
}

function checkItem(c: CheckResult, startTs: string): string {
  const moment = c.moment !== null ? ` <span class="meta">(evidence at ${esc(sinceStart(c.moment, startTs))})</span>` : '';
  return (
    `<li class="check ${c.passed ? 'passed' : 'failed'}">` +
    `<p><span class="verdict">${c.passed ? '✓ Passed' : '✗ Failed'}</span> <strong>${esc(c.title)}</strong>${moment}</p>` +
    `<p class="detail">${text(c.detail)}</p>` +
    (c.hint ? `<p class="hint"><strong>Hint:</strong> ${text(c.hint)}</p>` : '') +
    (c.charts ?? []).map(chartFigure).join('\n') +
    '</li>'
  );
}

function timeline(run: ReportRun, idPrefix: string): string {
  const svg = timelineSvg(run.timeline, { idPrefix, title: `Timeline of run ${run.runId}` });
  return [
    '<h5>Timeline</h5>',
    '<figure class="timeline">',
    svg,
    '<figcaption>One row per process; bars are calls (hatched: blocked), arrows go from a message’s send to its receive. Times are from the run’s start.</figcaption>',
    '</figure>',
  ].join('\n');
}

function processes(list: ProcessInfo[]): string {
  if (list.length === 0) return '<h5>Processes</h5><p>No process was recorded.</p>';
  const rows = list.map(
    (p) =>
      `<tr><th scope="row">${esc(p.role)}</th><td class="num">${p.pid}</td><td class="num">${p.ppid}</td><td><code>${esc(p.program)}</code></td><td>${esc(processEnd(p))}</td></tr>`,
  );
  return [
    '<h5>Processes</h5>',
    '<table class="processes">',
    '<thead><tr><th scope="col">Role</th><th scope="col" class="num">pid</th><th scope="col" class="num">Parent pid</th><th scope="col">Program</th><th scope="col">How it ended</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table>',
  ].join('\n');
}

function kernelFacts(run: ReportRun): string {
  if (run.kernelFacts.length === 0) return '<h5>Kernel facts</h5><p>The checks of this run relied on no kernel view.</p>';
  const items = run.kernelFacts.map((f) => factItem(f, run));
  return [
    '<h5>Kernel facts the checks relied on</h5>',
    '<p class="meta">What <code>/proc</code> showed for each process at the moment a check names: its own file descriptors, its <code>/dev/shm</code> mappings and its sockets.</p>',
    items.join('\n'),
  ].join('\n');
}

function factItem(f: KernelFact, run: ReportRun): string {
  const check = run.checks.find((c) => c.id === f.checkId);
  const waiting = f.wchan ? `, wait channel <code>${esc(f.wchan)}</code>` : '';
  const list = (title: string, lines: string[], none: string) =>
    `<p class="label">${title}</p>` +
    (lines.length === 0 ? `<p class="none">${none}</p>` : `<ul class="mono">${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
  return [
    '<div class="fact">',
    `<p><strong>${esc(f.role)} (pid ${f.pid})</strong> at ${esc(sinceStart(f.ts, run.startTs))}, for “${esc(check?.title ?? f.checkId)}”: state <code>${esc(f.state || '?')}</code>${waiting}</p>`,
    list('File descriptors', f.fds, 'none of the lab’s own'),
    f.mappings.length > 0 ? list('/dev/shm mappings', f.mappings, '') : '',
    f.sockets.length > 0 ? list('Sockets', f.sockets, '') : '',
    '</div>',
  ].join('\n');
}

function evidence(run: ReportRun): string {
  const e = run.evidence;
  const embedded = e.events.length;
  const rest = e.eventCount - embedded;
  const what =
    rest === 0
      ? `all ${e.eventCount} trace events are embedded`
      : `${embedded} of ${e.eventCount} trace events are embedded (those the checks need); the other ${rest} by their hashes`;
  return `<p class="evidence"><strong>Evidence:</strong> ${esc(what)}. Chain head ${hash(e.chainHead)}.</p>`;
}

function footer(report: SessionReport): string {
  return [
    '<footer class="end">',
    `<p class="meta">${esc(report.app.name)} ${esc(report.app.version)} · format ${esc(report.format)} · report digest <code class="hash">sha256:${esc(report.digest)}</code>. This page embeds the whole report as JSON (<code>script#${REPORT_SCRIPT_ID}</code>).</p>`,
    '</footer>',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Small pieces

function stepBadge(status: StepMastery['status']): string {
  switch (status) {
    case 'mastered':
      return '<span class="badge passed">✓ Mastered</span>';
    case 'attempted':
      return '<span class="badge attempted">◐ Attempted, not mastered yet</span>';
    case 'not-started':
      return '<span class="badge not-started">○ Not started</span>';
  }
}

function runBadge(status: RunStatus): string {
  const [cls, label] = ((): [string, string] => {
    switch (status) {
      case 'passed':
        return ['passed', '✓ passed'];
      case 'failed':
        return ['failed', '✗ failed'];
      case 'completed':
        return ['completed', '● completed (no checks)'];
      case 'stopped':
        return ['stopped', '■ stopped'];
      case 'timed-out':
        return ['failed', '⧗ timed out'];
      case 'error':
        return ['failed', '! error'];
      case 'starting':
      case 'running':
      case 'stopping':
        return ['running', `▶ ${status}`];
    }
  })();
  return `<span class="badge ${cls}">${esc(label)}</span>`;
}

function processEnd(p: ProcessInfo): string {
  if (p.state === 'running') return 'still running when the run was stored';
  if (p.signal) return `killed by ${p.signal}`;
  if (p.exitCode !== null) return `exited with code ${p.exitCode}`;
  return p.state === 'killed' ? 'killed (the signal was not recorded)' : 'exited (the code was not recorded)';
}

function machineLine(run: ReportRun, report: SessionReport): string {
  const m = run.machine;
  const same = m.bootId !== null && m.bootId === report.machine.bootId;
  const line = `${esc(m.os)} ${esc(m.kernel)}, ${m.cores} ${m.cores === 1 ? 'core' : 'cores'}`;
  const boot = m.bootId
    ? `boot id <code>${esc(short(m.bootId, 8))}</code>${same ? ' (the machine and boot the report was exported from)' : ' (another boot or machine than the export)'}`
    : 'boot id not known';
  return `${line}, ${boot}`;
}

function changedList(values: ParamValues): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return '<span class="meta">none (starting values)</span>';
  return entries.map(([k, v]) => `<code>${esc(k)}</code> = ${paramValue(v)}`).join(', ');
}

function paramValue(value: ParamValue): string {
  return `<code>${esc(typeof value === 'string' ? JSON.stringify(value) : String(value))}</code>`;
}

function stepId(lab: ReportLab, step: ReportStep): string {
  return `step-${esc(lab.id)}-${esc(step.id)}`;
}

function hash(hex: string): string {
  return `<code class="hash" title="${esc(hex)}">${esc(short(hex, 12))}</code>`;
}

function short(hex: string, length: number): string {
  return hex.length > length ? `${hex.slice(0, length)}…` : hex;
}

/** An ISO time as "2026-12-01 21:31:46 UTC", in a <time> element; text that is not a time is shown as it is. */
function time(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  const d = new Date(ms).toISOString();
  return `<time datetime="${esc(d)}">${d.slice(0, 10)} ${d.slice(11, 19)} UTC</time>`;
}

/** A trace ts as time since the run's start: "123.4 ms after the start". */
function sinceStart(ts: string, startTs: string): string {
  try {
    const ns = BigInt(ts) - BigInt(startTs);
    const ms = Number(ns) / 1e6;
    return `${ms.toFixed(ms < 10 ? 2 : 1)} ms after the start`;
  } catch {
    return `ts ${ts}`;
  }
}

function wallDuration(fromIso: string, toIso: string): string {
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(ms) || ms < 0) return 'duration unknown';
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

/** Time on task as hours and minutes: "0 min", "under 1 min", "12 min", "1 h 05 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0 min';
  const minutes = Math.round(ms / 60_000);
  if (minutes === 0) return 'under 1 min';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : `${h} h ${String(m).padStart(2, '0')} min`;
}

/** Escaped text with its line breaks kept (the CSS keeps white space in answers and details). */
function text(value: string): string {
  return esc(value);
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #ffffff; }
body { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #1a1a1a; padding-bottom: .15rem; }
h3 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid #999999; padding-bottom: .1rem; }
h4 { font-size: 1rem; margin: 1.1rem 0 .35rem; }
h5 { font-size: .95rem; margin: 1rem 0 .3rem; }
p { margin: .3rem 0; }
code, .mono, .hash { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: .86em; }
.meta { color: #4a4a4a; font-size: .9rem; }
.who { font-size: 1.15rem; margin: 0; }
.claims { border: 2px solid #1a1a1a; border-left-width: 6px; padding: .6rem 1rem; margin: 1.25rem 0; background: #f6f6f0; }
.claims h2 { border: 0; margin: 0 0 .25rem; font-size: 1.05rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-size: .9rem; }
th, td { border: 1px solid #b5b5b5; padding: .25rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #eeeeee; }
tbody th { font-weight: 600; }
table.facts th { width: 11rem; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { font-weight: 700; border-top: 2px solid #1a1a1a; }
tr.changed td, tr.changed th { background: #fff1c2; font-weight: 600; }
tr.chosen td { font-weight: 600; }
.badge { white-space: nowrap; font-weight: 600; }
.badge.passed { color: #14532d; }
.badge.failed { color: #8b0000; }
.badge.attempted, .badge.stopped { color: #6b3e00; }
.badge.not-started, .badge.completed, .badge.running { color: #3d3d3d; }
h3 .status { font-size: .9rem; margin-left: .5rem; }
.step.not-started { margin: .35rem 0; }
ul.mastery { list-style: none; padding-left: 0; margin: .3rem 0; }
.questions .prompt, .quiz .prompt { font-weight: 600; margin: .4rem 0 .2rem; }
.questions ol.versions { margin: .2rem 0; }
.grade.right { color: #14532d; }
.grade.wrong { color: #8b0000; }
.grade.close { color: #6b3e00; }
blockquote.answer { margin: .3rem 0; padding: .45rem .75rem; border-left: 4px solid #6b6b6b; background: #f4f4f4; white-space: pre-wrap; overflow-wrap: anywhere; }
.detail, .hint { white-space: pre-wrap; overflow-wrap: anywhere; }
details.revisions { margin: .3rem 0 .6rem; }
details.revisions summary { cursor: pointer; }
details.revisions ol { margin: .3rem 0; padding-left: 1.5rem; }
ol.checks { list-style: none; padding: 0; margin: .3rem 0; }
.check { border: 1px solid #b5b5b5; border-left-width: 6px; padding: .35rem .7rem; margin: .4rem 0; }
.check.passed { border-left-color: #1f7a3a; }
.check.failed { border-left-color: #b00020; border-left-style: double; }
.check .verdict { font-weight: 700; margin-right: .35rem; }
.check.passed .verdict { color: #14532d; }
.check.failed .verdict { color: #8b0000; }
.hint { color: #333333; }
figure.timeline { margin: .5rem 0 .8rem; padding: .4rem; border: 1px solid #b5b5b5; }
figure.timeline svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #4a4a4a; margin-top: .3rem; }
.fact { border: 1px solid #d0d0d0; padding: .35rem .7rem; margin: .4rem 0; }
.fact .label { font-weight: 600; font-size: .88rem; margin-top: .35rem; }
.fact .none { font-size: .88rem; color: #4a4a4a; }
ul.mono { margin: .1rem 0; padding-left: 1.3rem; overflow-wrap: anywhere; }
.evidence { font-size: .9rem; }
footer.end { margin-top: 2.5rem; border-top: 1px solid #999999; padding-top: .5rem; overflow-wrap: anywhere; }
@media print {
  @page { margin: 14mm 12mm; }
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  *, *::before, *::after { background: transparent !important; box-shadow: none !important; }
  .lab { break-before: page; }
  .step.page { break-before: page; }
  h2, h3, h4, h5 { break-after: avoid; }
  table, figure, .check, .fact, blockquote { break-inside: avoid; }
  tr.changed td, tr.changed th { text-decoration: underline; }
  details.revisions > summary { list-style: none; }
  details.revisions::details-content { content-visibility: visible; display: block; }
}
`;
