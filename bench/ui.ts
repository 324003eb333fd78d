/**
 * `npm run bench:ui`: the operator page at 1,000 dtle jobs (BENCH_UI_JOBS). The service in front of
 * the simulated Nomad and Consul, all in this process, on loopback: the time of a whole GET /ui/
 * (its Nomad and Consul reads included, the job specs cached as the job watch keeps them) and of
 * the rendering alone (the view model and the HTML from data already read). Prints medians and p95.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SimConsul, SimNomad } from '@dtle-compat/sim';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { ConsulClient } from '../src/consul/client';
import { createLogger } from '../src/logging';
import { NomadClient } from '../src/nomad/client';
import { listPage } from '../src/routes/ui';

const JOBS = Number(process.env.BENCH_UI_JOBS ?? '1000');
const RUNS = Number(process.env.BENCH_UI_RUNS ?? '20');

function stats(ms: number[]): { median: number; p95: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { median: Math.round(at(0.5) * 10) / 10, p95: Math.round(at(0.95) * 10) / 10 };
}

async function main(): Promise<void> {
  const consul = new SimConsul();
  await consul.listen(0, '127.0.0.1');
  const sim = new SimNomad({ consul });
  const url = await sim.listen(0, '127.0.0.1');
  sim.seedDtleJobs(JOBS, { withAllocs: true });
  sim.advanceReplication(1000);
  const config = Object.freeze({ ...loadConfig({ env: {}, defaultsFile: path.resolve(__dirname, '..', '..', 'config', 'default.json') }), nomad_addr: url, consul: consul.addr });
  const nomad = new NomadClient(config);
  const consulClient = new ConsulClient(config);
  const { app, services } = createApp({ config, nomad, consul: consulClient, logger: createLogger({ silent: true }) });
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // the first page reads every job spec (as the first legacy list does); the job watch keeps them cached after
  const cold = performance.now();
  let res = await fetch(`${base}/ui/?refresh=0`);
  const size = (await res.text()).length;
  const coldMs = performance.now() - cold;
  if (res.status !== 200) throw new Error(`GET /ui/ answered ${res.status}`);

  const whole: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    res = await fetch(`${base}/ui/?refresh=0`);
    await res.text();
    whole.push(performance.now() - t);
  }
  const data = await services.overview.load(undefined);
  const render: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    listPage(data, { filter: null, refreshSeconds: 0, refreshQuery: null, drivers: config.dtle_drivers, scrub: (s) => s, nowMs: Date.now() });
    render.push(performance.now() - t);
  }
  const w = stats(whole);
  const r = stats(render);
  process.stdout.write(
    `operator page at ${JOBS} dtle jobs (${data.allocs.length} allocations), ${RUNS} runs each, ${Math.round(size / 1024)} KiB of HTML\n` +
      `  first GET /ui/ (job specs not cached yet): ${Math.round(coldMs)} ms\n` +
      `  GET /ui/ (Nomad and Consul reads included): median ${w.median} ms, p95 ${w.p95} ms\n` +
      `  rendering alone (view model + HTML):        median ${r.median} ms, p95 ${r.p95} ms\n`,
  );
  await new Promise<void>((r2) => server.close(() => r2()));
  nomad.close();
  consulClient.close();
  await sim.close();
  await consul.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
