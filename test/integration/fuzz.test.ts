/**
 * Fuzz tests (fast-check) over what reaches IPC Lab from outside it: frames on the browser host's
 * WebSocket, a run's parameters, and lab files. The property is the same for all three: no crash, no
 * hang, and whatever is refused is refused with a clear error (a sentence, not a stack trace; for a lab
 * file, the file and line).
 *
 * Counts: modest here, so that `npm test` stays well under a minute on a loaded 2-core machine;
 * `npm run fuzz` sets FUZZ_RUNS (runs of every property) to thousands. On a failure fast-check prints
 * the seed and the path of the smallest failing case: FUZZ_SEED=<seed> replays it (with the same
 * FUZZ_RUNS). Everything runs for real: a browser host on 127.0.0.1 over a real engine, real runs, real
 * lab folders on disk; the lab loader runs in a worker thread so that a hang in it is caught by a
 * deadline and named.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { WebSocket, type RawData } from 'ws';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { webSocketProtocols } from '../../main/contract/browser-access.js';
import { COMMAND_NAMES, commandSchemas } from '../../main/contract/commands.js';
import type { ErrorInfo } from '../../main/contract/errors.js';
import type { Lab, ParamSpec, ParamValues } from '../../main/contract/lab-model.js';
import { openEngine, type Engine } from '../../main/engine/engine.js';
import { paramProblem } from '../../main/engine/lab-loader.js';
import { SHM_DIR } from '../../main/engine/leftovers.js';
import { MAX_MESSAGE_BYTES, startBrowserHost, type BrowserHost } from '../../main/hosts/browser/browser-host.js';
import { findProjectRoot } from '../../main/project-root.js';
import { assertNothingLeft, runDirsOwnedBy } from '../support/engine-harness.js';
import type { LoadAnswer, LoadRequest } from '../support/lab-load-worker.js';

const root = findProjectRoot();
/** FUZZ_RUNS: runs of every property (`npm run fuzz`); unset, each property's modest count. */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS) || 0;
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** Each suite's limit: ten minutes for the modest counts, an hour for FUZZ_RUNS. */
const SUITE_TIMEOUT_MS = FUZZ_RUNS ? 3_600_000 : 600_000;

/** `modest` runs, or with FUZZ_RUNS that many times `share` (a property whose every case is a real run takes a share of them). */
function options(modest: number, share = 1): fc.Parameters<unknown> {
  const numRuns = FUZZ_RUNS ? Math.max(1, Math.ceil(FUZZ_RUNS * share)) : modest;
  return { numRuns, includeErrorInReport: true, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) };
}

/**
 * An error message longer than this is not a sentence for a person: it quotes what it was sent. The
 * longest a correct one gets is a few hundred characters (a list of commands, a lab file's problem).
 */
const MAX_ERROR_CHARS = 2000;
const STACK_FRAME = /^\s+at \S/m;

/** A clear error: a code that is not a bug, a message and a fix that are sentences, no stack frame, no path into node_modules. */
function assertClearError(error: ErrorInfo | undefined, what: string): void {
  assert.ok(error && typeof error === 'object', `${what}: the answer has no error: ${JSON.stringify(error)}`);
  assert.equal(typeof error.code, 'string', `${what}: error without a code`);
  assert.notEqual(error.code, 'internal', `${what}: an internal error (a bug) instead of a clear refusal: ${error.message}`);
  for (const [field, text] of [
    ['message', error.message],
    ['fix', error.fix],
  ] as const) {
    assert.equal(typeof text, 'string', `${what}: error ${field} is not text`);
    assert.ok(text.trim().length > 0, `${what}: empty error ${field}`);
    assert.ok(text.length <= MAX_ERROR_CHARS, `${what}: error ${field} of ${text.length} characters (begins ${JSON.stringify(text.slice(0, 120))})`);
    assert.doesNotMatch(text, STACK_FRAME, `${what}: error ${field} carries a stack frame: ${text}`);
    assert.doesNotMatch(text, /node_modules/, `${what}: error ${field} names a path into node_modules: ${text}`);
  }
}

/** Strings that have broken parsers and validators: prototype keys, numbers as text, control and unpaired characters. */
const TRICKY_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '0x10',
  '1_000',
  ' 5',
  '5 ',
  'true',
  'null',
  '../../../etc/passwd',
  '\u0000',
  '\ud800',
  '\u202e',
  'é',
  '😀',
  '%s%n',
  '{slots}',
];

const trickyString = fc.constantFrom(...TRICKY_STRINGS);
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), trickyString);
/** Longer than any limit the contract sets on a string (64 for ids and names, 200 for a parameter, 20,000 for text). */
const longString = fc.integer({ min: 65, max: 200_000 }).map((n) => 'x'.repeat(n));
const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.nat({ max: 2000 }),
  fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, 5e-324),
);

// ---------------------------------------------------------------------------------------------------
// Wire messages
// ---------------------------------------------------------------------------------------------------

/** The id of the request sent after every case to see the host still answers (no fuzzed frame uses it: fast-check does not hit this double). */
const PROBE_ID = -4242424242.125;
const PROBE = JSON.stringify({ id: PROBE_ID, command: 'runs.active', request: {} });
/** A host that takes longer than this to answer one request (a run started and stopped, a report) is taken as hung. */
const ANSWER_DEADLINE_MS = 30_000;

