import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { NomadClient, nomadPath } from '../../src/nomad/client';
import { AllocList, Allocation, AnyJson, EvaluationDetailList, NodeList, type AllocListStub, type JobInput } from '../../src/nomad/types';
import { legacyToNomadJob } from '../../src/translate/job';
import { nanosToRfc3339 } from '../../src/translate/time';
import { AgentNomad } from '../support/agentNomad';
import { CANARY, collectedApp, record as recordBody, startHarness, type Harness } from '../support/harness';
import { legacyFixture, seed003Job, sortedKeys, typesOf } from '../support/runtimeFixtures';

const GTID = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171';
/** seed 003's tasks are pinned to NodeName "dtle": the simulated node carries that name */
const SIM = { nodes: [{ name: 'dtle' }] };

const bodies: string[] = [];
function record<T extends { text?: string }>(res: T): T {
  if (typeof res.text === 'string') bodies.push(res.text);
  return recordBody(res);
}

/** seed 003's job under another ID/Name, the canary as every password, as dtle-compat registers it. */
function dtleJob(id: string): JobInput {
  const { job } = legacyToNomadJob(seed003Job(CANARY, { ID: id, Name: id }), { dialect: 'src-only', driverName: 'dtle', datacenters: ['dc1'] });
  return { ...job };
}

/** a job of another driver, with a password in its config too */
const otherJob: JobInput = {
  ID: 'web',
  Name: 'web',
  Type: 'service',
  Datacenters: ['dc1'],
  TaskGroups: [{ Name: 'web', Count: 1, Tasks: [{ Name: 'web', Driver: 'raw_exec', Config: { command: '/bin/true', args: [`--password=${CANARY}`] } }] }],
};

const seedAlloc = legacyFixture<Array<Record<string, unknown>>>('job-allocations.json')[0] as Record<string, unknown>;
const seedStats = legacyFixture<{ Tasks: { Src: Record<string, unknown> } }>('alloc-stats.json').Tasks.Src;

let h: Harness;
/** job-a's allocations as Nomad has them: src first */
let raw: AllocListStub[];
let src: string;
let dest: string;
let evalId: string;
let nodeId: string;
let webAlloc: string;
const app = () => h.built.app;
const get = async (url: string) => record(await request(app()).get(url));

async function allocsOf(jobId: string): Promise<AllocListStub[]> {
  const { data } = await h.nomad.get(nomadPath`/v1/job/${jobId}/allocations`, AllocList);
  return data.sort((a, b) => (a.TaskGroup === 'src' ? -1 : b.TaskGroup === 'src' ? 1 : 0));
}

beforeAll(async () => {
  h = await startHarness({ nomad_token: '' }, SIM);
  evalId = h.sim.registerJob(dtleJob('job-a')).EvalID;
  h.sim.registerJob(otherJob);
  raw = await allocsOf('job-a');
  src = raw[0]?.ID as string;
  dest = raw[1]?.ID as string;
  nodeId = raw[0]?.NodeID as string;
  webAlloc = (await allocsOf('web'))[0]?.ID as string;
});
afterAll(async () => {
  await h.close();
});

