/** The Electron window's options and CSP, checked flag by flag (Electron itself cannot run here). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMAND_NAMES, EVENT_NAMES } from '../../../main/contract/commands.js';
import { browserHostCsp, contentSecurityPolicy } from '../../../main/hosts/content-security-policy.js';
import { ELECTRON_CSP, mainWindowOptions, WINDOW_TITLE } from '../../../main/hosts/electron/window-options.js';

describe('window options', () => {
  const options = mainWindowOptions('/app/dist/main/hosts/electron/preload.cjs');
  const web = options.webPreferences ?? {};

  test('every security flag is set', () => {
    assert.equal(web.contextIsolation, true);
    assert.equal(web.sandbox, true);
    assert.equal(web.nodeIntegration, false);
    assert.equal(web.nodeIntegrationInWorker, false);
    assert.equal(web.nodeIntegrationInSubFrames, false);
    assert.equal(web.webSecurity, true);
    assert.equal(web.allowRunningInsecureContent, false);
    assert.equal(web.webviewTag, false);
    assert.equal(web.experimentalFeatures, false);
    assert.equal(web.navigateOnDragDrop, false);
  });

  test('the preload is the given path', () => {
    assert.equal(web.preload, '/app/dist/main/hosts/electron/preload.cjs');
  });

  test('the preload is told the contract names', () => {
    assert.deepEqual(web.additionalArguments, [`--ipc-lab-commands=${COMMAND_NAMES.join(',')}`, `--ipc-lab-events=${EVENT_NAMES.join(',')}`]);
  });

  test('size and title', () => {
    assert.equal(options.title, WINDOW_TITLE);
    assert.equal(WINDOW_TITLE, 'IPC Lab');
    assert.deepEqual([options.width, options.height, options.minWidth, options.minHeight], [1280, 800, 960, 600]);
  });
});

describe('content security policy', () => {
  const directives = (csp: string) => new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));

  test('the Electron policy allows only our own files, no inline scripts, no framing', () => {
    const d = directives(ELECTRON_CSP);
    assert.equal(d.get('default-src'), "'self'");
    assert.equal(d.get('script-src'), "'self'");
    assert.equal(d.get('style-src'), "'self' 'unsafe-inline'");
    assert.equal(d.get('connect-src'), "'self'");
    assert.equal(d.get('img-src'), "'self' data:");
    assert.equal(d.get('object-src'), "'none'");
    assert.equal(d.get('frame-ancestors'), "'none'");
    assert.equal(d.get('base-uri'), "'none'");
    assert.doesNotMatch(ELECTRON_CSP, /unsafe-eval/);
  });

  test('the browser policy adds exactly its own WebSocket', () => {
    assert.equal(
      browserHostCsp(4780),
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:4780 ws://localhost:4780; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    assert.equal(contentSecurityPolicy(), ELECTRON_CSP);
  });
});