interface Frame {
  data: string | Buffer;
  binary: boolean;
  /** The WebSocket close code the frame must get instead of an answer (ws: 1007 invalid UTF-8, 1009 too big). */
  closes?: number;
  /** Whether the host answers it: every frame but the ready signal `{"ready": true}` is answered. */
  answered: boolean;
}

/** Whether a text frame is the ready signal, which the host takes without an answer (main/contract/commands.ts). */
function isReadySignal(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Record<string, unknown>)['ready'] === true && !('id' in value);
  } catch {
    return false;
  }
}

/** The host's WebSocket takes frames up to this size (browser-host.ts, HARD_MAX_PAYLOAD_BYTES); ws closes with 1009 on a larger one. */
const WS_MAX_PAYLOAD_BYTES = 4 * MAX_MESSAGE_BYTES;

function textFrame(text: string): Frame {
  const size = Buffer.byteLength(text);
  if (size > WS_MAX_PAYLOAD_BYTES) return shown({ data: text, binary: false, closes: 1009, answered: false });
  return shown({ data: text, binary: false, answered: size > MAX_MESSAGE_BYTES || !isReadySignal(text) });
}

/** How fast-check prints a frame in a failure report: its start and its size (a 4 MiB frame in full would bury the report). */
function shown(frame: Frame): Frame {
  const text = Buffer.isBuffer(frame.data) ? frame.data.toString('latin1') : frame.data;
  const size = Buffer.byteLength(frame.data);
  const head = size > 300 ? `${JSON.stringify(text.slice(0, 200))}... (${size} bytes)` : JSON.stringify(text);
  return Object.assign(frame, { [fc.toStringMethod]: () => `${frame.binary ? 'binary' : 'text'} frame ${head}` });
}

/** Ids of the catalogue (labs, steps, scenarios, questions, parameters): fuzzed requests reach past the "unknown lab" answer. */
interface Names {
  labIds: string[];
  stepIds: string[];
  scenarioIds: string[];
  questionIds: string[];
  paramNames: string[];
}

async function catalogueNames(engine: Engine): Promise<{ names: Names; labs: Lab[] }> {
  const labs: Lab[] = [];
  for (const summary of (await engine.call('labs.list', {})).labs) labs.push((await engine.call('labs.get', { labId: summary.id })).lab);
  const names: Names = {
    labIds: labs.map((l) => l.id),
    stepIds: [...new Set(labs.flatMap((l) => l.steps.map((s) => s.id)))],
    scenarioIds: [...new Set(labs.flatMap((l) => l.scenarios.map((s) => s.id)))],
    questionIds: [...new Set(labs.flatMap((l) => [...l.quiz, ...l.steps.flatMap((s) => s.questions)].map((q) => q.id)))],
    paramNames: [...new Set(labs.flatMap((l) => l.scenarios.flatMap((s) => s.params.map((p) => p.name))))],
  };
  return { names, labs };
}

/**
 * Frames of every kind, derived from the contract: envelopes naming each command (and names that are
 * not commands), with requests holding the command's own fields (from its zod shape) filled with
 * values of every JSON type and ids of the catalogue; random JSON; text that is not JSON; binary
 * frames; nesting far past the host's limit; frames over 1 MiB and over the 4 MiB hard limit; invalid
 * UTF-8 in a text frame.
 */
