import { appendFileSync } from 'node:fs';
import { serverLogs } from '../playwright.config';
import { test } from './fixtures';

// The check that fails a test on a server panic (fixtures.ts) must itself be
// able to fail: a panic line in the server's stderr, written here as the
// server would, has to fail this test, which is marked as expected to fail.
test('a panic in the server log fails the test it happened in', async () => {
  test.fail();
  appendFileSync(
    serverLogs[0],
    "thread 'tokio-runtime-worker' panicked at (a line written by fixtures.spec.ts to test the panic check)\n",
  );
});
