/**
 * The simulator's answers against real Nomad answers (seed 000, captured from Nomad 1.2): the same
 * keys with the same JSON types, key by key and level by level. The simulator follows Nomad 1.11.3
 * (nomad/structs), so the fields Nomad added or dropped since 1.2 are listed below, each checked
 * against the v1.11.3 source; any other difference fails.
 */
import { diffShapes, dtleJob, seedAnswer, shapeOf, startSim, type SimClient } from './helpers';

/** Fields of nomad/structs v1.11.3 that Nomad 1.2 did not have (a diff path ends with one of these). */
const ADDED_SINCE_1_2 = [
  'NextToken', // QueryMeta (register / deregister responses)
  'NodePool', // Job, JobListStub (1.6 node pools)
  'UI', // Job (1.8)
  'VersionTag', // Job (1.9)
  'RestartPolicy.RenderTemplates', // RestartPolicy (1.6)
  'LogConfig.Disabled', // LogConfig (1.7)
  'Resources.NUMA', // Resources (1.7)
  'Resources.SecretsMB', // Resources (1.10)
  'Tasks[].Secrets', // Task (1.10)
  'Tasks[].Consul', // Task (1.7)
  'Tasks[].Identity', // Task (1.5 workload identity, always set by Task.Canonicalize)
  'Tasks[].Identities', // Task (1.7)
  'Tasks[].Actions', // Task (1.7)
  'Tasks[].Schedule', // Task (1.9 enterprise task schedules)
  'TaskGroups[].Disconnect', // TaskGroup (1.8)
  'TaskGroups[].MaxClientDisconnect', // TaskGroup (1.3)
  'TaskGroups[].PreventRescheduleOnLost', // TaskGroup (1.8)
  'DesiredTransition.NoShutdownDelay', // DesiredTransition (1.3)
  'DesiredTransition.MigrateDisablePlacement', // DesiredTransition (1.10)
  'TaskStates{}.Paused', // TaskState (1.9)
  'NextAllocation', // AllocListStub (1.3)
  'Summary{}.Unknown', // TaskGroupSummary (1.3 disconnected clients)
  'Metrics.NodesInPool', // AllocMetric (1.6)
  'Metrics.NodePool', // AllocMetric (1.6)
  'NetworkStatus.AddressIPv6', // AllocNetworkStatus (1.9)
  'SigningKeyID', // Allocation: the key that signs its workload identities (1.5)
  'PlanAnnotations', // Evaluation: the reconciler's counts kept on completed evaluations (1.11)
  'SharedResources.NUMA',
  'SharedResources.SecretsMB',
  'TaskResources{}.NUMA',
  'TaskResources{}.SecretsMB',
];

/** Fields Nomad 1.2 had and v1.11.3 no longer has. */
const REMOVED_SINCE_1_2 = [
  'ConsulToken', // Job: removed with the legacy Consul token workflow (1.9/1.10)
  'VaultToken', // Job: removed with the legacy Vault token workflow (1.10)
  'TaskStates{}.TaskHandle', // TaskState: commented out in nomad/structs
];

const DEPLOYMENT_ADDED = ['EvalPriority', 'CreateTime', 'ModifyTime']; // Deployment (1.3, 1.6)

function unexpected(fixture: string, sim: unknown, extraAdded: string[] = []): string[] {
  const diffs = diffShapes(shapeOf(seedAnswer(fixture)), shapeOf(sim));
  const ends = (path: string, p: string) => path === p || path.endsWith('.' + p) || path.endsWith(']' + p) || path.endsWith('[].' + p);
  return diffs
    .filter((d) => {
      if (d.problem === 'only in the simulator') return ![...ADDED_SINCE_1_2, ...extraAdded].some((p) => ends(d.path, p));
      if (d.problem === 'missing in the simulator') return !REMOVED_SINCE_1_2.some((p) => ends(d.path, p));
      return true;
    })
    .map((d) => `${d.path}: ${d.problem}`);
}

let c: SimClient;
let allocId = '';
let registerAnswer: unknown;

beforeAll(async () => {
  c = await startSim();
  const reg = await c.send('PUT', '/v1/jobs', { Job: dtleJob('shape-job') });
  registerAnswer = reg.json;
  const allocs = (await c.get('/v1/job/shape-job/allocations')).json as Array<{ ID: string; TaskGroup: string }>;
  allocId = allocs.find((a) => a.TaskGroup === 'src')?.ID ?? '';
});
afterAll(() => c.close());

