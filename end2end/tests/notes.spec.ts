import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn } from './helpers';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test("the drummer's notes and the song notes are each their owner's, and one Save saves the page", async ({ browser, baseURL, page, request }) => {
  const id = await createSetlist(request, 'Notes night', [
    { title: 'Everlong', duration_secs: 250 },
    { title: 'Learn to Fly', duration_secs: 238 },
    { title: 'My Hero', duration_secs: 260 },
  ]);
  const context = await browser.newContext({ ...PHONE, baseURL });
  const phone = await context.newPage();
  await logIn(phone, 'drummer');
  await phone.goto(`/setlists/${id}`);
  await expect(phone.getByRole('heading', { name: 'Notes night' })).toBeVisible();
  // A drummer sets tempos and notes, and cannot reorder.
  await expect(phone.getByRole('button', { name: /^(Move|Reorder) / })).toHaveCount(0);
  const everlong = phone.getByRole('form', { name: 'Everlong' });
  const fly = phone.getByRole('form', { name: 'Learn to Fly' });
  await everlong.getByLabel('Tempo (BPM)').fill('158');
  // Two lines: what the drummer writes keeps its line breaks.
  await everlong.getByLabel("Drummer's notes").fill('ride on the chorus\nbrushes in the verse');
  await fly.getByLabel('Tempo (BPM)').fill('136');
  const saveAll = phone.getByRole('button', { name: 'Save all (2 songs)' });
  await saveAll.click();
  await expect(phone.getByRole('status').filter({ hasText: 'Saved 2 songs.' })).toBeVisible();
  await expect(phone.getByTestId('unsaved')).toHaveCount(0);
  // Typed again, the line about the last save goes: it would stand beside "Unsaved".
  await everlong.getByLabel('Tempo (BPM)').fill('160');
  await expect(phone.getByText('Saved 2 songs.')).toHaveCount(0);
  await expect(everlong.getByText('Saved.')).toHaveCount(0);
  await everlong.getByLabel('Tempo (BPM)').fill('158');
  await expect(phone.getByRole('button', { name: 'Save all', exact: true })).toBeDisabled();

  // The manager writes the song's notes and sees the drummer's, read-only.
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('button', { name: 'Edit Everlong' }).click();
  const song = page.getByRole('group', { name: 'Song 1: Everlong' });
  await expect(song.getByText("Drummer's notes: ride on the chorus brushes in the verse")).toBeVisible();
  await song.getByLabel('Song notes').fill('Key change after the solo');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await song.getByLabel('Song notes').fill('Key change after the bridge');
  await expect(page.getByTestId('unsaved')).toBeVisible();
  await expect(page.getByTestId('editor-status')).toBeEmpty();
  await song.getByLabel('Song notes').fill('Key change after the solo');

  // The drummer's page follows: the manager's notes appear, the drummer's stay.
  await expect(phone.getByText("Song notes (the manager's): Key change after the solo")).toBeVisible();
  await expect(everlong.getByLabel("Drummer's notes")).toHaveValue('ride on the chorus\nbrushes in the verse');

  const { token } = await apiToken(request, 'drummer');
  const saved = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(saved.songs[0]).toMatchObject({ bpm: 158, notes: 'Key change after the solo', drummer_notes: 'ride on the chorus\nbrushes in the verse' });
  expect(saved.songs[1].bpm).toBe(136);
  await context.close();
});

test("a drummer's save sends only what the drummer changed, and a tempo out of range is said before anything is sent", async ({ page, request }) => {
  const id = await createSetlist(request, 'Only mine night', [{ title: 'Two', duration_secs: 200, bpm: 100 }]);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  const two = page.getByRole('form', { name: 'Two' });
  await two.getByLabel("Drummer's notes").fill('count in four');
  // The tempo left alone is not sent: it cannot undo a change this page has not heard of.
  const patch = page.waitForRequest((request) => request.method() === 'PATCH');
  await page.getByRole('button', { name: 'Save all (1 song)' }).click();
  expect((await patch).postDataJSON()).toEqual({ drummer_notes: 'count in four', version: 1 });
  await expect(page.getByRole('status').filter({ hasText: 'Saved 1 song.' })).toBeVisible();

  let patches = 0;
  page.on('request', (request) => {
    if (request.method() === 'PATCH') patches += 1;
  });
  await two.getByLabel('Tempo (BPM)').fill('1000');
  await two.getByRole('button', { name: 'Save tempo and notes for Two' }).click();
  await expect(page.getByText('The BPM must be between 20 and 400.')).toBeVisible();
  await expect(two.getByLabel('Tempo (BPM)')).toHaveAttribute('aria-invalid', 'true');
  // The page's "Saved 1 song." was about the earlier save: it would contradict this one.
  await expect(page.getByText('Saved 1 song.')).toHaveCount(0);
  expect(patches).toBe(0);
  await two.getByLabel('Tempo (BPM)').fill('200');
  await two.getByRole('button', { name: 'Save tempo and notes for Two' }).click();
  await expect(two.getByLabel('Tempo (BPM)')).not.toHaveAttribute('aria-invalid', 'true');
});

test.describe('a change the page has not heard of', () => {
  // The first save is refused (409) for the version the page showed.
  test.use({ expectedHttpErrors: [409] });

  test("is not replaced by the drummer's save until the drummer saves again, knowing", async ({ page, request }) => {
    const id = await createSetlist(request, 'Unheard night', [
      { title: 'Alpha', duration_secs: 200, bpm: 100 },
      { title: 'Bravo', duration_secs: 200 },
    ]);
    // The live stream never answers (a venue's network that lost it): the page hears of nothing.
    await page.route('**/api/events', () => {});
    await logIn(page, 'drummer');
    await page.goto(`/setlists/${id}`);
    const alpha = page.getByRole('form', { name: 'Alpha' });
    const bravo = page.getByRole('form', { name: 'Bravo' });
    await alpha.getByLabel('Tempo (BPM)').fill('105');
    await bravo.getByLabel('Tempo (BPM)').fill('140');

    const { token } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    const read = async () => (await request.get(`/api/setlists/${id}`, { headers })).json();
    const alphaId = (await read()).songs[0].id;
    const theirs = await request.patch(`/api/setlists/${id}/songs/${alphaId}`, { headers, data: { bpm: 98 } });
    expect(theirs.status()).toBe(200);

    await page.getByRole('button', { name: 'Save all (2 songs)' }).click();
    await expect(page.getByText('Saved 1 song; 1 song not saved: see the messages below.')).toBeVisible();
    await expect(page.getByText('Someone else set the tempo to 98 meanwhile.', { exact: false })).toBeVisible();
    await expect(alpha.getByLabel('Tempo (BPM)')).toHaveValue('105');
    let stored = await read();
    expect(stored.songs.map((song: { bpm: number }) => song.bpm)).toEqual([98, 140]);

    await alpha.getByRole('button', { name: 'Save tempo and notes for Alpha' }).click();
    await expect(page.getByTestId('unsaved')).toHaveCount(0);
    stored = await read();
    expect(stored.songs.map((song: { bpm: number }) => song.bpm)).toEqual([105, 140]);
  });
});
