/**
 * An engine that runs out of file descriptors, for test/integration/failed-start.test.ts. Run it with a
 * low RLIMIT_NOFILE (prlimit --nofile=N): it opens /dev/null until open() fails with EMFILE, then frees
 * one descriptor at a time and tries runs.start after each, so that a start fails at every point where it
 * needs a descriptor (the owner file, the trace socket, each program's spawn and pipes), until one starts.
 *
 * One JSON line per attempt on stdout: { freed, ok, code?, message?, fix?, runs, starting, runDirs, sockets }.
 * Usage: engine-out-of-descriptors.ts <data dir> <labs dir>
 */
import { closeSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { openEngine } from '../../main/engine/engine.js';
import { runDirsOwnedBy } from './engine-harness.js';

/** How many sockets this process has open (the spare descriptors are free while this runs). */
function openSockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

const [dataDir, labsDir] = process.argv.slice(2);
const engine = await openEngine({ dataDir: dataDir!, labsDir: labsDir! });
const held: number[] = [];
for (;;) {
  try {
    held.push(openSync('/dev/null', 'r'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EMFILE') throw error;
    break;
  }
}
for (let freed = 0; held.length > 0; freed++) {
  if (freed > 0) closeSync(held.pop()!);
  const outcome = await engine.handle('runs.start', { labId: 'misbehaving', scenarioId: 'blinks' });
  const ok = outcome.ok;
  if (ok) await engine.currentRun?.done;
  // What the failed start left: every descriptor the listing needs is freed first, then taken back.
  const spare = held.splice(0, 8);
  for (const fd of spare) closeSync(fd);
  const runs = engine.store.runs();
  const line = {
    freed,
    ok,
    ...(outcome.ok ? {} : { code: outcome.error.code, message: outcome.error.message, fix: outcome.error.fix }),
    runs: runs.length,
    starting: runs.filter((r) => r.status === 'starting').length,
    runDirs: runDirsOwnedBy(process.pid).length,
    sockets: openSockets(),
  };
  console.log(JSON.stringify(line));
  if (ok) break;
  for (let i = 0; i < spare.length; i++) {
    try {
      held.unshift(openSync('/dev/null', 'r'));
    } catch {
      break; // The engine kept one (a socket, a pipe): the next attempt frees one fewer.
    }
  }
}
for (const fd of held) closeSync(fd);
await engine.close();