function frameArbitrary(names: Names): fc.Arbitrary<Frame> {
  const known = fc.constantFrom(...names.labIds, ...names.stepIds, ...names.scenarioIds, ...names.questionIds, 'quiz');
  const scalar = fc.oneof(anyNumber, fc.boolean(), fc.constant(null), anyString, known);
  const value = fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(scalar, { maxLength: 6 }),
    fc.dictionary(anyString, scalar, { maxKeys: 6 }),
  );
  const paramsValue = fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...names.paramNames), anyString), scalar, { maxKeys: 6 }), value);
  const fieldValue = (field: string): fc.Arbitrary<unknown> => {
    switch (field) {
      case 'params':
        return paramsValue;
      case 'runId':
      case 'afterSeq':
      case 'limit':
        return fc.oneof(fc.nat({ max: 5 }), anyNumber, value);
      case 'format':
        return fc.oneof(fc.constantFrom('html', 'json', 'pdf', 'perfetto', 'csv'), value);
      default:
        return fc.oneof(known, value, longString);
    }
  };
  const requestFor = (command: string): fc.Arbitrary<unknown> => {
    const schema = (commandSchemas as Record<string, unknown>)[command] as { shape?: Record<string, unknown> } | undefined;
    const fields = Object.keys(schema?.shape ?? {});
    const own = fc.record(Object.fromEntries(fields.map((field) => [field, fieldValue(field)])), { requiredKeys: [] });
    return fc.oneof(
      { weight: 4, arbitrary: own },
      { weight: 1, arbitrary: fc.tuple(own, fc.dictionary(anyString, value, { maxKeys: 3 })).map(([a, b]) => ({ ...b, ...a })) },
      { weight: 1, arbitrary: value },
    );
  };
  const commandName = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
    { weight: 1, arbitrary: anyString },
    { weight: 1, arbitrary: longString },
    { weight: 1, arbitrary: fc.constantFrom(...COMMAND_NAMES.map((c) => c.toUpperCase()), ...COMMAND_NAMES.map((c) => ` ${c}`), 'runs', 'labs.') },
  );
  const id = fc.oneof({ weight: 6, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.oneof(anyNumber, anyString, fc.constant(null), fc.boolean()) });
  const envelope = commandName.chain((command) =>
    fc
      .record(
        { id, command: fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>(command) }, { weight: 1, arbitrary: value }), request: requestFor(command) },
        { requiredKeys: [] },
      )
      .map((e) => textFrame(JSON.stringify(e))),
  );
  const deep = fc
    .tuple(fc.integer({ min: 33, max: 300_000 }), fc.constantFrom('[', '{"a":', '{"id":1,"request":'))
    .map(([depth, open]) => textFrame(`{"id":7,"command":"labs.list","request":${open.repeat(depth)}`));
  const big = fc
    .integer({ min: MAX_MESSAGE_BYTES + 1, max: WS_MAX_PAYLOAD_BYTES - 100 })
    .map((size) => textFrame(`{"id":9,"command":"answers.save","request":{"text":"${'y'.repeat(size)}"}}`));
  const tooBig = fc.integer({ min: WS_MAX_PAYLOAD_BYTES + 1, max: WS_MAX_PAYLOAD_BYTES + 4096 }).map((size) => textFrame('z'.repeat(size)));
  const invalidUtf8 = fc
    .tuple(fc.string({ maxLength: 20 }), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]))
    .map(([prefix, bytes]): Frame =>
      shown({ data: Buffer.concat([Buffer.from(`{"id":3,"command":"${prefix}`), Buffer.from(bytes)]), binary: false, closes: 1007, answered: false }),
    );
  const binary = fc
    .oneof(
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      envelope.map((f) => Buffer.from(f.data)),
    )
    .map((data): Frame => shown({ data, binary: true, answered: true }));
  const ready = fc
    .constantFrom({ ready: true }, { ready: true, id: 4 }, { ready: 'yes' }, { ready: true, command: 'labs.list' }, [{ ready: true }])
    .map((v) => textFrame(JSON.stringify(v)));
  return fc.oneof(
    { weight: 16, arbitrary: envelope },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map(textFrame) },
    { weight: 2, arbitrary: anyString.map(textFrame) },
    { weight: 2, arbitrary: binary },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: big },
    { weight: 1, arbitrary: tooBig },
    { weight: 1, arbitrary: invalidUtf8 },
    { weight: 1, arbitrary: ready },
  );
}

/** One tab on the host: sends a frame and the probe, and collects the answers and the close. */
class FuzzTab {
  readonly answers: Array<{ id: unknown; ok: boolean; response?: unknown; error?: ErrorInfo }> = [];
  closedWith: number | undefined;
  #changed: () => void = () => {};

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if ('ok' in message && 'id' in message) this.answers.push(message as never);
      this.#changed();
    });
    ws.on('close', (code) => {
      this.closedWith = code;
      this.#changed();
    });
    ws.on('error', () => {});
  }

  static open(host: BrowserHost): Promise<FuzzTab> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, webSocketProtocols(host.token), {
        headers: { Origin: `http://127.0.0.1:${host.port}` },
        perMessageDeflate: false,
        maxPayload: 64 * 1024 * 1024,
      });
      const tab = new FuzzTab(ws);
      ws.once('open', () => {
        ws.send(JSON.stringify({ ready: true }));
        resolve(tab);
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`the host refused a new tab with ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** Sends `frame`, then the probe; resolves with the frame's answers once the probe is answered (or the host closed the socket). */
  exchange(frame: Frame): Promise<{ answers: FuzzTab['answers']; probe: FuzzTab['answers'][number] | undefined; closedWith: number | undefined }> {
    this.answers.length = 0;
    this.ws.send(frame.data, { binary: frame.binary });
    this.ws.send(PROBE);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#changed = () => {};
        reject(new Error(`no answer within ${ANSWER_DEADLINE_MS / 1000} s: the host hangs on this frame`));
      }, ANSWER_DEADLINE_MS);
      this.#changed = () => {
        const probe = this.answers.find((a) => a.id === PROBE_ID);
        const others = this.answers.filter((a) => a.id !== PROBE_ID);
        if (this.closedWith === undefined && (!probe || (frame.answered && others.length === 0))) return;
        clearTimeout(timer);
        this.#changed = () => {};
        resolve({ answers: others, probe, closedWith: this.closedWith });
      };
      this.#changed();
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Sends a raw upgrade request (headers byte for byte: no client fixes Host or drops a header) and resolves with the status the host answers. */
function upgradeStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(request));
    let head = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to an upgrade within ${ANSWER_DEADLINE_MS / 1000} s`));
    }, ANSWER_DEADLINE_MS);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (!match && !head.includes('\r\n')) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(match ? Number(match[1]) : 0);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve(match ? Number(match[1]) : 0);
    });
  });
}

/** Stops a run a fuzzed runs.start began (a valid request is valid), so that the next case starts from an idle engine. */
async function stopAnyRun(engine: Engine): Promise<void> {
  const run = engine.currentRun;
  if (!run) return;
  run.stop();
  assertNothingLeft(await run.done);
}

/** This process's shared-memory segments (an engine names them after its pid): none may be left. */
function ownSegments(): string[] {
  try {
    return readdirSync(SHM_DIR).filter((name) => name.startsWith(`ipc-lab-${process.pid}-`));
  } catch {
    return [];
  }
}

