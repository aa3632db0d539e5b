import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { apiToken, createSetlist, fillLogin, gate, logIn, PASSWORD } from './helpers';

test('leaving an edited setlist asks first: a link, Back, Reload and Log out', async ({ page, request }) => {
  const id = await createSetlist(request, 'Unsaved night', [{ title: 'Opener', duration_secs: 200 }]);
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'Unsaved night' }).click();
  const name = page.getByLabel('Name', { exact: true });
  await expect(name).toHaveValue('Unsaved night');
  // Real key presses: the browser asks on Reload only for a page the person used.
  await name.press('End');
  await name.pressSequentially(' (edited)');
  await expect(page.getByTestId('unsaved')).toBeVisible();

  const asked: string[] = [];
  const answer = (leave: boolean) =>
    page.once('dialog', (dialog) => {
      asked.push(dialog.type());
      void (leave ? dialog.accept() : dialog.dismiss());
    });
  const stillEditing = async () => {
    await expect(page).toHaveURL(new RegExp(`/setlists/${id}$`));
    await expect(name).toHaveValue('Unsaved night (edited)');
  };

  answer(false);
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await stillEditing();

  answer(false);
  await page.goBack({ waitUntil: 'commit' });
  await stillEditing();

  answer(false);
  // A reload the person declined never finishes.
  await page.reload({ timeout: 2_000 }).catch(() => {});
  await stillEditing();

  answer(false);
  await page.getByRole('button', { name: 'Log out' }).click();
  await stillEditing();
  await expect(page.getByTestId('signed-in-as')).toContainText('manager');
  expect(asked).toEqual(['confirm', 'confirm', 'beforeunload', 'confirm']);

  // Leaving on purpose leaves; once saved, nothing asks.
  answer(true);
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(page).toHaveURL(/\/setlists$/);
  await page.getByRole('link', { name: 'Unsaved night' }).click();
  await name.fill('Saved night');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(page).toHaveURL(/\/setlists$/);
  expect(asked).toHaveLength(5);
});

test("the drummer's typed tempo is marked unsaved, and leaving asks first", async ({ page, request }) => {
  await createSetlist(request, 'Drummer night', [
    { title: 'Fast one', duration_secs: 200 },
    { title: 'Slow one', duration_secs: 300 },
  ]);
  await logIn(page, 'drummer');
  await page.getByRole('link', { name: 'Drummer night' }).click();
  const fast = page.getByTestId('song').filter({ hasText: 'Fast one' });
  await fast.getByLabel('Tempo (BPM)').pressSequentially('172');
  await expect(fast.getByTestId('unsaved')).toBeVisible();

  let asked = 0;
  page.once('dialog', (dialog) => {
    asked += 1;
    void dialog.dismiss();
  });
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(fast.getByLabel('Tempo (BPM)')).toHaveValue('172');
  expect(asked).toBe(1);

  // Notes typed while the save is on its way are said to be unsaved, not "Saved." alone.
  const saveAnswer = gate();
  await page.route('**/api/setlists/*/songs/*', async (route) => {
    await saveAnswer.opened;
    await route.continue();
  });
  await fast.getByRole('button', { name: 'Save tempo and notes for Fast one' }).click();
  await fast.getByLabel("Drummer's notes").fill('count in 4');
  saveAnswer.open();
  await expect(fast.getByRole('status')).toHaveText('Saved. What you typed meanwhile is not saved yet.');
  await expect(fast.getByTestId('unsaved')).toBeVisible();
  await page.unroute('**/api/setlists/*/songs/*');

  await fast.getByRole('button', { name: 'Save tempo and notes for Fast one' }).click();
  await expect(fast.getByRole('status')).toHaveText('Saved.');
  await expect(fast.getByTestId('unsaved')).toHaveCount(0);
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(page).toHaveURL(/\/setlists$/);
  expect(asked).toBe(1);
});

