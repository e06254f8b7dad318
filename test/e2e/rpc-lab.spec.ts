/**
 * The RPC lab's failure step in the real UI: faults chosen in the form, a lossy link process between
 * two real processes dropping real replies, retries and suppressed duplicates, the request's bytes
 * labelled. Every wait waits for the event it needs (a row, a message, the status), never for an order
 * in which events may arrive or a time: under load, the run may even be over before the first wait.
 */
import { expect, test, labCard } from './app-fixture.js';

test('a dropped reply is retried, the duplicate is answered from the table, and each deposit runs once', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'rpc').click();
  await page.getByTestId('step-link').filter({ hasText: 'Lost and repeated messages' }).click();
  await page.locator('[data-param="fault"] select').selectOption('drop-reply');
  await page.locator('[data-param="semantics"] select').selectOption('at-most-once');
  await page.locator('[data-param="deposits"] input').fill('6');
  await page.locator('[data-param="timeoutMs"] input').fill('1500');
  await page.getByTestId('run').click();

  // The link dropped a reply: its rpc.fault row.
  await expect(page.locator('[data-testid="event-row"][data-kind="rpc.fault"]').filter({ hasText: 'drop-reply' }).first()).toBeVisible();

  // A request the client sent (the server's replies are sent too, so pick by sender and direction),
  // as it went over the socket, field by field.
  const bytes = page.getByTestId('message-bytes');
  const request = bytes
    .locator('[data-testid="message-pick"][data-direction="send"]')
    .filter({ hasText: / client xid \d+/ })
    .first();
  await expect(request).toBeVisible();
  const xid = /xid (\d+)/.exec((await request.textContent()) ?? '')?.[1];
  expect(xid).toBeDefined();
  await request.click();
  await expect(bytes.locator('[data-testid="bytes-field"][data-path="xid"]')).toContainText(xid!);
  await expect(bytes.locator('[data-testid="bytes-field"][data-path="msgType"]')).toContainText('CALL');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 45_000 });
  await expect(
    page.locator('[data-testid="event-row"][data-kind="rpc.duplicate"]').filter({ hasText: 'replied from the duplicate table' }).first(),
  ).toBeVisible();
  for (const id of ['each-deposit-once', 'faults-and-retries', 'duplicates-suppressed']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
