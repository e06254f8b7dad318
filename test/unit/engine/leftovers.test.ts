/**
 * The sweep at engine start against real processes: a zombie engine is gone (kill(pid, 0) still
 * succeeds on it), and so is one whose pid a new process took.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RUN_DIR_PREFIX, SHM_DIR, sweepLeftoverObjects, sweepLeftoverRunDirs } from '../../../main/engine/leftovers.js';

/** Field 3 (state) and field 22 (start time) of /proc/<pid>/stat. */
function procStat(pid: number): { state: string; start: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, start: fields[19]! };
}

/**
 * A zombie: `sh` starts a child (head, reading fd 3), prints its pid and execs `sleep`, which never
 * waits for it. Once `sleep` runs, fd 3 closes, head exits, and nobody reaps it. Returns the zombie's
 * pid and its parent, to kill (init then reaps the zombie).
 */
async function makeZombie(): Promise<{ zombie: number; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', 'head -c 1 <&3 >/dev/null & echo $!; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  let zombie = NaN;
  for await (const line of createInterface({ input: parent.stdout! })) {
    zombie = Number(line);
    break;
  }
  assert.ok(Number.isInteger(zombie), 'sh printed the pid of its child');
  // Until the exec, sh could still reap its child itself.
  while (readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() !== 'sleep') await new Promise((resolve) => setImmediate(resolve));
  (parent.stdio[3] as Writable).end();
  while (procStat(zombie).state !== 'Z') await new Promise((resolve) => setImmediate(resolve));
  return { zombie, parent };
}

/** A live process started now (sleep), to kill after the test. */
async function liveProcess(): Promise<ChildProcess> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return child;
}

const started: ChildProcess[] = [];
const made: string[] = [];
let zombie: number;

before(async () => {
  const z = await makeZombie();
  zombie = z.zombie;
  started.push(z.parent);
});
after(() => {
  for (const child of started) child.kill('SIGKILL');
  for (const path of made) rmSync(path, { recursive: true, force: true });
});

/** A run directory in the temp folder whose owner files say `pid` and, if given, `start`. */
function runDirOwnedBy(pid: number, start?: number): string {
  const dir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  made.push(dir);
  writeFileSync(join(dir, 'owner.pid'), String(pid));
  if (start !== undefined) writeFileSync(join(dir, 'owner.start'), String(start));
  return dir;
}

/** A file in /dev/shm named as a run's segment of engine `pid`. */
function segmentOf(pid: number, name: string): string {
  const path = join(SHM_DIR, `ipc-lab-${pid}-1-${name}`);
  made.push(path);
  writeFileSync(path, '');
  return path;
}

describe('sweepLeftoverRunDirs', () => {
  it('removes the run directory of a zombie engine, and of an engine whose pid a new process took', async () => {
    assert.equal(procStat(zombie).state, 'Z', 'the zombie is still there: kill(pid, 0) succeeds on it');
    const ofZombie = runDirOwnedBy(zombie);
    const ofZombieIdentity = runDirOwnedBy(zombie, Number(procStat(zombie).start));
    const other = await liveProcess();
    started.push(other);
    const start = Number(procStat(other.pid!).start);
    const reused = runDirOwnedBy(other.pid!, start - 1);
    const live = runDirOwnedBy(other.pid!, start);
    const liveBarePid = runDirOwnedBy(other.pid!);
    sweepLeftoverRunDirs();
    assert.deepEqual(
      { ofZombie: existsSync(ofZombie), ofZombieIdentity: existsSync(ofZombieIdentity), reused: existsSync(reused) },
      { ofZombie: false, ofZombieIdentity: false, reused: false },
      'the zombie is gone, and a process that started at another time is not the engine that made the directory',
    );
    assert.deepEqual({ live: existsSync(live), liveBarePid: existsSync(liveBarePid) }, { live: true, liveBarePid: true }, 'a live owner keeps its directory');
  });

  it('removes a run directory whose engine died before writing its owner file, by the pid in its name (the crash test found one kept)', () => {
    const ownerless = (pid: number): string => {
      const dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${pid}-`));
      made.push(dir);
      return dir;
    };
    const ofZombie = ownerless(zombie);
    const ofThisEngine = ownerless(process.pid);
    sweepLeftoverRunDirs();
    assert.deepEqual(
      { ofZombie: existsSync(ofZombie), ofThisEngine: existsSync(ofThisEngine) },
      { ofZombie: false, ofThisEngine: true },
      'the dead engine named in it is gone at once; a live one may be writing its owner file now',
    );
  });
});

describe('sweepLeftoverObjects', () => {
  it('unlinks the segment of a zombie engine, and of a pid that a process started after it took', async (t) => {
    if (!existsSync(SHM_DIR)) {
      t.skip(`no ${SHM_DIR}`);
      return;
    }
    mkdirSync(SHM_DIR, { recursive: true });
    const ofZombie = segmentOf(zombie, 'zombie');
    const other = await liveProcess();
    started.push(other);
    // Made (last changed) an hour before the process now holding that pid started: not its segment.
    const reused = segmentOf(other.pid!, 'reused');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(reused, hourAgo, hourAgo);
    const live = segmentOf(other.pid!, 'live');
    sweepLeftoverObjects();
    assert.deepEqual(
      { ofZombie: existsSync(ofZombie), reused: existsSync(reused), live: existsSync(live) },
      { ofZombie: false, reused: false, live: true },
      'the zombie is gone, a process newer than the segment did not make it, and a live one keeps its own',
    );
  });
});
