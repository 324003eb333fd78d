/**
 * Runtime routes through dtle-compat against a real Nomad agent: nodes, members, leader, peers,
 * regions, self, and the allocations and statistics of a running job. The dtle plugin cannot be
 * built here, so the running job is a stand-in whose src/dest tasks use raw_exec, with
 * dtle_drivers ["dtle","raw_exec"].
 */
import request from 'supertest';
import type { LegacyAllocation, LegacyAllocListStub, LegacyNode, LegacyNodeListStub, LegacyServerMembers } from '../../src/legacy/types';
import { legacyFixture, sortedKeys, typesOf } from '../support/runtimeFixtures';
import { loadAnswered } from '../support/fixtures2x';
import { nomadAddr, nomadCall, record, standinJob, startCompat, waitFor, type Compat } from './helpers';

const JOB = 'e2e-standin';

let c: Compat;
const app = () => c.built.app;
const get = async (url: string) => record(await request(app()).get(url));

interface NomadAllocStub {
  ID: string;
  TaskGroup: string;
  NodeID: string;
  EvalID: string;
  ClientStatus: string;
}
/** the stand-in job's allocations as Nomad has them: src first */
let allocs: NomadAllocStub[] = [];
let nodeId = '';
let nodeName = '';
let agentAddr = '';

