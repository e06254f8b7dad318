/**
 * The sending side of a throughput run: opens its endpoint (see endpoint.ts), says `ready`, waits for the
 * benchmark's go byte on fd 3 (so both sides are set up before the clock starts), then sends messages
 * 0..count-1 as fast as the transport takes them, and closes its end (end of file for a stream reader).
 *
 *   node sender.js <endpoint> <count> <message bytes>
 * stdout: `ready`, then {startNs, endNs, cpuMs, sent, problems}
 */
import { childStart, cpuMsSince, tell } from '../shm/payload.js';
import { openEndpoint, pattern, stamp, waitForGo } from './endpoint.js';

const [spec, countArg, bytesArg] = childStart();
const count = Number(countArg);
const message = pattern(Number(bytesArg));
const endpoint = openEndpoint(spec!, 'send');
tell('ready');
waitForGo();

const cpu = process.cpuUsage();
const startNs = process.hrtime.bigint();
const problems: string[] = [];
let sent = 0;
try {
  for (; sent < count; sent++) endpoint.send(stamp(message, sent));
} catch (error) {
  problems.push(`after ${sent} messages: ${(error as Error).message}`);
}
const endNs = process.hrtime.bigint();
endpoint.close();
tell({ startNs: String(startNs), endNs: String(endNs), cpuMs: cpuMsSince(cpu), sent, problems });
