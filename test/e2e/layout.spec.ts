/**
 * The lab page follows predict, run, look, in the real UI over real runs: the run bar stays in view
 * with Run / Stop, the status and the checks; starting a run brings the timeline under it; below
 * 1,100 px the page is one column and never scrolls sideways; keyboard focus stays on the control
 * that runs or stops the run; the kernel view folds per process. Every wait is on the page reaching a
 * state (the scroll settling, the run ending), never on a time.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './app-fixture.js';

const ONE_WAY = '#/lab/ordinary-pipes/one-way';

/** Opens a step by its URL and waits for its text. */
async function openStep(page: Page, url: string, hash: string): Promise<void> {
  await page.goto(url + hash);
  await expect(page.locator('#step-title')).toBeVisible();
}

/** Where an element is in the viewport (CSS pixels), or null when it is not laid out. */
async function box(locator: Locator): Promise<{ top: number; bottom: number; left: number; right: number } | null> {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.width === 0 && r.height === 0 ? null : { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  });
}

/** The bar's Run (or Stop) and the whole timeline canvas below the bar, all within the viewport. */
async function runAndTimelineInView(page: Page): Promise<string> {
  const viewport = page.viewportSize()!;
  const bar = await box(page.getByTestId('run-bar'));
  const run = await box(page.getByTestId('bar-run'));
  const canvas = await box(page.getByTestId('timeline-canvas'));
  if (!bar || !run || !canvas) return 'not laid out';
  if (run.top < 0 || run.bottom > viewport.height) return `bar's Run at ${run.top}..${run.bottom}`;
  if (canvas.top < bar.bottom || canvas.bottom > viewport.height) return `timeline at ${canvas.top}..${canvas.bottom}, bar ends at ${bar.bottom}`;
  return 'in view';
}

/** The page is no wider than the window: nothing makes it scroll sideways. */
async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const [scrollWidth, clientWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scrollWidth, `${where}: the page scrolls sideways`).toBeLessThanOrEqual(clientWidth);
}

/** Presses the card's Run and waits for the URL to name the new run; returns its id. */
async function run(page: Page): Promise<number> {
  const before = page.url();
  await page.getByTestId('run').click();
  await expect(page).not.toHaveURL(before);
  await expect(page).toHaveURL(/\/run\/\d+$/);
  return Number(/\/run\/(\d+)$/.exec(page.url())![1]);
}

test('at 1280x800 Run brings the timeline under the run bar, which says the status and the checks when the run ends', async ({ page, app }) => {
  await openStep(page, app.url, ONE_WAY);
  // Two columns: the run card beside the step text, not under it.
  const text = (await box(page.getByTestId('step-body')))!;
  const card = (await box(page.locator('section[aria-labelledby="run-title"]')))!;
  expect(card.left, 'the run card is right of the step text').toBeGreaterThanOrEqual(text.right);
  expect(card.top, 'the run card starts beside the step text').toBeLessThan(text.bottom);

  await expect(page.getByTestId('bar-checks')).toHaveText('not run yet');
  await expect(page.getByTestId('bar-status')).toHaveCount(0);
  // Starts from the card's Run, far down the page: the page scrolls to the timeline.
  await run(page);
  await expect.poll(() => runAndTimelineInView(page), { message: 'Run and the timeline share the screen after Run' }).toBe('in view');

  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(page.getByTestId('bar-status')).toHaveAttribute('data-status', 'passed');
  await expect(page.getByTestId('bar-checks')).toHaveText('3 of 3 checks passed');
  await expect.poll(() => runAndTimelineInView(page), { message: 'still together once the run has ended' }).toBe('in view');
  await expectNoSidewaysScroll(page, 'step page at 1280');

  // What the page scrolls into view itself lands below the bar, not under it: the timeline's way to the kernel view.
  await page.getByRole('button', { name: 'Show the kernel view' }).click();
  await expect
    .poll(
      async () => {
        const [bar, title] = [await box(page.getByTestId('run-bar')), await box(page.locator('#kernel-title'))];
        return bar && title && title.top >= bar.bottom && title.bottom <= page.viewportSize()!.height;
      },
      { message: "the kernel view's title comes just below the bar" },
    )
    .toBe(true);

  // The bar leads back up to the step text, still in view itself.
  await page.getByTestId('bar-to-step').click();
  await expect.poll(async () => (await box(page.locator('#step-title')))!.top, { message: 'the step title comes under the bar' }).toBeGreaterThanOrEqual(0);
  await expect(page.locator('#step-title')).toBeInViewport();
  await expect(page.getByTestId('bar-run')).toBeInViewport();
});

