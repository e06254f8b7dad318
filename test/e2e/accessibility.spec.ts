/**
 * Every page and state a student meets passes axe (WCAG 2.1 A and AA, and best practices) in the light
 * and in the dark colour scheme, over real runs: the catalogue, a step before its first run (questions
 * asked), a run going on (the end-of-file step slowed to a message a second), a stopped run, a finished
 * run with everything it shows opened (checks, timeline, events, kernel view with every process unfolded
 * and the runtime's descriptors, processes, history), a run's message bytes (the RPC lab), two runs
 * compared, the quiz, the export dialog, and the error pages (an unknown lab, a run that does not
 * exist, an unknown address). Each state is reached by waiting for what shows it, never for a time.
 */
import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe.js';
import { expect, test } from './app-fixture.js';

/** Presses Run and waits for the run to end with a verdict; returns the id the URL names. */
async function runToTheEnd(page: Page): Promise<number> {
  const before = page.url();
  await page.getByTestId('run').click();
  await expect(page).not.toHaveURL(before);
  await expect(page).toHaveURL(/\/run\/\d+$/);
  await expect(page.getByTestId('run-status')).toHaveText(/^(passed|failed|completed)$/, { timeout: 45_000 });
  return Number(/\/run\/(\d+)$/.exec(page.url())![1]);
}

async function openStep(page: Page, url: string, hash: string): Promise<void> {
  await page.goto(url + hash);
  await expect(page.locator('#step-title')).toBeVisible();
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`0 axe violations on every page and state, ${colorScheme} colour scheme`, async ({ page, app }) => {
    test.setTimeout(240_000);
    await page.emulateMedia({ colorScheme });
    const axe = (where: string) => expectNoAxeViolations(page, `${where} (${colorScheme})`);

    await page.goto(app.url);
    await expect(page.getByTestId('lab-card').first()).toBeVisible();
    await axe('the catalogue');

    // Before the first run: the questions asked, the parameter form.
    await openStep(page, app.url, '#/lab/ordinary-pipes/capacity');
    await expect(page.locator('[data-testid="question"]').first()).toBeVisible();
    await axe('a step before its first run');

    // A run going on: 1,000 messages a second apart (far longer than this test may last, so it ends
    // only by Stop, however slow the machine), looked at once the first has arrived, then stopped.
    await openStep(page, app.url, '#/lab/ordinary-pipes/end-of-file');
    await page.locator('[data-param="messages"] input').fill('1000');
    await page.locator('[data-param="messageDelayMs"] input').fill('1000');
    await page.getByTestId('run').click();
    await expect(page.locator('[data-testid="event-row"][data-kind="message.receive"]').first()).toBeVisible({ timeout: 15_000 });
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await axe('a step with its run going on');
    await page.goto(app.url);
    await expect(page.getByTestId('run-indicator')).toBeVisible();
    await axe('the catalogue with a run going on');
    await page.goBack();
    await expect(page.getByTestId('run-status')).toHaveText('running');
    await page.getByTestId('stop').click();
    await expect(page.getByTestId('run-status')).toHaveText('stopped');
    await axe('a stopped run');

    // A finished run, everything it shows unfolded.
    await openStep(page, app.url, '#/lab/ordinary-pipes/one-way');
    const first = await runToTheEnd(page);
    await expect(page.getByTestId('check').first()).toBeVisible();
    await expect(page.getByTestId('event-row').first()).toBeVisible();
    await expect(page.getByTestId('lane').first()).toBeVisible();
    await page.getByTestId('kernel-show-runtime').check();
    const foldAll = page.getByTestId('kernel-fold-all');
    if ((await foldAll.textContent())?.includes('Open every process')) await foldAll.click();
    await expect(page.locator('[data-testid="kernel-process"][data-open="false"]')).toHaveCount(0);
    await axe('a step after a finished run');

    // Two runs side by side.
    const second = await runToTheEnd(page);
    await expect(page.getByTestId('history-row')).toHaveCount(2);
    await axe('a step with its run history');
    for (const row of await page.getByTestId('history-row').all()) await row.getByTestId('history-pick').check();
    await page.getByTestId('compare-runs').click();
    await expect(page).toHaveURL(new RegExp(`/compare/${first}/${second}$`));
    await expect(page.getByTestId('compare').getByTestId('compare-timeline')).toHaveCount(2);
    await axe('two runs compared');

    // The quiz.
    await page.getByTestId('quiz-link').click();
    await expect(page.getByTestId('quiz-check')).toBeVisible();
    await axe('the quiz');

    // The export dialog, as it first opens (asking the name).
    await page.getByTestId('export-report').first().click();
    await expect(page.getByTestId('export-dialog')).toBeVisible();
    await axe('the export report dialog');
    await page.getByTestId('export-close').click();
    await expect(page.getByTestId('export-dialog')).toBeHidden();

    // A message's bytes, labelled field by field: the RPC lab's first step.
    await openStep(page, app.url, '#/lab/rpc/stubs');
    await runToTheEnd(page);
    await page.getByTestId('message-pick').first().click();
    await expect(page.getByTestId('message-bytes').getByTestId('bytes-field').first()).toBeVisible();
    await axe('a run with message bytes');

    // Error states.
    await page.goto(app.url + '#/lab/nope');
    await expect(page.getByRole('alert')).toContainText(/nope/);
    await axe('an unknown lab');
    await page.goto(app.url + '#/lab/ordinary-pipes/one-way/run/999999');
    await expect(page.getByTestId('run-problem')).toBeVisible();
    await axe('a run that does not exist');
    await page.goto(app.url + '#/nowhere');
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await axe('an unknown address');
  });
}

