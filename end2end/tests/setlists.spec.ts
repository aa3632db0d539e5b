import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn, unavailable, unavailableOnPost } from './helpers';

test('a manager creates a setlist, reorders songs, saves and sees the total', async ({ page }) => {
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'New setlist' }).click();
  await page.getByLabel('Name').fill('Friday at the <Roxy>');
  await page.getByLabel('Venue').fill('The Roxy');
  await page.getByLabel('Show date').fill('2037-12-04');
  await expect(page.getByTestId('show-date-words'), 'the date in words beside the picker').toHaveText('Friday 4 December 2037');

  for (const [title, length] of [['Everlong', '4:10'], ['Learn to Fly', '3:55'], ['My Hero', '4:20']]) {
    await page.getByRole('button', { name: 'Add song' }).click();
    const song = page.getByTestId('song').last();
    await song.getByLabel('Title', { exact: true }).fill(title);
    await song.getByLabel('Length (m:ss)').fill(length);
  }
  await page.getByRole('button', { name: 'Move My Hero up' }).click();
  await page.getByRole('button', { name: 'Move My Hero up' }).click();
  await expect(page.getByTestId('total-duration')).toContainText('3 songs · total 12:25');

  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
  // The page is drawn anew at its address: the save is said, and the
  // keyboard starts from the page, not from the top of the document.
  await expect(page.getByTestId('live-announcer')).toHaveText('Saved “Friday at the <Roxy>”.');
  await expect(page.locator('#content')).toBeFocused();
  // The saved show opens as its running order, one line per song.
  await expect(page.getByTestId('song-title')).toHaveText(['My Hero', 'Everlong', 'Learn to Fly']);
  await expect(page.getByTestId('song').first()).toContainText('4:20');

  await page.getByRole('link', { name: '← Back to the list' }).click();
  const row = page.getByTestId('setlist-row').filter({ hasText: 'Friday at the <Roxy>' });
  await expect(row).toContainText('12 min');
  await expect(row, 'the date with its weekday').toContainText('Fri 4 Dec 2037');
  await expect(row).toContainText('3');
});

