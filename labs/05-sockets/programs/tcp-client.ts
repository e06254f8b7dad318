/**
 * A client of the "connections" scenario: socket(), connect(127.0.0.1:port). It never calls bind():
 * the kernel gives its socket an ephemeral port at connect() time. It says hello, keeps the
 * connection open for a while (so that the kernel view can see it ESTABLISHED), and closes it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { frame } from '../../../main/runtime/sockets/framing.js';

const client = lab.int('client');
const connection = await connect(lab, { host: '127.0.0.1', port: lab.int('port') }, `client-${client}`).catch(() => process.exit(1));
lab.note(`connected from ${connection.local}: the kernel chose port ${connection.local.split(':').pop()} for this socket`);
await connection.write(frame(Buffer.from(`hello from client ${client} (pid ${process.pid})`)));
await sleep(lab.int('holdMs'));
connection.end();
await connection.closed;
