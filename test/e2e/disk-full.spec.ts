/**
 * A full disk under the data folder, as the student sees it (issue 11, defect 1): IPC_LAB_HOME on a
 * 2 MiB tmpfs (the tests run as root), filled with a file. The app still starts (read-only), says in a
 * banner which disk is full and what to do, still shows the labs, and a run that cannot be stored is
 * refused with the same words.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServer, stopServer, type AppServer, labCard } from './app-fixture.js';

const DISK_FULL = /The disk holding .+ is full; free space or set IPC_LAB_HOME elsewhere/;

let mountPoint: string;
let server: AppServer | undefined;

test.beforeAll(async () => {
  mountPoint = mkdtempSync(join(tmpdir(), 'ipc-lab-e2e-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'none', mountPoint]);
  const home = join(mountPoint, 'home');
  // A data folder as a first start leaves it, then a disk with no byte left.
  await stopServer(await startServer(home));
  const fd = openSync(join(mountPoint, 'filler'), 'a');
  try {
    for (const chunk = Buffer.alloc(16 * 1024); ;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
  server = await startServer(home);
});

test.afterAll(async () => {
  if (server) await stopServer(server);
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

test('the app starts on a full disk and says so in a banner; a run is refused with the same words', async ({ page }) => {
  await page.goto(server!.url);
  const banner = page.getByTestId('disk-full');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(DISK_FULL);
  await expect(banner).toContainText(join(mountPoint, 'home'));
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'End of file' }).click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-error')).toContainText(DISK_FULL);
  await expect(banner).toBeVisible();
});
