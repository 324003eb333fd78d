import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import { CANARY, record, startHarness, type Harness } from '../support/harness';

const seedJob = JSON.parse(
  readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8'),
) as LegacyJob;

/** seed 003's job under another ID, the canary as every password */
function canaryJob(id: string): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ID: id, Name: id };
}

interface RawJob {
  Stop: boolean;
  Status: string;
  JobModifyIndex: number;
  Version: number;
  TaskGroups: Array<{ Name: string; Tasks: Array<{ Config: { SrcConnectionConfig?: { Password: string } } }> }>;
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ pause_mechanism: 'emulate' });
});
afterEach(async () => {
  await h.close();
});

const app = () => h.built.app;

async function create(id: string): Promise<void> {
  const res = record(await request(app()).post('/v1/jobs').send(JSON.stringify(canaryJob(id))));
  expect(res.status).toBe(200);
}

async function raw(id: string): Promise<{ status: number; job: RawJob | null }> {
  const res = await fetch(`${h.sim.url}/v1/job/${encodeURIComponent(id)}`);
  return { status: res.status, job: res.status === 200 ? ((await res.json()) as RawJob) : null };
}

async function savedVar(id: string): Promise<number> {
  return (await fetch(`${h.sim.url}/v1/var/dtle-compat/paused/${id}`)).status;
}

async function legacyList(): Promise<LegacyJobListStub[]> {
  const res = record(await request(app()).get('/v1/jobs'));
  expect(res.status).toBe(200);
  return res.body as LegacyJobListStub[];
}

async function legacyStatus(id: string): Promise<string | undefined> {
  const detail = record(await request(app()).get(`/v1/job/${id}`));
  const listed = (await legacyList()).find((j) => j.ID === id);
  expect(listed?.Status).toBe((detail.body as LegacyJob).Status);
  return listed?.Status;
}

const writes = () => h.sim.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);

describe('pause', () => {
  it('saves the full spec in a Nomad Variable, stops the job without purging, and shows status "pause"', async () => {
    await create('p-1');
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/p-1/pause'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object).sort()).toEqual(['Index', 'KnownLeader', 'LastContact', 'Success']);
    expect(res.body).toMatchObject({ Success: true, LastContact: 0, KnownLeader: false });
    expect(res.headers['x-udup-index']).toBe(String((res.body as { Index: number }).Index));
    // the spec is saved first, then the job is stopped (never purged)
    expect(writes()).toEqual(['PUT /v1/var/dtle-compat/paused/p-1', 'DELETE /v1/job/p-1']);
    expect(h.sim.calls.find((c) => c.method === 'DELETE')?.query).not.toMatch(/purge/);
    expect((await raw('p-1')).job?.Stop).toBe(true);
    expect(await savedVar('p-1')).toBe(200);
    expect(await legacyStatus('p-1')).toBe('pause');
  });

  it('answers for any method, as 2.x did', async () => {
    await create('p-any');
    const res = record(await request(app()).get('/v1/job/p-any/pause'));
    expect(res.status).toBe(200);
    expect((res.body as { Success: boolean }).Success).toBe(true);
  });

  it('pausing a paused job changes nothing and answers Success false, Index 0', async () => {
    await create('p-2');
    record(await request(app()).post('/v1/job/p-2/pause'));
    h.sim.resetCalls();
    const again = record(await request(app()).post('/v1/job/p-2/pause'));
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ Success: false, Index: 0, LastContact: 0, KnownLeader: false });
    expect(writes()).toEqual([]);
  });

  it('a paused job stays listed and readable after Nomad garbage-collects it, masked', async () => {
    await create('p-gc');
    record(await request(app()).put('/v1/job/p-gc/pause'));
    h.sim.gcJob('p-gc');
    expect((await raw('p-gc')).status).toBe(404);
    const listed = (await legacyList()).find((j) => j.ID === 'p-gc');
    expect(listed?.Status).toBe('pause');
    const detail = record(await request(app()).get('/v1/job/p-gc'));
    expect(detail.status).toBe(200);
    const job = detail.body as LegacyJob;
    expect(job.Status).toBe('pause');
    expect(job.Tasks.map((t) => t.Type).sort()).toEqual(['Dest', 'Src']);
    expect(JSON.stringify(job)).not.toContain(CANARY);
    expect((job.Tasks.find((t) => t.Type === 'Src')?.Config as { ConnectionConfig?: { Password?: string } }).ConnectionConfig?.Password).toBe('*');
  });

  it('an unknown job is 500 job not found (2.x) and changes nothing', async () => {
    h.sim.resetCalls();
    const res = await request(app()).put('/v1/job/nope/pause');
    expect(res.status).toBe(500);
    expect(res.text).toBe('job not found');
    expect(writes()).toEqual([]);
  });
});

