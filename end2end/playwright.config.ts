import { defineConfig, devices } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The config is evaluated in the runner and again in every worker: decide the
// port and the database once, in the runner, and hand them down through the
// environment that the workers inherit.
process.env.E2E_PORT ??= execFileSync('python3', [
  '-c',
  'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])',
])
  .toString()
  .trim();
process.env.E2E_SHORT_PORT ??= execFileSync('python3', [
  '-c',
  'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])',
])
  .toString()
  .trim();
if (!process.env.E2E_DATA) {
  process.env.E2E_DATA = mkdtempSync(join(tmpdir(), 'backstage-e2e-'));
  // The runner made it, so the runner deletes it, last: after the servers stop.
  const data = process.env.E2E_DATA;
  process.on('exit', () => rmSync(data, { recursive: true, force: true }));
}

const port = process.env.E2E_PORT;
// Cookies are per host: use 127.0.0.1 everywhere, never localhost.
const origin = `http://127.0.0.1:${port}`;
/** A second server whose access tokens live 6 seconds: refreshes happen while a test watches. */
export const shortLivedOrigin = `http://127.0.0.1:${process.env.E2E_SHORT_PORT}`;

const databases = ['backstage.db', 'short-lived.db'] as const;
/** Where the server that keeps `database` copies its stderr. */
const serverLog = (database: string) => `${process.env.E2E_DATA}/${database}.stderr`;
/** Both servers' stderr copies, the main server's first. */
export const serverLogs = databases.map(serverLog);

function server(address: string, database: string, extra: Record<string, string> = {}) {
  return {
    // The release server, built by `cargo leptos build --release`, on a free
    // port with a fresh database in a temporary folder. Its stderr is also
    // copied to a file beside the database, where every test looks for a
    // panic (tests/fixtures.ts, panics.ts): a panic inside a response's stream only
    // cuts the page short, which a test may not notice.
    // (Playwright runs it with sh, which has no process substitution: bash.)
    command: `bash -c 'exec ../target/release/server 2> >(tee -a "$0" >&2)' "${serverLog(database)}"`,
    url: `${address}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      LEPTOS_SITE_ADDR: address.replace('http://', ''),
      LEPTOS_SITE_ROOT: '../target/site',
      DATABASE_URL: `sqlite:${process.env.E2E_DATA}/${database}`,
      BACKSTAGE_ENV: 'development',
      RUST_LOG: 'warn',
      ...extra,
    },
  };
}

export default defineConfig({
  testDir: './tests',
  globalTeardown: './global-teardown.ts',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: origin,
    trace: 'retain-on-failure',
    // The server's "today" is UTC's; a browser elsewhere would split upcoming and past a day apart.
    timezoneId: 'UTC',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          // Debian's Chromium: Playwright's own browser download is not reachable here.
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: [
    server(origin, databases[0]),
    server(shortLivedOrigin, databases[1], { BACKSTAGE_ACCESS_TTL_SECS: '6' }),
  ],
});
