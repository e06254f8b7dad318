/**
 * A parent waits on a counter word in the segment until `count` children have said they are ready.
 * A child that dies first would leave it waiting for ever: between futex waits it looks at each
 * child's state in /proc/<pid>/stat (proc(5)); a child that has exited is a zombie ('Z') until Node
 * reaps it, which cannot happen while this loop holds the event loop.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcessHandle } from '../../../main/runtime/lab-runtime.js';
import type { SharedSegment } from '../../../main/runtime/shared-memory/shared-segment.js';

function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Returns once the word at `offset` reaches children.length; throws naming a child that died before. */
export function waitForPeers(segment: SharedSegment, offset: number, children: ChildProcessHandle[]): void {
  for (let ready = segment.load(offset); ready < children.length; ready = segment.load(offset)) {
    if (segment.wait(offset, ready, 200) !== 'timed-out') continue;
    const dead = children.find((child) => gone(child.pid));
    if (dead) throw new Error(`${dead.role} ${dead.pid} ended before it was ready; see its output`);
  }
}
