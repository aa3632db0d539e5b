import { test, expect } from './fixtures';
import { type APIRequestContext, type Page } from '@playwright/test';
import { PASSWORD, anotherManager, apiToken, fillLogin, gate, logIn, unavailableOn, unavailableOnPost } from './helpers';

/** Opens the members page as the manager and adds a drummer named `name`. */
async function addMember(page: Page, username: string, name: string) {
  await logIn(page, 'manager', '/login?next=/members');
  await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Initial password (10+ characters)').fill('first-password-1');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByText(`Added ${name} as drummer.`)).toBeVisible();
}

/** Adds a drummer named `name` and types "organ" as what they play, not leaving the field. */
async function typingOrgan(page: Page, username: string, name: string) {
  await addMember(page, username, name);
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  const instrument = page.getByLabel(`Instrument of ${name}`);
  await instrument.click();
  await instrument.pressSequentially('organ');
  return instrument;
}

/** The id of the member `username`, from the member list. */
async function idOf(request: APIRequestContext, headers: { Authorization: string }, username: string): Promise<string> {
  const list = await request.get('/api/users', { headers });
  return (await list.json()).find((member: { username: string }) => member.username === username).id;
}

/** Counts the requests to `url`, each answered half a second late (a slow network). */
async function countSlowly(page: Page, url: string) {
  const seen = { count: 0 };
  await page.route(url, async (route) => {
    seen.count += 1;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
  return seen;
}

// One member's whole lifecycle, made fresh so that no other test's members change.
test('a manager disables, enables and resets a member, who then changes their password', async ({ page }) => {
  const username = `lifecycle${Date.now()}`;
  const name = `Lee ${username}`;
  await addMember(page, username, name);

  await page.getByRole('button', { name: `Disable ${name}` }).click();
  await expect(page.getByText(`${name} is disabled and signed out everywhere.`)).toBeVisible();
  await expect(page.getByRole('button', { name: `Enable ${name}` })).toBeVisible();
  await page.getByRole('button', { name: `Enable ${name}` }).click();
  await expect(page.getByText(`${name} can sign in again.`)).toBeVisible();

  await page.getByRole('button', { name: `Reset the password of ${name}` }).click();
  const newPassword = page.getByLabel('New password (10+ characters)');
  await expect(newPassword).toBeFocused();
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert')).toContainText('The password');
  await expect(newPassword).toHaveAttribute('aria-invalid', 'true');
  await expect(newPassword).toBeFocused();
  await newPassword.fill('reset-password-2');
  const resets = await countSlowly(page, '**/api/users/*/password');
  await page.getByRole('button', { name: 'Set password' }).dblclick();
  await expect(page.getByText(`${name}'s password is set; they were signed out everywhere.`)).toBeVisible();
  expect(resets.count, 'requests to reset the password').toBe(1);
  // Escape closes the panel, as Cancel does.
  await newPassword.press('Escape');
  await expect(page.getByRole('heading', { name: `New password for ${name}` })).toHaveCount(0);
  await expect(page.getByRole('button', { name: `Reset the password of ${name}` })).toBeFocused();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  await fillLogin(page, username, 'reset-password-2');
  await expect(page.getByTestId('signed-in-as')).toContainText(name);
  await page.getByRole('link', { name: 'Password' }).click();
  await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
  await page.getByLabel('Current password').fill('reset-password-2');
  await page.getByLabel('New password (10+ characters)').fill('changed-password-3');
  await page.getByLabel('New password again').fill('changed-password-3');
  // A double press on a slow network sends one change: a second would send
  // the old password again, now wrong.
  const changes = await countSlowly(page, '**/api/me/password');
  await page.getByRole('button', { name: 'Change password' }).dblclick();
  await expect(page.getByText('Password changed. Your other devices were signed out; this one stays signed in.')).toBeVisible();
  expect(changes.count, 'requests to change the password').toBe(1);
  await expect(page.getByRole('alert')).toHaveCount(0);
  // Typing another, the line about the last change goes.
  await page.getByLabel('New password (10+ characters)').fill('x');
  await expect(page.getByText('Password changed.')).toHaveCount(0);
  await page.getByLabel('New password (10+ characters)').fill('');

  await page.getByRole('button', { name: 'Log out' }).click();
  await fillLogin(page, username, 'changed-password-3');
  await expect(page.getByTestId('signed-in-as')).toContainText(name);
});

test('a reset panel closed while its password is on its way leaves the page working', async ({ page }) => {
  const username = `closed${Date.now()}`;
  const name = `Cy ${username}`;
  await addMember(page, username, name);
  const { opened, open } = gate();
  await page.route('**/api/users/*/password', async (route) => {
    await opened;
    await route.continue();
  });
  await page.getByRole('button', { name: `Reset the password of ${name}` }).click();
  await page.getByLabel('New password (10+ characters)').fill('reset-password-3');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('heading', { name: `New password for ${name}` })).toHaveCount(0);

  // The answer comes to a panel that is gone: nothing breaks (a panic is a
  // console error, and the app would stop answering).
  const answered = page.waitForResponse('**/api/users/*/password');
  open();
  expect((await answered).status()).toBe(204);
  await page.getByRole('button', { name: `Show sessions of ${name}` }).click();
  await expect(page.getByRole('heading', { name: `Sessions of ${name}` })).toBeVisible();
});

test.describe('the last manager', () => {
  test.use({ expectedHttpErrors: [409] });

  test('cannot be demoted, and the page says why where the phone is looking', async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await logIn(page, 'manager', '/login?next=/members');
    const role = page.getByLabel('Role of Max the Manager');
    // The picker at the bottom of the screen, the page's top scrolled away.
    await role.evaluate((select) => select.scrollIntoView({ block: 'end' }));
    await role.selectOption('drummer');
    const alert = page.getByRole('alert');
    await expect(alert).toHaveText('The band needs at least one enabled manager: make another member a manager first.');
    await expect(alert).toBeInViewport();
    await expect(role).toHaveValue('manager');
  });
});

