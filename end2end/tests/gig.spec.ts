import { type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { PASSWORD, apiToken, createSetlist, fillLogin, logIn } from './helpers';

// The gig: stage mode on a phone (both ways round) and a tablet, with no
// signal too, and the print sheet.

const SONGS = [
  { title: 'Everlong', duration_secs: 250, bpm: 158, key: 'D' },
  { title: 'My Hero', duration_secs: 260, bpm: 120, key: 'E' },
  { title: 'Times Like These', duration_secs: 266, bpm: 146, key: '' },
];

const SIZES = {
  'phone, landscape': { viewport: { width: 844, height: 390 }, isMobile: true, hasTouch: true },
  'phone, portrait': { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  tablet: { viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true },
};

/** A logged-in drummer on a device of `size`, with Wake Lock requests recorded. */
async function drummerOn(browser: Browser, baseURL: string | undefined, size: object): Promise<Page> {
  const context = await browser.newContext({ ...size, baseURL });
  await context.addInitScript(() => {
    (window as any).__wakeLocks = 0;
    const fake = { request: async () => { (window as any).__wakeLocks++; return { release: async () => {} }; } };
    Object.defineProperty(navigator, 'wakeLock', { value: fake, configurable: true });
  });
  const page = await context.newPage();
  await logIn(page, 'drummer');
  return page;
}

async function swipe(page: Page, fromX: number, toX: number) {
  await page.getByTestId('stage').locator('.stage-area').evaluate(
    (area, [from, to]) => {
      const touch = (x: number) => new Touch({ identifier: 1, target: area, clientX: x, clientY: 200 });
      area.dispatchEvent(new TouchEvent('touchstart', { changedTouches: [touch(from)], bubbles: true }));
      area.dispatchEvent(new TouchEvent('touchend', { changedTouches: [touch(to)], bubbles: true }));
    },
    [fromX, toX],
  );
}

for (const [name, size] of Object.entries(SIZES)) {
  test(`stage mode on a ${name}: keys, swipe and tap move through the show`, async ({ browser, baseURL, request }) => {
    const id = await createSetlist(request, `Stage on a ${name}`, SONGS);
    const page = await drummerOn(browser, baseURL, size);
    await page.goto(`/setlists/${id}`);
    await page.getByRole('link', { name: 'Stage mode' }).click();
    const title = page.getByTestId('stage-title');
    await expect(title).toHaveText('Everlong');
    await expect(page.getByTestId('stage-next')).toHaveText('Next: My Hero');
    // The app's chrome is hidden; leaving is one deliberate tap.
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
    await expect(page.getByRole('link', { name: 'Exit stage mode' })).toBeVisible();
    // The title fills most of the width in landscape, and never overflows it.
    const box = await title.boundingBox();
    const width = size.viewport.width;
    expect(box!.width).toBeLessThanOrEqual(width);
    if (name === 'phone, landscape') {
      expect(box!.width).toBeGreaterThan(width * 0.5);
      expect(box!.height, 'one line').toBeLessThan(size.viewport.height * 0.5);
    }
    // What comes next is on the screen too, below the title, key and tempo.
    const next = await page.getByTestId('stage-next').boundingBox();
    expect(next!.y + next!.height).toBeLessThanOrEqual(size.viewport.height);

    await page.keyboard.press('ArrowRight');
    await expect(title).toHaveText('My Hero');
    await page.keyboard.press('PageDown');
    await expect(title).toHaveText('Times Like These');
    await expect(page.getByTestId('stage-next')).toHaveText('Last song');
    // No key: the facts start with the tempo, with no dot before it.
    const facts = page.locator('.stage-meta .stage-fact');
    await expect(facts).toHaveText(['146 BPM', '4:26']);
    const dots = await facts.evaluateAll((spans) => spans.map((span) => getComputedStyle(span, '::before').content));
    expect(dots).toEqual(['none', '"·"']);
    await page.keyboard.press('PageUp');
    await expect(title).toHaveText('My Hero');
    await swipe(page, 300, 100); // left: forward
    await expect(title).toHaveText('Times Like These');
    await swipe(page, 100, 300); // right: back
    await expect(title).toHaveText('My Hero');
    await page.touchscreen.tap(width - 40, size.viewport.height / 2); // right side: forward
    await expect(title).toHaveText('Times Like These');
    await page.touchscreen.tap(20, size.viewport.height / 2); // left third: back
    await expect(title).toHaveText('My Hero');

    // The beat pulses at the song's tempo (My Hero: 120 BPM, 500 ms).
    const beatMs = await page.getByTestId('beat').evaluate((dot) => {
      const [animation] = dot.getAnimations();
      return Number(animation.effect!.getComputedTiming().duration);
    });
    expect(beatMs).toBeCloseTo(500, 0);
    expect(await page.evaluate(() => (window as any).__wakeLocks)).toBeGreaterThanOrEqual(1);

    await page.getByRole('link', { name: 'Exit stage mode' }).click();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await page.context().close();
  });
}

test('a reload mid-gig comes back to the song on stage, and Space on the Click box is the box', async ({ browser, baseURL, request }) => {
  const id = await createSetlist(request, 'Reloaded at the Roxy', SONGS);
  const page = await drummerOn(browser, baseURL, SIZES['phone, landscape']);
  await page.goto(`/setlists/${id}/stage`);
  const title = page.getByTestId('stage-title');
  await expect(title).toHaveText('Everlong');
  await page.keyboard.press('ArrowRight');
  await expect(title).toHaveText('My Hero');
  await page.reload();
  await expect(title).toHaveText('My Hero');
  // The tab says which show is on stage.
  await expect(page).toHaveTitle('Stage: Reloaded at the Roxy · Backstage');

  const click = page.getByRole('checkbox', { name: 'Click track' });
  await click.focus();
  await page.keyboard.press(' ');
  await expect(click).toBeChecked();
  await expect(title).toHaveText('My Hero');
  await page.keyboard.press(' ');
  await expect(click).not.toBeChecked();
  // Anywhere else, Space still turns the page (a pedal sends it).
  await click.blur();
  await page.keyboard.press(' ');
  await expect(title).toHaveText('Times Like These');
  // A tap on the box turns the Click on and leaves the pedal its Space.
  await page.keyboard.press('ArrowLeft');
  await expect(title).toHaveText('My Hero');
  await click.tap();
  await expect(click).toBeChecked();
  await expect(click).not.toBeFocused();
  await page.keyboard.press(' ');
  await expect(title).toHaveText('Times Like These');
  await expect(click).toBeChecked();
  await page.context().close();
});

test('stage mode follows a change made during the gig, keeps the Click on, tells of a set break, and outlives a delete', async ({ browser, baseURL, request }) => {
  const { token } = await apiToken(request, 'manager');
  const headers = { Authorization: `Bearer ${token}` };
  const created = await request.post('/api/setlists', {
    headers,
    data: {
      name: `Two sets at the Roxy ${Date.now()}`,
      show_date: '2099-12-31',
      sets: [
        { name: 'Set 1', songs: SONGS.slice(0, 2) },
        { name: 'Encore', songs: SONGS.slice(2) },
      ],
    },
  });
  expect(created.status()).toBe(201);
  const setlist = await created.json();
  const page = await drummerOn(browser, baseURL, SIZES['phone, landscape']);
  await page.goto(`/setlists/${setlist.id}/stage`);
  const title = page.getByTestId('stage-title');
  await expect(title).toHaveText('Everlong');
  // Switched on from the keyboard, so the focus stays on the box (a tap lets it go).
  const click = page.getByRole('checkbox', { name: 'Click track' });
  await click.focus();
  await page.keyboard.press(' ');
  await expect(click).toBeChecked();
  await page.keyboard.press('ArrowRight');
  await expect(title).toHaveText('My Hero');
  await expect(page.getByTestId('stage')).toContainText('Set 1 · Song 2 of 3');
  await expect(page.getByTestId('stage-next')).toHaveText('Next, Encore: Times Like These');

  // The manager sets a new tempo for the song on stage.
  const patched = await request.patch(`/api/setlists/${setlist.id}/songs/${setlist.songs[1].id}`, { headers, data: { bpm: 124 } });
  expect(patched.status()).toBe(200);
  await expect(page.getByTestId('stage')).toContainText('124 BPM');
  await expect(title).toHaveText('My Hero');
  await expect(click).toBeChecked();
  await expect(click).toBeFocused();

  // Deleted mid-gig: the show stays on stage, and says so.
  expect((await request.delete(`/api/setlists/${setlist.id}`, { headers })).status()).toBe(204);
  await expect(page.getByTestId('stage').getByRole('status')).toHaveText('Max the Manager deleted this show: this copy stays');
  await expect(title).toHaveText('My Hero');
  // The signal coming back reads nothing again: a 404 would take the show off stage.
  const reads: string[] = [];
  page.on('request', (request) => { if (request.url().endsWith(`/api/setlists/${setlist.id}`)) reads.push(request.url()); });
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.waitForTimeout(300);
  expect(reads).toEqual([]);
  await expect(title).toHaveText('My Hero');
  await page.context().close();
});

/** As a drummer would: into stage mode by the in-app link, with signal; the show is kept. */
async function onStageFromTheSetlist(browser: Browser, baseURL: string | undefined, request: APIRequestContext, name: string) {
  const id = await createSetlist(request, name, SONGS);
  const page = await drummerOn(browser, baseURL, SIZES['phone, landscape']);
  await page.goto(`/setlists/${id}`);
  await page.getByRole('link', { name: 'Stage mode' }).click();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect.poll(() => page.evaluate(() => caches.has('backstage-shows'))).toBe(true);
  return page;
}

/** Until a reload with no signal works: the page kept its own shell, and the worker controls it. */
async function readyForNoSignal(page: Page) {
  await expect
    .poll(() => page.evaluate(async () => Boolean(await (await caches.open('backstage-shell-v1')).match(location.pathname))))
    .toBe(true);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

test('stage mode works offline after a reload, and logout deletes the kept shows', async ({ browser, baseURL, request }) => {
  // A 7 s watch and a 15 s step besides the set-up: more than the default 30 s on a busy machine.
  test.setTimeout(60_000);
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'No signal at the Roxy');
  await readyForNoSignal(page);

  await page.context().setOffline(true);
  await page.reload();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect(page.getByTestId('as-of')).toContainText(/Offline, as of \d\d:\d\d/);
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('stage-title')).toHaveText('My Hero');
  // While the server is asked again and again, the stage is not drawn anew
  // (that would restart the Click): the same element stays after the 2 and 4 s tries.
  await page.getByTestId('stage').evaluate((stage) => stage.setAttribute('data-drawn-once', ''));
  await page.waitForTimeout(7_000);
  await expect(page.locator('[data-testid="stage"][data-drawn-once]')).toHaveCount(1);
  // No token was ever written anywhere the page can read back.
  const stored = await page.evaluate(async () => {
    const texts: string[] = [JSON.stringify(localStorage), JSON.stringify(sessionStorage)];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) texts.push(await (await cache.match(request))!.text());
    }
    return texts.join('\n');
  });
  expect(stored).not.toMatch(/eyJ[\w-]+\.eyJ/);
  // Leaving stage mode now (signed out by the reload, with no signal) is no dead end.
  await page.getByRole('link', { name: 'Exit stage mode' }).click();
  await expect(page.getByText('Cannot reach Backstage right now')).toBeVisible();
  await page.getByRole('link', { name: 'Stage mode' }).click();
  await expect(page.getByTestId('stage-title')).toHaveText('My Hero', { timeout: 15_000 });

  await page.context().setOffline(false);
  await page.goto('/setlists');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  expect(await page.evaluate(() => caches.has('backstage-shows'))).toBe(false);
  await page.context().close();
});

