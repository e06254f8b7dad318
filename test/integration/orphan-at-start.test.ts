/**
 * A lab process whose spawner died while Node was still starting must end at its runtime's set-up, not
 * live on as an orphan. PR_SET_PDEATHSIG only fires for a parent that dies after it is set
 * (prctl(2)), so the runtime compares getppid() with the pid its spawner wrote into the environment
 * (LAB_ENV.spawnerPid). It compared with process.ppid before, which Node reads live: by then it named
 * init, the check always passed, and the host-crash test found such an orphan alive 2 s after the kill.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { findProjectRoot } from '../../main/project-root.js';
import { LAB_ENV } from '../../main/runtime/lab-env.js';

const programDir = join(findProjectRoot(), 'dist', 'labs', '01-ordinary-pipes', 'programs');
let dir: string;
let server: Server;
/** What each connection to the trace socket said, in the order the kernel queued them (accept order). */
const connections: { text: string; socket: Socket }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ipc-lab-test-orphan-'));
  server = createServer((socket) => {
    const connection = { text: '', socket };
    connections.push(connection);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (connection.text += chunk));
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'trace.sock'), resolve));
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The connections accepted before a probe of ours, which says "probe": the listen queue hands
 * connections over in the order they came, so once the probe is accepted every earlier one has been.
 */
async function connectionsBeforeProbe(): Promise<{ text: string; socket: Socket }[]> {
  const probe = connect(join(dir, 'trace.sock'), () => probe.write('probe'));
  await waitFor(() => connections.some((c) => c.text === 'probe'), 'the probe was not accepted');
  probe.destroy();
  return connections.slice(
    0,
    connections.findIndex((c) => c.text === 'probe'),
  );
}

/** Polls `condition` every 5 ms; rejects with `what` after 10 s. */
function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error(what));
      else return;
      clearInterval(poll);
    }, 5);
  });
}

/** Starts a lab program the way the host does, claiming `spawner` spawned it; resolves with its exit code and stderr. */
function startProgram(spawner: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(programDir, 'message-reader.js')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      [LAB_ENV.traceSocket]: join(dir, 'trace.sock'),
      [LAB_ENV.role]: 'child',
      [LAB_ENV.params]: '{}',
      [LAB_ENV.programDir]: programDir,
      [LAB_ENV.runDir]: dir,
      [LAB_ENV.objectPrefix]: '/ipc-lab-test-orphan-',
      [LAB_ENV.spawnerPid]: String(spawner),
    },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

it('a lab process whose spawner is already gone exits at set-up without connecting to the trace socket', async () => {
  // A pid that named a process which has exited: the spawner that died before its child's runtime started.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const { code } = await startProgram(Number(gone.stdout));
  assert.equal(code, 1, 'the orphan did not end at set-up');
  const spoke = await connectionsBeforeProbe();
  assert.equal(spoke.length, 0, `the orphan connected to the trace socket: ${spoke.map((c) => c.text).join(' | ')}`);
  connections.length = 0;
});

it('the same program, spawned by the process it names, gets past set-up and speaks on the trace socket', async () => {
  // Without a run around it the program fails later (no pipe handed); what matters is that it connected.
  await startProgram(process.pid);
  await waitFor(() => connections.some((c) => c.text.includes('"kind":"process.start"')), 'the program never said process.start');
  for (const c of connections) c.socket.destroy();
  connections.length = 0;
});
