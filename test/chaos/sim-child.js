/**
 * The simulated Nomad and the Consul its dtle driver keeps each job's state in, as a process of
 * their own for `npm run test:chaos` (needs `npm run build`, which bundles sim/):
 * `node sim-child.js <jobs>` prints {"url", "consul", "control"} as one JSON line (consul: host:port). The control URL answers
 * GET /state (calls received, job IDs) and POST /faults (a JSON object of fault switches).
 */
'use strict';
const http = require('node:http');
const { SimConsul, SimNomad } = require('@dtle-compat/sim');

async function main() {
  const consul = new SimConsul();
  await consul.listen(0, '127.0.0.1');
  const sim = new SimNomad({ blockingMaxWaitMs: 5000, consul });
  const url = await sim.listen(0, '127.0.0.1');
  sim.seedDtleJobs(Number(process.argv[2] || '50'));
  const control = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/state') {
        res.end(JSON.stringify({ calls: sim.calls.length, jobs: [...sim.state.jobs.values()].map((r) => r.job.ID) }));
      } else if (req.method === 'POST' && req.url === '/faults') {
        Object.assign(sim.faults, JSON.parse(body || '{}'));
        res.end(JSON.stringify(sim.faults));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise((r) => control.listen(0, '127.0.0.1', r));
  process.stdout.write(JSON.stringify({ url, consul: consul.addr, control: `http://127.0.0.1:${control.address().port}` }) + '\n');
  process.on('SIGTERM', () => {
    control.close();
    void Promise.all([sim.close(), consul.close()]).then(() => process.exit(0));
  });
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
