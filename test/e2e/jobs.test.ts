/**
 * Legacy job routes through dtle-compat against a real Nomad agent: register a 2.x body, list and
 * read it back in the 2.x shape with masked passwords, the "*" update rule checked on Nomad itself,
 * delete, validate. The agent has no dtle driver: the jobs register and are never placed.
 */
import request from 'supertest';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import { withNatsAddr } from '../../src/translate/toLegacy';
import { freePort } from '../reliability/helpers';
import { CANARY, legacyJob, nomadAddr, nomadCall, record, startCompat, storedPasswords, type Compat } from './helpers';

let c: Compat;
const app = () => c.built.app;
const ID = 'e2e-job-1';

beforeAll(() => {
  c = startCompat(nomadAddr());
});
afterAll(async () => {
  await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${ID}?purge=true`);
  c.close();
});

/** seed 003's job as a 2.x answer shows it: every password "*" */
/** The posted job as a legacy client sees it: passwords "*", no NatsAddr while dtle has none (the job is never placed here). */
function maskedSeed(id: string): LegacyJob {
  const job = JSON.parse(JSON.stringify(legacyJob(id)).split(JSON.stringify(CANARY)).join('"*"')) as LegacyJob;
  return { ...job, Tasks: job.Tasks.map((t) => withNatsAddr(t, null)) };
}

const withoutIndexes = (j: LegacyJob) => ({ ...j, CreateIndex: 0, ModifyIndex: 0, JobModifyIndex: 0 });

describe('a legacy job on a real Nomad', () => {
  let registeredIndex = 0;

  it('POST /v1/jobs registers seed 003\'s 2.x body (form-encoded, as curl -d sends it) and answers 2.x\'s JobResponse', async () => {
    const res = record(
      await request(app()).post('/v1/jobs').set('Content-Type', 'application/x-www-form-urlencoded').send(JSON.stringify(legacyJob(ID))),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const body = res.body as { Success: boolean; Index: number; LastContact: number; KnownLeader: boolean };
    expect(Object.keys(body).sort()).toEqual(['Index', 'KnownLeader', 'LastContact', 'Success']);
    expect(body).toEqual({ Success: true, Index: body.Index, LastContact: 0, KnownLeader: false });
    expect(Number.isInteger(body.Index) && body.Index > 0).toBe(true);
    expect(res.headers['x-udup-index']).toBe(String(body.Index));
    registeredIndex = body.Index;
  });

  it('Nomad holds a service job with groups src and dest, driver dtle, the real passwords, and the node pin as a constraint', async () => {
    const { status, json } = await nomadCall(nomadAddr(), 'GET', `/v1/job/${ID}`);
    expect(status).toBe(200);
    const job = json as { Type: string; Priority: number; JobModifyIndex: number; TaskGroups: Array<{ Name: string; Constraints: unknown; Tasks: Array<{ Name: string; Driver: string; Config: Record<string, unknown> }> }> };
    expect(job.Type).toBe('service');
    expect(job.Priority).toBe(50);
    expect(job.JobModifyIndex).toBe(registeredIndex);
    expect(job.TaskGroups.map((g) => [g.Name, g.Tasks.map((t) => [t.Name, t.Driver])])).toEqual([
      ['src', [['src', 'dtle']]],
      ['dest', [['dest', 'dtle']]],
    ]);
    expect(storedPasswords(job)).toEqual({ src: CANARY, dest: CANARY });
    expect(job.TaskGroups[0]?.Constraints).toEqual([{ LTarget: '${node.unique.name}', RTarget: 'dtle', Operand: '=' }]);
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ DestType: 'mysql' });
  });

  it('GET /v1/job/{ID} answers exactly what was posted, in the 2.x shape, passwords "*"', async () => {
    const res = record(await request(app()).get(`/v1/job/${ID}`));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARY);
    const job = res.body as LegacyJob;
    // never placed (no node has the dtle driver): Nomad's status stays pending
    expect(withoutIndexes(job)).toEqual(withoutIndexes({ ...maskedSeed(ID), Status: 'pending' }));
    expect(job.JobModifyIndex).toBe(registeredIndex);
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
    expect(res.headers['x-udup-knownleader']).toBe('true');
    expect(res.headers['x-udup-lastcontact']).toBe('0');
  });

  it('GET /v1/jobs lists it as a 2.x stub whose JobSummary is the masked job', async () => {
    const res = record(await request(app()).get('/v1/jobs'));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(CANARY);
    const stub = (res.body as LegacyJobListStub[]).find((s) => s.ID === ID);
    expect(stub).toEqual({
      ID,
      Name: ID,
      Type: 'synchronous',
      Status: 'pending',
      StatusDescription: '',
      JobSummary: { ...maskedSeed(ID), Status: 'pending', CreateIndex: stub?.CreateIndex, ModifyIndex: stub?.ModifyIndex, JobModifyIndex: registeredIndex },
      CreateIndex: stub?.CreateIndex,
      ModifyIndex: stub?.ModifyIndex,
      JobModifyIndex: registeredIndex,
    });
    expect(Number(res.headers['x-udup-index'])).toBeGreaterThanOrEqual(registeredIndex);
    // ?prefix narrows it as 2.x did
    const none = record(await request(app()).get('/v1/jobs?prefix=e2e-nothing-'));
    expect(none.body).toEqual([]);
    const some = record(await request(app()).get(`/v1/jobs?prefix=${ID}`));
    expect((some.body as LegacyJobListStub[]).map((s) => s.ID)).toEqual([ID]);
  });

  it('an unplaced dtle job has no allocations, and evaluations that say why', async () => {
    const allocs = record(await request(app()).get(`/v1/job/${ID}/allocations`));
    expect(allocs.status).toBe(200);
    expect(allocs.body).toEqual([]);
    const all = record(await request(app()).get('/v1/allocations'));
    expect((all.body as Array<{ JobID: string }>).filter((a) => a.JobID === ID)).toEqual([]);
    const evals = record(await request(app()).get(`/v1/job/${ID}/evaluations`));
    expect(evals.status).toBe(200);
    const list = evals.body as Array<{ JobID: string; Status: string; TriggeredBy: string; Type: string }>;
    expect(list.length).toBeGreaterThanOrEqual(1);
    for (const e of list) expect(e.JobID).toBe(ID);
    expect(list.map((e) => e.TriggeredBy)).toContain('job-register');
  });

  it('PUT /v1/job/{ID} with "*" as password keeps the stored real password (checked on Nomad)', async () => {
    const current = record(await request(app()).get(`/v1/job/${ID}`)).body as LegacyJob;
    const changed: LegacyJob = {
      ...current,
      Tasks: current.Tasks.map((t) => (t.Type === 'Src' ? { ...t, Config: { ...t.Config, ChunkSize: '4000' } } : t)),
    };
    expect(JSON.stringify(changed)).toContain('"Password":"*"');
    const res = record(await request(app()).put(`/v1/job/${ID}`).send(changed));
    expect(res.status).toBe(200);
    const index = (res.body as { Index: number }).Index;
    expect(index).toBeGreaterThan(registeredIndex);
    const { json } = await nomadCall(nomadAddr(), 'GET', `/v1/job/${ID}`);
    const job = json as { JobModifyIndex: number; Version: number; TaskGroups: Array<{ Tasks: Array<{ Config: Record<string, unknown> }> }> };
    expect(storedPasswords(job)).toEqual({ src: CANARY, dest: CANARY });
    expect(job.TaskGroups[0]?.Tasks[0]?.Config.ChunkSize).toBe(4000);
    expect(job.JobModifyIndex).toBe(index);
    expect(job.Version).toBe(1);
    const after = record(await request(app()).get(`/v1/job/${ID}`)).body as LegacyJob;
    expect(after.Tasks.find((t) => t.Type === 'Src')?.Config.ChunkSize).toBe('4000');
  });

  it('PUT /v1/job/{ID} with a new password stores the new one', async () => {
    const body = legacyJob(ID, 'e2e-new-password');
    const res = record(await request(app()).put(`/v1/job/${ID}`).send(body));
    expect(res.status).toBe(200);
    const { json } = await nomadCall(nomadAddr(), 'GET', `/v1/job/${ID}`);
    expect(storedPasswords(json)).toEqual({ src: 'e2e-new-password', dest: 'e2e-new-password' });
    const shown = record(await request(app()).get(`/v1/job/${ID}`));
    expect(shown.text).not.toContain('e2e-new-password');
  });

  it('DELETE /v1/job/{ID} purges the Nomad job; then the job is 404 job not found, and a second DELETE Success as in 2.x', async () => {
    const res = record(await request(app()).delete(`/v1/job/${ID}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ Success: true, LastContact: 0, KnownLeader: false });
    expect(res.headers['x-udup-index']).toBe(String((res.body as { Index: number }).Index));
    expect((await nomadCall(nomadAddr(), 'GET', `/v1/job/${ID}`)).status).toBe(404);
    const gone = await request(app()).get(`/v1/job/${ID}`);
    expect([gone.status, gone.text]).toEqual([404, 'job not found']);
    const again = await request(app()).delete(`/v1/job/${ID}`);
    expect([again.status, (again.body as { Success: boolean }).Success]).toEqual([200, true]);
    const listed = record(await request(app()).get('/v1/jobs'));
    expect((listed.body as LegacyJobListStub[]).map((s) => s.ID)).not.toContain(ID);
  });
});