test('the scroll to the timeline is smooth only when the system does not ask for reduced motion', async ({ page, app }) => {
  // Records how the page asks to scroll (the real scrollTo still scrolls).
  await page.addInitScript(() => {
    const scrollTo = window.scrollTo.bind(window);
    const asked: (string | undefined)[] = [];
    Object.assign(window, { askedScrolls: asked });
    window.scrollTo = ((options: ScrollToOptions) => {
      asked.push(options.behavior);
      scrollTo(options);
    }) as typeof window.scrollTo;
  });
  const asked = () => page.evaluate(() => (window as unknown as { askedScrolls: string[] }).askedScrolls);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await openStep(page, app.url, ONE_WAY);
  await run(page);
  await expect.poll(asked, { message: 'Run scrolled to the timeline at once' }).toEqual(['auto']);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  await page.emulateMedia({ reducedMotion: 'no-preference' });
  await page.getByTestId('bar-to-step').click();
  await expect(page.locator('#step-title')).toBeInViewport();
  await page.getByTestId('bar-run').click();
  // (A scroll that ended away from the timeline, because the page moved meanwhile, is put right at once: 'auto'.)
  await expect
    .poll(async () => (await asked()).slice(0, 3), { message: 'then smoothly, up to the step and down to the timeline' })
    .toEqual(['auto', 'smooth', 'smooth']);
  await expect.poll(() => runAndTimelineInView(page)).toBe('in view');
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
});

test('at 900 px one column, and no page scrolls sideways: catalogue, a step after runs, a comparison, the quiz', async ({ page, app }) => {
  await page.setViewportSize({ width: 900, height: 800 });
  await page.goto(app.url);
  await expect(page.getByTestId('lab-card').first()).toBeVisible();
  await expectNoSidewaysScroll(page, 'catalogue');

  await openStep(page, app.url, ONE_WAY);
  // One column: the steps above the content, the run card under the step text.
  const nav = (await box(page.getByRole('navigation', { name: /^Steps of/ })))!;
  const text = (await box(page.getByTestId('step-body')))!;
  const card = (await box(page.locator('section[aria-labelledby="run-title"]')))!;
  expect(nav.bottom, 'the step list is above the step text').toBeLessThanOrEqual(text.top);
  expect(card.top, 'the run card is under the step text').toBeGreaterThanOrEqual(text.bottom);

  const first = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect.poll(() => runAndTimelineInView(page), { message: 'Run and the timeline share the screen after Run' }).toBe('in view');
  const second = await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  // Everything a run shows, with the widest tables: the kernel view with the runtime's descriptors too.
  await page.getByTestId('kernel-show-runtime').check();
  await expect(page.locator('[data-testid="kernel-fd"]:not([data-runtime=""])').first()).toBeVisible();
  await expect(page.getByTestId('event-row').first()).toBeVisible();
  await expect(page.getByTestId('history-row')).toHaveCount(2);
  await expectNoSidewaysScroll(page, 'step page after two runs');

  for (const row of await page.getByTestId('history-row').all()) await row.getByTestId('history-pick').check();
  await page.getByTestId('compare-runs').click();
  await expect(page).toHaveURL(new RegExp(`/compare/${first}/${second}$`));
  await expect(page.getByTestId('compare').getByTestId('compare-timeline')).toHaveCount(2);
  await expectNoSidewaysScroll(page, 'comparison');

  await page.getByTestId('quiz-link').click();
  await expect(page.getByTestId('quiz-check')).toBeVisible();
  await expectNoSidewaysScroll(page, 'quiz');
});

test('Enter on Run puts focus on Stop; Enter on Stop ends the run and gives focus back to Run', async ({ page, app }) => {
  await openStep(page, app.url, ONE_WAY);
  // 40 messages 400 ms apart: about 16 s, far longer than it takes to press Stop.
  await page.locator('[data-param="messages"] input').fill('40');
  await page.locator('[data-param="messageDelayMs"] input').fill('400');
  await page.getByTestId('bar-run').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('bar-stop')).toBeFocused();
  await expect(page.getByTestId('run-status')).toHaveText('running');
  await expect(page.getByTestId('bar-checks')).toHaveText('running…');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
  await expect(page.getByTestId('bar-run')).toBeFocused();
  await expect(page.getByTestId('bar-checks')).toHaveText('checks not run');
});

