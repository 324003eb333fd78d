import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { LegacyJob } from '../../src/legacy/types';
import { withNatsAddr } from '../../src/translate/toLegacy';
import { CANARY, record, startHarness, type Harness } from '../support/harness';

const seedJob = JSON.parse(
  readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8'),
) as LegacyJob;

/** seed 003's job with the canary as every password */
function canaryJob(over: Partial<LegacyJob> = {}): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ...over };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const app = () => h.built.app;

async function post(body: unknown, url = '/v1/jobs') {
  return record(await request(app()).post(url).set('Content-Type', 'application/x-www-form-urlencoded').send(JSON.stringify(body)));
}

describe('POST /v1/jobs', () => {
  it('registers the seed 003 job (curl -d form encoding) and answers 2.x JobResponse', async () => {
    const res = await post(canaryJob());
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(Object.keys(res.body as object).sort()).toEqual(['Index', 'KnownLeader', 'LastContact', 'Success']);
    expect(res.body).toMatchObject({ Success: true, LastContact: 0, KnownLeader: false });
    expect(typeof (res.body as { Index: unknown }).Index).toBe('number');
    expect(res.headers['x-udup-index']).toBe(String((res.body as { Index: number }).Index));
  });

  it('accepts {"Job": …} as the 2.x Go client sends it', async () => {
    const res = await post({ Job: canaryJob({ ID: 'wrapped-1', Name: 'wrapped-1' }) });
    expect(res.status).toBe(200);
    const got = record(await request(app()).get('/v1/job/wrapped-1'));
    expect(got.status).toBe(200);
    expect((got.body as LegacyJob).ID).toBe('wrapped-1');
  });

  it('writes a Nomad job with src/dest groups, driver dtle and the dialect of the nodes (4.23 → src-only)', async () => {
    await post(canaryJob({ ID: 'dialect-1', Name: 'dialect-1' }));
    const { data } = await h.nomad.get('/v1/job/dialect-1', (await import('../../src/nomad/types')).Job);
    expect(data.TaskGroups.map((g) => [g.Name, g.Tasks.map((t) => t.Driver)])).toEqual([
      ['src', ['dtle']],
      ['dest', ['dtle']],
    ]);
    expect(Object.keys(data.TaskGroups[0]?.Tasks[0]?.Config ?? {})).toEqual(expect.arrayContaining(['SrcConnectionConfig', 'DestConnectionConfig']));
    expect(data.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ DestType: 'mysql' });
  });

  it.each([
    ['not JSON', '{"Name": ', 400, /^unexpected EOF$/],
    ['no Name', JSON.stringify({ Tasks: [] }), 400, /^Job Name hasn't been provided$/],
    ['no tasks', JSON.stringify({ Name: 'x' }), 400, /^Tasks: a job needs a Src and a Dest task$/],
    ['a wrong JSON type', JSON.stringify({ Name: 'x', Tasks: 'many' }), 400, /^json: cannot unmarshal string into Go struct field Job\.Tasks of type \[\]\*api\.Task$/],
    ['an array', '[1,2]', 400, /^json: cannot unmarshal array into Go value of type api\.Job$/],
    ['a masked password for a new job', JSON.stringify({ ...canaryJob({ ID: 'new-masked', Name: 'new-masked' }), Tasks: canaryJob().Tasks.map((t) => ({ ...t, Config: { ...t.Config, ConnectionConfig: { ...(t.Config.ConnectionConfig as object), Password: '*' } } })) }), 400, /Password: "\*" is a masked password/],
  ])('refuses %s with 400, registering nothing', async (_name, body, status, message) => {
    const before = h.sim.calls.filter((c) => c.method !== 'GET').length;
    const res = record(await request(app()).post('/v1/jobs').send(body).set('Content-Type', 'application/json'));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(message);
    expect(h.sim.calls.filter((c) => c.method !== 'GET').length).toBe(before);
  });

  it('refuses an oversized body with 413', async () => {
    const res = await request(app())
      .post('/v1/jobs')
      .send('{"Name":"' + 'x'.repeat(5 * 1024 * 1024) + '"}');
    expect(res.status).toBe(413);
  });

  it('answers 405 Invalid method for other methods', async () => {
    const res = await request(app()).delete('/v1/jobs');
    expect(res.status).toBe(405);
    expect(res.text).toBe('Invalid method');
  });
});

