/**
 * The sockets lab's first step in the real UI: real TCP connections on the loopback, each seen at both
 * ends in the trace and as ESTABLISHED in the kernel's own table (/proc/net/tcp), live.
 */
import { expect, test } from './app-fixture.js';

test('connections show live as address pairs and as ESTABLISHED in /proc/net/tcp, and the step passes', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('lab-card').filter({ hasText: 'Sockets' }).click();
  await page.getByTestId('step-link').filter({ hasText: 'A connection is a pair of addresses' }).click();
  // Clients hold their connections for 4 s: long enough to look at them while the run goes.
  await page.locator('[data-param="holdMs"] input').fill('4000');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('running');
  const accepted = page.locator('[data-testid="event-row"][data-kind="socket.accept"]');
  await expect(accepted.first()).toContainText('127.0.0.1:7070');
  await expect(page.locator('[data-testid="event-row"][data-kind="socket.connect"]').first()).toContainText('→ 127.0.0.1:7070');
  // The kernel's view of the same connections, sampled from /proc while they are open.
  await expect(page.locator('[data-testid="kernel-socket"][data-state="LISTEN"]').first()).toHaveAttribute('data-local', '127.0.0.1:7070');
  await expect(page.locator('[data-testid="kernel-socket"][data-state="ESTABLISHED"][data-remote="127.0.0.1:7070"]').first()).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(accepted).toHaveCount(3);
  for (const id of ['connections-at-both-ends', 'kernel-shows-connections']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
