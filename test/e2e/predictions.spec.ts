/**
 * Predict, run, compare, in the real UI over real processes: the capacity step of the ordinary-pipes
 * lab asks before its first run, locks the answers on Run, sets each beside what the run measured,
 * gives a hint after a failed run, shows the control's failed checks as expected, and masters the step
 * only when all of it is done.
 */
import { expect, test, labCard } from './app-fixture.js';

test('ask, lock, run, compare, hint ladder, control, mastery on the catalogue', async ({ page, app }) => {
  await page.goto(app.url);
  const card = labCard(page, 'ordinary-pipes');
  await expect(card.getByTestId('lab-progress')).toHaveText('0/4 steps mastered');
  await card.click();
  await page.getByTestId('step-link').filter({ hasText: 'How much does a pipe hold?' }).click();

  // Before the first run: the questions are asked, and what the checks look for stays folded.
  const question = (id: string) => page.locator(`[data-testid="question"][data-question-id="${id}"]`);
  await expect(question('writes-before-block')).toBeVisible();

  // The write size is picked for each student (this data folder's); the question names it. The slot
  // model gives the answers: as many writes per 4096-byte slot as fit whole, 16 slots.
  const chunkField = page.locator('[data-param="chunkBytes"]');
  await expect(chunkField.getByTestId('param-picked')).toContainText('picked for you from 1024, 1500, 2048, 3000 or 4096 bytes');
  const chunk = Number(await chunkField.locator('input').inputValue());
  expect([1024, 1500, 2048, 3000, 4096]).toContain(chunk);
  await expect(question('writes-before-block')).toContainText(`(${chunk}, unless you change it)`);
  await expect(page.getByTestId('step-body')).toContainText(`the parent writes ${chunk} bytes at a time`);
  const writes = 16 * Math.floor(4096 / chunk);
  await expect(page.getByTestId('checks-folded')).not.toHaveAttribute('open');
  await expect(page.getByTestId('step-observe')).not.toHaveAttribute('open');

  // A bad number is refused on the page, with what it takes; nothing is sent.
  await question('writes-before-block').getByTestId('answer-number').fill('sixteen');
  await expect(question('writes-before-block').getByRole('alert')).toContainText('takes a number in writes');
  await question('writes-before-block').getByTestId('answer-number').fill(String(writes));
  await expect(question('writes-before-block').getByTestId('answer-state')).toHaveText('Saved');
  await question('bytes-before-block')
    .getByTestId('answer-number')
    .fill(String(writes * chunk));
  await question('blocked-state').locator('[data-option-id="b"]').check();
  await question('thousand-byte-writes').locator('[data-option-id="c"]').check();
  for (const id of ['bytes-before-block', 'blocked-state', 'thousand-byte-writes']) await expect(question(id).getByTestId('answer-state')).toHaveText('Saved');

  // A failed run first (32 KiB in all fit in the pipe, so no write blocks; not the control's 16): the first hint appears.
  await page.locator('[data-param="totalKiB"] input').fill('32');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('failed', { timeout: 30_000 });
  await expect(page.getByTestId('hint')).toHaveCount(1);
  await expect(question('writes-before-block').getByTestId('grade')).toHaveAttribute('data-verdict', 'no-measurement');
  await expect(question('blocked-state').getByTestId('grade')).toHaveAttribute('data-verdict', 'wrong');

  // The step's own values (this student's size): the answers are compared with what this run measured.
  await page.getByTestId('param-reset').click();
  await expect(chunkField.locator('input')).toHaveValue(String(chunk));
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(question('writes-before-block').getByTestId('grade')).toHaveAttribute('data-verdict', 'right');
  await expect(question('writes-before-block').getByTestId('grade')).toContainText(`this run measured ${writes} writes`);
  await expect(question('bytes-before-block').getByTestId('grade')).toHaveAttribute('data-verdict', 'right');
  await expect(question('writes-before-block').getByTestId('grade')).toContainText(`This run wrote ${chunk} bytes at a time`);
  await expect(page.getByTestId('needs-passing-run')).toContainText('✓');
  await expect(page.getByTestId('needs-prediction')).toContainText('✓');

  // An edit after a run is a new version: the page says the tested one is kept.
  await question('blocked-state').locator('[data-option-id="a"]').check();
  await expect(question('blocked-state').getByTestId('answer-note')).toContainText('which is kept as it was');
  await expect(question('blocked-state').getByTestId('answer-original')).toContainText('State R (running)');

  // The control: less data than the pipe holds. Its failed checks are the lesson, not a red failure.
  await expect(page.getByTestId('step-progress')).toHaveAttribute('data-mastery', 'attempted');
  await page.getByTestId('run-control').click();
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('bar-status')).toHaveText('as expected');
  await expect(page.getByTestId('run-status-text')).toContainText(
    'The control (The parent writes less than the pipe holds): what the step shows did not happen',
  );
  // The answers are about the step as written: set aside, neither right nor wrong against the control.
  await expect(question('writes-before-block').getByTestId('grade')).toHaveAttribute('data-verdict', 'variant');
  await expect(page.locator('[data-testid="check"][data-expected="true"]')).toHaveCount(2);
  await expect(page.getByTestId('check-as-expected').first()).toContainText('As expected for the control');
  await expect(page.getByTestId('hint')).toHaveCount(1, { timeout: 5_000 });
  await expect(page.getByTestId('step-progress')).toHaveAttribute('data-mastery', 'mastered');
  await expect(page.locator('[data-testid="step-link"][data-step-id="capacity"]')).toHaveAttribute('data-status', 'mastered');
  await expect(page.getByTestId('next-step')).toContainText('Next step');

  await page.goto(app.url);
  await expect(labCard(page, 'ordinary-pipes').getByTestId('lab-progress')).toHaveText('1/4 steps mastered');
});
