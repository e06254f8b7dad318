/**
 * One run of a scenario: the lab processes, their trace channel, the kernel view, and the run's end.
 *
 * Life of a run:
 *   1. A private 0700 directory is made for it; the trace socket listens there (or, when a long TMPDIR
 *      makes that path too long for a socket, in a short private directory of its own: trace-socket-path.ts).
 *   2. Each program of the scenario starts as a real process (`process.execPath` running the compiled
 *      program; under Electron with ELECTRON_RUN_AS_NODE=1) in its own process group, with an
 *      allow-listed environment. Programs may start children of their own (same process group).
 *   3. Every process connects to the trace socket and writes one JSON event per line. Lines are checked
 *      against the trace schema, numbered, batched into SQLite (one transaction per batch) and pushed to
 *      the UI at most ~30 times a second.
 *   4. The kernel view samples /proc for every live process (on events that change descriptors, and
 *      every 250 ms), storing a snapshot when it changed.
 *   5. The run ends when every process is gone. It can also be stopped, or hit its wall-clock limit:
 *      SIGTERM to every process group, SIGKILL after a grace period. Then the checks run over the
 *      stored trace, and the run directory (sockets, FIFOs) is removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { CheckResult, ParamValues, ProcessInfo, RunStatus, RunSummary, Scenario } from '../contract/lab-model.js';
import {
  HOST_EVENTS_PAST_BUDGET,
  RUN_EVENT_BUDGET,
  TRACE_SCHEMA_VERSION,
  parseLabTraceLine,
  type StoredEvent,
  type TraceEvent,
  type TraceEventFields,
} from '../contract/trace-events.js';
import { LAB_ENV } from '../runtime/lab-env.js';
import type { NamedCheck } from './run-checks.js';
import { checksFileOf, runChecksInWorker } from './check-runner.js';
import { DiskFullError, type EventRow, type EventStore } from './event-store.js';
import { MQUEUE_DIR, objectPrefix, objectsOfRun, runDirPrefix, SHM_DIR, writeOwner } from './leftovers.js';
import { placeTraceSocket } from './trace-socket-path.js';
import { native } from '../native/index.js';
import { environmentValue, NetTables, parentPidOf, processesInGroups, processGroupOf, snapshotProcess, type KernelSnapshot } from './kernel-view.js';

/**
 * Batches go to SQLite and the UI at most ~30 times a second: an event waits for the next batch at most
 * this long, and not at all when the last batch is older than this.
 */
const FLUSH_INTERVAL_MS = 33;
const KERNEL_SAMPLE_INTERVAL_MS = 250;
/** Between SIGTERM and SIGKILL when a run is stopped. */
const STOP_GRACE_MS = 2000;
/** After every program the host started has exited, how long their children get to finish. */
const DRAIN_GRACE_MS = 2000;
/** Rejected trace lines recorded per process before the rest are only counted. */
const MAX_REJECTIONS_RECORDED = 20;
const MAX_OUTPUT_LINE = 2000;
/** The byte the engine answers a snapshot.request with, on the asking process's trace channel. */
const SNAPSHOT_TAKEN = Buffer.from([0x0a]);

/** Variables a lab process may see from the host's environment; everything else is withheld. */
const INHERITED_ENV = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SYSTEMROOT'];

export interface LabRunOptions {
  runId: number;
  labId: string;
  stepId: string | null;
  scenario: Scenario;
  params: ParamValues;
  /** Folder of the compiled programs (dist/labs/<lab>). */
  compiledDir: string;
  checks: NamedCheck[];
  startTs: bigint;
  store: EventStore;
  onBatch(events: StoredEvent[]): void;
  onUpdate(run: RunSummary): void;
  /** Events stored at most (default RUN_EVENT_BUDGET); the rest are counted. Tests set a small one. */
  eventBudget?: number;
}

interface Channel {
  pid: number | undefined;
  /** The process that connected, from SO_PEERCRED (undefined where the kernel cannot say). */
  peerPid: number | undefined;
  decoder: StringDecoder;
  pending: string;
  rejected: number;
}

