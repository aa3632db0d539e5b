import { readFileSync } from 'node:fs';

/** What Rust's default panic hook writes: "thread 'main' panicked at src/x.rs:1:2:". */
const PANIC = ' panicked at ';

/**
 * The panic lines among the whole lines `log` gained from byte `from` on, and
 * the byte the next look starts from. A line still being written is left for
 * the next look. A missing log throws: a check that cannot read is broken,
 * not clean.
 */
export function panicsSince(log: string, from: number): { panics: string[]; next: number } {
  const bytes = readFileSync(log);
  const next = Math.max(from, bytes.lastIndexOf(0x0a) + 1);
  const panics = bytes
    .subarray(from, next)
    .toString('utf8')
    .split('\n')
    .filter((line) => line.includes(PANIC));
  return { panics, next };
}
