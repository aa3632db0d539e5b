import { test, expect } from './fixtures';
import { apiToken, logIn } from './helpers';
import { shortLivedOrigin } from '../playwright.config';

test('the pass page shows claims that agree with /api/me and a moving countdown', async ({ page }) => {
  await logIn(page, 'drummer');
  await page.getByRole('link', { name: 'Your pass' }).click();
  const claims = JSON.parse((await page.getByTestId('pass-claims').textContent()) ?? '{}');
  const header = JSON.parse((await page.getByTestId('pass-header').textContent()) ?? '{}');

  const me = await page.evaluate(async () => {
    // The page's own client is not reachable from here; log in through the API for a token.
    const login = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'drummer', password: 'backstage-pass-1' }),
    });
    const { access_token } = await login.json();
    return (await fetch('/api/me', { headers: { Authorization: `Bearer ${access_token}` } })).json();
  });
  expect(claims.sub).toBe(me.id);
  expect(claims.role).toBe(me.role);
  expect(claims.name).toBe(me.display_name);
  expect(header.alg).toBe('EdDSA');
  await expect(page.getByTestId('kid-check')).toContainText(`✓ Signed by key ${header.kid}`);
  await expect(page.getByText('Last rotated')).toBeVisible();

  const before = await page.getByTestId('expires-in').textContent();
  await expect(page.getByTestId('expires-in')).not.toHaveText(before ?? '', { timeout: 3_000 });
  // The raw token is never on the page.
  expect(await page.content()).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
});

test.describe('with 6-second access tokens', () => {
  test.use({ baseURL: shortLivedOrigin });

  test('the token is replaced by a silent refresh, without a reload', async ({ page }) => {
    await logIn(page, 'manager');
    await page.getByRole('link', { name: 'Your pass' }).click();
    const firstJti = JSON.parse((await page.getByTestId('pass-claims').textContent()) ?? '{}').jti;
    const lastRotated = page.locator('tr', { hasText: 'Last rotated' }).locator('time');
    const loggedInAt = await lastRotated.getAttribute('datetime');
    await expect
      .poll(async () => JSON.parse((await page.getByTestId('pass-claims').textContent()) ?? '{}').jti, {
        timeout: 12_000,
      })
      .not.toBe(firstJti);
    // The session rotated with it: the page says when, without a reload.
    await expect(lastRotated).not.toHaveAttribute('datetime', loggedInAt ?? '');
    await expect(page.getByTestId('signed-in-as')).toContainText('manager');
  });
});

test('two devices make two sessions; revoking one sends it to login, and managers see it', async ({ browser }) => {
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const laptopPage = await laptop.newPage();
  const phonePage = await phone.newPage();
  await logIn(laptopPage, 'drummer');
  await logIn(phonePage, 'drummer');
  // The phone is put away: it hears of nothing until it is opened again.
  await phonePage.close();

  await laptopPage.getByRole('link', { name: 'Sessions' }).click();
  const rows = laptopPage.getByTestId('session-row');
  await expect(rows.filter({ hasText: '(this device)' })).toHaveCount(1);
  // Named as a member knows it, not by its raw User-Agent.
  await expect(rows.filter({ hasText: '(this device)' })).toContainText(/^Chrome on (Linux|Windows|a Mac) \(this device\)/);
  const others = rows.filter({ hasNotText: '(this device)' });
  expect(await others.count()).toBeGreaterThanOrEqual(1);
  // Each Revoke names its row's device and address, not only its start.
  await expect(others.first().getByRole('button', { name: /^Revoke the session on .+ from .+, started / })).toBeVisible();
  // Revoke every other device of this member (the phone among them).
  while ((await others.count()) > 0) {
    const remaining = await others.count();
    await others.first().getByRole('button', { name: /Revoke the session/ }).click();
    await expect(others).toHaveCount(remaining - 1);
    await expect(laptopPage.getByRole('status').filter({ hasText: 'That device is signed out.' })).toBeVisible();
    // Not dropped to the end of the page with the row that went.
    await expect(laptopPage.locator('#content')).toBeFocused();
  }

  // Opened again, the phone's refresh fails: it lands on the login page, told why.
  const phoneAgain = await phone.newPage();
  await phoneAgain.goto('/setlists');
  await expect(phoneAgain).toHaveURL(/\/login\?next=/);
  await expect(phoneAgain.getByRole('alert')).toContainText('Your session has ended');

  // A manager sees the drummer's remaining session, and the revoke in the audit log.
  const manager = await (await browser.newContext()).newPage();
  await logIn(manager, 'manager');
  await manager.getByRole('link', { name: 'Members' }).click();
  await manager.getByRole('button', { name: 'Show sessions of Dee the Drummer' }).click();
  await expect(manager.getByRole('heading', { name: 'Sessions of Dee the Drummer' })).toBeVisible();
  await expect(manager.getByTestId('session-row')).toHaveCount(1);
  await manager.getByRole('link', { name: 'Audit' }).click();
  await manager.getByLabel('Event type').selectOption('session_revoked');
  await expect(manager.getByTestId('audit-row').first()).toContainText('Session ended');
  await laptop.close();
  await phone.close();
  await manager.context().close();
});

test("revoking this device's own session signs it out at once", async ({ page }) => {
  await logIn(page, 'drummer');
  await page.getByRole('link', { name: 'Sessions' }).click();
  await page.getByRole('button', { name: 'Revoke this session (you will be signed out)' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
});

test("a manager signs out one of a member's devices (a lost phone), and the others stay signed in", async ({ page, browser, request }) => {
  const username = `lost${Date.now()}`;
  const name = `Lou ${username}`;
  const { token } = await apiToken(request, 'manager');
  const made = await request.post('/api/users', {
    headers: { Authorization: `Bearer ${token}` },
    data: { username, display_name: name, role: 'drummer', password: 'first-password-1' },
  });
  expect(made.status()).toBe(201);
  const devices = [await browser.newContext(), await browser.newContext()];
  for (const device of devices) {
    const login = await device.request.post('/api/auth/login', { data: { username, password: 'first-password-1' } });
    expect(login.status()).toBe(200);
  }

  await logIn(page, 'manager', '/login?next=/members');
  await page.getByRole('button', { name: `Show sessions of ${name}` }).click();
  await expect(page.getByTestId('session-row')).toHaveCount(2);
  await page.getByRole('button', { name: /^Revoke the session on / }).first().click();
  await expect(page.getByRole('status').filter({ hasText: 'That device is signed out.' })).toBeVisible();
  await expect(page.getByTestId('session-row')).toHaveCount(1);
  const refreshed = await Promise.all(devices.map(async (device) => (await device.request.post('/api/auth/refresh')).status()));
  expect(refreshed.sort()).toEqual([200, 401]);
  for (const device of devices) await device.close();
});