export class LabRun {
  readonly runId: number;
  /** The run's private directory: made by start(), '' until then (and when making it failed). */
  runDir = '';
  /** Where the trace socket listens: in the run directory, or in a directory of its own when that path would be too long (set by start()). */
  private traceSocketPath = '';
  private traceSocketDir: string | null = null;
  private readonly server: Server;
  private readonly channels = new Set<Socket>();
  /** Connections to the trace socket refused because their peer was not a process of the run. */
  private foreignPeers = 0;
  /** Each open channel's peer pid (SO_PEERCRED), to close those outside the run when it is killed. */
  private readonly peers = new Map<Socket, number | undefined>();
  private readonly children = new Map<number, ChildProcess>();
  private readonly openStdio = new Set<ChildProcess>();
  private readonly processes = new Map<number, ProcessInfo>();
  private readonly processGroups = new Set<number>();
  private readonly lastSnapshot = new Map<number, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private pendingRows: EventRow[] = [];
  private pendingEvents: StoredEvent[] = [];
  private seq = 0;
  /** Events not stored because the run was over its budget (RUN_EVENT_BUDGET). */
  private overBudget = 0;
  private status: RunStatus = 'starting';
  private endReason: { status: RunStatus; message: string } | undefined;
  /** start() failed: the run never ran, and its row goes with it when everything it began is undone. */
  private startFailed = false;
  /** The disk under the store filled during the run: it ended then, and nothing more of it is stored. */
  private diskFull: DiskFullError | undefined;
  private finishing = false;
  private snapshotQueued = false;
  private lastObjects = '{"shm":[]}';
  /** Message queues the run's programs said they created: unlinked at the end even without /dev/mqueue. */
  private readonly queueNames = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private drainTimer: NodeJS.Timeout | undefined;
  private finishCheck: NodeJS.Immediate | undefined;
  /** Each process's trace channel descriptor (from its process.start), marked as IPC Lab's in the kernel view. */
  private readonly traceFds = new Map<number, number>();
  /** How processes ended whose parent reported it (child.exit) before their own process.start arrived. */
  private readonly endsBeforeStart = new Map<number, Partial<ProcessInfo>>();
  /** Names of the kernel objects the run's programs announced (object.create / object.open): the lab's own. */
  private readonly labObjects = new Set<string>();
  private killTimer: NodeJS.Timeout | undefined;
  private resolveDone!: (run: RunSummary) => void;
  /** Resolves with the final summary once everything of the run is gone and stored. */
  readonly done: Promise<RunSummary>;

  constructor(private readonly options: LabRunOptions) {
    this.runId = options.runId;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.server = createServer((socket) => this.acceptChannel(socket));
  }

