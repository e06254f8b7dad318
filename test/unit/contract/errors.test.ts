/**
 * What an error answer carries: what went wrong and how to fix it, never a stack trace (paths that
 * help are fine). A message can carry a stack of its own: a wrapped error's message built from another
 * error's `.stack`, as the RPC runtime's server-bug events are.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toErrorInfo, UserError } from '../../../main/contract/errors.js';

function thrownHere(): Error {
  return new TypeError("Cannot read properties of undefined (reading 'pid')");
}

describe('toErrorInfo', () => {
  test('an unexpected error is internal, with its message and no stack', () => {
    const error = thrownHere();
    assert.match(error.stack ?? '', /\n\s+at /);
    const info = toErrorInfo(error);
    assert.equal(info.code, 'internal');
    assert.equal(info.message, "Internal error: Cannot read properties of undefined (reading 'pid')");
    assert.doesNotMatch(JSON.stringify(info), /errors\.test\.ts/);
  });

  test('stack frames inside a message are left out, the rest of it (paths too) is kept', () => {
    const inner = thrownHere();
    const wrapped = new Error(`while reading /tmp/ipc-lab/run-7/trace.sock: ${inner.stack}`);
    const info = toErrorInfo(wrapped);
    assert.doesNotMatch(info.message, /^\s+at /m);
    assert.doesNotMatch(info.message, /errors\.test\.ts/);
    assert.match(info.message, /while reading \/tmp\/ipc-lab\/run-7\/trace\.sock: TypeError: Cannot read properties/);

    const user = toErrorInfo(new UserError('internal', `Run 3 could not start: ${inner.stack}`, 'Check that npm run build has compiled the labs.'));
    assert.doesNotMatch(user.message, /^\s+at /m);
    assert.match(user.message, /^Run 3 could not start: TypeError/);
  });

  test('a line that only reads like "at" is not a stack frame', () => {
    const info = toErrorInfo(new UserError('bad-parameter', 'Too many messages:\n  at most 1000 are allowed.', 'Lower it.'));
    assert.equal(info.message, 'Too many messages:\n  at most 1000 are allowed.');
  });
});
