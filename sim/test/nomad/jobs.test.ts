import { dtleCapture, dtleJob, startSim, type SimClient } from './helpers';

interface Stub {
  ID: string;
  Status: string;
  Stop: boolean;
  JobModifyIndex: number;
  JobSummary: { Summary: Record<string, Record<string, number>> };
}
interface JobJson {
  ID: string;
  Name: string;
  Namespace: string;
  Region: string;
  Type: string;
  Priority: number;
  Status: string;
  Stop: boolean;
  Version: number;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  Datacenters: string[];
  NodePool: string;
  Update: Record<string, unknown>;
  TaskGroups: Array<{
    Name: string;
    Count: number;
    Update: Record<string, unknown> | null;
    RestartPolicy: Record<string, unknown>;
    ReschedulePolicy: Record<string, unknown> | null;
    Migrate: Record<string, unknown> | null;
    EphemeralDisk: Record<string, unknown>;
    Tasks: Array<{ Name: string; Driver: string; Config: Record<string, unknown> | null; Resources: Record<string, unknown>; KillTimeout: number; LogConfig: Record<string, unknown>; Identity: Record<string, unknown> }>;
  }>;
}
interface AllocStubJson {
  ID: string;
  TaskGroup: string;
  NodeName: string;
  ClientStatus: string;
  DesiredStatus: string;
  DesiredDescription: string;
  JobVersion: number;
  ModifyIndex: number;
  TaskStates: Record<string, { State: string; StartedAt: string | null; FinishedAt: string | null; Events: Array<{ Type: string; DisplayMessage: string; DriverMessage: string; Details: Record<string, string> | null }> }> | null;
}
interface EvalJson {
  ID: string;
  Status: string;
  TriggeredBy: string;
  Type: string;
  JobModifyIndex: number;
  BlockedEval?: string;
  PreviousEval?: string;
  FailedTGAllocs?: Record<string, { NodesEvaluated: number; NodesFiltered: number; ConstraintFiltered: Record<string, number> | null; CoalescedFailures: number }>;
  QueuedAllocations?: Record<string, number>;
  ClassEligibility?: Record<string, boolean> | null;
  EscapedComputedClass?: boolean;
}

let c: SimClient;
beforeAll(async () => {
  c = await startSim();
});
afterAll(() => c.close());

