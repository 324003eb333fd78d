/**
 * The replica (config `replica`) against real Nomad agents: it subscribes to the real event
 * stream, answers repeated reads without Nomad calls, sees a write through the service at once and
 * a change made straight to Nomad once its event arrives, wakes blocking queries on events; with a
 * token Nomad refuses the stream to, every read goes to Nomad.
 */
import request from 'supertest';
import type { LegacyJobListStub } from '../../src/legacy/types';
import { aclNomadAddr, aclToken, legacyJob, nomadAddr, nomadCall, record, standinJob, startCompat, waitFor, type Compat } from './helpers';

/** Nomad calls the service has made so far (its own metrics), but the replica's leader probe. */
async function upstreamCalls(c: Compat): Promise<number> {
  const m = await c.built.metrics.upstreamSeconds.get();
  return m.values.filter((v) => v.metricName === 'dtle_compat_upstream_request_duration_seconds_count' && v.labels.op !== 'replica.probe').reduce((n, v) => n + v.value, 0);
}

const IDS = ['e2e-replica-1', 'e2e-replica-direct', 'e2e-replica-block'];

describe('against the raw_exec agent', () => {
  let c: Compat;
  const app = () => c.built.app;
  beforeAll(async () => {
    c = startCompat(nomadAddr(), { replica: true });
    await waitFor('the event stream subscribed', async () => (c.built.services.replica?.streamUp ? true : undefined), 15_000);
  });
  afterAll(async () => {
    for (const id of IDS) await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${id}?purge=true`);
    c.close();
  });

  it('a write through the service is read at once; repeated reads then cost Nomad no call', async () => {
    const reg = record(await request(app()).post('/v1/jobs').send(legacyJob('e2e-replica-1')));
    expect(reg.status).toBe(200);
    const job = record(await request(app()).get('/v1/job/e2e-replica-1'));
    expect(job.status).toBe(200);
    const list = record(await request(app()).get('/v1/jobs'));
    expect((list.body as LegacyJobListStub[]).map((j) => j.ID)).toContain('e2e-replica-1');
    // let the scheduler's writes for the new job (evaluation, plan) pass, then read until nothing moves
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of ['/v1/jobs', '/v1/job/e2e-replica-1', '/v1/nodes']) expect((await request(app()).get(p)).status).toBe(200);
    const before = await upstreamCalls(c);
    const again = [];
    for (let i = 0; i < 5; i++) for (const p of ['/v1/jobs', '/v1/job/e2e-replica-1', '/v1/nodes']) again.push(record(await request(app()).get(p)));
    expect(again.every((r) => r.status === 200)).toBe(true);
    expect(await upstreamCalls(c)).toBe(before);
  });

  it('a job registered straight into Nomad shows once its event has arrived, and wakes a blocking query', async () => {
    const first = record(await request(app()).get('/v1/jobs'));
    const index = String(first.headers['x-udup-index']);
    const pending = request(app()).get(`/v1/jobs?index=${index}&wait=20s`).then((r) => r);
    await new Promise((r) => setTimeout(r, 300));
    const direct = await nomadCall(nomadAddr(), 'PUT', '/v1/jobs', { Job: standinJob('e2e-replica-direct') });
    expect(direct.status).toBe(200);
    const woke = record(await pending);
    expect(woke.status).toBe(200);
    expect(Number(woke.headers['x-udup-index'])).toBeGreaterThan(Number(index));
    expect((woke.body as LegacyJobListStub[]).map((j) => j.ID)).toContain('e2e-replica-direct');
    // what Nomad answers now, the replica answers too
    const nomadList = await nomadCall(nomadAddr(), 'GET', '/v1/jobs');
    await waitFor('the same index as Nomad', async () => {
      const res = await request(app()).get('/v1/jobs');
      return res.headers['x-udup-index'] === nomadList.headers.get('x-nomad-index') ? true : undefined;
    }, 10_000);
  });
});

describe('against the ACL agent', () => {
  it('with the management token the stream is had; with a token without node:read it is refused and reads go to Nomad', async () => {
    const policy = await nomadCall(aclNomadAddr(), 'POST', '/v1/acl/policy/e2e-replica-jobs', { Name: 'e2e-replica-jobs', Rules: 'namespace "default" { policy = "read" }' }, aclToken());
    expect(policy.status).toBe(200);
    const token = await nomadCall(aclNomadAddr(), 'POST', '/v1/acl/token', { Name: 'e2e-replica-jobs', Type: 'client', Policies: ['e2e-replica-jobs'] }, aclToken());
    const jobsOnly = (token.json as { SecretID: string }).SecretID;

    const managed = startCompat(aclNomadAddr(), { replica: true, nomad_token: aclToken() });
    const limited = startCompat(aclNomadAddr(), { replica: true, nomad_token: jobsOnly });
    try {
      await waitFor('the event stream subscribed', async () => (managed.built.services.replica?.streamUp ? true : undefined), 15_000);
      // Nomad 1.11.3 answers the refused subscription 200 and then nothing: give it the time the managed one took, and more
      await new Promise((r) => setTimeout(r, 1000));
      expect(limited.built.services.replica?.streamUp).toBe(false);
      const before = await upstreamCalls(limited);
      for (let i = 0; i < 3; i++) expect(record(await request(limited.built.app).get('/v1/jobs')).status).toBe(200);
      expect(await upstreamCalls(limited)).toBeGreaterThanOrEqual(before + 3);
      // a caller's own token is answered by Nomad even where the replica runs
      expect(record(await request(managed.built.app).get('/v1/jobs').set('X-Nomad-Token', 'not-a-token-00000000')).status).toBe(403);
    } finally {
      managed.close();
      limited.close();
    }
  });
});
