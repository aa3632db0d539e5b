import { test, expect } from './fixtures';
import { createSetlist, logIn } from './helpers';

/** A small phone: whatever the band types, nothing scrolls sideways. */
test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

const unbroken = (length: number) => 'Supercalifragilistic'.repeat(Math.ceil(length / 20)).slice(0, length);

async function expectNoSidewaysScroll(page: import('@playwright/test').Page, what: string) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${what}: page width at 360 px`).toBeLessThanOrEqual(360);
}

test('no horizontal overflow at 360 px with 200-character unbroken words', async ({ page, request }) => {
  const id = await createSetlist(request, unbroken(120), [
    { title: unbroken(200), artist: unbroken(120), duration_secs: 200, bpm: 120, key: 'E', notes: unbroken(400) },
    { title: 'Short one', artist: 'The Band', duration_secs: 180, bpm: 96, key: 'A', notes: '' },
  ]);
  // Each page also names itself in the tab.
  const pages: [string, string, string][] = [
    ['the overview', '/setlists', 'Setlists · Backstage'],
    ['the editor', `/setlists/${id}`, 'Setlist · Backstage'],
    ['the stage view', `/setlists/${id}/stage`, 'Stage · Backstage'],
    ['the print sheet', `/setlists/${id}/print`, 'Print · Backstage'],
  ];
  await logIn(page, 'manager');
  for (const [what, path, title] of pages) {
    await page.goto(path);
    await expect(page.getByText('Short one').first().or(page.getByTestId('setlist-row').first())).toBeVisible();
    await expect(page).toHaveTitle(title);
    await expectNoSidewaysScroll(page, `manager, ${what}`);
  }
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByText('Short one').first()).toBeVisible();
  await expectNoSidewaysScroll(page, "drummer, the drummer's page");
});
