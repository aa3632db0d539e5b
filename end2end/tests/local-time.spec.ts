import { test, expect } from './fixtures';
import { logIn } from './helpers';
import type { Page } from '@playwright/test';

// Half an hour off UTC, so that neither the hour nor the minute can pass by chance.
test.use({ timezoneId: 'Asia/Kolkata' });

/** What each `<time>` on the page should read, from its `datetime`, in Kolkata. */
async function timesOnThePage(page: Page) {
  return page.locator('tbody time').evaluateAll((elements) =>
    elements.map((element) => {
      const at = new Date(element.getAttribute('datetime')!);
      const parts = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Kolkata',
        hourCycle: 'h23',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        day: 'numeric',
        month: 'numeric',
        year: 'numeric',
      }).formatToParts(at);
      const part = (type: string) => parts.find((p) => p.type === type)!.value;
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      return {
        shown: element.textContent ?? '',
        day: `${Number(part('day'))} ${months[Number(part('month')) - 1]} ${part('year')}`,
        time: `${part('hour')}:${part('minute')}`,
        second: part('second'),
      };
    }),
  );
}

test('sessions and the audit log show times in the member’s own time zone', async ({ page }) => {
  await logIn(page, 'manager');

  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByTestId('session-row').first()).toBeVisible();
  const sessions = await timesOnThePage(page);
  expect(sessions.length).toBeGreaterThan(0);
  for (const { shown, day, time } of sessions) {
    expect(shown).toContain(`${day}, ${time}`);
    expect(shown).not.toContain('UTC');
  }

  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByTestId('audit-row').first()).toBeVisible();
  const events = await timesOnThePage(page);
  expect(events.length).toBeGreaterThan(0);
  for (const { shown, day, time, second } of events) {
    // To the second: an audit log tells apart what happened in one minute.
    expect(shown).toContain(`${day}, ${time}:${second}`);
    expect(shown).not.toContain('UTC');
  }
});
