/**
 * The library every lab program imports. It gives a program its parameters and the few calls a lab
 * needs (pipe, read, write, close, spawn a child), and records what happened on the trace channel.
 *
 * The trace channel is out of band: a Unix socket in the run's private directory, connected with a
 * *blocking* descriptor, and flushed before every call that may block, so that an event is in the kernel
 * before the call it announces starts. That is what lets the UI show "blocked in write" live, while the
 * process really is blocked in write(2).
 *
 * Each call here is the system call a C program would make, done synchronously (fs.readSync,
 * fs.writeSync): a lab program reads like its C counterpart and blocks where the C program blocks.
 *
 * A lab process must never outlive its run: it asks the kernel to kill it when its parent dies
 * (PR_SET_PDEATHSIG), which also covers a host killed with SIGKILL, and it exits if the trace channel
 * breaks.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { constants as osConstants } from 'node:os';
import { native } from '../native/index.js';
import { TRACE_SCHEMA_VERSION, type IoOp, type KernelObjectRef, type TraceEventFields } from '../contract/trace-events.js';
import type { ParamValue, ParamValues } from '../contract/lab-model.js';
import { LAB_ENV } from './lab-env.js';

/** Events wait in the buffer at most this long (when the program keeps emitting). */
const MAX_BUFFERED_NS = 2_000_000n;
const TRACE_BUFFER_BYTES = 16 * 1024;

type LabKind = Exclude<keyof TraceEventFields, `host.${string}` | `kernel.${string}` | `trace.${string}`>;

export interface ChildProcessHandle {
  pid: number;
  role: string;
  /** Resolves when the child has exited (after child.exit is traced). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** kill(2): sends the child a signal (SIGTERM by default). */
  kill(signal?: NodeJS.Signals): void;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(
      `This is an IPC Lab program and needs the lab engine around it (${name} is not set).\n` +
        'Fix: run it through the app, or `ipc-lab run <lab>` on the command line.\n',
    );
    process.exit(2);
  }
  return value;
}

/** The pid LAB_ENV.spawnerPid names (set by the host and by lab.spawn). */
function spawnerPid(): number {
  const pid = Number(requireEnv(LAB_ENV.spawnerPid));
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    process.stderr.write(
      `${LAB_ENV.spawnerPid} must be a process id, not "${process.env[LAB_ENV.spawnerPid]}".\nFix: run it through the app, or \`ipc-lab run <lab>\`.\n`,
    );
    process.exit(2);
  }
  return pid;
}

export interface SpawnOptions {
  /** Descriptors handed to the child by name (it finds them with lab.fd(name)). */
  fds?: Record<string, number>;
  /** 'all': the child inherits every descriptor the program opened through lab and holds, as after fork(). */
  inherit?: 'named' | 'all';
  /**
   * The child's standard input and output (descriptors 0 and 1): a descriptor of this program, such as
   * a pipe end made with lab.pipe, as a shell's `a | b` does with dup2(). Without them the child's
   * stdin is /dev/null and its stdout this process's own.
   */
  stdin?: number;
  stdout?: number;
  params?: ParamValues;
}

type StdioEntry = 'ignore' | 'inherit' | number;

class LabRuntime {
  readonly pid = process.pid;
  readonly role: string;
  readonly params: ParamValues;
  readonly runDir: string;
  private readonly programDir: string;
  private readonly fds: Record<string, number>;
  private readonly traceFd: number;
  private readonly buffer = Buffer.allocUnsafe(TRACE_BUFFER_BYTES);
  private buffered = 0;
  private oldestBuffered = 0n;
  private readonly linePrefix: string;
  /** Descriptors the program opened through lab (pipe, open) or was handed, and has not closed. */
  private readonly openFds = new Set<number>();
  /** Pipe and FIFO descriptors whose fill level is traced after each read and write (traceFill). */
  private readonly filledFds = new Set<number>();