test('a manager demoting or disabling themselves is asked first, and Cancel changes nothing', async ({ page, request }) => {
  // A second manager: with none, the server refuses it (the test above).
  const { token } = await apiToken(request, 'manager');
  const created = await request.post('/api/users', {
    headers: { Authorization: `Bearer ${token}` },
    data: { username: 'samsecond', display_name: 'Sam the Second', role: 'manager', password: PASSWORD },
  });
  expect(created.status()).toBe(201);
  await page.goto('/login?next=/members');
  await fillLogin(page, 'samsecond', PASSWORD);
  await expect(page.getByTestId('signed-in-as')).toContainText('Sam the Second · manager');
  const role = page.getByLabel('Role of Sam the Second');
  const asked: string[] = [];
  const answer = (accept: boolean) =>
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });

  answer(false);
  await role.selectOption('drummer');
  await expect.poll(() => asked.length).toBe(1);
  expect(asked[0]).toContain('Make yourself a drummer?');
  await expect(role).toHaveValue('manager');
  answer(false);
  await page.getByRole('button', { name: 'Disable Sam the Second' }).click();
  await expect.poll(() => asked.length).toBe(2);
  expect(asked[1]).toContain('Disable your own account?');
  await expect(page.getByRole('button', { name: 'Disable Sam the Second' })).toBeVisible();
  const stored = await request.get('/api/users', { headers: { Authorization: `Bearer ${token}` } });
  const sam = (await stored.json()).find((u: { username: string }) => u.username === 'samsecond');
  expect([sam.role, sam.disabled]).toEqual(['manager', false]);

  // Asked and confirmed: the demotion happens (and Max is the one manager again).
  answer(true);
  await role.selectOption('drummer');
  await expect(page.getByRole('alert')).toContainText('Only managers can manage band members.');
});

test('a member plays an instrument apart from their role, shown next to their name', async ({ page }) => {
  const username = `singer${Date.now()}`;
  const name = `Sam ${username}`;
  await logIn(page, 'manager', '/login?next=/members');
  // The members page arrives as a chunk of its own; until it has, the login form is still there.
  await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Instrument (optional)').fill('vocals');
  await page.getByLabel('Initial password (10+ characters)').fill('first-password-1');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.getByText(`Added ${name} as drummer.`)).toBeVisible();
  // The line is about the member just added: typing the next one puts it away.
  await page.getByLabel('Username', { exact: true }).fill('next');
  await expect(page.getByText(`Added ${name} as drummer.`)).toHaveCount(0);
  await page.getByLabel('Username', { exact: true }).fill('');

  const instrument = page.getByLabel(`Instrument of ${name}`);
  await expect(instrument).toHaveValue('vocals');
  await instrument.fill('keys');
  await instrument.press('Tab');
  await expect(page.getByText(`${name} plays keys.`)).toBeVisible();
  // The table is drawn anew with the change; the keyboard stays where Tab put it.
  await expect(page.getByLabel(`Role of ${name}`)).toBeFocused();

  // A role changed by mistake (an arrow key on the picker) is put back with one press.
  await page.getByLabel(`Role of ${name}`).selectOption('manager');
  await expect(page.getByText(`${name} is now a manager`)).toBeVisible();
  await page.getByRole('button', { name: `Undo: make ${name} a drummer again` }).click();
  await expect(page.getByText(`Undone: ${name} is a drummer again.`)).toBeVisible();
  await expect(page.getByLabel(`Role of ${name}`)).toHaveValue('drummer');
  await expect(page.getByLabel(`Role of ${name}`)).toBeFocused();

  await page.getByRole('button', { name: 'Log out' }).click();
  await fillLogin(page, username, 'first-password-1');
  await expect(page.getByTestId('signed-in-as')).toContainText(`${name} (keys) · drummer`);
});

