/**
 * `npm run bench`: measures dtle-compat against the simulated Nomad (10, 1,000 and 10,000 dtle
 * jobs), each route through dtle-compat and the matching Nomad route directly, on loopback.
 * Prints a table, writes bench-results/report.json and the table in docs/performance.md.
 *
 * Environment: BENCH_SIZES (default "10,1000,10000"), BENCH_DURATION seconds per measurement
 * (default 8), BENCH_CONNECTIONS (default 64; list routes use BENCH_LIST_CONNECTIONS, default 8),
 * BENCH_REPLICA (both (default): each route through dtle-compat reading Nomad live and through a
 * second dtle-compat answering from its replica; off: the live one only; only: the replica one).
 * The express floor (an express app answering a constant, 64 connections) is measured in the same
 * run, as the replica's ceiling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import { startRealNomad } from './real-nomad';

const ROOT = path.resolve(__dirname, '..', '..');
const sizes = (process.env.BENCH_SIZES ?? '10,1000,10000').split(',').map(Number);
const duration = Number(process.env.BENCH_DURATION ?? '8');
const connections = Number(process.env.BENCH_CONNECTIONS ?? '64');
const listConnections = Number(process.env.BENCH_LIST_CONNECTIONS ?? '8');
/** sim (default), real (a Nomad dev agent from scripts/nomad.sh) or both */
const nomadKinds = (process.env.BENCH_NOMAD ?? 'sim') === 'both' ? ['sim', 'real'] : [process.env.BENCH_NOMAD ?? 'sim'];
/** --max-old-space-size of the extra 10,000-job run that shows the RSS with a capped heap */
const HEAP_CAP_MB = Number(process.env.BENCH_HEAP_CAP_MB ?? '192');
const realSizes = (process.env.BENCH_REAL_SIZES ?? '10,1000').split(',').map(Number);
/** which dtle-compat to measure: live (replica off), replica (replica on), or both */
const modes: Mode[] = (() => {
  const v = process.env.BENCH_REPLICA ?? 'both';
  if (v === 'off') return ['live'];
  if (v === 'only') return ['replica'];
  return ['live', 'replica'];
})();
/** concurrent legacy blocking pollers of GET /v1/jobs in the replica's poller test */
const POLLERS = 100;

type Mode = 'live' | 'replica';

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  /** mean latency, ms with decimals (autocannon's percentiles are whole ms) */
  mean: number;
  errors: number;
  non2xx: number;
}

interface Row {
  nomad: string;
  /** live: dtle-compat reads Nomad for each request; replica: it answers from its replica */
  mode: Mode;
  jobs: number;
  route: string;
  nomadRoute: string;
  connections: number;
  compat: Measure;
  direct: Measure;
  upstreamCallsPerRequest: number;
}

function get(url: string, method = 'GET'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(url: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    try {
      await get(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

function startSim(jobs: number): Promise<{ proc: ChildProcess; url: string; control: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(__dirname, 'sim-server.js'), String(jobs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ proc, ...(JSON.parse(out.slice(0, nl)) as { url: string; control: string }) });
    });
    proc.on('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
}

async function startCompat(nomadUrl: string, port: number, nodeFlags: string[] = [], mode: Mode = 'live'): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [...nodeFlags, path.join(ROOT, 'dist', 'cli.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DTLE_API_ADDR: `127.0.0.1:${port}`,
      NOMAD_ADDR: nomadUrl,
      DTLE_COMPAT_LOG_LEVEL: 'error',
      DTLE_COMPAT_REPLICA: mode === 'replica' ? 'true' : 'false',
      // the benchmark's Nomad has no Consul beside it
      CONSUL_HTTP_ADDR: '',
    },
  });
  await waitFor(`http://127.0.0.1:${port}/-/healthy`);
  if (mode === 'replica') await replicaUp(`http://127.0.0.1:${port}`);
  return proc;
}