  constructor() {
    this.role = requireEnv(LAB_ENV.role);
    this.params = JSON.parse(requireEnv(LAB_ENV.params)) as ParamValues;
    this.programDir = requireEnv(LAB_ENV.programDir);
    this.runDir = requireEnv(LAB_ENV.runDir);
    this.fds = JSON.parse(process.env[LAB_ENV.fds] ?? '{}') as Record<string, number>;
    for (const fd of Object.values(this.fds)) this.openFds.add(fd);
    this.linePrefix = `{"v":${TRACE_SCHEMA_VERSION},"pid":${this.pid},"role":${JSON.stringify(this.role)},`;
    // Armed against the pid of whoever spawned us, not process.ppid: if that process died while Node was
    // still starting, getppid() already names init (or a subreaper), and the orphan would live on.
    if (!native().setParentDeathSignal(osConstants.signals.SIGKILL, spawnerPid())) process.exit(1);
    this.traceFd = native().connectUnixSocket(requireEnv(LAB_ENV.traceSocket));
    this.emit('process.start', { ppid: process.ppid, program: `programs/${basename(process.argv[1] ?? '?').replace(/\.js$/, '.ts')}`, traceFd: this.traceFd });
    this.flush();
    process.on('exit', (code) => {
      this.emit('process.exit', { code });
      this.flush();
    });
  }

  /**
   * Records one event. Events are gathered in a buffer and written to the trace channel in one call:
   * before any call of this runtime that may block (read, write, sleep, spawn), when the buffer is full,
   * when the oldest buffered event is 2 ms old, when the program yields to the event loop, and at exit.
   * So an event is always in the kernel before the blocking call it precedes, and a flood of events costs
   * one write(2) per 16 KiB instead of one per event.
   */
  emit<K extends LabKind>(kind: K, fields: TraceEventFields[K]): void {
    const now = process.hrtime.bigint();
    // The same object JSON.stringify({ v, ts, pid, role, kind, ...fields }) would give, built from a
    // prefix made once: this runs for every event, and floods of events are what the bench measures.
    const body = JSON.stringify(fields);
    const line = `${this.linePrefix}"ts":"${now}","kind":"${kind}"${body === '{}' ? '}' : ',' + body.slice(1)}\n`;
    if (this.buffered + line.length * 3 > this.buffer.length) this.flush();
    if (line.length * 3 > this.buffer.length) {
      this.writeTrace(Buffer.from(line));
      return;
    }
    if (this.buffered === 0) {
      this.oldestBuffered = now;
      queueMicrotask(this.flushSoon);
    }
    this.buffered += this.buffer.write(line, this.buffered);
    if (now - this.oldestBuffered > MAX_BUFFERED_NS) this.flush();
  }

  /**
   * Writes buffered events to the trace channel now. The runtime's own calls do this before they may
   * block; call it yourself before a blocking call of your own (fs.readSync on a descriptor, ...).
   */
  flush(): void {
    if (this.buffered === 0) return;
    const length = this.buffered;
    this.buffered = 0;
    this.writeTrace(this.buffer.subarray(0, length));
  }

  private readonly flushSoon = (): void => this.flush();

  private writeTrace(bytes: Buffer): void {
    try {
      for (let off = 0; off < bytes.length;) off += writeSync(this.traceFd, bytes, off);
    } catch {
      // The host is gone: nobody can see this run any more, and a lab process must not outlive it.
      process.exit(70);
    }
  }

  note(text: string): void {
    this.emit('note', { text });
  }

  measure(name: string, value: number, unit: string, detail?: string): void {
    this.emit('measure', detail === undefined ? { name, value, unit } : { name, value, unit, detail });
  }

  /** Whether the scenario gives this parameter (programs shared by scenarios may differ in them). */
  has(name: string): boolean {
    return Object.hasOwn(this.params, name);
  }

  /** An integer parameter (the engine has already checked its range). */
  int(name: string): number {
    return this.param(name, 'number') as number;
  }

  bool(name: string): boolean {
    return this.param(name, 'boolean') as boolean;
  }

  choice(name: string): string {
    return this.param(name, 'string') as string;
  }

