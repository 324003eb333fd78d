/**
 * The floor under dtle-compat's single-resource numbers: what one Node process does per second
 * with the mandated stack's pieces alone, on the same loopback, against the same simulated Nomad.
 *
 *   npm run bench:floor
 *
 * - client side: 64 concurrent GET /v1/status/leader loops for BENCH_DURATION seconds, with node's
 *   own http client (keep-alive agent) and with axios (the same agent);
 * - server side: autocannon at 64 connections against an express app answering a constant, and
 *   against a bare node http server answering the same.
 * A translated route does both halves in one thread, so its throughput is below the slower half.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import axios from 'axios';
import express from 'express';
import { upstreamAxiosDefaults } from '../src/upstream/http';
import { spawn } from 'node:child_process';
import path from 'node:path';

const duration = Number(process.env.BENCH_DURATION ?? '5');
const CONNS = 64;

async function loops(call: () => Promise<void>): Promise<number> {
  let done = 0;
  const end = Date.now() + duration * 1000;
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      while (Date.now() < end) {
        await call();
        done++;
      }
    }),
  );
  return Math.round(done / duration);
}

function nodeGet(agent: http.Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', reject);
  });
}

async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => void }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

async function cannon(url: string): Promise<number> {
  const r = await autocannon({ url, connections: CONNS, duration });
  return Math.round(r.requests.average);
}

async function main(): Promise<void> {
  // the simulated Nomad in a process of its own, as in bench/run.ts
  const sim = spawn(process.execPath, [path.join(__dirname, 'sim-server.js'), '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve) => {
    let out = '';
    sim.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.slice(0, out.indexOf('\n'))) as { url: string }).url);
    });
  });
  const leader = `${base}/v1/status/leader`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS });
  const rows: Array<[string, number]> = [];

  rows.push(['node http client → simulated Nomad', await loops(() => nodeGet(agent, leader))]);
  // the options of the service's Nomad client
  const ax = axios.create(upstreamAxiosDefaults(agent, false));
  rows.push(['axios → simulated Nomad', await loops(async () => void (await ax.get(leader)))]);
  agent.destroy();
  sim.kill('SIGTERM');

  const bare = await serve((_req, res) => res.end('"127.0.0.1:4647"'));
  rows.push(['autocannon → bare node http server', await cannon(bare.url)]);
  bare.close();
  const app = express();
  app.get('/', (_req, res) => void res.type('application/json').send('"127.0.0.1:4647"'));
  const ex = await serve(app);
  rows.push(['autocannon → express app', await cannon(ex.url)]);
  ex.close();

  process.stdout.write(`| ${CONNS} concurrent, ${duration} s each | req/s |\n|---|---:|\n`);
  for (const [what, rps] of rows) process.stdout.write(`| ${what} | ${rps} |\n`);
}

void main();