describe('shapes against seed 000 (Nomad 1.2 answers), modulo the documented 1.2 → 1.11 changes', () => {
  it('PUT /v1/jobs: JobRegisterResponse', () => {
    expect(unexpected('job-register-response.json', registerAnswer)).toEqual([]);
  });

  it('GET /v1/job/{id}: the canonicalised job', async () => {
    expect(unexpected('job-detail.json', (await c.get('/v1/job/shape-job')).json)).toEqual([]);
  });

  it('GET /v1/job/{id}/allocations: stubs with TaskStates and events', async () => {
    const list = (await c.get('/v1/job/shape-job/allocations')).json;
    expect(unexpected('job-allocations-index15.json', list)).toEqual([]);
    expect(unexpected('job-allocations.json', list)).toEqual([]);
  });

  it('GET /v1/job/{id}/evaluations: omitempty evaluations', async () => {
    expect(unexpected('job-evaluations.json', (await c.get('/v1/job/shape-job/evaluations')).json)).toEqual([]);
  });

  it('GET /v1/job/{id}/summary', async () => {
    expect(unexpected('job-summary.json', (await c.get('/v1/job/shape-job/summary')).json)).toEqual([]);
  });

  it('GET /v1/jobs: JobListStub with JobSummary', async () => {
    expect(unexpected('jobs-list.json', (await c.get('/v1/jobs?namespace=default')).json)).toEqual([]);
  });

  it('GET /v1/job/{id}/deployment', async () => {
    expect(unexpected('job-deployment.json', (await c.get('/v1/job/shape-job/deployment')).json, DEPLOYMENT_ADDED)).toEqual([]);
  });

  it('GET /v1/allocation/{id}: the omitempty allocation with its job and TaskStates', async () => {
    expect(unexpected('allocation-detail.json', (await c.get(`/v1/allocation/${allocId}`)).json)).toEqual([]);
  });

  it('the exceptions are real: every listed change shows up somewhere', async () => {
    const all = [
      ...diffShapes(shapeOf(seedAnswer('allocation-detail.json')), shapeOf((await c.get(`/v1/allocation/${allocId}`)).json)),
      ...diffShapes(shapeOf(seedAnswer('job-register-response.json')), shapeOf(registerAnswer)),
      ...diffShapes(shapeOf(seedAnswer('job-allocations-index15.json')), shapeOf((await c.get('/v1/job/shape-job/allocations')).json)),
      ...diffShapes(shapeOf(seedAnswer('job-summary.json')), shapeOf((await c.get('/v1/job/shape-job/summary')).json)),
      ...diffShapes(shapeOf(seedAnswer('job-evaluations.json')), shapeOf((await c.get('/v1/job/shape-job/evaluations')).json)),
    ].map((d) => d.path);
    for (const p of [...ADDED_SINCE_1_2, ...REMOVED_SINCE_1_2]) {
      expect([p, all.some((x) => x === p || x.endsWith('.' + p) || x.endsWith(']' + p) || x.endsWith('[].' + p))]).toEqual([p, true]);
    }
  });
});

describe('Nomad JSON details', () => {
  it('writes int64 nanoseconds with all their digits', async () => {
    const job = await c.get('/v1/job/shape-job');
    expect(job.text).toMatch(/"SubmitTime":\d{19}[,}]/);
    const alloc = await c.get(`/v1/allocation/${allocId}`);
    expect(alloc.text).toMatch(/"CreateTime":\d{19},/);
    expect(alloc.text).toMatch(/"Time":\d{19},/);
    expect(alloc.text).toMatch(/"StartedAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"/);
  });

  it('leaves empty fields out of allocations and evaluations (omitempty structs) but not out of jobs', async () => {
    const alloc = (await c.get(`/v1/allocation/${allocId}`)).json as Record<string, unknown>;
    expect(alloc).not.toHaveProperty('DesiredDescription');
    expect(alloc).not.toHaveProperty('DesiredTransition');
    expect(alloc).not.toHaveProperty('PreviousAllocation');
    expect(alloc).toHaveProperty('NetworkStatus');
    const evals = (await c.get('/v1/job/shape-job/evaluations')).json as Array<Record<string, unknown>>;
    expect(evals[0]).not.toHaveProperty('NodeID');
    expect(evals[0]).not.toHaveProperty('Wait');
    const job = (await c.get('/v1/job/shape-job')).json as Record<string, unknown>;
    expect(job).toHaveProperty('ParentID', '');
    expect(job).toHaveProperty('Periodic', null);
  });

  it('keeps the struct order of nomad/structs and indents by 4 with ?pretty', async () => {
    const res = await c.get('/v1/job/shape-job?pretty');
    expect(res.text.startsWith('{\n    "Stop": false,\n    "Region": "global",\n    "Namespace": "default",\n    "ID": "shape-job"')).toBe(true);
    expect(res.text.endsWith('}\n')).toBe(true);
    expect((await c.get('/v1/job/shape-job?pretty=0')).text.startsWith('{"Stop":false')).toBe(true);
  });
});
