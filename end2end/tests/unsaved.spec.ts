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