describe('fuzz: the browser host under arbitrary frames', { timeout: SUITE_TIMEOUT_MS }, () => {
  let home: string;
  let engine: Engine;
  let host: BrowserHost;
  let names: Names;
  const warnings: string[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'ipc-lab-fuzz-wire-'));
    const ui = join(home, 'ui');
    mkdirSync(ui);
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>IPC Lab fuzz</title>');
    engine = await openEngine({ dataDir: join(home, 'data') });
    host = await startBrowserHost({ engine, port: 0, staticDir: ui, warn: (line) => warnings.push(line) });
    names = (await catalogueNames(engine)).names;
  });

  after(async () => {
    await host?.close();
    await engine?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('every frame gets a clear answer (or the close its kind calls for), and the host answers the next request', async () => {
    let tab = await FuzzTab.open(host);
    let cases = 0;
    try {
      await fc.assert(
        fc.asyncProperty(frameArbitrary(names), async (frame) => {
          cases++;
          if (tab.closedWith !== undefined) tab = await FuzzTab.open(host);
          const { answers, probe, closedWith } = await tab.exchange(frame);
          try {
            if (frame.closes !== undefined) {
              // ws refuses the frame itself (RFC 6455 7.4.1): the tab is closed, and a new one works.
              assert.equal(closedWith, frame.closes, `the host should close with ${frame.closes}, got ${closedWith ?? 'no close'}`);
              assert.deepEqual(answers, [], 'no answer to a frame the WebSocket layer refused');
              tab = await FuzzTab.open(host);
              const next = await tab.exchange(textFrame(JSON.stringify({ id: 1, command: 'labs.list', request: {} })));
              assert.equal(next.answers[0]?.ok, true, `a new tab after the close is answered: ${JSON.stringify(next.answers[0])}`);
              return;
            }
            assert.equal(closedWith, undefined, `the host closed the tab (code ${closedWith}) instead of answering`);
            assert.equal(answers.length, frame.answered ? 1 : 0, `answers to one frame: ${JSON.stringify(answers).slice(0, 500)}`);
            const answer = answers[0];
            if (answer && !answer.ok) assertClearError(answer.error, 'the answer');
            assert.equal(probe?.ok, true, `the next request is answered: ${JSON.stringify(probe)}`);
          } finally {
            await stopAnyRun(engine);
          }
        }),
        options(120),
      );
    } finally {
      await tab.close();
      await stopAnyRun(engine);
    }
    assert.ok(cases > 0, 'the property ran');
    assert.deepEqual(runDirsOwnedBy(process.pid), [], 'run directories left behind');
    assert.deepEqual(ownSegments(), [], 'shared-memory segments left behind');
  });

  test('an upgrade is admitted only with our Host, our Origin and the token as its subprotocol; every other mix is refused', async () => {
    const port = host.port;
    const headerText = fc.stringMatching(/^[\x21-\x7e]{0,40}$/);
    const ourHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    const ourOrigins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
    const cases = fc.record({
      host: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...ourHosts) },
        fc.constantFrom(
          `127.0.0.1:${port + 1}`,
          '127.0.0.1',
          `evil.example:${port}`,
          `127.0.0.1.nip.io:${port}`,
          `LOCALHOST:${port}`,
          `[::1]:${port}`,
          `0.0.0.0:${port}`,
          '',
        ),
        headerText,
        fc.constant(undefined),
      ),
      origin: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...ourOrigins) },
        fc.constantFrom(
          `https://127.0.0.1:${port}`,
          `http://127.0.0.1:${port + 1}`,
          'null',
          'http://evil.example',
          `http://127.0.0.1:${port}/`,
          `http://127.0.0.1`,
          '',
        ),
        headerText,
        fc.constant(undefined),
      ),
      token: fc.oneof(
        { weight: 4, arbitrary: fc.constant(host.token) },
        fc.constantFrom(`${host.token}x`, host.token.slice(1), host.token.toUpperCase(), ''),
        headerText,
        fc.constant(undefined),
      ),
      // Where the token travels: only the subprotocol counts (a cookie reaches every port of 127.0.0.1).
      place: fc.oneof(
        { weight: 4, arbitrary: fc.constant('protocol' as const) },
        fc.constantFrom('cookie' as const, 'query' as const, 'authorization' as const),
      ),
    });
    let admitted = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ host: hostHeader, origin, token, place }) => {
        const expected = ourHosts.includes(hostHeader ?? '') && ourOrigins.includes(origin ?? '') && token === host.token && place === 'protocol';
        const lines = [
          `GET /ws${place === 'query' && token !== undefined ? `?token=${encodeURIComponent(token)}` : ''} HTTP/1.1`,
          ...(hostHeader === undefined ? [] : [`Host: ${hostHeader}`]),
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          ...(origin === undefined ? [] : [`Origin: ${origin}`]),
          `Sec-WebSocket-Protocol: ipc-lab${place === 'protocol' && token !== undefined ? `, ipc-lab-token.${token}` : ''}`,
          ...(place === 'cookie' && token !== undefined ? [`Cookie: ipc-lab-token-${port}=${token}; ipc-lab-token=${token}`] : []),
          ...(place === 'authorization' && token !== undefined ? [`Authorization: Bearer ${token}`] : []),
        ];
        const status = await upgradeStatus(port, `${lines.join('\r\n')}\r\n\r\n`);
        if (expected) {
          assert.equal(status, 101, `admitted: ${JSON.stringify({ hostHeader, origin, place })}`);
          admitted++;
        } else {
          assert.ok(status >= 400 && status < 500, `refused with a 4xx, got ${status}: ${JSON.stringify({ hostHeader, origin, token, place })}`);
        }
      }),
      options(300),
    );
    assert.ok(admitted > 0, 'some upgrades had everything right');
  });
});

