import { gzipSync } from 'node:zlib';
import { test, expect } from './fixtures';

/**
 * A report, not a timed assertion: how heavy the front end is and how soon
 * the login page answers. Printed and attached to the test's results.
 */
test('report: wasm size and time until the login page is interactive', async ({ page, request }, testInfo) => {
  const wasmResponse = page.waitForResponse((response) => response.url().endsWith('/backstage.wasm'));
  await page.goto('/login');
  await page.waitForFunction(() => (window as { __backstage_hydrated?: boolean }).__backstage_hydrated === true, null, {
    polling: 'raf',
  });
  const interactiveMs = await page.evaluate(() => performance.now());
  await expect(page.getByLabel('Username')).toBeEditable();

  // What the browser downloaded: precompressed, and cacheable for a year.
  const wasm = await wasmResponse;
  const headers = await wasm.allHeaders();
  expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(headers['content-encoding']).toBe('br');
  const transferred = (await wasm.request().sizes()).responseBodySize;

  // The raw file, gzipped here at the default level: the figure the issue
  // names. And what a client that accepts gzip only is sent (zopfli's .gz).
  const path = new URL(wasm.url()).pathname;
  const raw = await (await request.get(path, { headers: { 'accept-encoding': 'identity' } })).body();
  const gzipOnly = await request.get(path, { headers: { 'accept-encoding': 'gzip' } });
  expect(gzipOnly.headers()['content-encoding']).toBe('gzip');
  const report = {
    wasm_bytes: raw.length,
    wasm_gzip_bytes: gzipSync(raw).length,
    wasm_gzip_served_bytes: Number(gzipOnly.headers()['content-length']),
    wasm_brotli_transferred_bytes: transferred,
    login_interactive_ms: Math.round(interactiveMs),
  };
  console.log(`front-end report: ${JSON.stringify(report)}`);
  await testInfo.attach('front-end-report.json', { body: JSON.stringify(report, null, 2), contentType: 'application/json' });
  expect(report.wasm_gzip_bytes).toBeGreaterThan(0);
});
