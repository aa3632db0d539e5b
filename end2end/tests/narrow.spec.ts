import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn } from './helpers';

/** A small phone: whatever the band types, nothing scrolls sideways. */
test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

const unbroken = (length: number) => 'Supercalifragilistic'.repeat(Math.ceil(length / 20)).slice(0, length);

async function expectNoSidewaysScroll(page: import('@playwright/test').Page, what: string) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const viewport = page.viewportSize()!.width;
  expect(width, `${what}: page width at ${viewport} px`).toBeLessThanOrEqual(viewport);
}

/** Every button, button-like link and field is at least 44 px tall (and a button as wide): a finger's target. */
async function expectFingerSizedTargets(page: import('@playwright/test').Page, what: string) {
  const small = await page.evaluate(() =>
    [...document.querySelectorAll('button, a.button, input:not([type=checkbox]):not([type=hidden]), select, header nav a')]
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0)
      .filter(({ element, box }) => box.height < 44 || (element.tagName === 'BUTTON' && box.width < 44))
      .map(({ element, box }) => `${element.tagName.toLowerCase()} "${element.textContent?.trim() || element.getAttribute('aria-label') || element.id}" ${Math.round(box.width)}×${Math.round(box.height)}`),
  );
  expect(small, `${what}: targets smaller than 44 px`).toEqual([]);
}

test('no horizontal overflow at 360 px with 200-character unbroken words, and finger-sized targets', async ({ page, request }) => {
  const id = await createSetlist(request, unbroken(120), [
    { title: unbroken(200), artist: unbroken(120), duration_secs: 200, bpm: 120, key: 'E', notes: unbroken(400) },
    { title: 'Short one', artist: 'The Band', duration_secs: 180, bpm: 96, key: 'A', notes: '' },
  ]);
  // Each page also names itself in the tab.
  const pages: [string, string, string][] = [
    ['the overview', '/setlists', 'Setlists · Backstage'],
    ['the editor', `/setlists/${id}`, `${unbroken(120)} · Backstage`],
    ['the stage view', `/setlists/${id}/stage`, `Stage: ${unbroken(120)} · Backstage`],
    ['the print sheet', `/setlists/${id}/print`, `Print: ${unbroken(120)} · Backstage`],
  ];
  await logIn(page, 'manager');
  for (const [what, path, title] of pages) {
    await page.goto(path);
    await expect(page.getByText('Short one').first().or(page.getByTestId('setlist-row').first())).toBeVisible();
    await expect(page).toHaveTitle(title);
    await expectNoSidewaysScroll(page, `manager, ${what}`);
    await expectFingerSizedTargets(page, `manager, ${what}`);
  }
  // The running order's lines, and every song's form opened under them.
  await page.goto(`/setlists/${id}`);
  await expect(page.getByTestId('song-title').first()).toHaveText(unbroken(200));
  await page.getByRole('button', { name: 'Edit all songs' }).click();
  await expect(page.getByRole('group', { name: 'Song 2: Short one' })).toBeVisible();
  await expectNoSidewaysScroll(page, 'manager, the editor with every song open');
  await expectFingerSizedTargets(page, 'manager, the editor with every song open');
  // The tables of many columns stack one row per block on a phone.
  for (const [path, heading] of [['/members', 'Band members'], ['/songs', 'Song library'], ['/audit', 'Audit log']]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await expectNoSidewaysScroll(page, `manager, ${path}`);
  }
  // A click before the page has hydrated would do nothing.
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByText('Short one').first()).toBeVisible();
  await expectNoSidewaysScroll(page, "drummer, the drummer's page");
  await expectFingerSizedTargets(page, "drummer, the drummer's page");
});

test('a copy asks for its date with the question on screen, above the focused field', async ({ page, request }) => {
  const name = `Copied on a phone ${Date.now()}`;
  const id = await createSetlist(request, name, [{ title: 'Only', duration_secs: 200 }]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('button', { name: 'Duplicate' }).click();
  const question = page.getByTestId('copied');
  await expect(question).toHaveText(`Copied: this is “${name} (copy)”. Set its date.`);
  await expect(page.getByLabel('Show date')).toBeFocused();
  // The phone scrolls the focused field up; the question must not go off the top.
  await expect(question).toBeInViewport({ ratio: 0.95 });
  await expect(page.getByLabel('Show date')).toBeInViewport({ ratio: 0.95 });
  // A screen reader hears it with the field.
  await expect(page.getByLabel('Show date')).toHaveAccessibleDescription(/^Copied: this is .* Set its date\./);
});

test("a refused save says why on screen, though the focus went to a field far above Save", async ({ page }) => {
  await logIn(page, 'manager');
  await page.goto('/setlists/new');
  for (const title of ['Opener', 'Middle', 'Closer']) {
    await page.getByRole('button', { name: 'Add song' }).click();
    await page.getByTestId('song').last().getByLabel('Title', { exact: true }).fill(title);
  }
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
  const why = page.locator('#editor-error [role=alert]');
  await expect(why).toContainText('name');
  await expect(why).toBeInViewport();
  await expect(page.getByLabel('Name', { exact: true })).toBeInViewport();
});

test.describe('a tablet held upright', () => {
  test.use({ viewport: { width: 768, height: 1024 }, isMobile: true, hasTouch: true });

  test('the tables of many columns stack rather than run off the page', async ({ page, request }) => {
    const { token } = await apiToken(request, 'manager');
    const song = await request.post('/api/songs', {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Tablet ${Date.now()}`, artist: 'The Long-Named Band', key: 'D#m', bpm: 120, duration_secs: 250, tags: ['ballad', 'encore'] },
    });
    expect(song.status()).toBe(201);
    await createSetlist(request, 'Tablet night', [{ title: 'Everlong', duration_secs: 250 }]);
    await logIn(page, 'manager');
    for (const path of ['/members', '/songs', '/audit', '/setlists']) {
      await page.goto(path);
      await expect(page.locator('table tbody tr').first()).toBeVisible();
      await expectNoSidewaysScroll(page, `manager, ${path}`);
    }
  });
});
