/**
 * The message-passing lab's blocking step in the real UI, over real processes and a real POSIX queue.
 * It waits only on what the page shows (events, the kernel view), never on a fixed time.
 */
import { expect, test, labCard } from './app-fixture.js';

test('a blocking receive waits live in the kernel, the queue shows in the descriptors, and the step passes', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'message-passing').click();
  await page.getByTestId('step-link').filter({ hasText: 'Blocking and non-blocking' }).click();
  // The sender waits 5 s before its first message: the receiver is blocked in mq_receive meanwhile.
  await page.locator('[data-param="senderDelayMs"] input').fill('5000');
  await page.getByTestId('run').click();

  await expect(page.locator('[data-testid="event-row"][data-kind="io.begin"]').filter({ hasText: 'mailbox box: empty' }).first()).toBeVisible();
  // The kernel view: the receiver asleep in the queue's wait, holding the queue's descriptor, which
  // /proc/<pid>/fd names by the queue's name ("/ipc-lab-…-box"), whether or not /dev/mqueue is mounted.
  const receiver = page.getByTestId('kernel-process').filter({ has: page.locator('h3', { hasText: /^receiver/ }) });
  await expect(receiver).toContainText(/sleeping/i);
  await expect(receiver).toContainText('wq_sleep');
  await expect(receiver.locator('[data-testid="kernel-fd"][data-target$="-box"]')).toHaveCount(1);
  const lanes = page.getByTestId('lane');
  await expect(lanes.filter({ hasText: 'receiver' })).toHaveCount(1);
  await expect(lanes.filter({ hasText: 'sender' })).toHaveCount(1);

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['blocking-receive-waits', 'null-message', 'send-to-full-fails']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
});
