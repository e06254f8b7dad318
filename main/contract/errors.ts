/**
 * Errors that reach the student. Each one says what went wrong and how to fix it, the way execa's errors
 * name the process, what happened and what to do. Anything thrown that is not a UserError is a bug and is
 * reported as "internal error" with its message.
 */
export type ErrorCode =
  | 'bad-request'
  | 'unknown-command'
  | 'unknown-lab'
  | 'unknown-scenario'
  | 'unknown-step'
  | 'unknown-run'
  | 'unknown-question'
  | 'bad-answer'
  | 'bad-parameter'
  | 'run-in-progress'
  | 'lab-broken'
  | 'unsupported-platform'
  | 'no-identity'
  | 'nothing-to-report'
  /** The machine's setup, not the request, stands in the way (a TMPDIR too long for a socket path): the fix says what to change. */
  | 'bad-environment'
  /** The disk holding the data folder is full: nothing more can be stored until space is freed (event-store.ts, DiskFullError). */
  | 'disk-full'
  | 'internal';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  fix: string;
}

export class UserError extends Error implements ErrorInfo {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'UserError';
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, fix: this.fix };
  }
}

/**
 * What an error answer carries, in every host: never a stack trace (`error.stack` is not read, and frames
 * a message carries itself, e.g. one built from a wrapped error's stack, are left out). Paths stay.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof UserError) return { ...error.toInfo(), message: withoutStackFrames(error.message) };
  const message = withoutStackFrames(error instanceof Error ? error.message : String(error));
  return { code: 'internal', message: `Internal error: ${message}`, fix: 'This is a bug in IPC Lab; please report it with the steps that led here.' };
}

/** One V8 stack frame: `    at fn (file:line:col)`, `    at file:line:col`, `    at async Promise.all (index 0)`, `    at new X (<anonymous>)`. */
const STACK_FRAME = /^\s+at .*(?::\d+:\d+\)?|\(index \d+\)|<anonymous>\)?|\(native\))$/;

function withoutStackFrames(message: string): string {
  if (!message.includes('\n')) return message;
  return message
    .split('\n')
    .filter((line) => !STACK_FRAME.test(line))
    .join('\n')
    .trimEnd();
}

/** Thrown by a Bridge when the engine answered with an error. */
export class BridgeError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'BridgeError';
  }
}
