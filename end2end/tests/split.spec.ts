import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { allowFailedFetchErrors, createSetlist, logIn } from './helpers';

/**
 * Every page but the login form and the list of setlists is in a wasm chunk
 * (app/src/pages/lazy.rs): a setlist's page, the manager's editor and pages,
 * the drummer's view, stage mode and the print sheet, a member's pass,
 * password and sessions. A chunk is fetched the first time it is needed, or
 * just before.
 */

/** The file names of every wasm chunk the page fetches, besides the main wasm. */
function chunksFetched(page: Page): string[] {
  const chunks: string[] = [];
  page.on('response', (response) => {
    const name = new URL(response.url()).pathname.split('/').pop() ?? '';
    if (name.endsWith('.wasm') && name !== 'backstage.wasm') chunks.push(name);
  });
  return chunks;
}

test("a drummer's evening at the door fetches the drummer's view, never the manager's or the account pages", async ({ page, request }) => {
  const id = await createSetlist(request, `Split drummer ${Date.now()}`, [{ title: 'Creep', bpm: 92 }]);
  const chunks = chunksFetched(page);
  await logIn(page, 'drummer');
  await expect(page.getByRole('heading', { name: 'Setlists' })).toBeVisible();
  // Once the list shows, a setlist's page (in the gig's chunk, with stage
  // mode) and the drummer's view of it are fetched.
  await expect.poll(() => chunks).toContain('split_drummer.wasm');
  await expect.poll(() => chunks).toContain('split_gig.wasm');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByRole('heading', { name: /Split drummer/ })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Creep' }).getByLabel('Tempo (BPM)')).toHaveValue('92');
  await page.goto(`/setlists/${id}/stage`);
  await expect(page.getByTestId('stage-title')).toHaveText('Creep');
  expect(chunks).not.toContain('split_manager.wasm');
  expect(chunks).not.toContain('split_account.wasm');
});

