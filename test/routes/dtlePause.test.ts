/**
 * Legacy pause and resume by dtle's own mechanism (dtle >= 4.22.07: api/handler/v2 PauseJobV2 and
 * ResumeJobV2), so dtle's own tools and dtle-compat agree on what is paused: the dtleJobList flag
 * in Consul, then the alloc signals; and a job paused by dtle's own tools shows `pause`.
 */
import request from 'supertest';
import { NomadError } from '../../src/nomad/errors';
import { DialectProbe } from '../../src/service/dialect';
import { canaryJob } from '../reliability/helpers';
import { record, startHarness, type Harness } from '../support/harness';

let h: Harness;
afterEach(async () => h.close());
const app = () => h.built.app;

async function create(id: string): Promise<void> {
  expect(record(await request(app()).post('/v1/jobs').send(JSON.stringify(canaryJob(id)))).status).toBe(200);
}
const status = async (id: string) => {
  const detail = record(await request(app()).get(`/v1/job/${id}`)).body as { Status: string };
  const listed = (record(await request(app()).get('/v1/jobs')).body as Array<{ ID: string; Status: string }>).find((j) => j.ID === id);
  return [detail.Status, listed?.Status];
};
const flag = (name: string) => (JSON.parse(h.consul.value(`dtleJobList/${name}`) ?? '{}') as { job_status?: string }).job_status;
const signals = () => h.sim.calls.filter((c) => c.method === 'POST' && /\/v1\/client\/allocation\/[^/]+\/signal$/.test(c.path)).map((c) => c.path);
const allocIds = async (id: string) => ((await (await fetch(`${h.sim.url}/v1/job/${id}/allocations`)).json()) as Array<{ ID: string }>).map((a) => a.ID).sort();

describe('pause_mechanism auto on dtle 4.23 with Consul: dtle\'s own pause', () => {
  beforeEach(async () => {
    // seed 003's tasks are pinned to NodeName "dtle"
    h = await startHarness({}, { nodes: [{ name: 'dtle' }] });
  });

  it('pause: the flag paused in dtleJobList, the signal pause to each allocation, the job still running in Nomad; `pause` everywhere', async () => {
    await create('dp-1');
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/dp-1/pause'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ Success: true, Index: Number(res.headers['x-udup-index']), LastContact: 0, KnownLeader: false });
    expect(flag('dp-1')).toBe('paused');
    expect(JSON.parse(h.consul.value('dtleJobList/dp-1') ?? '{}')).toEqual(expect.objectContaining({ job_id: 'dp-1', topic: '', job_steps: null }));
    expect(signals().sort()).toEqual((await allocIds('dp-1')).map((id) => `/v1/client/allocation/${id}/signal`));
    const raw = (await (await fetch(`${h.sim.url}/v1/job/dp-1`)).json()) as { Stop: boolean; Status: string };
    expect([raw.Stop, raw.Status]).toEqual([false, 'running']);
    expect(await status('dp-1')).toEqual(['pause', 'pause']);
    // the runners are off: nothing is copied
    const before = h.consul.value('dtle/dp-1/Gtid');
    h.sim.advanceReplication(5000);
    expect(h.consul.value('dtle/dp-1/Gtid')).toBe(before);
    // a second pause changes nothing
    const again = record(await request(app()).put('/v1/job/dp-1/pause'));
    expect([again.body.Success, again.body.Index]).toEqual([false, 0]);
  });

  it('resume: the flag non-paused, the signal resume, the copy goes on; a second resume changes nothing', async () => {
    await create('dp-2');
    await request(app()).put('/v1/job/dp-2/pause');
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/dp-2/resume'));
    expect(res.body.Success).toBe(true);
    expect(flag('dp-2')).toBe('non-paused');
    expect(signals()).toHaveLength(2);
    expect(await status('dp-2')).toEqual(['running', 'running']);
    h.sim.advanceReplication(1000);
    expect(h.consul.value('dtle/dp-2/JobStage')).toBe('job_stage_incr');
    expect(record(await request(app()).put('/v1/job/dp-2/resume')).body.Success).toBe(false);
  });

  it("a job paused by dtle's own tools (its flag written as PauseJobV2 does) shows pause, and a legacy resume resumes it", async () => {
    await create('dp-3');
    h.consul.kv.put('dtleJobList/dp-3', Buffer.from(JSON.stringify({ job_id: 'dp-3', job_status: 'paused', topic: '', user: 'platform:admin' })));
    expect(await status('dp-3')).toEqual(['pause', 'pause']);
    expect(record(await request(app()).get('/v1/job/dp-3/pause')).body.Success).toBe(false);
    expect(record(await request(app()).post('/v1/job/dp-3/resume')).body.Success).toBe(true);
    expect(JSON.parse(h.consul.value('dtleJobList/dp-3') ?? '{}')).toEqual({ job_id: 'dp-3', job_status: 'non-paused', topic: '', user: 'platform:admin' });
  });

  it('a task that is not running cannot take the signal and needs none (it reads the flag when it starts): the pause holds', async () => {
    await create('dp-4');
    const [first] = await allocIds('dp-4');
    const rec = h.sim.state.allocs.get(first ?? '');
    if (!rec) throw new Error('no allocation');
    const states = Object.fromEntries(Object.entries(rec.alloc.TaskStates ?? {}).map(([k, st]) => [k, { ...st, State: 'pending' }]));
    rec.alloc = { ...rec.alloc, TaskStates: states };
    const res = record(await request(app()).put('/v1/job/dp-4/pause'));
    expect(res.body.Success).toBe(true);
    expect(flag('dp-4')).toBe('paused');
  });

  it('a signal Nomad refuses fails the pause with Nomad\'s answer and takes the flag back, as PauseJobV2 does', async () => {
    await create('dp-5');
    const post = jest.spyOn(h.nomad, 'post').mockRejectedValueOnce(new NomadError('http', 403, 'Permission denied', '/v1/client/allocation/x/signal'));
    try {
      const res = record(await request(app()).put('/v1/job/dp-5/pause'));
      expect([res.status, res.text]).toEqual([403, 'Permission denied']);
    } finally {
      post.mockRestore();
    }
    expect(flag('dp-5')).toBe('non-paused');
    expect(await status('dp-5')).toEqual(['running', 'running']);
  });

  it('Consul down: the pause fails naming Consul (502) and nothing is signalled', async () => {
    await create('dp-6');
    await h.consul.goAway();
    h.sim.resetCalls();
    const res = record(await request(app()).put('/v1/job/dp-6/pause'));
    expect(res.status).toBe(502);
    expect(res.text).toMatch(/^cannot reach Consul at http:\/\/127\.0\.0\.1:\d+: /);
    expect(signals()).toEqual([]);
  });
});

