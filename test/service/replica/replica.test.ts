/**
 * The replica through the whole service (routes, services, NomadClient) against the simulated
 * Nomad and its event stream: what legacy callers see, and how many calls reach Nomad.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { dtleTemplate, type SimOptions } from '@dtle-compat/sim';
import type { Config } from '../../../src/config';
import type { LegacyJob, LegacyJobListStub } from '../../../src/legacy/types';
import { createApp } from '../../../src/app';
import { CANARY, collectedApp, collectingLogger, record, startHarness, testConfig, type Harness } from '../../support/harness';
import { NomadClient } from '../../../src/nomad/client';

const seedJob = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8')) as LegacyJob;

/** seed 003's job with the canary as every password */
function legacyJob(over: Partial<LegacyJob> = {}): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ...over };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A harness whose app has the replica on, once its stream is subscribed and has passed the sim's index. */
async function replicaHarness(over: Partial<Config> = {}, simOpts: SimOptions = {}): Promise<Harness> {
  const h = await startHarness({ replica: true, consul: '', ...over }, simOpts);
  await caughtUp(h);
  return h;
}

/** Waits until the replica's stream has delivered everything the simulator has published. */
async function caughtUp(h: Harness): Promise<void> {
  const replica = h.built.services.replica;
  if (!replica) throw new Error('no replica');
  // the simulator publishes a write's frame when its apply commits (at the latest in a microtask)
  await new Promise((r) => setImmediate(r));
  const frames = h.sim.state.events.buffered();
  const last = BigInt(frames[frames.length - 1]?.index ?? 0);
  await until('the replica caught up', () => replica.streamUp && (replica.index ?? -1n) >= last);
}

/** The Nomad calls the service made, but the event stream itself. */
function nomadCalls(h: Harness): string[] {
  return h.sim.calls.filter((c) => c.path !== '/v1/event/stream').map((c) => `${c.method} ${c.path}${c.query ? `?${c.query}` : ''}`);
}

