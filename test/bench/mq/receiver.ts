/**
 * The receiving side of a throughput run: opens its endpoint (see endpoint.ts), says `ready`, receives
 * `count` messages one at a time (a stream: readSync of one message, completing partial reads) and checks
 * each one whole. A stream must then end (end of file) with nothing extra; a queue has no end, so the
 * benchmark checks it is empty afterwards.
 *
 *   node receiver.js <endpoint> <count> <message bytes>
 * stdout: `ready`, then {firstNs, lastNs, cpuMs, calls, ...MessageReport}
 */
import { childStart, cpuMsSince, tell } from '../shm/payload.js';
import { MessageChecker, openEndpoint } from './endpoint.js';

const [spec, countArg, bytesArg] = childStart();
const count = Number(countArg);
const bytes = Number(bytesArg);
const target = Buffer.alloc(bytes);
const checker = new MessageChecker(bytes, count);
const endpoint = openEndpoint(spec!, 'receive');
tell('ready');

const cpu = process.cpuUsage();
let firstNs = 0n;
let lastNs = 0n;
try {
  for (let i = 0; i < count; i++) {
    const length = endpoint.receive(target);
    if (i === 0) firstNs = process.hrtime.bigint();
    if (length === 0) {
      checker.problem(`end of file after ${i} of ${count} messages`);
      break;
    }
    checker.check(target, length);
  }
  lastNs = process.hrtime.bigint();
  if (endpoint.kind !== 'mqueue') {
    for (let n; (n = endpoint.receive(target)) > 0;) checker.report.extraBytes += n;
    if (checker.report.extraBytes > 0) checker.problem(`${checker.report.extraBytes} bytes after the last message`);
  }
} catch (error) {
  checker.problem(`after ${checker.report.verified} messages: ${(error as Error).message}`);
}
if (lastNs === 0n) lastNs = process.hrtime.bigint();
endpoint.close();
tell({ firstNs: String(firstNs), lastNs: String(lastNs), cpuMs: cpuMsSince(cpu), calls: endpoint.calls, ...checker.finish() });
