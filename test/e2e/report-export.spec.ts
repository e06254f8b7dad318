/**
 * Reports leave the app, and a run going on is never lost from sight: in the real UI over real runs of
 * the ordinary-pipes lab (fast, no fixed ports).
 *
 * - Export report from a lab page (HTML), the name asked at the first export; the saved file opens
 *   with every network request blocked and still shows the student, the prediction, each check of the
 *   run and the timeline image.
 * - JSON parses as ipc-lab-report/1; the catalogue's export covers every lab; the name is asked once.
 * - A fresh data folder has nothing to report: the dialog says so and exports an empty report on request.
 * - PDF in browser mode lays the report out for the browser's print dialog.
 * - The run indicator: a long run seen from the catalogue, after a reload too, stopped from there.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Download, Page } from '@playwright/test';
import { expect, test, labCard } from './app-fixture.js';

const PREDICTION = 'The messages arrive in the order sent; writing into the read end fails with EBADF.';

/** Opens the ordinary-pipes lab at a step (by its title in the step list). */
async function openStep(page: Page, url: string, stepTitle: string): Promise<void> {
  await page.goto(url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('step-link').filter({ hasText: stepTitle }).click();
  await expect(page.getByTestId('step-body')).toBeVisible();
}

/** Runs the step shown with its own parameters and waits for the run to end; returns its check titles. */
async function runToTheEnd(page: Page): Promise<string[]> {
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText(/^(passed|failed|completed)$/, { timeout: 30_000 });
  const checks = page.getByTestId('check');
  await expect(checks.first()).toBeVisible();
  return checks.evaluateAll((items) => items.map((item) => item.querySelector('.title')!.firstChild!.textContent!.trim()));
}

async function textOf(download: Download): Promise<string> {
  const path = await download.path();
  return readFileSync(path, 'utf8');
}

/** Exports with the dialog open and its choices made; returns the downloaded file's name and text. */
async function exportAndDownload(page: Page): Promise<{ name: string; text: string }> {
  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-submit').click();
  const download = await downloading;
  await expect(page.getByTestId('export-done')).toContainText(download.suggestedFilename());
  return { name: download.suggestedFilename(), text: await textOf(download) };
}

/** A page in its own context where every request is refused, holding `html`; `requests` lists any it tried. */
async function openOffline(browser: Browser, html: string): Promise<{ page: Page; requests: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const requests: string[] = [];
  await context.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.setContent(html);
  return { page, requests, close: () => context.close() };
}

test('a report exported from the lab page opens offline with the name, the prediction, every check and the timeline', async ({ page, app, browser }) => {
  await openStep(page, app.url, 'One direction only');
  await page.getByTestId('prediction').fill(PREDICTION);
  await expect(page.getByTestId('answer-status')).toHaveText(/saved/i);
  const checkTitles = await runToTheEnd(page);
  expect(checkTitles.length).toBeGreaterThan(0);

  const exportButton = page.getByTestId('export-report');
  await exportButton.click();
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('export-scope')).toContainText('the Ordinary pipes lab');
  // The first export asks who the report is for, the cursor already in the name.
  await expect(page.getByTestId('identity-form')).toContainText('A pseudonym is allowed');
  await expect(page.getByTestId('identity-name')).toBeFocused();
  await page.getByTestId('export-submit').click();
  await expect(page.getByTestId('identity-error')).toContainText('Give a name');
  await expect(page.getByTestId('identity-name')).toBeFocused();
  await page.getByTestId('identity-name').fill('Grace Pseudonym');
  await page.getByTestId('identity-student-id').fill('s-4711');
  await expect(page.getByTestId('export-format-html')).toBeChecked();

  const { name, text: html } = await exportAndDownload(page);
  expect(name).toMatch(/\.html$/);
  // Kept, and shown instead of the form from now on.
  await expect(page.getByTestId('identity-summary')).toContainText('Grace Pseudonym');
  await expect(page.getByTestId('identity-summary')).toContainText('s-4711');
  await expect(page.getByTestId('identity-form')).toHaveCount(0);

  // Esc closes the dialog and gives the focus back to the button that opened it.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(exportButton).toBeFocused();

  const offline = await openOffline(browser, html);
  try {
    const report = offline.page.locator('body');
    await expect(report).toContainText('Grace Pseudonym');
    await expect(report).toContainText(PREDICTION);
    for (const title of checkTitles) await expect(report).toContainText(title);
    const timeline = offline.page.locator('svg[role="img"]');
    await expect(timeline.first()).toBeVisible();
    expect(await timeline.count()).toBeGreaterThan(0);
    expect(offline.requests, 'the report asked the network for something').toEqual([]);
  } finally {
    await offline.close();
  }
});