describe('which mechanism auto picks', () => {
  const probe = (harness: Harness, mechanism: 'auto' | 'dtle' | 'emulate' = 'auto') =>
    new DialectProbe({ config: { ...harness.config, pause_mechanism: mechanism }, nomad: harness.nomad });

  it.each([
    [[{ name: 'a', dtleVersion: '4.22.07.2' }], 'dtle'],
    [[{ name: 'a', dtleVersion: '4.23.04.3' }], 'dtle'],
    [[{ name: 'a', dtleVersion: '3.21.10.0' }], 'emulate'],
    [[{ name: 'a', dtleVersion: '3.21.10.0' }, { name: 'b', dtleVersion: '4.23.04.3' }], 'emulate'],
    [[{ name: 'a', dtleVersion: null }], 'emulate'],
  ])('nodes %j → %s', async (nodes, mechanism) => {
    h = await startHarness({}, { nodes });
    await expect(probe(h).pauseMechanism({}, true)).resolves.toBe(mechanism);
  });

  it('no Consul: the emulation; a configured mechanism wins; one node read serves the dialect and the mechanism', async () => {
    h = await startHarness({}, { nodes: [{ name: 'a', dtleVersion: '4.23.04.3' }] });
    const p = probe(h);
    h.sim.resetCalls();
    await expect(p.pauseMechanism({}, false)).resolves.toBe('emulate');
    await expect(p.pauseMechanism({}, true)).resolves.toBe('dtle');
    await expect(p.dialect({})).resolves.toBe('src-only');
    expect(h.sim.calls.filter((c) => c.path === '/v1/nodes')).toHaveLength(1);
    await expect(probe(h, 'emulate').pauseMechanism({}, true)).resolves.toBe('emulate');
    await expect(probe(h, 'dtle').pauseMechanism({}, false)).resolves.toBe('dtle');
  });

  it('a dtle 3.x cluster pauses by the emulation even with Consul: stopped, spec saved', async () => {
    h = await startHarness({}, { nodes: [{ name: 'dtle', dtleVersion: '3.21.10.0' }] });
    await create('old-1');
    expect(record(await request(app()).put('/v1/job/old-1/pause')).body.Success).toBe(true);
    const raw = (await (await fetch(`${h.sim.url}/v1/job/old-1`)).json()) as { Stop: boolean };
    expect(raw.Stop).toBe(true);
    expect(h.consul.value('dtleJobList/old-1')).toBeNull();
    expect(record(await request(app()).put('/v1/job/old-1/resume')).body.Success).toBe(true);
  });
});
