/**
 * A client of the "connections" scenario: socket(), connect(127.0.0.1:port). It does not call bind():
 * the kernel gives its socket an ephemeral port at connect() time, from
 * /proc/sys/net/ipv4/ip_local_port_range (ip(7)). It says hello, keeps the connection open until the
 * server says bye (the server has accepted every client by then) and at least `holdMs` have passed (so
 * that a student can watch it ESTABLISHED), and closes it. It asks for the kernel's view of every
 * process (lab.snapshot) while its connection is open at both ends, or, with `look` after-close, once
 * it has closed it.
 *
 * With `clientPort` set, it binds that local port first (Node's localPort: libuv binds with
 * SO_REUSEADDR, so the bind itself succeeds). The first client's connection then takes the pair
 * (127.0.0.1:clientPort, server address); the next client asks for the very same pair, which the
 * kernel refuses at connect() with EADDRNOTAVAIL (net/ipv4/inet_hashtables.c, __inet_check_established).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';
import { frame, FrameInbox } from '../../../main/runtime/sockets/framing.js';

const client = lab.int('client');
const clientPort = lab.has('clientPort') ? lab.int('clientPort') : 0;
const connection = await connect(
  lab,
  { host: '127.0.0.1', port: lab.int('port') },
  `client-${client}`,
  undefined,
  clientPort ? { localPort: clientPort } : {},
).catch(() => process.exit(1));
lab.note(
  clientPort
    ? `connected from ${connection.local}: this client bound port ${clientPort} itself before connect()`
    : `connected from ${connection.local}: the kernel chose port ${connection.local.split(':').pop()} for this socket`,
);
const inbox = new FrameInbox(connection.socket, 1024);
const held = sleep(lab.int('holdMs'));
await connection.write(frame(Buffer.from(`hello from client ${client} (pid ${process.pid})`)));
await inbox.next(); // the server's bye (or its end of file)
if (lab.choice('look') === 'open') {
  lab.snapshot(`client ${client}: connection open`); // blocks until the engine has sampled every process
  await held;
  connection.end();
  await connection.closed;
} else {
  await held;
  connection.end();
  await connection.closed;
  lab.snapshot(`client ${client}: connection closed`);
}