test('a drummer sees no manager controls but can set a tempo', async ({ page, request }) => {
  // Arrange: a setlist made through the API as the manager.
  const login = await request.post('/api/auth/login', { data: { username: 'manager', password: 'backstage-pass-1' } });
  const { access_token } = await login.json();
  const created = await request.post('/api/setlists', {
    headers: { Authorization: `Bearer ${access_token}` },
    data: { name: 'Drummer check', show_date: '2099-12-31', songs: [{ title: 'Monkey Wrench', duration_secs: 231, bpm: 175 }] },
  });
  expect(created.status()).toBe(201);
  const { id } = await created.json();

  await logIn(page, 'drummer');
  await expect(page.getByRole('link', { name: 'New setlist' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Members' })).toHaveCount(0);
  await page.goto(`/setlists/${id}`);
  await expect(page.getByRole('heading', { name: 'Drummer check' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save setlist' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Delete setlist' })).toHaveCount(0);

  await page.getByLabel('Tempo (BPM)').fill('180');
  await page.getByLabel("Drummer's notes").fill('push the chorus');
  await page.getByRole('button', { name: 'Save tempo and notes for Monkey Wrench' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Tempo (BPM)')).toHaveValue('180');
  // The tab is named after the show, and follows the member around the app.
  await expect(page).toHaveTitle('Drummer check · Backstage');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Setlists' }).click();
  await expect(page).toHaveTitle('Setlists · Backstage');
  await page.getByRole('link', { name: 'Drummer check' }).first().click();
  await expect(page).toHaveTitle('Drummer check · Backstage');
  await page.goBack();
  await expect(page).toHaveTitle('Setlists · Backstage');
});

test('a setlist with all the songs it may hold says so at "Add song", and a song removed makes room', async ({ page, request }) => {
  const songs = Array.from({ length: 200 }, (_, i) => ({ title: `Song ${i + 1}` }));
  const id = await createSetlist(request, 'The long night', songs);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  const add = page.getByRole('button', { name: 'Add song', exact: true });
  await expect(add).toBeDisabled();
  await expect(add).toHaveAccessibleDescription('A setlist holds at most 200 songs.');
  await page.getByRole('button', { name: 'Edit Song 200', exact: true }).click();
  await page.getByRole('button', { name: 'Remove Song 200', exact: true }).click();
  await expect(add).toBeEnabled();
  await expect(page.getByText('A setlist holds at most 200 songs.')).toHaveCount(0);
  // A new song takes the place: the removed one cannot come back past the limit.
  await add.click();
  await expect(add).toBeDisabled();
  const undo = page.getByTestId('removed').getByRole('button', { name: 'Undo' });
  await expect(undo).toBeDisabled();
  await expect(undo).toHaveAccessibleDescription('A setlist holds at most 200 songs.');
});

test("a drummer's Save all with tempos it cannot take says why in one voice, and the keyboard goes to the first", async ({ page, request }) => {
  const id = await createSetlist(request, 'Tempo check', [
    { title: 'First song', duration_secs: 200 },
    { title: 'Second song', duration_secs: 200 },
  ]);
  await logIn(page, 'drummer');
  await page.goto(`/setlists/${id}`);
  const tempo = page.getByLabel('Tempo (BPM)');
  await tempo.nth(0).fill('fast');
  await tempo.nth(1).fill('500');
  await page.getByRole('button', { name: 'Save all (2 songs)' }).click();
  await expect(page.getByText('2 songs not saved: see the messages below.')).toBeVisible();
  await expect(page.getByText('The BPM must be a whole number between 20 and 400.')).toBeVisible();
  await expect(page.getByText('The BPM must be between 20 and 400.')).toBeVisible();
  await expect(tempo.nth(0)).toBeFocused();
});

test('songs are told apart by their place, moved from the keyboard, and bad input is announced', async ({ page }) => {
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'New setlist' }).click();
  await page.getByRole('button', { name: 'Add song' }).click();
  // One untitled song: its Title field is the only one (no button's name says "title").
  await page.getByLabel('Title').fill('A');
  for (const [place, title] of [[2, 'B'], [3, 'C']]) {
    await page.getByRole('button', { name: 'Add song' }).click();
    await page.getByRole('group', { name: `Song ${place}` }).getByLabel('Title').fill(`${title}`);
  }
  await expect(page.getByRole('group', { name: 'Song 2' }).getByLabel('Title')).toHaveValue('B');

  // Keyboard: Enter twice on "Move C up" moves it twice (the focus stays on
  // the button), and where it went is said, up to the top.
  const announcer = page.getByTestId('live-announcer');
  await page.getByRole('button', { name: 'Move C up' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('group', { name: 'Song 2' }).getByLabel('Title')).toHaveValue('C');
  await expect(announcer).toHaveText('Moved “C”: 2 of 3, number 2 in Set 1.');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('group', { name: 'Song 1' }).getByLabel('Title')).toHaveValue('C');
  await expect(announcer).toHaveText('Moved “C”: 1 of 3, first in Set 1.');
  await page.keyboard.press('Enter');
  await expect(announcer).toHaveText('Cannot move further: “C”: 1 of 3, first in Set 1.');

  // A tempo the browser cannot read as a number is reported, not saved as "no tempo".
  await page.getByRole('group', { name: 'Song 1' }).getByLabel('BPM').fill('12e');
  // Said under the field as it is typed, as an unreadable length is.
  await expect(page.getByRole('group', { name: 'Song 1' }).getByLabel('BPM')).toHaveAccessibleDescription(/A whole number, like 120/);
  await expect(page.getByTestId('song').filter({ has: page.getByRole('group', { name: 'Song 1' }) })).toContainText('tempo unreadable');

  // Nothing typed for the name or the date: the app says so (the browser does not block it).
  await page.getByRole('button', { name: 'Save setlist' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('name must not be empty');
  await expect(alert).toContainText('show date must be picked');
  await expect(alert).toContainText('Song 1 BPM must be a whole number');
  await expect(page).toHaveURL(/\/setlists\/new$/);
  await expect(page.getByRole('group', { name: 'Song 1' }).getByLabel('Title')).toHaveValue('C');
  // The first field to mend, in the page's order, has the focus.
  await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
  // Each field named in the alert is marked; the others are not.
  const bpm = page.getByRole('group', { name: 'Song 1' }).getByLabel('BPM');
  for (const field of [page.getByLabel('Name', { exact: true }), page.getByLabel('Show date'), bpm]) {
    await expect(field).toHaveAttribute('aria-invalid', 'true');
  }
  await expect(page.getByLabel('Venue')).not.toHaveAttribute('aria-invalid', /.*/);

  await page.getByLabel('Name', { exact: true }).fill('Keyboard night');
  await page.getByLabel('Show date').fill('2027-01-15');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(bpm).toBeFocused();
  await expect(page.getByLabel('Name', { exact: true })).not.toHaveAttribute('aria-invalid', /.*/);
  await page.getByRole('group', { name: 'Song 1' }).getByLabel('BPM').fill('120');
  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page.getByRole('heading', { name: 'Keyboard night' })).toBeVisible();
  await expect(page.getByTestId('total-duration')).toContainText('3 songs');
});

test('a drummer opening a manager page is told so, without a refused request', async ({ page }) => {
  await logIn(page, 'drummer');
  const managerRequests: string[] = [];
  page.on('request', (request) => {
    if (/\/api\/(users|audit)/.test(request.url())) managerRequests.push(request.url());
  });
  for (const path of ['/members', '/audit']) {
    await page.goto(path);
    await expect(page.getByRole('alert')).toContainText('Only managers can');
  }
  await page.getByRole('link', { name: 'Setlists', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Setlists', exact: true })).toBeVisible();
  expect(managerRequests).toEqual([]);
});

test('a new song is untimed until given a length, and a length the field cannot read is flagged at once', async ({ page }) => {
  await logIn(page, 'manager');
  await page.getByRole('link', { name: 'New setlist' }).click();
  await page.getByLabel('Name').fill('Untimed night');
  await page.getByLabel('Show date').fill('2037-12-05');
  for (const [title, length] of [['Timed', '4:10'], ['Not yet', ''], ['Typo', '']]) {
    await page.getByRole('button', { name: 'Add song' }).click();
    const song = page.getByTestId('song').last();
    await song.getByLabel('Title', { exact: true }).fill(title);
    await expect(song.getByLabel('Length (m:ss)'), 'a placeholder, not a value').toHaveValue('');
    if (length) await song.getByLabel('Length (m:ss)').fill(length);
  }
  await expect(page.getByTestId('total-duration')).toHaveText('3 songs · total 4:10 (4 min) + 2 untimed');

  const typo = page.getByTestId('song').last().getByLabel('Length (m:ss)');
  await typo.fill('4.15');
  await expect(typo).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Write it like 3:45')).toBeVisible();
  await typo.fill('4:15');
  await expect(typo).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('total-duration')).toHaveText('3 songs · total 8:25 (8 min) + 1 untimed');

  await page.getByRole('button', { name: 'Save setlist' }).click();
  await expect(page).toHaveURL(/\/setlists\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('total-duration')).toHaveText('3 songs · total 8:25 (8 min) + 1 untimed');
});

test.describe('the overview', () => {
  test.use({ expectedHttpErrors: [503] });

  test('shows upcoming shows first and pages the past', async ({ page, request }) => {
    const { token } = await apiToken(request, 'manager');
    for (let n = 0; n < 27; n++) {
      const created = await request.post('/api/setlists', {
        headers: { Authorization: `Bearer ${token}` },
        data: { name: `Archive gig ${n}`, show_date: `1999-01-${String(n + 1).padStart(2, '0')}`, songs: [] },
      });
      expect(created.status()).toBe(201);
    }
    await createSetlist(request, 'Next Friday', []);
    await logIn(page, 'drummer');
    const upcoming = page.getByRole('table', { name: 'Upcoming shows' });
    await expect(upcoming.getByRole('link', { name: 'Next Friday' })).toBeVisible();
    const past = page.getByRole('table', { name: 'Past shows' });
    await expect(past.getByRole('link', { name: 'Archive gig 26' })).toBeVisible();
    // The first answer holds 25 past shows at most: the oldest come a page at a time.
    const oldest = past.getByRole('link', { name: 'Archive gig 0', exact: true });
    await expect(oldest).toHaveCount(0);
    const older = page.getByRole('button', { name: 'Show older shows' });
    while (!(await oldest.count())) {
      await older.click();
      await expect(older.or(oldest)).toBeVisible();
      // The keyboard goes on at the first show the button brought, not at the page's top.
      await expect(past.locator('a:focus')).toHaveCount(1);
    }
    await expect(past.getByRole('link', { name: /^Archive gig \d+$/ })).toHaveCount(27);

    // A show added live re-reads the first page: the older pages asked for stay.
    await createSetlist(request, 'Added while reading the archive', []);
    await expect(upcoming.getByRole('link', { name: 'Added while reading the archive' })).toBeVisible();
    await expect(past.getByRole('link', { name: /^Archive gig \d+$/ })).toHaveCount(27);
    await expect(oldest).toBeVisible();

    // When that re-read fails, the page says so and keeps what it shows; the
    // button tries the re-read again, and nothing is shown twice.
    const olderPages = /\/api\/setlists\?before=/;
    await page.route(olderPages, unavailable);
    await createSetlist(request, 'Added while the archive is out of reach', []);
    await expect(page.getByRole('alert')).toContainText('The database is not answering');
    await expect(oldest).toBeVisible();
    await page.unroute(olderPages, unavailable);
    await older.click();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(past.getByRole('link', { name: /^Archive gig \d+$/ })).toHaveCount(27);
  });
});

test.describe('a reader west of UTC on a show evening', () => {
  test.use({ timezoneId: 'America/Los_Angeles' });

  test('still gets "Show older shows" when a show of their today is already past in UTC', async ({ page, request }) => {
    const { token } = await apiToken(request, 'manager');
    const utcToday = new Date().toISOString().slice(0, 10);
    const utcYesterday = new Date(Date.parse(utcToday) - 86_400_000).toISOString().slice(0, 10);
    const made = async (name: string, show_date: string) => {
      const created = await request.post('/api/setlists', { headers: { Authorization: `Bearer ${token}` }, data: { name, show_date, songs: [] } });
      expect(created.status()).toBe(201);
    };
    for (let n = 0; n < 26; n++) await made(`Old gig ${n}`, `1998-02-${String(n + 1).padStart(2, '0')}`);
    await made('Tonight in LA', utcYesterday);
    // 16:30 in Los Angeles, the evening before UTC's today: the show is tonight here, past for the server.
    await page.clock.setFixedTime(new Date(`${utcToday}T00:30:00Z`));
    await logIn(page, 'drummer');
    await expect(page.getByRole('table', { name: 'Upcoming shows' }).getByRole('link', { name: 'Tonight in LA' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Show older shows' })).toBeVisible();
  });
});

test('Delete asks with the focus on Cancel, Cancel or Escape gives it back, and a double click on Duplicate makes one copy', async ({ page, request }) => {
  const name = `Focus night ${Date.now()}`;
  const id = await createSetlist(request, name, [{ title: 'Only', duration_secs: 200 }]);
  await logIn(page, 'manager');
  await page.goto(`/setlists/${id}`);
  await page.getByRole('button', { name: 'Delete setlist' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Delete setlist' })).toBeFocused();
  // Escape answers "no" too, from either button.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(page.getByRole('button', { name: 'Yes, delete' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Delete setlist' })).toBeFocused();
  await expect(page.getByRole('button', { name: 'Yes, delete' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Duplicate' }).dblclick();
  await expect(page.getByRole('heading', { name: `${name} (copy)` })).toBeVisible();
  // The copy opens asking for its date, in words on the page, with the date field focused.
  await expect(page.getByTestId('copied')).toHaveText(`Copied: this is “${name} (copy)”. Set its date.`);
  await expect(page.getByLabel('Show date')).toBeFocused();
  await page.getByLabel('Show date').fill('2099-11-30');
  await expect(page.getByTestId('copied')).toHaveCount(0);
  const { token } = await apiToken(request, 'manager');
  const list = await (await request.get('/api/setlists', { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(list.filter((s: { name: string }) => s.name === `${name} (copy)`)).toHaveLength(1);
});

test.describe('a Delete decided on an old page', () => {
  // The stale delete is answered 409: Chromium logs it.
  test.use({ expectedHttpErrors: [409] });

  test('deletes nothing and says why', async ({ page, request }) => {
    const name = `Stale delete ${Date.now()}`;
    const id = await createSetlist(request, name, [{ title: 'Only', duration_secs: 200 }]);
    // No live updates: the page does not hear of the change below, as when
    // the signal drops just then.
    await page.route('**/api/events', () => {});
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(page.getByRole('heading', { name })).toBeVisible();

    const { token } = await apiToken(request, 'manager');
    const headers = { Authorization: `Bearer ${token}` };
    const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
    expect((await request.put(`/api/setlists/${id}`, { headers, data: { ...setlist, venue: 'The Troubadour' } })).status()).toBe(200);

    await page.getByRole('button', { name: 'Delete setlist' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expect(page.getByRole('alert')).toContainText('Not deleted: someone changed this setlist meanwhile.');
    await expect(page).toHaveURL(new RegExp(`/setlists/${id}$`));
    expect((await request.get(`/api/setlists/${id}`, { headers })).status()).toBe(200);
  });
});

test.describe('a Duplicate the server cannot take', () => {
  test.use({ expectedHttpErrors: [503] });

  test('says why, stays on the setlist, and the next click makes the copy', async ({ page, request }) => {
    const name = `Retry night ${Date.now()}`;
    const id = await createSetlist(request, name, [{ title: 'Only', duration_secs: 200 }]);
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await page.route('**/api/setlists', unavailableOnPost);
    const duplicate = page.getByRole('button', { name: 'Duplicate' });
    await duplicate.click();
    await expect(page.getByRole('alert')).toContainText('The database is not answering');
    await expect(page).toHaveURL(new RegExp(`/setlists/${id}$`));
    await expect(duplicate).toBeEnabled();

    await page.unroute('**/api/setlists', unavailableOnPost);
    await duplicate.click();
    await expect(page.getByRole('heading', { name: `${name} (copy)` })).toBeVisible();
  });
});

test.describe('a setlist that does not exist', () => {
  // The API's 404 for it: Chromium logs it.
  test.use({ expectedHttpErrors: [404] });

  test('says so in a heading, the tab title and an alert', async ({ page }) => {
    await logIn(page, 'drummer');
    await page.goto('/setlists/00000000-0000-4000-8000-000000000000');
    await expect(page.getByRole('heading', { level: 1, name: 'No such setlist' })).toBeVisible();
    await expect(page).toHaveTitle('No such setlist · Backstage');
    await expect(page.getByRole('alert')).toHaveText('There is no such setlist: it may have been deleted.');
    await expect(page.getByRole('link', { name: 'Back to the list' })).toBeVisible();
  });
});
