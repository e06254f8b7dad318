/**
 * Benchmark child processes: each prints `ready` when set up, then one JSON line (its report), then
 * exits 0. The launcher remembers every pid it started, so that a section can check none is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface BenchChild {
  process: ChildProcess;
  ready: Promise<void>;
  /** The child's JSON report, once it exited (rejects if it exited without one, or not with 0). */
  result: Promise<unknown>;
}

export class ChildLauncher {
  /** Every pid started, alive or not. */
  readonly pids = new Set<number>();

  /** programsDir: the compiled child programs; stallMs: how long a child may take to get ready or to end. */
  constructor(
    private readonly programsDir: string,
    private readonly stallMs: number,
  ) {}

  /** Starts dir/program with args; extraFds land at descriptors 3, 4, ... of the child. */
  start(program: string, args: string[], extraFds: number[] = []): BenchChild {
    const child = spawn(process.execPath, [join(this.programsDir, program), ...args], { stdio: ['ignore', 'pipe', 'inherit', ...extraFds] });
    if (child.pid !== undefined) this.pids.add(child.pid);
    let output = '';
    let markReady: () => void = () => {};
    let failReady: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const timer = setTimeout(() => failReady(new Error(`${program} (pid ${child.pid}) was not ready within ${this.stallMs} ms`)), this.stallMs);
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.startsWith('ready\n')) {
        clearTimeout(timer);
        markReady();
      }
    });
    const result = new Promise<unknown>((resolve, reject) => {
      child.on('error', (error) => {
        clearTimeout(timer);
        failReady(error);
        reject(error);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        failReady(new Error(`${program} (pid ${child.pid}) exited with ${signal ?? `code ${code}`} before it was ready`));
        const last = output.trim().split('\n').pop() ?? '';
        if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last));
        else reject(new Error(`${program} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}; last output: ${JSON.stringify(last.slice(0, 200))}`));
      });
    });
    result.catch(() => {}); // awaited later; an early failure must not be an unhandled rejection
    ready.catch(() => {});
    return { process: child, ready, result };
  }

  /** Kills the children (a no-op for those that have exited) and waits until each has ended. */
  async stopAll(children: readonly BenchChild[]): Promise<void> {
    for (const child of children) child.process.kill('SIGKILL');
    await Promise.all(children.map((child) => this.settle(child).catch(() => {})));
  }

  /** Waits for the child to end, killing it if it has not within stallMs (its report is then lost). */
  async settle(child: BenchChild): Promise<unknown> {
    const timer = setTimeout(() => child.process.kill('SIGKILL'), this.stallMs);
    try {
      return await child.result;
    } finally {
      clearTimeout(timer);
    }
  }
}
