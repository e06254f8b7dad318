import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionReport } from '../../../main/contract/report-format.js';
import { formatDuration, readHtmlReport, renderReportHtml, sealHtml } from '../../../main/report/report-html.js';
import { sessionReport, withDigest } from '../../fixtures/reports/session-report.js';
import { seededRandom } from '../../support/seeded-random.js';

function withPrediction(text: string): SessionReport {
  const report = sessionReport();
  const step = report.labs[0]!.steps[0]!;
  step.prediction!.text = text;
  step.prediction!.revisions.at(-1)!.text = text;
  return withDigest(report);
}

const sealed = sealHtml(renderReportHtml(sessionReport()));

describe('renderReportHtml: a self-contained page', () => {
  it('makes no request: every src, href and url() is a fragment or data:, and nothing loads a script, a style sheet, a font or a frame', () => {
    const refs = [...sealed.matchAll(/\b(?:src|href|xlink:href|action|formaction|poster|data)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]!);
    refs.push(...[...sealed.matchAll(/url\(\s*["']?([^)"']*)/gi)].map((m) => m[1]!));
    assert.ok(refs.length > 0, 'the page has references to check (the favicon, the SVG patterns)');
    for (const ref of refs) assert.match(ref, /^(#|data:)/, `reference ${ref}`);
    // The only scheme-looking text in the page is the SVG namespace, which is a name, not a request.
    const withoutNamespace = sealed.replaceAll('xmlns="http://www.w3.org/2000/svg"', '');
    assert.doesNotMatch(withoutNamespace, /https?:/i, 'no http: or https: anywhere');
    assert.doesNotMatch(withoutNamespace, /(?:src|href)\s*=\s*["']?\/\//i, 'no protocol-relative URL');
    assert.doesNotMatch(sealed, /<(?:img|iframe|object|embed|video|audio|source|base)\b/i);
    assert.doesNotMatch(sealed, /@import|@font-face/i);
    assert.deepEqual(
      [...sealed.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0]),
      ['<link rel="icon" href="data:,">'],
      'one link: the empty favicon',
    );
    assert.deepEqual(
      [...sealed.matchAll(/<script\b[^>]*>/gi)].map((m) => m[0]),
      ['<script type="application/json" id="ipc-lab-report">'],
      'one script element, a JSON data block',
    );
  });

  it('carries a strict Content-Security-Policy in its head, before anything it governs', () => {
    const head = sealed.slice(0, sealed.indexOf('</head>'));
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(head);
    assert.ok(csp, 'a CSP meta element in <head>');
    const directives = csp[1]!.split(';').map((d) => d.trim());
    for (const d of ["default-src 'none'", "style-src 'unsafe-inline'", 'img-src data:']) assert.ok(directives.includes(d), `CSP has ${d}: ${csp[1]}`);
    assert.ok(!directives.some((d) => d.startsWith('script-src')), 'no script-src: nothing may run');
    assert.ok(head.indexOf('Content-Security-Policy') < head.indexOf('<style>'), 'the CSP comes before the style');
    assert.match(sealed, /^<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy"/);
  });

  it('prints: page breaks between labs and steps, no background colours', () => {
    const print = sealed.slice(sealed.indexOf('@media print'));
    assert.match(print, /\.lab \{ break-before: page; \}/);
    assert.match(print, /\.step\.page \{ break-before: page; \}/);
    assert.match(print, /background: transparent !important/);
    // The first full step of a lab follows its heading; each later full step starts a page.
    const firstLab = sealed.slice(
      sealed.indexOf('<section class="lab" id="lab-ordinary-pipes"'),
      sealed.indexOf('<section class="lab" id="lab-message-passing"'),
    );
    assert.match(firstLab, /<article class="step" id="step-ordinary-pipes-one-way">/);
    assert.match(firstLab, /<article class="step page" id="step-ordinary-pipes-capacity">/);
  });

  it('shows the report: student, claims, summary, versions, machine, and per step the prediction, runs, checks, timeline and kernel facts', () => {
    const report = sessionReport();
    assert.match(sealed, /<title>IPC Lab report: Ada Lovelace \(s1815-12\)<\/title>/);
    assert.ok(sealed.includes(`<p>${report.claims.replaceAll("'", '&#39;')}</p>`), 'the claims text, in its box');
    assert.ok(sealed.indexOf('class="claims"') < sealed.indexOf('class="summary"'), 'claims before the summary');
    assert.ok(sealed.indexOf('class="summary"') < sealed.indexOf('class="about"'), 'summary before who/when/where');
    assert.match(sealed, /time on task 2 h 08 min/);
    assert.match(sealed, /Linux 6\.12\.48\+deb13-amd64, x64, 8 cores/);
    assert.match(sealed, /5b1f3c2e-8a47-4c5e-9d0a-3f7e2b6c1a90/);
    for (const lab of report.labs)
      assert.ok(sealed.includes(`title="${lab.version}">${lab.version.slice(0, 12)}…</code>`), `${lab.id}'s version, short with the full digest in its title`);
    assert.match(sealed, /written before the first run/);
    assert.match(sealed, /written after the first run/);
    assert.match(sealed, /<details class="revisions"><summary>Every saved version \(2\)<\/summary>/);
    assert.match(
      sealed,
      /<p class="step not-started" id="step-ordinary-pipes-end-of-file"><span class="badge not-started">○ Not started<\/span> <strong>End of file<\/strong>: not started\.<\/p>/,
    );
    for (const lab of report.labs)
      for (const step of lab.steps)
        for (const check of step.chosen?.checks ?? []) {
          const title = check.title.replaceAll('"', '&quot;').replaceAll("'", '&#39;');
          const verdict = check.passed ? '✓ Passed' : '✗ Failed';
          assert.ok(sealed.includes(`<span class="verdict">${verdict}</span> <strong>${title}</strong>`), `check ${check.id}, with its verdict in words`);
        }
    assert.equal([...sealed.matchAll(/<svg [^>]*role="img"/g)].length, 3, 'a timeline per chosen run');
    assert.match(
      sealed,
      /<tr class="changed"><th scope="row"><code>childGetsPipe<\/code><\/th><td><code>false<\/code><\/td><td><code>true<\/code><\/td><td><strong>✎ changed<\/strong><\/td><\/tr>/,
    );
    assert.match(sealed, /<li>18 -&gt; pipe:\[579090\]<\/li>/, "a kernel fact: the child's own pipe");
    assert.match(
      sealed,
      /<strong>Evidence:<\/strong> all 30 trace events are embedded\. Chain head <code class="hash" title="[0-9a-f]{64}">[0-9a-f]{12}…<\/code>/,
    );
    assert.match(sealed, /<td>run 419 <strong>\(shown below\)<\/strong><\/td>/);
  });

  it('is deterministic: the same report gives the same bytes', () => {
    assert.equal(sealHtml(renderReportHtml(sessionReport())), sealed);
  });
});

describe('the embedded report', () => {
  it('round-trips, even with </script>, <!-- and U+2028/U+2029 in a prediction', () => {
    const text = 'A </script><script>alert(1)</script> and <!-- a comment\u2028line\u2029para </SCRIPT > end';
    const report = withPrediction(text);
    const html = sealHtml(renderReportHtml(report));
    const read = readHtmlReport(html);
    assert.equal(read.htmlDigest, 'ok', read.problem);
    assert.equal(read.problem, undefined);
    assert.deepEqual(read.report, report);
    assert.equal((read.report as SessionReport).labs[0]!.steps[0]!.prediction!.text, text);
    // The data block holds no "<" at all, so it cannot close early; the page has exactly one </script>.
    const block = html.slice(html.indexOf('id="ipc-lab-report">'), html.lastIndexOf('</script>'));
    assert.ok(!block.slice('id="ipc-lab-report">'.length).includes('<'), 'no < inside the JSON');
    assert.ok(!/[\u2028\u2029]/.test(block), 'no raw U+2028/U+2029 inside the JSON');
    assert.equal([...html.matchAll(/<\/script/gi)].length, 1);
  });

  it('shows what a student typed as text, never as markup', () => {
    const report = withPrediction('<img src=x onerror=alert(1)>');
    report.student.name = '"><script>alert(2)</script>';
    const html = sealHtml(renderReportHtml(withDigest(report)));
    assert.ok(html.includes('<blockquote class="answer">&lt;img src=x onerror=alert(1)&gt;</blockquote>'), 'the prediction, escaped');
    assert.doesNotMatch(html, /<img/i);
    assert.ok(html.includes('<title>IPC Lab report: &quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt; (s1815-12)</title>'), 'the name, escaped');
    assert.deepEqual(
      [...html.matchAll(/<script\b/gi)].map((m) => m.index),
      [html.indexOf('<script type="application/json"')],
      'still one script element',
    );
    assert.equal(readHtmlReport(html).htmlDigest, 'ok');
  });

  it('reports JSON that does not parse, and a page with no report', () => {
    const open = sealed.indexOf('id="ipc-lab-report">') + 'id="ipc-lab-report">'.length;
    const broken = sealed.slice(0, open) + '{"format":' + sealed.slice(open + 1);
    const read = readHtmlReport(broken);
    assert.equal(read.report, undefined);
    assert.match(read.problem ?? '', /the embedded report \(script id ipc-lab-report\) is not valid JSON/);
    assert.equal(read.htmlDigest, 'mismatch');

    const none = readHtmlReport('<!DOCTYPE html><title>x</title><p>hello</p>');
    assert.equal(none.report, undefined);
    assert.equal(none.htmlDigest, 'missing');
    assert.match(none.problem ?? '', /no embedded report/);
    assert.match(none.problem ?? '', /no <meta name="ipc-lab-html-digest">/);
  });
});

describe('sealHtml and readHtmlReport', () => {
  it('seal a page so that it reads back ok, and an unsealed page does not', () => {
    const tags = [...sealed.matchAll(/<meta name="ipc-lab-html-digest" content="sha256:([0-9a-f]{64})">/g)];
    assert.equal(tags.length, 1, 'exactly one digest tag');
    assert.notEqual(tags[0]![1], '0'.repeat(64), 'filled in');
    assert.equal(readHtmlReport(sealed).htmlDigest, 'ok');
    assert.equal(readHtmlReport(renderReportHtml(sessionReport())).htmlDigest, 'mismatch', 'the zeros are not a digest of the page');
    assert.equal(sealHtml(sealed), sealed, 'sealing again gives the same page');
  });

  it('detect a change of any single byte', () => {
    const bytes = Buffer.from(sealed, 'utf8');
    const decoder = new TextDecoder('utf-8');
    const next = seededRandom(20261201);
    const digestAt = sealed.indexOf('content="sha256:') + 'content="sha256:'.length;
    const jsonAt = Buffer.byteLength(sealed.slice(0, sealed.indexOf('id="ipc-lab-report">') + 30), 'utf8');
    // The ends, the digest's own digits, the tag's name and quotes, and the embedded JSON; then anywhere.
    const tagAt = sealed.indexOf('<meta name="ipc-lab-html-digest"');
    const positions = [0, bytes.length - 1, digestAt, digestAt + 63, digestAt - 3, digestAt + 64, tagAt + 1, tagAt + 12, tagAt + 20, jsonAt];
    for (let i = 0; i < 400; i++) positions.push(Math.floor(next() * bytes.length));
    const undetected: number[] = [];
    for (const at of positions) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! ^ (1 + Math.floor(next() * 255));
      const read = readHtmlReport(decoder.decode(changed));
      if (read.htmlDigest !== 'mismatch') undetected.push(at);
    }
    assert.deepEqual(undetected, [], `changes at these byte offsets were not called a mismatch (seed 20261201)`);
  });

  it('refuses to seal a page without exactly one digest tag; a page with two was changed', () => {
    assert.throws(() => sealHtml('<p>no tag</p>'), /exactly one ipc-lab-html-digest tag, it holds 0/);
    const tag = `<meta name="ipc-lab-html-digest" content="sha256:${'0'.repeat(64)}">`;
    assert.throws(() => sealHtml(`${tag}${tag}`), /it holds 2/);
    const doubled = sealed.replace('<meta name="generator"', `${tag}\n<meta name="generator"`);
    const read = readHtmlReport(doubled);
    assert.equal(read.htmlDigest, 'mismatch');
    assert.match(read.problem ?? '', /changed after it was exported: it has 2 <meta name="ipc-lab-html-digest"> tags/);
    const damaged = readHtmlReport(sealed.replace('<meta name="ipc-lab-html-digest"', '<meta name="ipc-lab-html-digest-x"'));
    assert.equal(damaged.htmlDigest, 'mismatch');
    assert.match(damaged.problem ?? '', /tag is damaged/);
  });
});

describe('formatDuration', () => {
  it('writes time on task in hours and minutes', () => {
    assert.equal(formatDuration(0), '0 min');
    assert.equal(formatDuration(20_000), 'under 1 min');
    assert.equal(formatDuration(12 * 60_000), '12 min');
    assert.equal(formatDuration(65 * 60_000), '1 h 05 min');
    assert.equal(formatDuration(2 * 3600_000 + 7 * 60_000 + 31_000), '2 h 08 min');
  });
});
