import { test, expect } from './fixtures';

test('the first page hydrates and reacts to a click', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Backstage' })).toBeVisible();
  const countIn = page.getByTestId('count-in');
  await expect(countIn).toHaveText('Ready when you are.');

  // Before hydration the button does nothing; keep clicking until the wasm answers.
  const button = page.getByRole('button', { name: 'Count in' });
  await expect(async () => {
    await button.click();
    await expect(countIn).not.toHaveText('Ready when you are.', { timeout: 500 });
  }).toPass();
  const taps = Number((await countIn.textContent())?.split('…')[0]);
  await button.click();
  await expect(countIn).toHaveText(new RegExp(`^${taps + 1}…`));
});
