import { test, expect } from './fixtures';
import { fillLogin, logIn, PASSWORD } from './helpers';

test.beforeEach(async ({ page }) => {
  await page.goto('/login');
});

test.describe('with a wrong password', () => {
  test.use({ expectedHttpErrors: [401] });

  test('the login page shows an error and stays', async ({ page }) => {
    await fillLogin(page, 'drummer', 'definitely-wrong');
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
    await expect(page).toHaveURL(/\/login/);
    // Both fields are marked, and say why to a screen reader back on them.
    for (const field of ['Username', 'Password']) {
      await expect(page.getByLabel(field)).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel(field)).toHaveAccessibleDescription('Wrong username or password.');
    }
  });
});

test('an empty field is marked and gets the focus', async ({ page }) => {
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await page.getByLabel('Password').fill('something');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Enter your username and password.');
  await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Username')).toBeFocused();
  await expect(page.getByLabel('Password')).not.toHaveAttribute('aria-invalid', 'true');
});

test('login works, and no token is readable by script', async ({ page, context }) => {
  await fillLogin(page, 'drummer', PASSWORD);
  await expect(page).toHaveURL(/\/setlists$/);
  await expect(page.getByTestId('signed-in-as')).toContainText('drummer');

  const readable = await page.evaluate(() => ({
    local: JSON.stringify(window.localStorage),
    session: JSON.stringify(window.sessionStorage),
    cookie: document.cookie,
  }));
  expect(readable.local).toBe('{}');
  expect(readable.session).toBe('{}');
  expect(readable.cookie).toBe('');

  const cookies = await context.cookies();
  const refresh = cookies.find((c) => c.name === 'backstage_refresh');
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.sameSite).toBe('Strict');
  expect(refresh?.path).toBe('/api/auth');
});

test('a reload keeps the user logged in through the silent refresh', async ({ page }) => {
  await fillLogin(page, 'manager', PASSWORD);
  await expect(page.getByTestId('signed-in-as')).toContainText('manager');
  await page.reload();
  await expect(page.getByTestId('signed-in-as')).toContainText('manager');
  await expect(page.getByRole('heading', { name: 'Setlists' })).toBeVisible();
});

test('a signed-out visitor is sent to login and brought back afterwards', async ({ page }) => {
  await page.goto('/members');
  await expect(page).toHaveURL(/\/login\?next=%2Fmembers|\/login\?next=\/members/);
  await fillLogin(page, 'manager', PASSWORD);
  await expect(page).toHaveURL(/\/members$/);
  await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();
});

test('logout ends the session for good', async ({ page }) => {
  await logIn(page, 'drummer');
  await page.getByRole('button', { name: 'Log out' }).click();
  // Exactly the login page: nothing to come back to after a deliberate logout.
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/setlists');
  await expect(page).toHaveURL(/\/login\?next=/);
});
