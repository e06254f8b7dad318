/**
 * The desktop app's PDF: the page sends a report's HTML (from `report.export`), main prints it with
 * Chromium's own `webContents.printToPDF` in a hidden window and saves it where the student chooses.
 *
 * Like ipc-gate.ts this file imports no `electron` value: main.ts hands it the few Electron calls it
 * needs (`PrintHost`), so the rules and the flow run under plain Node in test/unit/hosts/print-report.test.ts.
 *
 * The print window is as shut as a window can be: never shown, JavaScript off (the report needs none;
 * its own CSP allows none), sandboxed, no Node, its own in-memory session that denies every permission
 * and cancels every request except the report's own file (a self-contained report makes none; anything
 * else would be a report that phones home, which printing must not let happen).
 *
 * Nothing is half-written: the PDF goes to a temporary file beside the chosen path, then is renamed over it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, PrintToPDFOptions, SaveDialogOptions, SaveDialogReturnValue } from 'electron';
import type { ErrorInfo } from '../../contract/errors.js';

import type { SavedPdf } from '../../contract/commands.js';

export type { SavedPdf };
export type SavePdfOutcome = { ok: true; response: SavedPdf } | { ok: false; error: ErrorInfo };

/** A4, with the report's background colours (status badges, table stripes). */
export const PDF_OPTIONS = { printBackground: true, pageSize: 'A4' } as const satisfies PrintToPDFOptions;
/** The print window's session: no "persist:" prefix, so it lives in memory and shares nothing with the app's. */
export const PRINT_PARTITION = 'ipc-lab-report-print';
/** A report of every step with whole traces is tens of MB at most; past this the page is not sending a report. */
export const MAX_HTML_CHARS = 128 * 1024 * 1024;
/** Loading and printing a report takes seconds; past this something is stuck, and the window is closed. */
export const PRINT_TIMEOUT_MS = 120_000;
const DEFAULT_PDF_NAME = 'ipc-lab-report.pdf';

export function printWindowOptions(): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 1000,
    height: 1400,
    webPreferences: {
      javascript: false,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      partition: PRINT_PARTITION,
      // A hidden window may be throttled; printing it should not wait on that.
      backgroundThrottling: false,
    },
  };
}

/**
 * A safe name to offer in the save dialog: the page's name without any folder, with characters no file
 * system minds, ending in .pdf. The student may still choose any name and place in the dialog.
 */
export function pdfFileName(requested: string): string {
  const base = requested.split(/[\\/]/).pop() ?? '';
  const stem = base
    .normalize('NFKC')
    .replace(/[\p{Cc}<>:"|?*]/gu, '')
    .trim()
    .replace(/\.(pdf|html?)$/i, '')
    .replace(/^\.+/, '')
    .slice(0, 120);
  return stem ? `${stem}.pdf` : DEFAULT_PDF_NAME;
}

/** Checks what the page sent: it comes from our own window, but over IPC, so it is checked anyway. */
export function checkSavePdfRequest(html: unknown, fileName: unknown): { html: string; fileName: string } | ErrorInfo {
  if (typeof html !== 'string' || html.length === 0) {
    return { code: 'bad-request', message: 'Saving a PDF needs the report as HTML, and none came.', fix: 'Export the report again.' };
  }
  if (html.length > MAX_HTML_CHARS) {
    return {
      code: 'bad-request',
      message: `The report is too large to print (${Math.round(html.length / 1024 / 1024)} MB of HTML; the limit is ${MAX_HTML_CHARS / 1024 / 1024} MB).`,
      fix: 'Export without "Embed whole traces", or export HTML and print it from a browser.',
    };
  }
  if (typeof fileName !== 'string') {
    return { code: 'bad-request', message: 'Saving a PDF needs a file name, and none came.', fix: 'Export the report again.' };
  }
  return { html, fileName: pdfFileName(fileName) };
}

/**
 * The print window may load its report file and nothing else (a fragment or query does not make it
 * another file). Files are compared as paths, not URL text, so the way Chromium writes the URL (a
 * Windows drive letter, an escaped character) cannot refuse the report itself. `data:` and `about:`
 * URLs load from the page itself, never from anywhere else.
 */
export function isAllowedPrintRequest(url: string, allowedFiles: ReadonlySet<string>): boolean {
  if (/^(data|about):/i.test(url)) return true;
  let path: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'file:' || (parsed.host !== '' && parsed.host !== 'localhost')) return false;
    parsed.hash = '';
    parsed.search = '';
    path = fileURLToPath(parsed);
  } catch {
    return false;
  }
  return allowedFiles.has(comparablePath(path));
}

