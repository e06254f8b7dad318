/**
 * Checks over the student's own run of the cooperating-processes lab. Each reads what the kernel view
 * recorded (/proc/<pid>/fd, /proc/<pid>/maps, /proc/<pid>/stat in kernel.snapshot events) and the
 * times of events (`ts`, one monotonic clock in every process), never the order events reached the
 * host (`seq`).
 */
import { defineChecks, eventsOf, type CheckOutcome, type RunTrace } from '../../main/engine/check-kit.js';
import type { KernelFd, StoredEventOf } from '../../main/contract/trace-events.js';

type Snapshot = StoredEventOf<'kernel.snapshot'>;

/**
 * The lab's own descriptors in a snapshot: the engine marks IPC Lab's (the trace channel, output to IPC
 * Lab) and Node's (its event loop's epoll, eventfd and internal pipes) with `runtime`; what is left is
 * what the program made or was handed.
 */
function labFds(snapshot: Snapshot): KernelFd[] {
  return snapshot.fds.filter((fd) => fd.runtime === undefined && fd.fd > 2);
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
        detail: `A and B never held a descriptor of the same pipe or a mapping of the same /dev/shm file (each held only its own pipes to the launcher), and A's output was ${quoted(first)} each time: with B's input changed, and with B killed.`,
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
});