// ---------------------------------------------------------------------------------------------------
// Step parameters
// ---------------------------------------------------------------------------------------------------

/** The rule as labs/README.md states it, written apart from the loader's: integers in [min, max], booleans, one of a choice's options. */
function allowed(spec: ParamSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= spec.min && value <= spec.max;
    case 'boolean':
      return typeof value === 'boolean';
    case 'choice':
      return typeof value === 'string' && spec.options.includes(value);
  }
}

const paramName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,20}$/);
const specArbitrary: fc.Arbitrary<ParamSpec> = fc.oneof(
  fc
    .tuple(paramName, fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([name, min, span, at]) => ({ name, label: name, type: 'integer' as const, min, max: min + span, default: min + Math.floor(span * at) })),
  paramName.map((name) => ({ name, label: name, type: 'boolean' as const, default: false })),
  fc
    .tuple(paramName, fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), trickyString), { minLength: 1, maxLength: 5 }))
    .map(([name, opts]) => ({ name, label: name, type: 'choice' as const, options: opts, default: opts[0]! })),
);

/** Values of every JSON type, and the numbers and strings that sit at or just past a range's ends. */
function valueFor(spec: ParamSpec): fc.Arbitrary<unknown> {
  const near =
    spec.type === 'integer'
      ? fc.constantFrom(spec.min, spec.max, spec.min - 1, spec.max + 1, spec.default, spec.default + 0.5, String(spec.default), -spec.max - 1)
      : spec.type === 'choice'
        ? fc.constantFrom(...spec.options, ...spec.options.map((o) => o.toUpperCase()), ...spec.options.map((o) => ` ${o}`))
        : fc.constantFrom(true, false, 'true', 0, 1);
  return fc.oneof({ weight: 3, arbitrary: near }, anyNumber, anyString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
}

/** A request as the wire delivers it: JSON text parsed, so a "__proto__" key is an own key, as JSON.parse makes it. */
function asWire(entries: [string, unknown][]): Record<string, unknown> {
  return JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`).join(',')}}`) as Record<string, unknown>;
}

describe('fuzz: step parameters', { timeout: SUITE_TIMEOUT_MS }, () => {
  let home: string;
  let engine: Engine;
  let labs: Lab[];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'ipc-lab-fuzz-params-'));
    engine = await openEngine({ dataDir: join(home, 'data') });
    labs = (await catalogueNames(engine)).labs;
  });

  after(async () => {
    await engine?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('the validator accepts exactly the values within the declared range, and names the parameter otherwise', () => {
    fc.assert(
      fc.property(
        specArbitrary.chain((spec) => fc.tuple(fc.constant(spec), valueFor(spec))),
        ([spec, value]) => {
          const problem = paramProblem(spec, value);
          if (allowed(spec, value)) assert.equal(problem, undefined, `${JSON.stringify(value)} is allowed for ${JSON.stringify(spec)}`);
          else {
            assert.equal(typeof problem, 'string', `${JSON.stringify(value)} is not allowed for ${JSON.stringify(spec)}, yet passed`);
            assert.ok(problem!.includes(`"${spec.name}"`), `the problem names the parameter: ${problem}`);
          }
        },
      ),
      options(2000),
    );
  });

  /** Each lab's scenarios with the step runs.start takes their starting values from (the first step of the scenario). */
  function scenarios(): { lab: Lab; scenarioId: string; specs: ParamSpec[]; stepValues: ParamValues }[] {
    return labs.flatMap((lab) =>
      lab.scenarios.map((s) => ({ lab, scenarioId: s.id, specs: s.params, stepValues: lab.steps.find((step) => step.scenario === s.id)?.params ?? {} })),
    );
  }

  test('runs.start refuses every params object with an unknown key or a value out of range, naming it, and starts nothing', async () => {
    const all = scenarios();
    const keyFor = (specs: ParamSpec[]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...(specs.length ? specs.map((s) => s.name) : ['none'])) },
        { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', '__defineGetter__') },
        { weight: 1, arbitrary: anyString },
        { weight: 1, arbitrary: fc.integer({ min: 60, max: 300 }).map((n) => 'k'.repeat(n)) },
      );
    const anyValue = fc.oneof(anyNumber, anyString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }), longString);
    const cases = fc.nat({ max: all.length - 1 }).chain((index) => {
      const { specs } = all[index]!;
      const entry = keyFor(specs).chain((key) => {
        const spec = specs.find((s) => s.name === key);
        return fc.tuple(fc.constant(key), spec ? fc.oneof(valueFor(spec), anyValue) : anyValue);
      });
      return fc.tuple(fc.constant(index), fc.array(entry, { minLength: 1, maxLength: 5 }));
    });
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([index, entries]) => {
        const { lab, scenarioId, specs } = all[index]!;
        const params = asWire(entries);
        const bad = Object.entries(params).filter(([key, value]) => {
          const spec = specs.find((s) => s.name === key);
          return !spec || !allowed(spec, value);
        });
        fc.pre(bad.length > 0); // a valid object would start a run: the next test starts a few
        const outcome = await engine.handle('runs.start', { labId: lab.id, scenarioId, params });
        try {
          assert.equal(outcome.ok, false, `${JSON.stringify(params)} for ${lab.id}/${scenarioId} started a run`);
          if (outcome.ok) return;
          assertClearError(outcome.error, `runs.start ${JSON.stringify(params).slice(0, 200)}`);
          assert.ok(['bad-parameter', 'bad-request'].includes(outcome.error.code), `refused as a bad parameter: ${JSON.stringify(outcome.error)}`);
          assert.ok(
            bad.some(([key]) => outcome.error.message.includes(key)),
            `the error names one of the bad keys (${bad.map(([key]) => JSON.stringify(key)).join(', ')}): ${outcome.error.message}`,
          );
          refused++;
        } finally {
          await stopAnyRun(engine);
        }
      }),
      options(300),
    );
    assert.ok(refused > 0, 'some cases were refused');
  });

  test('runs.start with values within the ranges starts the run with exactly those values', async () => {
    const all = scenarios().filter((s) => s.specs.length > 0);
    const cases = fc.nat({ max: all.length - 1 }).chain((index) => {
      const valid = (spec: ParamSpec): fc.Arbitrary<unknown> =>
        spec.type === 'integer' ? fc.integer({ min: spec.min, max: spec.max }) : spec.type === 'boolean' ? fc.boolean() : fc.constantFrom(...spec.options);
      const specs = all[index]!.specs;
      return fc.tuple(
        fc.constant(index),
        fc.subarray(specs, { minLength: 1 }).chain((chosen) => fc.tuple(...chosen.map((s) => fc.tuple(fc.constant(s.name), valid(s))))),
      );
    });
    await fc.assert(
      fc.asyncProperty(cases, async ([index, entries]) => {
        const { lab, scenarioId, specs, stepValues } = all[index]!;
        const params = asWire(entries as [string, unknown][]);
        const outcome = await engine.handle('runs.start', { labId: lab.id, scenarioId, params });
        try {
          assert.equal(outcome.ok, true, `${JSON.stringify(params)} for ${lab.id}/${scenarioId} was refused: ${JSON.stringify(outcome)}`);
          const { run } = (outcome as { response: { run: { params: ParamValues } } }).response;
          const expected = { ...Object.fromEntries(specs.map((s) => [s.name, s.default])), ...stepValues, ...params };
          assert.deepEqual(run.params, expected);
        } finally {
          await stopAnyRun(engine);
        }
      }),
      // Each case is a real run (started and stopped at once): a few here, a fiftieth of FUZZ_RUNS with it.
      options(4, 1 / 50),
    );
    assert.deepEqual(runDirsOwnedBy(process.pid), [], 'run directories left behind');
    assert.deepEqual(ownSegments(), [], 'shared-memory segments left behind');
  });
});