test('an instrument typed and not sent yet asks before a reload, and is sent when the field is left', async ({ page }) => {
  const username = `horns${Date.now()}`;
  const name = `Hal ${username}`;
  await addMember(page, username, name);
  await page.waitForFunction(() => (window as any).__backstage_hydrated === true);
  const instrument = page.getByLabel(`Instrument of ${name}`);
  // Real key presses: the browser asks on Reload only for a page the person used.
  await instrument.click();
  await instrument.pressSequentially('trumpet');
  const asked: string[] = [];
  page.once('dialog', (dialog) => {
    asked.push(dialog.type());
    void dialog.dismiss();
  });
  // A reload the person declined never finishes.
  await page.reload({ timeout: 2_000 }).catch(() => {});
  expect(asked).toEqual(['beforeunload']);
  await expect(instrument).toHaveValue('trumpet');
  await instrument.press('Tab');
  await expect(page.getByText(`${name} plays trumpet.`)).toBeVisible();
  // Sent: nothing is left to ask about.
  await page.reload();
  await expect(page.getByLabel(`Instrument of ${name}`)).toHaveValue('trumpet');
});

test("another manager's change shows on the members page at once, said by name, and an instrument being typed stays", async ({ page, request }) => {
  const username = `keys${Date.now()}`;
  const name = `Kit ${username}`;
  const instrument = await typingOrgan(page, username, name);

  // Another manager adds a member: the list is read again and drawn anew.
  const headers = await anotherManager(request, 'Rita the Roadie');
  const newcomer = `Nell ${username}`;
  const added = await request.post('/api/users', {
    headers,
    data: { username: `nell${username}`, display_name: newcomer, role: 'drummer', password: PASSWORD },
  });
  expect(added.status()).toBe(201);
  await expect(page.getByRole('cell', { name: newcomer, exact: true })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: "Rita the Roadie changed the band's members." })).toBeVisible();
  // What was being typed is still there, and still being typed, caret and all.
  await expect(instrument).toHaveValue('organ');
  await expect(instrument).toBeFocused();
  expect(await instrument.evaluate((field: HTMLInputElement) => [field.selectionStart, field.selectionEnd])).toEqual([5, 5]);
  // Left as it is, the field drawn anew sends it.
  await instrument.press('Tab');
  await expect(page.getByText(`${name} plays organ.`)).toBeVisible();

  // The same manager's change from another device shows too, unsaid.
  const { token } = await apiToken(request, 'manager');
  const mine = `Moe ${username}`;
  const again = await request.post('/api/users', {
    headers: { Authorization: `Bearer ${token}` },
    data: { username: `moe${username}`, display_name: mine, role: 'drummer', password: PASSWORD },
  });
  expect(again.status()).toBe(201);
  await expect(page.getByRole('cell', { name: mine, exact: true })).toBeVisible();
  await expect(page.getByText('Max the Manager changed')).toHaveCount(0);
});

test('an instrument being typed that another manager changes meanwhile says so, and leaving the field saves it', async ({ page, request }) => {
  const username = `both${Date.now()}`;
  const name = `Bo ${username}`;
  const instrument = await typingOrgan(page, username, name);

  const headers = await anotherManager(request, 'Rita the Roadie');
  const id = await idOf(request, headers, username);
  expect((await request.patch(`/api/users/${id}`, { headers, data: { instrument: 'bass' } })).status()).toBe(200);
  const said = 'Changed to “bass” meanwhile: leaving the field saves what you typed instead.';
  await expect(page.getByText(said)).toBeVisible();
  await expect(instrument).toHaveAccessibleDescription(said);
  await expect(instrument).toHaveValue('organ');
  await expect(instrument).toBeFocused();

  await instrument.press('Tab');
  await expect(page.getByText(`${name} plays organ.`)).toBeVisible();
  await expect(page.getByText(said)).toHaveCount(0);
  const stored = (await (await request.get('/api/users', { headers })).json()).find((member: { id: string }) => member.id === id);
  expect(stored.instrument).toBe('organ');
});