  private param(name: string, type: string): ParamValue {
    const value = this.params[name];
    if (typeof value !== type) throw new Error(`Lab parameter "${name}" is missing or not a ${type}; the scenario must declare it.`);
    return value!;
  }

  /** A descriptor the parent handed to this process under a channel name (see spawn's `fds`). */
  fd(channel: string): number {
    const fd = this.fds[channel];
    if (fd === undefined)
      throw new Error(`No descriptor named "${channel}" was handed to ${this.role}; the parent passes it with lab.spawn(..., { fds: { ${channel}: fd } }).`);
    return fd;
  }

  /** pipe(2): a new ordinary pipe. Traced as object.create with the inode /proc shows. */
  pipe(channel: string): { readFd: number; writeFd: number } {
    const ends = native().pipe();
    this.openFds.add(ends.readFd).add(ends.writeFd);
    const object = this.describe(ends.readFd, 'pipe');
    this.emit('object.create', { channel, object, detail: `read end fd ${ends.readFd}, write end fd ${ends.writeFd}` });
    return ends;
  }

  /** Where the run's FIFO called `name` lives: in the run's private directory, removed with it. */
  fifoPath(name: string): string {
    if (!/^[\w-]{1,64}$/.test(name)) throw new Error(`A FIFO name is letters, digits, _ and - (at most 64), not "${name}".`);
    return join(this.runDir, `${name}.fifo`);
  }

  /** mkfifo(3) in the run's directory: a named pipe any process of the run can open by its path. */
  mkfifo(name: string): string {
    const path = this.fifoPath(name);
    native().mkfifo(path, 0o600);
    this.emit('object.create', { channel: name, object: { type: 'fifo', name: path }, detail: 'mkfifo(path, 0600)' });
    return path;
  }

  /**
   * open(2) of a FIFO (or any file) for reading or writing, blocking as the C call does: opening one
   * end of a FIFO waits until some process opens the other end. Traced as io.begin/io.end (op "open").
   */
  open(path: string, channel: string, mode: 'read' | 'write'): number {
    // O_RDONLY or O_WRONLY alone, as open(2) in C: no O_CREAT, so a missing FIFO is ENOENT, not a new file.
    const fd = this.traced('open', channel, 0, () => openSync(path, mode === 'read' ? fsConstants.O_RDONLY : fsConstants.O_WRONLY));
    this.openFds.add(fd);
    this.emit('object.open', { channel, object: this.describePath(fd, path), detail: `fd ${fd}, ${mode === 'read' ? 'O_RDONLY' : 'O_WRONLY'}` });
    return fd;
  }

  private describePath(fd: number, path: string): KernelObjectRef {
    const stat = fstatSync(fd);
    return { type: stat.isFIFO() ? 'fifo' : 'file', name: path, inode: stat.ino };
  }

  /** What the kernel calls this descriptor's object, e.g. { type: 'pipe', name: 'pipe:[1234]' }. */
  describe(fd: number, type: KernelObjectRef['type']): KernelObjectRef {
    const inode = fstatSync(fd).ino;
    return { type, name: `${type}:[${inode}]`, inode };
  }

  /**
   * write(2) of the whole buffer. Blocks while the pipe is full, exactly as the C call does. Traced as
   * io.begin before and io.end after; a failure (EPIPE, ...) as io.error, then rethrown.
   */
  write(fd: number, channel: string, data: Uint8Array): number {
    const written = this.traced('write', channel, data.length, () => {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      return written;
    });
    this.fillAfter(fd, channel);
    return written;
  }

  /** read(2) into `buffer`. Returns 0 at end of file (traced as io.eof). */
  read(fd: number, channel: string, buffer: Uint8Array): number {
    const bytes = this.traced('read', channel, buffer.length, () => readSync(fd, buffer, 0, buffer.length, null));
    if (bytes === 0) this.emit('io.eof', { channel });
    this.fillAfter(fd, channel);
    return bytes;
  }