/** A path as the allow-list keeps it: normalised, and case-folded where the file system folds case. */
export function comparablePath(path: string): string {
  const normalised = normalize(path);
  return process.platform === 'win32' || process.platform === 'darwin' ? normalised.toLowerCase() : normalised;
}

/** The one hidden window a report is printed in, as main.ts wraps a BrowserWindow. */
export interface PrintWindow {
  loadFile(path: string): Promise<void>;
  printToPDF(options: PrintToPDFOptions): Promise<Uint8Array>;
  destroy(): void;
}

/** The Electron calls the flow needs, handed in by main.ts. */
export interface PrintHost {
  openWindow(options: BrowserWindowConstructorOptions): PrintWindow;
  askWhereToSave(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** The folder the save dialog opens in (the user's Documents folder). */
  defaultFolder(): string;
  /** The report files (comparablePath) the print session lets through; main.ts's onBeforeRequest reads it. */
  allowedFiles: Set<string>;
  /** Where the report's HTML waits while it is printed; os.tmpdir() unless a test says otherwise. */
  tempRoot?: string;
}

/**
 * The whole flow: check the request, ask where to save (a closed dialog saves nothing), print the HTML
 * in a hidden window, write the PDF whole or not at all. Every failure is an answer that says what to do,
 * never a rejection.
 */
export async function savePdf(host: PrintHost, html: unknown, fileName: unknown): Promise<SavePdfOutcome> {
  const request = checkSavePdfRequest(html, fileName);
  if ('code' in request) return { ok: false, error: request };

  const choice = await host.askWhereToSave({
    title: 'Save the report as PDF',
    defaultPath: join(host.defaultFolder(), request.fileName),
    buttonLabel: 'Save PDF',
    filters: [{ name: 'PDF', extensions: ['pdf'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (choice.canceled || !choice.filePath) return { ok: true, response: { saved: false } };
  const target = choice.filePath;

  let pdf: Uint8Array;
  try {
    pdf = await printHtmlToPdf(host, request.html);
  } catch (error) {
    return {
      ok: false,
      error: {
        code: 'bad-request',
        message: `The report could not be printed to PDF: ${error instanceof Error ? error.message : String(error)}`,
        fix: 'Export it as HTML instead, open the file in a browser and print it to PDF from there.',
      },
    };
  }
  try {
    await writeWhole(target, pdf);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    return {
      ok: false,
      error: { code: 'bad-request', message: `Cannot write ${target}: ${code}.`, fix: 'Choose a folder that exists and that you can write to.' },
    };
  }
  return { ok: true, response: { saved: true, path: target } };
}

/** Prints `html` in a hidden window; the window and the temporary file are gone when this settles. */
export async function printHtmlToPdf(host: PrintHost, html: string): Promise<Uint8Array> {
  const folder = await mkdtemp(join(host.tempRoot ?? tmpdir(), 'ipc-lab-print-'));
  const file = join(folder, 'report.html');
  const allowed = comparablePath(file);
  let printWindow: PrintWindow | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await writeFile(file, html, { encoding: 'utf8', mode: 0o600 });
    host.allowedFiles.add(allowed);
    const opened = host.openWindow(printWindowOptions());
    printWindow = opened;
    const work = (async () => {
      await opened.loadFile(file);
      return opened.printToPDF(PDF_OPTIONS);
    })();
    // After a time-out the window is destroyed under it: that late failure has nobody left to tell.
    work.catch(() => {});
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`it took longer than ${PRINT_TIMEOUT_MS / 1000} s`)), PRINT_TIMEOUT_MS);
    });
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    printWindow?.destroy();
    host.allowedFiles.delete(allowed);
    await rm(folder, { recursive: true, force: true });
  }
}

/** Into a temporary file beside `target`, then renamed over it: a reader sees the old file or the new one. */
export async function writeWhole(target: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
