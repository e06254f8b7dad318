/**
 * The keeper of the "stale-socket" scenario. It starts a Unix socket server, checks that it answers,
 * kills it with SIGKILL (no chance to clean up), shows that its socket file is still there, and starts
 * a new server on the same path.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { connect as rawConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';

const path = join(lab.runDir, 'stale.sock');

/**
 * Waits until a server accepts connections on the path (probing quietly), or gives up after 5 s or
 * when `server` has exited.
 */
async function untilListening(server: { exited: Promise<unknown> }): Promise<boolean> {
  let gone = false;
  void server.exited.then(() => (gone = true));
  for (let i = 0; i < 250 && !gone; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const probe = rawConnect({ path }, () => {
        probe.destroy();
        resolve(true);
      });
      probe.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(20);
  }
  return false;
}

/** One short conversation with the server: hello, its echo, bye. */
async function talk(): Promise<void> {
  const connection = await connect(lab, { path }, 'chat');
  await connection.write(Buffer.from('hello, bye'));
  await connection.closed;
}

const first = lab.spawn('server', 'unix-server.ts', { params: { ...lab.params, generation: 1 } });
if (!(await untilListening(first))) process.exit(1);
await talk();
first.kill('SIGKILL');
await first.exited;
try {
  lab.note(
    `the server was killed with SIGKILL; ${path} is still there (a ${lstatSync(path).isSocket() ? 'socket' : 'strange'} file), with nobody listening on it`,
  );
} catch {
  lab.note(`the server was killed and ${path} is gone`);
}
lab.snapshot('the server was killed'); // the kernel view, now: the socket file is there, and no process holds a socket on it
await sleep(lab.int('staleMs')); // the stale file sits there a while before the restart, for a student to look at

const second = lab.spawn('server', 'unix-server.ts', { params: { ...lab.params, generation: 2 } });
const listening = await untilListening(second);
if (listening) await talk();
else lab.note('the restarted server did not get the socket: see its lane');
await second.exited;
