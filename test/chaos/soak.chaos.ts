/**
 * `npm run test:chaos`: the built service (node dist/cli.js) and the simulated Nomad and Consul as processes of
 * their own on loopback; autocannon mixes reads and job writes on CHAOS_CONNECTIONS connections
 * (default 200) for CHAOS_DURATION seconds (default 60) at CHAOS_RATE requests per second in all
 * (default 150: about half of what the service answers at saturation on a 2-core machine with the
 * simulator and the load generator beside it; the most it can do is `npm run bench`'s question).
 * A soak at saturation measures the accept queue, not the service: a busy Node process leaves new
 * connections in the kernel's accept queue for seconds (measured with a plain http server spending
 * 2 ms per request: connections 101-200 of 200 accepted after 4-8 s). Passes when:
 *  - the rate was held (at least 90% of it answered);
 *  - no answer is an error of ours: every status is the one expected for its request (200; 404 for
 *    deleting a job already deleted), no socket error, no timeout;
 *  - no answer and no log line carries a password;
 *  - the service's RSS at the end is within 20% of its RSS after the warm-up (CHAOS_WARMUP s, default 20);
 *  - graceful shutdown under load: SIGTERM while requests are in flight (Nomad made slow), those
 *    finish with 200, new connections are refused, the process exits 0 within shutdown_timeout_ms
 *    (+5 s).
 * Prints the measured numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';

const ROOT = path.resolve(__dirname, '..', '..');
const DURATION = Number(process.env.CHAOS_DURATION ?? '60');
const CONNECTIONS = Number(process.env.CHAOS_CONNECTIONS ?? '200');
const RATE = Number(process.env.CHAOS_RATE ?? '150');
/**
 * Under this load V8 grows its heap and the process's RSS for the first 15-20 s (measured: 150,
 * 197, 218, 261, 268 MB at 5 s steps, then flat), so "after warm-up" is taken at 20 s; a leak
 * shows as growth after that.
 */
