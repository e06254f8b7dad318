/**
 * One line of readable text per event, for the event list and the timeline's hover card. Each fact is
 * said once: an errno's message often repeats its code ("EBADF: bad file descriptor, write"), and an
 * object's name its type ("pipe:[123]"), so those are folded into one phrase.
 */
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
      return `waitpid: ${event.childRole} (pid ${event.childPid}) ${event.signal ? `was killed by ${event.signal}` : `exited with code ${event.code ?? '?'}`}`;
    case 'object.create':
      return `${channelPrefix(event.channel, event.object)}created ${objectName(event.object)}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'object.open':
      return `${channelPrefix(event.channel, event.object)}opened ${objectName(event.object)}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'buffer.level':
      return event.capacity === null
        ? `${event.channel}: ${event.used} in the buffer (unbounded)`
        : `${event.channel}: ${event.used}/${event.capacity} used${event.used === event.capacity ? ' (full)' : event.used === 0 ? ' (empty)' : ''}`;
    case 'io.begin':
      if (event.op === 'wait') return `wait(${event.channel}) …`;
      return `${event.op}(${event.channel})${event.bytes !== undefined && event.op !== 'open' ? ` ${formatBytes(event.bytes)}` : ''} …`;
    case 'io.end':
      if (event.op === 'wait') return `wait(${event.channel}) returned after ${formatNanosLossy(BigInt(event.durationNs))}`;
      if (event.op === 'open') return `open(${event.channel}) returned after ${formatNanosLossy(BigInt(event.durationNs))}`;
      return `${event.op}(${event.channel}) → ${formatBytes(event.bytes)} in ${formatNanosLossy(BigInt(event.durationNs))}`;
    case 'io.eof':
      return `EOF on ${event.channel}: the other end closed and the buffer is empty`;
    case 'io.error':
      return `${event.op}(${event.channel}) failed: ${errnoText(event.code, event.message)}`;
    case 'io.close':
      return event.end === 'both' ? `closing both ends of ${event.channel}` : `closing the ${event.end} end of ${event.channel}`;
    case 'snapshot.request':
      return `asks the kernel view to sample /proc now: ${event.reason}`;
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
      const counts =
        event.bytesIn !== undefined || event.bytesOut !== undefined ? `, ${formatBytes(event.bytesIn ?? 0)} in, ${formatBytes(event.bytesOut ?? 0)} out` : '';
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
    case 'rpc.error': {
      // The stubs' messages usually name the call already ("add (xid 5): no reply after ..."): say it once.
      const names = [
        event.procedure && !event.message.includes(event.procedure) ? event.procedure : '',
        event.xid !== undefined && !event.message.includes(`xid ${event.xid}`) ? `xid ${event.xid}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `RPC error${names ? ` (${names})` : ''}: ${errnoText(event.code, event.message)}`;
    }
    case 'rpc.ledger': {
      const when = event.reason === 'recovery' ? 'when it started again' : 'as it stopped';
      const torn = event.torn ? `, ${event.torn} torn line${event.torn === 1 ? '' : 's'} (not whole records) left out` : '';
      return `read its log ${event.path} back ${when}: ${event.entries.length} execution${event.entries.length === 1 ? '' : 's'} in ${formatBytes(event.bytes)}${torn}`;
    }
    case 'rpc.fault':
      return `fault injected on ${event.channel}: ${event.fault} xid ${event.xid} — ${event.detail}`;
    case 'measure':
      return `${event.name} = ${event.value} ${event.unit}${event.detail ? ` (${event.detail})` : ''}`;
    case 'note':
      return event.text;
    case 'host.spawn':
      return `host started ${event.program}`;
    case 'host.exit':
      return event.signal ? `killed by ${event.signal}` : `exited with code ${event.code ?? '?'}`;
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
    default:
      return describeUnknown(event);
  }
}

/** A kind newer than this view: its fields as they are, so nothing is hidden. */
function describeUnknown(event: StoredEvent): string {
  const { v: _v, ts: _ts, pid: _pid, role: _role, kind, seq: _seq, runId: _runId, ...fields } = event as StoredEvent & { runId?: number };
  const text = JSON.stringify(fields);
  return `${kind}: ${text.length > 240 ? `${text.slice(0, 240)}…` : text}`;
}

/** "pipe: " before an object whose name does not say its channel already; "" when it does. */
function channelPrefix(channel: string, object: { type: string; name: string }): string {
  return channel === object.type || object.name.includes(channel) ? '' : `${channel}: `;
}

/** "pipe:[123]" says it is a pipe; "/ipc-lab-1-box" needs its type: "mqueue /ipc-lab-1-box". */
function objectName(object: { type: string; name: string }): string {
  return object.name.startsWith(`${object.type}:`) ? object.name : `${object.type} ${object.name}`;
}

/**
 * An errno and its message, the code said once: "EBADF (bad file descriptor)" from Node's "EBADF: bad
 * file descriptor, write", "EPIPE (broken pipe)" from the addon's "write: Broken pipe (EPIPE)", and
 * "ETIMEDOUT — gave up waiting ..." for a message of the lab's own. The failing call itself is named by
 * the caller (op and channel), so a trailing ", write" is dropped; a path is kept.
 */
export function errnoText(code: string, message: string): string {
  const text = message.trim();
  const esc = code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Node: "EBADF: bad file descriptor, write" / "ENOENT: no such file or directory, open '/x'".
  const node = new RegExp(`^${esc}: (.*?)(?:, [a-z_]+\\d*(?: (['"].*['"]))?)?$`).exec(text);
  if (node) return `${code} (${lowerFirst(node[1]!)}${node[2] ? `: ${node[2]}` : ''})`;
  // The addon: "write: Broken pipe (EPIPE)" / "mq_open '/q': No such file or directory (ENOENT). Why...".
  const addon = new RegExp(`^[a-z_]+\\d*(?: (['"].*?['"]))?: (.*?) \\(${esc}\\)(?:\\. (.*))?$`, 's').exec(text);
  if (addon) return `${code} (${lowerFirst(addon[2]!)}${addon[1] ? `: ${addon[1]}` : ''})${addon[3] ? ` — ${addon[3]}` : ''}`;
  // Node's sockets: "write EPIPE", "connect ECONNREFUSED 127.0.0.1:7070".
  const net = new RegExp(`^[a-z_]+ ${esc}(?: (.+))?$`).exec(text);
  if (net) return net[1] ? `${code} (${net[1]})` : code;
  // Anything else: the code once, then the message without its own copies of it.
  const rest = text
    .replace(new RegExp(`\\s*\\(${esc}\\)`, 'g'), '')
    .replace(new RegExp(`(^|[\\s:])${esc}:?(?=\\s|$)`, 'g'), '$1')
    .replace(/\s{2,}/g, ' ')
    .replace(/:\s*:/g, ':')
    .trim();
  return rest && rest !== code ? `${code} — ${rest}` : code;
}

function lowerFirst(text: string): string {
  // strerror's "Broken pipe", not an acronym like "EOF".
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
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
