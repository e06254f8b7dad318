/**
 * Small fixture programs run as real processes (compiled to dist/test/fixtures/...): start one, wait
 * for a line it prints, read its last line as JSON. Every process started is killed at the end.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Fixture {
  child: ChildProcess;
  /** Resolves with the first stdout line matching re. */
  line(re: RegExp): Promise<string>;
  /** Resolves when it exits, with everything it printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export class FixtureRunner {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly fixtureDir: string) {}

  run(program: string, args: (string | number)[]): Fixture {
    const child = spawn(process.execPath, [join(this.fixtureDir, `${program}.js`), ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    const watchers: { re: RegExp; resolve: (line: string) => void }[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const w of [...watchers]) {
        const found = stdout.split('\n').find((l) => w.re.test(l));
        if (found !== undefined) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(found);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal, stdout, stderr });
      }),
    );
    return {
      child,
      exited,
      line: (re) =>
        new Promise((resolve, reject) => {
          const found = stdout.split('\n').find((l) => re.test(l));
          if (found !== undefined) return resolve(found);
          watchers.push({ re, resolve });
          void exited.then((e) => reject(new Error(`${program} exited (${e.code ?? e.signal}) before printing ${re}: ${e.stderr}`)));
        }),
    };
  }

  /** SIGKILLs every fixture still running (for after()). */
  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/** A fixture's last stdout line as JSON, after checking it exited 0. */
export async function result<T>(fixture: Fixture): Promise<T> {
  const { code, signal, stdout, stderr } = await fixture.exited;
  assert.equal(code, 0, `fixture exited with ${code ?? signal}: ${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}

/** Refuses a missing or stale build rather than testing old code: each pair is [source, compiled]. */
export function assertBuiltFresh(pairs: readonly (readonly [string, string])[]): void {
  for (const [source, built] of pairs) {
    assert.ok(
      existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs,
      `${built} is missing or older than its source. Fix: npx tsc -p tsconfig.json`,
    );
  }
}