beforeAll(async () => {
  c = startCompat(nomadAddr());
  const reg = await nomadCall(nomadAddr(), 'PUT', '/v1/jobs', { Job: standinJob(JOB) });
  expect(reg.status).toBe(200);
  allocs = await waitFor('both stand-in tasks running', async () => {
    const { json } = await nomadCall(nomadAddr(), 'GET', `/v1/job/${JOB}/allocations`);
    const list = json as NomadAllocStub[];
    return list.length === 2 && list.every((a) => a.ClientStatus === 'running')
      ? list.sort((a, b) => (a.TaskGroup === 'src' ? -1 : b.TaskGroup === 'src' ? 1 : 0))
      : undefined;
  });
  nodeId = allocs[0]?.NodeID as string;
  const node = (await nomadCall(nomadAddr(), 'GET', `/v1/node/${nodeId}`)).json as { Name: string; HTTPAddr: string };
  nodeName = node.Name;
  agentAddr = node.HTTPAddr;
});
afterAll(async () => {
  await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${JOB}?purge=true`);
  c.close();
});

describe('nodes', () => {
  const seedNodes = legacyFixture<Array<Record<string, unknown>>>('nodes.json');

  it('GET /v1/nodes: the agent\'s node as a 2.x NodeListStub, HTTPAddr at this service (not Nomad\'s 4646 or agent port)', async () => {
    expect(agentAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await get('/v1/nodes');
    expect(res.status).toBe(200);
    const nodes = res.body as LegacyNodeListStub[];
    expect(nodes).toHaveLength(1);
    expect(sortedKeys(nodes[0])).toEqual(sortedKeys(seedNodes[0]));
    expect(typesOf(nodes[0])).toEqual(typesOf(seedNodes[0]));
    expect(nodes[0]).toMatchObject({ ID: nodeId, Name: nodeName, Datacenter: 'dc1', HTTPAddr: '127.0.0.1:8190', Status: 'ready', StatusDescription: '' });
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
  });

  it('HTTPAddr is advertise_addr when configured', async () => {
    const other = startCompat(nomadAddr(), { advertise_addr: 'dtle-api.example:8190' });
    try {
      expect(record(await request(other.built.app).get('/v1/nodes')).body[0].HTTPAddr).toBe('dtle-api.example:8190');
      expect(record(await request(other.built.app).get(`/v1/node/${nodeId}`)).body.HTTPAddr).toBe('dtle-api.example:8190');
    } finally {
      other.close();
    }
  });

  it("GET /v1/node/{ID}: the 2.x Node, Attributes 2.x's two drivers where Nomad fingerprints dtle, else none", async () => {
    const res = await get(`/v1/node/${nodeId}`);
    expect(res.status).toBe(200);
    const node = res.body as LegacyNode;
    expect(sortedKeys(node)).toEqual(
      ['Attributes', 'ComputedClass', 'CreateIndex', 'Datacenter', 'HTTPAddr', 'ID', 'ModifyIndex', 'Name', 'NatsAddr', 'NatsAdvertiseAddr', 'Status', 'StatusDescription', 'StatusUpdatedAt'],
    );
    expect(node).toMatchObject({ ID: nodeId, Name: nodeName, Datacenter: 'dc1', HTTPAddr: '127.0.0.1:8190', NatsAddr: '', NatsAdvertiseAddr: '', Status: 'ready' });
    const nomadNode = (await nomadCall(nomadAddr(), 'GET', `/v1/node/${nodeId}`)).json as { Attributes: Record<string, string> };
    // the drivers this tier's dtle-compat takes for dtle (raw_exec stands in for it)
    const dtle = ['dtle', 'raw_exec'].some((d) => ['true', '1'].includes(nomadNode.Attributes[`driver.${d}`] ?? ''));
    expect(node.Attributes).toEqual(dtle ? (JSON.parse(loadAnswered('node-detail').body) as { Attributes: unknown }).Attributes : {});
    expect(Number.isInteger(node.StatusUpdatedAt)).toBe(true);
    const missing = await get('/v1/node/00000000-0000-0000-0000-000000000000');
    expect([missing.status, missing.text]).toEqual([404, 'node not found']);
  });

  it('GET /v1/node/{ID}/allocations: the node\'s dtle allocations, each with its job', async () => {
    const res = await get(`/v1/node/${nodeId}/allocations`);
    expect(res.status).toBe(200);
    const mine = (res.body as LegacyAllocation[]).filter((a) => a.JobID === JOB);
    expect(mine.map((a) => [a.ID, a.Task]).sort()).toEqual(
      [
        [allocs[0]?.ID, 'Src'],
        [allocs[1]?.ID, 'Dest'],
      ].sort(),
    );
    for (const a of mine) expect(a.Job?.ID).toBe(JOB);
  });
});

describe('agent and status', () => {
  it('GET /v1/leader and /v1/peers: the agent\'s raft address as JSON strings', async () => {
    const leader = await get('/v1/leader');
    expect(leader.status).toBe(200);
    expect(leader.body).toMatch(/^127\.0\.0\.1:\d+$/);
    const peers = await get('/v1/peers');
    expect(peers.body).toEqual([leader.body]);
  });

  it('GET /v1/regions: ["global"]', async () => {
    const res = await get('/v1/regions');
    expect([res.status, res.body]).toEqual([200, ['global']]);
  });

  it("GET /v1/members: seed 003's keys and types, the one server alive", async () => {
    const seed = legacyFixture<LegacyServerMembers>('members.json');
    const res = await get('/v1/members');
    expect(res.status).toBe(200);
    const members = res.body as LegacyServerMembers;
    expect(sortedKeys(members)).toEqual(sortedKeys(seed));
    expect(typesOf(members)).toEqual(typesOf(seed));
    expect(members.Members).toHaveLength(1);
    const m = members.Members?.[0];
    expect(sortedKeys(m)).toEqual(sortedKeys(seed.Members?.[0]));
    expect(typesOf(m)).toEqual(typesOf(seed.Members?.[0]));
    expect(m).toMatchObject({ Addr: '127.0.0.1', Status: 'alive' });
    // Nomad's role "nomad" is 2.x's "server"
    expect(m?.Tags).toMatchObject({ role: 'server', region: 'global', dc: 'dc1' });
    expect(m?.Name).toBe(`${nodeName}.global`);
    expect(members).toMatchObject({ ServerRegion: 'global', ServerDC: 'dc1', ServerName: nodeName });
  });

  it('GET /v1/self: the 2.x agent self with lower-case keys, the agent\'s region and node name', async () => {
    const res = await get('/v1/self');
    expect(res.status).toBe(200);
    expect(sortedKeys(res.body)).toEqual(['config', 'member', 'stats']);
    const self = res.body as { config: Record<string, unknown>; member: Record<string, unknown> };
    expect(self.config).toMatchObject({ Region: 'global', Datacenter: 'dc1', NodeName: nodeName });
    expect(self.member.Addr).toBe('127.0.0.1');
  });
});

describe('allocations and statistics of a running (stand-in) dtle job', () => {
  it('GET /v1/job/{ID}/allocations: a 2.x stub per task, Task Src/Dest, TaskStates keyed by the 2.x type', async () => {
    const seedAlloc = legacyFixture<Array<Record<string, unknown>>>('job-allocations.json')[0] as Record<string, unknown>;
    const res = await get(`/v1/job/${JOB}/allocations`);
    expect(res.status).toBe(200);
    const list = res.body as LegacyAllocListStub[];
    expect(list.map((a) => [a.ID, a.Task]).sort()).toEqual(
      [
        [allocs[0]?.ID, 'Src'],
        [allocs[1]?.ID, 'Dest'],
      ].sort(),
    );
    for (const a of list) {
      expect(sortedKeys(a)).toEqual(sortedKeys(seedAlloc));
      expect(typesOf(a)).toEqual(typesOf(seedAlloc));
      expect(a).toMatchObject({ JobID: JOB, NodeID: nodeId, Name: `${JOB}.${a.Task}`, DesiredStatus: 'run', ClientStatus: 'running' });
      expect(Object.keys(a.TaskStates ?? {})).toEqual([a.Task]);
      const state = a.TaskStates?.[a.Task];
      expect(state?.State).toBe('running');
      expect(state?.StartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(state?.FinishedAt).toBeNull();
      for (const e of state?.Events ?? []) expect(e.Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    }
    // CreateTime is an int64 of nanoseconds, written with all its digits
    expect(res.text).toMatch(/"CreateTime":\d{19}[,}]/);
  });

  it('GET /v1/allocation/{ID}: the 2.x allocation with its job in 2.x shape', async () => {
    const res = await get(`/v1/allocation/${allocs[0]?.ID}`);
    expect(res.status).toBe(200);
    const a = res.body as LegacyAllocation;
    expect(sortedKeys(a)).toEqual(
      ['AllocModifyIndex', 'ClientDescription', 'ClientStatus', 'CreateIndex', 'CreateTime', 'DesiredDescription', 'DesiredStatus', 'EvalID', 'ID', 'Job', 'JobID', 'Metrics', 'ModifyIndex', 'Name', 'NodeID', 'PreviousAllocation', 'Task', 'TaskStates'],
    );
    expect(a).toMatchObject({ ID: allocs[0]?.ID, EvalID: allocs[0]?.EvalID, Task: 'Src', JobID: JOB, NodeID: nodeId, PreviousAllocation: '' });
    expect(a.Job?.Tasks.map((t) => t.Type).sort()).toEqual(['Dest', 'Src']);
    expect(a.Job?.Type).toBe('synchronous');
    expect(a.Metrics?.NodesEvaluated).toBe(1);
    const missing = await get('/v1/allocation/00000000-0000-0000-0000-000000000000');
    expect([missing.status, missing.text]).toEqual([404, 'alloc not found']);
  });

  it('GET /v1/agent/allocation/{ID}/stats: 2.x statistics with zero values and the right JSON types (no plugin metrics)', async () => {
    const seedStats = legacyFixture<{ Tasks: { Src: Record<string, unknown> } }>('alloc-stats.json').Tasks.Src;
    const res = await get(`/v1/agent/allocation/${allocs[0]?.ID}/stats`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.Tasks)).toEqual(['Src']);
    const stats = res.body.Tasks.Src as Record<string, unknown>;
    expect(sortedKeys(stats)).toEqual(sortedKeys(seedStats));
    expect(typesOf(stats)).toEqual(typesOf(seedStats));
    expect(stats).toMatchObject({
      // raw_exec emits no job_stage_* event, and its driver config has no Gtid (Nomad's spec wins over the meta's copy)
      Stage: '',
      CurrentCoordinates: { File: '', Position: 0, GtidSet: '', RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '', ExecutedGtidSet: '' },
      MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
      BufferStat: { ExtractorTxQueueSize: 0, ApplierTxQueueSize: 0, ApplierGroupTxQueueSize: 0, SendByTimeout: 0, SendBySizeFull: 0 },
      ExecMasterRowCount: 0,
      ExecMasterTxCount: 0,
      ReadMasterRowCount: 0,
      ReadMasterTxCount: 0,
    });
    const ts = /"Timestamp":(\d+)\}/.exec(res.text)?.[1] as string;
    expect(ts).toMatch(/^\d{19}$/);
    expect(Math.abs(Number(BigInt(ts) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
    const dest = await get(`/v1/agent/allocation/${allocs[1]?.ID}/stats?task=Dest`);
    expect(Object.keys(dest.body.Tasks)).toEqual(['Dest']);
  });

  it('statistics errors as the 2.x agent gave them', async () => {
    let res = await get(`/v1/agent/allocation/${allocs[0]?.ID}/stats?task=Dest`);
    expect([res.status, res.text]).toEqual([500, `allocation "${allocs[0]?.ID}" has no task "Dest"`]);
    res = await get('/v1/agent/allocation/nope/stats');
    expect([res.status, res.text]).toEqual([500, 'unknown allocation ID "nope"']);
  });

  it('GET /v1/allocations and /v1/evaluations include the job', async () => {
    const a = await get('/v1/allocations');
    expect((a.body as LegacyAllocListStub[]).filter((x) => x.JobID === JOB).map((x) => x.Task).sort()).toEqual(['Dest', 'Src']);
    const e = await get(`/v1/job/${JOB}/evaluations`);
    expect(e.status).toBe(200);
    expect((e.body as Array<{ JobID: string; Status: string }>).some((x) => x.JobID === JOB && x.Status === 'complete')).toBe(true);
  });
});
