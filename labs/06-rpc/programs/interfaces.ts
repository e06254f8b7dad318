/**
 * The interfaces of this lab's remote programs: the equivalent of rpcgen's `.x` files. Client and
 * server are both built from these objects, so they agree on every number and every type.
 *
 *   typedef string account<32>;
 *   struct transfer { account account; int amount; };
 *
 *   program BANK {                              program CALC {
 *     version BANK_V1 {                           version CALC_V1 {
 *       int DEPOSIT(transfer) = 1;                  int ADD(pair) = 1;
 *       withdrawal WITHDRAW(transfer) = 2;        } = 1;
 *       int BALANCE(account) = 3;                } = 0x20000102;
 *     } = 1;
 *   } = 0x20000101;
 */
import { defineProgram, procedure } from '../../../main/runtime/rpc/interface.js';
import type { XdrType } from '../../../main/runtime/rpc/xdr.js';

const account: XdrType = { kind: 'string', max: 32 };
const transfer: XdrType = {
  kind: 'struct',
  fields: [
    ['account', account],
    ['amount', { kind: 'int' }],
  ],
};

export interface Transfer {
  account: string;
  amount: number;
}

export const BANK = defineProgram({
  name: 'BANK',
  number: 0x2000_0101,
  version: 1,
  procedures: {
    /** Adds amount to the account; returns the new balance. Not idempotent: twice is twice the money. */
    deposit: procedure<Transfer, number>(1, transfer, { kind: 'int' }, { idempotent: false }),
    /** Takes amount out if the balance allows; returns whether it did, and the balance. */
    withdraw: procedure<Transfer, { done: boolean; balance: number }>(
      2,
      transfer,
      {
        kind: 'struct',
        fields: [
          ['done', { kind: 'bool' }],
          ['balance', { kind: 'int' }],
        ],
      },
      { idempotent: false },
    ),
    /** The balance of an account (0 for a new one). Idempotent: asking twice changes nothing. */
    balance: procedure<string, number>(3, account, { kind: 'int' }, { idempotent: true }),
  },
});

/**
 * The same program as a client built from an older copy of the interface would see it: there, deposit
 * was procedure 4. Nothing in the bytes carries a procedure's name, so such a client asks the server
 * for a procedure it does not have (step 1's variant).
 */
export const BANK_STALE = defineProgram({
  ...BANK,
  procedures: { ...BANK.procedures, deposit: procedure<Transfer, number>(4, transfer, { kind: 'int' }, { idempotent: false }) },
});

export const CALC = defineProgram({
  name: 'CALC',
  number: 0x2000_0102,
  version: 1,
  procedures: {
    add: procedure<{ a: number; b: number }, number>(
      1,
      {
        kind: 'struct',
        fields: [
          ['a', { kind: 'int' }],
          ['b', { kind: 'int' }],
        ],
      },
      { kind: 'int' },
      { idempotent: true },
    ),
  },
});

/** The bank's procedures as plain functions over an in-memory table: what the server programmer writes. */
export function bankImplementation() {
  const balances = new Map<string, number>();
  return {
    deposit({ account, amount }: Transfer): number {
      const balance = (balances.get(account) ?? 0) + amount;
      balances.set(account, balance);
      return balance;
    },
    withdraw({ account, amount }: Transfer): { done: boolean; balance: number } {
      const balance = balances.get(account) ?? 0;
      if (amount > balance) return { done: false, balance };
      balances.set(account, balance - amount);
      return { done: true, balance: balance - amount };
    },
    balance(account: string): number {
      return balances.get(account) ?? 0;
    },
  };
}

/** CALC's one procedure, also called directly (no RPC) by the cost step. */
export function add({ a, b }: { a: number; b: number }): number {
  return (a + b) | 0;
}

/**
 * add, after `workUs` microseconds of computing (a busy loop on the clock): a procedure that does some
 * work, to compare the trip with. 0: add itself.
 */
export function addAfterWork(workUs: number): (args: { a: number; b: number }) => number {
  if (workUs <= 0) return add;
  const ns = BigInt(workUs) * 1000n;
  return (args) => {
    const until = process.hrtime.bigint() + ns;
    while (process.hrtime.bigint() < until);
    return add(args);
  };
}
