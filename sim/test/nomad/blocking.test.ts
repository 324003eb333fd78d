import { dtleJob, sleep, startSim, type SimClient } from './helpers';

let c: SimClient;
beforeAll(async () => {
  c = await startSim();
  c.sim.registerJob(dtleJob('block-a'));
  c.sim.registerJob(dtleJob('block-b'));
});
afterAll(() => c.close());

const index = (h: Headers): number => Number(h.get('x-nomad-index'));

describe('blocking queries (?index=N&wait=D)', () => {
  it('answers at once without ?index, or when the index is already past N', async () => {
    const first = await c.get('/v1/jobs');
    const idx = index(first.headers);
    expect(idx).toBeGreaterThan(0);
    const t = Date.now();
    const res = await c.get(`/v1/jobs?index=${idx - 1}&wait=5s`);
    expect(Date.now() - t).toBeLessThan(500);
    expect(index(res.headers)).toBe(idx);
  });

  it('returns early when the table changes, with the new data and a higher index', async () => {
    const idx = index((await c.get('/v1/jobs')).headers);
    const t = Date.now();
    const blocked = c.get(`/v1/jobs?index=${idx}&wait=10s`);
    await sleep(150);
    c.sim.registerJob(dtleJob('block-new'));
    const res = await blocked;
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(2000);
    expect(index(res.headers)).toBeGreaterThan(idx);
    expect((res.json as Array<{ ID: string }>).map((j) => j.ID)).toContain('block-new');
  });

  it('returns after the wait with the same data and index when nothing changed', async () => {
    const idx = index((await c.get('/v1/jobs')).headers);
    const t = Date.now();
    const res = await c.get(`/v1/jobs?index=${idx}&wait=300ms`);
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    expect(res.status).toBe(200);
    expect(index(res.headers)).toBe(idx);
    expect(res.headers.get('x-nomad-knownleader')).toBe('true');
  });

  it('blocks on one job: another job changing does not wake it, its own change does', async () => {
    const a = await c.get('/v1/job/block-a');
    const idx = index(a.headers);
    expect(idx).toBe((a.json as { ModifyIndex: number }).ModifyIndex);
    const t = Date.now();
    const blocked = c.get(`/v1/job/block-a?index=${idx}&wait=2s`);
    await sleep(100);
    await c.send('PUT', '/v1/jobs', { Job: dtleJob('block-b', { Priority: 70 }) });
    await sleep(200);
    await c.send('DELETE', '/v1/job/block-a');
    const res = await blocked;
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    expect((res.json as { Stop: boolean }).Stop).toBe(true);
    expect(index(res.headers)).toBeGreaterThan(idx);
  });

  it('wakes an allocation query when the driver reports a stage', async () => {
    const list = await c.get('/v1/job/block-b/allocations');
    const idx = index(list.headers);
    const blocked = c.get(`/v1/job/block-b/allocations?index=${idx}&wait=5s`);
    await sleep(50);
    c.sim.setTaskStage('block-b', 'src', 'job_stage_incr');
    const res = await blocked;
    const src = (res.json as Array<{ TaskGroup: string; DesiredStatus: string; TaskStates: Record<string, { Events: Array<{ DriverMessage: string }> }> }>).find((x) => x.TaskGroup === 'src' && x.DesiredStatus === 'run');
    expect(src?.TaskStates.src?.Events.map((e) => e.DriverMessage)).toContain('job_stage_incr');
  });

  it('blocks variables and evaluations too', async () => {
    const v = await c.get('/v1/vars');
    const blocked = c.get(`/v1/vars?index=${index(v.headers)}&wait=5s`);
    await sleep(50);
    await c.send('PUT', '/v1/var/blocking/one', { Items: { a: '1' } });
    expect(((await blocked).json as Array<{ Path: string }>).map((x) => x.Path)).toEqual(['blocking/one']);
    const e = await c.get('/v1/evaluations');
    const evalBlocked = c.get(`/v1/evaluations?index=${index(e.headers)}&wait=5s`);
    await sleep(50);
    c.sim.registerJob(dtleJob('block-eval'));
    expect(((await evalBlocked).json as Array<{ JobID: string }>).some((x) => x.JobID === 'block-eval')).toBe(true);
  });

  it('caps the wait at blockingMaxWaitMs (and uses it when ?wait is missing)', async () => {
    const s = await startSim({ blockingMaxWaitMs: 200 });
    try {
      const idx = index((await s.get('/v1/nodes')).headers);
      let t = Date.now();
      await s.get(`/v1/nodes?index=${idx}&wait=10m`);
      expect(Date.now() - t).toBeLessThan(1000);
      t = Date.now();
      await s.get(`/v1/nodes?index=${idx}`);
      expect(Date.now() - t).toBeGreaterThanOrEqual(190);
      expect(Date.now() - t).toBeLessThan(1000);
    } finally {
      await s.close();
    }
  });

  it('parses Go durations and refuses bad ones as Nomad does', async () => {
    const idx = index((await c.get('/v1/nodes')).headers);
    const t = Date.now();
    await c.get(`/v1/nodes?index=${idx}&wait=0.2s`);
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    expect([(await c.get('/v1/jobs?wait=forever')).status, (await c.get('/v1/jobs?wait=forever')).text]).toEqual([400, 'Invalid wait time']);
    expect((await c.get('/v1/jobs?wait=5')).text).toBe('Invalid wait time');
    expect([(await c.get('/v1/jobs?index=abc')).status, (await c.get('/v1/jobs?index=-1')).text]).toEqual([400, 'Invalid index']);
    expect((await c.get('/v1/jobs?stale=maybe')).text).toBe('Expect `true` or `false` for `stale` query string parameter');
  });

  it('ends pending blocking queries when the simulator closes', async () => {
    const s = await startSim();
    const idx = index((await s.get('/v1/jobs')).headers);
    const pending = s.get(`/v1/jobs?index=${idx}&wait=60s`).then(
      (r) => r.status,
      () => 'closed',
    );
    await sleep(50);
    const t = Date.now();
    await s.close();
    await pending;
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