test('JSON parses as ipc-lab-report/1, the catalogue exports every lab, and the name is asked only once', async ({ page, app }) => {
  await openStep(page, app.url, 'One direction only');
  await runToTheEnd(page);

  await page.getByTestId('export-report').click();
  await page.getByTestId('identity-name').fill('Ada Example');
  await page.getByTestId('export-format-json').check();
  const json = await exportAndDownload(page);
  expect(json.name).toMatch(/\.json$/);
  const report = JSON.parse(json.text);
  expect(report.format).toBe('ipc-lab-report/1');
  expect(report.student).toEqual({ name: 'Ada Example', studentId: null });
  expect(report.labs.map((lab: { id: string }) => lab.id)).toHaveLength(1);
  await page.getByTestId('export-close').click();
  await expect(page.getByTestId('export-dialog')).toBeHidden();

  // The catalogue's button reports on every lab; the name is known now, and survives a reload.
  await page.goto(app.url);
  await page.reload();
  const allLabs = page.getByTestId('export-report');
  await expect(allLabs).toHaveAttribute('data-lab-id', 'all');
  await allLabs.click();
  await expect(page.getByTestId('export-scope')).toContainText('every lab');
  await expect(page.getByTestId('identity-summary')).toContainText('Ada Example');
  await expect(page.getByTestId('identity-form')).toHaveCount(0);
  // The format chosen lasts as long as the page: after the reload it is HTML again.
  await expect(page.getByTestId('export-format-html')).toBeChecked();
  await page.getByTestId('export-format-json').check();
  const all = JSON.parse((await exportAndDownload(page)).text);
  expect(all.labId).toBeNull();
  expect(all.labs.length).toBeGreaterThan(1);
  expect(all.summary.length).toBe(all.labs.length);

  // Changing the name: the form comes back filled in, and the next report carries the new one.
  await page.getByTestId('identity-change').click();
  await expect(page.getByTestId('identity-name')).toHaveValue('Ada Example');
  await expect(page.getByTestId('identity-name')).toBeFocused();
  await page.getByTestId('identity-name').fill('Ada Renamed');
  const renamed = JSON.parse((await exportAndDownload(page)).text);
  expect(renamed.student.name).toBe('Ada Renamed');
});

test('a fresh data folder has nothing to report: the dialog says so and exports an empty report when asked', async ({ page, app }) => {
  await page.goto(app.url);
  await page.getByTestId('export-report').click();
  await page.getByTestId('identity-name').fill('Nobody Yet');
  await page.getByTestId('export-submit').click();
  const nothing = page.getByTestId('nothing-to-report');
  await expect(nothing).toContainText('There is nothing to report yet');
  await expect(nothing).toContainText('export an empty report');
  await expect(page.getByTestId('export-done')).toHaveText('');

  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-empty').click();
  const html = await textOf(await downloading);
  await expect(nothing).toHaveCount(0);
  expect(html).toContain('Nobody Yet');
  expect(html).toContain('Ordinary pipes');
});

test('PDF in browser mode lays the report out for the print dialog', async ({ page, app }) => {
  await openStep(page, app.url, 'One direction only');
  await runToTheEnd(page);
  await page.getByTestId('export-report').click();
  await page.getByTestId('identity-name').fill('Printing Person');
  await page.getByTestId('export-format-pdf').check();
  await expect(page.getByTestId('export-dialog')).toContainText('choose “Save as PDF”');
  await page.getByTestId('export-submit').click();
  await expect(page.getByTestId('export-done')).toContainText('print dialog');
  // Headless Chromium shows no print dialog; what it would print is the report, in a frame of its own
  // that runs no script of the report's.
  const frame = page.getByTestId('report-print-frame');
  await expect(frame).toHaveAttribute('sandbox', 'allow-same-origin allow-modals');
  await expect(page.frameLocator('[data-testid="report-print-frame"]').locator('body')).toContainText('Printing Person');
  await expect(page.frameLocator('[data-testid="report-print-frame"]').locator('svg[role="img"]').first()).toBeAttached();
});

test('the run indicator follows a long run to the catalogue, after a reload too, and its Stop ends the run', async ({ page, app }) => {
  await openStep(page, app.url, 'How much does a pipe hold?');
  // The child waits 30 s before reading: the run stays live until it is stopped.
  await page.locator('[data-param="readerDelayMs"] input').fill('30000');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('running');

  const indicator = page.getByTestId('run-indicator');
  await expect(indicator).toBeVisible();
  const runId = await indicator.getAttribute('data-run-id');
  expect(runId).toMatch(/^\d+$/);
  await expect(page.getByTestId('run-indicator-label')).toHaveText(`Run ${runId} is going: Ordinary pipes, How much does a pipe hold?`);

  // A reload during the run finds it again, and so does the catalogue.
  await page.reload();
  await expect(indicator).toHaveAttribute('data-run-id', runId!);
  await page.getByRole('link', { name: 'IPC Lab' }).click();
  await expect(page.getByTestId('lab-card').first()).toBeVisible();
  await expect(page.getByTestId('run-indicator-label')).toHaveText(`Run ${runId} is going: Ordinary pipes, How much does a pipe hold?`);
  const open = page.getByTestId('run-indicator-open');
  await expect(open).toHaveAttribute('href', new RegExp(`^#/lab/[a-z0-9-]+/[a-z0-9-]+/run/${runId}$`));
  const runPage = (await open.getAttribute('href'))!;
  await expect(page.getByTestId('run-indicator-elapsed')).not.toHaveText('0:00');

  const stop = page.getByTestId('run-indicator-stop');
  await expect(stop).toHaveAccessibleName(`Stop run ${runId}`);
  await stop.click();
  await expect(indicator).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId('run-indicator-ended')).toHaveText(`Run ${runId} ended: stopped.`);
  await expect(page.getByTestId('run-indicator-ended')).toHaveAttribute('data-status', 'stopped');

  // The page the indicator linked to agrees: that run ended stopped.
  await page.goto(`${app.url}${runPage}`);
  await expect(page.getByTestId('run-status')).toHaveText('stopped');
});
