import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { createSetlist, logIn } from './helpers';

/**
 * The pages few visits open (the manager's editor, the song library, members,
 * the audit log, a member's pass, password and sessions) are wasm chunks of
 * their own (app/src/pages/lazy.rs), fetched the first time one is opened.
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

test("a drummer's evening at the door never downloads the manager's pages", async ({ page, request }) => {
  const id = await createSetlist(request, `Split drummer ${Date.now()}`, [{ title: 'Creep', bpm: 92 }]);
  const chunks = chunksFetched(page);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  await expect(page.getByRole('heading', { name: /Split drummer/ })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Creep' }).getByLabel('Tempo (BPM)')).toHaveValue('92');
  await page.goto(`/setlists/${id}/stage`);
  await expect(page.getByTestId('stage-title')).toHaveText('Creep');
  expect(chunks).toEqual([]);
});

test('a manager opens the editor and the library by link, and the audit log by address', async ({ page, request }) => {
  const id = await createSetlist(request, `Split manager ${Date.now()}`, [{ title: 'Yellow', bpm: 88 }]);
  const chunks = chunksFetched(page);
  await logIn(page, 'manager');
  expect(chunks).toEqual([]);

  await page.goto(`/setlists/${id}`);
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(/Split manager/);
  expect(chunks.length).toBeGreaterThan(0);

  const before = chunks.length;
  await page.getByRole('link', { name: 'Songs' }).click();
  await expect(page.getByRole('heading', { name: 'Song library' })).toBeVisible();
  await expect(page).toHaveTitle('Song library · Backstage');
  expect(chunks.length).toBeGreaterThan(before);

  // Opened by address: the page hydrates with its chunk, then works.
  await page.goto('/audit');
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await expect(page).toHaveTitle('Audit log · Backstage');
});
