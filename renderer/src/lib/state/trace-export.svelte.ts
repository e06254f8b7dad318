/**
 * "Export trace" on a run: asks the engine for the run's trace as a file (`trace.export`: Chrome Trace
 * Event Format JSON that Perfetto UI opens, or CSV) and saves it through the browser's download, which
 * Electron's window does as well.
 */
import type { Bridge, CommandRequest } from '../../../../main/contract/commands.js';
import { errorText } from '../format.js';
import type { ShownError } from './lab-page.svelte.js';
import { downloadFile } from './report-delivery.js';

/** (A type only: a value from commands.ts would bring zod into the page.) */
export type TraceFileFormat = CommandRequest<'trace.export'>['format'];

export const TRACE_FORMAT_LABELS: Record<TraceFileFormat, string> = { perfetto: 'Perfetto (JSON)', csv: 'CSV' };

export class TraceExport {
  readonly #bridge: Bridge;
  #busy = $state.raw<{ runId: number; format: TraceFileFormat } | null>(null);
  #error = $state.raw<{ runId: number; format: TraceFileFormat; error: ShownError } | null>(null);
  #saved = $state.raw<{ runId: number; fileName: string } | null>(null);

  constructor(bridge: Bridge) {
    this.#bridge = bridge;
  }

  /** The export on its way, if any. */
  get busy(): { runId: number; format: TraceFileFormat } | null {
    return this.#busy;
  }

  errorFor(runId: number): { format: TraceFileFormat; error: ShownError } | null {
    return this.#error?.runId === runId ? this.#error : null;
  }

  /** The file last saved for this run (what the menu confirms). */
  savedFor(runId: number): string | null {
    return this.#saved?.runId === runId ? this.#saved.fileName : null;
  }

  dismissError(): void {
    this.#error = null;
  }

  async save(runId: number, format: TraceFileFormat): Promise<void> {
    if (this.#busy) return;
    this.#busy = { runId, format };
    this.#error = null;
    this.#saved = null;
    try {
      const file = await this.#bridge.call('trace.export', { runId, format });
      downloadFile(file);
      this.#saved = { runId, fileName: file.fileName };
    } catch (error) {
      const shown = errorText(error);
      this.#error = {
        runId,
        format,
        error: { message: `Could not export the trace of run ${runId} as ${TRACE_FORMAT_LABELS[format]}: ${shown.message}`, fix: shown.fix },
      };
    } finally {
      this.#busy = null;
    }
  }
}