test('when the signal goes mid-set, stage mode says so at once, and stops once the show is read again', async ({ browser, baseURL, request }) => {
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'Signal lost at the Roxy');
  await expect(page.getByTestId('as-of')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await page.context().setOffline(true);
  await expect(page.getByTestId('as-of')).toHaveText(/^Offline, as of \d\d:\d\d$/);
  await expect(page.getByTestId('stage-title')).toHaveText('My Hero');
  await page.context().setOffline(false);
  await expect(page.getByTestId('as-of')).toHaveCount(0);
  // Read again, the show keeps its place.
  await expect(page.getByTestId('stage-title')).toHaveText('My Hero');
  await page.context().close();
});

test('any other page loaded with no signal leads to the shows kept on this device', async ({ browser, baseURL, request }) => {
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'Cellar <b>bar</b> & grill');
  await readyForNoSignal(page);

  await page.context().setOffline(true);
  await page.goto('/setlists');
  await expect(page.getByRole('heading', { name: 'No connection' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('Cannot reach Backstage right now');
  // The band's text is shown as text, never run as markup.
  const show = page.getByRole('listitem').filter({ hasText: 'Cellar <b>bar</b> & grill' });
  await expect(show).toBeVisible();
  await show.getByRole('link', { name: 'Stage mode' }).click();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect(page.getByTestId('as-of')).toContainText(/Offline, as of/);
  await page.context().close();
});

test('a page the network cannot bring while the browser believes it is online leads to the kept shows too', async ({ browser, baseURL, request }) => {
  // A venue's Wi-Fi with no way out: navigator.onLine stays true, every request fails.
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'Wi-Fi with no way out');
  await readyForNoSignal(page);
  await page.context().route('**/setlists', (route) => route.abort('internetdisconnected'));
  await page.goto('/setlists');
  await expect(page.getByRole('heading', { name: 'No connection' })).toBeVisible();
  await expect(page.getByRole('listitem').filter({ hasText: 'Wi-Fi with no way out' })).toBeVisible();
  await page.context().close();
});

test('leaving stage mode with no signal leads back to the kept copy', async ({ browser, baseURL, request }) => {
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'Exit at the Roxy');
  await page.context().setOffline(true);
  await page.getByRole('link', { name: 'Exit stage mode' }).click();
  await expect(page.getByRole('alert')).toContainText('Could not reach the server');
  await expect(page.getByText('A show opened on stage on this device is kept there')).toBeVisible();
  await page.getByRole('link', { name: 'Stage mode' }).click();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect(page.getByTestId('as-of')).toContainText(/Offline, as of/);
  await page.context().close();
});

