/**
 * A real Nomad agent with ACLs on (bootstrapped by globalSetup): the caller's X-Nomad-Token is
 * passed through; a missing or unknown token, or one whose policy does not allow the call, gives
 * the 2.x-style error: the status Nomad gave (403) and Nomad's reason as plain text.
 */
import request from 'supertest';
import { SimNomad } from '@dtle-compat/sim';
import type { LegacyJob, LegacyJobListStub } from '../../src/legacy/types';
import { aclNomadAddr, aclToken, CANARY, legacyJob, nomadCall, record, startCompat, storedPasswords, type Compat } from './helpers';

let c: Compat;
const app = () => c.built.app;
const ID = 'e2e-acl-1';
let readOnly = '';

beforeAll(async () => {
  c = startCompat(aclNomadAddr(), { nomad_token: '' });
  const policy = await nomadCall(
    aclNomadAddr(),
    'POST',
    '/v1/acl/policy/e2e-read',
    { Name: 'e2e-read', Rules: 'namespace "default" { policy = "read" }\nnode { policy = "read" }\nagent { policy = "read" }' },
    aclToken(),
  );
  expect(policy.status).toBe(200);
  const token = await nomadCall(aclNomadAddr(), 'POST', '/v1/acl/token', { Name: 'e2e-read', Type: 'client', Policies: ['e2e-read'] }, aclToken());
  expect(token.status).toBe(200);
  readOnly = (token.json as { SecretID: string }).SecretID;
});
afterAll(async () => {
  await nomadCall(aclNomadAddr(), 'DELETE', `/v1/job/${ID}?purge=true`, undefined, aclToken());
  c.close();
});

/** 2.x's error answer: a status and a plain-text body */
function expectError(res: { status: number; text: string; headers: Record<string, string> }, status: number, text: string): void {
  expect([res.status, res.text]).toEqual([status, text]);
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
}

describe('with the caller\'s token', () => {
  it('registers, lists and reads a job (passwords masked); Nomad stores the real ones', async () => {
    const reg = record(await request(app()).post('/v1/jobs').set('X-Nomad-Token', aclToken()).send(legacyJob(ID)));
    expect(reg.status).toBe(200);
    expect((reg.body as { Success: boolean }).Success).toBe(true);
    const list = record(await request(app()).get('/v1/jobs').set('X-Nomad-Token', aclToken()));
    expect(list.status).toBe(200);
    expect((list.body as LegacyJobListStub[]).map((j) => j.ID)).toEqual([ID]);
    expect(list.text).not.toContain(CANARY);
    const detail = record(await request(app()).get(`/v1/job/${ID}`).set('X-Nomad-Token', aclToken()));
    expect(detail.status).toBe(200);
    expect((detail.body as LegacyJob).Tasks.map((t) => (t.Config.ConnectionConfig as { Password: string }).Password)).toEqual(['*', '*']);
    const stored = await nomadCall(aclNomadAddr(), 'GET', `/v1/job/${ID}`, undefined, aclToken());
    expect(storedPasswords(stored.json)).toEqual({ src: CANARY, dest: CANARY });
  });

  it('a read-only token reads but may not write: Nomad\'s 403', async () => {
    const list = record(await request(app()).get('/v1/jobs').set('X-Nomad-Token', readOnly));
    expect(list.status).toBe(200);
    expect((list.body as LegacyJobListStub[]).map((j) => j.ID)).toEqual([ID]);
    const nodes = record(await request(app()).get('/v1/nodes').set('X-Nomad-Token', readOnly));
    expect(nodes.status).toBe(200);
    expectError(record(await request(app()).post('/v1/jobs').set('X-Nomad-Token', readOnly).send(legacyJob('e2e-acl-denied'))), 403, 'Permission denied');
    expectError(record(await request(app()).delete(`/v1/job/${ID}`).set('X-Nomad-Token', readOnly)), 403, 'Permission denied');
    expect((await nomadCall(aclNomadAddr(), 'GET', '/v1/job/e2e-acl-denied', undefined, aclToken())).status).toBe(404);
  });

  it('pause and resume work with the caller\'s token (the saved spec is a Nomad Variable under ACLs)', async () => {
    const paused = record(await request(app()).put(`/v1/job/${ID}/pause`).set('X-Nomad-Token', aclToken()));
    expect([paused.status, (paused.body as { Success: boolean }).Success]).toEqual([200, true]);
    const listed = record(await request(app()).get('/v1/jobs').set('X-Nomad-Token', aclToken()));
    expect((listed.body as LegacyJobListStub[]).find((j) => j.ID === ID)?.Status).toBe('pause');
    const resumed = record(await request(app()).put(`/v1/job/${ID}/resume`).set('X-Nomad-Token', aclToken()));
    expect([resumed.status, (resumed.body as { Success: boolean }).Success]).toEqual([200, true]);
    const stored = await nomadCall(aclNomadAddr(), 'GET', `/v1/job/${ID}`, undefined, aclToken());
    expect((stored.json as { Stop: boolean }).Stop).toBe(false);
    expect(storedPasswords(stored.json)).toEqual({ src: CANARY, dest: CANARY });
  });
});