/** Waits until the replica's event stream is subscribed (dtle_compat_replica_stream_up 1). */
async function replicaUp(compat: string, maxMs = 180_000): Promise<void> {
  for (const end = Date.now() + maxMs; Date.now() < end; ) {
    if (/^dtle_compat_replica_stream_up 1$/m.test(await get(`${compat}/metrics`))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the replica of ${compat} did not subscribe to the event stream within ${maxMs} ms`);
}

/** The express floor: an express app answering a constant, at `conns` connections. */
async function expressFloor(conns: number): Promise<Measure> {
  const app = express();
  app.get('/', (_req, res) => void res.type('application/json').send('"127.0.0.1:4647"'));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await measure(`http://127.0.0.1:${port}/`, conns);
  } finally {
    server.close();
  }
}

/**
 * POLLERS legacy blocking queries of GET /v1/jobs at once (?index= the list's index, wait 3 s),
 * twice in a row: the Nomad calls they cost, and how many were answered 200.
 */
async function blockingPollers(compat: string, count: CallCounter): Promise<{ calls: number; answered: number }> {
  const index = await new Promise<string>((resolve, reject) => {
    http
      .get(`${compat}/v1/jobs`, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.headers['x-udup-index'] ?? '0')));
      })
      .on('error', reject);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: POLLERS });
  const poll = () =>
    new Promise<number>((resolve) => {
      http
        .get(`${compat}/v1/jobs?index=${index}&wait=3s`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', () => resolve(0));
    });
  const before = await count();
  let answered = 0;
  for (let round = 0; round < 2; round++) answered += (await Promise.all(Array.from({ length: POLLERS }, poll))).filter((s) => s === 200).length;
  const calls = (await count()) - before;
  agent.destroy();
  return { calls, answered };
}


/**
 * RSS once the load is over: the lowest of samples taken each second for `ms` (V8 gives the
 * garbage of a burst back some seconds after it ends).
 */
async function settledRssMb(pid: number, ms = 30_000): Promise<number> {
  let low = Infinity;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) low = Math.min(low, Math.round(Number(m[1]) / 1024));
    await new Promise((r) => setTimeout(r, 1000));
  }
  return low;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