test('a manager opens the editor, the library and the pass by link, and the audit log by address', async ({ page, request }) => {
  const id = await createSetlist(request, `Split manager ${Date.now()}`, [{ title: 'Yellow', bpm: 88 }]);
  const chunks = chunksFetched(page);
  await logIn(page, 'manager');
  // Once the list shows, the manager's chunk is fetched: the editor and the other manager pages.
  await expect.poll(() => chunks).toContain('split_manager.wasm');

  await page.goto(`/setlists/${id}`);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(/Split manager/);
  // The top bar says where the page is: under Setlists, then on Songs.
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Setlists' })).toHaveAttribute('aria-current', 'true');
  await page.getByRole('link', { name: 'Songs' }).click();
  await expect(page.getByRole('heading', { name: 'Song library' })).toBeVisible();
  await expect(page).toHaveTitle('Song library · Backstage');
  await expect(nav.getByRole('link', { name: 'Songs' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.locator('[aria-current]')).toHaveCount(1);

  // A member's own pages are a chunk of their own, fetched when first opened.
  expect(chunks).not.toContain('split_account.wasm');
  await page.getByRole('link', { name: 'Your pass' }).click();
  await expect(page).toHaveTitle('Your pass · Backstage');
  expect(chunks).toContain('split_account.wasm');

  // Opened by address: the page hydrates with its chunk, then works.
  await page.goto('/audit');
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await expect(page).toHaveTitle('Audit log · Backstage');
});

test.describe('with no signal', () => {
  // The service worker would fetch the chunks itself, out of the test's reach.
  test.use({ serviceWorkers: 'block' });

  test('a page whose chunk cannot be fetched says so, the app lives on, and the next visit loads it', async ({ page, consoleErrors }) => {
    // The signal goes before the manager's chunk arrives: every chunk fails.
    const isChunk = (url: URL) => url.pathname.endsWith('.wasm') && !url.pathname.endsWith('/backstage.wasm');
    const failChunks = (route: import('@playwright/test').Route) => route.abort('internetdisconnected');
    await page.route(isChunk, failChunks);
    await logIn(page, 'manager');
    await page.getByRole('link', { name: 'Members' }).click();
    await expect(page.getByRole('alert')).toContainText('This page could not be loaded');
    await expect(page.getByRole('button', { name: 'Reload the app' })).toBeVisible();

    // Still alive, without a reload: the page the member came from works.
    await page.evaluate(() => ((window as any).__same_page = true));
    await page.getByRole('link', { name: 'Setlists' }).click();
    await expect(page.getByRole('heading', { name: 'Setlists' })).toBeVisible();
    expect(await page.evaluate(() => (window as any).__same_page)).toBe(true);

    // The signal is back: the same link now opens the page.
    await page.unroute(isChunk, failChunks);
    await page.getByRole('link', { name: 'Members' }).click();
    await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();

    allowFailedFetchErrors(consoleErrors);
  });

  test("a setlist's views and stage mode say so when their code cannot be fetched, and open once it can", async ({ page, request, consoleErrors }) => {
    const id = await createSetlist(request, `Split views ${Date.now()}`, [{ title: 'Creep', bpm: 92 }]);
    const chunksOf = (names: string) => (url: URL) => new RegExp(`/split_(${names})\\.wasm$`).test(url.pathname);
    const abort = (route: import('@playwright/test').Route) => route.abort('internetdisconnected');

    // Neither a setlist's page and stage mode (the gig's chunk) nor the drummer's view can be fetched.
    const views = chunksOf('drummer|gig');
    await page.route(views, abort);
    await logIn(page, 'drummer');
    await page.goto(`/setlists/${id}`);
    await expect(page.getByRole('alert')).toContainText('This page could not be loaded');
    await page.unroute(views, abort);

    // The setlist's page arrives (the gig's chunk); the drummer's view still cannot.
    const drummer = chunksOf('drummer');
    await page.route(drummer, abort);
    await page.goto(`/setlists/${id}`);
    await expect(page.getByRole('alert')).toContainText('This page could not be loaded');
    await page.unroute(drummer, abort);
    await page.goto(`/setlists/${id}`);
    await expect(page.getByRole('form', { name: 'Creep' }).getByLabel('Tempo (BPM)')).toHaveValue('92');

    // Stage mode opened by its address (a reload) when its chunk cannot be
    // fetched: the page still comes alive and says so.
    const gig = chunksOf('gig');
    await page.route(gig, abort);
    await page.goto(`/setlists/${id}/stage`);
    await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
    await expect(page.getByRole('alert')).toContainText('This page could not be loaded');

    // The signal is back: "Reload the app" opens stage mode.
    await page.unroute(gig, abort);
    await page.getByRole('button', { name: 'Reload the app' }).click();
    await expect(page.getByTestId('stage-title')).toHaveText('Creep');
    allowFailedFetchErrors(consoleErrors);
  });

  test('a setlist read that failed for want of signal is read again once the signal is back', async ({ page, request, consoleErrors }) => {
    const id = await createSetlist(request, `Read again ${Date.now()}`, [{ title: 'Creep', bpm: 92 }]);
    await logIn(page, 'drummer');
    // The drummer's view is fetched once, with signal.
    await page.goto(`/setlists/${id}`);
    await expect(page.getByRole('form', { name: 'Creep' })).toBeVisible();
    await page.getByRole('link', { name: '← Back to the list' }).click();

    const read = (url: URL) => url.pathname === `/api/setlists/${id}`;
    const abort = (route: import('@playwright/test').Route) => route.abort('internetdisconnected');
    await page.route(read, abort);
    await page.getByTestId('setlist-row').filter({ hasText: 'Read again' }).getByRole('link').click();
    await expect(page.getByRole('alert')).toContainText('Could not reach the server');

    await page.unroute(read, abort);
    await page.context().setOffline(true);
    await page.context().setOffline(false);
    await expect(page.getByRole('form', { name: 'Creep' }).getByLabel('Tempo (BPM)')).toHaveValue('92');
    allowFailedFetchErrors(consoleErrors);
  });
});
