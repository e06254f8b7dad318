/**
 * The race scenario's mutex is locked hundreds of thousands of times: a trace event per wait would
 * drown the run. This tracer reports only a lock() that did not simply succeed: EOWNERDEAD (the
 * kernel's mark on a mutex whose holder died) or ETIMEDOUT.
 */
import { lab } from '../../../main/runtime/lab-runtime.js';
import type { SyncTracer } from '../../../main/runtime/shared-memory/sync-tracer.js';

export const failuresOnly: SyncTracer = {
  waitBegin() {},
  waitEnd(channel, _durationNs, outcome, detail) {
    if (outcome !== 'ok')
      lab.emit('io.error', { op: 'wait', channel, code: outcome === 'owner-died' ? 'EOWNERDEAD' : 'ETIMEDOUT', message: detail ?? outcome });
  },
  level() {},
};