describe('register → list → read → deregister → purge', () => {
  it('walks a job through its life', async () => {
    const reg = await c.send('PUT', '/v1/jobs', { Job: dtleJob('life-1') });
    expect(reg.status).toBe(200);
    expect(reg.headers.get('content-type')).toBe('application/json');
    const r = reg.json as { EvalID: string; EvalCreateIndex: number; JobModifyIndex: number; Index: number; Warnings: string; KnownLeader: boolean; LastContact: number };
    expect(r.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.Index).toBe(r.JobModifyIndex);
    expect(r.EvalCreateIndex).toBe(r.JobModifyIndex);
    expect(reg.headers.get('x-nomad-index')).toBe(String(r.Index));
    expect(reg.headers.get('x-nomad-knownleader')).toBeNull();

    const list = await c.get('/v1/jobs');
    expect(list.headers.get('x-nomad-knownleader')).toBe('true');
    expect(list.headers.get('x-nomad-lastcontact')).toBe('0');
    const stub = (list.json as Stub[]).find((s) => s.ID === 'life-1');
    expect(stub?.Status).toBe('running');
    expect(stub?.JobSummary.Summary.src).toEqual({ Queued: 0, Complete: 0, Failed: 0, Running: 1, Starting: 0, Lost: 0, Unknown: 0 });

    const job = (await c.get('/v1/job/life-1')).json as JobJson;
    expect(job).toMatchObject({ ID: 'life-1', Namespace: 'default', Region: 'global', Type: 'service', Priority: 50, Status: 'running', Stop: false, Version: 0, JobModifyIndex: r.JobModifyIndex, CreateIndex: r.JobModifyIndex, NodePool: 'default' });
    expect(job.ModifyIndex).toBeGreaterThan(job.JobModifyIndex);
    expect(job.SubmitTime).toBeGreaterThan(1.6e18);

    const allocs = (await c.get('/v1/job/life-1/allocations')).json as AllocStubJson[];
    expect(allocs.map((a) => [a.TaskGroup, a.ClientStatus, a.DesiredStatus, a.NodeName]).sort()).toEqual([
      ['dest', 'running', 'run', 'nomad0'],
      ['src', 'running', 'run', 'nomad0'],
    ]);
    const evals = (await c.get('/v1/job/life-1/evaluations')).json as EvalJson[];
    expect(evals).toHaveLength(1);
    expect(evals[0]).toMatchObject({ ID: r.EvalID, Status: 'complete', TriggeredBy: 'job-register', Type: 'service', JobModifyIndex: r.JobModifyIndex, QueuedAllocations: { src: 0, dest: 0 } });

    // stop: a new version with Stop, allocations stopped, job dead, still readable
    const del = await c.send('DELETE', '/v1/job/life-1');
    expect(del.status).toBe(200);
    const d = del.json as Record<string, unknown>;
    expect(Object.keys(d).sort()).toEqual(['EvalCreateIndex', 'EvalID', 'Index', 'JobModifyIndex', 'KnownLeader', 'LastContact', 'NextToken', 'VolumeEvalID', 'VolumeEvalIndex']);
    const stopped = (await c.get('/v1/job/life-1')).json as JobJson;
    expect(stopped).toMatchObject({ Stop: true, Status: 'dead', Version: 1, JobModifyIndex: d.JobModifyIndex });
    const after = (await c.get('/v1/job/life-1/allocations')).json as AllocStubJson[];
    expect(after.every((a) => a.DesiredStatus === 'stop' && a.ClientStatus === 'complete')).toBe(true);
    expect(after[0]?.DesiredDescription).toBe('alloc not needed due to job update');
    const state = after[0]?.TaskStates?.[after[0].TaskGroup];
    expect(state?.State).toBe('dead');
    expect(state?.FinishedAt).toMatch(/Z$/);
    expect(state?.Events.map((e) => e.Type).slice(-3)).toEqual(['Killing', 'Terminated', 'Killed']);
    const stopEval = ((await c.get('/v1/job/life-1/evaluations')).json as EvalJson[]).find((e) => e.ID === d.EvalID);
    expect(stopEval).toMatchObject({ TriggeredBy: 'job-deregister', Status: 'complete' });
    const summary = (await c.get('/v1/job/life-1/summary')).json as { Summary: Record<string, Record<string, number>> };
    expect(summary.Summary.src).toMatchObject({ Running: 0, Complete: 1 });

    // purge: gone with its allocations
    const purge = await c.send('DELETE', '/v1/job/life-1?purge=true');
    expect(purge.status).toBe(200);
    expect((await c.get('/v1/job/life-1')).status).toBe(404);
    expect((await c.get('/v1/job/life-1/allocations')).json).toEqual([]);
    expect(((await c.get('/v1/jobs')).json as Stub[]).map((s) => s.ID)).not.toContain('life-1');
    expect((await c.get(`/v1/allocation/${after[0]?.ID ?? ''}`)).status).toBe(404);
  });

  it('fills the defaults Nomad fills for a job that gives almost nothing', async () => {
    await c.send('POST', '/v1/jobs', { Job: { ID: 'bare', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] } });
    const job = (await c.get('/v1/job/bare')).json as JobJson;
    expect(job).toMatchObject({ Name: 'bare', Type: 'service', Priority: 50, Datacenters: ['*'], Namespace: 'default', Region: 'global' });
    expect(job.Update).toEqual({ Stagger: 30e9, MaxParallel: 1, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 });
    const tg = job.TaskGroups[0];
    expect(tg?.Count).toBe(1);
    expect(tg?.Update).toMatchObject({ HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9, ProgressDeadline: 600e9 });
    expect(tg?.RestartPolicy).toEqual({ Attempts: 2, Interval: 1800e9, Delay: 15e9, Mode: 'fail', RenderTemplates: false });
    expect(tg?.ReschedulePolicy).toEqual({ Attempts: 0, Interval: 0, Delay: 30e9, DelayFunction: 'exponential', MaxDelay: 3600e9, Unlimited: true });
    expect(tg?.Migrate).toEqual({ MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9 });
    expect(tg?.EphemeralDisk).toEqual({ Sticky: false, SizeMB: 300, Migrate: false });
    const t = tg?.Tasks[0];
    expect(t?.Config).toBeNull();
    expect(t?.Resources).toMatchObject({ CPU: 100, MemoryMB: 300, Cores: 0, DiskMB: 0 });
    expect(t?.KillTimeout).toBe(5e9);
    expect(t?.LogConfig).toEqual({ MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false });
    expect(t?.Identity).toMatchObject({ Name: 'default', Audience: ['nomad.io'] });
  });

  it('gives batch jobs the batch policies and no update strategy', async () => {
    await c.send('PUT', '/v1/jobs', { Job: { ID: 'batch-1', Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] } });
    const job = (await c.get('/v1/job/batch-1')).json as JobJson;
    expect(job.Update.MaxParallel).toBe(0);
    expect(job.TaskGroups[0]?.Update).toBeNull();
    expect(job.TaskGroups[0]?.Migrate).toBeNull();
    expect(job.TaskGroups[0]?.RestartPolicy).toMatchObject({ Attempts: 3, Interval: 86400e9 });
    expect(job.TaskGroups[0]?.ReschedulePolicy).toMatchObject({ Attempts: 1, DelayFunction: 'constant' });
  });

  it('bumps the version on a changed spec (stopping the old allocations) and only evaluates an unchanged one', async () => {
    const first = (await c.send('PUT', '/v1/jobs', { Job: dtleJob('upd') })).json as { JobModifyIndex: number };
    const oldAllocs = (await c.get('/v1/job/upd/allocations')).json as AllocStubJson[];
    const same = (await c.send('PUT', '/v1/jobs', { Job: dtleJob('upd') })).json as { JobModifyIndex: number; EvalID: string; Index: number };
    const job1 = (await c.get('/v1/job/upd')).json as JobJson;
    expect(job1.Version).toBe(0);
    expect(job1.JobModifyIndex).toBe(first.JobModifyIndex);
    expect(same.JobModifyIndex).toBe(job1.ModifyIndex);
    expect(((await c.get('/v1/job/upd/evaluations')).json as EvalJson[]).map((e) => e.ID)).toContain(same.EvalID);
    expect(((await c.get('/v1/job/upd/allocations')).json as AllocStubJson[]).map((a) => a.ID).sort()).toEqual(oldAllocs.map((a) => a.ID).sort());

    const changed = dtleJob('upd', { Priority: 70 });
    const second = (await c.send('POST', '/v1/job/upd', { Job: changed })).json as { JobModifyIndex: number };
    expect(second.JobModifyIndex).toBeGreaterThan(first.JobModifyIndex);
    const job2 = (await c.get('/v1/job/upd')).json as JobJson;
    expect(job2).toMatchObject({ Version: 1, Priority: 70, Status: 'running' });
    const allocs = (await c.get('/v1/job/upd/allocations')).json as AllocStubJson[];
    expect(allocs).toHaveLength(4);
    const old = allocs.filter((a) => oldAllocs.some((o) => o.ID === a.ID));
    expect(old.every((a) => a.DesiredStatus === 'stop' && a.DesiredDescription === 'alloc is being updated due to job update' && a.JobVersion === 0)).toBe(true);
    expect(allocs.filter((a) => a.DesiredStatus === 'run').every((a) => a.JobVersion === 1 && a.ClientStatus === 'running')).toBe(true);
  });

  it('checks EnforceIndex as Nomad does', async () => {
    const fresh = await c.send('PUT', '/v1/jobs', { Job: dtleJob('cas-1'), EnforceIndex: true, JobModifyIndex: 0 });
    expect(fresh.status).toBe(200);
    const jmi = (fresh.json as { JobModifyIndex: number }).JobModifyIndex;
    const again = await c.send('PUT', '/v1/jobs', { Job: dtleJob('cas-1'), EnforceIndex: true, JobModifyIndex: 0 });
    expect([again.status, again.text]).toEqual([500, 'Enforcing job modify index 0: job already exists']);
    const wrong = await c.send('PUT', '/v1/jobs', { Job: dtleJob('cas-1', { Priority: 60 }), EnforceIndex: true, JobModifyIndex: jmi + 100 });
    expect([wrong.status, wrong.text]).toEqual([500, `Enforcing job modify index ${jmi + 100}: job exists with conflicting job modify index: ${jmi}`]);
    const missing = await c.send('PUT', '/v1/jobs', { Job: dtleJob('cas-none'), EnforceIndex: true, JobModifyIndex: 7 });
    expect([missing.status, missing.text]).toEqual([500, 'Enforcing job modify index 7: job does not exist']);
    const right = await c.send('PUT', '/v1/jobs', { Job: dtleJob('cas-1', { Priority: 60 }), EnforceIndex: true, JobModifyIndex: jmi });
    expect(right.status).toBe(200);
  });

  it('answers DELETE of an unknown job with an empty JobDeregisterResponse, as Nomad does', async () => {
    const res = await c.send('DELETE', '/v1/job/never-was');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 0, Index: 0 });
    expect(res.headers.get('x-nomad-index')).toBe('0');
  });

  it('lists with ?prefix and ?meta=true, sorted by ID', async () => {
    for (const id of ['pfx-b', 'pfx-a', 'pfx-c']) await c.send('PUT', '/v1/jobs', { Job: dtleJob(id) });
    const list = (await c.get('/v1/jobs?prefix=pfx-')).json as Array<Stub & { Meta?: unknown }>;
    expect(list.map((s) => s.ID)).toEqual(['pfx-a', 'pfx-b', 'pfx-c']);
    expect(list[0]).not.toHaveProperty('Meta');
    const withMeta = (await c.get('/v1/jobs?prefix=pfx-a&meta=true')).json as Array<{ Meta?: Record<string, string> }>;
    expect(withMeta[0]?.Meta).toEqual({ dtle_compat_job: '{"Type":"synchronous"}' });
    expect((await c.get('/v1/jobs?namespace=other')).json).toEqual([]);
    expect(((await c.get('/v1/jobs?namespace=*&prefix=pfx-')).json as Stub[]).length).toBe(3);
  });
});

