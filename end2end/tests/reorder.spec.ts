import { type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { apiToken, createSetlist, logIn } from './helpers';

// The running order: a three-set show arranged by dragging with the mouse,
// with a finger on a phone, and again by keyboard alone.

const [A, B, C, D, E, F] = ['Everlong', 'Monkey Wrench', 'My Hero', 'Best of You', 'Times Like These', 'The Pretender'];
const song = (title: string) => ({ title, artist: 'Foo Fighters', duration_secs: 240 });
const ARRANGED = [
  ['Set 1', [F, B]],
  ['Set 2', [D, A]],
  ['Encore', [C, E]],
];

async function setsOf(request: APIRequestContext, id: string) {
  const { token } = await apiToken(request, 'manager');
  const setlist = await (await request.get(`/api/setlists/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json();
  return setlist.sets.map((set: { name: string; songs: { title: string }[] }) => [set.name, set.songs.map((s) => s.title)]);
}

async function threeSets(request: APIRequestContext, name: string): Promise<string> {
  const { token } = await apiToken(request, 'manager');
  const created = await request.post('/api/setlists', {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      name, show_date: '2099-12-31',
      sets: [
        { name: 'Set 1', songs: [song(A), song(B)] },
        { name: 'Set 2', songs: [song(C), song(D)] },
        { name: 'Encore', songs: [song(E), song(F)] },
      ],
    },
  });
  expect(created.status()).toBe(201);
  return (await created.json()).id;
}

const row = (page: Page, title: string) => page.getByTestId('song').filter({ has: page.getByTestId('song-title').getByText(title, { exact: true }) });
const heading = (page: Page, set: number) => page.getByTestId('set-heading').nth(set - 1);

/** A point `where` a target's box: just inside its top or bottom edge. */
async function pointAt(target: Locator, where: 'top' | 'bottom') {
  const box = (await target.boundingBox())!;
  return { x: box.x + box.width / 2, y: where === 'top' ? box.y + 4 : box.y + box.height - 4 };
}

async function handleOf(page: Page, title: string) {
  const handle = page.getByRole('button', { name: `Reorder ${title}` });
  await handle.scrollIntoViewIfNeeded();
  const box = (await handle.boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function dragWithMouse(page: Page, title: string, target: Locator, where: 'top' | 'bottom') {
  const from = await handleOf(page, title);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  const to = await pointAt(target, where);
  await page.mouse.move(to.x, to.y, { steps: 10 });
  await expect(page.locator('li.drop-before, li.drop-after'), 'the landing place is drawn').toHaveCount(1);
  await page.mouse.up();
}

const runningOrder = (page: Page) => page.getByTestId('song-title');

test.describe('on a desktop', () => {
  test.use({ viewport: { width: 1280, height: 1600 } });

  test('a three-set show is built by dragging songs with the mouse', async ({ page, request }) => {
    const id = await createSetlist(request, 'Dragged by mouse', [A, B, C, D, E, F].map(song));
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(runningOrder(page)).toHaveText([A, B, C, D, E, F]);
    await expect(row(page, A)).toContainText('4:00');

    // Sets are opened from a song's form.
    for (const opener of [C, E]) {
      await page.getByRole('button', { name: `Edit ${opener}` }).click();
      await page.getByRole('button', { name: `Start a new set with ${opener}` }).click();
      await page.getByRole('button', { name: `Close ${opener}` }).click();
    }
    await page.getByLabel('Set 3 name').fill('Encore');
    await expect(page.getByTestId('set-heading')).toHaveCount(3);

    await dragWithMouse(page, F, row(page, A), 'top'); // to the top of the show
    await expect(runningOrder(page)).toHaveText([F, A, B, C, D, E]);
    await expect(page.getByTestId('live-announcer')).toHaveText(`Moved “${F}”: 1 of 6, first in Set 1.`);
    await dragWithMouse(page, A, heading(page, 3), 'top'); // the end of Set 2
    await dragWithMouse(page, C, heading(page, 3), 'bottom'); // the start of the Encore
    await expect(runningOrder(page)).toHaveText([F, B, D, A, C, E]);
    await expect(heading(page, 3)).toContainText('2 songs');
    await expect(page.getByTestId('unsaved')).toBeVisible();

    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    expect(await setsOf(request, id)).toEqual(ARRANGED);
  });

  test('the same show is built by keyboard alone, every move announced, and Escape puts a song back', async ({ page, request }) => {
    const id = await threeSets(request, 'Moved by keyboard');
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(runningOrder(page)).toHaveText([A, B, C, D, E, F]);
    const announcer = page.getByTestId('live-announcer');
    const press = async (...keys: string[]) => {
      for (const key of keys) await page.keyboard.press(key);
    };

    const handle = page.getByRole('button', { name: `Reorder ${E}` });
    await expect(handle).toHaveAccessibleDescription(/Space on the handle picks the song up/);
    await handle.focus();
    await press('Space');
    await expect(announcer).toContainText(`Picked up “${E}”: 5 of 6, first in Encore.`);
    await press('ArrowUp', 'ArrowUp');
    await expect(runningOrder(page)).toHaveText([A, B, C, E, D, F]);
    await press('Escape');
    await expect(announcer).toHaveText(`Put back “${E}”: 5 of 6, first in Encore.`);
    await expect(runningOrder(page)).toHaveText([A, B, C, D, E, F]);

    // The Pretender to the top: seven steps up, across two breaks.
    await page.getByRole('button', { name: `Reorder ${F}` }).focus();
    await press('Space', ...Array(7).fill('ArrowUp'));
    await expect(announcer).toHaveText(`Moved “${F}”: 1 of 6, first in Set 1.`);
    await press('ArrowUp');
    await expect(announcer).toHaveText(`Cannot move further: “${F}”: 1 of 6, first in Set 1.`);
    await press('Space');
    // Everlong to the end of Set 2, My Hero to the start of the Encore.
    await page.getByRole('button', { name: `Reorder ${A}` }).focus();
    await press('Space', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'Space');
    await page.getByRole('button', { name: `Reorder ${C}` }).focus();
    // The keys reach the song wherever the focus is while its row moves (the
    // window hears them), so no focus check here: its return is best effort.
    await press('Space', 'ArrowDown', 'ArrowDown', 'ArrowDown', 'Enter');
    await expect(announcer).toHaveText(`Dropped “${C}”: 5 of 6, first in Encore.`);
    await expect(runningOrder(page)).toHaveText([F, B, D, A, C, E]);

    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    expect(await setsOf(request, id)).toEqual(ARRANGED);
  });
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('a song is dragged into another set with a finger, and the page does not scroll sideways', async ({ page, request }) => {
    const id = await threeSets(request, 'Dragged by finger');
    await logIn(page, 'manager');
    await page.goto(`/setlists/${id}`);
    await expect(runningOrder(page)).toHaveText([A, B, C, D, E, F]);

    // A real touch: start on the handle, slide, lift (Chromium turns it into pointer events).
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: string, points: { x: number; y: number }[]) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map((p) => ({ x: Math.round(p.x), y: Math.round(p.y) })) });
    await heading(page, 2).scrollIntoViewIfNeeded();
    const from = await handleOf(page, F);
    const to = await pointAt(heading(page, 2), 'bottom'); // the start of Set 2
    await touch('touchStart', [from]);
    for (let step = 1; step <= 10; step++) {
      await touch('touchMove', [{ x: from.x + ((to.x - from.x) * step) / 10, y: from.y + ((to.y - from.y) * step) / 10 }]);
    }
    await touch('touchEnd', []);
    await expect(runningOrder(page)).toHaveText([A, B, F, C, D, E]);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);

    await page.getByRole('button', { name: 'Save setlist' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    expect(await setsOf(request, id)).toEqual([
      ['Set 1', [A, B]],
      ['Set 2', [F, C, D]],
      ['Encore', [E]],
    ]);
  });
});