const WARMUP = Number(process.env.CHAOS_WARMUP ?? '20');
const SEEDED = 50;
const WRITTEN = 20;
const CANARIES = ['CANARY-pw-7f3a', 'sim-password'];
const RSS_GROWTH_LIMIT = 1.2;
const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Proc {
  proc: ChildProcess;
  out: string[];
  exit: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  proc.stdout?.on('data', (c: Buffer) => out.push(c.toString()));
  proc.stderr?.on('data', (c: Buffer) => out.push(c.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out, exit };
}

function call(url: string, method = 'GET', body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitFor(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await call(url)).status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer 200 within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The service's V8 heap in use, from its own /metrics. */
async function heapUsedMb(): Promise<number> {
  const text = (await call(`${base}/metrics`)).text;
  const m = /^dtle_compat_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Math.round(Number(m[1]) / 1024 / 1024) : -1;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Seed 003's legacy job under an ID, every password the canary. */
function jobBody(id: string): string {
  const seed = readFileSync(path.join(ROOT, 'test', 'fixtures', 'legacy', 'job-detail.json'), 'utf8').split('111111').join(CANARIES[0] as string);
  return JSON.stringify({ ...(JSON.parse(seed) as Record<string, unknown>), ID: id, Name: id });
}

type Kind = 'list' | 'job' | 'allocs' | 'nodes' | 'leader' | 'members' | 'write' | 'delete';
/** the statuses each kind of request may answer; anything else is an error of ours */
const EXPECTED: Record<Kind, number[]> = {
  list: [200],
  job: [200],
  allocs: [200],
  nodes: [200],
  leader: [200],
  members: [200],
  write: [200],
  delete: [200, 404],
};

let sim: Proc;
let svc: Proc;
let base: string;
let control: string;

beforeAll(async () => {
  expect(() => readFileSync(path.join(ROOT, 'dist', 'cli.js'))).not.toThrow();
  sim = start([path.join(__dirname, 'sim-child.js'), String(SEEDED)]);
  const first = await new Promise<string>((resolve) => {
    const onData = () => {
      const text = sim.out.join('');
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      else setTimeout(onData, 50);
    };
    onData();
  });
  const urls = JSON.parse(first) as { url: string; consul: string; control: string };
  control = urls.control;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  svc = start([path.join(ROOT, 'dist', 'cli.js')], {
    DTLE_API_ADDR: `127.0.0.1:${port}`,
    NOMAD_ADDR: urls.url,
    CONSUL_HTTP_ADDR: urls.consul,
    DTLE_COMPAT_LOG_LEVEL: 'warn',
    DTLE_COMPAT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  await waitFor(`${base}/-/ready`);
}, 60_000);

afterAll(async () => {
  if (svc.proc.exitCode === null) svc.proc.kill('SIGKILL');
  sim.proc.kill('SIGTERM');
  await sim.exit;
});

describe('load and soak', () => {
  const stats = { requests: 0, byKind: {} as Record<string, Record<number, number>>, unexpected: [] as string[], leaks: 0 };

  it(`${CONNECTIONS} connections at ${RATE} req/s for ${DURATION} s, reads and job writes: no error of ours, no leak, RSS bounded`, async () => {
    const pid = svc.proc.pid as number;
    const samples: Array<{ t: number; mb: number }> = [];
    const started = Date.now();
    let heapAtWarm = 0;
    const sampler = setInterval(() => {
      const t = (Date.now() - started) / 1000;
      samples.push({ t, mb: rssMb(pid) });
      if (heapAtWarm === 0 && t >= WARMUP) void heapUsedMb().then((mb) => (heapAtWarm = mb));
    }, 1000);
    let n = 0;
    const result = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: DURATION,
      overallRate: RATE,
      pipelining: 1,
      timeout: 20,
      requests: [
        {
          setupRequest: (req, context) => {
            const ctx = context as { kind?: Kind };
            const r = (n++ * 7919) % 100;
            const seeded = `sim-dtle-${String((n % SEEDED) + 1).padStart(5, '0')}`;
            // not tied to n % 100 (which picks the kind), so deletes meet written jobs
            const written = `soak-${Math.floor(n / 7) % WRITTEN}`;
            let kind: Kind;
            let out: autocannon.Request;
            if (r < 35) [kind, out] = ['list', { ...req, method: 'GET', path: '/v1/jobs' }];
            else if (r < 55) [kind, out] = ['job', { ...req, method: 'GET', path: `/v1/job/${seeded}` }];
            else if (r < 62) [kind, out] = ['allocs', { ...req, method: 'GET', path: `/v1/job/${seeded}/allocations` }];
            else if (r < 68) [kind, out] = ['nodes', { ...req, method: 'GET', path: '/v1/nodes' }];
            else if (r < 74) [kind, out] = ['leader', { ...req, method: 'GET', path: '/v1/leader' }];
            else if (r < 80) [kind, out] = ['members', { ...req, method: 'GET', path: '/v1/members' }];
            else if (r < 95) [kind, out] = ['write', { ...req, method: 'POST', path: '/v1/jobs', body: jobBody(written), headers: { 'content-type': 'application/json' } }];
            else [kind, out] = ['delete', { ...req, method: 'DELETE', path: `/v1/job/${written}` }];
            ctx.kind = kind;
            return out;
          },
          onResponse: (status, body, context) => {
            const kind = (context as { kind?: Kind }).kind ?? 'list';
            stats.requests++;
            const k = (stats.byKind[kind] ??= {});
            k[status] = (k[status] ?? 0) + 1;
            if (!EXPECTED[kind].includes(status) && stats.unexpected.length < 20) stats.unexpected.push(`${kind} ${status} ${body.slice(0, 200)}`);
            if (CANARIES.some((c) => body.includes(c))) stats.leaks++;
          },
        },
      ],
    });
    clearInterval(sampler);
    const warm = median(samples.filter((s) => s.t >= WARMUP && s.t < WARMUP + 5).map((s) => s.mb));
    const end = median(samples.slice(-5).map((s) => s.mb));
    const peak = Math.max(...samples.map((s) => s.mb));
    const unexpected = Object.entries(stats.byKind).reduce(
      (sum, [kind, codes]) => sum + Object.entries(codes).filter(([c]) => !EXPECTED[kind as Kind].includes(Number(c))).reduce((a, [, v]) => a + v, 0),
      0,
    );
    const report = {
      connections: CONNECTIONS,
      duration_s: DURATION,
      rate: RATE,
      requests: result.requests.total,
      responses_seen: stats.requests,
      req_per_s: Math.round(result.requests.average),
      latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      statuses: stats.byKind,
      unexpected_statuses: unexpected,
      socket_errors: result.errors,
      timeouts: result.timeouts,
      leaks: stats.leaks,
      rss_mb: { after_warmup: Math.round(warm), end: Math.round(end), peak: Math.round(peak), ratio: Number((end / warm).toFixed(3)) },
      rss_mb_every_5s: samples.filter((_, i) => i % 5 === 4).map((s) => Math.round(s.mb)),
      heap_used_mb: { after_warmup: heapAtWarm, end: await heapUsedMb() },
    };
    process.stdout.write(`\nchaos soak: ${JSON.stringify(report, null, 2)}\n`);
    expect(stats.unexpected).toEqual([]);
    expect(unexpected).toBe(0);
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(stats.leaks).toBe(0);
    expect(stats.requests).toBeGreaterThan(0);
    expect(result.requests.total).toBeGreaterThanOrEqual(0.9 * RATE * DURATION);
    expect(samples.length).toBeGreaterThanOrEqual(DURATION - 2);
    expect(end).toBeLessThanOrEqual(warm * RSS_GROWTH_LIMIT);
  });

  it('graceful shutdown under load: in-flight requests finish, new ones are refused, exit code 0', async () => {
    // Nomad answers slowly, so requests are in flight when SIGTERM comes
    await call(`${control}/faults`, 'POST', JSON.stringify({ delayMs: 1500 }));
    const background = autocannon({ url: `${base}/v1/leader`, connections: 20, duration: 6, timeout: 20 });
    const inFlight = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? call(`${base}/v1/jobs`, 'POST', jobBody(`shutdown-${i}`)).then((r) => ({ what: `POST shutdown-${i}`, ...r }))
        : call(`${base}/v1/job/sim-dtle-${String((i % SEEDED) + 1).padStart(5, '0')}`).then((r) => ({ what: `GET ${i}`, ...r })),
    );
    await new Promise((r) => setTimeout(r, 500));
    const signalled = Date.now();
    svc.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = await call(`${base}/v1/leader`).then(
      (r) => `answered ${r.status}`,
      (e: NodeJS.ErrnoException) => e.code ?? String(e),
    );
    const answers = await Promise.all(inFlight.map((p) => p.catch((e: Error) => ({ what: 'error', status: 0, text: e.message }))));
    const code = await svc.exit;
    const tookMs = Date.now() - signalled;
    await background;
    await call(`${control}/faults`, 'POST', JSON.stringify({ delayMs: 0 }));
    const state = JSON.parse((await call(`${control}/state`)).text) as { jobs: string[] };
    const written = answers.filter((a) => a.what.startsWith('POST')).map((a) => a.what.slice(5));
    const logs = svc.out.join('');
    process.stdout.write(
      `\nchaos shutdown: ${JSON.stringify({ in_flight: answers.length, ok: answers.filter((a) => a.status === 200).length, new_connection: refused, exit_code: code, shutdown_ms: tookMs })}\n`,
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(written.filter((id) => !state.jobs.includes(id))).toEqual([]);
    expect(refused).toBe('ECONNREFUSED');
    expect(code).toBe(0);
    // in-flight requests took about 1.5 s; the process must not outlive shutdown_timeout_ms by much
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5000);
    for (const c of CANARIES) expect(logs).not.toContain(c);
    expect(logs).not.toMatch(/"level":"error"/);
  });
});
