import type { APIRequestContext, Page, Route } from '@playwright/test';
import { test, expect } from './fixtures';
import { createSetlist, gate, librarySong, logIn, unavailable } from './helpers';

const sizes = [
  { name: 'desktop', use: { viewport: { width: 1280, height: 800 } } },
  { name: 'phone', use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } },
];

for (const size of sizes) {
  test.describe(`the song library on a ${size.name}`, () => {
    test.use(size.use);

    test('a manager imports a CSV with a bad row after a preview, then searches', async ({ page }) => {
      const tag = `${size.name}${Date.now()}`;
      await logIn(page, 'manager');
      await page.getByRole('link', { name: 'Songs' }).click();
      await expect(page.getByRole('heading', { name: 'Song library' })).toBeVisible();

      const csv = [
        'title,artist,bpm,length,tags',
        `Hey Jude ${tag},The Beatles,74,7:11,"ballad, ${tag}"`,
        `,Nobody,fast,4.15,${tag}`,
        `Black ${tag},Pearl Jam,,5:43,${tag}`,
        // A title with no spaces must wrap, not widen the page past Edit and Delete.
        `${'Supercalifragilistic'.repeat(4)}${tag},Nobody,,1:00,${tag}`,
      ].join('\n');
      await page.getByLabel('CSV text').fill(csv);
      await page.getByRole('button', { name: 'Preview' }).click();
      const preview = page.getByTestId('import-preview');
      await expect(preview.getByRole('row')).toHaveCount(5);
      await expect(preview.getByRole('row').nth(2)).toContainText('Not imported');
      await expect(preview.getByRole('row').nth(2)).toContainText('title must not be empty');
      await expect(preview.getByRole('row').nth(2)).toContainText('bpm must be a whole number');
      await expect(preview.getByRole('row').nth(1)).toContainText('Will be added');
      // The preview wrote nothing.
      await page.getByLabel('Search').fill(tag);
      await expect(page.getByTestId('library-row')).toHaveCount(0);
      // Text not imported yet is unsaved work: leaving asks, and staying keeps it.
      let asked = '';
      page.once('dialog', (dialog) => {
        asked = dialog.message();
        void dialog.dismiss();
      });
      await page.getByRole('link', { name: 'Setlists' }).click();
      await expect(page.getByLabel('CSV text')).toHaveValue(csv);
      expect(asked).toContain('unsaved changes');
      // Opening the song form asks nothing: the CSV text stays on the page
      // (an unanswered question would keep the form closed).
      await page.getByRole('button', { name: 'Add a song' }).click();
      await expect(page.getByRole('form', { name: 'Add a song' })).toBeVisible();
      await page.getByRole('form', { name: 'Add a song' }).getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Import 3 new songs' }).click();
      await expect(page.getByText('Imported 3 songs.')).toBeVisible();
      // Import took itself away: the keyboard is on Preview, not the page's top.
      await expect(page.getByRole('button', { name: 'Preview' })).toBeFocused();
      await expect(page.getByTestId('library-row')).toHaveCount(3);
      // A long title wraps: its row's Delete is on the screen, the table
      // not scrolled sideways inside its box.
      const longRow = page.getByTestId('library-row').filter({ hasText: 'Supercalifragilistic' });
      const del = (await longRow.getByRole('button', { name: /^Delete/ }).boundingBox())!;
      expect(del.x + del.width, 'Delete on the screen').toBeLessThanOrEqual(page.viewportSize()!.width);
      const scroller = page.locator('.table-scroll').first();
      expect(await scroller.evaluate((box) => box.scrollWidth <= box.clientWidth), 'the table fits its box').toBe(true);
      // A screen reader hears the count once typing pauses, not per key.
      // The count for the earlier search is said first; only this one's is watched.
      await expect(page.getByTestId('live-announcer')).toHaveText(/^Songs found: /);
      await page.evaluate(() => {
        const said: string[] = [];
        (window as unknown as { said: string[] }).said = said;
        const announcer = document.querySelector('[data-testid="live-announcer"]')!;
        new MutationObserver(() => said.push(announcer.textContent ?? '')).observe(announcer, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      await page.getByLabel('Search').clear();
      await page.getByLabel('Search').pressSequentially(`jude ${tag}`, { delay: 20 });
      await expect(page.getByTestId('library-row')).toHaveCount(1);
      await expect(page.getByTestId('live-announcer')).toHaveText(/^Songs found: 1 \(of \d+\)\.$/);
      const counts = await page.evaluate(() =>
        (window as unknown as { said: string[] }).said.filter((text) => text.startsWith('Songs found')),
      );
      expect(new Set(counts).size, counts.join(' | ')).toBe(1);
      await expect(page.getByTestId('library-row')).toContainText('7:11');
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Tag').selectOption('ballad');
      await expect(page.getByTestId('library-row').filter({ hasText: `Hey Jude ${tag}` })).toHaveCount(1);
      await expect(page.getByTestId('library-row').filter({ hasText: `Black ${tag}` })).toHaveCount(0);

      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(page.viewportSize()!.width);

      // Imported, the text is saved work: leaving asks nothing (an
      // unanswered question would keep the page here).
      await page.getByRole('link', { name: 'Setlists' }).click();
      await expect(page).toHaveURL(/\/setlists$/);
    });
  });
}

test('a manager adds and edits a song; the editor offers it by title; a drummer only reads', async ({ page, browser }) => {
  const title = `Everlong ${Date.now()}`;
  await logIn(page, 'manager');
  await page.goto('/songs');
  await page.getByRole('button', { name: 'Add a song' }).click();
  const form = page.getByRole('form', { name: 'Add a song' });
  await form.getByLabel('Artist').fill('Foo Fighters');
  await form.getByLabel('BPM').fill('158');
  // A bare number is not taken as seconds: "4" would be a song of 0:04.
  await form.getByLabel('Length').fill('4');
  await form.getByRole('button', { name: 'Save song' }).click();
  // The app's checks, not the browser's bubble for the first empty field:
  // every refused field is marked, the first in the form focused.
  await expect(form.getByLabel('Title')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Title')).toBeFocused();
  await expect(form.getByLabel('Length')).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Title').fill(title);
  await form.getByRole('button', { name: 'Save song' }).click();
  await expect(form.getByRole('alert')).toContainText('length must be minutes:seconds');
  // The refused field is marked and has the focus; the others are not marked.
  await expect(form.getByLabel('Length')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Length')).toBeFocused();
  await expect(form.getByLabel('BPM')).not.toHaveAttribute('aria-invalid', /.*/);
  await form.getByLabel('Length').fill('4:10');
  await form.getByRole('button', { name: 'Save song' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Saved “${title}”.` })).toBeVisible();

  // Cancel brings the keyboard back to the row's Edit, not to the top of the page.
  const editButton = page.getByRole('button', { name: `Edit “${title}”` });
  await editButton.click();
  await page.getByRole('form', { name: 'Edit the song' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(editButton).toBeFocused();
  // A search typed meanwhile hid the row: the keyboard goes to "Add a song".
  await editButton.click();
  await page.getByLabel('Search').fill(`not ${title}`);
  await expect(editButton).toHaveCount(0);
  await page.getByRole('form', { name: 'Edit the song' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('button', { name: 'Add a song' })).toBeFocused();
  await page.getByLabel('Search').fill('');
  await editButton.click();
  const edit = page.getByRole('form', { name: 'Edit the song' });
  await edit.getByLabel('Key').fill('D');
  await edit.getByRole('button', { name: 'Save song' }).click();
  await expect(page.getByTestId('library-row').filter({ hasText: title })).toContainText('D');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export the library as CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('songs.csv');

  // A new setlist's song picked from the library brings its details; a copy
  // with none (the same title, no artist) does not hide the one that has them.
  const { headers } = await librarySong(page.request, { title, artist: '' });
  await page.goto('/setlists/new');
  await page.getByRole('button', { name: 'Add song' }).click();
  await page.getByTestId('song').getByLabel('Title').fill(title);
  await page.getByRole('button', { name: 'Fill in from the library: Foo Fighters · 4:10 · 158 BPM · D' }).click();
  await expect(page.getByTestId('song').getByLabel('Artist')).toHaveValue('Foo Fighters');
  await expect(page.getByTestId('song').getByLabel('BPM')).toHaveValue('158');
  await expect(page.getByTestId('song').getByLabel('Length (m:ss)')).toHaveValue('4:10');

  const drummer = await (await browser.newContext()).newPage();
  await logIn(drummer, 'drummer');
  await drummer.goto('/songs');
  const row = drummer.getByTestId('library-row').filter({ hasText: title }).filter({ hasText: 'Foo Fighters' });
  await expect(row).toHaveCount(1);
  await expect(drummer.getByRole('button', { name: 'Add a song' })).toHaveCount(0);
  await expect(drummer.getByRole('button', { name: `Delete “${title}”` })).toHaveCount(0);
  await expect(drummer.getByRole('heading', { name: 'Import from CSV' })).toHaveCount(0);
  // The tempo is the drummer's call: they set it, and their own notes, nothing else.
  await row.getByRole('button', { name: `Set the tempo and notes of “${title}”` }).click();
  const tempo = drummer.getByRole('form', { name: `Tempo and notes: ${title}` });
  await expect(tempo.getByLabel('BPM')).toBeFocused();
  await expect(tempo.getByLabel('Title')).toHaveCount(0);
  // The server's refusal of a tempo marks the field as the browser's own check does.
  const refuseTempo = (route: Route) =>
    route.request().method() === 'PATCH'
      ? route.fulfill({
          status: 422,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'validation_failed', message: 'Invalid input.', fields: { bpm: 'must be between 20 and 400' } } }),
        })
      : route.fallback();
  await drummer.route('**/api/songs/*', refuseTempo);
  await tempo.getByLabel('BPM').fill('150');
  await tempo.getByRole('button', { name: 'Save' }).click();
  await expect(tempo.getByRole('alert')).toContainText('BPM must be between 20 and 400');
  await expect(tempo.getByLabel('BPM')).toHaveAttribute('aria-invalid', 'true');
  await drummer.unroute('**/api/songs/*', refuseTempo);
  await tempo.getByLabel('BPM').fill('fast');
  await tempo.getByRole('button', { name: 'Save' }).click();
  await expect(tempo.getByRole('alert')).toContainText('The BPM must be a whole number');
  await expect(tempo.getByLabel('BPM')).toHaveAttribute('aria-invalid', 'true');
  await tempo.getByLabel('BPM').fill('160');
  await tempo.getByLabel("Drummer's notes").fill('Ride on the bridge');
  await tempo.getByRole('button', { name: 'Save' }).click();
  await expect(drummer.getByRole('status').filter({ hasText: `Saved the tempo and notes of “${title}”.` })).toBeVisible();
  await expect(drummer.getByRole('searchbox', { name: 'Search' })).toBeFocused();
  await expect(row.locator('td[data-label="BPM"]')).toHaveText('160');
  const songs = await (await page.request.get('/api/songs', { headers })).json();
  const saved = songs.find((song: { title: string; artist: string }) => song.title === title && song.artist === 'Foo Fighters');
  expect([saved.bpm, saved.drummer_notes, saved.key]).toEqual([160, 'Ride on the bridge', 'D']);
  await drummer.context().close();
});

test("a CSV saved by Excel as plain \"CSV\" (Windows-1252) is refused with the way out, and nothing garbled is read in", async ({ page }) => {
  await logIn(page, 'manager');
  await page.goto('/songs');
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  const file = page.getByLabel('CSV file');
  // "Soñando en Málaga" in Latin-1: ñ and á are single bytes, no UTF-8.
  const latin1 = Buffer.from('title,artist\nSo\xf1ando en M\xe1laga,Ni\xf1o\n', 'latin1');
  await file.setInputFiles({ name: 'repertoire.csv', mimeType: 'text/csv', buffer: latin1 });
  await expect(page.getByRole('alert')).toContainText('“repertoire.csv” is not UTF-8 text');
  await expect(page.getByRole('alert')).toContainText('CSV UTF-8');
  await expect(page.getByLabel('CSV text')).toHaveValue('');
  // Saved again as UTF-8: read in, and the refusal goes.
  await file.setInputFiles({ name: 'repertoire.csv', mimeType: 'text/csv', buffer: Buffer.from('title,artist\nSoñando en Málaga,Niño\n') });
  await expect(page.getByLabel('CSV text')).toHaveValue('title,artist\nSoñando en Málaga,Niño\n');
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test.describe('a CSV over the size the server takes', () => {
  test.use({ expectedHttpErrors: [413] });

  test('is refused in words, and the next file puts the refusal away', async ({ page }) => {
    await logIn(page, 'manager');
    await page.goto('/songs');
    const row = `A song with a rather long title,Some band,120,4:00,rock\n`;
    const oversized = `title,artist,bpm,length,tags\n${row.repeat(Math.ceil((1100 * 1024) / row.length))}`;
    const file = page.getByLabel('CSV file');
    await file.setInputFiles({ name: 'repertoire.csv', mimeType: 'text/csv', buffer: Buffer.from(oversized) });
    await expect(page.getByLabel('CSV text')).toHaveValue(/^title,artist,bpm,length,tags\nA song/);
    await page.getByRole('button', { name: 'Preview' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'more than the server takes at once' });
    await expect(refusal).toBeVisible();
    expect((await page.getByLabel('CSV text').inputValue()).length).toBe(oversized.length);
    await file.setInputFiles({ name: 'half.csv', mimeType: 'text/csv', buffer: Buffer.from(`title\nSmall ${Date.now()}\n`) });
    await expect(page.getByLabel('CSV text')).toHaveValue(/^title\nSmall /);
    await expect(refusal).toHaveCount(0);

    // While a preview is on its way, the text it is about cannot change.
    const importAnswer = gate();
    const holdImport = async (route: Route) => {
      await importAnswer.opened;
      await route.fallback();
    };
    await page.route('**/api/songs/import', holdImport);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByLabel('CSV text')).not.toBeEditable();
    await expect(file).toBeDisabled();
    importAnswer.open();
    await expect(page.getByText('Preview: 1 song to add')).toBeVisible();
    await expect(page.getByLabel('CSV text')).toBeEditable();
    await page.unroute('**/api/songs/import', holdImport);

    // A file picked just before Preview, whose read ends while the preview
    // is on its way: that preview is of the text before it, and is dropped, in words.
    const secondAnswer = gate();
    const holdAgain = async (route: Route) => {
      await secondAnswer.opened;
      await route.fallback();
    };
    await page.route('**/api/songs/import', holdAgain);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(file).toBeDisabled();
    const later = `title\nLater ${Date.now()}\nLatest ${Date.now()}\n`;
    await file.evaluate((input: HTMLInputElement, text: string) => {
      const files = new DataTransfer();
      files.items.add(new File([text], 'later.csv', { type: 'text/csv' }));
      input.files = files.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, later);
    await expect(page.getByLabel('CSV text')).toHaveValue(later);
    secondAnswer.open();
    await expect(page.getByRole('alert')).toContainText('A file came in while the preview was on its way');
    await expect(page.getByRole('status').filter({ hasText: 'Preview:' })).toHaveCount(0);
    await page.unroute('**/api/songs/import', holdAgain);
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByText('Preview: 2 songs to add')).toBeVisible();
  });
});

/** Two songs of this test's own in the library, and the drummer on its page. */
async function drummerWithTwoSongs(page: Page, request: APIRequestContext) {
  const suffix = Date.now().toString(36);
  await librarySong(request, { title: `Bright lights ${suffix}` });
  await librarySong(request, { title: `Dark night ${suffix}` });
  await logIn(page, 'drummer');
  await page.getByRole('link', { name: 'Songs' }).click();
  const rows = page.getByTestId('library-row');
  await expect(rows.filter({ hasText: `Dark night ${suffix}` })).toBeVisible();
  return { suffix, rows };
}

test('the search typed is still there after Back, and in the address', async ({ page, request }) => {
  const { suffix, rows } = await drummerWithTwoSongs(page, request);
  await page.getByLabel('Search').fill(`bright lights ${suffix}`);
  await expect(rows).toHaveCount(1);
  // Straight from the field to another page: leaving the field writes the address.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Setlists' }).click();
  await expect(page.getByRole('heading', { name: 'Setlists' })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(`/songs?q=bright%20lights%20${suffix}`);
  await expect(page.getByLabel('Search')).toHaveValue(`bright lights ${suffix}`);
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText(`Bright lights ${suffix}`);
});

test('a search takes rows out and puts them back, and leaves the rows it keeps as they are', async ({ page, request }) => {
  // No live updates: the stream's arrival would read the list again, and
  // draw every row anew as it should.
  await page.route('**/api/events', () => {});
  const { suffix, rows } = await drummerWithTwoSongs(page, request);
  const bright = rows.filter({ hasText: `Bright lights ${suffix}` });
  // With a big library, drawing every row again at each key froze the page.
  await bright.evaluate((row) => ((row as any).keptSince = 'before the search'));
  await page.getByLabel('Search').pressSequentially(`lights ${suffix}`);
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId('library-count')).toHaveText(/^1 of /);
  expect(await bright.evaluate((row) => (row as any).keptSince)).toBe('before the search');
  await page.getByLabel('Search').fill(`nothing like it ${suffix}`);
  await expect(page.getByText('No songs match.')).toBeVisible();
  await expect(page.getByRole('table')).toBeHidden();
  await page.getByLabel('Search').fill(suffix);
  await expect(rows).toHaveCount(2);
  await expect(page.getByText('No songs match.')).toHaveCount(0);
  await expect(page.getByRole('row').filter({ hasText: `Dark night ${suffix}` })).toBeVisible();
});

test("a new setlist's form is there before the song library has arrived", async ({ page, request }) => {
  const title = `Offered later ${Date.now()}`;
  await librarySong(request, { title, artist: '' });
  await logIn(page, 'manager');
  // A large library on a slow link: held until the form has been typed in.
  const library = gate();
  await page.route('**/api/songs', async (route) => {
    await library.opened;
    await route.fallback();
  });
  await page.goto('/setlists/new');
  const name = page.getByLabel('Name', { exact: true });
  await name.fill('Booked while the library loads');
  library.open();
  await expect(page.locator(`#library-songs option[value="${title}"]`)).toBeAttached();
  await expect(name).toHaveValue('Booked while the library loads');
});

test('the audit log says who removed a song from a setlist, in words', async ({ page, request }) => {
  const title = `Doomed ${Date.now()}`;
  const id = await createSetlist(request, 'Audited night', [
    { title: 'Stays', duration_secs: 200 },
    { title, duration_secs: 200 },
  ]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('button', { name: `Edit ${title}` }).click();
  await page.getByRole('button', { name: `Remove ${title}` }).click();
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();

  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByLabel('Event type').selectOption('setlist_changed');
  const row = page.getByTestId('audit-row').filter({ hasText: title }).first();
  await expect(row).toContainText('Setlist edited');
  await expect(row).toContainText('Max the Manager');
  await expect(row).toContainText(`“Audited night”: removed “${title}”.`);

  // Pass renewals are folded away until asked for.
  await page.getByLabel('Event type').selectOption('');
  await expect(page.getByTestId('audit-row').filter({ hasText: 'Pass renewed' })).toHaveCount(0);
});

test.describe("a library edit that meets someone else's change", () => {
  // The stale save is answered 409: Chromium logs it.
  test.use({ expectedHttpErrors: [409] });

  test('keeps what was typed, takes their change where nothing was typed, and leaving with it asks first', async ({ page, request }) => {
    const title = `Creep ${Date.now()}`;
    const { song, headers } = await librarySong(request, { title, artist: 'Radiohead', duration_secs: 239 });
    await logIn(page, 'manager');
    await page.goto('/songs');
    await page.getByRole('button', { name: `Edit “${title}”` }).click();
    const edit = page.getByRole('form', { name: 'Edit the song' });
    // The form opens above the list: the keyboard (and the view) go to it.
    await expect(edit.getByLabel('Title')).toBeFocused();
    await edit.getByLabel('Key').fill('G');

    // Leaving with something typed asks first; staying keeps it.
    page.once('dialog', (dialog) => dialog.dismiss());
    await page.getByRole('link', { name: 'Setlists' }).click();
    await expect(edit.getByLabel('Key')).toHaveValue('G');
    // So does opening another song's form in its place.
    page.once('dialog', (dialog) => dialog.dismiss());
    await page.getByRole('button', { name: 'Add a song' }).click();
    await expect(edit.getByLabel('Key')).toHaveValue('G');

    // Someone else saves the song meanwhile.
    const theirs = await request.put(`/api/songs/${song.id}`, {
      headers,
      data: { title, artist: 'Radiohead', duration_secs: 239, notes: 'their note', version: song.version },
    });
    expect(theirs.status()).toBe(200);
    await edit.getByRole('button', { name: 'Save song' }).click();
    // Their note comes into the form (nothing was typed there); the key typed here stays.
    await expect(edit.getByRole('alert')).toContainText('Someone changed this song meanwhile: their changes are in the form now');
    await expect(edit.getByLabel('Key')).toHaveValue('G');
    await expect(edit.getByLabel('Notes')).toHaveValue('their note');
    await edit.getByRole('button', { name: 'Save song' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Saved “${title}”.` })).toBeVisible();
    const saved = await (await request.get(`/api/songs/${song.id}`, { headers })).json();
    expect(saved.key).toBe('G');
    expect(saved.notes, 'their change is not wiped by the second Save').toBe('their note');
  });

  test('closed while their version is read, the form stays closed and the page goes on working', async ({ page, request }) => {
    const title = `Lucky ${Date.now()}`;
    const { song, headers } = await librarySong(request, { title, artist: 'Radiohead', duration_secs: 259 });
    await logIn(page, 'manager');
    await page.goto('/songs');
    await page.getByRole('button', { name: `Edit “${title}”` }).click();
    const edit = page.getByRole('form', { name: 'Edit the song' });
    await edit.getByLabel('Key').fill('E');
    const theirs = await request.put(`/api/songs/${song.id}`, {
      headers,
      data: { title, artist: 'Radiohead (live)', duration_secs: 259, version: song.version },
    });
    expect(theirs.status()).toBe(200);

    // The 409's read of their version is held until the form is closed.
    const theirVersion = gate();
    let reads = 0;
    await page.route(`**/api/songs/${song.id}`, async (route) => {
      if (route.request().method() === 'GET') {
        reads += 1;
        await theirVersion.opened;
      }
      await route.fallback();
    });
    await edit.getByRole('button', { name: 'Save song' }).click();
    await expect.poll(() => reads).toBe(1);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await expect(edit).toHaveCount(0);
    const answered = page.waitForResponse(
      (response) => response.request().method() === 'GET' && new URL(response.url()).pathname === `/api/songs/${song.id}`,
    );
    theirVersion.open();
    await (await answered).finished();

    // Their version has nowhere to go: the form stays closed, nothing is said,
    // and the page still answers (a read of the closed form's fields would stop the app).
    await expect(edit).toHaveCount(0);
    await expect(page.getByRole('alert')).toHaveCount(0);
    const row = page.getByTestId('library-row').filter({ hasText: title });
    await expect(row.locator('td[data-label="Artist"]')).toHaveText('Radiohead (live)');
    await page.getByRole('button', { name: 'Add a song' }).click();
    await expect(page.getByRole('form', { name: 'Add a song' }).getByLabel('Title')).toBeFocused();
  });
});

test.describe('a library delete decided on an old list', () => {
  // The stale delete is answered 409: Chromium logs it.
  test.use({ expectedHttpErrors: [409] });

  test('deletes nothing, says why, and the next Delete takes the song', async ({ page, request }) => {
    const title = `Karma Police ${Date.now()}`;
    const { song, headers } = await librarySong(request, { title, artist: 'Radiohead', duration_secs: 264 });
    // No live updates: the list does not hear of the change below, as when
    // the signal drops just then.
    await page.route('**/api/events', () => {});
    await logIn(page, 'manager');
    await page.goto('/songs');
    await expect(page.getByRole('button', { name: `Delete “${title}”` })).toBeVisible();
    // Someone else adds a note after this list was read.
    const theirs = await request.put(`/api/songs/${song.id}`, {
      headers,
      data: { title, artist: 'Radiohead', duration_secs: 264, notes: 'capo 2', version: song.version },
    });
    expect(theirs.status()).toBe(200);

    page.on('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: `Delete “${title}”` }).click();
    await expect(page.getByRole('alert')).toContainText(`Not deleted: someone changed “${title}” meanwhile.`);
    expect((await request.get(`/api/songs/${song.id}`, { headers })).status()).toBe(200);

    // The list was read again: a second Delete is decided on their version.
    await page.getByRole('button', { name: `Delete “${title}”` }).click();
    await expect(page.getByRole('status').filter({ hasText: `Deleted “${title}”.` })).toBeVisible();
    expect((await request.get(`/api/songs/${song.id}`, { headers })).status()).toBe(404);
  });
});

test.describe("a drummer's library tempo that meets a manager's change", () => {
  // Each stale save is answered 409 (three in a row once), a resend made to fail 500, the deleted song's 404: Chromium logs them.
  test.use({ expectedHttpErrors: [404, 409, 500] });

  test('takes their change to other fields, says theirs to the tempo, and a deleted song in words', async ({ page, request }) => {
    const title = `Everlong ${Date.now()}`;
    const added = await librarySong(request, { title, artist: 'Foo Fighters', bpm: 100, duration_secs: 250 });
    const headers = added.headers;
    let song = added.song;
    const managerSaves = async (change: object) => {
      const put = await request.put(`/api/songs/${song.id}`, {
        headers,
        data: { title, artist: 'Foo Fighters', duration_secs: 250, bpm: song.bpm, key: song.key, version: song.version, ...change },
      });
      expect(put.status()).toBe(200);
      song = await put.json();
    };
    await logIn(page, 'drummer');
    await page.goto('/songs');
    const row = page.getByTestId('library-row').filter({ hasText: title });
    const openTempo = () => row.getByRole('button', { name: `Set the tempo and notes of “${title}”` }).click();
    const tempo = page.getByRole('form', { name: `Tempo and notes: ${title}` });

    // A manager's key, saved meanwhile, is no conflict: the tempo goes in over it.
    await openTempo();
    await managerSaves({ key: 'D' });
    await tempo.getByLabel('BPM').fill('158');
    const saves = async () => {
      await tempo.getByRole('button', { name: 'Save' }).click();
      // The form closes with the answer; "Saved" is the new one (opening a form clears the last).
      await expect(tempo).toHaveCount(0);
      await expect(page.getByRole('status').filter({ hasText: `Saved the tempo and notes of “${title}”.` })).toBeVisible();
    };
    const stored = async () => (await request.get(`/api/songs/${song.id}`, { headers })).json();
    await saves();
    song = await stored();
    expect([song.bpm, song.key]).toEqual([158, 'D']);

    // A manager's tempo, saved meanwhile, is not overwritten unseen.
    await openTempo();
    await managerSaves({ bpm: 140 });
    await tempo.getByLabel('BPM').fill('177');
    await expect(page.getByRole('status').filter({ hasText: 'Saved the tempo' })).toHaveCount(0);
    await tempo.getByRole('button', { name: 'Save' }).click();
    await expect(tempo.getByRole('alert')).toContainText('Someone else set the tempo to 140 meanwhile. What you typed is kept, not saved');
    await expect(tempo.getByLabel('BPM')).toHaveValue('177');
    // The list is read again: it shows their tempo, not the one the form opened on.
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('140');
    expect((await stored()).bpm).toBe(140);
    // Save again: the drummer has seen theirs, and puts theirs in its place.
    await saves();
    expect((await stored()).bpm).toBe(177);

    // Notes typed while a manager set the tempo: the tempo field takes theirs
    // (nothing was typed there), so even when the notes' resend fails, the
    // next Save cannot put the old tempo back.
    await openTempo();
    song = await stored();
    await managerSaves({ bpm: 90 });
    let patches = 0;
    const failSecondPatch = (route: Route) =>
      route.request().method() === 'PATCH' && ++patches === 2
        ? route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal', message: 'Something went wrong.' } }) })
        : route.fallback();
    await page.route(`**/api/songs/${song.id}`, failSecondPatch);
    await tempo.getByLabel("Drummer's notes").fill('count in on the hats');
    await tempo.getByRole('button', { name: 'Save' }).click();
    await expect(tempo.getByRole('alert')).toContainText('Something went wrong.');
    await expect(tempo.getByLabel('BPM')).toHaveValue('90');
    await expect(tempo.getByLabel("Drummer's notes")).toHaveValue('count in on the hats');
    await page.unroute(`**/api/songs/${song.id}`, failSecondPatch);
    await saves();
    song = await stored();
    expect([song.bpm, song.drummer_notes]).toEqual([90, 'count in on the hats']);

    // Cancel while a Save is on its way: the save still lands, and is said,
    // and the list shows it.
    await openTempo();
    const patchAnswer = gate();
    const holdPatch = async (route: Route) => {
      if (route.request().method() === 'PATCH') await patchAnswer.opened;
      await route.fallback();
    };
    await page.route(`**/api/songs/${song.id}`, holdPatch);
    await tempo.getByLabel('BPM').fill('141');
    await tempo.getByRole('button', { name: 'Save' }).click();
    await tempo.getByRole('button', { name: 'Cancel' }).click();
    await expect(tempo).toHaveCount(0);
    patchAnswer.open();
    await expect(page.getByRole('status').filter({ hasText: `Saved the tempo and notes of “${title}”.` })).toBeVisible();
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('141');
    await page.unroute(`**/api/songs/${song.id}`, holdPatch);

    // A manager saving the song before each of the drummer's sends: the
    // third 409 is said, not chased for ever, and what was typed stays.
    await openTempo();
    song = await stored();
    let sends = 0;
    const managerSavesFirst = async (route: Route) => {
      if (route.request().method() === 'PATCH') {
        sends += 1;
        await managerSaves({ notes: `take ${sends}` });
      }
      await route.fallback();
    };
    await page.route(`**/api/songs/${song.id}`, managerSavesFirst);
    await tempo.getByLabel('BPM').fill('150');
    await tempo.getByRole('button', { name: 'Save' }).click();
    await expect(tempo.getByRole('alert')).toContainText('Someone else keeps saving this song. What you typed is kept, not saved');
    expect(sends).toBe(3);
    await expect(tempo.getByLabel('BPM')).toHaveValue('150');
    expect((await stored()).bpm).toBe(141);
    await page.unroute(`**/api/songs/${song.id}`, managerSavesFirst);
    await saves();
    song = await stored();
    expect([song.bpm, song.notes]).toEqual([150, 'take 3']);

    // Deleted meanwhile: said in words, what was typed kept.
    await openTempo();
    expect((await request.delete(`/api/songs/${song.id}`, { headers })).status()).toBe(204);
    await tempo.getByLabel('BPM').fill('120');
    await tempo.getByRole('button', { name: 'Save' }).click();
    await expect(tempo.getByRole('alert')).toContainText('This song is no longer in the library: someone deleted it meanwhile.');
    await expect(tempo.getByLabel('BPM')).toHaveValue('120');
  });

  test('closed while their change is read, sends nothing more, and the list shows theirs', async ({ page, request }) => {
    const title = `My Hero ${Date.now()}`;
    const { song, headers } = await librarySong(request, { title, artist: 'Foo Fighters', bpm: 100, duration_secs: 260 });
    await logIn(page, 'drummer');
    await page.goto('/songs');
    const row = page.getByTestId('library-row').filter({ hasText: title });
    await row.getByRole('button', { name: `Set the tempo and notes of “${title}”` }).click();
    const tempo = page.getByRole('form', { name: `Tempo and notes: ${title}` });
    await tempo.getByLabel('BPM').fill('130');
    // A manager's key, saved meanwhile: the drummer's Save meets a 409, and
    // would send again over it once their version is read.
    const theirs = await request.put(`/api/songs/${song.id}`, {
      headers,
      data: { title, artist: 'Foo Fighters', bpm: 100, duration_secs: 260, key: 'F', version: song.version },
    });
    expect(theirs.status()).toBe(200);
    const theirVersion = gate();
    const sent: string[] = [];
    await page.route(`**/api/songs/${song.id}`, async (route) => {
      sent.push(route.request().method());
      if (route.request().method() === 'GET') await theirVersion.opened;
      await route.fallback();
    });
    await tempo.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => sent).toEqual(['PATCH', 'GET']);
    await tempo.getByRole('button', { name: 'Cancel' }).click();
    await expect(tempo).toHaveCount(0);
    theirVersion.open();

    // Cancelled: nothing is sent again, and the list is read again to show their key.
    await expect(row.locator('td[data-label="Key"]')).toHaveText('F');
    expect(sent).toEqual(['PATCH', 'GET']);
    expect((await (await request.get(`/api/songs/${song.id}`, { headers })).json()).bpm).toBe(100);
    await expect(page.getByRole('status').filter({ hasText: 'Saved the tempo' })).toHaveCount(0);
  });
});

test.describe("another member's library change", () => {
  // One re-read is answered 503 on purpose: Chromium logs it.
  test.use({ expectedHttpErrors: [503] });

  test("shows live; a failed re-read, an open form and the keyboard's place stay", async ({ page, request }) => {
    const title = `Paranoid Android ${Date.now()}`;
    const { song, headers } = await librarySong(request, { title, artist: 'Radiohead', duration_secs: 387 });
    const managerPatches = async (data: object) =>
      expect((await request.patch(`/api/songs/${song.id}`, { headers, data })).status()).toBe(200);
    await logIn(page, 'drummer');
    await page.getByRole('link', { name: 'Songs' }).click();
    const row = page.getByTestId('library-row').filter({ hasText: title });
    const tempoButton = row.getByRole('button', { name: `Set the tempo and notes of “${title}”` });
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('');

    // The manager sets the tempo: the row shows it, it is said, and the
    // keyboard stays on the row's button although the table is drawn anew.
    await tempoButton.focus();
    await managerPatches({ bpm: 82 });
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('82');
    await expect(page.getByTestId('live-announcer')).toHaveText('Max the Manager changed the song library.');
    await expect(tempoButton).toBeFocused();

    // A re-read that fails (a weak signal) leaves the list, and the keyboard, where they were.
    await page.route('**/api/songs', (route) => (route.request().method() === 'GET' ? unavailable(route) : route.fallback()));
    await managerPatches({ bpm: 83 });
    await expect(page.getByText('Could not read the latest changes: this is the list as it was.')).toBeVisible();
    // Said again in the same words: a no-break space makes it a change, which a screen reader speaks.
    const announced = () => page.getByTestId('live-announcer').evaluate((region) => region.textContent);
    await expect.poll(announced).toBe('Max the Manager changed the song library.\u00a0');
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('82');
    await expect(tempoButton).toBeFocused();
    await page.unroute('**/api/songs');
    // The read is tried again on its own.
    await expect(row.locator('td[data-label="BPM"]')).toHaveText('83');

    // A song added elsewhere comes in too.
    const added = `Airbag ${Date.now()}`;
    const addedAnswer = await request.post('/api/songs', { headers, data: { title: added, artist: 'Radiohead', duration_secs: 284 } });
    expect(addedAnswer.status()).toBe(201);
    await expect(page.getByTestId('library-row').filter({ hasText: added })).toHaveCount(1);

    // An open form keeps what is typed while the list follows the manager.
    await tempoButton.click();
    const tempo = page.getByRole('form', { name: `Tempo and notes: ${title}` });
    await tempo.getByLabel('BPM').fill('84');
    const reread = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/songs' && r.request().method() === 'GET');
    await managerPatches({ notes: 'the long one' });
    await (await reread).finished();
    await expect(tempo.getByLabel('BPM')).toHaveValue('84');
    await expect(tempo.getByLabel('BPM')).toBeFocused();

    // Escape closes the form, asking first since something is typed: no
    // keeps it, yes closes it and the keyboard goes back to the row.
    page.once('dialog', (dialog) => dialog.dismiss());
    await tempo.getByLabel('BPM').press('Escape');
    await expect(tempo.getByLabel('BPM')).toHaveValue('84');
    page.once('dialog', (dialog) => dialog.accept());
    await tempo.getByLabel('BPM').press('Escape');
    await expect(tempo).toHaveCount(0);
    await expect(tempoButton).toBeFocused();
    expect((await (await request.get(`/api/songs/${song.id}`, { headers })).json()).bpm).toBe(83);
  });
});

test('Escape from a held key or an input method still composing leaves the song form alone', async ({ page }) => {
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'Songs' }).click();
  await page.getByRole('button', { name: 'Add a song' }).click();
  const form = page.getByRole('form', { name: 'Add a song' });
  const title = form.getByLabel('Title');
  await title.fill('Karma Police');
  let asked = 0;
  page.on('dialog', (dialog) => {
    asked += 1;
    return dialog.dismiss();
  });
  // The key's repeats while it is held, and the Escape that ends an IME's composition.
  for (const init of [{ repeat: true }, { isComposing: true }]) {
    await title.dispatchEvent('keydown', { key: 'Escape', bubbles: true, ...init });
  }
  await expect(form).toBeVisible();
  expect(asked).toBe(0);
  // A plain press asks; no keeps what is typed.
  await title.press('Escape');
  await expect.poll(() => asked).toBe(1);
  await expect(title).toHaveValue('Karma Police');
});

test("a chosen tag stays chosen while others' songs come and go, and a row deleted elsewhere hands the keyboard on", async ({ page, request }) => {
  const stamp = Date.now();
  const tag = `zz${stamp}`;
  const title = `Exit Music ${stamp}`;
  const { song, headers } = await librarySong(request, { title, artist: 'Radiohead', duration_secs: 264, tags: [tag] });
  await logIn(page, 'drummer');
  await page.getByRole('link', { name: 'Songs' }).click();
  await page.getByLabel('Tag').selectOption(tag);
  await expect(page.getByTestId('library-row')).toHaveCount(1);

  // A tag that sorts first arrives: the options are drawn anew, the chosen one still shows.
  const earlier = await request.post('/api/songs', { headers, data: { title: `Airbag ${stamp}`, duration_secs: 284, tags: [`aa${stamp}`] } });
  expect(earlier.status()).toBe(201);
  await expect(page.getByLabel('Tag').locator(`option[value="aa${stamp}"]`)).toHaveCount(1);
  await expect(page.getByLabel('Tag')).toHaveValue(tag);

  // The focused row's song is deleted elsewhere: the keyboard goes to the search, not the page's top.
  await page.getByRole('button', { name: `Set the tempo and notes of “${title}”` }).focus();
  const deleted = await request.delete(`/api/songs/${song.id}`, { headers });
  expect(deleted.status()).toBe(204);
  await expect(page.getByTestId('library-row')).toHaveCount(0);
  await expect(page.getByLabel('Search')).toBeFocused();
  // The tag still filters, and still says so, with no song left to carry it.
  await expect(page.getByLabel('Tag')).toHaveValue(tag);
});