// ---------------------------------------------------------------------------------------------------
// Lab files
// ---------------------------------------------------------------------------------------------------

/** The lab every case mutates a copy of: the richest frontmatter (questions, variants, controls) of the shipped labs. */
const BASE_LAB = '01-ordinary-pipes';
/** A load that takes longer than this is taken as hung (a correct one takes well under a second). */
const LOAD_DEADLINE_MS = 10_000;

type Mutation =
  | { kind: 'set'; file: number; path: number; value: unknown }
  | { kind: 'delete'; file: number; path: number }
  | { kind: 'rename-key'; file: number; path: number; name: string }
  | { kind: 'text'; file: number; at: number; cut: number; insert: string }
  | { kind: 'replace-frontmatter'; file: number; yaml: string }
  | { kind: 'raw-file'; file: number; bytes: Buffer }
  | { kind: 'folder-name'; name: string }
  | { kind: 'symlink'; target: string }
  | { kind: 'remove'; what: 'lab.md' | 'steps' | 'programs' | 'checks' };

/** "Billion laughs": each level lists the previous nine times; expanded, nine levels are 387 million strings. */
function aliasBomb(levels: number): string {
  const lines = ['l0: &l0 "lol"'];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\ntitle: *l${levels}\nsummary: boom`;
}

const YAML_BOMBS = fc.oneof(
  fc.integer({ min: 1, max: 12 }).map(aliasBomb),
  fc.integer({ min: 100, max: 100_000 }).map((n) => `title: ${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 50_000 }).map((n) => `title: x\n${Array.from({ length: n }, (_, i) => `k${i}: ${i}`).join('\n')}`),
  fc.integer({ min: 1_000, max: 6_000_000 }).map((n) => `title: "${'a'.repeat(n)}"\nsummary: long`),
  fc.constantFrom(
    'a: &a [*a]',
    'title: &t x\nsummary: *t\nscenarios: *t',
    'base: &b {title: T, summary: S}\n<<: *b\nscenarios: {}',
    '? [a, b]\n: c',
    'title: !!js/function "function(){}"',
    'title: !!binary aGVsbG8=',
    '%YAML 1.1\n---\ntitle: x',
    'title: x\n---\ntitle: y',
    'title: 0x1F\nsummary: 2001-12-14',
    '\t title: tab',
    'title: x\ntitle: y',
    'scenarios:\n  messages: &m\n    title: x\n  again: *m',
  ),
);

