/**
 * Exporting a session report (main/contract/report-format.ts) from the UI: of one lab, or of every lab.
 * One dialog serves every "Export report" button (App.svelte places it and shares this state through
 * `setReportExport`); a button only says which lab.
 *
 * The student's identity is asked at the first export (a name, a pseudonym allowed, and an optional
 * student id), kept by the engine (`identity.set`) and shown, editable, afterwards. PDF is not the
 * engine's: it exports the HTML, and the host saves it as PDF when it can (the desktop app), else the
 * browser's print dialog opens on it.
 */
import { createContext } from 'svelte';
import type { Bridge, CommandRequest, ExportedFile } from '../../../../main/contract/commands.js';
import { BridgeError } from '../../../../main/contract/errors.js';
import type { StudentIdentity } from '../../../../main/contract/report-format.js';
import { pdfSaverOf, type PdfSaver } from '../bridge/pdf-saver.js';
import { errorText } from '../format.js';
import type { ShownError } from './lab-page.svelte.js';
import type { LabTitles } from './lab-titles.svelte.js';
import { downloadFile, printHtml } from './report-delivery.js';

export type ReportChoice = 'html' | 'json' | 'pdf';

/** The limits `identity.set` checks (main/contract/commands.ts), for the form's maxlength. */
export const NAME_MAX = 200;
export const STUDENT_ID_MAX = 100;

/** The identity form: what the student typed, and what is wrong with it. */
export class IdentityDraft {
  name = $state('');
  studentId = $state('');
  #error = $state<string | null>(null);

  get error(): string | null {
    return this.#error;
  }

  fill(student: StudentIdentity | null): void {
    this.name = student?.name ?? '';
    this.studentId = student?.studentId ?? '';
    this.#error = null;
  }

  /** The identity to keep, or null (with `error` saying why) when the name is missing. */
  check(): { name: string; studentId: string | null } | null {
    const name = this.name.trim();
    if (!name) {
      this.#error = 'Give a name: a report says whose work it is. A pseudonym will do.';
      return null;
    }
    this.#error = null;
    return { name, studentId: this.studentId.trim() || null };
  }
}

/** How an export ended, for the dialog to say. */
export type ExportOutcome = 'done' | 'identity-missing' | 'failed';

export class ReportExport {
  readonly #bridge: Bridge;
  readonly #titles: LabTitles;
  readonly #pdfSaver: PdfSaver | null;
  readonly draft = new IdentityDraft();

  #isOpen = $state(false);
  #labId = $state<string | null>(null);
  format = $state<ReportChoice>('html');
  /** Embed each chosen run's whole trace, not only the events its checks used. */
  full = $state(false);

  #student = $state.raw<StudentIdentity | null>(null);
  #identityLoaded = $state(false);
  #identityError = $state<ShownError | null>(null);
  #editingIdentity = $state(false);

  #busy = $state(false);
  #error = $state<ShownError | null>(null);
  #nothingToReport = $state<ShownError | null>(null);
  #done = $state<string | null>(null);

