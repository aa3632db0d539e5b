import { test, expect } from './fixtures';
import { createSetlist, logIn } from './helpers';

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

  await fast.getByRole('button', { name: 'Save tempo and notes for Fast one' }).click();
  await expect(fast.getByRole('status')).toHaveText('Saved.');
  await expect(fast.getByTestId('unsaved')).toHaveCount(0);
  await page.getByRole('link', { name: '← Back to the list' }).click();
  await expect(page).toHaveURL(/\/setlists$/);
  expect(asked).toBe(1);
});

test('removing a song can be undone, as it was and where it was', async ({ page, request }) => {
  await createSetlist(request, 'Undo night', [
    { title: 'First', duration_secs: 200 },
    { title: 'Second', duration_secs: 210, notes: 'the long intro' },
    { title: 'Third', duration_secs: 220 },
  ]);
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'Undo night' }).click();
  const titles = page.getByTestId('song').getByLabel('Title', { exact: true });
  await expect(titles).toHaveCount(3);

  await page.getByRole('button', { name: 'Remove Second' }).click();
  await expect(titles).toHaveCount(2);
  await expect(page.getByTestId('removed')).toContainText('Removed “Second”.');
  await expect(page.getByTestId('unsaved')).toBeVisible();

  await page.getByTestId('removed').getByRole('button', { name: 'Undo' }).click();
  await expect(titles).toHaveCount(3);
  await expect(titles.nth(1)).toHaveValue('Second');
  await expect(page.getByTestId('song').nth(1).getByLabel('Song notes')).toHaveValue('the long intro');
  await expect(page.getByTestId('removed')).toHaveCount(0);
  await expect(page.getByTestId('unsaved'), 'back as it was: nothing to save').toHaveCount(0);
});
