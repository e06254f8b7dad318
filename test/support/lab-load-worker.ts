/**
 * Loads a labs folder in a worker thread, for the lab-file fuzz test (test/integration/fuzz.test.ts):
 * the loader is synchronous, so a hang or a runaway allocation (a YAML alias bomb, say) would stop the
 * test's own thread; in a worker, the test bounds each load with a deadline and a heap limit and names
 * the case. Run compiled (dist/test/support/lab-load-worker.js): Node 20 does not apply tsx's loader to
 * worker threads.
 *
 * Messages: in { id, labsDir, compiledRoot }, out { id, labs: ids, problems } or { id, thrown: text }.
 */
import { parentPort } from 'node:worker_threads';
import { loadLabs } from '../../main/engine/lab-loader.js';

export interface LoadRequest {
  id: number;
  labsDir: string;
  compiledRoot: string;
}

export type LoadAnswer = { id: number; labs: string[]; problems: { file: string; line: number; message: string }[] } | { id: number; thrown: string };

parentPort?.on('message', (request: LoadRequest) => {
  loadLabs(request.labsDir, request.compiledRoot).then(
    ({ labs, problems }) => parentPort!.postMessage({ id: request.id, labs: labs.map((lab) => lab.id), problems } satisfies LoadAnswer),
    (error: unknown) =>
      parentPort!.postMessage({ id: request.id, thrown: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies LoadAnswer),
  );
});
