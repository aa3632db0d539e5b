import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverLogs } from '../playwright.config';
import { panicsSince } from '../panics';
import { test, expect } from './fixtures';

// The check that fails a test on a server panic (fixtures.ts) must itself be
// able to fail.

test('the panic check reads whole new lines, byte by byte, each once', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'backstage-panics-'));
  try {
    const log = join(folder, 'server.stderr');
    expect(() => panicsSince(log, 0), 'a log that is not there').toThrow();
    appendFileSync(log, "WARN é\nthread 'a' panicked at src/a.rs:1:1:\nboom\nthread 'b' pan");
    const first = panicsSince(log, 0);
    expect(first.panics).toEqual(["thread 'a' panicked at src/a.rs:1:1:"]);
    // The half-written line waits; once whole, it is found, and only then.
    appendFileSync(log, 'icked at src/b.rs:2:2:\n');
    const second = panicsSince(log, first.next);
    expect(second.panics).toEqual(["thread 'b' panicked at src/b.rs:2:2:"]);
    expect(panicsSince(log, second.next).panics).toEqual([]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

// A panic line in the main server's stderr, written here as the server would,
// fails the test it appeared in: this one, marked as expected to fail.
test('a panic in the server log fails the test it happened in', async () => {
  test.fail();
  appendFileSync(
    serverLogs[0],
    "thread 'tokio-runtime-worker' panicked at (a line written by fixtures.spec.ts to test the panic check)\n",
  );
});
