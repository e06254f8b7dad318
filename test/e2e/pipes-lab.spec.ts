/**
 * A student's path through the ordinary-pipes lab, in the real UI over real processes.
 */
import { readFileSync } from 'node:fs';
import { expect, test, labCard } from './app-fixture.js';

/** Whether a process runs (a zombie waiting to be reaped does not). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('runs step one-way live, passes its checks, and keeps the progress after a reload', async ({ page, app }) => {
  await page.goto(app.url);
  const card = labCard(page, 'ordinary-pipes');
  await expect(card).toContainText('0/4 steps mastered');
  await card.click();

  await expect(page.getByTestId('step-body')).toContainText('read end');
  await page.getByTestId('prediction').fill('In the order sent; the write into the read end fails.');
  // The box says its limit and counts as the student types; the browser stops typing at the limit.
  await expect(page.getByTestId('prediction-count')).toHaveText('53 of 20,000 characters');
  await expect(page.getByTestId('prediction')).toHaveAttribute('maxlength', '20000');
  await expect(page.getByTestId('answer-status')).toHaveText(/saved/i);

  // 40 messages 400 ms apart: the run stays live for about 16 s, time enough on a loaded machine.
  await page.locator('[data-param="messages"] input').fill('40');
  await page.locator('[data-param="messageDelayMs"] input').fill('400');
  await page.getByTestId('run').click();

  // Live: two lanes (parent and child, two different pids) while the run is still running.
  await expect(page.getByTestId('run-status')).toHaveText('running');
  const lanes = page.getByTestId('lane');
  await expect(lanes).toHaveCount(2);
  await expect(page.getByTestId('run-status')).toHaveText('running');
  const pids = await lanes.evaluateAll((els) => els.map((el) => el.getAttribute('data-pid')));
  expect(new Set(pids).size).toBe(2);
  expect(Number(await page.getByTestId('event-count').textContent())).toBeGreaterThan(0);

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  for (const id of ['one-way-delivery', 'one-way-refused', 'same-pipe']) {
    await expect(page.locator(`[data-testid="check"][data-check-id="${id}"]`)).toHaveAttribute('data-passed', 'true');
  }
  await expect(page.getByTestId('process-row')).toHaveCount(2);

  await page.reload();
  // A passing run with no answers to the step's questions is attempted, not mastered.
  await expect(page.getByTestId('step-link').first()).toHaveAttribute('data-status', 'attempted');
  await expect(page.getByTestId('needs-passing-run')).toContainText('✓');
  await expect(page.getByTestId('prediction')).toHaveValue('In the order sent; the write into the read end fails.');
  await expect(page.getByTestId('run-status')).toHaveText('passed');
});

test('shows a writer blocked on a full pipe in the kernel view, and Stop ends every process', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'How much does a pipe hold?' }).click();
  // The child waits 10 s before reading: the parent stays blocked in write() until we stop the run.
  await page.locator('[data-param="readerDelayMs"] input').fill('10000');
  await page.getByTestId('run').click();

  const parent = page.getByTestId('kernel-process').filter({ has: page.locator('h3', { hasText: /^parent/ }) });
  await expect(parent).toContainText(/sleeping/i);
  await expect(parent).toContainText(/pipe_write|anon_pipe/);
  // One pipe, its write end in the parent and its read end in the child.
  const shared = page.locator('[data-testid="kernel-fd"][data-shared="true"]');
  await expect(shared).toHaveCount(2);
  const targets = await shared.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-target')));
  expect(targets[0]).toMatch(/^pipe:\[\d+\]$/);
  expect(targets[1]).toBe(targets[0]);

  const pids = await page.getByTestId('process-row').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-pid'))));
  expect(pids).toHaveLength(2);
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
  for (const pid of pids) expect(isRunning(pid), `pid ${pid} still running after Stop`).toBe(false);
});

test('commits the fork() bug from the form: a child that keeps an inherited write end never sees end of file', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: 'End of file' }).click();
  // Before the first run, what to observe stays folded; it is there, with the fork() lesson, to open.
  await expect(page.getByTestId('step-observe')).toContainText('fork()');
  await page.locator('[data-param="inheritAll"] input').check();
  await page.locator('[data-param="childClosesWriteEnd"] input').uncheck();
  await page.getByTestId('run').click();

  // The parent waits 3 s for an end of file that cannot come, then ends the child.
  // A variant the step asks the student to try: its failed checks are the lesson, shown as expected, no hint.
  await expect(page.getByTestId('run-status')).toHaveText('as expected', { timeout: 30_000 });
  const eof = page.locator('[data-testid="check"][data-check-id="eof-after-close"]');
  await expect(eof).toHaveAttribute('data-passed', 'false');
  await expect(eof).toHaveAttribute('data-expected', 'true');
  await expect(eof).toContainText('the child itself still held one');
  await expect(eof.getByTestId('check-as-expected')).toContainText('As expected for this variant (The child inherits every descriptor');
  await expect(eof).not.toContainText('Hint:');
  const leak = page.locator('[data-testid="check"][data-check-id="child-holds-no-write-end"]');
  await expect(leak).toHaveAttribute('data-passed', 'false');
  await expect(leak).toContainText(/descriptor \d+ is pipe:\[\d+\] open for writing \(O_WRONLY/);
});

test('names the allowed range of a parameter out of range, and will not run it', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  const input = page.locator('[data-param="messages"] input');
  await input.fill('5000');
  await expect(page.getByTestId('param-error')).toContainText('1000');
  await expect(page.getByTestId('run')).toBeDisabled();
});

test('refuses a browser without the token, and says which URL to open', async ({ page, app }) => {
  // The UI's files hold no secret; the engine is behind the WebSocket, which needs the token.
  await page.goto(app.origin + '/');
  await expect(page.getByTestId('connection-lost')).toContainText('no access token');
  await expect(page.getByTestId('connection-lost')).toContainText('npm start');
  await expect(page.getByTestId('lab-card')).toHaveCount(0);
});
