import { test, expect } from './fixtures';
import { PASSWORD } from './helpers';

test('the landing page leads a visitor through the login to the setlists, and a member straight there', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Backstage' })).toBeVisible();
  // A plain link: it works before the app has arrived, and the app takes it over.
  await page.getByRole('link', { name: 'Open the setlists' }).click();
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)setlists$/);
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await page.getByLabel('Username').fill('drummer');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Setlists', level: 1 })).toBeVisible();

  await page.getByRole('link', { name: 'Backstage' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await page.getByRole('link', { name: 'Open the setlists' }).click();
  await expect(page.getByRole('heading', { name: 'Setlists', level: 1 })).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toContainText('drummer');
});