describe('errors as Nomad writes them', () => {
  it.each([
    ['/v1/job/nope', 'job not found'],
    ['/v1/job/nope/summary', 'job not found'],
    ['/v1/job/nope/versions', 'job versions not found'],
    ['/v1/allocation/00000000-0000-0000-0000-000000000000', 'alloc not found'],
    ['/v1/evaluation/00000000-0000-0000-0000-000000000000', 'eval not found'],
    ['/v1/node/00000000-0000-0000-0000-000000000000', 'node not found'],
    ['/v1/var/no/such', 'variable not found'],
    ['/v1/allocation/a/b/c', 'resource not found'],
    ['/v1/client/allocation/00000000-0000-0000-0000-000000000000/stats', 'Unknown allocation "00000000-0000-0000-0000-000000000000"'],
  ])('GET %s → 404 %s', async (p, text) => {
    const res = await c.get(p);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe(text);
  });

  // Nomad 1.11.3's answers, seen by the real-Nomad tier: exact lookups go through a UUID index
  const x36 = 'x'.repeat(36);
  it.each([
    ['/v1/allocation/nope', 'alloc lookup failed: index error: UUID must be 36 characters'],
    ['/v1/allocation/bd5ef5ba', 'alloc lookup failed: index error: UUID must be 36 characters'],
    [`/v1/allocation/${x36}`, "alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte: U+0078 'x'"],
    ['/v1/client/allocation/x/stats', 'alloc lookup failed: index error: UUID must be 36 characters'],
    ['/v1/evaluation/nope', 'failed to lookup eval: eval lookup failed: index error: UUID must be 36 characters'],
    [`/v1/evaluation/${x36}/allocations`, "index error: Invalid UUID: encoding/hex: invalid byte: U+0078 'x'"],
    ['/v1/node/nope', 'node lookup failed: index error: UUID must be 36 characters'],
    ['/v1/deployment/nope', 'deployment lookup failed: index error: UUID must be 36 characters'],
  ])('GET %s (not a UUID) → 500 %s', async (p, text) => {
    const res = await c.get(p);
    expect([res.status, res.headers.get('content-type'), res.text]).toEqual([500, 'text/plain; charset=utf-8', text]);
  });

  // list prefixes go through the same index (captured from a Nomad 1.11.3 dev agent)
  it.each([
    ['/v1/allocations?prefix=abc', 'alloc lookup failed: index error: Input (without hyphens) must be even length'],
    ['/v1/allocations?prefix=zz', "alloc lookup failed: index error: Invalid UUID: encoding/hex: invalid byte: U+007A 'z'"],
    ['/v1/evaluations?prefix=abc', 'eval lookup failed: index error: Input (without hyphens) must be even length'],
    ['/v1/nodes?prefix=abc', 'node lookup failed: index error: Input (without hyphens) must be even length'],
    ['/v1/nodes?prefix=zz', "node lookup failed: index error: Invalid UUID: encoding/hex: invalid byte: U+007A 'z'"],
    ['/v1/deployments?prefix=abc', 'index error: Input (without hyphens) must be even length'],
  ])('GET %s (cannot start a UUID) → 500 %s', async (p, text) => {
    const res = await c.get(p);
    expect([res.status, res.text]).toEqual([500, text]);
  });

  it('an even hex prefix filters, and a job prefix is free text', async () => {
    expect((await c.get('/v1/allocations?prefix=ab')).status).toBe(200);
    expect((await c.get('/v1/nodes?prefix=ab')).status).toBe(200);
    expect((await c.get('/v1/jobs?prefix=abc')).status).toBe(200);
  });

  it('a node that does not exist has no allocations, even with an ID that is not a UUID', async () => {
    expect((await c.get('/v1/node/nope/allocations')).json).toEqual([]);
  });

  it('answers empty lists, not 404, for the allocations and evaluations of an unknown job', async () => {
    expect((await c.get('/v1/job/nope/allocations')).json).toEqual([]);
    expect((await c.get('/v1/job/nope/evaluations')).json).toEqual([]);
  });

  it('answers an unknown path with a bare 404', async () => {
    const res = await c.get('/v1/nothing-here');
    expect([res.status, res.text]).toEqual([404, '']);
  });

  it.each([
    ['DELETE', '/v1/jobs'],
    ['POST', '/v1/allocations'],
    ['PUT', '/v1/job/x/allocations'],
    ['PATCH', '/v1/job/x'],
    ['POST', '/v1/nodes'],
    ['GET', '/v1/validate/job'],
    ['POST', '/v1/status/leader'],
  ])('%s %s → 405 Invalid method', async (method, p) => {
    const res = await c.send(method, p);
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
  });

  it.each([
    ['not JSON', '{"Job": ', 'unexpected EOF'],
    ['garbage', '{"Job": x}', "invalid character 'x' looking for beginning of value"],
    ['an empty body', '', 'Request body is empty'],
    ['no Job', '{}', 'Job must be specified'],
    ['no ID', '{"Job": {"Name": "x"}}', "Job ID hasn't been provided"],
    ['a string priority', '{"Job": {"ID": "x", "Priority": "high"}}', 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int'],
    ['a number as driver', '{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": 5}]}]}}', 'json: cannot unmarshal number into Go struct field Task.Job.TaskGroups.Tasks.Driver of type string'],
    ['a list as body', '[1]', 'json: cannot unmarshal array into Go value of type api.JobRegisterRequest'],
  ])('refuses %s with 400', async (_name, body, text) => {
    const res = await c.send('PUT', '/v1/jobs', body);
    expect([res.status, res.text]).toEqual([400, text]);
  });

  it('matches the job field names case-insensitively, as Go does', async () => {
    const res = await c.send('PUT', '/v1/jobs', { job: { id: 'lower-case', taskgroups: [{ name: 'g', tasks: [{ name: 't', driver: 'raw_exec' }] }] } });
    expect(res.status).toBe(200);
    expect(((await c.get('/v1/job/lower-case')).json as JobJson).TaskGroups[0]?.Tasks[0]?.Driver).toBe('raw_exec');
  });

  it('refuses a path ID that differs from the body', async () => {
    const res = await c.send('PUT', '/v1/job/other', { Job: dtleJob('mine') });
    expect([res.status, res.text]).toEqual([400, 'Job ID does not match name']);
  });

  it('refuses an invalid job with the multierror text (500, as the RPC error)', async () => {
    const res = await c.send('PUT', '/v1/jobs', { Job: { ID: 'bad job' } });
    expect(res.status).toBe(500);
    expect(res.text).toBe('2 errors occurred:\n\t* Job ID contains a space\n\t* Missing job task groups\n\n');
    const nested = await c.send('PUT', '/v1/jobs', { Job: { ID: 'bad2', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }] } });
    expect(nested.text).toBe('1 error occurred:\n\t* Task group g validation failed: 1 error occurred:\n\t* Task t validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n\n\n');
    expect((await c.get('/v1/job/bad2')).status).toBe(404);
  });
});

