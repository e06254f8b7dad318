/**
 * Browser mode over the fixture labs (test/fixtures/labs) instead of labs/, for end-to-end specs that
 * need a lab the shipped ones do not have (test/e2e/charts.spec.ts). Run compiled:
 * `IPC_LAB_HOME=<temporary data folder> node dist/test/support/fixture-labs-server.js`. Prints the
 * URL as `ipc-lab serve` does ("IPC Lab is running at <url>"); SIGTERM closes the host and the engine.
 */
import { join } from 'node:path';
import { openEngine } from '../../main/engine/engine.js';
import { startBrowserHost } from '../../main/hosts/browser/browser-host.js';
import { findProjectRoot } from '../../main/project-root.js';

const dataDir = process.env.IPC_LAB_HOME;
if (!dataDir) {
  console.error('fixture-labs-server: set IPC_LAB_HOME to a temporary data folder');
  process.exit(2);
}
const engine = await openEngine({ dataDir, labsDir: join(findProjectRoot(), 'test', 'fixtures', 'labs') });
const host = await startBrowserHost({ engine });
process.once('SIGTERM', () => {
  void host
    .close()
    .then(() => engine.close())
    .then(() => process.exit(0));
});
console.log(`IPC Lab is running at ${host.url}`);
