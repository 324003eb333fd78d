/**
 * Pause and resume (issue 9) against a real Nomad agent: the spec saved in a Nomad Variable, the
 * job stopped without purge, Nomad's forced garbage collection, resume with the real password,
 * concurrent resumes, delete while paused.
 */
import request from 'supertest';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import { CANARY, legacyJob, nomadAddr, nomadCall, record, startCompat, storedPasswords, waitFor, type Compat } from './helpers';

let c: Compat;
const app = () => c.built.app;
const created: string[] = [];

beforeAll(() => {
  c = startCompat(nomadAddr());
});
afterAll(async () => {
  for (const id of created) {
    await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${id}?purge=true`);
    await nomadCall(nomadAddr(), 'DELETE', `/v1/var/dtle-compat/paused/${id}`);
  }
  c.close();
});

async function create(id: string): Promise<void> {
  created.push(id);
  const res = record(await request(app()).post('/v1/jobs').send(JSON.stringify(legacyJob(id))));
  expect(res.status).toBe(200);
}

interface RawJob {
  Stop: boolean;
  Status: string;
  Version: number;
  JobModifyIndex: number;
}

async function raw(id: string): Promise<{ status: number; job: RawJob | null; json: unknown }> {
  const r = await nomadCall(nomadAddr(), 'GET', `/v1/job/${id}`);
  return { status: r.status, job: r.status === 200 ? (r.json as RawJob) : null, json: r.json };
}

/** the saved spec's variable as Nomad has it */
async function savedVar(id: string): Promise<{ status: number; items: Record<string, string> | null }> {
  const r = await nomadCall(nomadAddr(), 'GET', `/v1/var/dtle-compat/paused/${id}`);
  return { status: r.status, items: r.status === 200 ? (r.json as { Items: Record<string, string> }).Items : null };
}

async function legacyList(): Promise<LegacyJobListStub[]> {
  const res = record(await request(app()).get('/v1/jobs'));
  expect(res.status).toBe(200);
  return res.body as LegacyJobListStub[];
}

/**
 * PUT /v1/system/gc: Nomad collects stopped jobs at once. The GC runs as a core evaluation and
 * skips a job whose deregistration is still being evaluated, so it is asked again until the job
 * is gone.
 */
async function forceGc(id: string): Promise<void> {
  await waitFor(
    `Nomad to collect ${id}`,
    async () => {
      expect((await nomadCall(nomadAddr(), 'PUT', '/v1/system/gc')).status).toBe(200);
      for (let i = 0; i < 10; i++) {
        if ((await raw(id)).status === 404) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    },
    30_000,
  );
}

describe('pause', () => {
  it('saves the spec in a Nomad Variable, stops the job without purging it, and shows status "pause", masked', async () => {
    await create('e2e-p-1');
    const res = record(await request(app()).put('/v1/job/e2e-p-1/pause'));
    expect(res.status).toBe(200);
    const body = res.body as { Success: boolean; Index: number };
    expect(res.body).toEqual({ Success: true, Index: body.Index, LastContact: 0, KnownLeader: false });
    expect(res.headers['x-udup-index']).toBe(String(body.Index));
    const { job, json } = await raw('e2e-p-1');
    expect(job?.Stop).toBe(true);
    // Nomad marks the stopped job dead once the deregistration's evaluation has run
    expect(await waitFor('the stopped job dead', async () => ((await raw('e2e-p-1')).job?.Status === 'dead' ? true : undefined), 10_000)).toBe(true);
    // the stopped job keeps its spec, real passwords included
    expect(storedPasswords(json)).toEqual({ src: CANARY, dest: CANARY });
    const saved = await savedVar('e2e-p-1');
    expect(saved.status).toBe(200);
    expect(saved.items?.job_id).toBe('e2e-p-1');
    const spec = JSON.parse(saved.items?.job ?? '{}') as { ID: string; Stop: boolean };
    expect([spec.ID, spec.Stop]).toEqual(['e2e-p-1', false]);
    expect(storedPasswords(spec)).toEqual({ src: CANARY, dest: CANARY });
    const detail = record(await request(app()).get('/v1/job/e2e-p-1'));
    expect((detail.body as LegacyJob).Status).toBe('pause');
    expect(detail.text).not.toContain(CANARY);
    const listed = (await legacyList()).find((j) => j.ID === 'e2e-p-1');
    expect([listed?.Status, listed?.JobSummary.Status]).toEqual(['pause', 'pause']);
  });

  it('pausing a paused job changes nothing: Success false, Index 0', async () => {
    const before = (await raw('e2e-p-1')).job;
    const res = record(await request(app()).post('/v1/job/e2e-p-1/pause'));
    expect(res.body).toEqual({ Success: false, Index: 0, LastContact: 0, KnownLeader: false });
    expect((await raw('e2e-p-1')).job?.JobModifyIndex).toBe(before?.JobModifyIndex);
  });

  it('after Nomad garbage-collects the stopped job, it is still listed and readable as "pause", masked', async () => {
    await forceGc('e2e-p-1');
    const listed = (await legacyList()).find((j) => j.ID === 'e2e-p-1');
    expect(listed?.Status).toBe('pause');
    const res = record(await request(app()).get('/v1/job/e2e-p-1'));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARY);
    const job = res.body as LegacyJob;
    expect(job.Status).toBe('pause');
    expect(job.Tasks.map((t) => [t.Type, (t.Config.ConnectionConfig as { Password: string }).Password])).toEqual([
      ['Src', '*'],
      ['Dest', '*'],
    ]);
  });

  it('resume re-registers the saved spec with the real password (on Nomad) and deletes the variable', async () => {
    const res = record(await request(app()).get('/v1/job/e2e-p-1/resume'));
    expect(res.status).toBe(200);
    const body = res.body as { Success: boolean; Index: number };
    expect(body.Success).toBe(true);
    expect(res.headers['x-udup-index']).toBe(String(body.Index));
    const { job, json } = await raw('e2e-p-1');
    expect(job?.Stop).toBe(false);
    expect(job?.Status).toBe('pending');
    expect(storedPasswords(json)).toEqual({ src: CANARY, dest: CANARY });
    expect((await savedVar('e2e-p-1')).status).toBe(404);
    const detail = record(await request(app()).get('/v1/job/e2e-p-1'));
    expect((detail.body as LegacyJob).Status).toBe('pending');
    const again = record(await request(app()).put('/v1/job/e2e-p-1/resume'));
    expect(again.body).toEqual({ Success: false, Index: 0, LastContact: 0, KnownLeader: false });
  });
});

/** Two service instances resume the same job at once: both answer 200, exactly one with Success. */
async function resumeTwiceAtOnce(id: string): Promise<void> {
  const other = startCompat(nomadAddr());
  try {
    const [a, b] = await Promise.all([request(app()).put(`/v1/job/${id}/resume`), request(other.built.app).put(`/v1/job/${id}/resume`)]);
    record(a);
    record(b);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body, b.body].filter((x) => (x as { Success: boolean }).Success)).toHaveLength(1);
  } finally {
    other.close();
  }
}

describe('resume races and delete while paused', () => {
  it('two concurrent resumes (two service instances) register once', async () => {
    await create('e2e-p-race');
    record(await request(app()).put('/v1/job/e2e-p-race/pause'));
    const before = (await raw('e2e-p-race')).job;
    await resumeTwiceAtOnce('e2e-p-race');
    const after = (await raw('e2e-p-race')).job;
    expect(after?.Stop).toBe(false);
    expect(after?.Version).toBe((before?.Version ?? 0) + 1);
    expect((await savedVar('e2e-p-race')).status).toBe(404);
  });

  it('two concurrent resumes of a garbage-collected paused job register once', async () => {
    await create('e2e-p-race-gc');
    record(await request(app()).put('/v1/job/e2e-p-race-gc/pause'));
    await forceGc('e2e-p-race-gc');
    await resumeTwiceAtOnce('e2e-p-race-gc');
    const after = (await raw('e2e-p-race-gc')).job;
    expect([after?.Stop, after?.Version]).toEqual([false, 0]);
    expect((await savedVar('e2e-p-race-gc')).status).toBe(404);
  });

  it('delete while paused removes the stopped job and the variable', async () => {
    await create('e2e-p-del');
    record(await request(app()).put('/v1/job/e2e-p-del/pause'));
    const res = record(await request(app()).delete('/v1/job/e2e-p-del'));
    expect(res.status).toBe(200);
    expect((res.body as { Success: boolean }).Success).toBe(true);
    expect((await raw('e2e-p-del')).status).toBe(404);
    expect((await savedVar('e2e-p-del')).status).toBe(404);
    expect((await legacyList()).map((j) => j.ID)).not.toContain('e2e-p-del');
    expect((await request(app()).get('/v1/job/e2e-p-del')).status).toBe(404);
  });

  it('delete of a paused job Nomad already collected removes the variable', async () => {
    await create('e2e-p-del-gc');
    record(await request(app()).put('/v1/job/e2e-p-del-gc/pause'));
    await forceGc('e2e-p-del-gc');
    const res = record(await request(app()).delete('/v1/job/e2e-p-del-gc'));
    expect(res.status).toBe(200);
    expect((res.body as { Success: boolean }).Success).toBe(true);
    expect((await savedVar('e2e-p-del-gc')).status).toBe(404);
    expect((await legacyList()).map((j) => j.ID)).not.toContain('e2e-p-del-gc');
    const gone = await request(app()).get('/v1/job/e2e-p-del-gc');
    expect([gone.status, gone.text]).toEqual([404, 'job not found']);
  });
});
