/**
 * A WebSocket client of the browser host, run as its own process (as a browser tab is): it speaks the
 * page's protocol (`{"ready":true}` once, then `{event, payload}` messages) and, for every probe event,
 * records how long after the event's emit (`ts`, CLOCK_MONOTONIC ns in the lab process) the message
 * carrying it arrived here (process.hrtime.bigint(), the same clock: same machine).
 *
 * Started by run-benchmarks with an IPC channel. Protocol:
 *   parent -> { port, token, probes }            connect and send ready
 *   child  -> { ready: true }                    connected; the run may start
 *   child  -> { samples: number[] }              one latency in ns per probe, in probe order, then exit
 */
import { WebSocket, type RawData } from 'ws';
import { webSocketProtocols } from '../../main/contract/browser-access.js';

interface Start {
  port: number;
  token: string;
  probes: number;
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

process.once('message', (start: Start) => {
  const latencies = new Array<number>(start.probes).fill(Number.NaN);
  let received = 0;
  const ws = new WebSocket(`ws://127.0.0.1:${start.port}/ws`, webSocketProtocols(start.token), {
    headers: { Origin: `http://127.0.0.1:${start.port}` },
    perMessageDeflate: false,
  });
  ws.on('open', () => {
    ws.send(JSON.stringify({ ready: true }));
    void send({ ready: true });
  });
  ws.on('message', (data: RawData) => {
    // Taken before parsing: receipt is when the message is in this process, as a page's onmessage.
    const now = process.hrtime.bigint();
    const message = JSON.parse(String(data)) as { event?: string; payload?: { events?: { kind: string; name?: string; value?: number; ts: string }[] } };
    if (message.event !== 'trace:batch') return;
    for (const e of message.payload?.events ?? []) {
      if (e.kind !== 'measure' || e.name !== 'probe' || typeof e.value !== 'number') continue;
      if (Number.isNaN(latencies[e.value - 1])) received++;
      latencies[e.value - 1] = Number(now - BigInt(e.ts));
    }
    if (received === start.probes) {
      ws.close();
      void send({ samples: latencies }).then(() => process.disconnect());
    }
  });
  ws.on('error', (error) => {
    console.error(`The benchmark's WebSocket client failed: ${error.message}`);
    process.exit(1);
  });
});
// The parent gone (disconnect) means the benchmark ended or failed: do not linger.
process.on('disconnect', () => process.exit(0));