test("another manager's change to the same member takes the Undo away, and an open panel shows the new name", async ({ page, request }) => {
  const username = `twice${Date.now()}`;
  const name = `Tam ${username}`;
  await addMember(page, username, name);
  await page.getByLabel(`Role of ${name}`).selectOption('manager');
  await expect(page.getByText(`${name} is now a manager`)).toBeVisible();
  const undo = page.getByRole('button', { name: `Undo: make ${name} a drummer again` });
  await expect(undo).toBeVisible();
  await page.getByRole('button', { name: `Show sessions of ${name}` }).click();
  await expect(page.getByRole('heading', { name: `Sessions of ${name}` })).toBeVisible();

  const headers = await anotherManager(request, 'Rita the Roadie');
  const id = await idOf(request, headers, username);
  // Another manager renames the member: the Undo still puts back this page's
  // change, and names them as they are called now.
  const renamed = `Tamsin ${username}`;
  expect((await request.patch(`/api/users/${id}`, { headers, data: { display_name: renamed } })).status()).toBe(200);
  await expect(page.getByRole('heading', { name: `Sessions of ${renamed}` })).toBeVisible();
  await expect(page.getByRole('button', { name: `Undo: make ${renamed} a drummer again` })).toBeVisible();
  // And makes them a drummer again: there is nothing left here to undo.
  expect((await request.patch(`/api/users/${id}`, { headers, data: { role: 'drummer' } })).status()).toBe(200);
  await expect(page.getByLabel(`Role of ${renamed}`)).toHaveValue('drummer');
  await expect(page.getByRole('button', { name: /^Undo/ })).toHaveCount(0);
});

test('a drummer made a manager while on the members page and the audit log sees them at once', async ({ browser, request }) => {
  const { token } = await apiToken(request, 'manager');
  const headers = { Authorization: `Bearer ${token}` };
  const username = `promoted${Date.now()}`;
  const name = `Pat ${username}`;
  const made = await request.post('/api/users', {
    headers,
    data: { username, display_name: name, role: 'drummer', password: PASSWORD },
  });
  expect(made.status()).toBe(201);
  const { id } = await made.json();

  // Two devices of the drummer's (each with its own stream): each page says
  // only that it is for managers.
  const opened = async (path: string, words: string) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`/login?next=${path}`);
    await fillLogin(page, username, PASSWORD);
    await expect(page.getByText(words)).toBeVisible();
    return page;
  };
  const members = await opened('/members', 'Only managers can manage band members.');
  const audit = await opened('/audit', 'Only managers can read the audit log.');

  const promoted = await request.patch(`/api/users/${id}`, { headers, data: { role: 'manager' } });
  expect(promoted.status()).toBe(200);
  // The pages learn it from their streams, and read their lists then.
  await expect(members.getByLabel(`Role of ${name}`)).toHaveValue('manager');
  await expect(audit.getByRole('button', { name: 'Older' })).toBeVisible();
  await members.context().close();
  await audit.context().close();
});

test.describe('an Add member the server cannot take', () => {
  test.use({ expectedHttpErrors: [503] });

  test('says why, keeps what was typed, and can be sent again', async ({ page }) => {
    const username = `retry${Date.now()}`;
    await logIn(page, 'manager', '/login?next=/members');
    await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();
    await page.route('**/api/users', unavailableOnPost);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name').fill(`Rae ${username}`);
    await page.getByLabel('Initial password (10+ characters)').fill('first-password-1');
    const add = page.getByRole('button', { name: 'Add member' });
    await add.click();
    await expect(page.getByRole('alert')).toContainText('The database is not answering');
    await expect(page.getByLabel('Username')).toHaveValue(username);

    await page.unroute('**/api/users', unavailableOnPost);
    await add.click();
    await expect(page.getByText(`Added Rae ${username} as drummer.`)).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
  });
});

test.describe('an Undo the server cannot take', () => {
  test.use({ expectedHttpErrors: [503] });

  test('says why and stays offered, and the next press puts the role back', async ({ page }) => {
    const username = `undo${Date.now()}`;
    const name = `Uma ${username}`;
    await addMember(page, username, name);
    await page.getByLabel(`Role of ${name}`).selectOption('manager');
    await expect(page.getByText(`${name} is now a manager`)).toBeVisible();

    const patchUnavailable = unavailableOn('PATCH');
    await page.route('**/api/users/*', patchUnavailable);
    const undo = page.getByRole('button', { name: `Undo: make ${name} a drummer again` });
    await undo.click();
    await expect(page.getByRole('alert')).toContainText('The database is not answering');
    await expect(page.getByLabel(`Role of ${name}`)).toHaveValue('manager');

    await page.unroute('**/api/users/*', patchUnavailable);
    await undo.click();
    await expect(page.getByText(`Undone: ${name} is a drummer again.`)).toBeVisible();
    await expect(page.getByLabel(`Role of ${name}`)).toHaveValue('drummer');
    await expect(page.getByRole('alert')).toHaveCount(0);
  });
});

