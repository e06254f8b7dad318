/** One line of readable text per event, for the event list and the timeline's hover card. */
import type { StoredEvent } from '../../../../main/contract/trace-events.js';
import { formatBytes, formatNanosLossy } from '../format.js';

export type Emphasis = 'normal' | 'output' | 'stderr' | 'warning' | 'rejected' | 'error' | 'host';

export function describeEvent(event: StoredEvent): string {
  switch (event.kind) {
    case 'process.start':
      return `started ${event.program} (ppid ${event.ppid})`;
    case 'process.exit':
      return `exiting with code ${event.code}`;
    case 'child.exit':
      return `child ${event.childRole} (pid ${event.childPid}) ended: ${event.signal ? `signal ${event.signal}` : `code ${event.code}`}`;
    case 'object.create':
      return `${event.channel}: ${event.object.type} ${event.object.name}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'object.open':
      return `${event.channel}: opened ${event.object.type} ${event.object.name}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'buffer.level':
      return event.capacity === null
        ? `${event.channel}: ${event.used} in the buffer (unbounded)`
        : `${event.channel}: ${event.used}/${event.capacity} used${event.used === event.capacity ? ' (full)' : event.used === 0 ? ' (empty)' : ''}`;
    case 'io.begin':
      if (event.op === 'wait') return `wait(${event.channel}) …`;
      return `${event.op}(${event.channel})${event.bytes !== undefined ? ` ${formatBytes(event.bytes)}` : ''} …`;
    case 'io.end':
      if (event.op === 'wait') return `wait(${event.channel}) returned after ${formatNanosLossy(BigInt(event.durationNs))}`;
      return `${event.op}(${event.channel}) → ${formatBytes(event.bytes)} in ${formatNanosLossy(BigInt(event.durationNs))}`;
    case 'io.eof':
      return `EOF on ${event.channel}: the other end closed and the buffer is empty`;
    case 'io.error':
      return `${event.op}(${event.channel}) failed: ${event.code} ${event.message}`;
    case 'io.close':
      return `closed ${event.end} end of ${event.channel}`;
    case 'message.send':
      return `send #${event.messageId} on ${event.channel}, ${formatBytes(event.bytes)}${event.text !== undefined ? `: ${JSON.stringify(event.text)}` : ''}`;
    case 'message.receive':
      return `receive #${event.messageId} on ${event.channel}, ${formatBytes(event.bytes)}${event.text !== undefined ? `: ${JSON.stringify(event.text)}` : ''}`;
    case 'message.bytes':
      return `${event.direction === 'send' ? 'bytes sent' : 'bytes received'} #${event.messageId} on ${event.channel}, ${formatBytes(event.bytes)}${event.encoding ? ` (${event.encoding})` : ''}: ${event.fields
        .filter((f) => f.type !== 'padding' && f.length > 0)
        .map((f) => `${f.path || f.type}=${f.value || f.bytes}`)
        .join(', ')}`;
    case 'socket.listen':
      return `listening on ${event.address} (${event.transport})${event.detail ? ` — ${event.detail}` : ''}`;
    case 'socket.connect':
      return `connected ${event.local} → ${event.remote} (${event.transport})`;
    case 'socket.accept':
      return `accepted ${event.remote} → ${event.local} (${event.transport})`;
    case 'socket.close': {
      const how = event.how === 'end' ? 'the peer closed it' : event.how === 'reset' ? 'the peer vanished (reset)' : 'closed here';
      const pair = event.remote ? ` with ${event.remote}` : '';
      const counts = event.bytesIn !== undefined || event.bytesOut !== undefined ? `, ${formatBytes(event.bytesIn ?? 0)} in, ${formatBytes(event.bytesOut ?? 0)} out` : '';
      return `connection${pair} on ${event.channel} ended: ${how}${counts}${event.detail ? ` — ${event.detail}` : ''}`;
    }
    case 'rpc.call':
      return `${event.attempt > 1 ? `retry ${event.attempt - 1} of` : 'call'} ${event.procedure}(${event.args}) xid ${event.xid}`;
    case 'rpc.execute':
      return `server ran ${event.procedure}(${event.args}) → ${event.result} for xid ${event.xid}`;
    case 'rpc.duplicate':
      return `duplicate xid ${event.xid} (${event.procedure}): ${event.action === 'replayed' ? 'replied from the duplicate table, not run again' : event.action === 'dropped' ? 'ignored' : 'ran AGAIN'}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'rpc.reply':
      return `${event.procedure} xid ${event.xid} returned ${event.result} after ${event.attempts} attempt${event.attempts === 1 ? '' : 's'}, ${formatNanosLossy(BigInt(event.durationNs))}`;
    case 'rpc.error':
      return `RPC error${event.xid !== undefined ? ` on xid ${event.xid}` : ''}${event.procedure ? ` (${event.procedure})` : ''}: ${event.code} ${event.message}`;
    case 'rpc.fault':
      return `fault injected on ${event.channel}: ${event.fault} xid ${event.xid} — ${event.detail}`;
    case 'measure':
      return `${event.name} = ${event.value} ${event.unit}${event.detail ? ` (${event.detail})` : ''}`;
    case 'note':
      return event.text;
    case 'host.spawn':
      return `host started ${event.program}`;
    case 'host.exit':
      return event.signal ? `ended by signal ${event.signal}` : `exited with code ${event.code}`;
    case 'host.output':
      return `${event.stream}: ${event.text}`;
    case 'host.warning':
      return `${event.text}${event.fix ? ` — ${event.fix}` : ''}`;
    case 'kernel.snapshot':
      return `kernel: state ${event.state}, wchan ${event.wchan || '-'}, ${event.fds.length} fds${event.maps?.length ? `, ${event.maps.length} shared mapping${event.maps.length === 1 ? '' : 's'}` : ''}`;
    case 'kernel.objects': {
      const parts = [
        ...event.shm.map((o) => `${o.path} (${formatBytes(o.bytes)})`),
        ...(event.mqueue ?? []).map((q) => `${q.path} (${/QSIZE:(\d+)/.exec(q.status)?.[1] ?? '?'} bytes queued)`),
        ...(event.fifo ?? []).map((f) => f.path),
        ...(event.socket ?? []).map((f) => `${f.path} (socket file)`),
      ];
      return parts.length === 0 ? 'kernel: the run has no named kernel objects left' : `kernel: the run's named objects: ${parts.join(', ')}`;
    }
    case 'host.cleanup':
      return `host removed what the run left: ${event.removed.join(', ')}`;
    case 'trace.rejected':
      return `rejected trace line: ${event.reason}. ${event.fix} Line: ${event.line.slice(0, 160)}`;
  }
}

export function emphasisOf(event: StoredEvent): Emphasis {
  switch (event.kind) {
    case 'host.output':
      return event.stream === 'stderr' ? 'stderr' : 'output';
    case 'host.warning':
      return 'warning';
    case 'trace.rejected':
      return 'rejected';
    case 'io.error':
    case 'rpc.error':
      return 'error';
    case 'rpc.fault':
    case 'rpc.duplicate':
      return 'warning';
    case 'kernel.objects':
    case 'host.cleanup':
      return 'host';
    default:
      return 'normal';
  }
}
