/**
 * Checks over the student's own run of the cooperating-processes lab. Each reads what the kernel view
 * recorded (/proc/<pid>/fd, /proc/<pid>/maps, /proc/<pid>/stat in kernel.snapshot events) and the
 * times of events (`ts`, one monotonic clock in every process), never the order events reached the
 * host (`seq`).
 */
import { defineChecks, eventsOf, type ChartSeries, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { KernelFd, StoredEventOf } from '../../main/contract/trace-events.js';

type Snapshot = StoredEventOf<'kernel.snapshot'>;

const ts = (e: { ts: string }): bigint => BigInt(e.ts);

/**
 * The lab's own descriptors in a snapshot: the engine marks IPC Lab's (the trace channel, output to IPC
 * Lab) and Node's (its event loop's epoll, eventfd and internal pipes) with `runtime`; what is left is
 * what the program made or was handed.
 */
function labFds(snapshot: Snapshot): KernelFd[] {
  return snapshot.fds.filter((fd) => fd.runtime === undefined && fd.fd > 2);
}

/** The lab descriptors that are pipes ("pipe:[inode]"). */
function labPipes(snapshot: Snapshot): KernelFd[] {
  return labFds(snapshot).filter((fd) => fd.target.startsWith('pipe:['));
}

// ---------------------------------------------------------------------------------------------------
// Step 1: independent or cooperating

/** The rounds of the pair scenario: 1 and 2 with B's two inputs, 3 with B killed. */
const ROUNDS = [1, 2, 3] as const;

interface PairRound {
  tag: string;
  /** A's and B's snapshots of themselves, each taken on its own request while it held what it was handed. */
  a?: Snapshot;
  b?: Snapshot;
  /** What A wrote as its output (the launcher's message.receive), if it gave one. */
  output?: StoredEventOf<'message.receive'>;
  /** Kernel objects both A and B held: lab descriptors with the same target, /dev/shm files both mapped. */
  shared: string[];
}

function pairRound(trace: RunTrace, mode: 'indep' | 'coop', number: number): PairRound {
  const tag = `${mode}-${number}`;
  // Each holds every descriptor it was handed from before this snapshot until the launcher has read
  // both outputs (it waits on its hold pipe): what both tables show, both held at the same time.
  const own = (who: 'a' | 'b'): Snapshot | undefined =>
    eventsOf(trace, 'kernel.snapshot', `${tag}-${who}`).find((s) => s.requested === `${tag}: ${who.toUpperCase()} holds what it was handed`);
  const a = own('a');
  const b = own('b');
  const output = eventsOf(trace, 'message.receive', 'launcher').find((e) => e.channel === `${tag}: A's output`);
  const shared: string[] = [];
  if (a && b) {
    const held = new Set(labFds(b).map((fd) => fd.target));
    for (const fd of labFds(a)) if (held.has(fd.target) && !shared.includes(fd.target)) shared.push(fd.target);
    const mapped = new Set((b.maps ?? []).map((m) => m.path));
    for (const m of a.maps ?? []) if (mapped.has(m.path) && !shared.includes(m.path)) shared.push(m.path);
  }
  return { tag, ...(a ? { a } : {}), ...(b ? { b } : {}), ...(output ? { output } : {}), shared };
}

/** The rounds' problems before their outputs can be compared: a missing snapshot or output. */
function missing(rounds: PairRound[]): CheckOutcome | undefined {
  for (const r of rounds) {
    if (!r.a || !r.b)
      return {
        passed: false,
        detail: `The kernel view has no snapshot of ${r.a ? 'B' : 'A'} in round ${r.tag} (each asks for one once it holds what it was handed).`,
      };
    if (!r.output) return { passed: false, detail: `A gave no output in round ${r.tag}.`, moment: r.a.ts };
  }
  return undefined;
}

const quoted = (r: PairRound): string => `"${r.output!.text ?? ''}"`;

// ---------------------------------------------------------------------------------------------------
// Step 2: speed-up

/** The CPU a process had used, in ms (/proc/<pid>/stat utime + stime, 10 ms ticks). */
const cpuMs = (cpu: NonNullable<Snapshot['cpu']>): number => cpu.userMs + cpu.systemMs;

/** Other processes kept less than this many cores busy on average: the machine was free for the workers. */
export const FREE_BELOW_CORES = 0.25;
/** A speed-up at k = 2 the step promises on a free machine with two cores or more. */
export const SPEED_UP_AT_TWO = 1.3;
/**
 * Two workers whose summed CPU time for the same job is this much above one worker's: the cores
 * themselves ran slower with both busy, which caps the speed-up below SPEED_UP_AT_TWO even with both
 * cores in use (1.5 cores' worth of CPU / 1.15 is 1.3).
 */
export const SLOWER_CORES = 1.15;

interface WorkerRun {
  role: string;
  /** When its read() on the go pipe returned 0: it started counting. */
  start: bigint;
  /** When it asked the kernel view to record it after counting. */
  end: bigint;
  /** CPU time from its "ready" snapshot to its "done" snapshot. */
  cpuMs: number;
}

interface Phase {
  k: number;
  workers: WorkerRun[];
  /** From the coordinator's first close of a go pipe to its read of the last result. */
  wallMs: number;
  start: bigint;
  /** Summed CPU time of the workers' counting, from the kernel view. */
  cpuMs: number;
  /** cpuMs / wallMs: how many cores' worth of CPU the workers had at once, on average. */
  parallelism: number;
  /** Cores kept busy on average by every other process of the machine (/proc/stat), and cores idle. */
  othersCores?: number;
  idleCores?: number;
  /** Every worker was counting at one moment: the latest start came before the earliest end. */
  allAtOnce: boolean;
}

type PhaseProblem = { k: number; problem: string; moment?: string };

/** Each k's workers as the trace and the kernel view show them, or what is missing. */
function phasesOf(trace: RunTrace): { phases: Phase[]; problems: PhaseProblem[]; cores?: number } {
  const snapshots = eventsOf(trace, 'kernel.snapshot').filter((s) => s.requested !== undefined);
  const requests = eventsOf(trace, 'snapshot.request');
  const eofs = eventsOf(trace, 'io.eof');
  const closes = eventsOf(trace, 'io.close', 'coordinator');
  const received = eventsOf(trace, 'message.receive', 'coordinator');
  const measures = eventsOf(trace, 'measure', 'coordinator');
  const cores = measures.find((m) => m.name === 'cores')?.value;
  const byK = new Map<number, string[]>();
  for (const p of trace.processes) {
    const match = /^k(\d+)-worker-(\d+)$/.exec(p.role);
    if (match) byK.set(Number(match[1]), [...(byK.get(Number(match[1])) ?? []), p.role]);
  }
  const machineAt = (k: number, when: 'before' | 'after', name: string): number | undefined =>
    measures.find((m) => m.name === name && m.detail?.startsWith(`k=${k} ${when}:`))?.value;
  const phases: Phase[] = [];
  const problems: PhaseProblem[] = [];
  for (const k of [...byK.keys()].sort((a, b) => a - b)) {
    const workers: WorkerRun[] = [];
    for (let i = 1; i <= k; i++) {
      const role = `k${k}-worker-${i}`;
      const name = `k=${k} worker ${i}`;
      const ready = snapshots.find((s) => s.role === role && s.requested === `${name}: ready`);
      const done = snapshots.find((s) => s.role === role && s.requested === `${name}: done`);
      const go = eofs.find((e) => e.role === role && e.channel === `k=${k}: go ${i}`);
      const asked = requests.find((e) => e.role === role && e.reason === `${name}: done`);
      if (!ready?.cpu || !done?.cpu || !go || !asked) {
        problems.push({ k, problem: `${name} ${!go ? 'never got its starting gun' : 'was not recorded by the kernel view before and after counting'}` });
        continue;
      }
      workers.push({ role, start: ts(go), end: ts(asked), cpuMs: cpuMs(done.cpu) - cpuMs(ready.cpu) });
    }
    const first = closes.filter((e) => e.channel.startsWith(`k=${k}: go `) && e.end === 'write').sort((a, b) => Number(ts(a) - ts(b)))[0];
    const results = received.filter((e) => e.channel === `k=${k}: results`);
    if (workers.length < k || !first || results.length < k) {
      if (workers.length === k) problems.push({ k, problem: `the coordinator read ${results.length} of ${k} results` });
      continue;
    }
    const last = results.reduce((a, b) => (ts(b) > ts(a) ? b : a));
    const wallMs = Number(ts(last) - ts(first)) / 1e6;
    const cpu = workers.reduce((sum, w) => sum + w.cpuMs, 0);
    const phase: Phase = {
      k,
      workers,
      wallMs,
      start: ts(first),
      cpuMs: cpu,
      parallelism: cpu / wallMs,
      allAtOnce: workers.reduce((m, w) => (w.start > m ? w.start : m), 0n) < workers.reduce((m, w) => (w.end < m ? w.end : m), workers[0]!.end),
    };
    const busy = [machineAt(k, 'before', 'machine-busy-ms'), machineAt(k, 'after', 'machine-busy-ms')];
    const idle = [machineAt(k, 'before', 'machine-idle-ms'), machineAt(k, 'after', 'machine-idle-ms')];
    if (busy[0] !== undefined && busy[1] !== undefined) phase.othersCores = Math.max(0, busy[1] - busy[0] - cpu) / wallMs;
    if (idle[0] !== undefined && idle[1] !== undefined) phase.idleCores = (idle[1] - idle[0]) / wallMs;
    phases.push(phase);
  }
  return { phases, problems, ...(cores !== undefined ? { cores } : {}) };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const times = (x: number): string => `${x.toFixed(2)}×`;
const coresText = (x: number): string => `${x.toFixed(1)} core${x.toFixed(1) === '1.0' ? '' : 's'}`;

/** The first two workers (or more) whose counting did not overlap: who finished before whom started. */
function oneAfterAnother(phase: Phase): string {
  const byStart = [...phase.workers].sort((a, b) => Number(a.start - b.start));
  const late = byStart.at(-1)!;
  const early = [...phase.workers].sort((a, b) => Number(a.end - b.end))[0]!;
  return `at k=${phase.k}, ${late.role} began counting ${secs(Number(late.start - early.end) / 1e6)} after ${early.role} had finished`;
}

// ---------------------------------------------------------------------------------------------------
// Step 3: a pipeline

const STAGES = ['ls', 'middle', 'wc'] as const;
type Stage = (typeof STAGES)[number];

/** Each stage's own snapshot (asked for as it started), and the shell's after it started them. */
function pipelineViews(trace: RunTrace): { stages: Partial<Record<Stage, Snapshot>>; shell?: Snapshot } {
  const stages: Partial<Record<Stage, Snapshot>> = {};
  for (const role of STAGES) {
    const own = eventsOf(trace, 'kernel.snapshot', role).find((s) => s.requested?.endsWith(': its standard input and output'));
    if (own) stages[role] = own;
  }
  const shell = eventsOf(trace, 'kernel.snapshot', 'shell').find((s) => s.requested === 'the shell has started the pipeline');
  return { stages, ...(shell ? { shell } : {}) };
}

const fdTarget = (s: Snapshot, fd: number): string | undefined => s.fds.find((d) => d.fd === fd)?.target;

/** What the stage is called in a sentence: the middle stage by the program it ran. */
function stageName(trace: RunTrace, role: Stage): string {
  return role === 'middle' ? String(trace.params.middle) : role === 'wc' ? 'wc -l' : role;
}

/** The pipes the shell made (lab.pipe), in order: ls → middle, middle → wc. */
function shellPipes(trace: RunTrace): string[] {
  return eventsOf(trace, 'object.create', 'shell')
    .filter((e) => e.object.type === 'pipe')
    .map((e) => e.object.name);
}

/** A stage's bytes through write() or read() on a channel, from io.end events. */
function bytesOf(trace: RunTrace, role: string, op: 'read' | 'write', channel: string): number {
  return eventsOf(trace, 'io.end', role)
    .filter((e) => e.op === op && e.channel === channel)
    .reduce((sum, e) => sum + e.bytes, 0);
}

// ---------------------------------------------------------------------------------------------------
// Step 4: the prime sieve

/** The primes below n, worked out here (what the stages should find, one each). */
export function primesBelow(n: number): number[] {
  const primes: number[] = [];
  for (let k = 2; k < n; k++) if (primes.every((p) => k % p !== 0)) primes.push(k);
  return primes;
}

/** The sieve's stage processes by number (stage-1, stage-2, ...), as the engine tracked them. */
function stageRoles(trace: RunTrace): string[] {
  return trace.processes
    .map((p) => p.role)
    .filter((role) => /^stage-\d+$/.test(role))
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
}

/** "pipe:[123] at 5 (read)" for each pipe descriptor. */
const pipeList = (fds: KernelFd[]): string => fds.map((fd) => `${fd.target} at ${fd.fd}${fd.mode ? ` (${fd.mode})` : ''}`).join(', ');

export default defineChecks({
  'independent-share-nothing': {
    title: "The independent A and B shared no kernel object, and A's output did not follow B",
    hint: "Compare A's and B's descriptor tables in the kernel view for each independent round, and A's three outputs.",
    check(trace): CheckOutcome {
      const rounds = ROUNDS.map((n) => pairRound(trace, 'indep', n));
      const gap = missing(rounds);
      if (gap) return gap;
      const sharing = rounds.find((r) => r.shared.length > 0);
      if (sharing)
        return {
          passed: false,
          detail: `In round ${sharing.tag} A (pid ${sharing.a!.pid}) and B (pid ${sharing.b!.pid}) both held ${sharing.shared.join(', ')}: they were connected.`,
          hint: 'Independent processes hold nothing in common: untick "The independent pair is connected too".',
          moment: sharing.a!.ts,
        };
      const [first, changed, killed] = rounds as [PairRound, PairRound, PairRound];
      const differs = [changed, killed].find((r) => r.output!.text !== first.output!.text);
      if (differs)
        return {
          passed: false,
          detail: `A's output changed from ${quoted(first)} to ${quoted(differs)} in round ${differs.tag}, although only B was different.`,
          moment: differs.output!.ts,
        };
      return {
        passed: true,
        detail: `A and B never held a descriptor of the same pipe or a mapping of the same /dev/shm file (each held pipes the other did not), and A's output was ${quoted(first)} each time: with B's input changed, and with B killed.`,
        moment: first.a!.ts,
      };
    },
  },
  'cooperating-share-one': {
    title: "The cooperating A and B held one pipe, and A's output followed B",
    hint: "Look for a pipe:[inode] in both A's and B's descriptor tables in a cooperating round, and compare A's three outputs.",
    check(trace): CheckOutcome {
      const rounds = ROUNDS.map((n) => pairRound(trace, 'coop', n));
      const gap = missing(rounds);
      if (gap) return gap;
      const apart = rounds.find((r) => !r.shared.some((target) => target.startsWith('pipe:[')));
      if (apart)
        return {
          passed: false,
          detail: `In round ${apart.tag} the kernel view shows no pipe held by both A (pid ${apart.a!.pid}) and B (pid ${apart.b!.pid}): nothing connected them.`,
          hint: 'Cooperating processes need a kernel object both can reach: tick "The cooperating pair is connected by a pipe".',
          moment: apart.a!.ts,
        };
      const [first, changed, killed] = rounds as [PairRound, PairRound, PairRound];
      const same = [changed, killed].find((r) => r.output!.text === first.output!.text);
      if (same)
        return {
          passed: false,
          detail: `A's output was ${quoted(first)} in round ${first.tag} and the same in round ${same.tag}, although ${same === changed ? "B's input had changed" : 'B had been killed'}.`,
          ...(same === changed ? { hint: 'Give B a different input in round 2 ("B\'s input changes by").' } : {}),
          moment: same.output!.ts,
        };
      const pipe = first.shared.find((target) => target.startsWith('pipe:['))!;
      const fdOf = (s: Snapshot): number => labFds(s).find((fd) => fd.target === pipe)!.fd;
      return {
        passed: true,
        detail: `In each cooperating round A and B held one pipe (round 1: ${pipe}, B's descriptor ${fdOf(first.b!)} and A's ${fdOf(first.a!)}). A's output followed B: ${quoted(first)}, then ${quoted(changed)} with B's input changed, then ${quoted(killed)} with B killed.`,
        moment: first.a!.ts,
      };
    },
  },
  'speed-up': {
    title: 'More workers finished sooner while there were cores for them, and no sooner beyond',
    hint: "Compare the wall time of each k with the CPU time the kernel gave the workers: how many cores' worth did they get at once?",
    measures: {
      'speed-up-k2': { unit: 'times', title: 'wall time with 1 worker divided by wall time with 2' },
      'speed-up-k4': { unit: 'times', title: 'wall time with 1 worker divided by wall time with 4' },
      'speed-up-k8': { unit: 'times', title: 'wall time with 1 worker divided by wall time with 8' },
      'wall-k1-s': { unit: 's', title: 'wall time with 1 worker' },
    },
    charts: {
      'speed-up': {
        title: 'Speed-up against the number of workers',
        x: { label: 'workers (k)', unit: 'processes', scale: 'log2' },
        y: { label: 'speed-up (time with 1 ÷ time with k)', unit: 'times' },
      },
      parallelism: {
        title: "Cores' worth of CPU the workers got at once",
        x: { label: 'workers (k)', unit: 'processes', scale: 'log2' },
        y: { label: 'CPU time ÷ wall time', unit: 'cores' },
      },
    },
    check(trace): CheckOutcome {
      const { phases, problems, cores } = phasesOf(trace);
      const problem = problems[0];
      if (problem) return { passed: false, detail: `At k=${problem.k}, ${problem.problem}.`, hint: "Did the run end early? Look at the coordinator's lane." };
      const one = phases.find((p) => p.k === 1);
      if (!one || phases.length < 2 || cores === undefined)
        return { passed: false, detail: 'The run did not time 1 worker and more than one.', hint: 'Set "Largest number of workers" to 2 or more.' };
      const speedUp = (p: Phase): number => one.wallMs / p.wallMs;
      const measurements: Record<string, number> = { 'wall-k1-s': Math.round(one.wallMs) / 1000 };
      for (const p of phases) if ([2, 4, 8].includes(p.k)) measurements[`speed-up-k${p.k}`] = Math.round(speedUp(p) * 100) / 100;
      const charts: Record<string, ChartSeries[]> = {
        'speed-up': [{ name: 'measured speed-up', points: phases.map((p) => ({ x: p.k, y: speedUp(p) })) }],
        parallelism: [
          { name: "the workers' CPU time ÷ wall time", points: phases.map((p) => ({ x: p.k, y: p.parallelism })) },
          ...(phases.every((p) => p.othersCores !== undefined)
            ? [{ name: 'cores other processes kept busy (/proc/stat)', points: phases.map((p) => ({ x: p.k, y: p.othersCores! })) }]
            : []),
        ],
      };
      const base = { measurements, charts, moment: String(one.start) };
      const timesText = phases.map((p) => (p.k === 1 ? `k=1 ${secs(p.wallMs)}` : `k=${p.k} ${secs(p.wallMs)} (${times(speedUp(p))})`)).join(', ');
      const gotText = phases.map((p) => `${coresText(p.parallelism)} at k=${p.k}`).join(', ');
      const serial = phases.find((p) => p.k > 1 && !p.allAtOnce);
      if (serial)
        return {
          ...base,
          passed: false,
          detail: `The workers ran one after another: ${oneAfterAnother(serial)}. Wall times: ${timesText}.`,
          hint: 'k processes can finish a job sooner only by running at the same time: untick "The workers run one after another".',
          moment: String(serial.start),
        };
      const machine = `This machine has ${cores} core${cores === 1 ? '' : 's'} (os.availableParallelism()). Wall times: ${timesText}. The workers' CPU time from the kernel view (utime + stime) divided by the wall time: ${gotText}.`;
      const upTo = phases.filter((p) => p.k <= cores);
      const two = phases.find((p) => p.k === 2);
      const busy = upTo.filter((p) => p.othersCores === undefined || p.othersCores >= FREE_BELOW_CORES);
      // A core left idle while every worker wanted one (they were all counting at once): the kernel would
      // not run them on it. Something holds this run to fewer cores than the machine has, such as a
      // cgroup's CPU quota (cpu.max), and the speed-up cannot show.
      const held = upTo.find((p) => p.k > 1 && (p.idleCores ?? 0) >= 0.5 && p.parallelism < 0.75 * p.k);
      if (cores >= 2 && two && busy.length === 0 && held)
        return {
          ...base,
          passed: true,
          detail: `${machine} Nothing else kept the machine busy, yet at k=${held.k} ${coresText(held.idleCores!)} sat idle (/proc/stat) while all ${held.k} workers were counting and wanted one: this run's processes seem to be held to fewer cores than the machine has (a CPU quota on their cgroup, for instance), so it cannot show the speed-up. The workers did all count at once at every k.`,
          moment: String(held.start),
        };
      if (cores >= 2 && two && busy.length === 0) {
        // The machine had its cores free for the workers: the speed-up must show.
        const short = upTo.find((p) => p.parallelism < 0.75 * p.k);
        if (short)
          return {
            ...base,
            passed: false,
            detail: `${machine} At k=${short.k} the workers got only ${coresText(short.parallelism)} while the machine was free: they did not run at once.`,
            moment: String(short.start),
          };
        // The workers got the cores (the check above) yet finished little sooner: then the same work cost
        // them more CPU time than one worker alone, since wall = CPU time / parallelism. Cores that run
        // slower when both are busy (two hardware threads of one physical core, a VM's host lending its
        // cores elsewhere, a lower clock under load) do that: what the kernel measured explains it, and a
        // correct run never fails for it.
        const costlier = two.cpuMs / one.cpuMs;
        if (speedUp(two) < SPEED_UP_AT_TWO && costlier >= SLOWER_CORES)
          return {
            ...base,
            passed: true,
            detail: `${machine} The two workers ran at once on two cores, yet finished only ${times(speedUp(two))} sooner: the same counting cost them ${secs(two.cpuMs)} of CPU time together against ${secs(one.cpuMs)} for one worker alone (${times(costlier)} as much), so each core ran slower while both were busy (two hardware threads of one core, or a virtual machine's host, do that). The speed-up is the cores' worth of CPU the workers got divided by that extra cost.`,
            moment: String(two.start),
          };
        if (speedUp(two) < SPEED_UP_AT_TWO)
          return {
            ...base,
            passed: false,
            detail: `${machine} Two workers were only ${times(speedUp(two))} faster than one on a free machine.`,
            moment: String(two.start),
          };
        const beyond = phases.filter((p) => p.k > cores);
        const most = Math.max(...phases.map((p) => p.parallelism));
        return {
          ...base,
          passed: true,
          detail: `${machine} Two workers ran on two cores at once and finished ${times(speedUp(two))} sooner.${beyond.length > 0 ? ` Beyond ${cores} workers there was no further gain: together they never got more than ${coresText(most)}, the machine's ${cores} cores, and the extra processes only took turns on them.` : ''}`,
        };
      }
      // Other processes held part of the cores: the run cannot show the speed-up the cores would give.
      const worst = [...upTo].sort((a, b) => (b.othersCores ?? 0) - (a.othersCores ?? 0))[0]!;
      const heldBy =
        worst.othersCores !== undefined
          ? `other processes kept ${coresText(worst.othersCores)} of the ${cores} busy on average while k=${worst.k} ran (/proc/stat)`
          : "the machine's own CPU counters (/proc/stat) were not recorded";
      return {
        ...base,
        passed: true,
        detail: `${machine} The machine was busy: ${heldBy}, so this run cannot show the speed-up ${cores} free cores give${cores < 2 ? ' (and one core can run only one worker at a time)' : ''}. What it could show, it did: at every k the workers were all counting at once, and the speed-up of each k went with the cores' worth of CPU its workers got (above), never more. Run it again when the machine is quiet to see the speed-up itself.`,
      };
    },
  },
  'stages-connected': {
    title: "Each stage's standard output was the next one's standard input, through a pipe nobody else held",
    hint: "In the kernel view, compare each stage's descriptor 1 with the next stage's descriptor 0, and look for the pipes in the shell's table.",
    check(trace): CheckOutcome {
      const { stages, shell } = pipelineViews(trace);
      const missingStage = STAGES.find((role) => !stages[role]);
      if (missingStage) return { passed: false, detail: `The kernel view has no snapshot of ${stageName(trace, missingStage)} taken as it started.` };
      if (!shell) return { passed: false, detail: 'The kernel view has no snapshot the shell asked for once it had started the pipeline.' };
      const pipes = shellPipes(trace);
      const links: [Stage, Stage][] = [
        ['ls', 'middle'],
        ['middle', 'wc'],
      ];
      const steps: string[] = [];
      for (const [index, [writer, reader]] of links.entries()) {
        const out = fdTarget(stages[writer]!, 1);
        const into = fdTarget(stages[reader]!, 0);
        if (!out || out !== into || out !== pipes[index])
          return {
            passed: false,
            detail: `${stageName(trace, writer)}'s descriptor 1 is ${out ?? 'closed'} and ${stageName(trace, reader)}'s descriptor 0 is ${into ?? 'closed'}: not the one pipe the shell made between them (${pipes[index] ?? 'none'}).`,
            moment: stages[reader]!.ts,
          };
        steps.push(`${stageName(trace, writer)}'s fd 1 and ${stageName(trace, reader)}'s fd 0 are ${out}`);
      }
      // The shell's copies: any end of these pipes it still holds keeps a reader from end of file.
      const kept = shell.fds.filter((fd) => pipes.includes(fd.target));
      if (kept.length > 0)
        return {
          passed: false,
          detail: `${steps.join('; ')}. But the shell still held ${kept.map((fd) => `${fd.target} at descriptor ${fd.fd}${fd.mode ? ` (${fd.mode})` : ''}`).join(', ')} after starting the stages.`,
          hint: 'A shell closes its copies of the pipe ends once the stages have them: untick "The shell keeps its copies of the pipe ends".',
          moment: shell.ts,
        };
      return {
        passed: true,
        detail: `${steps.join('; ')}. No stage knew: each read its fd 0 and wrote its fd 1. The shell had closed its copies.`,
        moment: stages.middle!.ts,
      };
    },
  },
  'eof-ends-pipeline': {
    title: 'The bytes went through stage by stage, and each stage read to end of file',
    hint: "Look for each reader's EOF in its lane: does it come? Which process still holds a write end of its pipe?",
    check(trace): CheckOutcome {
      const { shell } = pipelineViews(trace);
      const channels = eventsOf(trace, 'object.create', 'shell')
        .filter((e) => e.object.type === 'pipe')
        .map((e) => e.channel);
      if (channels.length !== 2) return { passed: false, detail: 'The shell did not make the two pipes of the pipeline.' };
      const links: [Stage, Stage, string][] = [
        ['ls', 'middle', channels[0]!],
        ['middle', 'wc', channels[1]!],
      ];
      const said: string[] = [];
      for (const [writer, reader, channel] of links) {
        const eof = eventsOf(trace, 'io.eof', reader).find((e) => e.channel === channel);
        if (!eof) {
          const pipe = shellPipes(trace)[links.findIndex((l) => l[2] === channel)];
          const stuck = eventsOf(trace, 'kernel.snapshot', reader)
            .filter((s) => s.state.startsWith('S') && /pipe/.test(s.wchan))
            .at(-1);
          const holder = shell?.fds.find((fd) => fd.target === pipe && fd.mode === 'write');
          return {
            passed: false,
            detail: `${stageName(trace, reader)} never saw end of file on ${channel}${stuck ? ` (the kernel view shows it asleep in ${stuck.wchan})` : ''}${holder ? `: the shell still held the pipe's write end at descriptor ${holder.fd}` : ''}.`,
            ...(holder ? { hint: "End of file needs every write end closed, the shell's copy too." } : {}),
            ...(stuck ? { moment: stuck.ts } : {}),
          };
        }
        const lastWrite = eventsOf(trace, 'io.end', writer)
          .filter((e) => e.op === 'write' && e.channel === channel)
          .at(-1);
        if (lastWrite && ts(lastWrite) > ts(eof))
          return { passed: false, detail: `${stageName(trace, reader)} saw end of file before ${stageName(trace, writer)}'s last write.`, moment: eof.ts };
        // The writer never closes its fd 1 itself: its exit does (it says process.exit just before).
        const exited = eventsOf(trace, 'process.exit', writer)[0];
        if (!exited || ts(exited) > ts(eof))
          return {
            passed: false,
            detail: `${stageName(trace, reader)} saw end of file ${exited ? 'before' : 'but'} ${stageName(trace, writer)} ${exited ? 'exited' : 'never said it exited'}.`,
            moment: eof.ts,
          };
        const wrote = bytesOf(trace, writer, 'write', channel);
        const read = bytesOf(trace, reader, 'read', channel);
        if (wrote !== read)
          return {
            passed: false,
            detail: `${stageName(trace, writer)} wrote ${wrote} bytes into ${channel} and ${stageName(trace, reader)} read ${read}.`,
            moment: eof.ts,
          };
        said.push(`${wrote} bytes from ${stageName(trace, writer)} to ${stageName(trace, reader)}, then end of file`);
      }
      const counted = eventsOf(trace, 'note', 'wc').find((n) => n.text.startsWith('wc -l:'));
      return {
        passed: true,
        detail: `${said.join('; ')}${counted ? `; ${counted.text}` : ''}. Each stage ended when its input did, and the next saw end of file once it had exited.`,
        moment: eventsOf(trace, 'io.eof', 'wc')[0]!.ts,
      };
    },
  },
  'stage-holds-two-ends': {
    title: 'Each stage held exactly its two pipe ends: the read end of its input, the write end of its output',
    hint: "Count the pipe descriptors of each stage in the kernel view (Node's own are marked as Node's), and check which end each is.",
    check(trace): CheckOutcome {
      const roles = stageRoles(trace);
      if (roles.length === 0) return { passed: false, detail: 'No stage of the sieve ran.' };
      const created = eventsOf(trace, 'object.create').filter((e) => e.object.type === 'pipe');
      /** The pipe a role's parent made for it: the generator's first, or the one its parent made before starting it. */
      const inputOf = (index: number): string | undefined => created.find((e) => e.role === (index === 0 ? 'generator' : roles[index - 1]))?.object.name;
      let neighbours = 0;
      for (const [index, role] of roles.entries()) {
        const n = Number(role.slice(6));
        const own = eventsOf(trace, 'kernel.snapshot', role);
        const setUp = own.find((s) => s.requested === `stage ${n}: set up`);
        if (!setUp) return { passed: false, detail: `The kernel view has no snapshot of ${role} taken once it was set up.` };
        const input = inputOf(index);
        const held = labPipes(setUp);
        if (held.length !== 1 || held[0]!.target !== input || held[0]!.mode !== 'read') {
          const leaked = held.find((fd) => fd.target === input && fd.mode === 'write');
          return {
            passed: false,
            detail: `Once set up, ${role} held ${held.length} pipe descriptor${held.length === 1 ? '' : 's'}: ${pipeList(held) || 'none'}${leaked ? `. Descriptor ${leaked.fd} is the write end of its own input pipe, inherited as after fork(): with it open, its read() can never return 0` : ''}.`,
            ...(leaked
              ? { hint: 'A stage must close the write end of its input pipe it inherited: tick "Each stage closes the write end ... it inherited".' }
              : {}),
            moment: setUp.ts,
          };
        }
        const withNext = own.find((s) => s.requested === `stage ${n}: with its neighbour`);
        if (!withNext) continue;
        neighbours++;
        const output = created.find((e) => e.role === role)?.object.name;
        const both = labPipes(withNext);
        const rightEnds = both.filter((fd) => fd.target === output && fd.mode === 'write');
        const leftEnds = both.filter((fd) => fd.target === input && fd.mode === 'read');
        if (both.length !== 2 || rightEnds.length !== 1 || leftEnds.length !== 1)
          return {
            passed: false,
            detail: `With its neighbour started, ${role} held ${both.length} pipe descriptors: ${pipeList(both)}; it should hold the read end of ${input} and the write end of ${output ?? 'its output pipe'}.`,
            moment: withNext.ts,
          };
      }
      return {
        passed: true,
        detail: `${roles.length} stages; each held only the read end of its input pipe once set up, and ${neighbours === roles.length - 1 ? 'every one but the last' : `${neighbours} of them`} then the write end of the pipe to the next stage too: two pipe ends, no more (Node's own pipes set aside).`,
        moment: eventsOf(trace, 'kernel.snapshot', roles[0]).find((s) => s.requested !== undefined)?.ts ?? '0',
      };
    },
  },
  'sieve-found-primes': {
    title: 'One stage per prime, each ended by end of file on its input',
    hint: "Does every stage see end of file? Look at the last read in each stage's lane.",
    measures: { 'stage-processes': { unit: 'processes', title: 'stage processes the sieve started' } },
    check(trace): CheckOutcome {
      const roles = stageRoles(trace);
      const expected = primesBelow(Number(trace.params.primesBelow));
      const m = { measurements: { 'stage-processes': roles.length } };
      const stuck = roles.find((role) => eventsOf(trace, 'io.eof', role).length === 0);
      if (stuck) {
        const asleep = eventsOf(trace, 'kernel.snapshot', stuck)
          .filter((s) => s.state.startsWith('S') && /pipe/.test(s.wchan))
          .at(-1);
        return {
          passed: false,
          detail: `${stuck} never saw end of file on its input${asleep ? ` (the kernel view shows it asleep in ${asleep.wchan})` : ''}${eventsOf(trace, 'snapshot.request', 'generator').some((e) => e.reason.startsWith('the sieve is stuck')) ? '; the generator found the sieve stuck and ended it' : ''}.`,
          ...(asleep ? { moment: asleep.ts } : {}),
          ...m,
        };
      }
      const found = roles.map((role) =>
        eventsOf(trace, 'note', role)
          .find((n) => n.text.startsWith('prime '))
          ?.text.slice(6),
      );
      if (roles.length !== expected.length || found.some((p, i) => p !== String(expected[i])))
        return {
          passed: false,
          detail: `The stages found ${found.join(', ')}; the primes below ${String(trace.params.primesBelow)} are ${expected.join(', ')}.`,
          ...m,
        };
      const notExited = trace.processes.find((p) => roles.includes(p.role) && p.exitCode !== 0);
      if (notExited) return { passed: false, detail: `${notExited.role} did not exit normally (${notExited.signal ?? `code ${notExited.exitCode}`}).`, ...m };
      return {
        passed: true,
        detail: `${roles.length} stage processes, one per prime below ${String(trace.params.primesBelow)} (${expected.join(', ')}); each read to end of file and exited.`,
        moment: eventsOf(trace, 'io.eof', roles.at(-1)!)[0]!.ts,
        ...m,
      };
    },
  },
});