test.describe('an instrument the server cannot take', () => {
  test.use({ expectedHttpErrors: [503] });

  test('stays typed in the field when the list is read again, and can be sent again', async ({ page }) => {
    const username = `keys${Date.now()}`;
    const name = `Kit ${username}`;
    await addMember(page, username, name);
    const patchUnavailable = unavailableOn('PATCH');
    await page.route('**/api/users/*', patchUnavailable);
    await page.getByLabel(`Instrument of ${name}`).fill('theremin');
    await page.getByLabel(`Instrument of ${name}`).press('Tab');
    await expect(page.getByRole('alert')).toContainText('The database is not answering');
    // The list was read again (the stored instrument is none), and what was typed stays.
    await expect(page.getByLabel(`Instrument of ${name}`)).toHaveValue('theremin');

    await page.unroute('**/api/users/*', patchUnavailable);
    await page.getByLabel(`Instrument of ${name}`).fill('theremin, keys');
    await page.getByLabel(`Instrument of ${name}`).press('Tab');
    await expect(page.getByText(`${name} plays theremin, keys.`)).toBeVisible();
    await page.reload();
    await expect(page.getByLabel(`Instrument of ${name}`)).toHaveValue('theremin, keys');
  });
});

test.describe('a refused form', () => {
  // The taken username is the server's 422.
  test.use({ expectedHttpErrors: [422] });

  test('marks its fields, in the order of the form, and the keyboard goes to the first', async ({ page }) => {
    await logIn(page, 'manager', '/login?next=/members');
    await expect(page.getByRole('heading', { name: 'Band members' })).toBeVisible();
    await page.getByLabel('Username').fill('drummer');
    await page.getByLabel('Display name').fill('Another drummer');
    await page.getByLabel('Initial password (10+ characters)').fill('short');
    await page.getByRole('button', { name: 'Add member' }).click();
    const password = page.getByLabel('Initial password (10+ characters)');
    await expect(password).toHaveAttribute('aria-invalid', 'true');
    await expect(password).toBeFocused();

    await password.fill('long-enough-1');
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(page.getByRole('alert')).toContainText('username is already taken');
    await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Username')).toBeFocused();
    await expect(password).not.toHaveAttribute('aria-invalid', 'true');
    // Mended and added: no field stays marked.
    await page.getByLabel('Username').fill(`spare-${Date.now().toString(36)}`);
    await page.getByRole('button', { name: 'Add member' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Added Another drummer' })).toBeVisible();
    await expect(page.getByLabel('Username')).not.toHaveAttribute('aria-invalid', 'true');

    // Leaving the half-added member asks first.
    await page.getByLabel('Username').fill('half-added');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('link', { name: 'Password' }).click();
    await page.getByLabel('Current password').fill('anything');
    await page.getByLabel('New password (10+ characters)').fill('a-new-password-1');
    await page.getByLabel('New password again').fill('a-new-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('alert')).toContainText('The two new passwords differ');
    await expect(page.getByLabel('New password again')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('New password again')).toBeFocused();
  });
});

test('a keyboard walking the role picker changes nothing until Enter or Save role', async ({ page }) => {
  const username = `walk${Date.now()}`;
  const name = `Wes ${username}`;
  await addMember(page, username, name);
  let patches = 0;
  page.on('request', (request) => {
    if (request.method() === 'PATCH') patches += 1;
  });
  const role = page.getByLabel(`Role of ${name}`);
  const save = page.getByRole('button', { name: `Save role for ${name}` });
  await role.focus();
  // An arrow key on a closed picker moves its value: a step, not a decision.
  await role.press('ArrowDown');
  await expect(role).toHaveValue('manager');
  await expect(save).toBeVisible();
  await role.press('ArrowUp');
  await expect(role).toHaveValue('drummer');
  await expect(save).toHaveCount(0);
  await role.press('ArrowDown');
  await role.press('Enter');
  await expect(page.getByText(`${name} is now a manager`)).toBeVisible();
  expect(patches).toBe(1);
  // The button is the other way to say it.
  await page.getByLabel(`Role of ${name}`).press('ArrowUp');
  await save.click();
  await expect(page.getByText(`${name} is now a drummer`)).toBeVisible();
  expect(patches).toBe(2);
});
