/**
 * DELETE /v1/job/{ID} removes the job's dtle state from Consul as dtle's own delete (DestroyJob)
 * does and as 2.x behaved: a job re-created under its name starts from the Gtid it posts, not from
 * the one dtle kept. A setting keeps the state; a cleanup that failed says so and can be retried.
 */
import request from 'supertest';
import type { LegacyJob } from '../../src/legacy/types';
import { canaryJob } from '../reliability/helpers';
import { record, startHarness, type Harness } from '../support/harness';
import type { Config } from '../../src/config';

let h: Harness;
afterEach(async () => h.close());
const app = () => h.built.app;
const start = async (over: Partial<Config> = {}) => {
  // seed 003's tasks are pinned to NodeName "dtle"
  h = await startHarness(over, { nodes: [{ name: 'dtle' }] });
};

function jobWithGtid(id: string, gtid: string): LegacyJob {
  const job = canaryJob(id);
  return { ...job, Tasks: job.Tasks.map((t) => ({ ...t, Config: { ...t.Config, Gtid: gtid } })) };
}
async function create(job: LegacyJob): Promise<void> {
  expect(record(await request(app()).post('/v1/jobs').send(JSON.stringify(job))).status).toBe(200);
}
const GTID_A = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171';
const GTID_B = '11111111-2222-3333-4444-555555555555:1-7';

describe('DELETE and dtle\'s state', () => {
  it('removes dtle/<job>/ and dtleJobList/<job>; the job re-created with its name starts from the posted Gtid', async () => {
    await start();
    await create(jobWithGtid('del-a', GTID_A));
    h.sim.advanceReplication(5000);
    await request(app()).put('/v1/job/del-a/pause');
    expect(h.consul.keys('dtle/del-a/')).toEqual(expect.arrayContaining(['dtle/del-a/Gtid', 'dtle/del-a/Config', 'dtle/del-a/NatsAddr']));
    expect(h.consul.value('dtleJobList/del-a')).not.toBeNull();
    h.consul.kv.put('dtle/del-a-other/Gtid', Buffer.from('another job'));
    const res = record(await request(app()).delete('/v1/job/del-a'));
    expect([res.status, res.body.Success]).toEqual([200, true]);
    expect(h.consul.keys('dtle/del-a/')).toEqual([]);
    expect(h.consul.value('dtleJobList/del-a')).toBeNull();
    expect(h.consul.value('dtle/del-a-other/Gtid')).toBe('another job');
    await create(jobWithGtid('del-a', GTID_B));
    h.sim.advanceReplication(1000);
    expect(h.consul.value('dtle/del-a/Gtid')).toBe(GTID_B);
    const stats = record(await request(app()).get(`/v1/agent/allocation/${(await allocIds('del-a'))[0]}/stats`));
    expect(stats.body.Tasks.Src.CurrentCoordinates.GtidSet).toBe(GTID_B);
  });

  it('delete_consul_state false keeps it: the re-created job resumes from the kept Gtid, as dtle does', async () => {
    await start({ delete_consul_state: false });
    await create(jobWithGtid('del-k', GTID_A));
    h.sim.advanceReplication(1000);
    await request(app()).delete('/v1/job/del-k');
    expect(h.consul.value('dtle/del-k/Gtid')).toBe(GTID_A);
    await create(jobWithGtid('del-k', GTID_B));
    h.sim.advanceReplication(1000);
    expect(h.consul.value('dtle/del-k/Gtid')).toBe(GTID_A);
  });

  it('waits for the tasks that ran to stop before it removes their state (purge_on_delete false: the job stays, stopped)', async () => {
    await start({ purge_on_delete: false });
    await create(jobWithGtid('del-w', GTID_A));
    const ids = await allocIds('del-w');
    h.sim.resetCalls();
    expect(record(await request(app()).delete('/v1/job/del-w')).status).toBe(200);
    const reads = h.sim.calls.filter((c) => c.method === 'GET' && c.path.startsWith('/v1/allocation/')).map((c) => c.path);
    expect(reads.sort()).toEqual(ids.map((id) => `/v1/allocation/${id}`).sort());
    const deregister = h.sim.calls.findIndex((c) => c.method === 'DELETE');
    expect(h.sim.calls.findIndex((c) => c.path.startsWith('/v1/allocation/'))).toBeGreaterThan(deregister);
    expect(h.consul.keys('dtle/del-w/')).toEqual([]);
  });

  it('a job paused by the emulation loses its state only with its saved spec', async () => {
    await start({ pause_mechanism: 'emulate' });
    await create(jobWithGtid('del-p', GTID_A));
    h.sim.advanceReplication(1000);
    expect(record(await request(app()).put('/v1/job/del-p/pause')).body.Success).toBe(true);
    // the emulation's stop is no delete: dtle's state stays for the resume
    expect(h.consul.value('dtle/del-p/Gtid')).toBe(GTID_A);
    expect(record(await request(app()).delete('/v1/job/del-p')).status).toBe(200);
    expect((await fetch(`${h.sim.url}/v1/var/dtle-compat/paused/del-p`)).status).toBe(404);
    expect(h.consul.keys('dtle/del-p/')).toEqual([]);
  });

  it('Consul down: 502 saying the job is deleted and its state is not; the same DELETE retries the cleanup', async () => {
    await start();
    await create(jobWithGtid('del-f', GTID_A));
    h.sim.advanceReplication(1000);
    await h.consul.goAway();
    const res = record(await request(app()).delete('/v1/job/del-f'));
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toMatch(
      /^job "del-f" is deleted, but its dtle state in Consul \(dtle\/del-f\/, dtleJobList\/del-f\) is not: cannot reach Consul at http:\/\/127\.0\.0\.1:\d+: .*; DELETE the job again to retry$/,
    );
    expect((await fetch(`${h.sim.url}/v1/job/del-f`)).status).toBe(404);
    await h.consul.listen(Number(new URL(h.consul.url).port));
    expect(h.consul.value('dtle/del-f/Gtid')).toBe(GTID_A);
    const again = record(await request(app()).delete('/v1/job/del-f'));
    expect([again.status, again.body.Success]).toEqual([200, true]);
    expect(h.consul.keys('dtle/del-f/')).toEqual([]);
    // nothing left to retry: the job is simply missing (2.x's Success), and Consul is not asked to delete anything
    h.consul.resetCalls();
    expect(record(await request(app()).delete('/v1/job/del-f')).status).toBe(200);
    expect(h.consul.calls.filter((c) => c.method === 'DELETE')).toEqual([]);
  });

  it('Consul slow: 504', async () => {
    await start({ consul_timeout_ms: 100 });
    await create(jobWithGtid('del-s', GTID_A));
    h.consul.faults.delayMs = 400;
    const res = record(await request(app()).delete('/v1/job/del-s'));
    expect(res.status).toBe(504);
    expect(res.text).toContain('no answer from Consul at');
  });
});

async function allocIds(id: string): Promise<string[]> {
  const all = (await (await fetch(`${h.sim.url}/v1/job/${id}/allocations`)).json()) as Array<{ ID: string; TaskGroup: string; ClientStatus: string }>;
  return all.filter((a) => a.ClientStatus === 'running').sort((a, b) => (a.TaskGroup === 'src' ? -1 : b.TaskGroup === 'src' ? 1 : 0)).map((a) => a.ID);
}
