/**
 * PDF on the command line, with the real Chromium: the report printed, nothing left behind (profile,
 * partial file, browser processes), and the failures a student can meet said plainly. Chromium is
 * required, not optional: without it this test fails and says how to install it.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderReportHtml, sealHtml } from '../../main/report/report-html.js';
import { findChromium, htmlFileToPdf } from '../../main/report/report-pdf.js';
import { sessionReport } from '../fixtures/reports/session-report.js';

let dir: string;
let html: string;
let chromium: string;

/** Processes whose command line mentions `text` (a temporary folder only this test uses). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.slice(0, 200)}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

before(() => {
  const found = findChromium();
  assert.ok(
    found,
    'This test prints with a real Chromium and found none: install it (on Debian: apt-get install chromium) or set CHROMIUM_PATH to its executable.',
  );
  chromium = found;
  dir = mkdtempSync(join(tmpdir(), 'ipc-lab-pdf-test-'));
  html = join(dir, 'report.html');
  writeFileSync(html, sealHtml(renderReportHtml(sessionReport())));
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('htmlFileToPdf', () => {
  it('prints a sealed HTML report to a PDF, and leaves no profile, partial file or process behind', async () => {
    const profiles = mkdtempSync(join(dir, 'profiles-'));
    const outDir = mkdtempSync(join(dir, 'out-')); // an empty folder of its own, so anything left in it shows
    const pdf = join(outDir, 'report.pdf');
    await htmlFileToPdf(html, pdf, chromium, { tempDir: profiles });
    const bytes = readFileSync(pdf);
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'the output is a PDF');
    assert.ok(bytes.length > 10_000, `a report's worth of PDF (${bytes.length} bytes)`);
    assert.match(bytes.toString('latin1'), /\/Type\s*\/Page\b/, 'with pages');
    assert.deepEqual(readdirSync(profiles), [], 'the temporary Chromium profile is removed');
    assert.deepEqual(readdirSync(outDir), ['report.pdf'], 'only the PDF in the output folder: no partial file');
    assert.deepEqual(processesMentioning(profiles), [], 'no Chromium process is left');
  });

  it('replaces an existing PDF only once the new one is complete', async () => {
    const profiles = mkdtempSync(join(dir, 'profiles-'));
    const pdf = join(dir, 'again.pdf');
    writeFileSync(pdf, 'an older file');
    await htmlFileToPdf(html, pdf, chromium, { tempDir: profiles });
    assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
    assert.deepEqual(readdirSync(profiles), []);
  });

  it('says so plainly when the output cannot be written, and starts no browser', async () => {
    const profiles = mkdtempSync(join(dir, 'profiles-'));
    await assert.rejects(
      htmlFileToPdf(html, join(dir, 'report.html', 'report.pdf'), chromium, { tempDir: profiles }),
      /^Error: Cannot write the PDF to .*report\.html\/report\.pdf: a part of its path is not a folder \(ENOTDIR\)\. Choose an output path in a folder you can write to \(--out FILE\)\.$/,
    );
    await assert.rejects(
      htmlFileToPdf(html, join(dir, 'no-such-folder', 'report.pdf'), chromium, { tempDir: profiles }),
      /Cannot write the PDF to .*no-such-folder\/report\.pdf: its folder does not exist \(ENOENT\)/,
    );
    assert.deepEqual(readdirSync(profiles), [], 'no profile was made');
  });

  it('stops Chromium at the timeout, says so, and leaves nothing behind', async () => {
    const profiles = mkdtempSync(join(dir, 'profiles-'));
    const pdf = join(dir, 'slow.pdf');
    await assert.rejects(
      htmlFileToPdf(html, pdf, chromium, { tempDir: profiles, timeoutMs: 1 }),
      /Chromium did not finish printing the PDF within 1 ms and was stopped/,
    );
    assert.deepEqual(readdirSync(profiles), [], 'the profile is removed');
    assert.ok(!readdirSync(dir).some((name) => name.startsWith('slow.pdf') || name.startsWith('.slow.pdf')), 'no PDF, whole or partial');
    assert.deepEqual(processesMentioning(profiles), [], 'the browser and its helpers are gone');
  });

  it('names a Chromium that cannot be started, and the fix', async () => {
    const notExecutable = join(dir, 'chromium-not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    await assert.rejects(
      htmlFileToPdf(html, join(dir, 'x.pdf'), join(dir, 'no-chromium-here')),
      /Could not start Chromium at .*no-chromium-here: ENOENT\. Install Chromium \(on Debian: apt-get install chromium\) or set CHROMIUM_PATH/,
    );
    await assert.rejects(htmlFileToPdf(html, join(dir, 'x.pdf'), notExecutable), /Could not start Chromium at .*chromium-not-executable: EACCES\./);
    assert.ok(!readdirSync(dir).some((name) => name.includes('x.pdf')), 'no partial file left');
  });
});

describe('findChromium', () => {
  it('takes CHROMIUM_PATH when it is an executable file, and the usual paths otherwise', () => {
    assert.equal(findChromium({ CHROMIUM_PATH: chromium }), chromium);
    const notExecutable = join(dir, 'not-a-browser');
    writeFileSync(notExecutable, 'text');
    chmodSync(notExecutable, 0o644);
    const fallback = findChromium({});
    assert.ok(fallback, 'a Chromium on the usual paths');
    assert.equal(findChromium({ CHROMIUM_PATH: notExecutable }), fallback, 'a CHROMIUM_PATH that is not executable is passed over');
    assert.equal(findChromium({ CHROMIUM_PATH: dir }), fallback, 'so is a folder');
  });
});
