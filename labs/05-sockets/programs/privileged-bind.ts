/**
 * The program of the "well-known-port" scenario: bind() a port below 1024 on 127.0.0.1.
 *
 * Ports below /proc/sys/net/ipv4/ip_unprivileged_port_start (1024 unless changed; ip(7)) are
 * privileged: the kernel lets a process bind one only if it is root or holds CAP_NET_BIND_SERVICE
 * (capabilities(7); net/ipv4/af_inet.c, inet_bind). Otherwise bind() fails with EACCES. The rule is
 * BSD's: rlogind and rshd trusted a connection coming *from* a port below 1024 of a trusted host to have
 * been made by root's rlogin or rsh there. Today it only means that an ordinary user of this machine
 * cannot run a server on a well-known port.
 *
 * If this program runs as root, it says so: root's bind succeeds. Then it gives up root for good,
 * becoming the ordinary user "nobody" (uid 65534) with setgid() and setuid(), and tries again. Its trace
 * channel stays open: a descriptor opened before setuid() keeps working after it.
 */
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { native } from '../../../main/native/index.js';
import { listen } from '../../../main/runtime/sockets/traced-socket.js';

const NOBODY = 65534;
const port = lab.int('port');

let unprivilegedStart: number | undefined;
try {
  unprivilegedStart = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  lab.measure(
    'ip_unprivileged_port_start',
    unprivilegedStart,
    'port',
    '/proc/sys/net/ipv4/ip_unprivileged_port_start: ports below it need root or CAP_NET_BIND_SERVICE',
  );
} catch {
  lab.note('this kernel has no /proc/sys/net/ipv4/ip_unprivileged_port_start: ports below 1024 are privileged (the historical rule)');
}
const privileged = port < (unprivilegedStart ?? 1024);
if (!privileged)
  lab.note(
    `port ${port} is not below ${unprivilegedStart ?? 1024}: it is not a privileged port, so any user may bind it and EACCES cannot happen here. Choose a port below ${unprivilegedStart ?? 1024} to see it.`,
  );

/** One attempt to bind the port, as the current user. Returns whether it worked. */
async function tryBind(): Promise<boolean> {
  const uid = process.getuid!();
  lab.measure('uid', uid, 'uid', uid === 0 ? 'root' : `an ordinary user (${uid === NOBODY ? 'nobody' : 'uid ' + uid})`);
  try {
    const { server } = await listen(lab, { host: '127.0.0.1', port }, { channel: `port-${port}` });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') lab.note(`uid ${uid} may not bind port ${port}: the kernel refused with EACCES (permission denied)`);
    return false;
  }
}

if (process.getuid!() === 0) {
  lab.note(
    `running as root (uid 0): the kernel lets root bind port ${port}${privileged ? ', privileged or not' : ''}. This machine runs the app as root, so the first attempt shows root's view.`,
  );
  await tryBind();
  if (lab.bool('dropPrivileges')) {
    // Supplementary groups first, then the group, then the user: once the uid is not 0 the others
    // can no longer be changed. There is no way back to root after this.
    process.setgroups!([]);
    process.setgid!(NOBODY);
    process.setuid!(NOBODY);
    // Changing credentials clears the parent-death signal; ask for it again so that this process
    // still dies with its parent.
    native().setParentDeathSignal(osConstants.signals.SIGKILL, process.ppid);
    lab.note(`dropped root: setgroups([]), setgid(${NOBODY}), setuid(${NOBODY}). Now uid ${process.getuid!()} (nobody), an ordinary user. Trying again:`);
    await tryBind();
  } else {
    lab.note('not dropping root (the parameter is off): only root tried, and root may bind any port');
  }
} else {
  lab.note(`running as uid ${process.getuid!()}, an ordinary user`);
  await tryBind();
}