  /** "the Ordinary pipes lab", "every lab". */
  readonly scope = $derived.by(() => (this.#labId === null ? 'every lab' : `the ${this.#titles.lab(this.#labId) ?? this.#labId} lab`));
  /** The identity form is shown: nothing is kept yet, or the student asked to change it. */
  readonly askingIdentity = $derived(this.#identityLoaded && (this.#student === null || this.#editingIdentity));

  constructor(bridge: Bridge, titles: LabTitles) {
    this.#bridge = bridge;
    this.#titles = titles;
    this.#pdfSaver = pdfSaverOf(bridge);
  }

  get isOpen(): boolean {
    return this.#isOpen;
  }
  get labId(): string | null {
    return this.#labId;
  }
  /** True when the host saves PDFs itself (the desktop app); else the browser's print dialog does. */
  get hostSavesPdf(): boolean {
    return this.#pdfSaver !== null;
  }
  get student(): StudentIdentity | null {
    return this.#student;
  }
  get identityLoaded(): boolean {
    return this.#identityLoaded;
  }
  get identityError(): ShownError | null {
    return this.#identityError;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ShownError | null {
    return this.#error;
  }
  /** Set when the engine said there is nothing to report: the dialog offers an empty report. */
  get nothingToReport(): ShownError | null {
    return this.#nothingToReport;
  }
  /** What the last export did, in a sentence. */
  get done(): string | null {
    return this.#done;
  }

  /** Opens the dialog for one lab, or for every lab when `labId` is undefined. */
  open(labId?: string): void {
    this.#labId = labId ?? null;
    if (labId !== undefined) void this.#titles.load(labId);
    this.#error = null;
    this.#nothingToReport = null;
    this.#done = null;
    this.#editingIdentity = false;
    this.#isOpen = true;
    void this.#loadIdentity();
  }

  close(): void {
    this.#isOpen = false;
  }

  editIdentity(): void {
    this.draft.fill(this.#student);
    this.#editingIdentity = true;
  }

  cancelIdentityEdit(): void {
    this.#editingIdentity = false;
  }

  /** Exports with the dialog's choices; `allowEmpty` asks for a report even when no step was run. */
  async export(allowEmpty = false): Promise<ExportOutcome> {
    if (this.#busy) return 'failed';
    this.#error = null;
    this.#nothingToReport = null;
    this.#done = null;
    if (!this.#identityLoaded) {
      await this.#loadIdentity();
      if (!this.#identityLoaded) return 'failed';
    }
    let identity: { name: string; studentId: string | null } | null = null;
    if (this.askingIdentity) {
      identity = this.draft.check();
      if (!identity) return 'identity-missing';
    }
    this.#busy = true;
    try {
      if (identity) {
        const { student } = await this.#bridge.call('identity.set', identity);
        this.#student = student;
        this.#editingIdentity = false;
      }
      const request: CommandRequest<'report.export'> = {
        format: this.format === 'pdf' ? 'html' : this.format,
        full: this.full,
        allowEmpty,
        ...(this.#labId === null ? {} : { labId: this.#labId }),
      };
      const file = await this.#bridge.call('report.export', request);
      this.#done = await this.#deliver(file);
      return 'done';
    } catch (error) {
      const code = error instanceof BridgeError ? error.info.code : null;
      if (code === 'nothing-to-report') {
        this.#nothingToReport = {
          message: errorText(error).message,
          fix: 'Run a step first, or export an empty report: it names you and lists every step as not started.',
        };
      } else if (code === 'no-identity') {
        this.#student = null;
        this.#identityLoaded = true;
        this.draft.fill(null);
        this.#error = { message: errorText(error).message, fix: 'Give your name above (a pseudonym will do), then export again.' };
        return 'identity-missing';
      } else {
        this.#error = errorText(error);
      }
      return 'failed';
    } finally {
      this.#busy = false;
    }
  }

  async #deliver(file: ExportedFile): Promise<string> {
    if (this.format !== 'pdf') {
      downloadFile(file);
      return `${file.fileName} is downloading: your browser puts it with your downloads, or asks where to save it.`;
    }
    const pdfName = file.fileName.replace(/\.html?$/i, '') + '.pdf';
    if (this.#pdfSaver) {
      const saved = await this.#pdfSaver.savePdf(file.content, pdfName);
      return saved.saved ? `Saved ${saved.path}.` : 'Not saved: the save dialog was closed without choosing a place.';
    }
    await printHtml(file.content);
    return 'Your browser’s print dialog opened on the report: choose “Save as PDF” as the destination to keep it as a PDF.';
  }

  async #loadIdentity(): Promise<void> {
    if (this.#identityLoaded) {
      this.draft.fill(this.#student);
      return;
    }
    this.#identityError = null;
    try {
      const { student } = await this.#bridge.call('identity.get', {});
      this.#student = student;
      this.#identityLoaded = true;
      this.draft.fill(student);
    } catch (error) {
      this.#identityError = errorText(error);
    }
  }
}

const [getReportExport, setReportExport] = createContext<ReportExport>();
/** The app's one ReportExport, for any "Export report" button under App.svelte. */
export { getReportExport, setReportExport };