test('the overview reached with no signal leads to the shows kept on this device', async ({ browser, baseURL, request }) => {
  const page = await onStageFromTheSetlist(browser, baseURL, request, 'Back to the list at the Roxy');
  await readyForNoSignal(page);
  await page.context().setOffline(true);
  await page.getByRole('link', { name: 'Exit stage mode' }).click();
  await page.getByRole('link', { name: 'Back to the list' }).click();
  await expect(page.getByRole('alert')).toContainText('Could not reach the server');
  await page.getByRole('link', { name: 'Reload to list them' }).click();
  await expect(page.getByRole('heading', { name: 'No connection' })).toBeVisible();
  const show = page.getByRole('listitem').filter({ hasText: 'Back to the list at the Roxy' });
  await show.getByRole('link', { name: 'Stage mode' }).click();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await page.context().close();
});

test('stage mode opened first by its address keeps all it needs for a reload with no signal', async ({ browser, baseURL, request }) => {
  const id = await createSetlist(request, 'Bookmarked at the Roxy', SONGS);
  const context = await browser.newContext({ ...SIZES['phone, landscape'], baseURL });
  // Signed in without a page: the stage page is the first this browser loads,
  // before the service worker controls anything, so the page keeps its own shell.
  expect((await context.request.post('/api/auth/login', { data: { username: 'drummer', password: PASSWORD } })).status()).toBe(200);
  const page = await context.newPage();
  await page.goto(`/setlists/${id}/stage`);
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  // Every file of the front end the page loaded: the stylesheet, the JS, the
  // wasm, the loader of chunks the JS imports, and stage mode's own chunk.
  // A poll that meets the page mid-navigation tries again rather than failing.
  const shell = () =>
    page.evaluate(async () => {
      const kept = new Set((await (await caches.open('backstage-shell-v1')).keys()).map((request) => request.url));
      const loaded = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.includes('/pkg/'));
      return { gigChunk: loaded.some((url) => url.endsWith('/split_gig.wasm')), notKept: loaded.filter((url) => !kept.has(url)) };
    }).catch((error: Error) => ({ error: error.message }));
  await expect.poll(shell, { timeout: 20_000 }).toEqual({ gigChunk: true, notKept: [] });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect(page.getByTestId('as-of')).toContainText(/Offline, as of \d\d:\d\d/);
  await context.close();
});