describe('without a valid token', () => {
  it('no token: 403 Permission denied, as text', async () => {
    for (const p of ['/v1/jobs', `/v1/job/${ID}`, '/v1/nodes', '/v1/allocations', '/v1/evaluations', '/v1/members']) {
      expectError(record(await request(app()).get(p)), 403, 'Permission denied');
    }
    expectError(record(await request(app()).post('/v1/jobs').send(legacyJob('e2e-acl-anon'))), 403, 'Permission denied');
  });

  it('an unknown token: 403 Permission denied, as for no token (Nomad 1.11 does not say the token is unknown)', async () => {
    const bad = '00000000-1111-2222-3333-444444444444';
    for (const p of ['/v1/jobs', `/v1/job/${ID}`, '/v1/nodes']) {
      expectError(record(await request(app()).get(p).set('X-Nomad-Token', bad)), 403, 'Permission denied');
    }
    expectError(record(await request(app()).put(`/v1/job/${ID}/pause`).set('X-Nomad-Token', bad)), 403, 'Permission denied');
  });

  it('the simulator with ACLs answers the same refusals (drift check)', async () => {
    const sim = new SimNomad({ aclToken: '5e1f0000-0000-4000-8000-000000000001' });
    const simCompat = startCompat(await sim.listen(), { nomad_token: '' });
    try {
      for (const token of [undefined, '00000000-1111-2222-3333-444444444444']) {
        for (const p of ['/v1/jobs', '/v1/nodes', `/v1/job/${ID}`]) {
          const ask = (a: typeof app) => {
            const r = request(a()).get(p);
            return token ? r.set('X-Nomad-Token', token) : r;
          };
          const real = record(await ask(app));
          const simulated = record(await ask(() => simCompat.built.app));
          expect([simulated.status, simulated.text]).toEqual([real.status, real.text]);
        }
      }
    } finally {
      simCompat.close();
      await sim.close();
    }
  });

  it('the status endpoints need no token, as on Nomad', async () => {
    const leader = record(await request(app()).get('/v1/leader'));
    expect(leader.status).toBe(200);
    expect(leader.body).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(record(await request(app()).get('/v1/regions')).body).toEqual(['global']);
  });

  it('the configured nomad_token stands in for a caller without one', async () => {
    const lent = startCompat(aclNomadAddr(), { nomad_token: aclToken() });
    try {
      const res = record(await request(lent.built.app).get('/v1/jobs'));
      expect(res.status).toBe(200);
      expect((res.body as LegacyJobListStub[]).map((j) => j.ID)).toEqual([ID]);
      // a caller's own (bad) token wins over the configured one
      expectError(record(await request(lent.built.app).get('/v1/jobs').set('X-Nomad-Token', 'not-a-token')), 403, 'Permission denied');
    } finally {
      lent.close();
    }
  });

  it('require_caller_token refuses a caller without a token with 401 before Nomad is asked', async () => {
    const strict = startCompat(aclNomadAddr(), { nomad_token: aclToken(), require_caller_token: true });
    try {
      const res = record(await request(strict.built.app).get('/v1/jobs'));
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/^missing X-Nomad-Token/);
    } finally {
      strict.close();
    }
  });
});