describe('setup', () => {
  it('the simulated Nomad runs job-a (src, dest) and a job of another driver', () => {
    expect(raw.map((a) => [a.TaskGroup, a.ClientStatus])).toEqual([
      ['src', 'running'],
      ['dest', 'running'],
    ]);
    expect(webAlloc).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /v1/job/{ID}/allocations', () => {
  it("answers 2.x AllocListStubs: seed 003's keys and types, Src/Dest naming, exact times", async () => {
    const res = await get('/v1/job/job-a/allocations');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
    expect(res.headers['x-udup-knownleader']).toBe('true');
    const allocs = (res.body as Array<Record<string, unknown>>).sort((a) => (a.Task === 'Src' ? -1 : 1));
    expect(allocs.map((a) => [a.ID, a.Name, a.Task, a.JobID, a.ClientStatus, a.DesiredStatus, a.EvalID])).toEqual([
      [src, 'job-a.Src', 'Src', 'job-a', 'running', 'run', evalId],
      [dest, 'job-a.Dest', 'Dest', 'job-a', 'running', 'run', evalId],
    ]);
    for (const a of allocs) {
      expect(sortedKeys(a)).toEqual(sortedKeys(seedAlloc));
      expect(typesOf(a)).toEqual(typesOf(seedAlloc));
    }
    expect(Object.keys(allocs[0]?.TaskStates as object)).toEqual(['Src']);
    expect(Object.keys(allocs[1]?.TaskStates as object)).toEqual(['Dest']);
    // every event time is Nomad's int64 to the nanosecond, in 2.x's text form
    const nomadSrc = raw[0]?.TaskStates?.src;
    const legacySrc = (allocs[0]?.TaskStates as Record<string, { Events: Array<Record<string, unknown>>; StartedAt: string; FinishedAt: null }>).Src;
    expect(legacySrc?.Events.map((e) => [e.Type, e.Time, e.DriverMessage])).toEqual(
      nomadSrc?.Events.map((e) => [e.Type, nanosToRfc3339(e.Time), e.Type === 'Driver' ? e.DisplayMessage : '']),
    );
    // the real dtle 4.x reports its stage from the dest task (the applier) only
    expect(legacySrc?.Events.map((e) => e.Type)).toEqual(['Received', 'Task Setup', 'Started']);
    const legacyDest = (allocs[1]?.TaskStates as Record<string, { Events: Array<Record<string, unknown>> }>).Dest;
    expect(legacyDest?.Events.at(-1)).toMatchObject({ Type: 'Driver', DriverMessage: 'job_stage_full' });
    expect(legacySrc?.Events.every((e) => typeof e.Time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(e.Time))).toBe(true);
    expect(legacySrc?.StartedAt).toBe(nomadSrc?.StartedAt);
    expect(legacySrc?.FinishedAt).toBeNull();
    // CreateTime: a bare number with every digit of Nomad's int64
    expect(res.text).toContain(`"CreateTime":${raw[0]?.CreateTime}`);
    expect(raw[0]?.CreateTime).toMatch(/^\d{19}$/);
  });

  it('[] with the query meta for a missing job and for a job that is not a dtle job (2.x checked no existence)', async () => {
    for (const id of ['nope', 'web']) {
      const res = await get(`/v1/job/${id}/allocations`);
      expect([res.status, res.headers['content-type'], res.text]).toEqual([200, 'application/json', '[]']);
      expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
    }
  });

  it('405 Invalid method for anything but GET', async () => {
    const res = record(await request(app()).post('/v1/job/job-a/allocations').send('{}'));
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
  });

  it('passes all=true to Nomad', async () => {
    h.sim.resetCalls();
    expect((await get('/v1/job/job-a/allocations?all=true')).status).toBe(200);
    expect(h.sim.calls.find((c) => c.path === '/v1/job/job-a/allocations')?.query).toMatch(/(^|&)all=true(&|$)/);
  });

  it('is a blocking query: ?index=N&wait= returns when the allocations change, with the new index', async () => {
    const first = await get('/v1/job/job-a/allocations');
    const index = Number(first.headers['x-udup-index']);
    const started = Date.now();
    const pending = request(app()).get(`/v1/job/job-a/allocations?index=${index}&wait=10s`);
    setTimeout(() => h.sim.setTaskStage('job-a', 'src', 'job_stage_incr'), 300);
    const res = record(await pending);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(res.status).toBe(200);
    expect(Number(res.headers['x-udup-index'])).toBeGreaterThan(index);
    const srcAlloc = (res.body as Array<{ Task: string; TaskStates: { Src: { Events: Array<{ DriverMessage: string }> } } }>).find((a) => a.Task === 'Src');
    // (a stage the test puts on the src task: the real driver reports none there)
    expect(srcAlloc?.TaskStates.Src.Events.map((e) => e.DriverMessage).filter((m) => m !== '')).toEqual(['job_stage_incr']);
  });

  it('is a blocking query: without a change it answers after wait with the same index', async () => {
    const index = Number((await get('/v1/job/job-a/allocations')).headers['x-udup-index']);
    const started = Date.now();
    const res = await get(`/v1/job/job-a/allocations?index=${index}&wait=400ms`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(res.status).toBe(200);
    expect(res.headers['x-udup-index']).toBe(String(index));
  });

  it('a blocking query on a missing job waits as Nomad does, then answers []', async () => {
    const index = Number((await get('/v1/job/nope/allocations')).headers['x-udup-index']);
    const started = Date.now();
    const res = await get(`/v1/job/nope/allocations?index=${index}&wait=300ms`);
    expect([res.status, res.text]).toEqual([200, '[]']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('400 as 2.x for a bad index or wait', async () => {
    expect((await get('/v1/job/job-a/allocations?index=x')).text).toBe('Invalid index');
    expect((await get('/v1/job/job-a/allocations?wait=soon')).text).toBe('Invalid wait time');
  });
});

describe('GET /v1/job/{ID}/evaluations', () => {
  it('answers 2.x Evaluations: the legacy job type, maps keyed by legacy task, Nomad values', async () => {
    const res = await get('/v1/job/job-a/evaluations');
    expect(res.status).toBe(200);
    const { data } = await h.nomad.get('/v1/job/job-a/evaluations', EvaluationDetailList);
    const e = data.find((x) => x.ID === evalId);
    expect(res.body).toEqual([
      {
        ID: evalId,
        Type: 'synchronous',
        TriggeredBy: 'job-register',
        JobID: 'job-a',
        JobModifyIndex: e?.JobModifyIndex,
        NodeID: '',
        NodeModifyIndex: 0,
        Status: 'complete',
        StatusDescription: '',
        Wait: 0,
        NextEval: '',
        PreviousEval: '',
        BlockedEval: '',
        FailedTGAllocs: null,
        ClassEligibility: null,
        EscapedComputedClass: false,
        AnnotatePlan: false,
        QueuedAllocations: { Src: 0, Dest: 0 },
        SnapshotIndex: e?.SnapshotIndex,
        CreateIndex: e?.CreateIndex,
        ModifyIndex: e?.ModifyIndex,
      },
    ]);
    expect(typeof e?.CreateIndex).toBe('number');
  });

  it('[] for a missing or non-dtle job, 405 for other methods', async () => {
    expect((await get('/v1/job/web/evaluations')).text).toBe('[]');
    const res = record(await request(app()).delete('/v1/job/job-a/evaluations'));
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
  });
});

describe('GET /v1/allocations and /v1/allocation/{ID}', () => {
  it("lists only dtle jobs' allocations", async () => {
    const res = await get('/v1/allocations');
    expect(res.status).toBe(200);
    expect((res.body as Array<{ ID: string; Name: string }>).map((a) => [a.ID, a.Name]).sort()).toEqual(
      [
        [src, 'job-a.Src'],
        [dest, 'job-a.Dest'],
      ].sort(),
    );
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
  });

  it('passes prefix to Nomad', async () => {
    const res = await get(`/v1/allocations?prefix=${dest.slice(0, 8)}`);
    expect((res.body as Array<{ ID: string }>).map((a) => a.ID)).toEqual([dest]);
  });

  it('blocks on ?index= until an allocation changes', async () => {
    const index = Number((await get('/v1/allocations')).headers['x-udup-index']);
    const pending = request(app()).get(`/v1/allocations?index=${index}&wait=10s`);
    setTimeout(() => h.sim.setTaskStage('job-a', 'dest', 'job_stage_incr'), 200);
    const res = record(await pending);
    expect(Number(res.headers['x-udup-index'])).toBeGreaterThan(index);
  });

  it("answers one allocation as 2.x's Allocation, its job in legacy form with passwords masked", async () => {
    const res = await get(`/v1/allocation/${src}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([
      'ID',
      'EvalID',
      'Name',
      'NodeID',
      'JobID',
      'Job',
      'Task',
      'Metrics',
      'DesiredStatus',
      'DesiredDescription',
      'ClientStatus',
      'ClientDescription',
      'TaskStates',
      'PreviousAllocation',
      'CreateIndex',
      'ModifyIndex',
      'AllocModifyIndex',
      'CreateTime',
    ]);
    const { data } = await h.nomad.get(nomadPath`/v1/allocation/${src}`, Allocation);
    expect(res.body).toMatchObject({ ID: src, Name: 'job-a.Src', Task: 'Src', JobID: 'job-a', NodeID: nodeId, AllocModifyIndex: data.AllocModifyIndex, PreviousAllocation: '' });
    expect(sortedKeys(res.body.Metrics)).toEqual([
      'AllocationTime',
      'ClassExhausted',
      'ClassFiltered',
      'CoalescedFailures',
      'ConstraintFiltered',
      'DimensionExhausted',
      'NodesAvailable',
      'NodesEvaluated',
      'NodesExhausted',
      'NodesFiltered',
      'Scores',
    ]);
    expect(res.body.Metrics.NodesEvaluated).toBe((data.Metrics as { NodesEvaluated: number }).NodesEvaluated);
    const job = res.body.Job as { ID: string; Name: string; Type: string; Tasks: Array<{ Type: string; Config: { ConnectionConfig: { Password: string; Host: string } } }> };
    expect([job.ID, job.Name, job.Type]).toEqual(['job-a', 'job-a', 'synchronous']);
    expect(job.Tasks.map((t) => [t.Type, t.Config.ConnectionConfig.Host, t.Config.ConnectionConfig.Password])).toEqual([
      ['Src', '172.100.9.3', '*'],
      ['Dest', '172.100.9.6', '*'],
    ]);
    expect(res.text).toContain(`"CreateTime":${data.CreateTime}}`);
  });

  it('404 alloc not found for a missing allocation and for a non-dtle one; 405 for other methods', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', webAlloc, '']) {
      const res = await get(`/v1/allocation/${id}`);
      expect([res.status, res.text]).toEqual([404, 'alloc not found']);
    }
    const res = record(await request(app()).put(`/v1/allocation/${src}`));
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
    expect(record(await request(app()).post('/v1/allocations')).status).toBe(405);
  });
});

describe('GET /v1/agent/allocation/{ID}/stats', () => {
  it("answers 2.x AllocStatistics: seed 003's keys and types, the position and stage from the job's state in Consul", async () => {
    // the simulated driver uploads the job's Gtid and binlog position, and the job goes incremental
    h.sim.advanceReplication(1000);
    expect(h.consul.value('dtle/job-a/JobStage')).toBe('job_stage_incr');
    const res = await get(`/v1/agent/allocation/${src}/stats`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['Tasks']);
    expect(Object.keys(res.body.Tasks)).toEqual(['Src']);
    const stats = res.body.Tasks.Src as Record<string, unknown>;
    expect(sortedKeys(stats)).toEqual(sortedKeys(seedStats));
    expect(typesOf(stats)).toEqual(typesOf(seedStats));
    expect(stats).toMatchObject({
      Stage: 'Master has sent all binlog to slave; waiting for more updates',
      ProgressPct: '100.0',
      ETA: '0s',
      CurrentCoordinates: { GtidSet: h.consul.value('dtle/job-a/Gtid'), File: 'mysql-bin.000003', Position: 4 },
      MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
    });
    expect(h.consul.value('dtle/job-a/Gtid')).toBe(GTID);
    const ts = /"Timestamp":(\d+)\}/.exec(res.text)?.[1] as string;
    expect(ts).toMatch(/^\d{19}$/);
    expect(Math.abs(Number(BigInt(ts) / 1_000_000n) - Date.now())).toBeLessThan(60_000);
  });

  it("the Dest allocation has Dest's statistics; the position moves with the job's", async () => {
    h.sim.advanceReplication(1000);
    const res = await get(`/v1/agent/allocation/${dest}/stats?task=Dest`);
    expect(Object.keys(res.body.Tasks)).toEqual(['Dest']);
    expect(res.body.Tasks.Dest).toMatchObject({
      Stage: 'Slave has read all relay log; waiting for more updates',
      CurrentCoordinates: { GtidSet: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-191', File: 'mysql-bin.000003', Position: 4 + 20 * 473 },
    });
  });

  it('one recursive Consul read of the job per statistics read (the dtleJobList entry from the watch or one read)', async () => {
    h.consul.resetCalls();
    await get(`/v1/agent/allocation/${src}/stats`);
    expect(h.consul.calls.map((c) => `${c.method} ${c.path}?${c.query}`).sort()).toEqual(['GET /v1/kv/dtle/job-a/?recurse=', 'GET /v1/kv/dtleJobList/job-a?']);
  });

  it('without Consul: Gtid from the job, stage from the task events, no binlog position', async () => {
    const config = Object.freeze({ ...h.config, consul: '' });
    const nomad = new NomadClient(config);
    try {
      const res = record(await request(collectedApp(config, nomad)).get(`/v1/agent/allocation/${src}/stats`));
      expect(res.body.Tasks.Src).toMatchObject({
        Stage: 'Master has sent all binlog to slave; waiting for more updates', // the job_stage_incr event emitted above
        CurrentCoordinates: { GtidSet: GTID, File: '', Position: 0 },
        ProgressPct: '100.0',
      });
    } finally {
      nomad.close();
    }
  });

  it('errors as the 2.x agent did', async () => {
    let res = await get(`/v1/agent/allocation/${src}/stats?task=Dest`);
    expect([res.status, res.text]).toEqual([500, `allocation "${src}" has no task "Dest"`]);
    res = await get('/v1/agent/allocation/nope/stats');
    expect([res.status, res.text]).toEqual([500, 'unknown allocation ID "nope"']);
    res = await get(`/v1/agent/allocation/${webAlloc}/stats`);
    expect([res.status, res.text]).toEqual([500, `unknown allocation ID "${webAlloc}"`]);
    for (const p of [src, `${src}/gc`, `${src}/stats/x`]) {
      res = await get(`/v1/agent/allocation/${p}`);
      expect([res.status, res.text]).toEqual([404, 'resource not found']);
    }
  });

  it("a stopped allocation keeps its job's statistics (the position is the job's, in Consul), without the task's gauges", async () => {
    const copying = dtleJob('job-stopped');
    for (const tg of copying.TaskGroups ?? []) for (const t of tg.Tasks ?? []) if (t.Config && 'Gtid' in t.Config) t.Config.Gtid = '';
    h.sim.registerJob(copying);
    const [stopped] = await allocsOf('job-stopped');
    expect(record(await request(app()).get(`/v1/agent/allocation/${stopped?.ID}/stats`)).body.Tasks.Src.Stage).toBe('Sending data');
    h.sim.advanceReplication(15_000);
    await h.nomad.delete('/v1/job/job-stopped', AnyJson);
    const res = record(await request(app()).get(`/v1/agent/allocation/${stopped?.ID}/stats`));
    expect(res.status).toBe(200);
    expect(res.body.Tasks.Src).toMatchObject({ Stage: 'Sending data', ProgressPct: '50.0', ExecMasterRowCount: 60_000, ReadMasterRowCount: 120_000, CurrentCoordinates: { GtidSet: '' } });
  });

  it('while copying: ETA from the copy rate between two readings of DumpProgress', async () => {
    const job = dtleJob('job-eta');
    for (const tg of job.TaskGroups ?? []) for (const t of tg.Tasks ?? []) if (t.Config && 'Gtid' in t.Config) t.Config.Gtid = '';
    h.sim.registerJob(job);
    const [a] = await allocsOf('job-eta');
    const t0 = Date.now();
    const now = jest.spyOn(Date, 'now');
    try {
      h.sim.advanceReplication(10_000);
      now.mockReturnValue(t0);
      const first = record(await request(app()).get(`/v1/agent/allocation/${a?.ID}/stats`)).body.Tasks.Src;
      expect([first.ProgressPct, first.ETA]).toEqual(['33.3', 'N/A']);
      h.sim.advanceReplication(10_000);
      now.mockReturnValue(t0 + 10_000);
      const second = record(await request(app()).get(`/v1/agent/allocation/${a?.ID}/stats`)).body.Tasks.Src;
      // 40,000 rows in 10 s, 40,000 left
      expect([second.ProgressPct, second.ETA]).toEqual(['66.7', '10s']);
    } finally {
      now.mockRestore();
      await h.nomad.delete('/v1/job/job-eta', AnyJson, { params: { purge: 'true' } });
    }
  });

  describe('stats_signal: the task\'s own TaskStatistics', () => {
    it('come from the alloc signal, once per stats_collection_interval (each signal costs two task events)', async () => {
      const config = Object.freeze({ ...h.config, stats_signal: true, stats_collection_interval: 60 });
      const nomad = new NomadClient(config);
      try {
        const a = collectedApp(config, nomad, h.consulClient);
        h.sim.resetCalls();
        const res = record(await request(a).get(`/v1/agent/allocation/${src}/stats`));
        // Backlog: the extractor's data channel, ReplChanBufferSize (60) × 4
        expect(res.body.Tasks.Src).toMatchObject({ Backlog: '0/240', ProgressPct: '100.0', Stage: 'Master has sent all binlog to slave; waiting for more updates' });
        const signals = () => h.sim.calls.filter((c) => c.path === `/v1/client/allocation/${src}/signal`).length;
        expect(signals()).toBe(1);
        record(await request(a).get(`/v1/agent/allocation/${src}/stats`));
        expect(signals()).toBe(1);
        const events = (h.sim.state.allocs.get(src)?.alloc.TaskStates?.src?.Events ?? []).map((e) => e.DisplayMessage);
        expect(events.filter((m) => /signal/.test(m))).toEqual(['Task being sent a signal', 'Task receive signal stats']);
      } finally {
        nomad.close();
      }
    });
  });

  describe("with the dtle plugin's /metrics (dtle_api_port)", () => {
    let plugin: http.Server;
    let port = 0;
    let fail = false;
    beforeAll(async () => {
      plugin = http.createServer((req, res) => {
        if (fail || req.url !== '/metrics') {
          res.writeHead(500);
          return res.end('boom');
        }
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.end(
          [
            '# TYPE dtle_network_in_msgs gauge',
            'dtle_network_in_msgs{host="dtle",task_name="job-a_src"} 4',
            'dtle_network_out_msgs{host="dtle",task_name="job-a_src"} 4',
            'dtle_network_out_bytes{host="dtle",task_name="job-a_src"} 3413',
            'dtle_network_out_bytes{host="dtle",task_name="job-b_src"} 999',
            'dtle_buffer_src_queue_size{host="dtle",task_name="job-a_src"} 2',
            'dtle_table_insert{host="dtle",task_name="job-a_dest"} 14',
            '',
          ].join('\n'),
        );
      });
      await new Promise<void>((r) => plugin.listen(0, '127.0.0.1', r));
      port = (plugin.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((r) => plugin.close(() => r()));
    });

    /** the app on the same simulated Nomad, reading the plugin on the node's address (127.0.0.1) */
    function appWithPlugin() {
      const config = Object.freeze({ ...h.config, dtle_api_port: port });
      const nomad = new NomadClient(config);
      return { nomad, app: collectedApp(config, nomad) };
    }

    it("fills MsgStat, BufferStat and TableStats from this task's gauges", async () => {
      const t = appWithPlugin();
      try {
        const res = record(await request(t.app).get(`/v1/agent/allocation/${src}/stats`));
        expect(res.status).toBe(200);
        expect(res.body.Tasks.Src).toMatchObject({
          MsgStat: seedStats.MsgStat,
          BufferStat: { ExtractorTxQueueSize: 2, ApplierTxQueueSize: 0, ApplierGroupTxQueueSize: 0, SendByTimeout: 0, SendBySizeFull: 0 },
          TableStats: null,
        });
        const d = record(await request(t.app).get(`/v1/agent/allocation/${dest}/stats`));
        expect(d.body.Tasks.Dest.TableStats).toEqual({ InsertCount: 14, UpdateCount: 0, DelCount: 0 });
      } finally {
        t.nomad.close();
      }
    });

    it('a failing plugin does not fail the call: zero values', async () => {
      fail = true;
      const t = appWithPlugin();
      try {
        const res = record(await request(t.app).get(`/v1/agent/allocation/${src}/stats`));
        expect(res.status).toBe(200);
        expect(res.body.Tasks.Src.MsgStat).toEqual({ InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 });
        expect(res.body.Tasks.Src.Stage).toBe('Master has sent all binlog to slave; waiting for more updates');
      } finally {
        fail = false;
        t.nomad.close();
      }
    });
  });
});

describe('evaluations', () => {
  it('GET /v1/evaluations lists the evaluations of dtle jobs only', async () => {
    const res = await get('/v1/evaluations');
    expect(res.status).toBe(200);
    const jobs = new Set((res.body as Array<{ JobID: string }>).map((e) => e.JobID));
    expect([...jobs].sort()).toEqual(['job-a', 'job-stopped']);
    expect((res.body as Array<{ ID: string }>).map((e) => e.ID)).toContain(evalId);
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
  });

  it('GET /v1/evaluation/{ID}, 404 eval not found for a missing one or one of another driver', async () => {
    const res = await get(`/v1/evaluation/${evalId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ID: evalId, Type: 'synchronous', JobID: 'job-a', QueuedAllocations: { Src: 0, Dest: 0 } });
    const { data } = await h.nomad.get('/v1/job/web/evaluations', EvaluationDetailList);
    for (const id of ['00000000-0000-0000-0000-000000000000', data[0]?.ID]) {
      const missing = await get(`/v1/evaluation/${id}`);
      expect([missing.status, missing.text]).toEqual([404, 'eval not found']);
    }
  });

  it('GET /v1/evaluation/{ID}/allocations: the stubs, [] for an unknown evaluation', async () => {
    const res = await get(`/v1/evaluation/${evalId}/allocations`);
    expect((res.body as Array<{ Name: string }>).map((a) => a.Name).sort()).toEqual(['job-a.Dest', 'job-a.Src']);
    expect((await get('/v1/evaluation/00000000-0000-0000-0000-000000000000/allocations')).text).toBe('[]');
    const bad = record(await request(app()).post(`/v1/evaluation/${evalId}/allocations`));
    expect([bad.status, bad.text]).toEqual([405, 'Invalid method']);
    expect(record(await request(app()).put('/v1/evaluations')).status).toBe(405);
  });
});

describe('nodes', () => {
  it("GET /v1/nodes: 2.x NodeListStub, HTTPAddr on this service's port, never Nomad's", async () => {
    const res = await get('/v1/nodes');
    expect(res.status).toBe(200);
    const seedNodes = legacyFixture<Array<Record<string, unknown>>>('nodes.json');
    expect(sortedKeys(res.body[0])).toEqual(sortedKeys(seedNodes[0]));
    expect(typesOf(res.body[0])).toEqual(typesOf(seedNodes[0]));
    const { data } = await h.nomad.get('/v1/nodes', NodeList);
    expect(res.body).toEqual([
      {
        ID: nodeId,
        Datacenter: 'dc1',
        Name: 'dtle',
        HTTPAddr: '127.0.0.1:8190',
        Status: 'ready',
        StatusDescription: data[0]?.StatusDescription,
        CreateIndex: data[0]?.CreateIndex,
        ModifyIndex: data[0]?.ModifyIndex,
      },
    ]);
    expect(res.headers['x-udup-index']).toMatch(/^\d+$/);
  });

  it('HTTPAddr is advertise_addr when configured', async () => {
    const config = Object.freeze({ ...h.config, advertise_addr: 'dtle-api.example:8190' });
    const nomad = new NomadClient(config);
    try {
      const a = collectedApp(config, nomad);
      expect(record(await request(a).get('/v1/nodes')).body[0].HTTPAddr).toBe('dtle-api.example:8190');
      expect(record(await request(a).get(`/v1/node/${nodeId}`)).body.HTTPAddr).toBe('dtle-api.example:8190');
    } finally {
      nomad.close();
    }
  });

  it('GET /v1/node/{ID}: 2.x Node', async () => {
    const res = await get(`/v1/node/${nodeId}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([
      'ID',
      'Datacenter',
      'Name',
      'HTTPAddr',
      'NatsAddr',
      'NatsAdvertiseAddr',
      'Attributes',
      'ComputedClass',
      'Status',
      'StatusDescription',
      'StatusUpdatedAt',
      'CreateIndex',
      'ModifyIndex',
    ]);
    expect(res.body).toMatchObject({ ID: nodeId, Name: 'dtle', Datacenter: 'dc1', HTTPAddr: '127.0.0.1:8190', NatsAddr: '', NatsAdvertiseAddr: '', Status: 'ready' });
    expect(res.body.Attributes).toEqual({ 'driver.Kafka': '1', 'driver.MySQL': '1' });
    expect(res.body.ComputedClass).toMatch(/^v1:/);
    expect(typeof res.body.StatusUpdatedAt).toBe('number');
  });

  it('404 node not found for an unknown node; a sub-path 2.x did not have (/drain) is a node lookup of that ID', async () => {
    for (const p of ['00000000-0000-0000-0000-000000000000', '']) {
      const res = await get(`/v1/node/${p}`);
      expect([res.status, res.text]).toEqual([404, 'node not found']);
    }
    expect(await get(`/v1/node/${nodeId}/drain`).then((r) => [r.status, r.text])).toEqual([500, 'node lookup failed: index error: UUID must be 36 characters']);
    const res = record(await request(app()).put(`/v1/node/${nodeId}/drain`));
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
  });

  it("GET /v1/node/{ID}/allocations: the node's dtle allocations as 2.x Allocations, jobs masked", async () => {
    const res = await get(`/v1/node/${nodeId}/allocations`);
    expect(res.status).toBe(200);
    const allocs = res.body as Array<{ ID: string; Task: string; JobID: string; Job: { Tasks: Array<{ Config: { ConnectionConfig: { Password: string } } }> } }>;
    const ids = allocs.map((a) => a.ID);
    expect(ids).toEqual(expect.arrayContaining([src, dest]));
    expect(ids).not.toContain(webAlloc);
    expect(allocs.find((a) => a.ID === src)?.Task).toBe('Src');
    expect(allocs.every((a) => a.Job.Tasks.every((t) => t.Config.ConnectionConfig.Password === '*'))).toBe(true);
    expect((await get('/v1/node/nope/allocations')).text).toBe('[]');
  });

  it('PUT /v1/node/{ID}/evaluate: 2.x NodeUpdateResponse with X-Udup-Index; GET is 405', async () => {
    const res = record(await request(app()).put(`/v1/node/${nodeId}/evaluate`));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([
      'HeartbeatTTL',
      'EvalIDs',
      'EvalCreateIndex',
      'NodeModifyIndex',
      'LeaderRPCAddr',
      'NumNodes',
      'Servers',
      'Index',
      'LastContact',
      'KnownLeader',
    ]);
    expect(res.headers['x-udup-index']).toBe(String(res.body.Index));
    expect(res.body.EvalCreateIndex).toBe(res.body.Index);
    expect(res.body.Servers).toEqual([{ RPCAdvertiseAddr: '127.0.0.1:4647', RPCMajorVersion: 1, RPCMinorVersion: 1, Datacenter: 'dc1' }]);
    // one node-update evaluation per job on the node: a dtle job's is a 2.x evaluation, the other job's is not found
    const seen: Array<[string, number, string]> = [];
    for (const id of res.body.EvalIDs as string[]) {
      const { data } = await h.nomad.get(nomadPath`/v1/evaluation/${id}`, AnyJson);
      const e = await get(`/v1/evaluation/${id}`);
      seen.push([(data as { JobID: string }).JobID, e.status, e.status === 200 ? `${e.body.TriggeredBy} ${e.body.NodeID === nodeId} ${e.body.Type}` : e.text]);
    }
    expect(seen.sort()).toEqual([
      ['job-a', 200, 'node-update true synchronous'],
      ['web', 404, 'eval not found'],
    ]);
    const bad = await get(`/v1/node/${nodeId}/evaluate`);
    expect([bad.status, bad.text]).toEqual([405, 'Invalid method']);
  });
});

describe('agent and status', () => {
  it("GET /v1/members: 2.x's shape and tags", async () => {
    const res = await get('/v1/members');
    expect(res.status).toBe(200);
    const seed = legacyFixture<{ Members: Array<Record<string, unknown>> } & Record<string, unknown>>('members.json');
    expect(sortedKeys(res.body)).toEqual(sortedKeys(seed));
    expect(typesOf(res.body)).toEqual(typesOf(seed));
    expect(sortedKeys(res.body.Members[0])).toEqual(sortedKeys(seed.Members[0]));
    expect(typesOf(res.body.Members[0])).toEqual(typesOf(seed.Members[0]));
    expect(res.body).toMatchObject({ ServerName: 'dtle', ServerRegion: 'global', ServerDC: 'dc1' });
    expect(res.body.Members[0]).toMatchObject({ Name: 'dtle.global', Addr: '127.0.0.1', Port: 4648, Status: 'alive' });
    expect(res.body.Members[0].Tags).toEqual({ role: 'server', region: 'global', dc: 'dc1', port: '4647', bootstrap: '1', build: '1.11.3' });
  });

  it('GET /v1/leader is a JSON string, /v1/peers and /v1/regions JSON arrays', async () => {
    const leader = await get('/v1/leader');
    expect([leader.status, leader.text, leader.headers['content-type']]).toEqual([200, '"127.0.0.1:4647"', 'application/json']);
    expect(typeof legacyFixture<unknown>('leader.json')).toBe('string');
    expect((await get('/v1/peers')).text).toBe('["127.0.0.1:4647"]');
    expect((await get('/v1/regions')).text).toBe('["global"]');
  });

  it("GET /v1/self: 2.x's agentSelf", async () => {
    const res = await get('/v1/self');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['config', 'member', 'stats']);
    expect(res.body.config).toMatchObject({
      Region: 'global',
      Datacenter: 'dc1',
      NodeName: 'dtle',
      Ports: { HTTP: 8190, RPC: 4647, Serf: 4648, Nats: 0 },
      Client: { Enabled: true },
      Server: { Enabled: true },
      Version: '1.11.3',
      DtleSchemaName: 'dtle',
    });
    expect(res.body.member.Tags.role).toBe('server');
    expect(res.body.stats.server.leader).toBe('true');
    expect(Object.values(res.body.stats).every((sec) => Object.values(sec as object).every((v) => typeof v === 'string'))).toBe(true);
  });

  it.each(['/v1/members', '/v1/leader', '/v1/peers', '/v1/regions', '/v1/self', '/v1/nodes'])('405 Invalid method for POST %s', async (p) => {
    const res = record(await request(app()).post(p));
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
  });
});

describe('passthrough to Nomad', () => {
  let agent: AgentNomad;
  let url: string;
  let pass: { app: ReturnType<typeof createApp>['app']; nomad: NomadClient; config: Config };
  beforeAll(async () => {
    agent = new AgentNomad();
    url = await agent.listen();
    const config = Object.freeze({ ...loadConfig({ env: {} }), consul: '', nomad_addr: url, nomad_token: 'configured-token', nomad_timeout_ms: 300 });
    const nomad = new NomadClient(config);
    pass = { app: collectedApp(config, nomad), nomad, config };
  });
  afterAll(async () => {
    pass.nomad.close();
    await agent.close();
  });

  it('PUT /v1/join → Nomad /v1/agent/join, query kept, the caller token replacing the configured one', async () => {
    const res = record(await request(pass.app).put('/v1/join?address=10.0.0.2:4648').set('X-Nomad-Token', 'caller-token').set('Authorization', 'Basic dXNlcjpwYXNz'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ num_joined: 1, error: '' });
    const call = agent.calls.at(-1);
    expect(call).toMatchObject({ method: 'PUT', path: '/v1/agent/join', query: { address: '10.0.0.2:4648' } });
    expect(call?.headers['x-nomad-token']).toBe('caller-token');
    expect(call?.headers.authorization).toBeUndefined();
  });

  it("uses the configured token when the caller sends none; Nomad's errors come back as they are", async () => {
    const res = record(await request(pass.app).post('/v1/join'));
    expect([res.status, res.text]).toEqual([400, 'missing address to join']);
    expect(agent.calls.at(-1)?.headers['x-nomad-token']).toBe('configured-token');
  });

  it('PUT /v1/agent/force-leave and GET|PUT /v1/managers (Nomad /v1/agent/servers)', async () => {
    const leave = record(await request(pass.app).put('/v1/agent/force-leave?node=old'));
    expect([leave.status, leave.text]).toEqual([200, '']);
    expect(agent.calls.at(-1)).toMatchObject({ method: 'PUT', path: '/v1/agent/force-leave', query: { node: 'old' } });
    const managers = record(await request(pass.app).get('/v1/managers'));
    expect([managers.status, managers.text]).toEqual([200, '["127.0.0.1:4647"]']);
    expect(agent.calls.at(-1)?.path).toBe('/v1/agent/servers');
    expect(record(await request(pass.app).put('/v1/managers?address=127.0.0.1:4647')).status).toBe(200);
    expect(agent.calls.at(-1)).toMatchObject({ method: 'PUT', path: '/v1/agent/servers', query: { address: '127.0.0.1:4647' } });
  });

  it('405 Invalid method before proxying a wrong method', async () => {
    const before = agent.calls.length;
    for (const [m, p] of [
      ['get', '/v1/join'],
      ['get', '/v1/agent/force-leave'],
      ['delete', '/v1/managers'],
    ] as const) {
      const res = record(await request(pass.app)[m](p));
      expect([res.status, res.text]).toEqual([405, 'Invalid method']);
    }
    expect(agent.calls.length).toBe(before);
  });

  it("/v1/operator/raft/configuration in 2.x's shape: each server's ID, Node, Address, Leader, Voter and the Index (Nomad's other fields dropped), no query meta headers", async () => {
    agent.raftConfiguration = `{"Index":1645601194094486985,"Servers":[{"Address":"127.0.0.1:4647","ID":"srv-1","Leader":true,"Node":"nomad0.global","Voter":true,"RaftProtocol":"3","Meta":{"Password":"${CANARY}"}}]}`;
    const res = record(await request(pass.app).get('/v1/operator/raft/configuration'));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"Servers":[{"ID":"srv-1","Node":"nomad0.global","Address":"127.0.0.1:4647","Leader":true,"Voter":true}],"Index":1645601194094486985}');
    expect(res.headers['x-udup-index']).toBeUndefined();
    expect(res.headers['x-nomad-index']).toBeUndefined();
  });

  it('/v1/operator as 2.x: raft/peer DELETE proxied, wrong methods an empty 405, other paths 404 Invalid method', async () => {
    expect(record(await request(pass.app).delete('/v1/operator/raft/peer?address=10.0.0.9:4647')).status).toBe(200);
    const noParams = record(await request(pass.app).delete('/v1/operator/raft/peer'));
    expect([noParams.status, noParams.text]).toEqual([400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"]);
    const both = record(await request(pass.app).delete('/v1/operator/raft/peer?id=a&address=b'));
    expect([both.status, both.text]).toEqual([400, 'Must specify only one of ?id or ?address']);
    expect(agent.calls.at(-1)).toMatchObject({ method: 'DELETE', path: '/v1/operator/raft/peer', query: { address: '10.0.0.9:4647' } });
    const post = record(await request(pass.app).post('/v1/operator/raft/configuration'));
    expect([post.status, post.text]).toEqual([405, '']);
    const get405 = record(await request(pass.app).get('/v1/operator/raft/peer'));
    expect([get405.status, get405.text]).toEqual([405, '']);
    const other = record(await request(pass.app).get('/v1/operator/autopilot/health'));
    expect([other.status, other.text]).toEqual([404, 'Invalid method']);
  });

  it('504 when Nomad does not answer within the timeout', async () => {
    agent.delayMs = 1500;
    try {
      const res = record(await request(pass.app).get('/v1/managers'));
      expect(res.status).toBe(504);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.text).toBe(`no answer from ${url} within the timeout`);
    } finally {
      agent.delayMs = 0;
    }
  });

  it('502 when Nomad cannot be reached', async () => {
    const gone = new AgentNomad();
    const goneUrl = await gone.listen();
    await gone.close();
    const config = Object.freeze({ ...pass.config, nomad_addr: goneUrl });
    const nomad = new NomadClient(config);
    try {
      const res = record(await request(collectedApp(config, nomad)).put('/v1/join?address=x'));
      expect(res.status).toBe(502);
      expect(res.text).toMatch(new RegExp(`^cannot reach Nomad at ${goneUrl.replace(/\./g, '\\.')}: `));
    } finally {
      nomad.close();
    }
  });
});

describe('2.x-only features', () => {
  const nope = (f: string) => `not supported: ${f} of dtle 2.x has no equivalent in dtle 3.x/4.x on Nomad`;
  it.each([
    ['get', '/v1/orders', 200, '[]'],
    ['get', '/v1/orders/pending', 200, '[]'],
    ['get', '/v1/order/o-1', 404, 'order not found'],
    ['delete', '/v1/order/o-1', 404, 'order not found'],
    ['post', '/v1/orders', 501, nope('orders')],
    ['put', '/v1/order/o-1', 501, nope('orders')],
    ['put', '/v1/login', 501, nope('login (orders)')],
    ['get', '/v1/cloud/order', 501, nope('cloud orders')],
    ['get', '/v1/orders/level/debug', 501, nope('setting the log level')],
    ['put', '/v1/job/renewal', 501, nope('job renewal (orders)')],
    ['post', '/v1/job/info', 501, nope('job info (reading the source database schema)')],
    ['get', '/v1/login', 405, 'Invalid method'],
    ['delete', '/v1/orders', 405, 'Invalid method'],
    ['post', '/v1/orders/pending', 405, 'Invalid method'],
    ['post', '/v1/orders/level/debug', 405, ''],
    ['post', '/v1/cloud/order', 405, 'Invalid method'],
    ['get', '/v1/job/renewal', 405, 'Invalid method'],
    ['get', '/v1/job/info', 405, 'Invalid method'],
    ['patch', '/v1/order/o-1', 405, 'Invalid method'],
    ['get', '/v1/never-in-2x', 404, '404 page not found\n'],
  ] as const)('%s %s → %d %s', async (method, p, status, text) => {
    const res = record(await request(app())[method](p).set('Content-Type', 'application/json').send(method === 'get' ? undefined : '{}'));
    expect([res.status, res.text]).toEqual([status, text]);
  });
});

describe('passwords', () => {
  it('no answer of this file carried the canary password, though Nomad holds it', async () => {
    expect(bodies.length).toBeGreaterThan(90);
    expect(bodies.filter((b) => b.includes(CANARY))).toEqual([]);
    const job = await h.nomad.get('/v1/job/job-a', AnyJson);
    expect(JSON.stringify(job.data)).toContain(CANARY);
  });
});
