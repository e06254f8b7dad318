/**
 * Benchmark child processes: each prints `ready` when set up, then one JSON line (its report), then
 * exits 0. The launcher remembers every pid it started, so that a section can check none is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../../main/native/index.js';

export interface BenchChild {
  process: ChildProcess;
  ready: Promise<void>;
  /** The child's JSON report, once it exited (rejects if it exited without one, or not with 0). */
  result: Promise<unknown>;
}

/** One of the two children of `runPair`. */
export interface PairMember {
  program: string;
  args: string[];
  /** Descriptors handed to it: from fd 3, or from fd 4 when it takes the go pipe. */
  fds?: number[];
  /** It gets the read end of the go pipe at fd 3, and starts measuring when a byte arrives there. */
  takesGo?: boolean;
  /** Wait until it is ready before starting the other (a server that the client connects to at start). */
  readyFirst?: boolean;
  /** Run it on this CPU only (taskset(1), which execs the program: the pid stays the child's). */
  cpu?: number;
}

export class ChildLauncher {
  /** Every pid started, alive or not. */
  readonly pids = new Set<number>();

  /** programsDir: the compiled child programs; stallMs: how long a child may take to get ready or to end. */
  constructor(
    private readonly programsDir: string,
    private readonly stallMs: number,
  ) {}

  /** Starts dir/program with args; extraFds land at descriptors 3, 4, ... of the child; cpu pins it. */
  start(program: string, args: string[], extraFds: number[] = [], cpu?: number): BenchChild {
    const argv = [join(this.programsDir, program), ...args];
    const [command, commandArgs] = cpu === undefined ? [process.execPath, argv] : ['taskset', ['--cpu-list', String(cpu), process.execPath, ...argv]];
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit', ...extraFds] });
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

  /**
   * Runs two children that measure something between them: starts them in order, writes the go byte
   * once both are ready, and returns their two reports. `afterStart` runs once both are spawned (to
   * close the descriptors handed to them). A child that fails to start or to report adds to
   * `problems`, and the result is then undefined. No child is left either way.
   */
  async runPair(first: PairMember, second: PairMember, problems: string[], afterStart?: () => void): Promise<[unknown, unknown] | undefined> {
    const go = native().pipe();
    const children: BenchChild[] = [];
    try {
      try {
        try {
          for (const member of [first, second]) {
            const child = this.start(member.program, member.args, [...(member.takesGo ? [go.readFd] : []), ...(member.fds ?? [])], member.cpu);
            children.push(child);
            if (member.readyFirst) await child.ready;
          }
        } finally {
          closeSync(go.readFd);
          afterStart?.();
        }
        await Promise.all(children.map((c) => c.ready));
        writeSync(go.writeFd, Buffer.from('g')); // the pipe is empty: this never blocks
      } catch (error) {
        problems.push((error as Error).message);
        return undefined;
      } finally {
        closeSync(go.writeFd);
      }
      const reports = await Promise.allSettled(children.map((c) => this.settle(c)));
      for (const r of reports) if (r.status === 'rejected') problems.push((r.reason as Error).message);
      if (reports[0]!.status === 'rejected' || reports[1]!.status === 'rejected') return undefined;
      return [reports[0]!.value, reports[1]!.value];
    } finally {
      await this.stopAll(children);
    }
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