test("Enter on the card's Run: focus on the bar's Stop, which stays in view, and back on Run when the run ends by itself", async ({ page, app }) => {
  await openStep(page, app.url, ONE_WAY);
  // About 4 s of run.
  await page.locator('[data-param="messages"] input').fill('10');
  await page.locator('[data-param="messageDelayMs"] input').fill('400');
  await page.getByTestId('run').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('bar-stop')).toBeFocused();
  await expect(page.getByTestId('bar-stop')).toBeInViewport();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(page.getByTestId('bar-run')).toBeFocused();
  await expect(page.getByTestId('bar-stop')).toHaveCount(0);
});

test('the kernel view folds per process: a summary line each, opened and closed by its heading', async ({ page, app }) => {
  await openStep(page, app.url, ONE_WAY);
  await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });

  // Two processes: both start open.
  const processes = page.getByTestId('kernel-process');
  await expect(processes).toHaveCount(2);
  for (const each of await processes.getByTestId('kernel-fold').all()) await expect(each).toHaveAttribute('aria-expanded', 'true');
  const parent = processes.filter({ has: page.locator('h3', { hasText: /^parent/ }) });
  const fold = parent.getByTestId('kernel-fold');
  await expect(fold).toHaveAttribute('aria-expanded', 'true');
  await expect(parent.getByTestId('kernel-fd').first()).toBeVisible();
  // The summary line: role, pid, state, descriptors.
  await expect(fold).toHaveText(/^parent \(pid \d+\) .+ \d+ descriptors?/);

  await fold.click();
  await expect(fold).toHaveAttribute('aria-expanded', 'false');
  await expect(parent.getByTestId('kernel-fd').first()).toBeHidden();
  await expect(fold).toBeVisible();
  // The other process stays as it was.
  const child = processes.filter({ has: page.locator('h3', { hasText: /^child/ }) });
  await expect(child.getByTestId('kernel-fd').first()).toBeVisible();

  // Open again from the keyboard.
  await fold.focus();
  await page.keyboard.press('Enter');
  await expect(fold).toHaveAttribute('aria-expanded', 'true');
  await expect(parent.getByTestId('kernel-fd').first()).toBeVisible();

  // All at once.
  await page.getByTestId('kernel-fold-all').click();
  await expect(processes.getByTestId('kernel-fold').first()).toHaveAttribute('aria-expanded', 'false');
  await expect(processes.getByTestId('kernel-fold').last()).toHaveAttribute('aria-expanded', 'false');
  await page.getByTestId('kernel-fold-all').click();
  await expect(processes.getByTestId('kernel-fold').first()).toHaveAttribute('aria-expanded', 'true');
});

test('with many processes only those the evidence is about start open', async ({ page, app }) => {
  await openStep(page, app.url, '#/lab/sockets/connections');
  // A server and ten clients: more processes than start open all together.
  await page.locator('[data-param="clients"] input').fill('10');
  await run(page);
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 30_000 });
  await expect(page.getByTestId('kernel-cursor-note')).toContainText('evidence of the check');

  // At the evidence's moment the kernel view holds the processes the engine had sampled by then: those
  // whose trace it had read, surely the asking client and, on a loaded machine, perhaps few others
  // (tcp-server.ts). Each later client's look is another kernel change: step to them (Shift + →) until
  // more than four processes show; which start open does not depend on the moment shown.
  const processes = page.getByTestId('kernel-process');
  await page.getByTestId('timeline-canvas').focus();
  await expect
    .poll(
      async () => {
        const shown = await processes.count();
        if (shown <= 4) await page.keyboard.press('Shift+ArrowRight');
        return shown;
      },
      { message: 'more than four processes in the kernel view at some client’s look', timeout: 30_000 },
    )
    .toBeGreaterThan(4);
  const open = processes.and(page.locator('[data-open="true"]'));
  await expect(open.first()).toBeVisible();
  const opened = await open.count();
  expect(opened, 'some, not all, start open').toBeLessThan(await processes.count());
  // Folded ones still say what they are, and open on request.
  const folded = processes.and(page.locator('[data-open="false"]')).first();
  await expect(folded.getByTestId('kernel-fold')).toHaveText(/\(pid \d+\)/);
  await expect(folded.getByTestId('kernel-fd').first()).toBeHidden();
  await folded.getByTestId('kernel-fold').click();
  await expect(open).toHaveCount(opened + 1);
});
