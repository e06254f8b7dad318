/**
 * The desktop app's PDF path (main/hosts/electron/print-report.ts) under plain Node: the print window's
 * flags, the names and requests it accepts, and the flow around printToPDF. The Electron binary cannot
 * run on these machines, so the two Electron calls (a hidden window that prints, the save dialog) are
 * stand-ins that record what they were asked; the files, folders and renames are real.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import type { BrowserWindowConstructorOptions, PrintToPDFOptions, SaveDialogOptions } from 'electron';
import {
  checkSavePdfRequest,
  comparablePath,
  isAllowedPrintRequest,
  MAX_HTML_CHARS,
  PDF_OPTIONS,
  pdfFileName,
  printWindowOptions,
  savePdf,
  writeWhole,
  type PrintHost,
} from '../../../main/hosts/electron/print-report.js';

const scratch = mkdtempSync(join(tmpdir(), 'ipc-lab-print-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const newFolder = (): string => {
  const folder = join(scratch, `case-${++folders}`);
  mkdirSync(folder);
  return folder;
};

const PDF_BYTES = new TextEncoder().encode('%PDF-1.7 test\n');

interface Recorded {
  windows: Array<{
    options: BrowserWindowConstructorOptions;
    loaded: string[];
    printed: PrintToPDFOptions[];
    destroyed: boolean;
    allowedWhileLoading: string[];
  }>;
  dialogs: SaveDialogOptions[];
  htmlSeen: string[];
}

function fakeHost(opts: { choose: string | null; printFails?: string; tempRoot: string }): { host: PrintHost; recorded: Recorded } {
  const recorded: Recorded = { windows: [], dialogs: [], htmlSeen: [] };
  const host: PrintHost = {
    allowedFiles: new Set(),
    tempRoot: opts.tempRoot,
    defaultFolder: () => '/home/student/Documents',
    askWhereToSave: async (options) => {
      recorded.dialogs.push(options);
      return opts.choose === null ? { canceled: true, filePath: '' } : { canceled: false, filePath: opts.choose };
    },
    openWindow: (options) => {
      const record = { options, loaded: [] as string[], printed: [] as PrintToPDFOptions[], destroyed: false, allowedWhileLoading: [] as string[] };
      recorded.windows.push(record);
      return {
        loadFile: async (path) => {
          record.loaded.push(path);
          record.allowedWhileLoading.push(...host.allowedFiles);
          recorded.htmlSeen.push(readFileSync(path, 'utf8'));
        },
        printToPDF: async (pdfOptions) => {
          record.printed.push(pdfOptions);
          if (opts.printFails) throw new Error(opts.printFails);
          return PDF_BYTES;
        },
        destroy: () => {
          record.destroyed = true;
        },
      };
    },
  };
  return { host, recorded };
}

describe('print window', () => {
  test('is hidden, runs no script, is sandboxed without Node, in its own in-memory session', () => {
    const options = printWindowOptions();
    assert.equal(options.show, false);
    const web = options.webPreferences!;
    assert.equal(web.javascript, false);
    assert.equal(web.sandbox, true);
    assert.equal(web.contextIsolation, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
    assert.equal(web.webviewTag, false);
    assert.equal(web.preload, undefined);
    assert.ok(web.partition && !web.partition.startsWith('persist:'), `partition ${web.partition} must be in memory`);
  });

  test('prints A4 with backgrounds', () => {
    assert.deepEqual(PDF_OPTIONS, { printBackground: true, pageSize: 'A4' });
  });

  test('may load its report file, data: and about: URLs, and nothing else', () => {
    const file = '/tmp/ipc-lab-print-x/report.html';
    const report = pathToFileURL(file).href;
    const allowed = new Set([comparablePath(file)]);
    assert.ok(isAllowedPrintRequest(report, allowed), 'the report itself');
    assert.ok(isAllowedPrintRequest(`${report}#step-2`, allowed), 'the report at a fragment');
    assert.ok(isAllowedPrintRequest('file:///tmp/ipc-lab-print-x/./report.html', allowed), 'the report, its URL written another way');
    assert.ok(isAllowedPrintRequest('file://localhost/tmp/ipc-lab-print-x/report.html', allowed), 'the report on localhost');
    assert.ok(isAllowedPrintRequest('data:image/png;base64,AAAA', allowed), 'an inline image');
    assert.ok(isAllowedPrintRequest('about:blank', allowed), 'about:blank');
    for (const url of [
      'https://example.com/track.gif',
      'http://127.0.0.1:7070/',
      'file:///etc/passwd',
      `${report}.js`,
      'file://evil.example/tmp/ipc-lab-print-x/report.html',
      'ws://localhost/',
      'not a url',
    ]) {
      assert.equal(isAllowedPrintRequest(url, allowed), false, url);
    }
  });
});

describe('the request from the page', () => {
  test('a file name is offered as a plain name ending in .pdf', () => {
    const cases: Array<[string, string]> = [
      ['ipc-lab-report-ada-all-labs-2025-01-01.pdf', 'ipc-lab-report-ada-all-labs-2025-01-01.pdf'],
      ['report.html', 'report.pdf'],
      ['report', 'report.pdf'],
      ['../../etc/cron.d/evil.pdf', 'evil.pdf'],
      ['C:\\Users\\x\\r.pdf', 'r.pdf'],
      ['.hidden.pdf', 'hidden.pdf'],
      ['a\u0000b<c>:"|?*.pdf', 'abc.pdf'],
      ['', 'ipc-lab-report.pdf'],
      ['..', 'ipc-lab-report.pdf'],
      ['.pdf', 'ipc-lab-report.pdf'],
      ['rapport-élève.pdf', 'rapport-élève.pdf'],
    ];
    for (const [given, offered] of cases) assert.equal(pdfFileName(given), offered, JSON.stringify(given));
  });

  test('anything but HTML text and a name is refused with what to do', () => {
    for (const [html, name] of [
      [undefined, 'r.pdf'],
      ['', 'r.pdf'],
      [{ html: '<p>' }, 'r.pdf'],
      ['<p>', 42],
      ['x'.repeat(MAX_HTML_CHARS + 1), 'r.pdf'],
    ] as Array<[unknown, unknown]>) {
      const checked = checkSavePdfRequest(html, name);
      assert.ok('code' in checked, `accepted ${typeof html} ${String(name)}`);
      assert.equal(checked.code, 'bad-request');
      assert.ok(checked.fix.length > 0, 'an error without a fix');
    }
    assert.deepEqual(checkSavePdfRequest('<p>hi</p>', 'r.html'), { html: '<p>hi</p>', fileName: 'r.pdf' });
  });
});

describe('saving a PDF', () => {
  test('asks where first, then prints the HTML in a hidden window, writes the PDF and leaves nothing behind', async () => {
    const folder = newFolder();
    const temp = newFolder();
    const target = join(folder, 'mine.pdf');
    const { host, recorded } = fakeHost({ choose: target, tempRoot: temp });
    const outcome = await savePdf(host, '<!doctype html><p>Ada</p>', 'ipc-lab-report-ada.pdf');

    assert.deepEqual(outcome, { ok: true, response: { saved: true, path: target } });
    assert.deepEqual(readFileSync(target), Buffer.from(PDF_BYTES));
    assert.equal(recorded.dialogs.length, 1);
    assert.equal(recorded.dialogs[0]!.defaultPath, join('/home/student/Documents', 'ipc-lab-report-ada.pdf'));
    assert.deepEqual(recorded.dialogs[0]!.filters, [{ name: 'PDF', extensions: ['pdf'] }]);
    assert.equal(recorded.windows.length, 1);
    const [window] = recorded.windows;
    assert.deepEqual(window!.options, printWindowOptions());
    assert.deepEqual(window!.printed, [PDF_OPTIONS]);
    assert.deepEqual(recorded.htmlSeen, ['<!doctype html><p>Ada</p>']);
    assert.deepEqual(window!.allowedWhileLoading, [comparablePath(window!.loaded[0]!)], 'the report file was let through while it loaded');
    assert.ok(isAllowedPrintRequest(pathToFileURL(window!.loaded[0]!).href, new Set(window!.allowedWhileLoading)), 'the loaded file is not let through');
    assert.ok(window!.destroyed, 'the print window was left open');
    assert.equal(host.allowedFiles.size, 0, 'the report file is still let through');
    assert.deepEqual(readdirSync(temp), [], 'the temporary HTML was left behind');
    assert.deepEqual(readdirSync(folder), ['mine.pdf'], 'a temporary PDF was left beside the target');
  });

  test('a closed save dialog saves nothing and prints nothing', async () => {
    const { host, recorded } = fakeHost({ choose: null, tempRoot: newFolder() });
    assert.deepEqual(await savePdf(host, '<p>x</p>', 'r.pdf'), { ok: true, response: { saved: false } });
    assert.equal(recorded.windows.length, 0);
  });

  test('a refused request never opens the dialog', async () => {
    const { host, recorded } = fakeHost({ choose: '/tmp/never.pdf', tempRoot: newFolder() });
    const outcome = await savePdf(host, 17, 'r.pdf');
    assert.equal(outcome.ok, false);
    assert.equal(recorded.dialogs.length, 0);
  });

  test('a print that fails says so, closes its window, and leaves the old file as it was', async () => {
    const folder = newFolder();
    const temp = newFolder();
    const target = join(folder, 'old.pdf');
    writeFileSync(target, 'the old PDF');
    const { host, recorded } = fakeHost({ choose: target, printFails: 'Printing failed', tempRoot: temp });
    const outcome = await savePdf(host, '<p>x</p>', 'r.pdf');
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error.message : '', /could not be printed to PDF: Printing failed/);
    assert.match(!outcome.ok ? outcome.error.fix : '', /HTML/);
    assert.ok(recorded.windows[0]!.destroyed, 'the print window was left open');
    assert.equal(readFileSync(target, 'utf8'), 'the old PDF');
    assert.deepEqual(readdirSync(temp), []);
    assert.equal(host.allowedFiles.size, 0);
  });

  test('a place that cannot be written is named, with what to do', async () => {
    const folder = newFolder();
    const target = join(folder, 'no-such-folder', 'r.pdf');
    const { host } = fakeHost({ choose: target, tempRoot: newFolder() });
    const outcome = await savePdf(host, '<p>x</p>', 'r.pdf');
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.error.message : '', new RegExp(`Cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    assert.deepEqual(readdirSync(folder), []);
  });
});

describe('writeWhole', () => {
  test('replaces a file whole, through a temporary file that does not stay', async () => {
    const folder = newFolder();
    const target = join(folder, 'r.pdf');
    writeFileSync(target, 'old');
    await writeWhole(target, new TextEncoder().encode('new'));
    assert.equal(readFileSync(target, 'utf8'), 'new');
    assert.deepEqual(readdirSync(folder), ['r.pdf']);
  });

  test('a failed rename leaves the old file and no temporary file', async () => {
    const folder = newFolder();
    const target = join(folder, 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty folder cannot be renamed over
    await assert.rejects(writeWhole(target, new TextEncoder().encode('x')));
    assert.deepEqual(readdirSync(folder), ['taken']);
    assert.ok(existsSync(join(target, 'inside')), 'the folder in the way was touched');
  });
});