test('the cues written for the gig are on stage and on the print sheet', async ({ page, request }) => {
  const id = await createSetlist(request, 'Cues', [{ title: 'Everlong', duration_secs: 250, notes: 'Count in 4\nLong fade' }]);
  const headers = { Authorization: `Bearer ${(await apiToken(request, 'drummer')).token}` };
  const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
  const patched = await request.patch(`/api/setlists/${id}/songs/${setlist.songs[0].id}`, { headers, data: { drummer_notes: 'Ride on the bridge' } });
  expect(patched.status()).toBe(200);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}/stage`);
  await expect(page.getByTestId('stage-title')).toHaveText('Everlong');
  await expect(page.getByText('Count in 4')).toBeVisible();
  const cue = page.getByText('Drummer: Ride on the bridge');
  await expect(cue).toBeVisible();
  // A long note from the manager is shown whole where the screen has room,
  // and never pushes the drummer's cue off it.
  const note = 'Drums alone for eight bars, then the bass. Guitar at bar 17. Stop dead after the second chorus and wait for the singer; the bridge is half time, with the keys alone for its first four bars and the guitar back at the fifth; hold the last chord until the arm drops.';
  const managers = { Authorization: `Bearer ${(await apiToken(request, 'manager')).token}` };
  const { songs, ...show } = await (await request.get(`/api/setlists/${id}`, { headers: managers })).json();
  const longer = await request.put(`/api/setlists/${id}`, { headers: managers, data: { ...show, songs: [{ ...songs[0], notes: note }] } });
  expect(longer.status()).toBe(200);
  const long = page.getByText('Drums alone for eight bars');
  await expect(long).toBeVisible();
  expect(await long.evaluate((p) => p.scrollHeight <= p.clientHeight), 'the long note is whole').toBe(true);
  // The cue whole, above "Next" and on the screen.
  const cueBox = (await cue.boundingBox())!;
  const nextBox = (await page.getByTestId('stage-next').boundingBox())!;
  expect(cueBox.y + cueBox.height).toBeLessThanOrEqual(nextBox.y + 1);
  expect(nextBox.y + nextBox.height).toBeLessThanOrEqual(page.viewportSize()!.height);
  await page.goto(`/setlists/${id}/print`);
  await expect(page.getByTestId('sheet-song')).toContainText('hold the last chord until the arm drops');
  await expect(page.getByTestId('sheet-song')).toContainText('Drummer: Ride on the bridge');
});

test('on a short screen a two-line title, notes and a long next title all stay on it', async ({ browser, baseURL, request }) => {
  const notes = 'Capo 2. Long intro with four bars of drums alone, then the whole band comes in; watch the singer for the cut at the end of the bridge. Second line of notes here.';
  const id = await createSetlist(request, 'Sideways night', [
    { title: 'Boulevard Velvet 9', duration_secs: 243, bpm: 107, key: 'E', notes },
    { title: 'The Extraordinarily Long And Winding Song Title Number 10', duration_secs: 200, bpm: 120, key: 'A' },
  ]);
  // A phone held sideways, and a 1280 × 800 screen zoomed to 200 %.
  for (const viewport of [{ width: 851, height: 393 }, { width: 640, height: 400 }]) {
    const page = await drummerOn(browser, baseURL, { viewport, isMobile: true, hasTouch: true });
    await page.goto(`/setlists/${id}/stage`);
    await expect(page.getByTestId('stage-title')).toHaveText('Boulevard Velvet 9');
    const next = page.getByTestId('stage-next');
    await expect(next).toHaveText('Next: The Extraordinarily Long And Winding Song Title Number 10');
    const box = (await next.boundingBox())!;
    expect(box.y + box.height, `${viewport.width}×${viewport.height}`).toBeLessThanOrEqual(viewport.height);
    await page.context().close();
  }
  // Asked for less motion, the beat shows by its light alone.
  const calm = await drummerOn(browser, baseURL, { viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
  await calm.goto(`/setlists/${id}/stage`);
  const beat = calm.getByTestId('beat');
  await expect(beat).toBeVisible();
  expect(await beat.evaluate((dot) => getComputedStyle(dot).animationName)).toBe('beat-light');
  await calm.context().close();
});

test('on a phone every line of the notes is on stage', async ({ browser, baseURL, request }) => {
  const notes = 'Capo 2\nStart on the IV chord\nVerse: quiet\nChorus: full\nBridge: half time\nSolo 16 bars\nEnd on cue';
  const id = await createSetlist(request, 'Seven cues', [{ title: 'Short song', duration_secs: 180, bpm: 120, notes }]);
  const page = await drummerOn(browser, baseURL, { viewport: { width: 393, height: 727 }, isMobile: true, hasTouch: true });
  await page.goto(`/setlists/${id}/stage`);
  await expect(page.getByTestId('stage-title')).toHaveText('Short song');
  const note = page.getByText('Capo 2');
  await expect(note).toBeVisible();
  // Every line shows: nothing is cut and nothing needs scrolling.
  expect(await note.evaluate((p) => p.scrollHeight <= p.clientHeight), 'the note is whole').toBe(true);
  const box = (await note.boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual((await page.getByTestId('stage-next').boundingBox())!.y + 1);
  await page.context().close();
});

test('the print sheet has every song and no navigation in print media', async ({ page, request }) => {
  const id = await createSetlist(request, 'Sheet for the floor', SONGS);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('link', { name: 'Print sheet' }).click();
  await expect(page.getByRole('heading', { name: 'Sheet for the floor' })).toBeVisible();
  await expect(page).toHaveTitle('Print: Sheet for the floor · Backstage');
  await expect(page.locator('.sheet-when')).toHaveText('The Roxy · Thursday 31 December 2099');
  await page.emulateMedia({ media: 'print' });
  const songs = page.getByTestId('sheet-song');
  await expect(songs).toHaveCount(3);
  for (const song of SONGS) await expect(songs.filter({ hasText: song.title })).toBeVisible();
  await expect(songs.first()).toContainText('D · 158 BPM · 4:10');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print' })).toBeHidden();
  await page.emulateMedia({ media: 'screen' });
  await page.getByText('Plain text').click();
  await expect(page.getByLabel('The setlist as text, for the group chat')).toHaveValue(
    /^Sheet for the floor — The Roxy, Thursday 31 December 2099\n1\. Everlong \(D · 158 BPM · 4:10\)\n2\. My Hero/,
  );
});

test("\"Copy as text\" says Copied only once the browser has taken it", async ({ page, context, request }) => {
  const id = await createSetlist(request, 'Sheet for the chat', SONGS);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}/print`);
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await page.getByRole('button', { name: 'Copy as text' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^Sheet for the chat — The Roxy/);
});

