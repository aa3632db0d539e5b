import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn } from './helpers';

// Screenshots of the main pages for the README (docs/screenshots/).
const shot = (name: string) => ({ path: `../docs/screenshots/${name}.png`, fullPage: true });

test('screenshots of the main pages', async ({ page, browser, request }) => {
  const id = await createSetlist(request, 'Friday at the Roxy', [
    { title: 'Everlong', artist: 'Foo Fighters', duration_secs: 250, bpm: 158, key: 'D' },
    { title: 'Monkey Wrench', artist: 'Foo Fighters', duration_secs: 231, bpm: 175, key: 'B' },
    { title: 'My Hero', artist: 'Foo Fighters', duration_secs: 260, bpm: 152, key: 'E' },
  ]);
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.screenshot(shot('login'));

  await logIn(page, 'manager');
  await expect(page.getByTestId('setlist-row').first()).toBeVisible();
  await page.screenshot(shot('setlists'));
  await page.goto(`/setlists/${id}`);
  await expect(page.getByTestId('song').first()).toBeVisible();
  await page.screenshot(shot('editor'));
  await page.getByRole('link', { name: 'Songs' }).click();
  await expect(page.getByTestId('library-row').first()).toBeVisible();
  await page.getByLabel('Search').fill('Foo Fighters');
  await expect(page.getByTestId('library-row').filter({ hasText: 'Monkey Wrench' })).toBeVisible();
  await page.screenshot(shot('library'));
  await page.getByRole('link', { name: 'Your pass' }).click();
  await expect(page.getByTestId('kid-check')).toBeVisible();
  await page.screenshot(shot('pass'));
  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page.getByTestId('session-row').first()).toBeVisible();
  await page.screenshot(shot('sessions'));

  const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await logIn(phone, 'drummer');
  await phone.goto(`/setlists/${id}`);
  await expect(phone.getByTestId('song').first()).toBeVisible();
  await phone.screenshot(shot('drummer-phone'));

  const stage = await (await browser.newContext({ viewport: { width: 844, height: 390 }, isMobile: true, hasTouch: true })).newPage();
  await logIn(stage, 'drummer');
  await stage.goto(`/setlists/${id}/stage`);
  await expect(stage.getByTestId('stage-title')).toHaveText('Everlong');
  await stage.screenshot({ path: '../docs/screenshots/stage-phone.png' });

  await phone.goto(`/setlists/${id}/print`);
  await expect(phone.getByTestId('sheet-song').first()).toBeVisible();
  await phone.setViewportSize({ width: 794, height: 1123 });
  await phone.emulateMedia({ media: 'print' });
  await phone.screenshot(shot('print-sheet'));

  // The running order of a show in sets, on a manager's phone, one song open.
  const sets = await createSetlistInSets(request);
  const managerPhone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await logIn(managerPhone, 'manager');
  await managerPhone.goto(`/setlists/${sets}`);
  await expect(managerPhone.getByTestId('set-heading')).toHaveCount(2);
  await managerPhone.getByRole('button', { name: 'Edit Monkey Wrench' }).click();
  await managerPhone.screenshot(shot('running-order-phone'));
  // Left open, their pages would hold live streams (8 per member at most)
  // for the rest of the run.
  for (const other of [phone, stage, managerPhone]) await other.context().close();
});

async function createSetlistInSets(request: import('@playwright/test').APIRequestContext): Promise<string> {
  const { token } = await apiToken(request, 'manager');
  const song = (title: string, duration_secs: number, bpm: number, key: string) => ({ title, artist: 'Foo Fighters', duration_secs, bpm, key });
  const created = await request.post('/api/setlists', {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      name: 'Saturday, two sets', show_date: '2037-12-05', venue: 'The Roxy',
      sets: [
        { name: 'Set 1', songs: [song('Everlong', 250, 158, 'D'), song('Monkey Wrench', 231, 175, 'B')] },
        { name: 'Encore', songs: [song('My Hero', 260, 152, 'E')] },
      ],
    },
  });
  expect(created.status()).toBe(201);
  return (await created.json()).id;
}
