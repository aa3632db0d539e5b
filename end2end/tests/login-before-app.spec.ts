import { test, expect } from './fixtures';
import { gate, PASSWORD } from './helpers';

/**
 * Holds the wasm back until the returned function is called, as a slow venue
 * network would (a gate, not a delay: the test decides when it arrives).
 */
async function holdWasm(page: import('@playwright/test').Page): Promise<() => void> {
  const wasm = gate();
  await page.route('**/*.wasm', async (route) => {
    await wasm.opened;
    // The page that asked may have gone meanwhile (the form posted).
    await route.continue().catch(() => {});
  });
  return wasm.open;
}

test('typed before the app arrives, the login survives hydration and works', async ({ page }) => {
  const release = await holdWasm(page);
  // Not waiting for "load": the held wasm is preloaded, so "load" waits for it.
  await page.goto('/login', { waitUntil: 'domcontentloaded' });
  // Typed at once, while the wasm is still on its way.
  await page.getByLabel('Username').fill('drummer');
  await page.getByLabel('Password').fill(PASSWORD);
  expect(await page.evaluate(() => (window as any).__backstage_hydrated === true)).toBe(false);

  release();
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await expect(page.getByLabel('Username')).toHaveValue('drummer');
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/setlists$/);
  await expect(page.getByTestId('signed-in-as')).toContainText('drummer');
});

test('Enter before the app arrives posts the form, and the app takes over after', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/login?next=%2Fsessions', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Username').fill('drummer');
  await page.getByLabel('Password').fill(PASSWORD);
  expect(await page.evaluate(() => (window as any).__backstage_hydrated === true)).toBe(false);
  await page.getByLabel('Password').press('Enter');
  release();

  await expect(page).toHaveURL(/\/sessions$/);
  // The app restores the session with its silent refresh: no token was in the page.
  await expect(page.getByTestId('signed-in-as')).toContainText('drummer');
  await expect(page.getByRole('heading', { name: 'Sessions' })).toBeVisible();
});

test.describe('with scripts off', () => {
  test.use({ javaScriptEnabled: false });

  test('the form logs in and a wrong password is explained', async ({ page, context }) => {
    await page.goto('/login');
    await page.getByLabel('Username').fill('drummer');
    await page.getByLabel('Password').fill('definitely-wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/login\?error=invalid_credentials$/);
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
    // Only the password is to be typed again.
    await expect(page.getByLabel('Username')).toHaveValue('drummer');
    await expect(page.getByLabel('Password')).toBeFocused();

    await page.getByLabel('Username').fill('drummer');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/setlists$/);
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name.includes('refresh'))?.httpOnly).toBe(true);
  });
});