test('what is typed while Save is on its way stays, and is said to be unsaved', async ({ page, request }) => {
  const id = await createSetlist(request, 'Slow save', [{ title: 'Opener', duration_secs: 200 }]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  const name = page.getByLabel('Name', { exact: true });
  await expect(name).toHaveValue('Slow save');
  // The save's answer takes its time, as on a venue's network.
  const saveAnswer = gate();
  await page.route(`**/api/setlists/${id}`, async (route) => {
    if (route.request().method() === 'PUT') await saveAnswer.opened;
    await route.continue();
  });
  await name.fill('Slow save, late show');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await page.getByLabel('Venue').fill('The Fillmore');
  saveAnswer.open();

  await expect(page.getByRole('status').filter({ hasText: 'Saved. What you typed meanwhile is not saved yet.' })).toBeVisible();
  await expect(page.getByLabel('Venue')).toHaveValue('The Fillmore');
  await expect(name).toHaveValue('Slow save, late show');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Saved\.$/ })).toBeVisible();
  const { token } = await apiToken(request, 'manager');
  const saved = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  expect([saved.name, saved.venue]).toEqual(['Slow save, late show', 'The Fillmore']);
});

test('a new setlist is marked unsaved once anything is typed in it, as leaving then asks', async ({ page }) => {
  await logIn(page, 'manager');
  await page.goto('/setlists/new');
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await expect(page.getByRole('button', { name: 'Save setlist' })).toBeVisible();
  await expect(page.getByTestId('unsaved'), 'nothing typed: nothing to lose').toHaveCount(0);
  await page.getByLabel('Venue').fill('The Roxy');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  page.once('dialog', (dialog) => void dialog.dismiss());
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(page).toHaveURL(/\/setlists\/new$/);
  await page.getByLabel('Venue').fill('');
  await expect(page.getByTestId('unsaved'), 'emptied again').toHaveCount(0);
});

test('removing a song can be undone, as it was and where it was', async ({ page, request }) => {
  await createSetlist(request, 'Undo night', [
    { title: 'First', duration_secs: 200 },
    { title: 'Second', duration_secs: 210, notes: 'the long intro' },
    { title: 'Third', duration_secs: 220 },
  ]);
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'Undo night' }).click();
  const titles = page.getByTestId('song-title');
  await expect(titles).toHaveCount(3);

  await page.getByRole('button', { name: 'Edit Second' }).click();
  // By keyboard: the focus follows the work, never falling to the page.
  await page.getByRole('button', { name: 'Remove Second' }).focus();
  await page.keyboard.press('Enter');
  await expect(titles).toHaveCount(2);
  await expect(page.getByTestId('removed')).toContainText('Removed “Second”.');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  const undo = page.getByTestId('removed').getByRole('button', { name: 'Undo' });
  await expect(undo).toBeFocused();

  await page.keyboard.press('Enter');
  await expect(titles).toHaveCount(3);
  // On the song that came back (its reorder handle).
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toMatch(/^song-\d+-handle$/);
  await expect(titles.nth(1)).toHaveText('Second');
  await expect(page.getByTestId('song').nth(1).getByLabel('Song notes')).toHaveValue('the long intro');
  await expect(page.getByTestId('removed')).toHaveCount(0);
  await expect(page.getByTestId('unsaved'), 'back as it was: nothing to save').toHaveCount(0);
});

test('a song put back with Undo brings the tempo the drummer saved meanwhile, not the stale copy', async ({ page, request }) => {
  const id = await createSetlist(request, 'Undo tempo night', [
    { title: 'One', duration_secs: 200 },
    { title: 'Two', duration_secs: 210, bpm: 100 },
  ]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('button', { name: 'Edit Two' }).click();
  await page.getByRole('button', { name: 'Remove Two' }).click();

  // Meanwhile the drummer sets the tempo of the song the manager took out.
  const { token } = await apiToken(request, 'drummer');
  const headers = { Authorization: `Bearer ${token}` };
  const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
  const patched = await request.patch(`/api/setlists/${id}/songs/${setlist.songs[1].id}`, { headers, data: { bpm: 150 } });
  expect(patched.status()).toBe(200);
  await expect(page.getByTestId('editor-status')).toContainText('set the tempo of “Two” to 150');

  await page.getByTestId('removed').getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByRole('group', { name: 'Song 2: Two' }).getByLabel('BPM')).toHaveValue('150');
  await expect(page.getByTestId('unsaved'), 'back as saved: nothing of the stale copy to write').toHaveCount(0);
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  const saved = await (await request.get(`/api/setlists/${id}`, { headers })).json();
  expect(saved.songs[1].bpm).toBe(150);
});

