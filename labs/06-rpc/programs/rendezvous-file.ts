/**
 * How the programs of steps 1-3, 5 and 6 find a server's port without a matchmaker: the server writes it
 * into a file in the run's private directory, the client waits for that file (and reads it again to
 * find a server that was started again on another port). (Step 4 replaces this
 * with a matchmaker, as real systems do.) The file is written under another name and renamed, so a
 * reader never sees half of it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';

function pathOf(name: string): string {
  return join(lab.runDir, `${name}.port`);
}

export function publishPort(name: string, port: number): void {
  writeFileSync(`${pathOf(name)}.tmp`, String(port));
  renameSync(`${pathOf(name)}.tmp`, pathOf(name));
}

export async function waitForPort(name: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(pathOf(name))) {
    if (Date.now() > deadline) throw new Error(`no server published a port for ${name} within ${timeoutMs} ms: did it start?`);
    await sleep(10);
  }
  return Number(readFileSync(pathOf(name), 'utf8'));
}

/** The port in the file now (a restarted server replaces the file). */
export function readPort(name: string): number {
  return Number(readFileSync(pathOf(name), 'utf8'));
}
