/**
 * The kernel view: what /proc says about a lab process right now. Its open descriptors
 * (/proc/<pid>/fd: "pipe:[123]" is a pipe and its inode; two processes holding the same inode hold
 * the two ends of one pipe), its scheduler state (R running, S sleeping, ...) and, when it sleeps,
 * the kernel function it waits in (/proc/<pid>/wchan: pipe_write means blocked writing a full pipe).
 *
 * A descriptor "socket:[inode]" is looked up in the kernel's socket tables (/proc/<pid>/net/tcp, tcp6,
 * unix): its addresses and state (LISTEN, ESTABLISHED, ...). See NetTables.
 *
 * Linux only; elsewhere it returns undefined and the UI says the kernel view needs Linux.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import type { KernelFd, KernelIoCounters, KernelMapping, KernelSocket, TraceEventFields } from '../contract/trace-events.js';

/** What one sampling of a process gives: the kernel.snapshot event's fields. */
export type KernelSnapshot = TraceEventFields['kernel.snapshot'];

/**
 * utime and stime in /proc/<pid>/stat count clock ticks of sysconf(_SC_CLK_TCK), which is USER_HZ: 100
 * on every Linux architecture Node runs on (proc(5); include/asm-generic/param.h).
 */
const MS_PER_CLOCK_TICK = 10;

const STATE_NAMES: Record<string, string> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (uninterruptible wait)',
  T: 'T (stopped)',
  t: 't (traced)',
  Z: 'Z (zombie)',
  X: 'X (dead)',
  I: 'I (idle)',
};

/**
 * Reads one process's state and descriptors, or undefined when it is gone (or this is not Linux).
 * `net`: the socket tables of this sampling round, shared by every process sampled in it (each table
 * is read once per round, and only if some descriptor is a socket).
 */
