import request from 'supertest';
import type { NomadClient } from '../../src/nomad/client';
import { NomadError } from '../../src/nomad/errors';
import { Job } from '../../src/nomad/types';
import * as jobTranslate from '../../src/translate/job';
import { CANARY, startHarness, record, type Harness } from '../support/harness';

/** Nomad calls a request made, without the background watches' blocking queries. */
function requestCalls(h: Harness): string[] {
  return h.sim.calls.filter((c) => !/(^|&)index=/.test(c.query)).map((c) => `${c.method} ${c.path}`);
}

function count(calls: string[], re: RegExp): number {
  return calls.filter((c) => re.test(c)).length;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Re-registers a sim job with one Meta key changed, as another Nomad client would. */
async function touch(h: Harness, id: string, value: string): Promise<void> {
  const res = await fetch(`${h.sim.url}/v1/job/${id}`);
  const job = Job.parse(await res.json());
  h.sim.registerJob({ ...job, Meta: { ...(job.Meta ?? {}), touched: value } });
}

describe('GET /v1/jobs upstream calls (counted at the simulated Nomad)', () => {
  const N = 40;
  let h: Harness;
  afterEach(async () => h.close());

  it('cold: the list, one read per job and the paused-job list; warm: the list and the paused-job list; a changed job costs one read', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(N);
    h.sim.resetCalls();
    const cold = record(await request(h.built.app).get('/v1/jobs'));
    expect(cold.status).toBe(200);
    expect(cold.body).toHaveLength(N);
    let calls = requestCalls(h);
    expect(count(calls, /^GET \/v1\/jobs$/)).toBe(1);
    expect(count(calls, /^GET \/v1\/job\//)).toBe(N);
    expect(count(calls, /^GET \/v1\/vars$/)).toBe(1);
    expect(calls).toHaveLength(N + 2);

    h.sim.resetCalls();
    await request(h.built.app).get('/v1/jobs');
    expect(requestCalls(h).sort()).toEqual(['GET /v1/jobs', 'GET /v1/vars']);

    await touch(h, 'sim-dtle-00003', 'one');
    await touch(h, 'sim-dtle-00007', 'two');
    h.sim.resetCalls();
    const after = record(await request(h.built.app).get('/v1/jobs'));
    calls = requestCalls(h);
    expect(calls.filter((c) => c.startsWith('GET /v1/job/')).sort()).toEqual([
      'GET /v1/job/sim-dtle-00003',
      'GET /v1/job/sim-dtle-00007',
    ]);
    expect(calls).toHaveLength(4);
    expect(after.body).toHaveLength(N);
  });

  it('with the background watches running, a warm list is exactly one Nomad call, and changes made elsewhere show in the next list', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(N);
    const stops = [h.built.services.jobReads.startWatch(), h.built.services.pauseStore.startWatch()];
    try {
      await until(() => h.built.services.jobReads.cache.size === N);
      await until(() => h.sim.calls.some((c) => c.path === '/v1/vars' && /index=/.test(c.query)));
      // let the paused-job watch's first (non-blocking) answer land
      await new Promise((r) => setTimeout(r, 50));
      h.sim.resetCalls();
      const warm = record(await request(h.built.app).get('/v1/jobs'));
      expect(warm.status).toBe(200);
      expect(warm.body).toHaveLength(N);
      expect(requestCalls(h)).toEqual(['GET /v1/jobs']);

      // a job registered straight into Nomad: the watch reads its spec ahead of the next list
      h.sim.seedDtleJobs(1);
      await until(() => h.built.services.jobReads.cache.size === N + 1);
      h.sim.resetCalls();
      const grown = record(await request(h.built.app).get('/v1/jobs'));
      expect(grown.body).toHaveLength(N + 1);
      expect((grown.body as Array<{ ID: string }>).map((j) => j.ID)).toContain(`sim-dtle-000${N + 1}`);
      expect(requestCalls(h)).toEqual(['GET /v1/jobs']);

      // deleted straight in Nomad (purged): gone from the next list and from the cache
      const del = await fetch(`${h.sim.url}/v1/job/sim-dtle-00001?purge=true`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      const shrunk = record(await request(h.built.app).get('/v1/jobs'));
      expect((shrunk.body as Array<{ ID: string }>).map((j) => j.ID)).not.toContain('sim-dtle-00001');
      await until(() => h.built.services.jobReads.cache.size === N);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('never answers with a spec older than the list: an update lands between the watch and the request', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(3);
    record(await request(h.built.app).get('/v1/jobs'));
    // changed in Nomad; no watch runs, so the cache still holds the old spec
    const res = await fetch(`${h.sim.url}/v1/job/sim-dtle-00002`);
    const job = Job.parse(await res.json());
    job.TaskGroups[0]!.Tasks[0]!.Config.ChunkSize = 777;
    h.sim.registerJob(job);
    const list = record(await request(h.built.app).get('/v1/jobs'));
    const stub = (list.body as Array<{ ID: string; JobSummary: { Tasks: Array<{ Type: string; Config: { ChunkSize: unknown } }> } }>).find(
      (j) => j.ID === 'sim-dtle-00002',
    );
    expect(stub?.JobSummary.Tasks.find((t) => t.Type === 'Src')?.Config.ChunkSize).toBe(777);
  });

  it('keeps list answers per view of the current index only: a poll after a change drops the older answers', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(3);
    const first = record(await request(h.built.app).get('/v1/jobs'));
    const pretty = record(await request(h.built.app).get('/v1/jobs?pretty'));
    expect(h.built.services.jobReads.listMemoSize).toBe(2);
    h.sim.resetCalls();
    const again = record(await request(h.built.app).get('/v1/jobs'));
    expect(again.text).toBe(first.text);
    expect(requestCalls(h).filter((c) => c.startsWith('GET /v1/job/'))).toEqual([]);
    await touch(h, 'sim-dtle-00002', 'x');
    const changed = record(await request(h.built.app).get('/v1/jobs'));
    expect(changed.text).not.toBe(first.text);
    expect(Number(changed.headers['x-udup-index'])).toBeGreaterThan(Number(first.headers['x-udup-index']));
    // both answers at the old index are gone, the plain one at the new index is kept
    expect(h.built.services.jobReads.listMemoSize).toBe(1);
    expect(pretty.text).toContain('\n');
  });

  it('two cold lists at once read each job once', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(12);
    h.sim.faults.delayMs = 5;
    h.sim.resetCalls();
    const [a, b] = await Promise.all([request(h.built.app).get('/v1/jobs'), request(h.built.app).get('/v1/jobs?prefix=sim')]);
    expect(record(a).body).toHaveLength(12);
    expect(record(b).body).toHaveLength(12);
    expect(count(requestCalls(h), /^GET \/v1\/job\//)).toBe(12);
  });

  it('bounds the cold fan-out by fetch_concurrency', async () => {
    h = await startHarness({ fetch_concurrency: 4 });
    h.sim.seedDtleJobs(24);
    h.sim.faults.delayMs = 20;
    let inFlight = 0;
    let peak = 0;
    const nomad: NomadClient = h.nomad;
    const original = nomad.get.bind(nomad);
    nomad.get = (async (...args: Parameters<NomadClient['get']>) => {
      const reads = String(args[0]).startsWith('/v1/job/');
      if (reads) peak = Math.max(peak, ++inFlight);
      try {
        return await original(...args);
      } finally {
        if (reads) inFlight--;
      }
    }) as NomadClient['get'];
    const res = record(await request(h.built.app).get('/v1/jobs'));
    expect(res.body).toHaveLength(24);
    expect(peak).toBe(4);
  });

  it('GET /v1/allocations reads each job once when cold and not at all once the specs are cached', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(6, { withAllocs: true });
    h.sim.resetCalls();
    const cold = record(await request(h.built.app).get('/v1/allocations'));
    expect(cold.status).toBe(200);
    expect(cold.body).toHaveLength(12);
    expect(count(requestCalls(h), /^GET \/v1\/job\//)).toBe(6);
    h.sim.resetCalls();
    const warm = record(await request(h.built.app).get('/v1/allocations'));
    expect(warm.body).toEqual(cold.body);
    expect(requestCalls(h)).toEqual(['GET /v1/allocations']);
  });

  it('bounds memory: job_cache_max_entries caps the cache and evictions show in /metrics', async () => {
    h = await startHarness({ job_cache_max_entries: 10 });
    h.sim.seedDtleJobs(25);
    const res = record(await request(h.built.app).get('/v1/jobs'));
    expect(res.body).toHaveLength(25);
    expect(h.built.services.jobReads.cache.size).toBe(10);
    const metrics = await request(h.built.app).get('/metrics');
    expect(metrics.text).toMatch(/^dtle_compat_cache_evictions_total\{cache="jobs"\} 15$/m);
    expect(metrics.text).toMatch(/^dtle_compat_cache_entries\{cache="jobs"\} 10$/m);
  });

  it('leaves out a job that vanished between the list and its read, but fails the list when Nomad fails', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(5);
    const nomad: NomadClient = h.nomad;
    const original = nomad.get.bind(nomad);
    let mode: 'gone' | 'down' = 'gone';
    nomad.get = (async (...args: Parameters<NomadClient['get']>) => {
      if (args[0] === '/v1/job/sim-dtle-00004') {
        // what Nomad answers for a job purged a moment ago, or when it breaks
        if (mode === 'gone') throw new NomadError('http', 404, 'job not found', args[0]);
        throw new NomadError('http', 500, 'rpc error: leadership lost while committing log', args[0]);
      }
      return original(...args);
    }) as NomadClient['get'];
    const partial = record(await request(h.built.app).get('/v1/jobs'));
    expect(partial.status).toBe(200);
    expect((partial.body as Array<{ ID: string }>).map((j) => j.ID)).toEqual([
      'sim-dtle-00001',
      'sim-dtle-00002',
      'sim-dtle-00003',
      'sim-dtle-00005',
    ]);
    mode = 'down';
    const broken = await request(h.built.app).get('/v1/jobs');
    expect(broken.status).toBe(500);
    expect(broken.text).toBe('rpc error: leadership lost while committing log');
  });
});

describe('GET /v1/jobs under concurrent callers', () => {
  let h: Harness;
  afterEach(async () => {
    jest.restoreAllMocks();
    await h.close();
  });

  it('lists asked for at one Nomad index while its answer is being built share that build: one translation per job, not one per caller', async () => {
    const N = 12;
    const CALLERS = 8;
    h = await startHarness();
    h.sim.seedDtleJobs(N);
    await request(h.built.app).get('/v1/jobs').expect(200);
    await touch(h, 'sim-dtle-00005', 'moved');
    // every Nomad answer slow: each caller's list call lands while the changed job is still being read
    h.sim.faults.delayMs = 150;
    const stubs = jest.spyOn(jobTranslate, 'legacyListStub');
    const answers = await Promise.all(Array.from({ length: CALLERS }, () => request(h.built.app).get('/v1/jobs')));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).toBe(answers[0]?.text);
    }
    expect(JSON.parse(answers[0]?.text ?? '[]')).toHaveLength(N);
    expect(stubs).toHaveBeenCalledTimes(N);
  });
});

describe('JobReads, called as the routes call it', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('get: the unmasked 2.x job with the Nomad job; 404 job not found for a job that is not a dtle job', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(1);
    const read = await h.built.services.jobReads.get('sim-dtle-00001', {});
    expect(read.job.ID).toBe('sim-dtle-00001');
    expect(read.raw?.ID).toBe('sim-dtle-00001');
    expect(read.paused).toBeNull();
    expect(read.meta.index).toMatch(/^\d+$/);
    await expect(h.built.services.jobReads.get('nope', {})).rejects.toMatchObject({ status: 404, message: 'job not found' });
  });

  it('get passes a blocking query to Nomad only for the read it is asked for', async () => {
    h = await startHarness({}, { blockingMaxWaitMs: 50 });
    h.sim.seedDtleJobs(1);
    h.sim.resetCalls();
    const { meta } = await h.built.services.jobReads.get('sim-dtle-00001', {});
    await h.built.services.jobReads.get('sim-dtle-00001', {}, { index: meta.index ?? '0', wait: '20ms' });
    expect(h.sim.calls.filter((c) => c.path === '/v1/job/sim-dtle-00001').map((c) => /index=/.test(c.query))).toEqual([false, true]);
  });

  it('cachedView: the task layout and masked spec of a cached job, whatever its JobModifyIndex', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(1);
    expect(h.built.services.jobReads.cachedView('sim-dtle-00001', {})).toBeUndefined();
    await h.built.services.jobReads.list({});
    const view = h.built.services.jobReads.cachedView('sim-dtle-00001', {});
    expect([...(view?.view.groups ?? new Map()).entries()]).toEqual([
      ['src', 'Src'],
      ['dest', 'Dest'],
    ]);
    expect(JSON.stringify(view?.masked)).not.toContain(CANARY);
    expect(view?.masked).not.toHaveProperty('Status');
  });
});
