import { test, expect } from './fixtures';
import { createSetlist, logIn } from './helpers';

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
});
