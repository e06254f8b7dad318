/**
 * The CPU-bound job of the speed-up step: counting the primes below N by trial division. It does no
 * system call and touches little memory, so its time is CPU time, and k processes can only finish it
 * sooner by running on k cores at once.
 *
 * The numbers are dealt out in blocks of BLOCK, block b to worker b mod k: trial division costs more
 * for larger numbers, and striping gives every worker a share of the cheap and of the dear ones.
 */
export const BLOCK = 10_000;

/** How many primes lie in [from, to). */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(from, 2); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** The primes below `below` in the blocks of worker `index` (0-based) of `workers`. */
export function countShare(below: number, workers: number, index: number): number {
  let count = 0;
  for (let start = index * BLOCK; start < below; start += workers * BLOCK) count += countPrimes(start, Math.min(start + BLOCK, below));
  return count;
}
