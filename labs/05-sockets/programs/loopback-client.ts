/**
 * The client of the "loopback" scenario: connects to the server's port at 127.0.0.1, then at
 * another address of this machine (its first network interface's IPv4 address, from
 * os.networkInterfaces()). If the machine has none, it uses 127.0.0.2: another loopback address
 * (all of 127.0.0.0/8 is loopback on Linux), still not the 127.0.0.1 the server bound.
 */
import { networkInterfaces } from 'node:os';
import { lab } from '../../../main/runtime/lab-runtime.js';
import { connect } from '../../../main/runtime/sockets/traced-socket.js';

const port = lab.int('port');

function otherAddress(): { address: string; why: string } {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    const ipv4 = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (ipv4) return { address: ipv4.address, why: `${name}'s address, this machine's own address on its network interface` };
  }
  return {
    address: '127.0.0.2',
    why: 'this machine has no network interface with an IPv4 address, so: another loopback address (all of 127.0.0.0/8 reaches this machine), not the 127.0.0.1 the server bound',
  };
}

async function attempt(host: string, channel: string): Promise<void> {
  try {
    const connection = await connect(lab, { host, port }, channel);
    lab.note(`${host}:${port} answered: connected from ${connection.local}`);
    connection.end();
    await connection.closed;
  } catch (error) {
    lab.note(
      `${host}:${port} refused: ${(error as NodeJS.ErrnoException).code}. The server's socket is not bound to ${host}, so the kernel finds no listener for that address and answers with a reset.`,
    );
  }
}

const other = otherAddress();
lab.note(`the other address: ${other.address} (${other.why})`);
await attempt('127.0.0.1', 'via-loopback');
await attempt(other.address, 'via-other-address');