describe('POST /v1/validate/job', () => {
  it('accepts a good job without registering it', async () => {
    const res = await c.send('POST', '/v1/validate/job', { Job: dtleJob('val-ok') });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ DriverConfigValidated: true, ValidationErrors: null, Error: '', Warnings: '' });
    expect((await c.get('/v1/job/val-ok')).status).toBe(404);
  });

  it('lists what is wrong: no groups, duplicate groups, tasks without driver', async () => {
    const none = (await c.send('PUT', '/v1/validate/job', { Job: { ID: 'v1', Name: 'v1' } })).json as { ValidationErrors: string[]; Error: string };
    expect(none.ValidationErrors).toEqual(['Missing job task groups']);
    expect(none.Error).toBe('1 error occurred:\n\t* Missing job task groups\n\n');
    const bad = (await c.send('PUT', '/v1/validate/job', {
      Job: { ID: 'v2', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't' }] }, { Name: 'g', Tasks: [{ Name: 't', Driver: 'dtle' }] }] },
    })).json as { ValidationErrors: string[] };
    expect(bad.ValidationErrors[0]).toBe("Job task group 2 redefines 'g' from group 1");
    expect(bad.ValidationErrors[1]).toMatch(/^Task group g validation failed: .*Missing task driver/s);
    const noId = (await c.send('PUT', '/v1/validate/job', { Job: { TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'x' }] }] } })).json as { ValidationErrors: string[] };
    expect(noId.ValidationErrors).toEqual(['Missing job ID', 'Missing job name']);
    expect((await c.send('PUT', '/v1/validate/job', {})).text).toBe('Job must be specified');
  });
});

