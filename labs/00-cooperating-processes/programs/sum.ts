/** The sum 1 + 2 + ... + n, the computation A and B of the "pair" scenario each make from their own input. */
export function sumUpTo(n: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += i;
  return sum;
}