async function counter(h: Harness, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await h.built.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

function listen(app: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

/** The same routes answered by an app without the replica, on the same simulator. */
function plainApp(h: Harness): { app: ReturnType<typeof collectedApp>; close(): void } {
  const config = testConfig({ ...h.config, replica: false });
  const nomad = new NomadClient(config);
  return { app: collectedApp(config, nomad), close: () => nomad.close() };
}

describe('reads while nothing changes', () => {
  let h: Harness;
  let stopWatches: Array<() => void> = [];
  beforeAll(async () => {
    h = await startHarness({ replica: true, consul: '' });
    h.sim.seedDtleJobs(3);
    // the service's own background reads, as startService runs them
    stopWatches = [h.built.services.jobReads.startWatch(), h.built.services.pauseStore.startWatch()];
    await caughtUp(h);
  });
  afterAll(async () => {
    for (const stop of stopWatches) stop();
    await h.close();
  });

  it('cost Nomad no call once read, and answer what Nomad answers (body and X-Udup-Index)', async () => {
    const job = 'sim-dtle-00001';
    const alloc = [...h.sim.state.allocs.keys()][0];
    const evalId = [...h.sim.state.evals.keys()][0];
    const node = h.sim.state.nodes[0]?.ID;
    if (!alloc || !evalId || !node) throw new Error('no allocation, evaluation or node in the simulator');
    const routes = [
      '/v1/jobs',
      `/v1/job/${job}`,
      `/v1/job/${job}/allocations`,
      `/v1/job/${job}/evaluations`,
      '/v1/allocations',
      `/v1/allocation/${alloc}`,
      '/v1/evaluations',
      `/v1/evaluation/${evalId}`,
      `/v1/evaluation/${evalId}/allocations`,
      '/v1/nodes',
      `/v1/node/${node}`,
      `/v1/node/${node}/allocations`,
    ];
    for (const r of routes) expect(record(await request(h.built.app).get(r)).status).toBe(200);
    await caughtUp(h);
    h.sim.resetCalls();
    const local = new Map<string, { body: string; index: unknown }>();
    for (let round = 0; round < 5; round++) {
      for (const r of routes) {
        const res = record(await request(h.built.app).get(r));
        expect(res.status).toBe(200);
        local.set(r, { body: res.text, index: res.headers['x-udup-index'] });
      }
    }
    // the watches' own blocking queries (the paused-job set's) are not reads of a legacy caller
    expect(nomadCalls(h).filter((c) => !/[?&]index=/.test(c))).toEqual([]);
    const plain = plainApp(h);
    try {
      for (const r of routes) {
        const res = record(await request(plain.app).get(r));
        expect({ route: r, body: local.get(r)?.body, index: local.get(r)?.index }).toEqual({ route: r, body: res.text, index: res.headers['x-udup-index'] });
      }
    } finally {
      plain.close();
    }
    expect(await counter(h, 'dtle_compat_replica_hits_total', { kind: 'events' })).toBeGreaterThan(0);
  });

  it('answers Nomad publishes no events for (leader, members, …): one Nomad call per replica_poll_ms however many reads', async () => {
    h.sim.resetCalls();
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect((await request(h.built.app).get('/v1/leader')).status).toBe(200);
    const windows = Math.floor((Date.now() - started) / h.config.replica_poll_ms) + 1;
    const leaderCalls = nomadCalls(h).filter((c) => c.startsWith('GET /v1/status/leader'));
    expect(leaderCalls.length).toBeGreaterThanOrEqual(1);
    expect(leaderCalls.length).toBeLessThanOrEqual(windows);
  });

  it('/metrics reports the replica', async () => {
    const text = (await request(h.built.app).get('/metrics')).text;
    for (const m of ['index', 'lag_seconds', 'bytes', 'entries', 'stream_up']) expect(text).toMatch(new RegExp(`^dtle_compat_replica_${m} \\d`, 'm'));
    expect(text).toMatch(/^dtle_compat_replica_stream_up 1$/m);
    expect(text).toMatch(new RegExp(`^dtle_compat_replica_index ${h.built.services.replica?.index?.toString() ?? 'x'}$`, 'm'));
    for (const m of ['reseeds_total', 'events_total', 'hits_total', 'misses_total']) expect(text).toContain(`# TYPE dtle_compat_replica_${m} counter`);
  });
});

describe('a write through the service, then a read through it', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await replicaHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const post = async (job: LegacyJob) =>
    record(await request(h.built.app).post('/v1/jobs').set('Content-Type', 'application/x-www-form-urlencoded').send(JSON.stringify(job)));

  it('never shows the state before the write (register, update, delete, each read at once)', async () => {
    for (let i = 0; i < 5; i++) {
      const id = `ryw-${i}`;
      // warm what the next reads would be answered from
      expect((await request(h.built.app).get('/v1/jobs')).status).toBe(200);
      expect((await request(h.built.app).get(`/v1/job/${id}`)).status).toBe(404);
      expect((await post(legacyJob({ ID: id, Name: id }))).status).toBe(200);
      const got = record(await request(h.built.app).get(`/v1/job/${id}`));
      expect(got.status).toBe(200);
      const list = record(await request(h.built.app).get('/v1/jobs'));
      expect((list.body as LegacyJobListStub[]).map((j) => j.ID)).toContain(id);
      const before = (got.body as LegacyJob).JobModifyIndex;
      const updated = legacyJob({ ID: id, Name: id, Failover: true });
      expect((await post(updated)).status).toBe(200);
      const after = record(await request(h.built.app).get(`/v1/job/${id}`));
      expect((after.body as LegacyJob).Failover).toBe(true);
      expect((after.body as LegacyJob).JobModifyIndex).toBeGreaterThan(before);
      expect(record(await request(h.built.app).delete(`/v1/job/${id}`)).status).toBe(200);
      expect(record(await request(h.built.app).get(`/v1/job/${id}`)).status).toBe(404);
      const gone = record(await request(h.built.app).get('/v1/jobs'));
      expect((gone.body as LegacyJobListStub[]).map((j) => j.ID)).not.toContain(id);
    }
    // every read waited for the stream rather than asking Nomad behind the replica's back
    expect(await counter(h, 'dtle_compat_replica_misses_total', { reason: 'behind' })).toBe(0);
  });
});

describe('whose reads the replica answers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await replicaHarness({ nomad_token: 'svc-token-3f9a' }, { aclToken: 'svc-token-3f9a' });
    h.sim.seedDtleJobs(2);
    await caughtUp(h);
    expect((await request(h.built.app).get('/v1/jobs')).status).toBe(200);
  });
  afterAll(async () => {
    await h.close();
  });

  it("a caller with another token is answered by Nomad (its 403), the configured token's callers by the replica", async () => {
    h.sim.resetCalls();
    const refused = await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', 'other-token-77c1');
    expect(refused.status).toBe(403);
    expect(refused.text).toBe('Permission denied');
    expect(h.sim.callHeaders.map((hd) => hd['x-nomad-token'])).toContain('other-token-77c1');
    const job = await request(h.built.app).get('/v1/job/sim-dtle-00001').set('X-Nomad-Token', 'other-token-77c1');
    expect(job.status).toBe(403);
    h.sim.resetCalls();
    // the cache holds the service token's answers: the same token sent by the caller, or none, is answered here
    expect((await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', 'svc-token-3f9a')).status).toBe(200);
    expect((await request(h.built.app).get('/v1/jobs')).status).toBe(200);
    expect(nomadCalls(h).filter((c) => c.startsWith('GET /v1/jobs'))).toEqual([]);
    // and a refused caller after them is still refused
    expect((await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', 'other-token-77c1')).status).toBe(403);
  });
});

describe('losing events', () => {
  it('a gap (Nomad no longer buffers the index asked for) is detected and everything is read again', async () => {
    const h = await replicaHarness({}, { eventBufferSize: 2 });
    try {
      h.sim.seedDtleJobs(1);
      await caughtUp(h);
      const before = record(await request(h.built.app).get('/v1/jobs'));
      expect((before.body as LegacyJobListStub[]).map((j) => j.ID)).toEqual(['sim-dtle-00001']);
      const port = Number(new URL(h.sim.url).port);
      const gaps = await counter(h, 'dtle_compat_replica_reseeds_total', { reason: 'gap' });
      await h.sim.goAway();
      // more frames than Nomad keeps while the stream is away
      for (let i = 0; i < 4; i++) h.sim.registerJob(dtleTemplate(`gap-${i}`, 'dc1'));
      await h.sim.listen(port);
      await until('the gap seen', async () => (await counter(h, 'dtle_compat_replica_reseeds_total', { reason: 'gap' })) > gaps);
      await caughtUp(h);
      const after = record(await request(h.built.app).get('/v1/jobs'));
      expect((after.body as LegacyJobListStub[]).map((j) => j.ID).sort()).toEqual(['gap-0', 'gap-1', 'gap-2', 'gap-3', 'sim-dtle-00001']);
      const plain = plainApp(h);
      try {
        expect(after.text).toBe(record(await request(plain.app).get('/v1/jobs')).text);
      } finally {
        plain.close();
      }
    } finally {
      await h.close();
    }
  });

  it('a restarted Nomad (its index going backwards) re-seeds and the new state is served', async () => {
    const h = await replicaHarness();
    try {
      h.sim.seedDtleJobs(3);
      await caughtUp(h);
      const before = record(await request(h.built.app).get('/v1/jobs'));
      expect((before.body as LegacyJobListStub[]).length).toBe(3);
      const oldIndex = BigInt(String(before.headers['x-udup-index']));
      const restarts = await counter(h, 'dtle_compat_replica_reseeds_total', { reason: 'restart' });
      h.sim.restart();
      await until('the restart seen', async () => (await counter(h, 'dtle_compat_replica_reseeds_total', { reason: 'restart' })) > restarts);
      h.sim.registerJob(dtleTemplate('after-restart', 'dc1'));
      await caughtUp(h);
      const after = record(await request(h.built.app).get('/v1/jobs'));
      expect((after.body as LegacyJobListStub[]).map((j) => j.ID)).toEqual(['after-restart']);
      expect(BigInt(String(after.headers['x-udup-index']))).toBeLessThan(oldIndex);
      const node = record(await request(h.built.app).get('/v1/nodes'));
      expect((node.body as Array<{ ID: string }>).map((n) => n.ID)).toEqual(h.sim.state.nodes.map((n) => n.ID));
    } finally {
      await h.close();
    }
  });
});

/** A proxy in front of the simulator whose event stream answers as `stream` says. */
async function refusingProxy(target: string, stream: (res: http.ServerResponse) => void) {
  const t = new URL(target);
  const asked = { streams: 0 };
  const server = await listen((req, res) => {
    if ((req.url ?? '').startsWith('/v1/event/stream')) {
      asked.streams++;
      return stream(res);
    }
    const up = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    req.pipe(up);
  });
  return { ...server, asked };
}

describe('without the stream', () => {
  it.each([
    ['403', (res: http.ServerResponse) => res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Permission denied')],
    ['404 (no event endpoint)', (res: http.ServerResponse) => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found')],
    ["Nomad 1.11.3's refusal (200, then nothing)", (res: http.ServerResponse) => (res.writeHead(200, { 'Content-Type': 'application/json' }), res.flushHeaders())],
  ])('stream refused %s: every read is a plain Nomad read', async (_name, answer) => {
    // the harness gives the simulator; its own app (not asked here) makes no call of its own
    const h = await startHarness({ consul: '', replica: false });
    const proxy = await refusingProxy(h.sim.url, answer);
    const config = testConfig({ nomad_addr: proxy.url, replica: true });
    const nomad = new NomadClient(config);
    const built = createApp({ config, nomad, consul: null, logger: collectingLogger() });
    try {
      h.sim.seedDtleJobs(2);
      await until('the stream asked for', () => proxy.asked.streams > 0);
      h.sim.resetCalls();
      for (let i = 0; i < 3; i++) {
        const res = record(await request(built.app).get('/v1/jobs'));
        expect(res.status).toBe(200);
        expect((res.body as LegacyJobListStub[]).length).toBe(2);
      }
      expect(nomadCalls(h).filter((c) => c.startsWith('GET /v1/jobs'))).toHaveLength(3);
      expect(built.services.replica?.streamUp).toBe(false);
      const text = await built.metrics.registry.metrics();
      expect(text).toMatch(/^dtle_compat_replica_stream_up 0$/m);
    } finally {
      nomad.close();
      await proxy.close();
      await h.close();
    }
  });
});

describe('a replica that has lost Nomad', () => {
  it('answers from what it keeps within replica_max_staleness_ms, then as the service does without it (502)', async () => {
    const h = await replicaHarness({ replica_max_staleness_ms: 1500 });
    try {
      h.sim.seedDtleJobs(1);
      await caughtUp(h);
      const warm = record(await request(h.built.app).get('/v1/jobs'));
      expect(warm.status).toBe(200);
      const replica = h.built.services.replica;
      await h.sim.goAway();
      await until('the stream lost', () => replica?.streamUp === false);
      const age = replica?.contactAgeMs ?? Infinity;
      const within = record(await request(h.built.app).get('/v1/jobs'));
      if (age < 1000) {
        expect(within.status).toBe(200);
        expect(within.text).toBe(warm.text);
        // how long the replica has been without Nomad
        expect(Number(within.headers['x-udup-lastcontact'])).toBeGreaterThanOrEqual(age);
      }
      let res = within;
      await until('an answer of its own', async () => {
        res = record(await request(h.built.app).get('/v1/jobs'));
        return res.status !== 200;
      });
      // never before the bound
      expect(replica?.contactAgeMs).toBeGreaterThan(1500);
      expect(res.status).toBe(502);
      expect(res.text).toMatch(/^cannot reach Nomad at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    } finally {
      await h.close();
    }
  });

  it('Nomad without a leader: once the bound has passed, the leader is asked, and reads answer 503 as without the replica', async () => {
    const h = await replicaHarness({ replica_max_staleness_ms: 300 });
    try {
      h.sim.seedDtleJobs(1);
      await caughtUp(h);
      expect((await request(h.built.app).get('/v1/jobs')).status).toBe(200);
      h.sim.faults.noLeader = true;
      await sleep(400);
      const res = record(await request(h.built.app).get('/v1/jobs'));
      expect(res.status).toBe(503);
      const plain = plainApp(h);
      try {
        const direct = record(await request(plain.app).get('/v1/jobs'));
        expect({ status: res.status, text: res.text }).toEqual({ status: direct.status, text: direct.text });
      } finally {
        plain.close();
      }
      // the stream itself is still up: a leader again, and the replica answers again
      h.sim.faults.noLeader = false;
      h.sim.resetCalls();
      await until('answered again', async () => (await request(h.built.app).get('/v1/jobs')).status === 200);
    } finally {
      await h.close();
    }
  });
});

describe('legacy blocking queries', () => {
  it('100 concurrent pollers of /v1/jobs: at most one Nomad call per change, none of them a blocking query', async () => {
    const h = await replicaHarness();
    const server = await listen(h.built.app);
    let stop = false;
    try {
      h.sim.seedDtleJobs(1, { withAllocs: false });
      await caughtUp(h);
      const first = await fetch(`${server.url}/v1/jobs`);
      expect(first.status).toBe(200);
      await first.text();
      const seen: string[] = [];
      const pollers = Array.from({ length: 100 }, async (_x, i) => {
        let index = String(first.headers.get('x-udup-index'));
        seen[i] = index;
        while (!stop) {
          const res = await fetch(`${server.url}/v1/jobs?index=${index}&wait=30s`);
          const body = (await res.json()) as LegacyJobListStub[];
          expect(res.status).toBe(200);
          index = String(res.headers.get('x-udup-index'));
          seen[i] = `${index}:${body.length}`;
        }
      });
      await sleep(200);
      h.sim.resetCalls();
      const changes = 3;
      for (let c = 0; c < changes; c++) {
        h.sim.seedDtleJobs(1, { withAllocs: false });
        await caughtUp(h);
        const want = `${h.sim.state.indexOf('jobs', 'job_summary')}:${c + 2}`;
        await until(`every poller at change ${c + 1}`, () => seen.length === 100 && seen.every((s) => s === want));
      }
      const calls = nomadCalls(h);
      expect(calls.filter((c) => c.startsWith('GET /v1/jobs'))).toHaveLength(changes);
      expect(calls.filter((c) => /^GET \/v1\/job\//.test(c))).toHaveLength(changes);
      expect(calls.filter((c) => /[?&]index=/.test(c))).toEqual([]);
      stop = true;
      // the pollers end with the next change
      h.sim.seedDtleJobs(1, { withAllocs: false });
      await Promise.all(pollers);
    } finally {
      stop = true;
      await server.close();
      await h.close();
    }
  });

  it('a blocking read answers at its wait with the current index when nothing changed (Nomad\'s rule)', async () => {
    const h = await replicaHarness();
    try {
      h.sim.seedDtleJobs(1, { withAllocs: false });
      await caughtUp(h);
      const first = record(await request(h.built.app).get('/v1/jobs'));
      const index = String(first.headers['x-udup-index']);
      h.sim.resetCalls();
      const started = Date.now();
      const res = record(await request(h.built.app).get(`/v1/jobs?index=${index}&wait=300ms`));
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(res.status).toBe(200);
      expect(res.headers['x-udup-index']).toBe(index);
      expect(res.text).toBe(first.text);
      expect(nomadCalls(h)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

describe('memory', () => {
  it('what the replica keeps stays within replica_max_bytes', async () => {
    const h = await replicaHarness({ replica_max_bytes: 20_000 });
    try {
      h.sim.seedDtleJobs(10);
      await caughtUp(h);
      for (let i = 1; i <= 10; i++) expect((await request(h.built.app).get(`/v1/job/sim-dtle-${String(i).padStart(5, '0')}`)).status).toBe(200);
      const size = h.built.services.replica?.size;
      expect(size?.bytes).toBeLessThanOrEqual(20_000);
      expect(size?.entries).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});

describe('shutdown', () => {
  it('a blocking query held by the replica is answered at once when the service stops (graceful shutdown well within its timeout)', async () => {
    const { startService } = await import('../../../src');
    const { SimNomad } = await import('@dtle-compat/sim');
    const sim = new SimNomad();
    const url = await sim.listen();
    sim.seedDtleJobs(1, { withAllocs: false });
    const service = await startService({
      config: testConfig({ api_addr: '127.0.0.1:0', nomad_addr: url, replica: true, shutdown_timeout_ms: 20_000 }),
      logger: collectingLogger(),
    });
    try {
      const first = await fetch(`${service.url}/v1/jobs`);
      const index = String(first.headers.get('x-udup-index'));
      await first.text();
      // wait until that read is the replica's (a second one costs no Nomad call)
      await until('answered by the replica', async () => {
        const n = sim.calls.length;
        const r = await fetch(`${service.url}/v1/jobs`);
        await r.text();
        return sim.calls.slice(n).every((c) => c.path !== '/v1/jobs');
      });
      const held = fetch(`${service.url}/v1/jobs?index=${index}&wait=60s`);
      await sleep(200);
      const started = Date.now();
      await service.shutdown();
      expect(Date.now() - started).toBeLessThan(5_000);
      const res = await held;
      expect(res.status).toBe(200);
      expect(res.headers.get('x-udup-index')).toBe(index);
      expect(((await res.json()) as LegacyJobListStub[]).map((j) => j.ID)).toEqual(['sim-dtle-00001']);
    } finally {
      await service.shutdown();
      await sim.close();
    }
  });
});

describe('when it could answer no one', () => {
  it('require_caller_token without nomad_token: no replica (every caller brings a token of its own), reads go to Nomad', async () => {
    const h = await startHarness({ consul: '', replica: true, require_caller_token: true, nomad_token: '' });
    try {
      expect(h.built.services.replica).toBeNull();
      h.sim.seedDtleJobs(1);
      await sleep(100);
      expect(h.sim.calls.filter((c) => c.path === '/v1/event/stream')).toEqual([]);
      h.sim.resetCalls();
      expect(record(await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', 'caller-own-1234')).status).toBe(200);
      expect(nomadCalls(h).filter((c) => c.startsWith('GET /v1/jobs'))).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
