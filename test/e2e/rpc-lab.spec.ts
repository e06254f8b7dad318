/**
 * The RPC lab's failure step in the real UI: faults chosen in the form, injected on a real TCP link
 * between two real processes, retries and suppressed duplicates live, the request's bytes labelled.
 */
import { expect, test } from './app-fixture.js';

test('a dropped reply is retried, the duplicate is answered from the table, and the balance is right', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('lab-card').filter({ hasText: 'Remote procedure calls' }).click();
  await page.getByTestId('step-link').filter({ hasText: 'Lost and repeated messages' }).click();
  await page.locator('[data-param="fault"] select').selectOption('drop-reply');
  await page.locator('[data-param="semantics"] select').selectOption('at-most-once');
  // Slow enough to watch: every second deposit loses its reply and waits out a 1.5 s timeout.
  await page.locator('[data-param="deposits"] input').fill('6');
  await page.locator('[data-param="timeoutMs"] input').fill('1500');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect(page.locator('[data-testid="event-row"][data-kind="rpc.fault"]').filter({ hasText: 'drop-reply' }).first()).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('running');
  // The request as it went over the socket, field by field.
  const bytes = page.getByTestId('message-bytes');
  await expect(bytes).toBeVisible();
  await bytes.getByTestId('message-pick').filter({ hasText: '→' }).first().click();
  await expect(bytes.locator('[data-testid="bytes-field"][data-path="xid"]')).toBeVisible();
  await expect(bytes.locator('[data-testid="bytes-field"][data-path="msgType"]')).toContainText('CALL');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 45_000 });
  await expect(page.locator('[data-testid="event-row"][data-kind="rpc.duplicate"]').filter({ hasText: 'replied from the duplicate table' }).first()).toBeVisible();
  for (const id of ['balance-right', 'faults-and-retries', 'duplicates-suppressed']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
