import { test, expect } from './fixtures';
import { logIn } from './helpers';
import type { Page } from '@playwright/test';

// Half an hour off UTC, so that neither the hour nor the minute can pass by chance.
test.use({ timezoneId: 'Asia/Kolkata' });

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Each `<time>` in the page's table: what it shows, and its `datetime` as
 * Kolkata reads it ("Mon 7 Dec 2026, 01:35:12"), worked out here, not by the app. */
async function timesInTheTable(page: Page) {
  const times = await page.locator('tbody time').evaluateAll((elements) =>
    elements.map((element) => {
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Kolkata',
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }).formatToParts(new Date(element.getAttribute('datetime')!));
      const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
      return { shown: element.textContent ?? '', year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second') };
    }),
  );
  expect(times.length).toBeGreaterThan(0);
  const two = (n: number) => String(n).padStart(2, '0');
  return times.map(({ shown, year, month, day, hour, minute, second }) => {
    const weekday = DAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()];
    const minutes = `${weekday} ${day} ${MONTHS[month - 1]} ${year}, ${two(hour)}:${two(minute)}`;
    return { shown, minutes, seconds: `${minutes}:${two(second)}` };
  });
}

test('sessions and the audit log show times in the member’s own time zone, also when opened by their address', async ({ page }) => {
  await logIn(page, 'manager');

  await page.getByRole('link', { name: 'Sessions', exact: true }).click();
  await expect(page.getByTestId('session-row').first()).toBeVisible();
  for (const { shown, minutes } of await timesInTheTable(page)) expect(shown).toBe(minutes);

  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page.getByTestId('audit-row').first()).toBeVisible();
  // To the second: an audit log tells apart what happened within a minute.
  for (const { shown, seconds } of await timesInTheTable(page)) expect(shown).toBe(seconds);

  // Opened by address, the server's HTML has no times (the sign-in guard
  // shows the page once it has hydrated): a mismatch would be a console error.
  for (const [path, row] of [['/sessions', 'session-row'], ['/audit', 'audit-row']]) {
    await page.goto(path);
    await expect(page.getByTestId(row).first()).toBeVisible();
    expect((await timesInTheTable(page)).every(({ shown }) => !shown.includes('UTC'))).toBe(true);
  }
});
