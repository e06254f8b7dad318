/**
 * Reading a lab as its author means it: the Programs panel keeps the lab's own files apart from IPC
 * Lab's library and tells same-named files apart (the RPC lab has a programs/matchmaker.ts and the
 * library's rpc/matchmaker.ts); the timeline's legend, opened after a real run, shows every mark kind
 * the timeline can draw, each glyph painted in its theme colour.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARK_KINDS } from '../../main/contract/trace-marks.js';
import { MARK_VARS } from '../../renderer/src/lib/trace/trace-painter.js';
import { expect, test, labCard } from './app-fixture.js';
import { expectNoAxeViolations } from './axe.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test("the Programs panel groups the lab's files and the library's, and tells same-named files apart", async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'rpc').click();

  const labGroup = page.locator('[data-testid="program-group"][data-origin="lab"]');
  const libraryGroup = page.locator('[data-testid="program-group"][data-origin="library"]');
  await expect(labGroup.getByRole('tablist', { name: "This lab's programs and checks" })).toBeVisible();
  await expect(libraryGroup.getByRole('tablist', { name: "IPC Lab's library" })).toBeVisible();

  // Every file in its group: the lab's are relative to its folder, the library's under main/.
  const paths = (group: typeof labGroup) => group.getByTestId('program-tab').evaluateAll((tabs) => tabs.map((t) => t.getAttribute('data-path') ?? ''));
  const labPaths = await paths(labGroup);
  const libraryPaths = await paths(libraryGroup);
  expect(labPaths).toContain('checks.ts');
  expect(
    labPaths.every((p) => p === 'checks.ts' || p.startsWith('programs/')),
    labPaths.join(', '),
  ).toBe(true);
  expect(libraryPaths.length).toBeGreaterThan(0);
  expect(
    libraryPaths.every((p) => p.startsWith('main/')),
    libraryPaths.join(', '),
  ).toBe(true);

  // The two matchmakers: each label shows the folder that tells it apart, each tooltip the whole path.
  const ownMatchmaker = labGroup.locator('[data-testid="program-tab"][data-path="programs/matchmaker.ts"]');
  const libraryMatchmaker = libraryGroup.locator('[data-testid="program-tab"][data-path="main/runtime/rpc/matchmaker.ts"]');
  await expect(ownMatchmaker).toHaveText('programs/matchmaker.ts');
  await expect(libraryMatchmaker).toHaveText('rpc/matchmaker.ts');
  await expect(ownMatchmaker).toHaveAttribute('title', 'programs/matchmaker.ts');
  await expect(libraryMatchmaker).toHaveAttribute('title', 'main/runtime/rpc/matchmaker.ts');
  // A name used once stays bare; no two tabs read alike.
  await expect(libraryGroup.locator('[data-testid="program-tab"][data-path="main/runtime/rpc/client.ts"]')).toHaveText('client.ts');
  const labels = await page.getByTestId('program-tab').evaluateAll((tabs) => tabs.map((t) => t.textContent?.replace(/\s+/g, ' ').trim() ?? ''));
  expect(new Set(labels).size, labels.join(' | ')).toBe(labels.length);

  // The keyboard: ← → Home End within a group, Tab on to the other group's list.
  const firstLab = labGroup.getByTestId('program-tab').first();
  await firstLab.focus();
  await page.keyboard.press('End');
  const lastLab = labGroup.getByTestId('program-tab').last();
  await expect(lastLab).toBeFocused();
  await expect(lastLab).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Tab');
  const firstLibrary = libraryGroup.getByTestId('program-tab').first();
  await expect(firstLibrary).toBeFocused();
  await page.keyboard.press('ArrowRight');
  const secondLibrary = libraryGroup.getByTestId('program-tab').nth(1);
  await expect(secondLibrary).toBeFocused();
  await expect(secondLibrary).toHaveAttribute('aria-selected', 'true');
  await expect(lastLab).toHaveAttribute('aria-selected', 'false');
  await expect(page.getByTestId('program-path')).toHaveText(`${libraryPaths[1]} · IPC Lab's library`);
  const source = readFileSync(join(root, libraryPaths[1]!), 'utf8');
  expect(await page.locator('#code-panel pre code').textContent()).toBe(source);

  await expectNoAxeViolations(page, 'the RPC lab with a library file chosen in the Programs panel');
});

test('the legend, opened, shows every mark kind the timeline draws, each glyph in its theme colour', async ({ page, app }) => {
  await page.goto(app.url);
  await labCard(page, 'ordinary-pipes').click();
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveText('passed', { timeout: 45_000 });

  const legend = page.getByTestId('trace-legend');
  await expect(legend).not.toHaveAttribute('open');
  await expect(legend.getByTestId('legend-mark').first()).toBeHidden();
  await legend.getByText('Legend', { exact: true }).click();
  await expect(legend).toHaveAttribute('open');

  const rows = legend.getByTestId('legend-mark');
  await expect(rows).toHaveCount(MARK_KINDS.length);
  expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-kind')))).toEqual([...MARK_KINDS]);
  for (const kind of MARK_KINDS) await expect(legend.locator(`[data-testid="legend-mark"][data-kind="${kind}"]`)).toBeVisible();
  await expect(legend.locator('[data-kind="reap"]')).toContainText('a parent’s waitpid returned: its child ended');
  await expect(legend.locator('[data-kind="reap"]')).toContainText('child.exit');
  for (const item of ['blocked', 'arrow', 'occupancy', 'cursor', 'now', 'selection'])
    await expect(legend.locator(`[data-testid="legend-item"][data-item="${item}"]`)).toBeVisible();

  // Each mark's glyph has pixels of exactly its theme colour (--mark-<kind>): drawMark painted it.
  const painted = await rows.evaluateAll(
    (els, vars) =>
      els.map((el) => {
        const kind = el.getAttribute('data-kind')!;
        const canvas = el.querySelector('canvas')!;
        const probe = document.createElement('canvas').getContext('2d')!;
        probe.fillStyle = getComputedStyle(canvas).getPropertyValue(vars[kind]!).trim();
        const hex = probe.fillStyle; // normalised to #rrggbb
        const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] === want[0] && data[i + 1] === want[1] && data[i + 2] === want[2]) count++;
        return [kind, count] as const;
      }),
    MARK_VARS as Record<string, string>,
  );
  for (const [kind, count] of painted) expect(count, `${kind}'s glyph has pixels of its colour`).toBeGreaterThan(0);

  await expectNoAxeViolations(page, 'a finished run with the timeline legend open');
});
