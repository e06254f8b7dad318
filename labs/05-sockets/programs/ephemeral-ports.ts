/**
 * The range the kernel picks a client's port from when it connects without binding one first (the
 * "ephemeral" ports): /proc/sys/net/ipv4/ip_local_port_range, two numbers, low and high (ip(7);
 * 32768 60999 by default). A port bound explicitly may lie anywhere, inside the range or not.
 */
import { readFileSync } from 'node:fs';

export function ephemeralPortRange(): { low: number; high: number } | undefined {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined && low > 0 ? { low, high } : undefined;
  } catch {
    return undefined;
  }
}
