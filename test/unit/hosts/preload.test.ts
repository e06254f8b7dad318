/**
 * The preload, run the way a sandboxed Electron renderer runs it: compiled to CommonJS as tsc does, then
 * called as one function with Electron's sandbox arguments and a `require` that knows only 'electron'
 * (a fake recording what the preload does with contextBridge and ipcRenderer).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compileFunction } from 'node:vm';
import ts from 'typescript';
import { COMMAND_NAMES, EVENT_NAMES } from '../../../main/contract/commands.js';
import { commandChannel, EVENT_CHANNEL, READY_CHANNEL, SAVE_PDF_CHANNEL } from '../../../main/hosts/electron/ipc-gate.js';
import { bridgeArguments } from '../../../main/hosts/electron/window-options.js';

const sourcePath = new URL('../../../main/hosts/electron/preload.cts', import.meta.url);
const compiled = ts.transpileModule(readFileSync(sourcePath, 'utf8'), {
  fileName: 'preload.cts',
  compilerOptions: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023 },
}).outputText;

type Listener = (event: unknown, ...args: unknown[]) => void;

function runPreload(argv: string[]) {
  const exposed = new Map<string, any>();
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const ipcListeners = new Map<string, Listener[]>();
  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke(channel: string, ...args: unknown[]) {
        invoked.push({ channel, args });
        return Promise.resolve({ ok: true, response: { channel } });
      },
      on(channel: string, listener: Listener) {
        ipcListeners.set(channel, [...(ipcListeners.get(channel) ?? []), listener]);
      },
    },
  };
  const sandboxRequire = (id: string) => {
    if (id === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${JSON.stringify(id)}`);
  };
  const module = { exports: {} };
  const wrapper = compileFunction(compiled, ['require', 'process', 'Buffer', 'global', 'setImmediate', 'clearImmediate', 'exports', 'module']);
  wrapper(
    sandboxRequire,
    { argv: ['/path/to/electron', '--type=renderer', ...argv] },
    undefined,
    globalThis,
    setImmediate,
    clearImmediate,
    module.exports,
    module,
  );
  const pushEvent = (event: unknown) => {
    for (const listener of ipcListeners.get(EVENT_CHANNEL) ?? []) listener({ sender: 'ipcRenderer itself' }, event);
  };
  return { api: exposed.get('ipcLab'), exposed, invoked, pushEvent };
}

describe('preload', () => {
  test('compiles to a CommonJS script (a sandboxed preload cannot be an ES module)', () => {
    assert.doesNotMatch(compiled, /^\s*(import|export)\s/m);
  });

  test('exposes window.ipcLab with exactly one method per command, plus on, ready and savePdf', () => {
    const { api, exposed } = runPreload(bridgeArguments());
    assert.deepEqual([...exposed.keys()], ['ipcLab']);
    assert.deepEqual(Object.keys(api).sort(), [...COMMAND_NAMES, 'on', 'ready', 'savePdf'].sort());
    for (const key of Object.keys(api)) assert.equal(typeof api[key], 'function', key);
  });

  test('each method invokes ipc-lab:<command> with the request and resolves to the wire outcome', async () => {
    const { api, invoked } = runPreload(bridgeArguments());
    for (const command of COMMAND_NAMES) {
      const outcome = await api[command]({ probe: command });
      assert.deepEqual(outcome, { ok: true, response: { channel: commandChannel(command) } });
    }
    assert.deepEqual(
      invoked,
      COMMAND_NAMES.map((command) => ({ channel: commandChannel(command), args: [{ probe: command }] })),
    );
  });

  test('ready() invokes the ready channel', async () => {
    const { api, invoked } = runPreload(bridgeArguments());
    await api.ready();
    assert.deepEqual(invoked, [{ channel: READY_CHANNEL, args: [] }]);
  });

  test('savePdf() invokes the save-pdf channel with the two strings, and nothing else', async () => {
    const { api, invoked } = runPreload(bridgeArguments());
    await api.savePdf('<html></html>', 'report.pdf');
    assert.deepEqual(invoked, [{ channel: SAVE_PDF_CHANNEL, args: ['<html></html>', 'report.pdf'] }]);
    await assert.rejects(api.savePdf({ toString: () => 'x' }, 'report.pdf'), /two strings/);
    assert.equal(invoked.length, 1, 'a call with an object reached main');
  });

  test('on() hands listeners the payload only, per event name, until unsubscribed', () => {
    const { api, pushEvent } = runPreload(bridgeArguments());
    const got: unknown[] = [];
    const unsubscribe = api.on(EVENT_NAMES[1], (...args: unknown[]) => got.push(args));
    pushEvent({ event: EVENT_NAMES[1], payload: { n: 1 } });
    pushEvent({ event: EVENT_NAMES[0], payload: { n: 2 } });
    unsubscribe();
    pushEvent({ event: EVENT_NAMES[1], payload: { n: 3 } });
    assert.deepEqual(got, [[{ n: 1 }]]);
  });

  test('on() refuses names that are not contract events', () => {
    const { api } = runPreload(bridgeArguments());
    assert.throws(() => api.on('ipc-lab:ready', () => {}), /no event named/);
    assert.throws(() => api.on('labs.list', () => {}), /no event named/);
  });

  test('without the names from main, the preload fails loudly instead of exposing nothing', () => {
    assert.throws(() => runPreload([]), /additionalArguments/);
  });
});
