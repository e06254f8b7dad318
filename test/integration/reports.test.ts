/**
 * Session reports from real runs of a real lab: exported, verified, and edited byte by byte to show that
 * verification notices; traces exported; the CLI's report, verify and trace commands on real files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { SessionReport } from '../../main/contract/report-format.js';
import { findProjectRoot } from '../../main/project-root.js';
import { reportDigest } from '../../main/report/build-report.js';
import { reportJsonText } from '../../main/report/report-files.js';
import { verifyReportBytes } from '../../main/report/verify.js';
import { assertNothingLeft, openHarness, runToEnd, type Harness } from '../support/engine-harness.js';
import { seededRandom } from '../support/seeded-random.js';

const cli = join(findProjectRoot(), 'dist', 'main', 'cli', 'ipc-lab.js');
let harness: Harness;
let out: string;
before(async () => {
  harness = await openHarness();
  out = mkdtempSync(join(tmpdir(), 'ipc-lab-reports-'));
});
after(async () => {
  await harness.close();
  rmSync(out, { recursive: true, force: true });
});

function verify(name: string, content: string | Buffer) {
  return verifyReportBytes(name, Buffer.isBuffer(content) ? content : Buffer.from(content), harness.engine.loadedLabs);
}

function layerTexts(verdict: Awaited<ReturnType<typeof verify>>): string {
  return verdict.layers.map((l) => `${l.ok ? 'ok' : 'FAIL'} ${l.text}`).join('\n');
}

describe('session reports', () => {
  let json: string;
  let html: string;

  it('asks for a name first, and says there is nothing to report before any run, or writes an empty report when asked', async () => {
    await assert.rejects(harness.engine.call('report.export', { format: 'json' }), /needs the name of the student/);
    await harness.engine.call('identity.set', { name: '  Ada Lovelace ', studentId: 's-1815' });
    assert.deepEqual((await harness.engine.call('identity.get', {})).student, { name: 'Ada Lovelace', studentId: 's-1815' });
    await assert.rejects(harness.engine.call('report.export', { format: 'json' }), /nothing to report yet/);
    const empty = await harness.engine.call('report.export', { format: 'json', allowEmpty: true });
    const verdict = await verify(empty.fileName, empty.content);
    assert.equal(verdict.ok, true, layerTexts(verdict));
    const report = JSON.parse(empty.content) as SessionReport;
    assert.ok(
      report.labs.every((l) => l.steps.every((s) => s.status === 'not-started' && s.chosen === null)),
      'an empty report has every step not started',
    );
  });

  it('carries real runs, the prediction and when it was written, and verifies on every layer', async () => {
    await harness.engine.call('answers.save', { labId: 'ordinary-pipes', stepId: 'one-way', text: 'The child reads what the parent writes.' });
    const first = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'one-way' });
    assert.equal(first.run.status, 'passed', JSON.stringify(first.run.checks));
    assertNothingLeft(first.run);
    const eof = await runToEnd(harness.engine, { labId: 'ordinary-pipes', scenarioId: 'messages', stepId: 'end-of-file' });
    assertNothingLeft(eof.run);
    await harness.engine.call('answers.save', { labId: 'ordinary-pipes', stepId: 'end-of-file', text: 'read() returns 0 once every write end is closed.' });

    json = (await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'json' })).content;
    html = (await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'html' })).content;
    for (const [name, content] of [
      ['report.json', json],
      ['report.html', html],
    ] as const) {
      const verdict = await verify(name, content);
      assert.equal(verdict.ok, true, layerTexts(verdict));
      assert.match(layerTexts(verdict), /evidence chain ok \(2 runs, 2 predictions\)/);
      assert.match(
        layerTexts(verdict),
        new RegExp(`checks re-run: ${first.run.checks.length + eof.run.checks.length}/${first.run.checks.length + eof.run.checks.length} agree`),
      );
    }

    const report = JSON.parse(json) as SessionReport;
    const oneWay = report.labs[0]!.steps.find((s) => s.id === 'one-way')!;
    assert.equal(oneWay.prediction?.beforeFirstRun, true, 'the one-way prediction was saved before its run');
    const endOfFile = report.labs[0]!.steps.find((s) => s.id === 'end-of-file')!;
    assert.equal(endOfFile.prediction?.beforeFirstRun, false, 'the end-of-file prediction was saved after its run');
    assert.equal(oneWay.chosen?.runId, first.run.runId);
    const evidence = oneWay.chosen!.evidence;
    assert.equal(evidence.eventCount, first.stored.length);
    assert.ok(
      evidence.events.length > 0 && evidence.events.length < evidence.eventCount,
      `the checks' evidence is a part of the trace (${evidence.events.length}/${evidence.eventCount})`,
    );
    assert.ok(
      oneWay.chosen!.kernelFacts.some((f) => f.fds.some((fd) => /pipe:\[\d+\]/.test(fd))),
      'the kernel facts show the pipe the checks relied on',
    );
    assert.ok(html.includes('The child reads what the parent writes.'), 'the HTML shows the prediction');
    assert.ok(/<svg[^>]*role="img"/.test(html), 'the HTML has the timeline image');

    const full = JSON.parse((await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'json', full: true })).content) as SessionReport;
    assert.equal(full.labs[0]!.steps.find((s) => s.id === 'one-way')!.chosen!.evidence.events.length, first.stored.length, '--full embeds every event');
  });

  it("carries the lab's quiz with every version of its answers, graded; verify grades it again and notices an edit", async () => {
    const quiz = { labId: 'ordinary-pipes', stepId: 'quiz', questionId: 'capacity-vs-pipe-buf' } as const;
    await harness.engine.call('questions.answer', { ...quiz, value: ['a'] });
    await harness.engine.call('questions.answer', { ...quiz, value: ['b'] });
    const exported = await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'json' });
    const verdict = await verify('quiz.json', exported.content);
    assert.equal(verdict.ok, true, layerTexts(verdict));
    assert.match(layerTexts(verdict), /evidence chain ok \(.*, 1 quiz\)/);

    const report = JSON.parse(exported.content) as SessionReport;
    const carried = report.labs[0]!.quiz!;
    assert.deepEqual(
      carried.versions.map((v) => v.value),
      [['a'], ['b']],
      'both versions are carried, oldest first',
    );
    const grade = carried.grades.find((g) => g.questionId === quiz.questionId)!;
    assert.equal(grade.verdict, 'right', 'the last answer is the one graded');
    assert.ok(
      carried.grades.filter((g) => g.questionId !== quiz.questionId).every((g) => g.verdict === 'unanswered'),
      'the questions not answered are unanswered',
    );

    const html = (await harness.engine.call('report.export', { labId: 'ordinary-pipes', format: 'html' })).content;
    assert.match(html, /<h3>Quiz <span class="meta">1 of \d+ answered<\/span><\/h3>/);
    assert.ok(html.includes('which is true of a new pipe&#39;s capacity and of PIPE_BUF?'), 'the HTML asks the quiz question');

    // The answer changed to the wrong option, digest recomputed: the answers' chain says so.
    const edited = JSON.parse(exported.content) as SessionReport;
    edited.labs[0]!.quiz!.versions[1]!.value = ['a'];
    const { digest: _d1, ...editedRest } = edited;
    assert.match(
      layerTexts(await verify('edited.json', reportJsonText({ ...editedRest, digest: reportDigest(editedRest) }))),
      /FAIL evidence chain BROKEN: quiz answers of ordinary-pipes: its versions do not recompute/,
    );
    // The grade changed by hand: grading again disagrees.
    const regraded = JSON.parse(exported.content) as SessionReport;
    regraded.labs[0]!.quiz!.grades.find((g) => g.questionId === quiz.questionId)!.verdict = 'wrong';
    const { digest: _d2, ...regradedRest } = regraded;
    assert.match(
      layerTexts(await verify('regraded.json', reportJsonText({ ...regradedRest, digest: reportDigest(regradedRest) }))),
      /FAIL grades re-graded: .*ordinary-pipes quiz question capacity-vs-pipe-buf: the report says wrong, graded again right/,
    );
  });

  it('detects each of 1,000 random single-byte edits of a JSON report and 300 of an HTML report', async () => {
    for (const [name, text, edits, seed] of [
      ['report.json', json, 1000, 1],
      ['report.html', html, 300, 2],
    ] as const) {
      const original = Buffer.from(text);
      const next = seededRandom(seed);
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(next() * original.length);
        const edited = Buffer.from(original);
        edited[at] = (original[at]! + 1 + Math.floor(next() * 255)) % 256;
        const verdict = await verify(name, edited);
        assert.equal(verdict.ok, false, `${name}: the edit of byte ${at} (seed ${seed}, edit ${i}) was not detected`);
        assert.ok(
          verdict.layers.some((l) => !l.ok && l.text.length > 0),
          'a failed layer says what failed',
        );
      }
    }
  });

  it('a number edited beyond the range of JSON (1e999, read as Infinity) is a failed layer, not a crash', async () => {
    // One byte can do it (the 2nd digit of a long number turned into "e": 17961 -> 1e961); here a number
    // the report surely holds as a JSON number, not inside an event's text, is edited so.
    for (const [name, text] of [
      ['report.json', json],
      ['report.html', html],
    ] as const) {
      const edited = text.replace(/"eventCount":(\s?)\d+/, (_, space: string) => `"eventCount":${space}1e999`);
      assert.notEqual(edited, text, `${name} has an eventCount to edit`);
      const verdict = await verify(name, edited);
      assert.equal(verdict.ok, false, `${name}: the out-of-range number was not detected`);
      assert.match(layerTexts(verdict), /beyond the range of a JSON number/);
    }
  });

  it('names a check whose verdict was changed by hand, even when the digest was recomputed', async () => {
    const report = JSON.parse(json) as SessionReport;
    const step = report.labs[0]!.steps.find((s) => s.id === 'one-way')!;
    const check = step.chosen!.checks[0]!;
    check.passed = false;
    check.detail = 'The child read nothing.';
    const { digest: _digest, ...rest } = report;
    const forged = reportJsonText({ ...rest, digest: reportDigest(rest) });
    const verdict = await verify('forged.json', forged);
    assert.equal(verdict.ok, false);
    const text = layerTexts(verdict);
    assert.match(text, /ok digest ok/, 'the recomputed digest matches');
    assert.match(text, /FAIL evidence chain BROKEN: run \d+ \(ordinary-pipes\/one-way\): its status, processes or checks are not what was chained/);
    assert.match(text, new RegExp(`FAIL checks re-run: .*check ${check.id}: the report says failed, the re-run says passed`));
  });

  it('says a newer report is newer, and a file that is not a report is not one', async () => {
    const newer = JSON.stringify({ ...(JSON.parse(json) as object), format: 'ipc-lab-report/2' });
    assert.match(layerTexts(await verify('newer.json', newer)), /from a newer IPC Lab \(format ipc-lab-report\/2.*update IPC Lab/);
    assert.match(layerTexts(await verify('other.json', '{"name":"x"}')), /is not an IPC Lab report: it has no "format"/);
    assert.match(layerTexts(await verify('notes.txt', 'just some notes')), /is not an IPC Lab report: it is neither an HTML report nor valid JSON/);
    assert.match(layerTexts(await verify('page.html', '<!doctype html><html><body>hello</body></html>')), /is an HTML file but not an IPC Lab report/);
  });

  it('exports a run as a Perfetto trace and as CSV', async () => {
    const { runs } = await harness.engine.call('runs.list', { labId: 'ordinary-pipes', stepId: 'one-way' });
    const perfetto = await harness.engine.call('trace.export', { runId: runs[0]!.runId, format: 'perfetto' });
    const parsed = JSON.parse(perfetto.content) as { traceEvents: { ph: string }[] };
    assert.ok(
      parsed.traceEvents.some((e) => e.ph === 'X'),
      'the trace has slices',
    );
    const csv = await harness.engine.call('trace.export', { runId: runs[0]!.runId, format: 'csv' });
    assert.equal(csv.content.trimEnd().split('\n')[0]?.startsWith('seq,'), true, 'the CSV starts with its header');
    await assert.rejects(harness.engine.call('trace.export', { runId: 99999, format: 'csv' }), /There is no run 99999/);
  });

  it('on the command line: report, verify and trace write whole files or say why not', async () => {
    const env = { ...process.env, IPC_LAB_HOME: harness.dataDir };
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [cli, ...args], { env, cwd: out }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const written = await run(['report', '--lab', 'ordinary-pipes', '--format', 'json', '--out', 'r.json']);
    assert.equal(written.code, 0, written.stderr);
    const verified = await run(['report', 'verify', 'r.json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /r\.json: OK/);
    assert.match(verified.stdout, /ok {3}digest ok/);

    const bytes = readFileSync(join(out, 'r.json'));
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0x01;
    writeFileSync(join(out, 'edited.json'), bytes);
    const caught = await run(['report', 'verify', 'r.json', 'edited.json']);
    assert.equal(caught.code, 1, 'one bad report makes verify fail');
    assert.match(caught.stdout, /edited\.json: FAILED/);

    const unwritable = await run(['report', '--format', 'json', '--out', join(out, 'no-such-folder', 'r.json')]);
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /Cannot write .*no-such-folder.*ENOENT[\s\S]*Fix: Choose a path/);

    const trace = await run(['trace', String((await harness.engine.call('runs.list', {})).runs[0]!.runId), '--format', 'perfetto', '--out', 't.json']);
    assert.equal(trace.code, 0, trace.stderr);
    assert.ok(existsSync(join(out, 't.json')), 'the trace file is written');
    const badFormat = await run(['trace', '1', '--format', 'svg']);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /--format is perfetto or csv, got "svg"/);
    assert.deepEqual(
      readdirSync(out).filter((f) => f.startsWith('.')),
      [],
      'no temporary file is left',
    );
  });
});