describe('job IDs in paths', () => {
  it('reads an encoded "/" as part of one ID', async () => {
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('team/sync') });
    const job = await c.get('/v1/job/team%2Fsync');
    expect((job.json as JobJson).ID).toBe('team/sync');
    const allocs = (await c.get('/v1/job/team%2Fsync/allocations')).json as AllocStubJson[];
    expect(allocs).toHaveLength(2);
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('x/allocations') });
    expect(((await c.get('/v1/job/x%2Fallocations')).json as JobJson).ID).toBe('x/allocations');
    const traversal = await c.get('/v1/job/..%2F..%2Fv1%2Fstatus%2Fleader');
    expect([traversal.status, traversal.text]).toEqual([404, 'job not found']);
    expect(c.sim.calls[c.sim.calls.length - 1]).toEqual({ method: 'GET', path: '/v1/job/..%2F..%2Fv1%2Fstatus%2Fleader', query: '' });
    await c.send('DELETE', '/v1/job/team%2Fsync?purge=true');
    expect((await c.get('/v1/job/team%2Fsync')).status).toBe(404);
  });

  it('decodes other escapes too', async () => {
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('ünï-cødé') });
    expect((await c.get(`/v1/job/${encodeURIComponent('ünï-cødé')}`)).status).toBe(200);
  });
});

