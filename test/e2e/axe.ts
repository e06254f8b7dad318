/**
 * The accessibility check every end-to-end spec may call: axe-core (through @axe-core/playwright) over
 * the page as it is now, at WCAG 2.1 A and AA plus axe's best practices. No rule is turned off; a
 * failure lists each violation with the elements it found and why, so the fix can start from the
 * message alone.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './app-fixture.js';

/** The rule sets checked: WCAG 2.0 and 2.1 at levels A and AA, and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** One violation, as a reader of a failed test needs it. */
export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** Runs axe over the whole page and returns what it found (empty when the page passes). */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact ?? 'unknown',
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
  }));
}

/** Readable text for a list of findings: rule, impact, help, then each element and why (at most 8). */
export function describeFindings(findings: AxeFinding[]): string {
  return findings
    .map((f) => {
      const nodes = f.nodes.slice(0, 8).map((n) => `    ${n.target}\n      ${n.summary.replace(/\n/g, '\n      ')}`);
      if (f.nodes.length > 8) nodes.push(`    … and ${f.nodes.length - 8} more`);
      return `${f.rule} (${f.impact}): ${f.help}\n${nodes.join('\n')}`;
    })
    .join('\n');
}

/**
 * Expects axe to find nothing on the page as it is now; `where` names the page and state in the failure.
 * Soft: the test goes on to its other states, so one run lists every violation of every state.
 */
export async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  const findings = await axeFindings(page);
  expect.soft(findings.length, `axe violations on ${where}:\n${describeFindings(findings)}`).toBe(0);
}