  /**
   * Starts the processes. Rejects if the run directory, the trace socket or a program cannot be made;
   * then what was begun is undone (processes killed, directory removed) and the run's row deleted by the
   * time `done` resolves: a run that never ran is not in the student's history (issue 11, defect 6).
   */
  async start(): Promise<void> {
    try {
      this.runDir = mkdtempSync(join(tmpdir(), runDirPrefix()));
      writeOwner(this.runDir);
      const place = placeTraceSocket(this.runDir);
      this.traceSocketPath = place.path;
      this.traceSocketDir = place.ownDir;
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.traceSocketPath, () => resolve());
      });
      for (const program of this.options.scenario.programs) {
        const failed = this.startProgram(program.role, program.program);
        if (failed) await failed;
      }
    } catch (error) {
      this.startFailed = true;
      this.stop('error', `The run could not start: ${(error as Error).message}`);
      throw error;
    }
    // Not when the disk filled while the programs started: the run is ending already, as error.
    if (!this.diskFull) this.setStatus('running');
    this.timers.push(setInterval(() => this.sampleKernel(), KERNEL_SAMPLE_INTERVAL_MS));
    const limit = this.options.scenario.timeoutMs;
    this.timers.push(
      setTimeout(() => {
        this.hostEvent(0, 'host.warning', {
          text: `The run hit its wall-clock limit of ${limit / 1000} s with processes still running, so it was stopped.`,
          fix: 'Look at the kernel view for a process blocked for ever (a reader nobody writes to, a writer nobody reads), or choose smaller parameters.',
        });
        this.stop('timed-out', `Stopped after the ${limit / 1000} s limit.`);
      }, limit),
    );
  }

  /** Spawns one program. Returns nothing when it started; when it did not, a promise rejecting with why. */
  private startProgram(role: string, program: string): Promise<never> | undefined {
    const env: NodeJS.ProcessEnv = {};
    for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    Object.assign(env, {
      [LAB_ENV.traceSocket]: this.traceSocketPath,
      [LAB_ENV.role]: role,
      [LAB_ENV.params]: JSON.stringify(this.options.params),
      [LAB_ENV.programDir]: join(this.options.compiledDir, 'programs'),
      [LAB_ENV.runDir]: this.runDir,
      [LAB_ENV.objectPrefix]: objectPrefix(this.runId),
      [LAB_ENV.spawnerPid]: String(process.pid),
    });
    const compiled = join(this.options.compiledDir, program.replace(/\.ts$/, '.js'));
    const short = descriptorShortage();
    if (short) return Promise.reject(Object.assign(short, { role, program }));
    // detached: a new session and process group, so that stop reaches the program's own children too.
    const child = spawn(process.execPath, [compiled], { cwd: this.runDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    // A spawn that fails for want of resources (EMFILE, ENFILE, EAGAIN) or of the file (ENOENT, EACCES)
    // returns a child without a pid and emits 'error' on the next tick instead of throwing
    // (lib/internal/child_process.js, ChildProcess.prototype.spawn): listened to here, or it crashes the host.
    if (pid === undefined) return new Promise<never>((_, reject) => child.once('error', (error) => reject(Object.assign(error, { role, program }))));
    this.children.set(pid, child);
    this.openStdio.add(child);
    this.processGroups.add(pid);
    this.trackProcess({ pid, ppid: process.pid, role, program, state: 'running', exitCode: null, signal: null });
    this.hostEvent(pid, 'host.spawn', { program, ppid: process.pid }, role);
    this.forwardOutput(child, pid, role, 'stdout');
    this.forwardOutput(child, pid, role, 'stderr');
    child.on('error', (error) => this.hostEvent(pid, 'host.warning', { text: `${role} (pid ${pid}) failed: ${error.message}` }, role));
    child.on('exit', (code, signal) => {
      this.hostEvent(pid, 'host.exit', { code, signal }, role);
      this.updateProcess(pid, { state: signal ? 'killed' : 'exited', exitCode: code, signal });
      this.children.delete(pid);
      if (this.children.size === 0) this.drainTimer ??= setTimeout(() => this.killAll('SIGKILL'), DRAIN_GRACE_MS);
      this.maybeFinish();
    });
    child.on('close', () => {
      this.openStdio.delete(child);
      this.maybeFinish();
    });
  }

  private forwardOutput(child: ChildProcess, pid: number, role: string, stream: 'stdout' | 'stderr'): void {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const source = child[stream]!;
    source.on('data', (chunk: Buffer) => {
      pending += decoder.write(chunk);
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        this.hostEvent(pid, 'host.output', { stream, text: pending.slice(0, Math.min(newline, MAX_OUTPUT_LINE)) }, role);
        pending = pending.slice(newline + 1);
      }
    });
    source.on('end', () => {
      pending += decoder.end();
      if (pending) this.hostEvent(pid, 'host.output', { stream, text: pending.slice(0, MAX_OUTPUT_LINE) }, role);
    });
  }

  private acceptChannel(socket: Socket): void {
    if (this.finishing) {
      socket.destroy();
      return;
    }
    const peer = this.peerOf(socket);
    if (peer.foreign) {
      // Dropped before it is a channel: a stranger must never hold the run open (canFinish waits for
      // every channel) nor speak for a lab process.
      socket.destroy();
      // Recorded for the first few only: a stranger connecting in a loop must not flood the trace.
      if (++this.foreignPeers > MAX_REJECTIONS_RECORDED) {
        if (this.foreignPeers === MAX_REJECTIONS_RECORDED + 1)
          this.hostEvent(0, 'host.warning', {
            text: "More processes that are not the run's keep connecting to its trace socket; they are closed without a record.",
          });
        return;
      }
      this.hostEvent(0, 'host.warning', {
        text: `A process that is not one of this run's (${peer.foreign}) connected to the run's trace socket; IPC Lab closed that connection at once and stored nothing it sent.`,
        fix: "Another program of yours is reaching into IPC Lab's run directory: stop it. Lab programs connect through main/runtime, as processes of the run.",
      });
      return;
    }
    this.channels.add(socket);
    this.peers.set(socket, peer.pid);
    const channel: Channel = { pid: undefined, peerPid: peer.pid, decoder: new StringDecoder('utf8'), pending: '', rejected: 0 };
    socket.on('data', (chunk: Buffer) => {
      channel.pending += channel.decoder.write(chunk);
      let start = 0;
      let newline: number;
      while ((newline = channel.pending.indexOf('\n', start)) >= 0) {
        this.acceptLine(channel, socket, channel.pending.slice(start, newline));
        start = newline + 1;
      }
      channel.pending = channel.pending.slice(start);
      if (channel.pending.length > 64 * 1024) {
        this.rejectLine(channel, channel.pending.slice(0, 200), 'a line longer than 64 KiB with no newline');
        channel.pending = '';
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.channels.delete(socket);
      this.peers.delete(socket);
      if (channel.pending.trim()) this.rejectLine(channel, channel.pending, 'the last line had no newline before the channel closed');
      if (channel.pid !== undefined) {
        const info = this.processes.get(channel.pid);
        // A process we did not start ourselves and that never said process.exit was killed.
        if (info && info.state === 'running' && !this.children.has(channel.pid)) this.updateProcess(channel.pid, { state: 'killed' });
      }
      this.maybeFinish();
    });
  }

  private acceptLine(channel: Channel, socket: Socket, line: string): void {
    if (channel.pid === undefined) {
      // The first line names the process. Only a process of this run may speak.
      const claimed = claimedStart(line);
      // The kernel says who connected: a process speaks for itself only (lab.spawn does not hand the
      // trace channel to children; each connects its own).
      const impostor = claimed !== undefined && channel.peerPid !== undefined && claimed.pid !== channel.peerPid;
      if (claimed === undefined || impostor || !this.belongsToRun(claimed)) {
        this.hostEvent(0, 'trace.rejected', {
          line: line.slice(0, 200),
          reason: 'the first line on a trace channel must be a process.start event from a process of this run',
          fix: 'Lab programs connect through main/runtime (import { lab } from the runtime); do not write to the trace socket yourself.',
        });
        socket.destroy();
        return;
      }
      channel.pid = claimed.pid;
    }
    const verdict = parseLabTraceLine(line, channel.pid);
    if (!verdict.ok) {
      this.rejectLine(channel, line, verdict.reason);
      return;
    }
    this.record(verdict.event, line);
    this.observe(verdict.event);
    if (verdict.event.kind === 'snapshot.request') {
      // lab.snapshot() blocks in read() on its trace channel until this byte comes: sampling is
      // synchronous, so the snapshots are recorded (stamped after the request) before the program goes on.
      this.sampleKernel(verdict.event.reason);
      socket.write(SNAPSHOT_TAKEN);
    }
  }

  /**
   * Whether the process that opened a trace channel is one of this run's: one the host started, or
   * one in their process groups. A program that spoke and exited at once may be gone (and reaped) by
   * the time its channel is read; then its claimed parent must be a process of this run.
   */
  private belongsToRun({ pid, ppid }: { pid: number; ppid: number }): boolean {
    if (this.children.has(pid) || this.processGroups.has(pid)) return true;
    const group = processGroupOf(pid);
    if (group !== undefined) return this.processGroups.has(group);
    return this.processes.has(ppid);
  }

  /**
   * Who connected a trace channel (SO_PEERCRED, unix(7)), and why it is not one of the run's if it is
   * not. The kernel records the connecting process at connect(): unlike a process.start line, it cannot
   * be forged. Foreign: another user, or a live process outside the run's process groups (a child a lab
   * program starts stays in its group; and no stranger can move into one, since setpgid(2) joins only a
   * group of the caller's own session and each program the host starts leads a session of its own:
   * spawn's detached is setsid(2)). A peer already gone cannot be placed in a group: a program that
   * spoke and exited at once; its first line must then claim that very pid and a parent of the run
   * (belongsToRun), and being gone it cannot hold the run open.
   */
  private peerOf(socket: Socket): { pid: number | undefined; foreign?: string } {
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    let peer: { pid: number; uid: number };
    try {
      if (fd === undefined || fd < 0) return { pid: undefined };
      peer = native().peerCredentials(fd);
    } catch (error) {
      // No SO_PEERCRED here (not Linux): the process.start check alone decides, as before. Anything
      // else (an addon built before peerCredentials existed, a socket already closed) must not let a
      // stranger through unchecked.
      if ((error as NodeJS.ErrnoException).code === 'ENOSYS') return { pid: undefined };
      return { pid: undefined, foreign: `its credentials could not be read: ${(error as Error).message}` };
    }
    if (process.getuid && peer.uid !== process.getuid()) return { pid: peer.pid, foreign: `pid ${peer.pid}, user ${peer.uid}` };
    if (this.children.has(peer.pid) || this.processGroups.has(peer.pid)) return { pid: peer.pid };
    const group = processGroupOf(peer.pid);
    if (group === undefined || this.processGroups.has(group)) return { pid: peer.pid };
    return { pid: peer.pid, foreign: `pid ${peer.pid}, in process group ${group}` };
  }

  /**
   * Closes the channels whose peer is no process of the run (any more): one that left the run's
   * process groups, or whose pid now names someone else. Called once every process group has been sent
   * SIGKILL, so that nothing outside the run can hold it open; a peer of the run that is still dying
   * closes its channel itself, after the kernel has handed over what it wrote.
   */
  private dropForeignChannels(): void {
    for (const [socket, pid] of this.peers) {
      if (pid === undefined) continue;
      const group = processGroupOf(pid);
      if (group === undefined || this.processGroups.has(group)) continue;
      socket.destroy();
      this.hostEvent(0, 'host.warning', {
        text: `The trace channel of pid ${pid} was closed: that process has left the run's process groups (now in group ${group}) and was still connected after the run's processes were killed.`,
      });
    }
  }

  private rejectLine(channel: Channel, line: string, reason: string): void {
    channel.rejected++;
    const pid = channel.pid ?? 0;
    if (channel.rejected <= MAX_REJECTIONS_RECORDED) {
      this.hostEvent(pid, 'trace.rejected', {
        line: line.slice(0, 200),
        reason,
        fix: "Emit events with lab.emit() from main/runtime; see main/contract/trace-events.ts for each kind's fields.",
      });
    } else if (channel.rejected === MAX_REJECTIONS_RECORDED + 1) {
      this.hostEvent(pid, 'host.warning', { text: `pid ${pid} keeps sending malformed trace lines; further ones are dropped without a record.` });
    }
  }

  /** Keeps the process table in step with what processes say about themselves and their children. */
  private observe(event: TraceEvent): void {
    switch (event.kind) {
      case 'process.start': {
        if (event.traceFd !== undefined) this.traceFds.set(event.pid, event.traceFd);
        if (!this.processes.has(event.pid))
          this.trackProcess({ pid: event.pid, ppid: event.ppid, role: event.role, program: event.program, state: 'running', exitCode: null, signal: null });
        const end = this.endsBeforeStart.get(event.pid);
        if (end) this.updateProcess(event.pid, end);
        this.endsBeforeStart.delete(event.pid);
        this.queueKernelSnapshot();
        break;
      }
      case 'process.exit':
        if (!this.children.has(event.pid)) this.updateProcess(event.pid, { state: 'exited', exitCode: event.code });
        break;
      case 'child.exit': {
        const end = { state: event.signal ? 'killed' : 'exited', exitCode: event.code, signal: event.signal } as const;
        // Channels are read independently: a parent's child.exit can arrive before the child's own
        // process.start (a child killed the moment it spoke). Its end is kept for when the start comes.
        if (this.processes.has(event.childPid)) this.updateProcess(event.childPid, end);
        else this.endsBeforeStart.set(event.childPid, end);
        break;
      }
      case 'object.create':
      case 'object.open':
        this.labObjects.add(event.object.name);
        if (event.object.type === 'mqueue') this.queueNames.add(event.object.name.replace(/^\/dev\/mqueue/, ''));
        this.queueKernelSnapshot();
        break;
      case 'io.close':
        this.queueKernelSnapshot();
        break;
    }
  }

  private record(event: TraceEvent, line?: string): void {
    if (this.diskFull) return; // Nowhere to keep it: the run is ending.
    if (this.seq >= (this.options.eventBudget ?? RUN_EVENT_BUDGET) && !HOST_EVENTS_PAST_BUDGET.has(event.kind)) {
      // Counted, not stored (what it said about processes and objects has been observed all the same).
      if (++this.overBudget === 1) this.hostEvent(0, 'host.warning', this.budgetWarning());
      return;
    }
    const seq = ++this.seq;
    this.pendingRows.push({ seq, ts: event.ts, pid: event.pid, kind: event.kind, data: line ?? JSON.stringify(event) });
    // The event object is ours (just parsed or just built) and its row text is taken: stamp it in place
    // rather than copy it, which was the largest cost per event.
    const stored = event as StoredEvent;
    stored.runId = this.runId;
    stored.seq = seq;
    this.pendingEvents.push(stored);
    this.flushTimer ??= setTimeout(() => this.flush(), Math.max(0, this.lastFlushAt + FLUSH_INTERVAL_MS - performance.now()));
  }

  /** The trace's note where the budget ran out, and the run's end: the budget, and what to change. */
  private budgetWarning(): { text: string; fix: string } {
    const budget = this.options.eventBudget ?? RUN_EVENT_BUDGET;
    const changed = this.options.scenario.params
      .filter((spec) => spec.type === 'integer' && this.options.params[spec.name] !== undefined && this.options.params[spec.name] !== spec.default)
      .map((spec) => `${spec.name} ${String(this.options.params[spec.name])} (default ${String(spec.default)})`);
    return {
      text: `This run reached IPC Lab's budget of ${budget.toLocaleString('en')} stored events: the events after this point are counted but not stored, and the run's checks will not run.`,
      fix: changed.length
        ? `Run it again with parameters that make less work: ${changed.join(', ')}.`
        : 'Run it again with parameters that make less work (fewer items, larger pieces).',
    };
  }

  /** At the run's end: the count of events not stored, and the run ends as an error (its checks need every event). */
  private endOverBudget(): void {
    if (this.overBudget === 0) return;
    const budget = this.options.eventBudget ?? RUN_EVENT_BUDGET;
    const { fix } = this.budgetWarning();
    this.hostEvent(0, 'host.warning', { text: `${this.overBudget.toLocaleString('en')} events of this run were over its budget and not stored.`, fix });
    if (this.endReason?.status === 'error') return;
    this.endReason = {
      status: 'error',
      message: `The run produced ${this.overBudget.toLocaleString('en')} events more than IPC Lab's budget of ${budget.toLocaleString('en')} per run; those were counted but not stored, so its checks were not run. ${fix}`,
    };
  }

  /** `at`: when it happened, if not now (a kernel snapshot is stamped when its reads began). */
  private hostEvent<K extends keyof TraceEventFields>(pid: number, kind: K, fields: TraceEventFields[K], role?: string, at?: bigint): void {
    const event = {
      v: TRACE_SCHEMA_VERSION,
      ts: (at ?? process.hrtime.bigint()).toString(),
      pid,
      role: role ?? this.processes.get(pid)?.role ?? 'host',
      kind,
      ...fields,
    };
    this.record(event as unknown as TraceEvent);
  }

  /** Stores and pushes what is pending: at once if the last batch is older than FLUSH_INTERVAL_MS, else then. */
  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.lastFlushAt = performance.now();
    if (this.pendingRows.length === 0) return;
    const rows = this.pendingRows;
    const events = this.pendingEvents;
    this.pendingRows = [];
    this.pendingEvents = [];
    this.storing(() => this.options.store.insertEvents(this.runId, rows));
    // The page is shown what is stored, and only that.
    if (!this.diskFull) this.options.onBatch(events);
  }

  private queueKernelSnapshot(): void {
    if (this.snapshotQueued) return;
    this.snapshotQueued = true;
    setImmediate(() => {
      this.snapshotQueued = false;
      this.sampleKernel();
    });
  }

  /**
   * Records a kernel.snapshot for every live process whose state, descriptors or shared mappings
   * changed, and kernel.objects when the run's /dev/shm entries changed.
   */
  private sampleKernel(requested?: string): void {
    const shm = objectsOfRun(SHM_DIR, this.runId).flatMap((path) => {
      try {
        return [{ path, bytes: statSync(path).size }];
      } catch {
        return [];
      }
    });
    const mqueue = objectsOfRun(MQUEUE_DIR, this.runId).flatMap((path) => {
      try {
        return [{ path, status: readFileSync(path, 'utf8').trim() }];
      } catch {
        return [];
      }
    });
    const files = this.namedFilesInRunDir();
    const fifo = files.fifo.map((path) => ({ path }));
    const socket = files.socket.map((path) => ({ path }));
    const objects = { shm, ...(mqueue.length ? { mqueue } : {}), ...(fifo.length ? { fifo } : {}), ...(socket.length ? { socket } : {}) };
    const objectsKey = JSON.stringify(objects);
    if (objectsKey !== this.lastObjects) {
      this.lastObjects = objectsKey;
      this.hostEvent(0, 'kernel.objects', objects);
    }
    const net = new NetTables(); // /proc/net/{tcp,tcp6,unix} read at most once this round
    const sampled: { pid: number; role?: string }[] = [...this.processes.values()].filter((info) => info.state === 'running');
    if (requested !== undefined) {
      // A requested view shows every process of the run, also one whose process.start the engine has
      // not read yet: each trace channel is read on its own, and on a loaded machine a child's first
      // line was seen to arrive a second after its parent's request (a link sender, whose wait the
      // view then missed). Such a process is found by its process group; its role is the one it was
      // started with (its environment), until its own process.start says so.
      // Only one that has exec'd a program started for it: its environment names its parent as the
      // spawner (lab.spawn and the host set it so). Between fork and exec a child still shows its
      // parent's environment and descriptors, which would be a false view of it.
      const known = new Set(this.processes.keys());
      for (const pid of processesInGroups(this.processGroups)) {
        if (known.has(pid) || Number(environmentValue(pid, LAB_ENV.spawnerPid)) !== parentPidOf(pid)) continue;
        sampled.push({ pid, role: environmentValue(pid, LAB_ENV.role) ?? 'not yet announced' });
      }
    }
    for (const { pid, role } of sampled) {
      // Stamped before /proc is read, not after: what the reads saw happened after this moment.
      const startedAt = process.hrtime.bigint();
      const snapshot = snapshotProcess(pid, net);
      if (!snapshot) continue;
      markRuntimeFds(snapshot, this.traceFds.get(pid), this.labObjects);
      const key = JSON.stringify({ ...snapshot, stateReadBy: undefined });
      if (this.lastSnapshot.get(pid) === key && requested === undefined) continue;
      this.lastSnapshot.set(pid, key);
      this.hostEvent(pid, 'kernel.snapshot', requested === undefined ? snapshot : { ...snapshot, requested }, role, startedAt);
    }
  }

  private trackProcess(info: ProcessInfo): void {
    this.processes.set(info.pid, info);
    this.storing(() => this.options.store.upsertProcess(this.runId, info));
    this.publish();
  }

  private updateProcess(pid: number, change: Partial<ProcessInfo>): void {
    const info = this.processes.get(pid);
    if (!info) return;
    Object.assign(info, change);
    this.storing(() => this.options.store.upsertProcess(this.runId, info));
    this.publish();
  }

  private setStatus(status: RunStatus, message: string | null = null): void {
    this.status = status;
    this.storing(() => this.options.store.updateRunStatus(this.runId, status, message));
    this.publish();
  }

  /**
   * Runs one of the run's writes to the store. These happen in timers and process events, where a throw
   * would crash the host: a full disk instead ends the run (stopForFullDisk); anything else is a bug.
   */
  private storing(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (!(error instanceof DiskFullError)) throw error;
      this.stopForFullDisk(error);
    }
  }

  /**
   * The disk filled: no more of the trace can be kept, so the run ends at once, as error, saying so.
   * Its processes are killed without the grace period (what they would still say could not be stored),
   * its kernel objects go as every run's do, and the events stored so far stay. The store released its
   * reserve file, so the run's end can still be written.
   */
  private stopForFullDisk(error: DiskFullError): void {
    if (this.diskFull) return;
    this.diskFull = error;
    this.pendingRows = [];
    this.pendingEvents = [];
    this.endReason = { status: 'error', message: error.message };
    this.stop('error', error.message);
    this.killAll('SIGKILL');
  }

  private publish(): void {
    const summary = this.options.store.run(this.runId);
    if (summary) this.options.onUpdate(summary);
  }

  /**
   * Stops the run: SIGTERM to every process group, SIGKILL after a grace period. `status` is how the
   * run will be reported (stopped, timed-out, error).
   */
  stop(status: RunStatus = 'stopped', message = 'Stopped by the student.'): void {
    if (this.finishing) return;
    this.endReason ??= { status, message };
    if (this.status !== 'stopping') this.setStatus('stopping');
    this.killAll('SIGTERM');
    this.killTimer ??= setTimeout(() => this.killAll('SIGKILL'), STOP_GRACE_MS);
    this.maybeFinish();
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const group of this.processGroups) {
      try {
        process.kill(-group, signal);
      } catch {
        // The group is empty already.
      }
    }
    if (signal === 'SIGKILL') this.dropForeignChannels();
  }

  private maybeFinish(): void {
    if (!this.canFinish() || this.finishCheck) return;
    // A program that connected its trace channel and exited at once may still sit in the listen
    // backlog. It connected before it exited, so the poll that reported its exit also found the trace
    // socket readable; setImmediate runs after that poll has accepted it, and then we look again.
    this.finishCheck = setImmediate(() => {
      this.finishCheck = undefined;
      if (!this.canFinish()) return;
      this.finishing = true;
      void this.finish();
    });
  }

  private canFinish(): boolean {
    if (this.finishing || this.children.size > 0 || this.openStdio.size > 0 || this.channels.size > 0) return false;
    return this.status !== 'starting' || this.endReason !== undefined;
  }

  private async finish(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.drainTimer);
    clearTimeout(this.killTimer);
    // Anything of the run's process groups still alive now (it closed its channels but lingers) goes.
    this.killAll('SIGKILL');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.removeSegments();
    this.endOverBudget();
    this.flush();
    if (this.startFailed) {
      this.removeRunDir();
      const last = this.options.store.run(this.runId)!;
      this.storing(() => this.options.store.deleteRun(this.runId));
      this.status = 'error';
      // Pushed too: a page that saw the run at starting or stopping sees it end (runs.start answers why).
      const summary: RunSummary = { ...last, status: 'error', message: this.endReason?.message ?? null };
      this.options.onUpdate(summary);
      this.resolveDone(summary);
      return;
    }
    const checks = await this.runChecks();
    let status: RunStatus;
    let message: string | null = null;
    if (this.endReason) ({ status, message } = this.endReason);
    else if (checks.length === 0) status = 'completed';
    else status = checks.every((c) => c.passed) ? 'passed' : 'failed';
    this.storing(() => this.options.store.finishRun(this.runId, status, message, checks));
    const { stepId } = this.options;
    if (stepId) this.storing(() => this.options.store.recordStepOutcome(this.options.labId, stepId, status === 'passed', this.runId));
    this.removeRunDir();
    if (this.endReason) ({ status, message } = this.endReason); // a full disk met while storing the end
    this.status = status;
    // As stored; as it ended, should even the reserve not have held its end.
    const stored = this.options.store.run(this.runId)!;
    const summary: RunSummary = { ...stored, status, message: message ?? stored.message };
    this.options.onUpdate(summary);
    this.resolveDone(summary);
  }

  private removeRunDir(): void {
    if (this.runDir) rmSync(this.runDir, { recursive: true, force: true });
    if (this.traceSocketDir) rmSync(this.traceSocketDir, { recursive: true, force: true });
  }

  /**
   * The FIFOs (lab.mkfifo) and Unix socket files the run's programs made in its directory, not the
   * host's own trace socket. One readdir per call: its entries carry their file type, so no stat each.
   */
  private namedFilesInRunDir(): { fifo: string[]; socket: string[] } {
    const found = { fifo: [] as string[], socket: [] as string[] };
    try {
      for (const entry of readdirSync(this.runDir, { withFileTypes: true })) {
        const path = join(this.runDir, entry.name);
        if (entry.isFIFO()) found.fifo.push(path);
        else if (entry.isSocket() && path !== this.traceSocketPath) found.socket.push(path);
      }
    } catch {
      // The run directory is gone already.
    }
    return found;
  }

  /**
   * Unlinks the run's shared-memory segments and message queues, whatever its programs did or did not
   * do. (FIFOs and Unix socket files go with the run directory.)
   */
  private removeSegments(): void {
    const removed: string[] = [];
    const prefix = objectPrefix(this.runId);
    for (const path of [...objectsOfRun(SHM_DIR, this.runId), ...objectsOfRun(MQUEUE_DIR, this.runId)]) {
      try {
        unlinkSync(path);
        removed.push(path);
      } catch {
        // Gone already.
      }
    }
    // Without /dev/mqueue mounted, queues cannot be listed: unlink those the programs announced.
    for (const name of this.queueNames) {
      if (!name.startsWith(prefix) || removed.includes(`${MQUEUE_DIR}${name}`)) continue;
      try {
        (native() as { mqUnlink?: (name: string) => void }).mqUnlink?.(name);
        removed.push(name);
      } catch {
        // Gone already.
      }
    }
    // FIFOs and socket files go with the run directory, removed after this; listed here so the trace says so.
    const files = this.namedFilesInRunDir();
    removed.push(...files.fifo, ...files.socket);
    if (removed.length > 0) this.hostEvent(0, 'host.cleanup', { removed });
  }

  /**
   * The checks over the stored trace. Not for a run that was stopped, timed out or failed to start: its
   * trace ends where the run was cut, so a check would judge an experiment that never finished.
   */
  private async runChecks(): Promise<CheckResult[]> {
    if (this.options.checks.length === 0 || this.endReason) return [];
    // The trace exactly as stored (processes in the store's order, by pid): a report's re-run of these
    // checks over it must give the same outcome, word for word. The worker reads the events from the
    // database itself (flushed above), so the host never holds the whole trace.
    const stored = this.options.store.run(this.runId)!;
    return runChecksInWorker({
      checksFile: checksFileOf(this.options.compiledDir),
      checks: this.options.checks,
      params: stored.params,
      processes: stored.processes,
      source: { dbFile: this.options.store.file, runId: this.runId },
    });
  }
}