export function snapshotProcess(pid: number, net: NetTables = new NetTables()): KernelSnapshot | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the state follows the last ')'.
    const code = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    let wchan = '';
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim();
    } catch {
      // Some kernels hide wchan; the state alone still tells running from sleeping.
    }
    const stateReadBy = process.hrtime.bigint().toString();
    const fds: KernelFd[] = [];
    for (const name of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${name}`);
        const fd: KernelFd = { fd: Number(name), target };
        if (target.startsWith('socket:[')) {
          const socket = net.lookup(pid, Number(target.slice(8, -1)));
          if (socket) fd.socket = socket;
        } else if (!target.startsWith('anon_inode:')) {
          const mode = accessMode(pid, name);
          if (mode) fd.mode = mode;
        }
        fds.push(fd);
      } catch {
        // The descriptor closed between readdir and readlink.
      }
    }
    fds.sort((a, b) => a.fd - b.fd);
    const snapshot: KernelSnapshot = { state: STATE_NAMES[code] ?? code, wchan: wchan === '0' ? '' : wchan, fds, stateReadBy };
    const maps = sharedMappings(readFileSync(`/proc/${pid}/maps`, 'utf8'));
    if (maps.length > 0) snapshot.maps = maps;
    const io = ioCounters(pid);
    if (io) snapshot.io = io;
    const switches = contextSwitches(pid);
    if (switches) snapshot.switches = switches;
    // Fields after the state: ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    snapshot.cpu = { userMs: Number(fields[11]) * MS_PER_CLOCK_TICK, systemMs: Number(fields[12]) * MS_PER_CLOCK_TICK };
    return snapshot;
  } catch {
    return undefined;
  }
}

/** O_ACCMODE's values (include/uapi/asm-generic/fcntl.h): the low two bits of the open flags. */
const ACCESS_MODES = ['read', 'write', 'read-write'] as const;

/** How descriptor `fd` of `pid` is open: the "flags:" line of /proc/<pid>/fdinfo/<fd> is octal (proc(5)). */
function accessMode(pid: number, fd: string): KernelFd['mode'] {
  try {
    const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return flags ? ACCESS_MODES[parseInt(flags[1]!, 8) & 3] : undefined;
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/io's rchar, wchar, syscr and syscw (proc(5)), or undefined where the kernel hides them. */
function ioCounters(pid: number): KernelIoCounters | undefined {
  try {
    const values = keyedNumbers(readFileSync(`/proc/${pid}/io`, 'utf8'), ':');
    const { rchar, wchar, syscr, syscw } = values;
    if (rchar === undefined || wchar === undefined || syscr === undefined || syscw === undefined) return undefined;
    return { rchar, wchar, syscr, syscw };
  } catch {
    return undefined;
  }
}

/** voluntary_ctxt_switches (the process blocked) and nonvoluntary_ctxt_switches (it was preempted). */
function contextSwitches(pid: number): { voluntary: number; involuntary: number } | undefined {
  try {
    const values = keyedNumbers(readFileSync(`/proc/${pid}/status`, 'utf8'), ':');
    const voluntary = values.voluntary_ctxt_switches;
    const involuntary = values.nonvoluntary_ctxt_switches;
    return voluntary === undefined || involuntary === undefined ? undefined : { voluntary, involuntary };
  } catch {
    return undefined;
  }
}

/** "name: 123" lines as { name: 123 }, for the lines whose value is a whole number. */
function keyedNumbers(text: string, separator: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(separator);
    if (at <= 0) continue;
    const value = line.slice(at + 1).trim();
    if (/^\d+$/.test(value)) values[line.slice(0, at).trim()] = Number(value);
  }
  return values;
}

/** The process group of a pid (field 5 of /proc/<pid>/stat), or undefined if it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/** The parent of a pid (field 4 of /proc/<pid>/stat), or undefined if it is gone. */
export function parentPidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The live processes whose process group is one of `groups` (a scan of /proc: field 5 of each stat). */
export function processesInGroups(groups: ReadonlySet<number>): number[] {
  if (process.platform !== 'linux' || groups.size === 0) return [];
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const group = processGroupOf(Number(name));
    if (group !== undefined && groups.has(group)) pids.push(Number(name));
  }
  return pids;
}

/**
 * The role a lab process was started as, from its environment (/proc/<pid>/environ, proc(5): the
 * strings it was exec'd with, NUL-separated), under the variable `name`; undefined if it has none or
 * cannot be read (another user's process, or gone).
 */
export function environmentValue(pid: number, name: string): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .find((line) => line.startsWith(`${name}=`));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/**
 * The lines of /proc/<pid>/maps that map a file of /dev/shm, e.g.
 *   7f3a1c000000-7f3a1c010000 rw-s 00000000 00:1a 1234   /dev/shm/ipc-lab-77-3-buffer
 * ("s": shared, so other processes mapping the same file see every store).
 */
export function sharedMappings(maps: string): KernelMapping[] {
  const result: KernelMapping[] = [];
  for (const line of maps.split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\d+\s+(\/dev\/shm\/.*)$/.exec(line);
    if (match) result.push({ start: match[1]!, end: match[2]!, perms: match[3]!, path: match[4]!.replace(/ \(deleted\)$/, '') });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Sockets: /proc/net/tcp, /proc/net/tcp6, /proc/net/unix

/** TCP states by the hex code /proc/net/tcp shows (include/net/tcp_states.h). */
export const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

/** Unix socket states (the St column: socket_state in include/uapi/linux/net.h). */
const UNIX_STATES: Record<string, string> = { '00': 'FREE', '01': 'UNCONNECTED', '02': 'CONNECTING', '03': 'CONNECTED', '04': 'DISCONNECTING' };
/** __SO_ACCEPTCON in the Flags column: the socket is listening. */
const UNIX_LISTENING_FLAG = 0x10000;

/**
 * The 4-byte words of /proc/net/tcp addresses are printed as the kernel holds them in memory: network
 * order bytes read as a host-order integer, so on a little-endian machine (x86, most ARM) the bytes of
 * each word come out reversed: 127.0.0.1 is "0100007F".
 */
function wordBytes(hex: string): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return endianness() === 'LE' ? bytes.reverse() : bytes;
}

/** "0100007F:1B9E" → "127.0.0.1:7070"; a 32-digit IPv6 address → "[::1]:7070". */
export function decodeProcNetAddress(text: string): string {
  const [hex = '', portHex = '0'] = text.split(':');
  const port = parseInt(portHex, 16);
  if (hex.length === 8) return `${wordBytes(hex).join('.')}:${port}`;
  const bytes: number[] = [];
  for (let w = 0; w < 32; w += 8) bytes.push(...wordBytes(hex.slice(w, w + 8)));
  return `[${formatIpv6(bytes)}]:${port}`;
}

/** 16 bytes → the usual IPv6 text: groups in hex, the longest run of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
function formatIpv6(bytes: number[]): string {
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The sockets of /proc/net/tcp or tcp6 text, by inode. */
export function parseProcNetTcp(text: string): Map<number, KernelSocket> {
  const result = new Map<number, KernelSocket>();
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const inode = Number(f[9]);
    if (!inode) continue; // 0: a TIME_WAIT socket, which no descriptor holds any more
    const state = TCP_STATES[f[3]!.toUpperCase()] ?? f[3]!;
    const socket: KernelSocket = { transport: 'tcp', local: decodeProcNetAddress(f[1]!), state };
    const remote = decodeProcNetAddress(f[2]!);
    if (state !== 'LISTEN') socket.remote = remote;
    result.set(inode, socket);
  }
  return result;
}

/** The sockets of /proc/net/unix text, by inode. An unnamed socket (a socketpair, a client) has no path. */
export function parseProcNetUnix(text: string): Map<number, KernelSocket> {
  const result = new Map<number, KernelSocket>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode [Path]; the path may hold spaces.
    const match = /^\s*\S+:\s+\S+\s+\S+\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\d+)(?: (.*))?$/.exec(line);
    if (!match) continue;
    const flags = parseInt(match[1]!, 16);
    const st = match[3]!.padStart(2, '0').toUpperCase();
    const state = flags & UNIX_LISTENING_FLAG ? 'LISTEN' : (UNIX_STATES[st] ?? st);
    result.set(Number(match[4]), { transport: 'unix', local: match[5] ?? '(unnamed)', state });
  }
  return result;
}

/**
 * The socket tables of one sampling round, read lazily: nothing is read until a descriptor is a socket,
 * then each table at most once per network namespace (processes in one namespace share it, and the namespace
 * is that of the process: /proc/<pid>/net/ is its view).
 */
export class NetTables {
  private readonly tcp = new Map<string, Map<number, KernelSocket>>();
  private readonly unix = new Map<string, Map<number, KernelSocket>>();

  private readonly namespaces = new Map<number, string>();

  lookup(pid: number, inode: number): KernelSocket | undefined {
    let namespace = this.namespaces.get(pid);
    if (namespace === undefined) {
      try {
        namespace = readlinkSync(`/proc/${pid}/ns/net`); // "net:[4026531840]"
      } catch {
        namespace = 'unknown';
      }
      this.namespaces.set(pid, namespace);
    }
    // Unix first: every lab process holds Unix sockets (its trace channel, its stdout and stderr), so a
    // run without TCP never reads the TCP tables.
    let unix = this.unix.get(namespace);
    if (!unix) {
      unix = readTable(pid, 'unix', parseProcNetUnix);
      this.unix.set(namespace, unix);
    }
    const found = unix.get(inode);
    if (found) return found;
    let tcp = this.tcp.get(namespace);
    if (!tcp) {
      tcp = new Map([...readTable(pid, 'tcp', parseProcNetTcp), ...readTable(pid, 'tcp6', parseProcNetTcp)]);
      this.tcp.set(namespace, tcp);
    }
    return tcp.get(inode);
  }
}

function readTable(pid: number, name: string, parse: (text: string) => Map<number, KernelSocket>): Map<number, KernelSocket> {
  try {
    return parse(readFileSync(`/proc/${pid}/net/${name}`, 'utf8'));
  } catch {
    return new Map(); // no IPv6 on this kernel, or the process is gone
  }
}
