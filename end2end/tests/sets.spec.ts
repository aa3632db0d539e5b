import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn } from './helpers';

const songs = ['One', 'Two', 'Three', 'Four', 'Five'].map((title) => ({ title, duration_secs: 200 }));

async function setlistOf(request: import('@playwright/test').APIRequestContext, id: string) {
  const { token } = await apiToken(request, 'manager');
  return (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
}

async function setsOf(request: import('@playwright/test').APIRequestContext, id: string) {
  const setlist = await setlistOf(request, id);
  return setlist.sets.map((set: { name: string; songs: { title: string }[] }) => [set.name, set.songs.map((s) => s.title)]);
}

async function slotsOf(request: import('@playwright/test').APIRequestContext, id: string) {
  const setlist = await setlistOf(request, id);
  return setlist.sets.map((set: { slot_secs?: number }) => set.slot_secs ?? null);
}

test('a three-set show is built in the editor by keyboard alone, saved, and printed with its sets', async ({ page, browser, request }) => {
  const id = await createSetlist(request, 'Three sets', songs);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Three sets');

  const press = async (name: string) => {
    const button = page.getByRole('button', { name });
    await button.focus();
    await page.keyboard.press('Enter');
  };
  await press('Edit all songs');
  await press('Start a new set with Three');
  await expect(page.getByTestId('set-heading')).toHaveCount(2);
  await press('Start a new set with Five');
  await expect(page.getByTestId('set-heading')).toHaveCount(3);
  // The new set's name has the focus, selected: typing replaces "Set 3".
  await expect(page.getByLabel('Set 3 name')).toBeFocused();
  await page.keyboard.type('Encore');
  await expect(page.getByLabel('Set 3 name')).toHaveValue('Encore');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  // Moving a song up across a break puts it in the set before.
  await press('Move Four up');
  await expect(page.getByTestId('set-heading').nth(1)).toContainText('1 song');
  // Each set may have a slot on stage, and says how it fits.
  const lengths = page.getByTestId('set-length');
  await page.getByLabel('Set 1 slot (minutes)').fill('8');
  await expect(lengths.nth(0)).toHaveText('3 songs · total 10:00 (10 min) · 2 min over the 8 min slot');
  await expect(lengths.nth(0)).toHaveClass(/over/);
  await page.getByLabel('Set 3 slot (minutes)').fill('5 min');
  await expect(lengths.nth(2)).toContainText('the slot must be minutes, like 45');
  await press('Save setlist');
  await expect(page.getByRole('alert')).toContainText('Set 3 slot must be minutes, like 45');
  await page.getByLabel('Set 3 slot (minutes)').fill('5');
  await expect(lengths.nth(2)).toHaveText('1 song · total 3:20 (3 min) · 2 min to spare in the 5 min slot');
  await press('Save setlist');
  await expect(page.getByText('Saved.')).toBeVisible();

  expect(await setsOf(request, id)).toEqual([
    ['Set 1', ['One', 'Two', 'Four']],
    ['Set 2', ['Three']],
    ['Encore', ['Five']],
  ]);
  expect(await slotsOf(request, id)).toEqual([480, null, 300]);

  // The drummer sees the sets too.
  const drummer = await (await browser.newContext()).newPage();
  await logIn(drummer, 'drummer');
  await drummer.goto(`/setlists/${id}`);
  await expect(drummer.getByRole('heading', { name: 'Encore' })).toBeVisible();
  await expect(drummer.getByRole('heading', { name: 'Set 2' })).toBeVisible();
  await drummer.context().close();

  await page.goto(`/setlists/${id}/print`);
  await expect(page.getByRole('heading', { name: 'Encore' })).toBeVisible();
  await expect(page.getByTestId('sheet-song')).toHaveCount(5);

  // Duplicate: the next show, same sets and songs.
  await page.goto(`/setlists/${id}`);
  await press('Duplicate');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Three sets (copy)');
  const copyId = page.url().split('/').pop()!;
  expect(copyId).not.toBe(id);
  expect(await setsOf(request, copyId)).toEqual(await setsOf(request, id));

  // Joining a set back: one set again, sent as the plain list.
  await page.goto(`/setlists/${id}`);
  await press('Join “Set 2” to the set before');
  await press('Join “Encore” to the set before');
  await expect(page.getByTestId('set-heading')).toHaveCount(0);
  await press('Save setlist');
  await expect(page.getByText('Saved.')).toBeVisible();
  expect(await setsOf(request, id)).toEqual([['Set 1', ['One', 'Two', 'Four', 'Three', 'Five']]]);
});