test.describe('a session that ends mid-edit', () => {
  // The refresh that finds the session revoked is refused: Chromium logs that 401.
  test.use({ expectedHttpErrors: [401] });

  test('keeps the draft in this browser and brings it back after logging in again', async ({ page, request }) => {
    const id = await createSetlist(request, 'Draft night', [
      { title: 'Opener', duration_secs: 200 },
      { title: 'Closer', duration_secs: 240 },
    ]);
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    const name = page.getByLabel('Name', { exact: true });
    await expect(name).toHaveValue('Draft night');
    await name.fill('Draft night (late set)');
    await page.getByRole('button', { name: 'Edit Closer' }).click();
    await page.getByRole('group', { name: 'Song 2: Closer' }).getByLabel('Title', { exact: true }).fill('Big closer');
    // The closer gets a set of its own: the set breaks are kept too.
    await page.getByRole('button', { name: 'Start a new set with Big closer' }).click();
    await page.getByLabel('Set 2 name').fill('Encore');
    await expect(page.getByTestId('unsaved')).toBeVisible();

    // A manager elsewhere strikes this member's passes off the list.
    const { token, id: managerId } = await apiToken(request, 'manager');
    const revoked = await request.post(`/api/users/${managerId}/revoke`, { headers: { Authorization: `Bearer ${token}` } });
    expect(revoked.status()).toBe(204);
    await expect(page.getByRole('alert')).toContainText('Your session has ended');
    await expect(page).toHaveURL(/\/login/);
    const kept = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
    expect(kept, 'setlist data only, never a token').not.toMatch(/eyJ|access_token|refresh/);

    await fillLogin(page, 'manager', PASSWORD);
    await expect(page).toHaveURL(new RegExp(`/setlists/${id}$`));
    await expect(page.getByTestId('restored')).toBeVisible();
    await expect(name).toHaveValue('Draft night (late set)');
    await expect(page.getByTestId('song-title').nth(1)).toHaveText('Big closer');
    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    // Saved, so there is nothing left to discard.
    await expect(page.getByTestId('restored')).toHaveCount(0);
    const { token: again } = await apiToken(request, 'manager');
    const saved = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${again}` } })).json();
    expect(saved.name).toBe('Draft night (late set)');
    expect(saved.songs.map((s: { title: string }) => s.title)).toEqual(['Opener', 'Big closer']);
    expect(saved.sets.map((set: { name: string; songs: unknown[] }) => [set.name, set.songs.length])).toEqual([['Set 1', 1], ['Encore', 1]]);

    // Saved: nothing is kept any more, and a reload shows no old draft.
    await page.reload();
    await expect(name).toHaveValue('Draft night (late set)');
    await expect(page.getByTestId('restored')).toHaveCount(0);
  });

  test('a new setlist never saved is kept too, and its first save forgets it', async ({ page, request }) => {
    await logIn(page, 'manager');
    await page.goto('/setlists/new');
    const name = page.getByLabel('Name', { exact: true });
    await name.fill('Late booking');
    await page.getByLabel('Show date').fill('2037-06-05');
    await page.getByRole('button', { name: 'Add song' }).click();
    await page.getByTestId('song').last().getByLabel('Title', { exact: true }).fill('Walk-on');

    const { token, id: managerId } = await apiToken(request, 'manager');
    const revoked = await request.post(`/api/users/${managerId}/revoke`, { headers: { Authorization: `Bearer ${token}` } });
    expect(revoked.status()).toBe(204);
    await expect(page.getByRole('alert')).toContainText('Your session has ended');
    await fillLogin(page, 'manager', PASSWORD);
    await expect(page).toHaveURL(/\/setlists\/new$/);
    await expect(page.getByTestId('restored')).toBeVisible();
    await expect(name).toHaveValue('Late booking');
    await expect(page.getByTestId('song-title').first()).toHaveText('Walk-on');

    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
    await expect(name).toHaveValue('Late booking');
    const fresh = await apiToken(request, 'manager');
    const made = await request.get(`/api/setlists/${page.url().split('/').pop()}`, { headers: { Authorization: `Bearer ${fresh.token}` } });
    expect((await made.json()).version, 'made by its POST alone: nothing saved over it').toBe(1);
    await page.goto('/setlists/new');
    await expect(page.getByRole('heading', { name: 'New setlist' })).toBeVisible();
    await expect(name, 'saved: the new setlist\'s draft is forgotten').toHaveValue('');
    await expect(page.getByTestId('restored')).toHaveCount(0);

    // Brought back by a reload, and discarded: the page is empty again, and stays so.
    await name.fill('Second thoughts');
    await expect(page.getByTestId('signed-in-as')).toContainText('manager');
    page.once('dialog', (dialog) => dialog.accept());
    await page.reload();
    await expect(name).toHaveValue('Second thoughts');
    await page.getByRole('button', { name: 'Discard the restored edits' }).click();
    await expect(name).toHaveValue('');
    await expect(name, 'the button went with its notice: the keyboard goes on to the form').toBeFocused();
    await expect(page.getByTestId('restored')).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'New setlist' })).toBeVisible();
    await expect(name).toHaveValue('');
  });

  test('two tabs on one setlist each keep their own draft', async ({ page, request }) => {
    const id = await createSetlist(request, 'Two tabs', [{ title: 'Opener', duration_secs: 200 }]);
    await logIn(page, 'manager');
    const other = await page.context().newPage();
    const tabs = [[page, 'Two tabs (first)'], [other, 'Two tabs (second)']] as const;
    for (const [tab, typed] of tabs) {
      await tab.goto(`/setlists/${id}`);
      const name = tab.getByLabel('Name', { exact: true });
      await expect(name).toHaveValue('Two tabs');
      await name.fill(typed);
      await expect(tab.getByTestId('unsaved')).toBeVisible();
    }

    // A tab opened from one of them starts with a copy of its sessionStorage
    // (as "Duplicate tab" does), yet is a tab of its own: no work of the first.
    const [opened] = await Promise.all([page.waitForEvent('popup'), page.evaluate(() => window.open(location.href))]);
    await expect(opened.getByLabel('Name', { exact: true })).toHaveValue('Two tabs');
    await expect(opened.getByTestId('restored')).toHaveCount(0);
    await opened.close();

    const { token, id: managerId } = await apiToken(request, 'manager');
    const revoked = await request.post(`/api/users/${managerId}/revoke`, { headers: { Authorization: `Bearer ${token}` } });
    expect(revoked.status()).toBe(204);
    for (const [tab, typed] of tabs) {
      await expect(tab.getByRole('alert')).toContainText('Your session has ended');
      await fillLogin(tab, 'manager', PASSWORD);
      await expect(tab).toHaveURL(new RegExp(`/setlists/${id}$`));
      await expect(tab.getByTestId('restored')).toBeVisible();
      await expect(tab.getByLabel('Name', { exact: true }), 'each tab gets back what it typed').toHaveValue(typed);
    }

    // A tab closed with its work unsaved leaves it to the next tab that opens the setlist.
    other.on('dialog', (dialog) => dialog.accept());
    await other.close({ runBeforeUnload: true });
    await expect.poll(() => other.isClosed()).toBe(true);
    const next = await page.context().newPage();
    await next.goto(`/setlists/${id}`);
    await expect(next.getByTestId('restored')).toBeVisible();
    await expect(next.getByLabel('Name', { exact: true })).toHaveValue('Two tabs (second)');
  });

  test('a kept draft comes back over the sets saved meanwhile, without undoing them', async ({ page, request }) => {
    const id = await createSetlist(request, 'Kept over sets', [
      { title: 'Opener', duration_secs: 200 },
      { title: 'Closer', duration_secs: 240 },
    ]);
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Kept over sets');
    const venue = page.getByLabel('Venue');
    await venue.fill('The Fillmore');
    await expect(page.getByTestId('unsaved')).toBeVisible();

    // Signed out mid-edit; meanwhile another manager gives the closer an encore of its own.
    const { token, id: managerId } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    expect((await request.post(`/api/users/${managerId}/revoke`, { headers })).status()).toBe(204);
    await expect(page).toHaveURL(/\/login/);
    const { token: other } = await apiToken(request, 'manager');
    const elsewhere = { Authorization: `Bearer ${other}` };
    const { songs, ...setlist } = await (await request.get(`/api/setlists/${id}`, { headers: elsewhere })).json();
    const sets = [{ name: 'Set 1', songs: [songs[0]] }, { name: 'Encore', songs: [songs[1]] }];
    expect((await request.put(`/api/setlists/${id}`, { headers: elsewhere, data: { ...setlist, sets } })).status()).toBe(200);

    await fillLogin(page, 'manager', PASSWORD);
    await expect(page.getByTestId('restored')).toBeVisible();
    await expect(venue).toHaveValue('The Fillmore');
    await expect(page.getByLabel('Set 2 name')).toHaveValue('Encore');
    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    const saved = await (await request.get(`/api/setlists/${id}`, { headers: elsewhere })).json();
    expect(saved.venue).toBe('The Fillmore');
    expect(saved.sets.map((set: { name: string }) => set.name), 'the encore stands').toEqual(['Set 1', 'Encore']);
  });

  test('a question left open comes back after a reload, and Save does not go over their change', async ({ page, request }) => {
    const id = await createSetlist(request, 'Asked twice', [{ title: 'Everlong', duration_secs: 250, bpm: 150 }]);
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    const venue = page.getByLabel('Venue');
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Asked twice');
    await venue.fill('Mine');
    await expect(page.getByTestId('unsaved')).toBeVisible();

    // Another manager saves the same field: the page asks.
    const { token } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
    expect((await request.put(`/api/setlists/${id}`, { headers, data: { ...setlist, venue: 'Theirs' } })).status()).toBe(200);
    const conflicts = page.getByTestId('conflicts');
    await expect(conflicts).toContainText('Venue: yours “Mine”, theirs “Theirs”');

    // Reloaded before answering: the question is asked again, not dropped.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.reload();
    await expect(page.getByTestId('restored')).toBeVisible();
    await expect(conflicts).toContainText('Venue: yours “Mine”, theirs “Theirs”');
    await page.getByRole('button', { name: 'Save setlist' }).click();
    const stored = await (await request.get(`/api/setlists/${id}`, { headers })).json();
    expect(stored.venue, 'nothing was saved over their change').toBe('Theirs');
    // Answered, it saves; and a second reload asks nothing that was answered.
    await page.getByRole('button', { name: 'Keep mine for Venue' }).click();
    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    expect((await (await request.get(`/api/setlists/${id}`, { headers })).json()).venue).toBe('Mine');
  });

  test('a kept draft is forgotten when its member logs out on purpose, from any page', async ({ page, request }) => {
    const id = await createSetlist(request, 'Forgotten night', [{ title: 'Opener', duration_secs: 200 }]);
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    const name = page.getByLabel('Name', { exact: true });
    await expect(name).toHaveValue('Forgotten night');
    await name.fill('Forgotten night (typed)');
    await expect(page.getByTestId('unsaved')).toBeVisible();
    const { token, id: managerId } = await apiToken(request, 'manager');
    const revoked = await request.post(`/api/users/${managerId}/revoke`, { headers: { Authorization: `Bearer ${token}` } });
    expect(revoked.status()).toBe(204);
    await expect(page).toHaveURL(/\/login/);
    const drafts = () => page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('backstage.draft.')));
    expect(await drafts()).toHaveLength(1);

    // Back on another page, then "Log out": a shared laptop keeps none of
    // it, and it asks first, since the work would go without a word.
    await logIn(page, 'manager', '/login?next=/setlists');
    await expect(page).toHaveURL(/\/setlists$/);
    expect(await drafts()).toHaveLength(1);
    const asked: string[] = [];
    const answer = (logOut: boolean) =>
      page.once('dialog', (dialog) => {
        asked.push(dialog.message());
        void (logOut ? dialog.accept() : dialog.dismiss());
      });
    answer(false);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.getByTestId('signed-in-as')).toBeVisible();
    expect(await drafts()).toHaveLength(1);
    // Revoking this device's own session signs it out as well: the same question.
    await page.goto('/sessions');
    answer(false);
    await page.getByRole('button', { name: 'Revoke this session (you will be signed out)' }).click();
    await expect(page.getByTestId('signed-in-as')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Revoke this session (you will be signed out)' })).toBeVisible();
    expect(await drafts()).toHaveLength(1);
    answer(true);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login/);
    expect(await drafts()).toEqual([]);
    expect(asked).toHaveLength(3);
    expect(asked[0]).toContain('Changes you have not saved are kept on this device');
    expect(asked[1]).toBe(asked[0]);
  });

  test("keeps the drummer's typed tempos and notes in this browser and brings them back, unsaved", async ({ page, request }) => {
    const id = await createSetlist(request, 'Tempo night', [
      { title: 'Everlong', duration_secs: 250, bpm: 150 },
      { title: 'My Hero', duration_secs: 260 },
    ]);
    await logIn(page, 'drummer');
    await page.goto(`/setlists/${id}`);
    const everlong = page.getByRole('form', { name: 'Everlong' });
    await everlong.getByLabel('Tempo (BPM)').fill('158');
    await everlong.getByLabel("Drummer's notes").fill('ride on the chorus');
    await expect(page.getByTestId('unsaved')).toHaveCount(1);

    const { token: managerToken } = await apiToken(request, 'manager');
    const { id: drummerId } = await apiToken(request, 'drummer');
    const revoked = await request.post(`/api/users/${drummerId}/revoke`, { headers: { Authorization: `Bearer ${managerToken}` } });
    expect(revoked.status()).toBe(204);
    await expect(page).toHaveURL(/\/login/);
    const kept = await page.evaluate(() => JSON.stringify(Object.entries(localStorage)));
    expect(kept, 'setlist data only, never a token').not.toMatch(/eyJ|access_token|refresh/);

    await fillLogin(page, 'drummer', PASSWORD);
    await expect(page).toHaveURL(new RegExp(`/setlists/${id}$`));
    await expect(page.getByRole('status').filter({ hasText: 'What you typed before is back, not saved yet: 1 song.' })).toBeVisible();
    await expect(everlong.getByLabel('Tempo (BPM)')).toHaveValue('158');
    await expect(everlong.getByLabel("Drummer's notes")).toHaveValue('ride on the chorus');
    await expect(page.getByTestId('unsaved')).toHaveCount(1);
    await page.getByRole('button', { name: 'Save all (1 song)' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved 1 song.' })).toBeVisible();

    // Saved: nothing is kept, and a reload brings nothing back.
    await page.reload();
    await expect(everlong.getByLabel('Tempo (BPM)')).toHaveValue('158');
    await expect(page.getByTestId('unsaved')).toHaveCount(0);
    expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('backstage.tempos')))).toEqual([]);
  });
});

test.describe('a role changed by another manager', () => {
  // The role change refuses the page's access token: a request meets its 401, then refreshes.
  test.use({ expectedHttpErrors: [401] });

  test('a role changed mid-edit keeps what was typed, for when the role comes back', async ({ page, request }) => {
    const { token } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    const username = `swap${Date.now()}`;
    const created = await request.post('/api/users', {
      headers,
      data: { username, display_name: 'Rory Swap', role: 'manager', password: PASSWORD },
    });
    expect(created.status()).toBe(201);
    const roryId = (await created.json()).id as string;
    const id = await createSetlist(request, `Role swap ${username}`, [{ title: 'Opener', duration_secs: 200 }]);
    await page.goto(`/login?next=/setlists/${id}`);
    await fillLogin(page, username, PASSWORD);
    const name = page.getByLabel('Name', { exact: true });
    await expect(name).toHaveValue(`Role swap ${username}`);
    await name.fill('Typed before the demotion');
    await expect(page.getByTestId('unsaved')).toBeVisible();

    const setRole = async (role: string) =>
      expect((await request.patch(`/api/users/${roryId}`, { headers, data: { role } })).status()).toBe(200);
    await setRole('drummer');
    await expect(page.getByText('Your role is now drummer: the app shows what a drummer can do.')).toBeVisible();
    await expect(page.getByText('Setlist edits you had not saved stay on this device')).toBeVisible();
    await expect(name).toHaveCount(0);

    await setRole('manager');
    await expect(page.getByText('Your role is now manager: the app shows what a manager can do.')).toBeVisible();
    await expect(name, 'the draft came back with the editor').toHaveValue('Typed before the demotion');

    // Said of the page it happened on: the next page does not repeat it.
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('link', { name: 'Setlists' }).click();
    await expect(page.getByRole('heading', { name: 'Setlists', level: 1 })).toBeVisible();
    await expect(page.getByText('Your role is now manager')).toHaveCount(0);
    // Any signed-in page says it, not only a setlist's.
    await setRole('drummer');
    await expect(page.getByText('Your role is now drummer: the app shows what a drummer can do.')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Members' })).toHaveCount(0);
  });
});

/** A manager's new setlist `name`, typed and not saved yet. */
async function typeNewSetlist(page: Page, name: string) {
  await logIn(page, 'manager');
  await page.goto('/setlists/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Show date').fill('2037-07-01');
}

test('a first save that reached the server but not the page, saved again after a reload, makes one setlist', async ({ page, request }) => {
  const name = `Once only ${Date.now()}`;
  await typeNewSetlist(page, name);
  // The server makes the setlist; its answer never reaches the page, which
  // is reloaded while the save is on its way.
  let made = 0;
  await page.route('**/api/setlists', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    expect((await route.fetch()).status()).toBe(201);
    made += 1;
  });
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect.poll(() => made).toBe(1);
  page.once('dialog', (dialog) => dialog.accept());
  await page.reload();
  // Not before the reload: a request left waiting would go on to the server.
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await expect(page.getByTestId('restored')).toBeVisible();
  // Typed since the first try: it goes over what that try made.
  await page.getByLabel('Venue').fill('The Roxy');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
  await expect(page.getByLabel('Venue')).toHaveValue('The Roxy');

  const { token } = await apiToken(request, 'manager');
  const list = await (await request.get('/api/setlists', { headers: { Authorization: `Bearer ${token}` } })).json();
  const shows = list.filter((show: { name: string }) => show.name === name);
  expect(shows.map((show: { venue: string }) => show.venue)).toEqual(['The Roxy']);
});

test('a first save found changed by someone else when saved again is opened as it is, and says what stayed out', async ({ page, request }) => {
  await typeNewSetlist(page, `Changed since ${Date.now()}`);
  await page.getByRole('button', { name: 'Add song' }).click();
  await page.getByTestId('song').last().getByLabel('Title', { exact: true }).fill('Walk-on');
  let made: { id: string; songs: { id: string }[] } | undefined;
  await page.route('**/api/setlists', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    made = await (await route.fetch()).json();
  });
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect.poll(() => made?.id).toBeTruthy();
  page.once('dialog', (dialog) => dialog.accept());
  await page.reload();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  // The drummer sets the tempo of the setlist the first try made.
  const drummer = await apiToken(request, 'drummer');
  const tempo = await request.patch(`/api/setlists/${made!.id}/songs/${made!.songs[0].id}`, {
    headers: { Authorization: `Bearer ${drummer.token}` },
    data: { bpm: 128, drummer_notes: 'count in four' },
  });
  expect(tempo.status()).toBe(200);

  await expect(page.getByTestId('restored')).toBeVisible();
  await page.getByLabel('Venue').fill('The Roxy');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page).toHaveURL(new RegExp(`/setlists/${made!.id}$`));
  await expect(page.getByTestId('live-announcer')).toContainText('anything typed after the reload was not saved');
  const stored = await (await request.get(`/api/setlists/${made!.id}`, { headers: { Authorization: `Bearer ${drummer.token}` } })).json();
  expect([stored.venue, stored.songs[0].bpm, stored.songs[0].drummer_notes]).toEqual(['', 128, 'count in four']);
});