/** Relative luminance (WCAG) of a CSS `rgb(...)` / `rgba(...)` colour. */
function luminance(css: string): number {
  const [r, g, b] = css
    .match(/[\d.]+/g)!
    .slice(0, 3)
    .map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

test('the dark theme follows prefers-color-scheme: a dark page with light text, form controls and the timeline too, and back', async ({ page, app }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await openStep(page, app.url, '#/lab/ordinary-pipes/one-way');
  await runToTheEnd(page);
  const canvas = page.getByTestId('timeline-canvas');
  const look = () =>
    page.evaluate(() => {
      const root = getComputedStyle(document.documentElement);
      const body = getComputedStyle(document.body);
      const input = document.querySelector<HTMLInputElement>('[data-param] input')!;
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="timeline-canvas"]')!;
      // A pixel of the canvas's first lane band, left of where any mark is drawn.
      const scale = c.width / c.clientWidth;
      const d = c.getContext('2d')!.getImageData(2 * scale, 40 * scale, 1, 1).data;
      return {
        page: root.backgroundColor,
        text: body.color,
        scheme: root.colorScheme,
        input: getComputedStyle(input).backgroundColor,
        canvas: `rgb(${d[0]}, ${d[1]}, ${d[2]})`,
      };
    });
  await expect(canvas).toBeVisible();
  await expect.poll(async () => luminance((await look()).canvas), { message: 'the light timeline' }).toBeGreaterThan(0.8);
  const light = await look();
  expect(light.scheme).toBe('light dark');
  expect(luminance(light.page)).toBeGreaterThan(0.8);
  expect(luminance(light.text)).toBeLessThan(0.05);

  // The scheme changes while the page is open: CSS follows, the canvas repaints from the theme.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(async () => luminance((await look()).canvas), { message: 'the timeline repainted dark' }).toBeLessThan(0.05);
  const dark = await look();
  expect(luminance(dark.page), 'the page background is dark').toBeLessThan(0.05);
  expect(luminance(dark.text), 'the text is light').toBeGreaterThan(0.6);
  expect(luminance(dark.input), 'inputs are dark too').toBeLessThan(0.05);
  await expectNoAxeViolations(page, 'a finished run after switching to dark');

  await page.emulateMedia({ colorScheme: 'light' });
  await expect.poll(async () => luminance((await look()).canvas), { message: 'the timeline repainted light' }).toBeGreaterThan(0.8);
});

/**
 * Tabs through the page from the top and, for each element focused, measures its focus ring: the
 * outline's style and width, and the contrast of its colour against the background it is drawn on
 * (the element's own for an inset ring, else its parent's; the first opaque one up the tree).
 * Returns one line per element whose ring is missing or under 3:1, and how many elements it visited.
 */
