import { expect, test } from './app-fixture.js';
test('shot', async ({ page, app }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(app.url + '#/lab/ordinary-pipes/end-of-file');
  await expect(page.locator('#step-title')).toBeVisible();
  await page.locator('[data-param="closeWriteEnd"] input').uncheck();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText(/failed|passed/, { timeout: 30_000 });
  await page.getByTestId('timeline-canvas').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/iph-h2/dark1.png' });
  await page.screenshot({ path: '/tmp/iph-h2/dark2.png', fullPage: true });
  await page.goto(app.url);
  await expect(page.getByTestId('lab-card').first()).toBeVisible();
  await page.screenshot({ path: '/tmp/iph-h2/dark3.png' });
});
