/**
 * The Electron host's rules, under plain Node: who may call, which commands pass, when events flow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { COMMAND_NAMES, type WireEvent } from '../../../main/contract/commands.js';
import type { CommandOutcome } from '../../../main/engine/engine-handle.js';
import { commandChannel, ForeignSenderError, IpcGate, isAppUrl, type SenderFrame } from '../../../main/hosts/electron/ipc-gate.js';

const appUrl = pathToFileURL('/opt/ipc-lab/dist/renderer/index.html').href;
const ours: SenderFrame = { url: appUrl, isOurMainFrame: true };

function makeGate(maxQueuedEvents?: number) {
  const sent: WireEvent[] = [];
  const calls: Array<{ command: string; request: unknown }> = [];
  const gate = new IpcGate({
    appUrl,
    engine: {
      async handle(command: string, request: unknown): Promise<CommandOutcome> {
        calls.push({ command, request });
        return { ok: true, response: { handled: command } };
      },
    },
    send: (event) => sent.push(event),
    ...(maxQueuedEvents === undefined ? {} : { maxQueuedEvents }),
  });
  return { gate, sent, calls };
}

const event = (runId: number): WireEvent => ({ event: 'run:updated', payload: { runId } });

describe('ipc gate: senders', () => {
  test('our window showing our index.html may call, with any #fragment or query', async () => {
    const { gate, calls } = makeGate();
    assert.deepEqual(await gate.invoke(ours, 'labs.list', {}), { ok: true, response: { handled: 'labs.list' } });
    assert.ok(
      gate.isTrustedSender({ url: `${appUrl}#/labs/pipes`, isOurMainFrame: true }),
      'gate.isTrustedSender({ url: `${appUrl}#/labs/pipes`, isOurMainFrame: true })',
    );
    assert.ok(
      gate.isTrustedSender({ url: `${appUrl}?step=2`, isOurMainFrame: true }),
      'gate.isTrustedSender({ url: `${appUrl}?step=2`, isOurMainFrame: true })',
    );
    assert.equal(calls.length, 1);
  });

  const foreign: Array<[string, SenderFrame | null]> = [
    ['a frame that is gone', null],
    ['an iframe inside our page', { url: appUrl, isOurMainFrame: false }],
    ['a web page', { url: 'https://evil.example/', isOurMainFrame: true }],
    ['another local file', { url: pathToFileURL('/tmp/evil.html').href, isOurMainFrame: true }],
    ['a file next to ours', { url: pathToFileURL('/opt/ipc-lab/dist/renderer/other.html').href, isOurMainFrame: true }],
    ['our path on a remote file host', { url: 'file://evil.example/opt/ipc-lab/dist/renderer/index.html', isOurMainFrame: true }],
    ['not a URL', { url: 'index.html', isOurMainFrame: true }],
  ];
  for (const [what, frame] of foreign) {
    test(`drops calls from ${what}`, async () => {
      const { gate, calls } = makeGate();
      assert.equal(gate.isTrustedSender(frame), false);
      await assert.rejects(gate.invoke(frame, 'labs.list', {}), ForeignSenderError);
      assert.throws(() => gate.markReady(frame), ForeignSenderError);
      assert.equal(calls.length, 0, 'the engine was reached');
      assert.equal(gate.isReady, false);
    });
  }

  test('isAppUrl compares the file, not the fragment', () => {
    assert.ok(isAppUrl(`${appUrl}#x`, appUrl), 'isAppUrl(`${appUrl}#x`, appUrl)');
    assert.ok(!isAppUrl('http://127.0.0.1/dist/renderer/index.html', appUrl), "!isAppUrl('http://127.0.0.1/dist/renderer/index.html', appUrl)");
  });
});

describe('ipc gate: commands', () => {
  test('every contract command passes through unchanged', async () => {
    const { gate, calls } = makeGate();
    for (const command of COMMAND_NAMES) await gate.invoke(ours, command, { probe: command });
    assert.deepEqual(
      calls.map((c) => c.command),
      COMMAND_NAMES,
    );
    assert.deepEqual(
      calls.map((c) => c.request),
      COMMAND_NAMES.map((c) => ({ probe: c })),
    );
  });

  test('an unknown command is answered with unknown-command and never reaches the engine', async () => {
    const { gate, calls } = makeGate();
    const outcome = await gate.invoke(ours, 'labs.delete', {});
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.code, 'unknown-command');
    assert.match(!outcome.ok ? outcome.error.message : '', /labs\.delete/);
    assert.match(!outcome.ok ? outcome.error.fix : '', /labs\.list/);
    assert.equal(calls.length, 0);
  });

  test('channels are ipc-lab:<command>', () => {
    assert.equal(commandChannel('labs.list'), 'ipc-lab:labs.list');
  });
});

describe('ipc gate: events', () => {
  test('events wait until ready, then go out in order, then flow directly', () => {
    const { gate, sent } = makeGate();
    gate.push(event(1));
    gate.push(event(2));
    assert.deepEqual(sent, []);
    gate.markReady(ours);
    assert.deepEqual(sent, [event(1), event(2)]);
    gate.push(event(3));
    assert.deepEqual(sent, [event(1), event(2), event(3)]);
    gate.markReady(ours); // a second ready sends nothing twice
    assert.equal(sent.length, 3);
  });

  test('after a reload events wait again for the new page', () => {
    const { gate, sent } = makeGate();
    gate.markReady(ours);
    gate.reset();
    gate.push(event(4));
    assert.deepEqual(sent, []);
    gate.markReady(ours);
    assert.deepEqual(sent, [event(4)]);
  });

  test('a foreign ready does not release the queue', () => {
    const { gate, sent } = makeGate();
    gate.push(event(5));
    assert.throws(() => gate.markReady({ url: 'https://evil.example/', isOurMainFrame: true }));
    assert.deepEqual(sent, []);
  });

  test('the queue is bounded: the oldest events go first', () => {
    const { gate, sent } = makeGate(3);
    for (let i = 1; i <= 5; i++) gate.push(event(i));
    gate.markReady(ours);
    assert.deepEqual(sent, [event(3), event(4), event(5)]);
  });
});
