/**
 * What each timeline lane is called: its process's role, and when several processes share one (a
 * crowd of producers, the clients of a server) the role with its number, "client 2", counted in the
 * order the run started them (the run summary's processes, in spawn order; pid order for a process
 * the summary does not list yet). The labs number their children the same way (`lab.spawn` in a loop
 * from 1, e.g. labs/05-sockets/programs/tcp-server.ts), so the lane says what the step text and the
 * checks call it.
 */
import type { ProcessInfo } from '../../../../main/contract/lab-model.js';

export function laneNames(lanes: readonly { pid: number; role: string }[], processes: readonly ProcessInfo[]): Map<number, string> {
  const order = new Map(processes.map((p, i) => [p.pid, i]));
  const byRole = new Map<string, { pid: number; role: string }[]>();
  for (const lane of lanes) {
    const same = byRole.get(lane.role);
    if (same) same.push(lane);
    else byRole.set(lane.role, [lane]);
  }
  const names = new Map<number, string>();
  for (const [role, same] of byRole) {
    if (same.length === 1) {
      names.set(same[0]!.pid, role);
      continue;
    }
    const rank = (pid: number) => order.get(pid) ?? processes.length + pid;
    [...same].sort((a, b) => rank(a.pid) - rank(b.pid) || a.pid - b.pid).forEach((lane, i) => names.set(lane.pid, `${role} ${i + 1}`));
  }
  return names;
}
