/**
 * A real browser-mode server (`ipc-lab serve`) per test file, over its own temporary data folder.
 * `appUrl` is the URL with the access token it printed.
 */
import { test as base, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppServer {
  url: string;
  origin: string;
  home: string;
  process: ChildProcess;
}

export async function startServer(home: string): Promise<AppServer> {
  const child = spawn(process.execPath, [join(root, 'dist', 'main', 'cli', 'ipc-lab.js'), 'serve', '--port', '0'], {
    env: { ...process.env, IPC_LAB_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /running at (http:\/\/\S+)/.exec(line);
    if (match) return { url: match[1]!, origin: new URL(match[1]!).origin, home, process: child };
  }
  throw new Error('ipc-lab serve exited before printing its URL');
}

export async function stopServer(server: AppServer): Promise<void> {
  if (server.process.exitCode !== null) return;
  const exited = new Promise((resolve) => server.process.once('exit', resolve));
  server.process.kill('SIGTERM');
  await exited;
}

export const test = base.extend<{ app: AppServer }>({
  // Playwright reads a fixture's dependencies from this destructuring: it must be a pattern, even empty.
  // eslint-disable-next-line no-empty-pattern
  app: async ({}, use) => {
    const home = mkdtempSync(join(tmpdir(), 'ipc-lab-e2e-home-'));
    const server = await startServer(home);
    await use(server);
    await stopServer(server);
    rmSync(home, { recursive: true, force: true });
  },
});

export { expect } from '@playwright/test';

/**
 * The catalogue's card of one lab, by its id: titles overlap ("Shared memory" is in "Shared memory or
 * message passing?"), so a card is never picked by its text.
 */
export function labCard(page: Page, labId: string): Locator {
  return page.locator(`[data-testid="lab-card"][data-lab-id="${labId}"]`);
}