/**
 * What a spawn with two piped streams needs: a socketpair for each (4 descriptors) and libuv's pipe that
 * reports a failed exec (2).
 */
const SPAWN_DESCRIPTORS = 6;

/**
 * The EMFILE (or ENFILE) error a spawn would fail with, if this process has fewer than SPAWN_DESCRIPTORS
 * descriptors to spare; undefined when it has them. Asked before spawning because Node leaks a failed
 * spawn's descriptors: on EMFILE, ChildProcess.prototype.spawn (lib/internal/child_process.js) returns
 * before closing the stdio pipes it made, so every start that failed there left two sockets open for ever
 * (measured: 2 more per failure) and the shortage could never end. Nothing else runs between this check
 * and the spawn (both are synchronous), so the descriptors counted are there for it.
 */
function descriptorShortage(): NodeJS.ErrnoException | undefined {
  const probes: number[] = [];
  try {
    for (let i = 0; i < SPAWN_DESCRIPTORS; i++) probes.push(openSync('/dev/null', 'r'));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE' ? (error as NodeJS.ErrnoException) : undefined;
  } finally {
    for (const fd of probes) closeSync(fd);
  }
}

/** The pid and parent pid a process.start line claims, if it is one. */
function claimedStart(line: string): { pid: number; ppid: number } | undefined {
  try {
    const { pid, ppid, kind } = JSON.parse(line) as { pid?: unknown; ppid?: unknown; kind?: unknown };
    const isPid = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
    return kind === 'process.start' && isPid(pid) && isPid(ppid) ? { pid, ppid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Marks the descriptors that are the runtime's, not the lab's, so that a student looking for "the" pipe
 * finds the lab's: the trace channel; stdout and stderr (sockets to IPC Lab); and Node's event loop,
 * libuv's epoll, eventfd and internal pipes (for signals and wake-ups). A pipe is the lab's when one of
 * the run's programs announced its inode (lab.pipe(), or an inherited end of one): libuv never does.
 */
export function markRuntimeFds(snapshot: KernelSnapshot, traceFd: number | undefined, labObjects: ReadonlySet<string>): void {
  for (const fd of snapshot.fds) {
    if (fd.fd === traceFd) fd.runtime = 'trace channel';
    else if ((fd.fd === 1 || fd.fd === 2) && fd.target.startsWith('socket:[')) fd.runtime = 'output to IPC Lab';
    else if (fd.target.startsWith('anon_inode:')) fd.runtime = "Node's event loop";
    else if (fd.target.startsWith('pipe:[') && !labObjects.has(fd.target)) fd.runtime = "Node's event loop";
  }
}
