import { test as base, expect } from '@playwright/test';

/**
 * Every test fails on a browser console error or an uncaught exception:
 * a hydration mismatch or a CSP violation shows up there first.
 */
export const test = base.extend<{ expectedHttpErrors: number[]; consoleErrors: string[] }>({
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
});

export { expect };