function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const file = fc.nat({ max: 64 });
  const path = fc.nat();
  const yamlValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    anyString,
    anyNumber,
    longString,
    fc.constantFrom(null, true, false, [], {}, -1, 0, 1e6, 600_001, 999, 'programs/x.ts', '../x.ts', 'programs/../../x.ts'),
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), file, path, value: yamlValue }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), file, path }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename-key' as const), file, path, name: fc.oneof(anyString, trickyString) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('text' as const),
        file,
        at: fc.nat(),
        cut: fc.nat({ max: 40 }),
        insert: fc.oneof(anyString, fc.constantFrom('---', '\n---\n', ':', '&a', '*a', '{', '[', '"', "'", '\t', '\r\n', '\ufeff', '#')),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace-frontmatter' as const), file, yaml: fc.oneof(YAML_BOMBS, anyString) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw-file' as const), file, bytes: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('folder-name' as const),
        name: fc
          .oneof(
            fc.constantFrom(
              '09-Bad Name',
              'ordinary-pipes',
              '01-',
              '1-x',
              '01-Ordinary-Pipes',
              '01_ordinary_pipes',
              '01-ordinary pipes',
              '.01-hidden',
              '01-é',
              `01-${'a'.repeat(64)}`,
              '02-ordinary-pipes',
            ),
            anyString,
          )
          .filter((name) => name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0') && Buffer.byteLength(name) <= 255),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('symlink' as const),
        target: fc.constantFrom('/etc/passwd', '/nonexistent/x.ts', '..', '../../..', 'self', 'steps'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('remove' as const),
        what: fc.constantFrom('lab.md' as const, 'steps' as const, 'programs' as const, 'checks' as const),
      }),
    },
  );
}

/** Every path into a YAML value (objects' keys, arrays' indexes), the root first. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/** Writes `mutation` into the lab folder (a copy of BASE_LAB); returns the folder's name afterwards. A mutation whose file an earlier one removed, or whose frontmatter it broke, does nothing. */
function mutate(labsDir: string, mutation: Mutation): string {
  const dir = join(labsDir, BASE_LAB);
  const listed = (sub: string) => (existsSync(join(dir, sub)) && statSync(join(dir, sub)).isDirectory() ? readdirSync(join(dir, sub)) : []);
  const files = ['lab.md', ...listed('steps').map((f) => join('steps', f))];
  const fileOf = (index: number): string | undefined => {
    const file = join(dir, files[index % files.length]!);
    return existsSync(file) && statSync(file).isFile() ? file : undefined;
  };
  const editFrontmatter = (index: number, edit: (data: unknown, paths: (string | number)[][]) => unknown) => {
    const file = fileOf(index);
    if (!file) return;
    const text = readFileSync(file, 'utf8');
    const match = FRONTMATTER.exec(text);
    if (!match) return;
    let data: unknown;
    try {
      data = parseYaml(match[1]!);
    } catch {
      return; // an earlier mutation made it YAML no parser reads: nothing to edit
    }
    const edited = edit(data, pathsOf(data));
    writeFileSync(file, `---\n${stringifyYaml(edited)}---\n${text.slice(match[0].length)}`);
  };
  const parentAndKey = (data: unknown, path: (string | number)[]): [Record<string | number, unknown>, string | number] | undefined => {
    if (path.length === 0) return undefined;
    let parent = data as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    return [parent, path.at(-1)!];
  };
  switch (mutation.kind) {
    case 'set':
      editFrontmatter(mutation.file, (data, paths) => {
        const at = parentAndKey(data, paths[mutation.path % paths.length]!);
        if (!at) return mutation.value;
        at[0][at[1]] = mutation.value;
        return data;
      });
      break;
    case 'delete':
      editFrontmatter(mutation.file, (data, paths) => {
        const at = parentAndKey(data, paths[mutation.path % paths.length]!);
        if (!at) return null;
        if (Array.isArray(at[0])) at[0].splice(Number(at[1]), 1);
        else delete at[0][at[1]];
        return data;
      });
      break;
    case 'rename-key':
      editFrontmatter(mutation.file, (data, paths) => {
        const at = parentAndKey(data, paths[mutation.path % paths.length]!);
        if (!at || Array.isArray(at[0])) return data;
        const value = at[0][at[1]];
        delete at[0][at[1]];
        Object.defineProperty(at[0], mutation.name, { value, enumerable: true, configurable: true, writable: true });
        return data;
      });
      break;
    case 'text': {
      const file = fileOf(mutation.file);
      if (!file) break;
      const text = readFileSync(file, 'utf8');
      const at = mutation.at % (text.length + 1);
      writeFileSync(file, text.slice(0, at) + mutation.insert + text.slice(at + mutation.cut));
      break;
    }
    case 'replace-frontmatter': {
      const file = fileOf(mutation.file);
      if (!file) break;
      const text = readFileSync(file, 'utf8');
      const match = FRONTMATTER.exec(text);
      writeFileSync(file, `---\n${mutation.yaml}\n---\n${match ? text.slice(match[0].length) : text}`);
      break;
    }
    case 'raw-file': {
      const file = fileOf(mutation.file);
      if (file) writeFileSync(file, mutation.bytes);
      break;
    }
    case 'folder-name':
      cpSync(dir, join(labsDir, mutation.name), { recursive: true });
      rmSync(dir, { recursive: true, force: true });
      return mutation.name;
    case 'symlink': {
      const name = listed('programs').find((f) => f.endsWith('.ts'));
      if (!name) break;
      const program = join(dir, 'programs', name);
      rmSync(program, { force: true });
      symlinkSync(mutation.target === 'self' ? program : mutation.target, program);
      break;
    }
    case 'remove':
      rmSync(join(dir, mutation.what === 'checks' ? 'checks.ts' : mutation.what), { recursive: true, force: true });
      break;
  }
  return BASE_LAB;
}

