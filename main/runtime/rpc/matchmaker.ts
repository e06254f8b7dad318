/**
 * The matchmaker (rendezvous daemon): how a client finds a server whose port changes every run.
 *
 * A server that binds port 0 gets whatever free port the kernel picks. Nobody can know it in advance,
 * so a third process sits at a port everyone knows, and keeps a table program name -> port:
 *
 *   server:  REGISTER { name: "BANK", port: 40313 }       -> TRUE
 *   client:  LOOKUP "BANK"                                -> 40313   (0: nobody registered it)
 *   client:  then connects to 40313 and calls BANK as usual
 *
 * This is what ONC RPC's portmapper (rpcbind, port 111) does for program numbers: `rpcinfo -p` lists
 * its table. The matchmaker is itself an RPC program, defined and served with the same machinery as
 * any other (interface.ts, server.ts, client.ts): only its port is fixed.
 */
import { defineProgram, procedure, type RpcTracer } from './interface.js';
import { connectClient } from './client.js';
import { startServer, type RpcServer } from './server.js';

const name = { kind: 'string', max: 64 } as const;

export const MATCHMAKER = defineProgram({
  name: 'MATCHMAKER',
  number: 0x2000_0100,
  version: 1,
  procedures: {
    /** Records (or replaces) the port of a program; TRUE when done. */
    register: procedure<{ name: string; port: number }, boolean>(
      1,
      {
        kind: 'struct',
        fields: [
          ['name', name],
          ['port', { kind: 'uint' }],
        ],
      },
      { kind: 'bool' },
      { idempotent: true },
    ),
    /** Forgets a program; TRUE if it was registered. */
    unregister: procedure<string, boolean>(2, name, { kind: 'bool' }, { idempotent: true }),
    /** The port of a program, 0 if none is registered (as the portmapper's GETPORT). */
    lookup: procedure<string, number>(3, name, { kind: 'uint' }, { idempotent: true }),
  },
});

/** Serves MATCHMAKER at `port` (a fixed port every process of the run knows). */
export function startMatchmaker(port: number, tracer: RpcTracer): Promise<RpcServer> {
  const table = new Map<string, number>();
  return startServer(
    MATCHMAKER,
    {
      register({ name, port }) {
        table.set(name, port);
        tracer.emit('note', { text: `matchmaker table: ${[...table].map(([n, p]) => `${n} -> ${p}`).join(', ')}` });
        return true;
      },
      unregister(name) {
        return table.delete(name);
      },
      lookup(name) {
        return table.get(name) ?? 0;
      },
    },
    { port, semantics: 'at-least-once', tracer },
  );
}

/** Asks the matchmaker at `matchmakerPort` once, with a short timeout, and hangs up. */
export async function askMatchmaker<T>(
  matchmakerPort: number,
  tracer: RpcTracer,
  ask: (stub: Awaited<ReturnType<typeof connectClient<typeof MATCHMAKER.procedures>>>['stub']) => Promise<T>,
): Promise<T> {
  const client = await connectClient(MATCHMAKER, { port: matchmakerPort, semantics: 'at-least-once', tracer, timeoutMs: 1000, maxAttempts: 3 });
  try {
    return await ask(client.stub);
  } finally {
    await client.close();
  }
}

/** REGISTER name -> port with the matchmaker. */
export function registerWithMatchmaker(matchmakerPort: number, name: string, port: number, tracer: RpcTracer): Promise<boolean> {
  return askMatchmaker(matchmakerPort, tracer, (mm) => mm.register({ name, port }));
}

/** LOOKUP name; throws if nobody registered it. */
export async function lookUp(matchmakerPort: number, name: string, tracer: RpcTracer): Promise<number> {
  const port = await askMatchmaker(matchmakerPort, tracer, (mm) => mm.lookup(name));
  if (port === 0)
    throw new Error(`the matchmaker at port ${matchmakerPort} knows no program ${name}. Fix: start its server first; it registers when it listens.`);
  return port;
}
