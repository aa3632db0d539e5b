import { test, expect } from './fixtures';
import { allowFailedFetchErrors, apiToken, createSetlist, logIn } from './helpers';
import { shortLivedOrigin } from '../playwright.config';

test("a drummer's direct API write is refused with 403", async ({ request }) => {
  const { token } = await apiToken(request, 'drummer');
  const write = await request.post('/api/setlists', {
    headers: { Authorization: `Bearer ${token}` },
    data: { name: 'Sneaky', show_date: '2099-12-31', songs: [] },
  });
  expect(write.status()).toBe(403);
  expect((await write.json()).error.code).toBe('forbidden');
});

test('two managers editing one name: the second is asked, sees both values and keeps their input', async ({ browser, request }) => {
  const id = await createSetlist(request, 'Conflict night', [{ title: 'Opener', duration_secs: 200 }]);
  const first = await (await browser.newContext()).newPage();
  const second = await (await browser.newContext()).newPage();
  for (const page of [first, second]) {
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Conflict night');
  }

  await second.getByLabel('Name', { exact: true }).fill('Second edit, typed with care');
  await first.getByLabel('Name', { exact: true }).fill('First edit');
  await first.getByRole('button', { name: 'Save setlist' }).click();
  await expect(first.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  // The second editor hears of it at once: the same field, so it asks.
  const conflicts = second.getByTestId('conflicts');
  await expect(conflicts).toContainText('Name: yours “Second edit, typed with care”, theirs “First edit”');
  await expect(second.getByLabel('Name', { exact: true })).toHaveValue('Second edit, typed with care');
  await second.getByRole('button', { name: 'Keep mine for Name' }).click();
  await expect(conflicts).toHaveCount(0);
  // Nothing is left to choose: the line that asked goes with the question.
  await expect(second.getByTestId('editor-status')).toBeEmpty();
  // The choice is gone with the list: the keyboard goes on to Save.
  await expect(second.getByRole('button', { name: 'Save setlist' })).toBeFocused();
  await second.getByRole('button', { name: 'Save setlist' }).click();
  await expect(second.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  // The first editor, with nothing unsaved, follows without a reload.
  await expect(first.getByLabel('Name', { exact: true })).toHaveValue('Second edit, typed with care');
  const { token } = await apiToken(request, 'manager');
  const stored = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(stored.version, 'two saves, one after the other').toBe(3);
  // Contexts of its own are closed here: left open, their pages would hold
  // the manager's live streams (8 at most) for the rest of the run.
  await first.context().close();
  await second.context().close();
});

test('a save that meets a newer version merges it and saves, without a live stream', async ({ browser, request }) => {
  const id = await createSetlist(request, 'Offline merge', [
    { title: 'Walk', duration_secs: 255 },
    { title: 'Rope', duration_secs: 259 },
  ]);
  const manager = await (await browser.newContext()).newPage();
  // No live events reach this editor: it learns of the change from the 409.
  await manager.route('**/api/events', (route) => route.abort());
  await logIn(manager, 'manager');
  await manager.goto(`/setlists/${id}`);
  await manager.getByLabel('Venue').fill('The Forum');

  const { token } = await apiToken(request, 'drummer');
  const setlist = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  const rope = setlist.songs[1];
  const patched = await request.patch(`/api/setlists/${id}/songs/${rope.id}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { bpm: 148, notes: 'half-time bridge' },
  });
  expect(patched.status()).toBe(200);

  await manager.getByRole('button', { name: 'Save setlist' }).click();
  await expect(manager.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  const saved = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(saved.version, 'saved on top of the drummer’s patch').toBe(3);
  expect(saved.venue).toBe('The Forum');
  expect(saved.songs[1].bpm).toBe(148);
  expect(saved.songs[1].notes).toBe('half-time bridge');
  await manager.context().close();
});

test.describe('a revoked member', () => {
  test.use({ expectedHttpErrors: [401] });

  test('is sent back to login, and the audit page lists the revoke', async ({ page, browser }) => {
    await logIn(page, 'drummer');
    const manager = await (await browser.newContext()).newPage();
    await logIn(manager, 'manager');
    await manager.getByRole('link', { name: 'Members' }).click();
    await manager.getByRole('button', { name: 'Revoke sessions of Dee the Drummer' }).click();
    await expect(manager.getByText('Dee the Drummer is signed out everywhere')).toBeVisible();

    // The drummer's open page hears of it on its live stream; the refresh
    // is refused too: back to login, saying why.
    await expect(page).toHaveURL(/\/login\?next=/);
    await expect(page.getByRole('alert')).toContainText('Your session has ended');

    await manager.getByRole('link', { name: 'Audit' }).click();
    await manager.getByLabel('Event type').selectOption('member_revoked');
    await expect(manager.getByTestId('audit-row').filter({ hasText: 'Dee the Drummer' })).not.toHaveCount(0);
    await manager.context().close();
  });
});

test('after logout, Back does not show the setlists', async ({ page, request }) => {
  await createSetlist(request, 'Private plans', []);
  await logIn(page, 'manager');
  await expect(page.getByTestId('setlist-row').first()).toBeVisible();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goBack();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId('setlist-row')).toHaveCount(0);
  // A visitor with no session is offered the way in, in the server's HTML too.
  await page.goto('/');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' })).toBeVisible();
  const html = await (await page.request.get('/')).text();
  expect(html).toContain('<a href="/login">Log in');
});

test.describe('with 6-second access tokens', () => {
  test.use({ baseURL: shortLivedOrigin });

  test('work continues across token expiry without a visible re-login', async ({ page }) => {
    await logIn(page, 'manager');
    await page.waitForTimeout(8_000); // past the first token's expiry
    await page.getByRole('link', { name: 'New setlist' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Made after expiry');
    await page.getByLabel('Show date').fill('2027-03-01');
    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
    await expect(page.getByRole('heading', { name: 'Log in' })).toHaveCount(0);
  });

  test.describe('with no signal', () => {
    // The service worker would make the requests itself, out of the test's reach.
    test.use({ serviceWorkers: 'block' });

    test('a page opened with no signal says it cannot reach the server, keeps trying, and lets the member in once it can', async ({ page, consoleErrors }) => {
      await logIn(page, 'drummer');
      let unanswered = 0;
      const noSignal = async (route: import('@playwright/test').Route) => {
        unanswered += 1;
        await route.abort('internetdisconnected');
      };
      await page.route('**/api/auth/refresh', noSignal);
      await page.goto('/setlists');
      await expect(page.getByRole('status').filter({ hasText: 'Cannot reach Backstage right now' })).toBeVisible();
      // Still signed in, as far as anyone knows: the top bar does not ask for a login.
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' })).toHaveCount(0);
      expect(await (await page.request.get('/setlists')).text()).not.toContain('<a href="/login">Log in');
      await expect.poll(() => unanswered).toBeGreaterThan(1); // tried again, not given up
      await page.unroute('**/api/auth/refresh', noSignal);
      await expect(page.getByRole('heading', { name: 'Setlists' })).toBeVisible({ timeout: 10_000 });
      await expect(page.getByTestId('signed-in-as')).toContainText('Dee');
      allowFailedFetchErrors(consoleErrors);
    });
  });

  test.describe('with the page there and no signal after it', () => {
    test.use({ serviceWorkers: 'block' });

    test("a setlist opened by its address, whose chunk arrives after the refresh failed, says so and keeps the way to the kept copy", async ({ page, request, consoleErrors }) => {
      const id = await createSetlist(request, 'Flaky venue Wi-Fi', [{ title: 'Everlong', duration_secs: 250 }]);
      await logIn(page, 'drummer');
      const noSignal = (route: import('@playwright/test').Route) => route.abort('internetdisconnected');
      await page.route('**/api/**', noSignal);
      // The refresh fails at once; the page's chunk comes after, and hydration
      // must still find the line the server drew.
      await page.goto(`/setlists/${id}`);
      await expect(page.getByRole('status').filter({ hasText: 'Cannot reach Backstage right now' })).toBeVisible();
      await expect(page.getByRole('link', { name: 'Stage mode' })).toBeVisible();
      await page.unroute('**/api/**', noSignal);
      await expect(page.getByRole('heading', { name: 'Flaky venue Wi-Fi' })).toBeVisible({ timeout: 10_000 });
      allowFailedFetchErrors(consoleErrors);
    });
  });

  test.describe('while the database is away', () => {
    test.use({ expectedHttpErrors: [503] });

    test('a refresh answered 503 (the database away) is retried, and nobody is signed out', async ({ page }) => {
      await logIn(page, 'manager');
      let refused = 0;
      // The next refreshes meet a server whose database is away.
      await page.route('**/api/auth/refresh', async (route) => {
        if (refused < 2) {
          refused += 1;
          await route.fulfill({
            status: 503,
            headers: { 'Retry-After': '1' },
            contentType: 'application/json',
            body: JSON.stringify({ error: { code: 'unavailable', message: 'try again shortly' } }),
          });
        } else {
          await route.continue();
        }
      });
      await page.waitForTimeout(8_000); // past the first token's expiry, and the refusals
      expect(refused).toBe(2);
      await expect(page.getByTestId('signed-in-as')).toContainText('manager');
      await page.getByRole('link', { name: 'New setlist' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Made after the outage');
      await page.getByLabel('Show date').fill('2027-03-02');
      await page.getByRole('button', { name: 'Save setlist' }).click();
      await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
    });
  });
});

test("the keyboard's first stop skips the top bar, straight to the page", async ({ page }) => {
  await logIn(page, 'drummer');
  // A fresh load: the keyboard starts at the top of the document.
  await page.goto('/setlists');
  await expect(page.getByRole('heading', { name: 'Setlists', exact: true })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  // The next stop is in the page, not the top bar.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
});

test('a page opened from the top bar takes the focus, as a new page load would', async ({ page }) => {
  await logIn(page, 'drummer');
  const songs = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Songs' });
  await songs.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Song library' })).toBeVisible();
  // The link stays in the top bar; the keyboard goes on from the new page.
  await expect(page.locator('main')).toBeFocused();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
});

test('paging the audit log by keyboard keeps the focus on the paging buttons', async ({ page, request }) => {
  for (let i = 0; i < 26; i++) await createSetlist(request, `Paged ${i}`, []);
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByLabel('Event type').selectOption('setlist_created');
  const older = page.getByRole('button', { name: 'Older' });
  const newer = page.getByRole('button', { name: 'Newer' });
  await older.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Page 2 of the audit log.')).toBeAttached();
  await newer.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Page 1 of the audit log.')).toBeAttached();
  // "Newer" has nothing newer to page to now: it hands the focus on, not to the page.
  await expect(newer).toBeDisabled();
  await expect(older).toBeFocused();
});

test('a save with no signal keeps the edits, and its message goes once the server answers again', async ({ page, request, consoleErrors }) => {
  const id = await createSetlist(request, 'Saved from the cellar', [{ title: 'Opener', duration_secs: 200 }]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Saved from the cellar');
  await page.getByLabel('Venue').fill('The Cellar');
  await page.context().setOffline(true);
  await page.getByRole('button', { name: 'Save setlist' }).click();
  const noSignal = page.getByRole('alert').filter({ hasText: 'Could not reach the server' });
  await expect(noSignal).toBeVisible();
  await expect(page.getByLabel('Venue')).toHaveValue('The Cellar');
  // Back online: the live stream connects again, and the message is no longer true.
  await page.context().setOffline(false);
  await expect(noSignal).toHaveCount(0, { timeout: 15_000 });
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  allowFailedFetchErrors(consoleErrors);
});

test.describe('a conflict found by a save (the live stream away)', () => {
  test.use({ expectedHttpErrors: [409] });

  test('asks, and once answered nothing is left asking', async ({ page, request, consoleErrors }) => {
    const id = await createSetlist(request, 'Asked by a save', [{ title: 'Opener', duration_secs: 200 }]);
    // No live stream: the page learns of the other save only from its own 409.
    await page.route('**/api/events', (route) => route.abort('internetdisconnected'));
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Asked by a save');
    await page.getByLabel('Venue').fill('Mine');
    const { token } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
    expect((await request.put(`/api/setlists/${id}`, { headers, data: { ...setlist, venue: 'Theirs' } })).status()).toBe(200);
    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByTestId('conflicts')).toContainText('Venue: yours “Mine”, theirs “Theirs”');
    await expect(page.getByTestId('editor-status')).toContainText('choose yours or theirs');
    await page.getByRole('button', { name: 'Keep mine for Venue' }).click();
    await expect(page.getByTestId('editor-status')).toBeEmpty();
    allowFailedFetchErrors(consoleErrors);
  });
});
