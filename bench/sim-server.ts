/**
 * The simulated Nomad as a process of its own for the benchmark: `node sim-server.js <jobs>`.
 * Prints its URL and a control URL on stdout; the control URL answers GET /calls (count) and
 * POST /calls/reset, so the benchmark can count upstream calls per legacy request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimNomad } from '@dtle-compat/sim';

async function main(): Promise<void> {
  const jobs = Number(process.argv[2] ?? '10');
  const sim = new SimNomad();
  const url = await sim.listen(0, '127.0.0.1');
  sim.seedDtleJobs(jobs, { withAllocs: true });
  // the benchmark's setup at its size: every seeded job is in the list
  const listed = (await (await fetch(`${url}/v1/jobs`)).json()) as unknown[];
  if (listed.length !== jobs) throw new Error(`sim-server: seeded ${jobs} jobs, GET /v1/jobs lists ${listed.length}`);
  const control = http.createServer((req, res) => {
    if (req.url === '/calls' && req.method === 'GET') {
      res.end(JSON.stringify({ calls: sim.calls.length }));
    } else if (req.url === '/calls/reset' && req.method === 'POST') {
      sim.resetCalls();
      res.end('{}');
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  const c = control.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url, control: `http://127.0.0.1:${c.port}` }) + '\n');
  process.on('SIGTERM', () => {
    void sim.close().then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
