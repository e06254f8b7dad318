/**
 * How a process that did not create a FIFO finds it: by its path, and only once it exists.
 *
 * Programs that start at the same time cannot know who will be first, so the one that did not create
 * the FIFO looks for it with stat() and tries again a little later while the answer is ENOENT. (In C
 * one could as well retry open(path, O_WRONLY) itself, which fails with ENOENT too. Beware Node's
 * string flags there: fs.openSync(path, 'w') adds O_CREAT and O_TRUNC, and on a missing name it would
 * quietly make an ordinary file instead of waiting for a FIFO; lab.open passes O_WRONLY alone, as C.)
 */
import { statSync } from 'node:fs';
import { lab } from '../../../main/runtime/lab-runtime.js';

const RETRY_MS = 10;

/** The path of the run's FIFO `name`, once it exists (waits up to `timeoutMs`). */
export function waitForFifo(name: string, timeoutMs = 10_000): string {
  const path = lab.fifoPath(name);
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      if (!statSync(path).isFIFO()) throw new Error(`${path} exists but is not a FIFO`);
      if (attempt > 0) lab.note(`${name}.fifo exists now: found after ${attempt} tries (${Date.now() - start} ms)`);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || Date.now() - start > timeoutMs) throw error;
      if (attempt === 0) lab.note(`stat("${path}") failed with ENOENT: no FIFO there yet; trying again every ${RETRY_MS} ms`);
      lab.sleep(RETRY_MS);
    }
  }
}
