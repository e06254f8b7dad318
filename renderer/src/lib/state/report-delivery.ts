/**
 * How an exported report leaves the page: a download (HTML, JSON), or the browser's print dialog, where
 * the student picks "Save as PDF" (PDF in browser mode; the desktop app saves PDFs itself, pdf-saver.ts).
 */
import type { ExportedFile } from '../../../../main/contract/commands.js';

/** How long an object URL outlives its click: the download reads it at once, a slow browser a little later. */
const REVOKE_AFTER_MS = 60_000;

/** Saves `file` through the browser's download, under its file name. */
export function downloadFile(file: ExportedFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}

let printFrame: HTMLIFrameElement | null = null;

/**
 * Opens the browser's print dialog on `html`. The report is laid out in a frame kept out of sight (a
 * frame of no size would print no pages) and sandboxed: no script of its own may run (the report's CSP
 * allows none anyway), so print() is called from here, which `allow-same-origin` permits and
 * `allow-modals` lets open its dialog. The frame goes once printing is over, or at the next print.
 * Resolves once the dialog was asked for.
 */
export function printHtml(html: string): Promise<void> {
  printFrame?.remove();
  const frame = document.createElement('iframe');
  printFrame = frame;
  frame.setAttribute('sandbox', 'allow-same-origin allow-modals');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.title = 'The report, laid out for printing';
  frame.dataset.testid = 'report-print-frame';
  Object.assign(frame.style, { position: 'fixed', left: '-10000px', top: '0', width: '210mm', height: '297mm', border: '0' });
  const printed = new Promise<void>((resolve, reject) => {
    frame.addEventListener(
      'load',
      () => {
        const view = frame.contentWindow;
        if (!view) {
          reject(new Error('The report could not be laid out for printing (its frame has no window).'));
          return;
        }
        view.addEventListener('afterprint', () => {
          if (printFrame === frame) printFrame = null;
          frame.remove();
        });
        view.focus();
        view.print();
        resolve();
      },
      { once: true },
    );
  });
  frame.srcdoc = html;
  document.body.append(frame);
  return printed;
}