describe('resume', () => {
  it('re-registers the saved spec with the real password, then deletes the saved copy', async () => {
    await create('r-1');
    record(await request(app()).put('/v1/job/r-1/pause'));
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/r-1/resume'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ Success: true, LastContact: 0, KnownLeader: false });
    // the saved spec is claimed (check-and-set on its variable), the job registered, the spec deleted
    expect(writes()).toEqual(['PUT /v1/var/dtle-compat/paused/r-1', 'PUT /v1/jobs', 'DELETE /v1/var/dtle-compat/paused/r-1']);
    const claim = h.sim.calls.find((c) => c.method === 'PUT' && c.path === '/v1/var/dtle-compat/paused/r-1');
    expect(claim?.query).toMatch(/^cas=\d+$/);
    const { job } = await raw('r-1');
    expect(job?.Stop).toBe(false);
    expect(job?.TaskGroups[0]?.Tasks[0]?.Config.SrcConnectionConfig?.Password).toBe(CANARY);
    expect(await savedVar('r-1')).toBe(404);
    expect(await legacyStatus('r-1')).not.toBe('pause');
  });

  it('resumes a paused job that Nomad garbage-collected', async () => {
    await create('r-gc');
    record(await request(app()).put('/v1/job/r-gc/pause'));
    h.sim.gcJob('r-gc');
    const res = record(await request(app()).put('/v1/job/r-gc/resume'));
    expect(res.status).toBe(200);
    expect((res.body as { Success: boolean }).Success).toBe(true);
    const { job } = await raw('r-gc');
    expect(job?.Stop).toBe(false);
    expect(job?.TaskGroups[0]?.Tasks[0]?.Config.SrcConnectionConfig?.Password).toBe(CANARY);
    expect(await savedVar('r-gc')).toBe(404);
  });

  it('resuming a running job changes nothing and answers Success false, Index 0', async () => {
    await create('r-run');
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/r-run/resume'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ Success: false, Index: 0, LastContact: 0, KnownLeader: false });
    expect(writes()).toEqual([]);
  });

  it('two concurrent resumes register once', async () => {
    await create('r-race');
    record(await request(app()).put('/v1/job/r-race/pause'));
    const before = (await raw('r-race')).job;
    h.sim.resetCalls();
    // a second service instance in front of the same Nomad races the first
    const other = createApp({ config: h.config, nomad: new NomadClient(h.config), consul: h.consulClient, logger: createLogger({ level: 'error' }) });
    const [a, b] = await Promise.all([
      request(app()).put('/v1/job/r-race/resume'),
      request(other.app).put('/v1/job/r-race/resume'),
    ]);
    record(a);
    record(b);
    expect([a.status, b.status]).toEqual([200, 200]);
    const successes = [a.body, b.body].filter((x) => (x as { Success: boolean }).Success);
    expect(successes).toHaveLength(1);
    // both tried to claim the saved spec with check-and-set on its variable; only the winner registered
    const registered = h.sim.calls.filter((c) => c.method === 'PUT' && c.path === '/v1/jobs');
    expect(registered).toHaveLength(1);
    expect(h.sim.calls.filter((c) => c.method === 'PUT' && c.path === '/v1/var/dtle-compat/paused/r-race')).toHaveLength(2);
    const after = (await raw('r-race')).job;
    expect(after?.Stop).toBe(false);
    expect(after?.Version).toBe((before?.Version ?? 0) + 1);
    expect(await savedVar('r-race')).toBe(404);
  });
});

