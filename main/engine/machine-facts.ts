/** The machine facts a run and a report record (contract: MachineFacts in main/contract/report-format.ts). */
import { readFileSync } from 'node:fs';
import { arch, availableParallelism, release, type } from 'node:os';
import type { MachineFacts } from '../contract/report-format.js';

export function machineFacts(): MachineFacts {
  return { os: type(), kernel: release(), arch: arch(), cores: availableParallelism(), bootId: bootId() };
}

/** proc(5): /proc/sys/kernel/random/boot_id, a random UUID the kernel makes at each boot. */
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}