describe("POST /v1/validate/job: 2.x's checks and MySQL pre-flight (no Nomad write)", () => {
  it("{}: 2.x's 500 text", async () => {
    const res = record(await request(app()).post('/v1/validate/job').send({}));
    expect([res.status, res.text]).toEqual([500, '1 error occurred:\n\t* Missing job tasks\n\n']);
  });

  it("a 2.x body whose MySQL is a closed loopback port: each task's Connection error; nothing registered", async () => {
    const port = await freePort();
    const body = JSON.parse(JSON.stringify(legacyJob('e2e-validate')).replace(/"Host":"[^"]*"/g, '"Host":"127.0.0.1"').replace(/"Port":"?\d+"?/g, `"Port":${port}`)) as unknown;
    const res = record(await request(app()).post('/v1/validate/job').send(body as object));
    expect(res.status).toBe(200);
    const answer = res.body as { DriverConfigValidated: boolean; Error: string; ValidationTasks: Array<{ Type: string; Connection: { Error: string } }> };
    expect([answer.DriverConfigValidated, answer.Error]).toEqual([true, '']);
    expect(answer.ValidationTasks.map((t) => [t.Type, t.Connection.Error])).toEqual([
      ['Src', `dial tcp 127.0.0.1:${port}: connect: connection refused`],
      ['Dest', `dial tcp 127.0.0.1:${port}: connect: connection refused`],
    ]);
    expect((await nomadCall(nomadAddr(), 'GET', '/v1/job/e2e-validate')).status).toBe(404);
  });
});