describe('dtle allocations', () => {
  it('carry Received, Task Setup, Started; the dest task (the applier) reports job_stage_full, the src task no stage', async () => {
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('stage-1') });
    const allocs = (await c.get('/v1/job/stage-1/allocations')).json as AllocStubJson[];
    expect(allocs.map((a) => a.TaskGroup).sort()).toEqual(['dest', 'src']);
    for (const a of allocs) {
      const st = a.TaskStates?.[a.TaskGroup];
      expect(st?.State).toBe('running');
      expect(st?.StartedAt).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(st?.Events.map((e) => [e.Type, e.DisplayMessage])).toEqual([
        ['Received', 'Task received by client'],
        ['Task Setup', 'Building Task Directory'],
        ['Started', 'Task started by client'],
        ...(a.TaskGroup === 'dest' ? [['Driver', 'job_stage_full']] : []),
      ]);
      if (a.TaskGroup === 'dest') expect(st?.Events[3]).toMatchObject({ DriverMessage: 'job_stage_full', Details: null });
    }
    const detail = (await c.get(`/v1/allocation/${allocs[0]?.ID ?? ''}`)).json as { Job: JobJson; TaskStates: Record<string, unknown>; ClientDescription: string; DeploymentStatus: { Healthy: boolean } };
    expect(detail.Job.ID).toBe('stage-1');
    expect(detail.ClientDescription).toBe('Tasks are running');
    expect(detail.DeploymentStatus.Healthy).toBe(true);
  });

  it('append job_stage_incr when the driver reports it (setTaskStage)', async () => {
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('stage-2') });
    const before = (await c.get('/v1/job/stage-2/allocations')).json as AllocStubJson[];
    c.sim.setTaskStage('stage-2', 'dest', 'job_stage_incr');
    const after = (await c.get('/v1/job/stage-2/allocations')).json as AllocStubJson[];
    const src = after.find((a) => a.TaskGroup === 'src');
    const dest = after.find((a) => a.TaskGroup === 'dest');
    expect(dest?.TaskStates?.dest?.Events.map((e) => e.DriverMessage).filter((m) => m !== '')).toEqual(['job_stage_full', 'job_stage_incr']);
    expect(src?.TaskStates?.src?.Events.map((e) => e.DriverMessage).filter((m) => m !== '')).toEqual([]);
    expect(dest?.ModifyIndex).toBeGreaterThan(before.find((a) => a.TaskGroup === 'dest')?.ModifyIndex ?? 0);
    expect(() => c.sim.setTaskStage('no-such-job', 'src', 'job_stage_incr')).toThrow(/no job/);
  });

  it('give per-task resource usage from the client stats endpoint: the dtle driver\'s, all zero, as the real one answers', async () => {
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('stats-1') });
    const a = ((await c.get('/v1/job/stats-1/allocations')).json as AllocStubJson[]).find((x) => x.TaskGroup === 'src');
    const res = await c.get(`/v1/client/allocation/${a?.ID ?? ''}/stats`);
    expect(res.status).toBe(200);
    const real = dtleCapture('4.23.04.3', 'client-allocation-stats.json');
    // the same text but the timestamps
    const ts = /"Timestamp":(\d{19})\}/.exec(res.text)?.[1] ?? '';
    expect(res.text.replace(new RegExp(ts, 'g'), 'T')).toBe(real.replace(/\d{19}/g, 'T'));
    expect(Number(ts) / 1e6).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('placement', () => {
  it('leaves a dtle job unplaced when no node has the dtle driver: blocked evaluation, queued, pending', async () => {
    const n = await startSim({ nodes: [{ name: 'plain', dtleVersion: null }] });
    try {
      const reg = (await n.send('PUT', '/v1/jobs', { Job: dtleJob('nowhere') })).json as { EvalID: string };
      const job = (await n.get('/v1/job/nowhere')).json as JobJson;
      expect(job.Status).toBe('pending');
      expect((await n.get('/v1/job/nowhere/allocations')).json).toEqual([]);
      const evals = (await n.get('/v1/job/nowhere/evaluations')).json as EvalJson[];
      const first = evals.find((e) => e.ID === reg.EvalID);
      expect(first?.Status).toBe('complete');
      expect(first?.QueuedAllocations).toEqual({ src: 1, dest: 1 });
      // as Nomad 1.11.3 answers (test/e2e): a node without a NodeClass counts in no ClassFiltered
      expect(first?.FailedTGAllocs?.src).toMatchObject({ NodesEvaluated: 1, NodesFiltered: 1, ConstraintFiltered: { 'missing drivers': 1 }, ClassFiltered: null, CoalescedFailures: 0 });
      const blocked = evals.find((e) => e.ID === first?.BlockedEval);
      expect(blocked).toMatchObject({ Status: 'blocked', TriggeredBy: 'queued-allocs', PreviousEval: reg.EvalID });
      expect(blocked).not.toHaveProperty('EscapedComputedClass'); // omitted when false
      expect(Object.values(blocked?.ClassEligibility ?? {})).toEqual([false]);
      // a constraint on a unique node attribute escapes the computed classes: no class eligibility
      const pinned = dtleJob('nowhere-pinned');
      (pinned.TaskGroups as Array<Record<string, unknown>>)[0]!.Constraints = [{ LTarget: '${node.unique.name}', RTarget: 'plain', Operand: '=' }];
      const reg2 = (await n.send('PUT', '/v1/jobs', { Job: pinned })).json as { EvalID: string };
      const evals2 = (await n.get('/v1/job/nowhere-pinned/evaluations')).json as EvalJson[];
      const blocked2 = evals2.find((e) => e.ID === evals2.find((x) => x.ID === reg2.EvalID)?.BlockedEval);
      expect(blocked2).toMatchObject({ Status: 'blocked', EscapedComputedClass: true });
      expect(blocked2).not.toHaveProperty('ClassEligibility'); // omitted when empty
      const summary = (await n.get('/v1/job/nowhere/summary')).json as { Summary: Record<string, Record<string, number>> };
      expect(summary.Summary.src).toMatchObject({ Queued: 1, Running: 0 });
      // a raw_exec job still runs there
      await n.send('PUT', '/v1/jobs', { Job: { ID: 'raw', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'raw_exec' }] }] } });
      expect(((await n.get('/v1/job/raw')).json as JobJson).Status).toBe('running');
      const raw = ((await n.get('/v1/job/raw/allocations')).json as AllocStubJson[])[0];
      expect(raw?.TaskStates?.t?.Events.map((e) => e.Type)).toEqual(['Received', 'Task Setup', 'Started']);
      // stopping it cancels nothing still blocked elsewhere, and the job is dead
      await n.send('DELETE', '/v1/job/nowhere');
      expect(((await n.get('/v1/job/nowhere')).json as JobJson).Status).toBe('dead');
    } finally {
      await n.close();
    }
  });

  it('honours node constraints and affinities', async () => {
    const n = await startSim({ nodes: [{ name: 'a', address: '10.0.0.1' }, { name: 'b', address: '10.0.0.2' }, { name: 'old', dtleVersion: '3.21.07.0' }] });
    try {
      const pinned = dtleJob('pinned');
      (pinned.TaskGroups as Array<Record<string, unknown>>)[0]!.Constraints = [{ LTarget: '${node.unique.name}', RTarget: 'b', Operand: '=' }];
      (pinned.TaskGroups as Array<Record<string, unknown>>)[1]!.Affinities = [{ LTarget: '${node.unique.name}', RTarget: 'old', Operand: '=', Weight: 50 }];
      await n.send('PUT', '/v1/jobs', { Job: pinned });
      const allocs = (await n.get('/v1/job/pinned/allocations')).json as AllocStubJson[];
      expect(Object.fromEntries(allocs.map((a) => [a.TaskGroup, a.NodeName]))).toEqual({ src: 'b', dest: 'old' });
      const missing = dtleJob('pinned-missing');
      (missing.TaskGroups as Array<Record<string, unknown>>)[0]!.Constraints = [{ LTarget: '${node.unique.name}', RTarget: 'gone', Operand: '=' }];
      await n.send('PUT', '/v1/jobs', { Job: missing });
      const ev = ((await n.get('/v1/job/pinned-missing/evaluations')).json as EvalJson[]).find((e) => e.Status === 'complete');
      expect(ev?.FailedTGAllocs?.src?.ConstraintFiltered).toEqual({ '${node.unique.name} = gone': 3 });
      expect(ev?.FailedTGAllocs?.dest).toBeUndefined();
      const wrongDc = await n.send('PUT', '/v1/jobs', { Job: dtleJob('dc9', { Datacenters: ['dc9'] }) });
      expect(wrongDc.status).toBe(200);
      expect(((await n.get('/v1/job/dc9')).json as JobJson).Status).toBe('pending');
    } finally {
      await n.close();
    }
  });
});