test('a copy the browser refuses says so, and opens the text selected to copy by hand', async ({ page, request }) => {
  const id = await createSetlist(request, 'Sheet refused', SONGS);
  // As a browser answers without the permission, or with the page not focused.
  await page.addInitScript(() => {
    const refuse = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: refuse } });
  });
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}/print`);
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  const text = page.getByLabel('The setlist as text, for the group chat');
  await expect(text).toBeHidden();
  await page.getByRole('button', { name: 'Copy as text' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'The browser did not take it' })).toBeVisible();
  await expect(page.getByText('Copied.')).toHaveCount(0);
  await expect(text).toBeVisible();
  await expect(text).toBeFocused();
  const selected = await text.evaluate((box: HTMLTextAreaElement) => box.value.slice(box.selectionStart, box.selectionEnd));
  expect(selected).toMatch(/^Sheet refused — The Roxy[\s\S]*Times Like These/);
});

test.describe('a show that is gone', () => {
  test.use({ expectedHttpErrors: [404] });

  test("stage mode and the print sheet say so in the band's words", async ({ page }) => {
    await logIn(page, 'drummer');
    for (const view of ['stage', 'print']) {
      await page.goto(`/setlists/00000000-0000-4000-8000-000000000000/${view}`);
      await expect(page.getByRole('alert')).toHaveText('There is no such setlist: it may have been deleted.');
      await expect(page.getByRole('link', { name: 'Back to the list' })).toBeVisible();
      // The page still says where it is, for a screen reader's heading list.
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(view === 'stage' ? 'Stage' : 'Print');
    }
  });
});

test.describe('a visitor who is not logged in', () => {
  // The page's silent refresh finds no session: 401, which Chromium logs.
  test.use({ expectedHttpErrors: [401] });

  test('is asked by stage mode to log in, under its heading', async ({ page }) => {
    await page.goto('/setlists/00000000-0000-4000-8000-000000000000/stage');
    await expect(page.getByRole('alert')).toHaveText('Log in to see this show.');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Stage');
    // Back to this show once logged in.
    await expect(page.getByRole('link', { name: 'Log in' })).toHaveAttribute(
      'href',
      '/login?next=/setlists/00000000-0000-4000-8000-000000000000/stage',
    );
  });

  test('comes back to the print sheet shared with them once logged in', async ({ page, request }) => {
    const id = await createSetlist(request, 'Shared in the band chat', SONGS);
    await page.goto(`/setlists/${id}/print`);
    await expect(page.getByRole('alert')).toHaveText('Log in to see this show.');
    // The page's own link, not the top bar's.
    await page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
    await fillLogin(page, 'drummer', PASSWORD);
    await expect(page).toHaveURL(`/setlists/${id}/print`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Shared in the band chat');
  });
});
