import { expect, type APIRequestContext, type Page, type Route } from '@playwright/test';

export const PASSWORD = 'backstage-pass-1';

/**
 * A gate a routed request waits at until the test opens it: a slow network
 * whose timing the test decides (not a delay that may be too short).
 */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Logs in through the form and waits for the setlists page. */
export async function logIn(page: Page, username: string, next = '/login') {
  await page.goto(next);
  await fillLogin(page, username, PASSWORD);
  await expect(page.getByTestId('signed-in-as')).toContainText(username === 'manager' ? 'manager' : 'drummer');
}

/** Fills the login form once the page has hydrated (the button reacts only then). */
export async function fillLogin(page: Page, username: string, password: string) {
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** An access token for API calls made by the test itself (arranging data). */
export async function apiToken(request: APIRequestContext, username: string): Promise<{ token: string; id: string }> {
  const login = await request.post('/api/auth/login', { data: { username, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const body = await login.json();
  return { token: body.access_token, id: body.user.id };
}

/** A new manager, `displayName`, for a change someone other than the demo
 * manager makes (the demo manager's own, from another device, is "You");
 * returns the headers to make it with. */
export async function anotherManager(request: APIRequestContext, displayName: string): Promise<{ Authorization: string }> {
  const { token } = await apiToken(request, 'manager');
  const username = `other${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  const made = await request.post('/api/users', {
    headers: { Authorization: `Bearer ${token}` },
    data: { username, display_name: displayName, role: 'manager', password: PASSWORD },
  });
  expect(made.status()).toBe(201);
  return { Authorization: `Bearer ${(await apiToken(request, username)).token}` };
}

/** A setlist made through the API as the manager; returns its id. */
export async function createSetlist(request: APIRequestContext, name: string, songs: object[]): Promise<string> {
  const { token } = await apiToken(request, 'manager');
  const created = await request.post('/api/setlists', {
    headers: { Authorization: `Bearer ${token}` },
    data: { name, show_date: '2099-12-31', venue: 'The Roxy', songs },
  });
  expect(created.status()).toBe(201);
  return (await created.json()).id;
}

/** A library song added through the API as the manager, and the headers
 * to change it with, as another member would. */
export async function librarySong(request: APIRequestContext, data: object): Promise<{ song: any; headers: { Authorization: string } }> {
  const { token } = await apiToken(request, 'manager');
  const headers = { Authorization: `Bearer ${token}` };
  const created = await request.post('/api/songs', { headers, data });
  expect(created.status()).toBe(201);
  return { song: await created.json(), headers };
}

/** Renames a setlist through the API (as the manager unless `by` is named), as another member's save would. */
export async function renameSetlist(request: APIRequestContext, id: string, name: string, by = 'manager') {
  const headers = { Authorization: `Bearer ${(await apiToken(request, by)).token}` };
  const setlist = await (await request.get(`/api/setlists/${id}`, { headers })).json();
  const saved = await request.put(`/api/setlists/${id}`, { headers, data: { ...setlist, name } });
  expect(saved.status()).toBe(200);
}

/** The browser (and the chunk loader) log fetches that failed with no signal: expected where a test cuts it; any other error still fails the test. */
export function allowFailedFetchErrors(consoleErrors: string[]) {
  const unexpected = consoleErrors.filter((error) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(error));
  consoleErrors.splice(0, consoleErrors.length, ...unexpected);
}

/** A route handler that answers as the server does with its database down (503). */
export function unavailable(route: Route) {
  return route.fulfill({
    status: 503,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'unavailable', message: 'The database is not answering; try again shortly.' } }),
  });
}

/** `unavailable` for requests with `method`; other methods go through. */
export function unavailableOn(method: string) {
  return (route: Route) => (route.request().method() === method ? unavailable(route) : route.fallback());
}

export const unavailableOnPost = unavailableOn('POST');