describe('GET /v1/job/{ID} and GET /v1/jobs', () => {
  beforeAll(async () => {
    await post(canaryJob());
  });

  it("round-trips: GET returns what was posted, passwords masked (2.x's NatsAddr only once dtle has one)", async () => {
    const res = record(await request(app()).get(`/v1/job/${seedJob.ID}`));
    expect(res.status).toBe(200);
    const job = res.body as LegacyJob;
    const masked = JSON.parse(JSON.stringify(seedJob).split('"111111"').join('"*"')) as LegacyJob;
    const expected = { ...masked, Tasks: masked.Tasks.map((t) => withNatsAddr(t, null)) };
    expect({ ...job, CreateIndex: 0, ModifyIndex: 0, JobModifyIndex: 0, Status: '' }).toEqual({
      ...expected,
      CreateIndex: 0,
      ModifyIndex: 0,
      JobModifyIndex: 0,
      Status: '',
    });
    expect(['pending', 'running']).toContain(job.Status);
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
    expect(res.headers['x-udup-knownleader']).toBe('true');
  });

  it('lists dtle jobs as 2.x stubs with the job as JobSummary, masked', async () => {
    const res = record(await request(app()).get('/v1/jobs'));
    expect(res.status).toBe(200);
    const list = res.body as Array<{ ID: string; JobSummary: LegacyJob; Type: string }>;
    const stub = list.find((s) => s.ID === seedJob.ID);
    expect(stub).toBeDefined();
    expect(Object.keys(stub as object).sort()).toEqual(
      ['CreateIndex', 'ID', 'JobModifyIndex', 'JobSummary', 'ModifyIndex', 'Name', 'Status', 'StatusDescription', 'Type'],
    );
    expect(stub?.Type).toBe('synchronous');
    expect(stub?.JobSummary.Tasks.map((t) => (t.Config.ConnectionConfig as { Password: string }).Password)).toEqual(['*', '*']);
    expect(res.text).not.toContain(CANARY);
  });

  it('honours ?prefix', async () => {
    await post(canaryJob({ ID: 'prefix-a1', Name: 'prefix-a1' }));
    const res = record(await request(app()).get('/v1/jobs?prefix=prefix-a'));
    expect((res.body as Array<{ ID: string }>).map((j) => j.ID)).toEqual(['prefix-a1']);
  });

  it('leaves out jobs that are not dtle jobs', async () => {
    await h.nomad.put('/v1/jobs', { Job: { ID: 'web', Name: 'web', Datacenters: ['dc1'], TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'nginx', Driver: 'docker', Config: {} }] }] } }, (await import('zod')).z.unknown());
    const res = record(await request(app()).get('/v1/jobs'));
    expect((res.body as Array<{ ID: string }>).map((j) => j.ID)).not.toContain('web');
    const one = await request(app()).get('/v1/job/web');
    expect(one.status).toBe(404);
    expect(one.text).toBe('job not found');
  });

  it('answers 404 "job not found" for an unknown job', async () => {
    const res = await request(app()).get('/v1/job/nope');
    expect(res.status).toBe(404);
    expect(res.text).toBe('job not found');
  });

  it('reads IDs with encoded slashes as one ID and never reaches another endpoint', async () => {
    const res = await request(app()).get('/v1/job/..%2F..%2Fv1%2Fstatus%2Fleader');
    expect(res.status).toBe(404);
    const paths = h.sim.calls.map((c) => c.path);
    expect(paths).toContain('/v1/job/..%2F..%2Fv1%2Fstatus%2Fleader');
    expect(paths).not.toContain('/v1/status/leader');
  });

  it('answers 400 for a bad index or wait, as 2.x', async () => {
    expect((await request(app()).get('/v1/jobs?index=abc')).text).toBe('Invalid index');
    expect((await request(app()).get('/v1/jobs?wait=forever')).text).toBe('Invalid wait time');
  });

  it('indents with ?pretty', async () => {
    const res = record(await request(app()).get(`/v1/job/${seedJob.ID}?pretty`));
    expect(res.text.startsWith('{\n    "Region": "global"')).toBe(true);
  });

  it('serves a blocking query: GET with index returns when a job changes', async () => {
    const first = await request(app()).get('/v1/jobs');
    const index = first.headers['x-udup-index'] as string;
    const started = Date.now();
    const blocked = request(app()).get(`/v1/jobs?index=${index}&wait=5s`);
    setTimeout(() => {
      void post(canaryJob({ ID: 'wakes-up', Name: 'wakes-up' }));
    }, 200);
    const res = record(await blocked);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(Number(res.headers['x-udup-index'])).toBeGreaterThan(Number(index));
    expect((res.body as Array<{ ID: string }>).map((j) => j.ID)).toContain('wakes-up');
  });
});

describe('updates', () => {
  it('keeps the stored password when a tool GETs, edits and POSTs back "*"', async () => {
    await post(canaryJob({ ID: 'upd-1', Name: 'upd-1' }));
    const got = record(await request(app()).get('/v1/job/upd-1')).body as LegacyJob;
    const edited = { ...got, Tasks: got.Tasks.map((t) => (t.Type === 'Src' ? { ...t, Config: { ...t.Config, ChunkSize: '4000' } } : t)) };
    const res = await post(edited, '/v1/job/upd-1');
    expect(res.status).toBe(200);
    const { data } = await h.nomad.get('/v1/job/upd-1', (await import('../../src/nomad/types')).Job);
    const src = data.TaskGroups[0]?.Tasks[0]?.Config as Record<string, Record<string, unknown>>;
    expect(src.SrcConnectionConfig?.Password).toBe(CANARY);
    expect(src.DestConnectionConfig?.Password).toBe(CANARY);
    expect(src.ChunkSize).toBe(4000);
    const after = record(await request(app()).get('/v1/job/upd-1')).body as LegacyJob;
    expect(after.Tasks[0]?.Config.ChunkSize).toBe('4000');
  });

});

describe('DELETE /v1/job/{ID}', () => {
  it('purges the job and answers 2.x JobResponse', async () => {
    await post(canaryJob({ ID: 'del-1', Name: 'del-1' }));
    const res = await request(app()).delete('/v1/job/del-1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ Success: true });
    expect(h.sim.calls.some((c) => c.method === 'DELETE' && c.path === '/v1/job/del-1' && /purge=true/.test(c.query))).toBe(true);
    expect((await request(app()).get('/v1/job/del-1')).status).toBe(404);
  });
});