describe('state helpers', () => {
  it('registerJob works as PUT /v1/jobs and takes {Job: …} too', async () => {
    const out = c.sim.registerJob(dtleJob('helper-1'));
    expect(out.EvalID).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await c.get('/v1/job/helper-1')).json as JobJson).JobModifyIndex).toBe(out.JobModifyIndex);
    c.sim.registerJob({ Job: dtleJob('helper-2') });
    expect((await c.get('/v1/job/helper-2')).status).toBe(200);
    expect(() => c.sim.registerJob({ ID: 'x' })).toThrow(/Missing job task groups/);
  });

  it('gcJob removes a stopped job and refuses a running one', async () => {
    c.sim.registerJob(dtleJob('gc-1'));
    expect(() => c.sim.gcJob('gc-1')).toThrow(/not stopped/);
    await c.send('DELETE', '/v1/job/gc-1');
    const allocs = (await c.get('/v1/job/gc-1/allocations')).json as AllocStubJson[];
    c.sim.gcJob('gc-1');
    expect((await c.get('/v1/job/gc-1')).status).toBe(404);
    expect((await c.get(`/v1/allocation/${allocs[0]?.ID ?? ''}`)).status).toBe(404);
    expect(() => c.sim.gcJob('gc-1')).toThrow(/no job/);
  });

  it('seedDtleJobs creates running dtle jobs, or registered-only ones', async () => {
    const n = await startSim();
    try {
      n.sim.seedDtleJobs(3);
      n.sim.seedDtleJobs(2, { withAllocs: false });
      const list = (await n.get('/v1/jobs')).json as Stub[];
      expect(list.map((s) => [s.ID, s.Status])).toEqual([
        ['sim-dtle-00001', 'running'],
        ['sim-dtle-00002', 'running'],
        ['sim-dtle-00003', 'running'],
        ['sim-dtle-00004', 'pending'],
        ['sim-dtle-00005', 'pending'],
      ]);
      const allocs = (await n.get('/v1/job/sim-dtle-00001/allocations')).json as AllocStubJson[];
      expect(allocs.map((a) => a.TaskGroup).sort()).toEqual(['dest', 'src']);
      expect((await n.get('/v1/job/sim-dtle-00004/allocations')).json).toEqual([]);
    } finally {
      await n.close();
    }
  });

  it('records every call with its raw path and query; resetCalls empties the list', async () => {
    c.sim.resetCalls();
    await c.get('/v1/jobs?prefix=a%2Fb&namespace=default');
    await c.send('DELETE', '/v1/job/x?purge=true');
    expect(c.sim.calls).toEqual([
      { method: 'GET', path: '/v1/jobs', query: 'prefix=a%2Fb&namespace=default' },
      { method: 'DELETE', path: '/v1/job/x', query: 'purge=true' },
    ]);
    c.sim.resetCalls();
    expect(c.sim.calls).toEqual([]);
  });
});

describe('GET /v1/jobs after a bulk seed', () => {
  it('lists the seeded jobs, answers the same text while nothing changes, and shows the next change', async () => {
    const n = await startSim();
    try {
      n.sim.seedDtleJobs(30);
      const first = await n.get('/v1/jobs');
      const ids = (first.json as Array<{ ID: string }>).map((j) => j.ID);
      expect(ids).toHaveLength(30);
      expect([ids[0], ids[29]]).toEqual(['sim-dtle-00001', 'sim-dtle-00030']);
      expect((await n.get('/v1/jobs')).text).toBe(first.text);

      const del = await n.send('DELETE', '/v1/job/sim-dtle-00001');
      const after = await n.get('/v1/jobs?prefix=sim-dtle-0000');
      expect(Number(after.headers.get('x-nomad-index'))).toBeGreaterThanOrEqual(Number(del.headers.get('x-nomad-index')));
      expect((after.json as Array<{ ID: string; Status: string; Stop: boolean }>)[0]).toMatchObject({ ID: 'sim-dtle-00001', Status: 'dead', Stop: true });
      expect((await n.get('/v1/jobs')).text).not.toBe(first.text);
    } finally {
      await n.close();
    }
  });
});
