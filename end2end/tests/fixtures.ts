import { test as base, expect } from '@playwright/test';
import { serverLogs } from '../playwright.config';
import { panicsSince } from '../panics';

/**
 * Every test fails on a browser console error or an uncaught exception:
 * a hydration mismatch or a CSP violation shows up there first.
 */
export const test = base.extend<
  { expectedHttpErrors: number[]; consoleErrors: string[]; serverPanics: void },
  { checkedServerLogs: number[] }
>({
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
      // A live stream refused for its member's cap (429), which streams of
      // pages from the tests before may still hold for a while: the page
      // waits the Retry-After and connects again, as a member's would.
      let streamsRefused = 0;
      page.on('response', (response) => {
        if (response.status() === 429 && new URL(response.url()).pathname === '/api/events') streamsRefused += 1;
      });
      await use(errors);
      const refusal = 'responded with a status of 429';
      const unexpected = errors.filter((error) => !(error.includes(refusal) && streamsRefused-- > 0));
      expect(unexpected, 'browser console errors').toEqual([]);
    },
    { auto: true },
  ],
  /**
   * Every test fails if a server panicked while it ran. A panic in a task that
   * streams a page's HTML breaks the response off mid-page, and the browser
   * may show what it already had; the server's stderr is where it shows.
   * Each check starts where the last one stopped, so a panic after a test's
   * check (its page closing) fails the next test, or the worker at the end.
   */
  serverPanics: [
    async ({ checkedServerLogs }, use) => {
      await use();
      const panics = serverLogs.flatMap((log, i) => {
        const { panics, next } = panicsSince(log, checkedServerLogs[i]);
        checkedServerLogs[i] = next;
        return panics;
      });
      expect(panics, 'server panics').toEqual([]);
    },
    { auto: true },
  ],
  /** How far each server's stderr copy (playwright.config.ts) has been checked. */
  checkedServerLogs: [
    async ({}, use) => {
      // From where the logs stand: a worker before this one checked the rest.
      const checked = serverLogs.map((log) => panicsSince(log, 0).next);
      await use(checked);
      const panics = serverLogs.flatMap((log, i) => panicsSince(log, checked[i]).panics);
      expect(panics, 'server panics after the last test').toEqual([]);
    },
    { scope: 'worker', auto: true },
  ],
});

export { expect };
