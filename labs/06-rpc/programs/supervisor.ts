/**
 * The crash step's supervisor (what systemd's Restart=on-failure does): it starts the bank server,
 * and when the server dies of a signal it starts it again, once, without the crash. The new server
 * reads its ledger back before it listens. On SIGTERM it stops the server it runs and exits.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';

let server = lab.spawn('server', 'bank-server.ts');
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  server.kill('SIGTERM');
});
const ended = await server.exited;
if (!stopping && ended.signal !== null) {
  lab.note(`the server died of ${ended.signal}: starting it again`);
  server = lab.spawn('server', 'bank-server.ts', { params: { ...lab.params, crashOnDeposit: 0 } });
  await server.exited;
}
process.exit(0);
