/**
 * An optional capability of a host beyond the contract's Bridge: saving a report as PDF itself. The
 * Electron host has it (main/hosts/electron/print-report.ts prints the report's HTML with Chromium's
 * printToPDF and asks where to save); the browser host has not, and the page prints instead.
 */
import type { Bridge, SavedPdf } from '../../../../main/contract/commands.js';

export type { SavedPdf };

export interface PdfSaver {
  /** Prints `html` to a PDF and saves it where the student chooses, offering `fileName`. */
  savePdf(html: string, fileName: string): Promise<SavedPdf>;
}

/** The bridge's PDF capability, when its host has one. */
export function pdfSaverOf(bridge: Bridge): PdfSaver | null {
  const candidate = bridge as Bridge & Partial<PdfSaver>;
  return typeof candidate.savePdf === 'function' ? (candidate as PdfSaver) : null;
}
