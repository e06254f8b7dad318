/**
 * The sockets lab's first step in the real UI: real TCP connections on the loopback, each seen at both
 * ends in the trace and as ESTABLISHED in the kernel's own table (/proc/net/tcp). Every wait is on
 * something the run produced (events, the run's status, the kernel view at the checks' moment), never
 * on how long the run happens to last: each client asks for the kernel snapshot itself while its
 * connection is open, and after the run the kernel view opens at that snapshot.
 */
import { expect, test, labCard } from './app-fixture.js';

test("connections show as address pairs in the trace and as ESTABLISHED in /proc/net/tcp at the check's moment, and the step passes", async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'sockets').click();
  await page.getByTestId('step-link').filter({ hasText: 'A connection is a pair of addresses' }).click();
  await page.getByTestId('run').click();

  const accepted = page.locator('[data-testid="event-row"][data-kind="socket.accept"]');
  await expect(accepted.first()).toContainText('127.0.0.1:7070');
  await expect(page.locator('[data-testid="event-row"][data-kind="socket.connect"]').first()).toContainText('→ 127.0.0.1:7070');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(accepted).toHaveCount(3);
  for (const id of ['connections-at-both-ends', 'kernel-shows-connections']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }

  // After the run the kernel view opens at the checks' moment: a client's own snapshot, taken while
  // every connection was open. The server's listening socket, and connections to it, ESTABLISHED.
  await expect(page.getByTestId('kernel-cursor-note')).toContainText('evidence of the check');
  await expect(page.locator('[data-testid="kernel-socket"][data-state="LISTEN"]').first()).toHaveAttribute('data-local', '127.0.0.1:7070');
  const clientEnds = page.locator('[data-testid="kernel-socket"][data-state="ESTABLISHED"][data-remote="127.0.0.1:7070"]');
  const serverEnds = page.locator('[data-testid="kernel-socket"][data-state="ESTABLISHED"][data-local="127.0.0.1:7070"]');
  await expect(serverEnds).toHaveCount(3);
  await expect(clientEnds.first()).toBeVisible();
  // The pairs: each client end's local address is the remote address of one of the server's ends.
  const remotes = await serverEnds.evaluateAll((els) => els.map((el) => el.getAttribute('data-remote')));
  const locals = await clientEnds.evaluateAll((els) => els.map((el) => el.getAttribute('data-local')));
  expect(locals.length).toBeGreaterThan(0);
  for (const local of locals) expect(remotes).toContain(local);
});
