// After the whole suite, while the servers still run: the main server's
// Prometheus scrape is kept in test-results/metrics-after-suite.txt (README,
// Operations, shows one), so an operator sees what a real session produces.
import { mkdirSync, writeFileSync } from 'node:fs';

export default async function globalTeardown() {
  const response = await fetch(`http://127.0.0.1:${process.env.E2E_PORT}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const scrape = await response.text();
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/metrics-after-suite.txt', scrape);
  const requests = scrape
    .split('\n')
    .filter((line) => line.startsWith('backstage_http_requests_total'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  console.log(`metrics after the suite: ${requests} requests counted; test-results/metrics-after-suite.txt`);
}