/** A value as a failure report shows it: strings past 200 characters cut, with their length. */
function abbreviated(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 100)}... (${v.length} characters)`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `<${((v as { data: number[] }).data ?? []).length} bytes>`;
    return v;
  });
}

/** The lab loader in a worker thread with a heap limit, one load at a time. */
class LoaderThread {
  #worker: Worker | undefined;
  #next = 1;

  load(request: Omit<LoadRequest, 'id'>): Promise<LoadAnswer> {
    if (!this.#worker) {
      this.#worker = new Worker(join(root, 'dist', 'test', 'support', 'lab-load-worker.js'), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
      // A worker given up on (a hang) must not keep the test's process alive after the test has failed.
      this.#worker.unref();
    }
    const worker = this.#worker;
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        fn();
      };
      const onMessage = (answer: LoadAnswer) => {
        if (answer.id === id) settle(() => resolve(answer));
      };
      const onExit = (code: number) => {
        this.#worker = undefined;
        settle(() => reject(new Error(`the lab loader's thread died (exit ${code}): it ran out of memory or crashed`)));
      };
      const timer = setTimeout(() => {
        this.#worker = undefined;
        void worker.terminate();
        settle(() => reject(new Error(`the lab loader did not finish within ${LOAD_DEADLINE_MS / 1000} s: it hangs on this lab`)));
      }, LOAD_DEADLINE_MS);
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.postMessage({ id, ...request } satisfies LoadRequest);
    });
  }

  async close(): Promise<void> {
    await this.#worker?.terminate();
    this.#worker = undefined;
  }
}

describe('fuzz: lab files', { timeout: SUITE_TIMEOUT_MS }, () => {
  const loader = new LoaderThread();
  let top: string;

  before(() => {
    top = mkdtempSync(join(tmpdir(), 'ipc-lab-fuzz-labs-'));
  });

  after(async () => {
    await loader.close();
    rmSync(top, { recursive: true, force: true });
  });

  test('a mutated lab folder either loads or is refused with its file, line and a clear message, within a deadline', async () => {
    const compiledRoot = join(root, 'dist', 'labs');
    // The unmutated copy loads: a case that fails is the mutation's doing.
    const labsDir = join(top, 'labs');
    cpSync(join(root, 'labs', BASE_LAB), join(labsDir, BASE_LAB), { recursive: true });
    const clean = await loader.load({ labsDir, compiledRoot });
    assert.deepEqual(clean, { id: 1, labs: ['ordinary-pipes'], problems: [] });

    await fc.assert(
      fc.asyncProperty(
        fc.array(
          mutationArbitrary().map((m) => Object.assign(m, { [fc.toStringMethod]: () => abbreviated(m) })),
          { minLength: 1, maxLength: 3 },
        ),
        async (mutations) => {
          rmSync(labsDir, { recursive: true, force: true });
          cpSync(join(root, 'labs', BASE_LAB), join(labsDir, BASE_LAB), { recursive: true });
          let folder = BASE_LAB;
          for (const mutation of mutations) {
            // A mutation after a rename edits nothing (the folder moved): it is simply left out.
            if (folder !== BASE_LAB) break;
            folder = mutate(labsDir, mutation);
          }
          // As the file system spells it (a lone surrogate in a name comes back as U+FFFD).
          folder = readdirSync(labsDir)[0]!;
          const answer = await loader.load({ labsDir, compiledRoot });
          assert.ok(!('thrown' in answer), `loadLabs threw instead of listing a problem: ${'thrown' in answer ? answer.thrown : ''}`);
          if (answer.labs.length === 1) {
            assert.deepEqual(answer.problems, [], 'a lab that loads has no problem');
            return;
          }
          assert.equal(answer.problems.length, 1, `one lab folder, one problem: ${JSON.stringify(answer)}`);
          const problem = answer.problems[0]!;
          // The loader's own refusals name the file relative to the project; an error it did not expect
          // (a TypeError, a stack overflow in a parser) is listed under the folder's absolute path.
          assert.ok(!isAbsolute(problem.file), `an unexpected error, not a refusal: ${problem.file}:${problem.line}: ${problem.message}`);
          assert.ok(problem.file === `labs/${folder}` || problem.file.startsWith(`labs/${folder}/`), `the problem names a file of the lab: ${problem.file}`);
          assert.ok(Number.isInteger(problem.line) && problem.line >= 1, `a line number: ${problem.line}`);
          assert.ok(problem.message.trim().length > 0, 'a message');
          assert.ok(
            problem.message.length <= MAX_ERROR_CHARS,
            `a message of ${problem.message.length} characters (begins ${JSON.stringify(problem.message.slice(0, 120))})`,
          );
          assert.doesNotMatch(problem.message, STACK_FRAME, `a stack frame in the message: ${problem.message}`);
        },
      ),
      {
        ...options(150),
        // A hang costs a 10 s deadline per case, shrinking included: stop there and report the case found so far.
        interruptAfterTimeLimit: FUZZ_RUNS ? 3_000_000 : 300_000,
        markInterruptAsFailure: true,
      },
    );
  });
});
