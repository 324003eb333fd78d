/**
 * 2.x blocking queries (?index=N&wait=…) through dtle-compat against a real Nomad agent: the
 * answer comes when a job changes, or when the wait is over, with X-Udup-Index.
 */
import request from 'supertest';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import { JobSpecCache } from '../../src/service/jobCache';
import { legacyJob, nomadAddr, nomadCall, record, startCompat, type Compat } from './helpers';

let c: Compat;
const app = () => c.built.app;
const IDS = ['e2e-block-1', 'e2e-block-2', 'e2e-block-0'];

beforeAll(async () => {
  c = startCompat(nomadAddr());
  // on a fresh agent the jobs table was never written and Nomad's index is 0, with which a
  // blocking query does not block: give it a job first
  expect(record(await request(c.built.app).post('/v1/jobs').send(legacyJob('e2e-block-0'))).status).toBe(200);
});
afterAll(async () => {
  for (const id of IDS) await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${id}?purge=true`);
  c.close();
});

async function listIndex(): Promise<number> {
  const res = record(await request(app()).get('/v1/jobs'));
  expect(res.status).toBe(200);
  const index = Number(res.headers['x-udup-index']);
  expect(index).toBeGreaterThan(0);
  return index;
}

describe('blocking queries', () => {
  it('GET /v1/jobs?index=N&wait=20s answers when a job is registered, with the new index and the job', async () => {
    const index = await listIndex();
    const started = Date.now();
    const pending = request(app()).get(`/v1/jobs?index=${index}&wait=20s`).then((r) => r);
    await new Promise((r) => setTimeout(r, 500));
    const reg = record(await request(app()).post('/v1/jobs').send(legacyJob(IDS[0] as string)));
    expect(reg.status).toBe(200);
    const res = record(await pending);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(15_000);
    const newIndex = Number(res.headers['x-udup-index']);
    expect(newIndex).toBeGreaterThan(index);
    expect(newIndex).toBeGreaterThanOrEqual((reg.body as { Index: number }).Index);
    expect((res.body as LegacyJobListStub[]).map((j) => j.ID)).toContain(IDS[0]);
  });

  it('GET /v1/jobs?index=N&wait=1s with nothing changing answers after the wait, with the same index', async () => {
    const index = await listIndex();
    const started = Date.now();
    const res = record(await request(app()).get(`/v1/jobs?index=${index}&wait=1s`));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(Number(res.headers['x-udup-index'])).toBe(index);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('GET /v1/job/{ID}?index=N&wait=20s answers when that job is updated', async () => {
    const first = record(await request(app()).get(`/v1/job/${IDS[0]}`));
    const index = Number(first.headers['x-udup-index']);
    const pending = request(app()).get(`/v1/job/${IDS[0]}?index=${index}&wait=20s`).then((r) => r);
    await new Promise((r) => setTimeout(r, 500));
    const job = first.body as LegacyJob;
    const changed = { ...job, Tasks: job.Tasks.map((t) => (t.Type === 'Src' ? { ...t, Config: { ...t.Config, ChunkSize: '3000' } } : t)) };
    const upd = record(await request(app()).put(`/v1/job/${IDS[0]}`).send(changed));
    expect(upd.status).toBe(200);
    const res = record(await pending);
    expect(res.status).toBe(200);
    expect(Number(res.headers['x-udup-index'])).toBeGreaterThan(index);
    expect((res.body as LegacyJob).Tasks.find((t) => t.Type === 'Src')?.Config.ChunkSize).toBe('3000');
  });

  it('bad blocking parameters are 400 as in 2.x', async () => {
    const a = await request(app()).get('/v1/jobs?index=x');
    expect([a.status, a.text]).toEqual([400, 'Invalid index']);
    const b = await request(app()).get('/v1/jobs?index=1&wait=soon');
    expect([b.status, b.text]).toEqual([400, 'Invalid wait time']);
  });

  it("the job-list watch keeps the spec cache warm from Nomad's blocking queries", async () => {
    const stop = c.built.services.jobReads.startWatch({ wait: '10s' });
    try {
      const reg = record(await request(app()).post('/v1/jobs').send(legacyJob(IDS[1] as string)));
      expect(reg.status).toBe(200);
      const key = JobSpecCache.key('/', IDS[1] as string);
      for (let i = 0; i < 100 && c.built.services.jobReads.cache.get(key, (reg.body as { Index: number }).Index) === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(c.built.services.jobReads.cache.get(key, (reg.body as { Index: number }).Index)?.jobModifyIndex).toBe((reg.body as { Index: number }).Index);
    } finally {
      stop();
    }
  });
});