async function measure(url: string, conns: number): Promise<Measure> {
  const r = await autocannon({ url, connections: conns, duration, pipelining: 1 });
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: r.latency.average,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

/** Waits until the service's background watches stop calling Nomad (their cold fetch is done). */
async function settle(count: CallCounter, quietMs = 1000, maxMs = 120_000): Promise<void> {
  const end = Date.now() + maxMs;
  let last = -1;
  while (Date.now() < end) {
    const calls = await count();
    if (calls === last) return;
    last = calls;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

/** Nomad calls so far: the simulator counts what it received; for a real agent, dtle-compat's own metrics. */
type CallCounter = () => Promise<number>;

function simCounter(control: string): CallCounter {
  return async () => (JSON.parse(await get(`${control}/calls`)) as { calls: number }).calls;
}

function metricsCounter(compat: string): CallCounter {
  return async () => {
    const text = await get(`${compat}/metrics`);
    let sum = 0;
    for (const m of text.matchAll(/^dtle_compat_upstream_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)) sum += Number(m[1]);
    return sum;
  };
}

/**
 * Nomad calls per request: the fewest over three rounds of n requests, so that a background call
 * (a watch's blocking query coming back) landing in one round is not charged to the requests; a
 * call that every request makes shows in every round.
 */
async function callsPerRequest(count: CallCounter, url: string, n = 20): Promise<number> {
  await get(url); // warm
  let fewest = Infinity;
  for (let round = 0; round < 3; round++) {
    const before = await count();
    for (let i = 0; i < n; i++) await get(url);
    fewest = Math.min(fewest, ((await count()) - before) / n);
  }
  return fewest;
}

function fmt(rows: Row[], peak: Record<string, number>, settled: Record<string, number>, floor: Measure, pollers: Record<string, { calls: number; answered: number }>): string {
  const lines = [
    `Express floor (an express app answering a constant, ${connections} connections, this run): ${floor.rps} req/s, mean ${floor.mean.toFixed(2)} ms.`,
    '',
    '| Nomad | jobs | dtle-compat | route | conns | dtle-compat req/s | Nomad req/s | throughput ratio | of the express floor | dtle-compat p50 / p99 ms | Nomad p50 / p99 ms | mean µs dtle-compat / Nomad | Nomad calls per request |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.nomad} | ${r.jobs} | ${r.mode} | \`${r.route}\` | ${r.connections} | ${r.compat.rps} | ${r.direct.rps} | ${(r.compat.rps / Math.max(1, r.direct.rps)).toFixed(2)} | ${(r.compat.rps / Math.max(1, floor.rps)).toFixed(2)} | ${r.compat.p50} / ${r.compat.p99} | ${r.direct.p50} / ${r.direct.p99} | ${Math.round(r.compat.mean * 1000)} / ${Math.round(r.direct.mean * 1000)} | ${r.upstreamCallsPerRequest.toFixed(3)} |`,
    );
  }
  lines.push('', '| Nomad | jobs | dtle-compat | peak RSS under the load above (MB) | RSS 30 s after the load (MB) |', '|---|---:|---|---:|---:|');
  for (const [key, mb] of Object.entries(peak)) {
    const [kind = '', rest = ''] = key.split(':');
    const replica = rest.endsWith(' replica');
    lines.push(`| ${kind} | ${rest.replace(' replica', '')} | ${replica ? 'replica' : 'live'} | ${mb} | ${settled[key] ?? ''} |`);
  }
  if (Object.keys(pollers).length > 0) {
    lines.push('', `| Nomad | jobs | ${POLLERS} legacy blocking pollers of \`/v1/jobs\`, 2 rounds of 3 s: answered | Nomad calls |`, '|---|---:|---:|---:|');
    for (const [key, p] of Object.entries(pollers)) lines.push(`| ${key.replace(':', ' | ')} | ${p.answered} | ${p.calls} |`);
  }
  lines.push('', ...targets(rows, peak, settled, floor, pollers));
  return lines.join('\n');
}

/** The issues' targets, each with the measured value and whether it was met. */
function targets(all: Row[], peak: Record<string, number>, settled: Record<string, number>, floor: Measure, pollers: Record<string, { calls: number; answered: number }>): string[] {
  const out = ['| target | measured | met |', '|---|---|---|'];
  for (const kind of nomadKinds) {
    const rows = all.filter((r) => r.nomad === kind);
    if (modes.includes('live')) out.push(...liveTargets(kind, rows.filter((r) => r.mode === 'live'), peak[`${kind}:10000`], peak[`${kind}:10000 heap cap ${HEAP_CAP_MB} MB`], settled[`${kind}:10000`]));
    if (modes.includes('replica')) out.push(...replicaTargets(kind, rows.filter((r) => r.mode === 'replica'), peak[`${kind}:10000 replica`], floor, pollers));
  }
  return out;
}

const yes = (b: boolean) => (b ? 'yes' : '**no**');
const labelOf = (kind: string) => (kind === 'real' ? ' (real Nomad)' : ' (simulated Nomad)');

/** The targets of the live reads (each request reads Nomad). */
function liveTargets(kind: string, rows: Row[], rss10k: number | undefined, rss10kCapped: number | undefined, rss10kSettled: number | undefined): string[] {
  const out: string[] = [];
  const label = ` — live${labelOf(kind)}`;
  const single = rows.filter((r) => ['/v1/job/{ID}', '/v1/leader', '/v1/nodes'].includes(r.route) && r.connections === connections);
  const unloaded = rows.filter((r) => r.route === '/v1/job/{ID}' && r.connections === 1);
  if (single.length > 0) {
    const added = Math.max(...single.map((r) => r.compat.p50 - r.direct.p50));
    const ratio = Math.min(...single.map((r) => r.compat.rps / Math.max(1, r.direct.rps)));
    out.push(`| single-resource routes: p50 added ≤ 1 ms (worst route and size)${label} | ${added.toFixed(1)} ms | ${yes(added <= 1)} |`);
    if (unloaded.length > 0) {
      const one = Math.max(...unloaded.map((r) => r.compat.p50 - r.direct.p50));
      const mean = Math.max(...unloaded.map((r) => r.compat.mean - r.direct.mean));
      out.push(`| \`/v1/job/{ID}\` at 1 connection: p50 added ≤ 1 ms (worst size)${label} | ${one.toFixed(0)} ms (mean added ${mean.toFixed(2)} ms) | ${yes(one <= 1)} |`);
    }
    out.push(`| single-resource routes: ≥ 70% of Nomad's throughput at ${connections} connections (worst)${label} | ${(ratio * 100).toFixed(0)}% | ${yes(ratio >= 0.7)} |`);
  }
  const l1k = rows.find((r) => r.route === '/v1/jobs' && r.jobs === 1000);
  if (l1k) {
    const limit = Math.max(1, 2 * l1k.direct.p50);
    out.push(`| \`GET /v1/jobs\` at 1,000 jobs, warm: p50 ≤ 2× Nomad's (${l1k.direct.p50} ms → ≤ ${limit} ms)${label} | ${l1k.compat.p50} ms | ${yes(l1k.compat.p50 <= limit)} |`);
  }
  const l10k = rows.find((r) => r.route === '/v1/jobs' && r.jobs === 10000);
  if (l10k) out.push(`| \`GET /v1/jobs\` at 10,000 jobs: p99 < 500 ms${label} | ${l10k.compat.p99} ms | ${yes(l10k.compat.p99 < 500)} |`);
  if (rss10k !== undefined) out.push(`| RSS at 10,000 jobs < 250 MB: peak under load${label} | ${rss10k} MB | ${yes(rss10k < 250)} |`);
  if (rss10kSettled !== undefined) out.push(`| RSS at 10,000 jobs < 250 MB: 30 s after the load${label} | ${rss10kSettled} MB | ${yes(rss10kSettled < 250)} |`);
  const capped = rows.find((r) => r.route.startsWith('/v1/jobs (heap cap') && r.jobs === 10000);
  if (rss10kCapped !== undefined && capped) {
    out.push(`| RSS at 10,000 jobs < 250 MB, with node --max-old-space-size=${HEAP_CAP_MB}${label} | ${rss10kCapped} MB (p99 ${capped.compat.p99} ms) | ${yes(rss10kCapped < 250)} |`);
  }
  const lists = rows.filter((r) => r.route === '/v1/jobs');
  if (lists.length > 0) {
    const worst = Math.max(...lists.map((r) => r.upstreamCallsPerRequest));
    out.push(`| Nomad calls per warm \`GET /v1/jobs\`: 1${label} | ${worst.toFixed(2)} | ${yes(worst <= 1)} |`);
  }
  return out;
}

/** The replica's targets (issue "Reads that cost Nomad nothing"). */
function replicaTargets(kind: string, rows: Row[], rss10k: number | undefined, floor: Measure, pollers: Record<string, { calls: number; answered: number }>): string[] {
  const out: string[] = [];
  const label = ` — replica${labelOf(kind)}`;
  const four = ['/v1/job/{ID}', '/v1/job/{ID}/allocations', '/v1/nodes', '/v1/leader'];
  if (rows.length > 0) {
    const worst = Math.max(...rows.map((r) => r.upstreamCallsPerRequest));
    out.push(`| Nomad calls per legacy read while the replica is current: 0 (worst route and size)${label} | ${worst.toFixed(3)} | ${yes(worst === 0)} |`);
  }
  const polled = Object.entries(pollers).filter(([k]) => k.startsWith(`${kind}:`));
  if (polled.length > 0) {
    const calls = Math.max(...polled.map(([, p]) => p.calls));
    out.push(`| ${POLLERS} concurrent legacy blocking pollers: Nomad sees the one stream, no query per poller (worst size)${label} | ${calls} Nomad calls | ${yes(calls === 0)} |`);
  }
  const one = rows.filter((r) => four.includes(r.route) && r.connections === 1);
  if (one.length > 0) {
    const worst = one.reduce((a, b) => (b.compat.mean - b.direct.mean > a.compat.mean - a.direct.mean ? b : a));
    out.push(
      `| the four routes at 1 connection: mean ≤ Nomad's direct mean (worst: \`${worst.route}\` at ${worst.jobs} jobs)${label} | ${Math.round(worst.compat.mean * 1000)} µs vs ${Math.round(worst.direct.mean * 1000)} µs | ${yes(one.every((r) => r.compat.mean <= r.direct.mean))} |`,
    );
  }
  const many = rows.filter((r) => four.includes(r.route) && r.connections === connections);
  if (many.length > 0) {
    const worst = many.reduce((a, b) => (b.compat.rps < a.compat.rps ? b : a));
    const ratio = worst.compat.rps / Math.max(1, floor.rps);
    out.push(`| the four routes at ${connections} connections: ≥ 80% of the express floor (${floor.rps} req/s; worst: \`${worst.route}\` at ${worst.jobs} jobs)${label} | ${(ratio * 100).toFixed(0)}% (${worst.compat.rps} req/s) | ${yes(ratio >= 0.8)} |`);
  }
  const l1k = rows.find((r) => r.route === '/v1/jobs' && r.jobs === 1000);
  if (l1k) out.push(`| warm \`GET /v1/jobs\` at 1,000 jobs: p50 ≤ Nomad's own (${l1k.direct.p50} ms)${label} | ${l1k.compat.p50} ms | ${yes(l1k.compat.p50 <= l1k.direct.p50)} |`);
  const l10k = rows.find((r) => r.route === '/v1/jobs' && r.jobs === 10000);
  if (l10k) out.push(`| \`GET /v1/jobs\` at 10,000 jobs: p99 < 100 ms${label} | ${l10k.compat.p99} ms | ${yes(l10k.compat.p99 < 100)} |`);
  if (rss10k !== undefined) out.push(`| peak RSS under that load at 10,000 jobs < 250 MB${label} | ${rss10k} MB | ${yes(rss10k < 250)} |`);
  return out;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const peak: Record<string, number> = {};
  const settled: Record<string, number> = {};
  const pollers: Record<string, { calls: number; answered: number }> = {};
  const floor = await expressFloor(connections);
  process.stderr.write(`express floor: ${floor.rps} req/s at ${connections} connections\n`);
  let port = 18190 + Math.floor(Math.random() * 1000);
  for (const kind of nomadKinds) {
    for (const jobs of kind === 'real' ? realSizes : sizes) {
      process.stderr.write(`\n== ${kind} Nomad, ${jobs} jobs\n`);
      let nomadUrl: string;
      let stopNomad: () => void;
      let counter: CallCounter | null = null;
      if (kind === 'real') {
        const real = await startRealNomad(jobs);
        nomadUrl = real.url;
        stopNomad = real.stop;
      } else {
        const sim = await startSim(jobs);
        nomadUrl = sim.url;
        stopNomad = () => sim.proc.kill('SIGTERM');
        counter = simCounter(sim.control);
      }
      // Nomad's own answers, measured once per route and connections, for both dtle-compats
      const directs = new Map<string, Measure>();
      const direct = async (route: string, conns: number): Promise<Measure> => {
        const key = `${route} ${conns}`;
        let m = directs.get(key);
        if (!m) {
          m = await measure(nomadUrl + route, conns);
          directs.set(key, m);
        }
        return m;
      };
      try {
        const list = JSON.parse(await get(`${nomadUrl}/v1/jobs`)) as Array<{ ID: string }>;
        const id = encodeURIComponent(list[0]?.ID ?? 'missing');
        for (const mode of modes) {
          const compatPort = port++;
          const compat = await startCompat(nomadUrl, compatPort, [], mode);
          const c = `http://127.0.0.1:${compatPort}`;
          const count = counter ?? metricsCounter(c);
          const rssKey = `${kind}:${jobs}${mode === 'replica' ? ' replica' : ''}`;
          try {
            await settle(count);
            const routes: Array<[string, string, number]> = [
              ['/v1/leader', '/v1/status/leader', connections],
              [`/v1/job/${id}`, `/v1/job/${id}`, connections],
              // one connection: the latency a request gains, without queueing behind 63 others
              [`/v1/job/${id}`, `/v1/job/${id}`, 1],
              ['/v1/nodes', '/v1/nodes', connections],
              [`/v1/job/${id}/allocations`, `/v1/job/${id}/allocations`, connections],
              ['/v1/jobs', '/v1/jobs', listConnections],
            ];
            if (mode === 'replica') {
              routes.push(['/v1/leader', '/v1/status/leader', 1], ['/v1/nodes', '/v1/nodes', 1], [`/v1/job/${id}/allocations`, `/v1/job/${id}/allocations`, 1]);
            }
            for (const [route, nomadRoute, conns] of routes) {
              const calls = await callsPerRequest(count, c + route);
              const d = await direct(nomadRoute, conns);
              const viaCompat = await measure(c + route, conns);
              const row: Row = { nomad: kind, mode, jobs, route: route.replace(id, '{ID}'), nomadRoute: nomadRoute.replace(id, '{ID}'), connections: conns, compat: viaCompat, direct: d, upstreamCallsPerRequest: calls };
              rows.push(row);
              process.stderr.write(
                `${mode.padEnd(8)}${row.route.padEnd(28)}${String(conns).padStart(3)} compat ${viaCompat.rps} req/s p50 ${viaCompat.p50} p99 ${viaCompat.p99} mean ${viaCompat.mean.toFixed(3)} | nomad ${d.rps} req/s p50 ${d.p50} p99 ${d.p99} mean ${d.mean.toFixed(3)} | calls/req ${calls}\n`,
              );
            }
            if (mode === 'replica') {
              pollers[`${kind}:${jobs}`] = await blockingPollers(c, count);
              process.stderr.write(`replica ${POLLERS} blocking pollers: ${JSON.stringify(pollers[`${kind}:${jobs}`])}\n`);
            }
            peak[rssKey] = peakRssMb(compat.pid ?? 0);
            settled[rssKey] = await settledRssMb(compat.pid ?? 0);
            if (kind === 'sim' && jobs === 10000 && mode === 'live') {
              // the same list with V8's heap capped: how much of the peak is collectable garbage
              const capped = await startCompat(nomadUrl, port++, [`--max-old-space-size=${HEAP_CAP_MB}`]);
              try {
                await get(`http://127.0.0.1:${port - 1}/v1/jobs`); // the cold fetch
                const m = await measure(`http://127.0.0.1:${port - 1}/v1/jobs`, listConnections);
                const row = rows.find((r) => r.nomad === kind && r.mode === mode && r.jobs === jobs && r.route === '/v1/jobs');
                if (row) rows.push({ ...row, route: `/v1/jobs (heap cap ${HEAP_CAP_MB} MB)`, compat: m });
                peak[`${kind}:${jobs} heap cap ${HEAP_CAP_MB} MB`] = peakRssMb(capped.pid ?? 0);
              } finally {
                capped.kill('SIGTERM');
              }
            }
          } finally {
            compat.kill('SIGTERM');
            await new Promise((r) => setTimeout(r, 300));
          }
        }
      } finally {
        stopNomad();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  const report = { when: new Date().toISOString(), node: process.version, duration, connections, listConnections, nomad: nomadKinds, modes, expressFloor: floor, rows, peakRssMb: peak, settledRssMb: settled, pollers };
  mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench-results', 'report.json'), JSON.stringify(report, null, 2));
  const table = fmt(rows, peak, settled, floor, pollers);
  const doc = path.join(ROOT, 'docs', 'performance.md');
  const text = readFileSync(doc, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) {
    writeFileSync(doc, `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`);
  }
  process.stdout.write(table + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
