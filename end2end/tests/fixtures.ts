import { test as base, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { serverLogs } from '../playwright.config';

/** What each server has written to its stderr (playwright.config.ts), from `from` on. */
function serverOutput(from: number[] = []): string[] {
  return serverLogs.map((log, i) => {
    try {
      return readFileSync(log, 'utf8').slice(from[i] ?? 0);
    } catch {
      return ''; // not started yet
    }
  });
}

/**
 * Every test fails on a browser console error or an uncaught exception:
 * a hydration mismatch or a CSP violation shows up there first.
 */
export const test = base.extend<{
  expectedHttpErrors: number[];
  consoleErrors: string[];
  serverPanics: void;
}>({
  /** HTTP statuses a test provokes on purpose (a wrong password's 401): Chromium logs those too. */
  expectedHttpErrors: [[], { option: true }],
  consoleErrors: [
    async ({ page, expectedHttpErrors }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const status = /responded with a status of (\d+)/.exec(message.text());
        if (status && expectedHttpErrors.includes(Number(status[1]))) return;
        errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await use(errors);
      expect(errors, 'browser console errors').toEqual([]);
    },
    { auto: true },
  ],
  /**
   * Every test fails if a server panicked while it ran. A panic in a task that
   * streams a page's HTML breaks the response off mid-page, and the browser
   * may show what it already had; the server's stderr is where it shows.
   */
  serverPanics: [
    async ({}, use) => {
      const before = serverOutput().map((output) => output.length);
      await use();
      const panics = serverOutput(before)
        .join('\n')
        .split('\n')
        .filter((line) => line.includes(' panicked at '));
      expect(panics, 'server panics').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
