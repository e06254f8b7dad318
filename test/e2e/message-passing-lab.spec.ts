/**
 * The message-passing lab's blocking step in the real UI, over real processes and a real POSIX queue.
 */
import { expect, test } from './app-fixture.js';

test('a blocking receive waits live, the queue shows in /dev/mqueue, and the step passes', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('lab-card').filter({ hasText: 'Message passing' }).click();
  await page.getByTestId('step-link').filter({ hasText: 'Blocking and non-blocking' }).click();
  // The sender waits 4 s before its first message: the receiver is blocked in mq_receive meanwhile.
  await page.locator('[data-param="senderDelayMs"] input').fill('4000');
  await page.getByTestId('run').click();

  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect(page.locator('[data-testid="event-row"][data-kind="io.begin"]').filter({ hasText: 'mailbox box: empty' }).first()).toBeVisible();
  const lanes = page.getByTestId('lane');
  await expect(lanes.filter({ hasText: 'receiver' })).toHaveCount(1);
  await expect(lanes.filter({ hasText: 'sender' })).toHaveCount(1);
  // The kernel view lists the queue as /dev/mqueue shows it (CI mounts the mqueue file system there).
  await expect(page.locator('[data-testid="kernel-object"]').filter({ hasText: /\/dev\/mqueue\/ipc-lab-\d+-\d+-box/ })).toBeVisible();
  await expect(page.getByTestId('run-status')).toHaveText('running');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['blocking-receive-waits', 'null-message', 'send-to-full-fails']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