  /**
   * From now on, after each read and write through lab on `fd` (an end of a pipe or a FIFO), trace how
   * full the pipe is as the kernel says: buffer.level with `used` the bytes it holds unread (ioctl
   * FIONREAD, man 7 pipe) and `capacity` its size (fcntl F_GETPIPE_SZ, man 2 fcntl), on the call's
   * channel. Both are read from the kernel after the call returned, never counted by the program: with
   * a process at the other end, the level is what that process had left in it at that moment. One event
   * per call (mind the run's event budget, labs/README.md).
   */
  traceFill(fd: number): void {
    if (!fstatSync(fd).isFIFO())
      throw new Error(`lab.traceFill: descriptor ${fd} is not a pipe or a FIFO, so FIONREAD on it says nothing about a pipe. Fix: pass an end of one.`);
    this.filledFds.add(fd);
  }

  private fillAfter(fd: number, channel: string): void {
    if (!this.filledFds.has(fd)) return;
    const kernel = native();
    this.emit('buffer.level', { channel, used: kernel.bytesInPipe(fd), capacity: kernel.pipeCapacity(fd) });
  }

  /** Reads exactly `size` bytes, or fewer at end of file. */
  readFull(fd: number, channel: string, size: number): Buffer {
    const buffer = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const bytes = this.read(fd, channel, buffer.subarray(filled));
      if (bytes === 0) break;
      filled += bytes;
    }
    return buffer.subarray(0, filled);
  }

  /**
   * close(2). Traced before the call: closing the last write end wakes a reader with end of file, and
   * the reader's io.eof must never carry an earlier time than the close that caused it.
   */
  close(fd: number, channel: string, end: 'read' | 'write' | 'both'): void {
    this.emit('io.close', { channel, end });
    this.flush();
    this.openFds.delete(fd);
    this.filledFds.delete(fd);
    closeSync(fd);
  }

  /**
   * Asks the engine to sample /proc (descriptors, state, mappings, counters) for every live process of
   * the run now, and waits until it has. Call it while the objects a check looks for are held: the
   * evidence then does not depend on when the engine's periodic sampling happens to run. Every process
   * in the run's process groups is sampled, also one whose process.start the engine has not read yet
   * (named then by the role in its environment, as lab.spawn sets it).
   */
  snapshot(reason: string): void {
    this.emit('snapshot.request', { reason });
    this.flush();
    const answer = Buffer.alloc(1);
    try {
      // The engine answers one byte on this channel once the snapshots are recorded.
      if (readSync(this.traceFd, answer, 0, 1, null) === 1) return;
    } catch {
      // Falls through: the channel is gone.
    }
    // End of file or an error: the host is gone, and a lab process must not outlive it.
    process.exit(70);
  }

  private traced(op: IoOp, channel: string, bytes: number, call: () => number): number {
    this.emit('io.begin', { op, channel, bytes });
    this.flush();
    const start = process.hrtime.bigint();
    try {
      const done = call();
      this.emit('io.end', { op, channel, bytes: op === 'open' ? 0 : done, durationNs: (process.hrtime.bigint() - start).toString() });
      return done;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      this.emit('io.error', { op, channel, code: err.code ?? 'EUNKNOWN', message: err.message });
      throw error;
    }
  }

  /**
   * Starts another program of this lab as this process's child (fork + exec), handing it descriptors
   * by name: `fds: { pipe: readFd }` puts readFd at descriptor 3 of the child, which finds it with
   * lab.fd('pipe'). With `inherit: 'all'` the child gets every descriptor this program opened through
   * lab and still holds, at the same numbers, as a C child after fork() does (the named ones among them).
   * The child shares this process's stdout and stderr (unless `stdin` / `stdout` name descriptors to
   * put at 0 and 1, as a shell connects a pipeline), and dies with it.
   */
  spawn(role: string, program: string, options: SpawnOptions = {}): ChildProcessHandle {
    this.flush();
    const handed = Object.entries(options.fds ?? {});
    let stdio: StdioEntry[];
    let childFds: Record<string, number>;
    if (options.inherit === 'all') {
      // As after fork(): every descriptor the program holds stays open in the child at its number. (Only
      // the program's: Node's own descriptors, its event loop and the trace channel, are not handed.)
      const inherited = [...this.openFds].sort((a, b) => a - b);
      stdio = ['ignore', 'inherit', 'inherit'];
      for (const fd of inherited) stdio[fd] = fd;
      for (let fd = 3; fd < stdio.length; fd++) stdio[fd] ??= 'ignore';
      childFds = Object.fromEntries(handed.map(([name, fd]) => [name, fd]));
      const missing = handed.find(([, fd]) => !inherited.includes(fd));
      if (missing)
        throw new Error(
          `Descriptor ${missing[1]} ("${missing[0]}") was not opened through lab (lab.pipe, lab.open, lab.fd), so inherit: 'all' cannot hand it.`,
        );
    } else {
      stdio = ['ignore', 'inherit', 'inherit', ...handed.map(([, fd]) => fd)];
      childFds = Object.fromEntries(handed.map(([name], index) => [name, 3 + index]));
    }
    if (options.stdin !== undefined) stdio[0] = options.stdin;
    if (options.stdout !== undefined) stdio[1] = options.stdout;
    const child = spawn(process.execPath, [join(this.programDir, program.replace(/\.ts$/, '.js'))], {
      stdio,
      env: {
        ...process.env,
        [LAB_ENV.role]: role,
        [LAB_ENV.fds]: JSON.stringify(childFds),
        [LAB_ENV.params]: JSON.stringify(options.params ?? this.params),
        [LAB_ENV.spawnerPid]: String(process.pid),
      },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`Could not start ${role} (${program}).`);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.on('exit', (code, signal) => {
        this.emit('child.exit', { childPid: pid, childRole: role, code, signal });
        resolve({ code, signal });
      });
    });
    return { pid, role, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) };
  }

  /**
   * The full name of a shared-memory segment of this run: "/ipc-lab-<engine>-<run>-<name>". Segments
   * named so are unlinked by the engine when the run ends, even if the program crashed.
   */
  shmName(name: string): string {
    if (!/^[\w-]{1,64}$/.test(name)) throw new Error(`A segment name is letters, digits, _ and - (at most 64), not "${name}".`);
    return requireEnv(LAB_ENV.objectPrefix) + name;
  }

  /**
   * The full name of a POSIX message queue of this run: "/ipc-lab-<engine>-<run>-<name>". Queues named
   * so are unlinked by the engine when the run ends, even if the program crashed.
   */
  mqName(name: string): string {
    return this.shmName(name);
  }

  // SyncTracer (main/runtime/shared-memory/sync-tracer.ts): how the shared-memory classes say that a
  // process waits, and how full a buffer is.

  waitBegin(channel: string): void {
    this.emit('io.begin', { op: 'wait', channel });
    this.flush();
  }

  waitEnd(channel: string, durationNs: bigint, outcome: 'ok' | 'timed-out' | 'owner-died', detail?: string): void {
    if (outcome === 'ok') {
      this.emit('io.end', { op: 'wait', channel, bytes: 0, durationNs: durationNs.toString() });
      return;
    }
    const code = outcome === 'owner-died' ? 'EOWNERDEAD' : 'ETIMEDOUT';
    this.emit('io.error', { op: 'wait', channel, code, message: detail ?? `gave up waiting on ${channel} after ${Number(durationNs / 1_000_000n)} ms` });
  }

  /** A non-blocking send or receive found the mailbox full or empty (MessageTracer). */
  wouldBlock(channel: string, syscall: 'mq_send' | 'mq_receive', code: 'EAGAIN'): void {
    const full = syscall === 'mq_send';
    this.emit('io.error', {
      op: full ? 'write' : 'read',
      channel,
      code,
      message: full ? `${syscall}: the mailbox is full and the send does not wait` : `${syscall}: the mailbox is empty: the null message`,
    });
  }

  level(channel: string, used: number, capacity: number | null): void {
    this.emit('buffer.level', { channel, used, capacity });
  }

  /** Sleeps without returning to the event loop, like sleep(3) in C. */
  sleep(ms: number): void {
    this.flush();
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}

/** The running lab process. Created when a lab program first imports this module. */
export const lab = new LabRuntime();