async function focusRingFindings(page: Page): Promise<{ visited: number; bad: string[] }> {
  await page.locator('body').focus();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.evaluate(() => ((globalThis as { focusSeen?: WeakSet<Element> }).focusSeen = new WeakSet()));
  let visited = 0;
  const bad: string[] = [];
  for (let i = 0; i < 400; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const seen = (globalThis as { focusSeen?: WeakSet<Element> }).focusSeen!;
      if (seen.has(el)) return 'again';
      seen.add(el);
      const lum = (css: string) => {
        const [r, g, b] = css
          .match(/[\d.]+/g)!
          .slice(0, 3)
          .map((v) => {
            const c = Number(v) / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
          });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const opaque = (from: Element | null) => {
        for (let e = from; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          const alpha = bg.startsWith('rgba') ? Number(bg.match(/[\d.]+/g)![3]) : 1;
          if (alpha > 0.5) return bg;
        }
        return getComputedStyle(document.documentElement).backgroundColor;
      };
      const style = getComputedStyle(el);
      const offset = parseFloat(style.outlineOffset);
      const behind = opaque(offset < 0 ? el : el.parentElement);
      const [a, b] = [lum(style.outlineColor), lum(behind)];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const name = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`;
      return {
        name,
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        ratio,
        color: style.outlineColor,
        behind,
      };
    });
    if (!ring) continue;
    if (ring === 'again') break; // back at the start: every stop visited
    visited++;
    if (ring.style === 'none' || ring.width < 2 || ring.ratio < 3)
      bad.push(`${ring.name}: ${ring.style} ${ring.width}px ${ring.color} on ${ring.behind}, ${ring.ratio.toFixed(2)}:1`);
  }
  return { visited, bad };
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`every element the keyboard reaches shows a focus ring of at least 3:1, ${colorScheme} colour scheme`, async ({ page, app }) => {
    test.setTimeout(120_000);
    await page.emulateMedia({ colorScheme });
    await page.goto(app.url);
    await expect(page.getByTestId('lab-card').first()).toBeVisible();
    const catalogue = await focusRingFindings(page);
    expect(catalogue.visited, 'the catalogue has links and buttons to reach').toBeGreaterThan(5);
    expect(catalogue.bad, 'focus rings on the catalogue').toEqual([]);

    await openStep(page, app.url, '#/lab/ordinary-pipes/one-way');
    await runToTheEnd(page);
    await expect(page.getByTestId('event-row').first()).toBeVisible();
    const step = await focusRingFindings(page);
    expect(step.visited, 'a step after a run has many stops: links, buttons, summaries, inputs, the timeline').toBeGreaterThan(30);
    expect(step.bad, 'focus rings on a step after a run').toEqual([]);
  });
}

test("the timeline's marks by keyboard: arrows choose events, their details in the hover's box and said politely, Enter pins the kernel view", async ({
  page,
  app,
}) => {
  await openStep(page, app.url, '#/lab/ordinary-pipes/one-way');
  await runToTheEnd(page);
  await expect(page.getByTestId('event-row').first()).toBeVisible();
  const kinds = new Set(await page.getByTestId('event-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind'))));
  const lanes = new Map(
    await page.getByTestId('lane').evaluateAll((els) => els.map((el) => [el.getAttribute('data-pid')!, el.getAttribute('data-role')!] as const)),
  );
  expect(lanes.size, 'a parent and a child').toBe(2);

  const canvas = page.getByTestId('timeline-canvas');
  const details = page.getByTestId('timeline-details');
  const spoken = page.getByTestId('timeline-selection');
  /** The event the details box names: its process and kind, checked against the run's own. */
  const named = async () => {
    const title = (await details.locator('.hover-title').textContent())!;
    const match = /· (\S+) \(pid (\d+)\) · (\S+)$/.exec(title);
    expect(match, `"${title}" names a process and an event kind`).not.toBeNull();
    const [, role, pid, kind] = match!;
    expect(lanes.get(pid!), `pid ${pid} is a process of the run`).toBe(role);
    expect(kinds.has(kind!), `${kind} is a kind of event in the run`).toBe(true);
    return { title, pid: pid! };
  };

  await canvas.focus();
  await expect(details).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(details).toBeVisible();
  const first = await named();
  await expect(spoken).toContainText(`Event 1 of `);
  await expect(spoken).toContainText(first.title);
  await expect(canvas).toHaveAttribute('aria-valuetext', first.title);

  await page.keyboard.press('ArrowRight');
  await expect(details.locator('.hover-title')).not.toHaveText(first.title);
  const second = await named();
  await expect(spoken).toContainText(`Event 2 of `);
  await expect(spoken).toContainText(second.title);
  await expectNoAxeViolations(page, 'the timeline with a mark chosen by keyboard');

  // Down: the other process's lane.
  await page.keyboard.press('ArrowDown');
  await expect.poll(async () => (await named()).pid).not.toBe(second.pid);
  // End, then Home: the last and the first event.
  await page.keyboard.press('End');
  await expect(spoken).toContainText(/Event (\d+) of \1:/);
  await page.keyboard.press('Home');
  await expect(details.locator('.hover-title')).toHaveText(first.title);

  // Esc lets go of the event, Esc again clears the cursor; Enter on an event pins the kernel view there.
  await page.keyboard.press('Escape');
  await expect(details).toHaveCount(0);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('timeline-cursor')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('timeline-cursor')).toBeVisible();
  // Leaving the timeline hides the box; coming back shows the same event.
  await page.getByTestId('kernel-live').focus();
  await expect(details).toHaveCount(0);
  await canvas.focus();
  await expect(details.locator('.hover-title')).toHaveText(first.title);
});