describe("a resume's claim on the saved spec", () => {
  async function setClaim(id: string, at: Date): Promise<void> {
    const url = `${h.sim.url}/v1/var/dtle-compat/paused/${id}`;
    const v = (await (await fetch(url)).json()) as { Items: Record<string, string> };
    const put = await fetch(url, { method: 'PUT', body: JSON.stringify({ Path: `dtle-compat/paused/${id}`, Items: { ...v.Items, resuming_at: at.toISOString() } }) });
    expect(put.status).toBe(200);
  }

  it('a claim younger than a minute is another resume at work: this one changes nothing', async () => {
    await create('r-claimed');
    record(await request(app()).put('/v1/job/r-claimed/pause'));
    await setClaim('r-claimed', new Date(Date.now() - 5_000));
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/r-claimed/resume'));
    expect([res.status, res.body]).toEqual([200, { Success: false, Index: 0, LastContact: 0, KnownLeader: false }]);
    expect(writes()).toEqual([]);
    expect((await raw('r-claimed')).job?.Stop).toBe(true);
  });

  it('an older claim was left by a resume that died: it is taken over', async () => {
    await create('r-stale');
    record(await request(app()).put('/v1/job/r-stale/pause'));
    await setClaim('r-stale', new Date(Date.now() - 120_000));
    const res = record(await request(app()).put('/v1/job/r-stale/resume'));
    expect((res.body as { Success: boolean }).Success).toBe(true);
    expect((await raw('r-stale')).job?.Stop).toBe(false);
    expect(await savedVar('r-stale')).toBe(404);
  });
});

describe('resume racing a resume of a garbage-collected paused job', () => {
  it('a resume that finds neither the job nor the saved spec (the other resume ran in between) reads the job again: 200, nothing changed', async () => {
    await create('r-race-gc');
    record(await request(app()).put('/v1/job/r-race-gc/pause'));
    h.sim.gcJob('r-race-gc');
    const other = createApp({ config: h.config, nomad: new NomadClient(h.config), consul: h.consulClient, logger: createLogger({ level: 'error' }) });
    // the other instance's whole resume runs right after this one's first read of the job (404)
    const get = h.nomad.get.bind(h.nomad);
    let raced = false;
    h.nomad.get = (async (p: string, schema: never, opts?: never) => {
      try {
        return await get(p, schema, opts);
      } catch (e) {
        if (!raced && p === '/v1/job/r-race-gc') {
          raced = true;
          const won = record(await request(other.app).put('/v1/job/r-race-gc/resume'));
          expect((won.body as { Success: boolean }).Success).toBe(true);
        }
        throw e;
      }
    }) as typeof h.nomad.get;
    const res = record(await request(app()).put('/v1/job/r-race-gc/resume'));
    expect(raced).toBe(true);
    expect([res.status, res.body]).toEqual([200, { Success: false, Index: 0, LastContact: 0, KnownLeader: false }]);
    const { job } = await raw('r-race-gc');
    expect([job?.Stop, job?.Version]).toEqual([false, 0]);
    expect(job?.TaskGroups[0]?.Tasks[0]?.Config.SrcConnectionConfig?.Password).toBe(CANARY);
    expect(await savedVar('r-race-gc')).toBe(404);
  });
});

describe('delete while paused', () => {
  it('removes the stopped job and the saved spec', async () => {
    await create('d-1');
    record(await request(app()).put('/v1/job/d-1/pause'));
    const res = record(await request(app()).delete('/v1/job/d-1'));
    expect(res.status).toBe(200);
    expect((res.body as { Success: boolean }).Success).toBe(true);
    expect((await raw('d-1')).status).toBe(404);
    expect(await savedVar('d-1')).toBe(404);
    expect((await legacyList()).map((j) => j.ID)).not.toContain('d-1');
    expect((await request(app()).get('/v1/job/d-1')).status).toBe(404);
  });

  it('removes the saved spec of a paused job Nomad already garbage-collected', async () => {
    await create('d-gc');
    record(await request(app()).put('/v1/job/d-gc/pause'));
    h.sim.gcJob('d-gc');
    h.sim.resetCalls();
    const res = record(await request(app()).delete('/v1/job/d-gc'));
    expect(res.status).toBe(200);
    expect(writes()).toEqual(['DELETE /v1/var/dtle-compat/paused/d-gc']);
    expect(await savedVar('d-gc')).toBe(404);
    expect((await legacyList()).map((j) => j.ID)).not.toContain('d-gc');
  });
});
