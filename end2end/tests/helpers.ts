import { expect, type Page } from '@playwright/test';

export const PASSWORD = 'backstage-pass-1';

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
