/**
 * Tokens: a caller's X-Nomad-Token is what Nomad sees; without one the configured token is lent,
 * unless require_caller_token refuses (401) first; the configured token never comes back in a
 * body, a header, an error or a log line.
 */
import request from 'supertest';
import { noFaults } from '@dtle-compat/sim';
import { startHarness, type Harness } from '../support/harness';
import { canaryJob } from '../reliability/helpers';

const CONFIGURED = 'configured-secret-5b1e';
const CALLER = 'caller-secret-9c2d';

/** the token header of each call the simulator received since `from` */
function tokensSeen(h: Harness, from: number): Array<string | undefined> {
  return h.sim.callHeaders.slice(from).map((hd) => hd['x-nomad-token'] as string | undefined);
}

function expectNoConfiguredToken(h: Harness, res: request.Response): void {
  expect(res.text).not.toContain(CONFIGURED);
  expect(JSON.stringify(res.headers)).not.toContain(CONFIGURED);
  expect(h.logs.join('\n')).not.toContain(CONFIGURED);
}

describe('pass-through (require_caller_token false)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ nomad_token: CONFIGURED }, { aclToken: CONFIGURED });
    h.sim.seedDtleJobs(1);
  });
  afterAll(() => h.close());
  afterEach(() => Object.assign(h.sim.faults, noFaults()));

  it('lends the configured token to a caller without one', async () => {
    const from = h.sim.calls.length;
    const res = await request(h.built.app).get('/v1/job/sim-dtle-00001');
    expect(res.status).toBe(200);
    expect(tokensSeen(h, from)).toEqual([CONFIGURED]);
    expectNoConfiguredToken(h, res);
  });

  it("sends the caller's token, never the configured one, for reads, writes and fan-outs", async () => {
    const from = h.sim.calls.length;
    const list = await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', CALLER);
    // the simulated Nomad knows only the configured token
    expect([list.status, list.text]).toEqual([403, 'Permission denied']);
    const write = await request(h.built.app).post('/v1/jobs').set('X-Nomad-Token', CALLER).send(canaryJob('with-caller-token'));
    expect([write.status, write.text]).toEqual([403, 'Permission denied']);
    const seen = tokensSeen(h, from);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen)).toEqual(new Set([CALLER]));
    for (const res of [list, write]) expectNoConfiguredToken(h, res);
  });

  it('does not echo the configured token when Nomad quotes it in an error', async () => {
    h.sim.faults.status = 403;
    h.sim.faults.statusBody = `ACL token ${CONFIGURED} has expired`;
    const res = await request(h.built.app).get('/v1/job/sim-dtle-00001');
    expect([res.status, res.text]).toEqual([403, 'ACL token * has expired']);
    h.sim.faults.status = 500;
    h.sim.faults.statusBody = `rpc error: token ${CONFIGURED}: Permission denied`;
    const other = await request(h.built.app).get('/v1/nodes');
    expect([other.status, other.text]).toEqual([500, 'rpc error: token *: Permission denied']);
    h.sim.faults.status = 403;
    h.sim.faults.statusBody = `ACL token ${CONFIGURED} has expired`;
    const proxied = await request(h.built.app).put('/v1/join?address=10.0.0.2');
    expect([proxied.status, proxied.text]).toEqual([403, 'ACL token * has expired']);
    for (const r of [res, other, proxied]) expectNoConfiguredToken(h, r);
  });

  it("does not echo or log the caller's token when Nomad quotes it", async () => {
    h.sim.faults.status = 403;
    h.sim.faults.statusBody = `ACL token ${CALLER} not found`;
    const res = await request(h.built.app).get('/v1/jobs').set('X-Nomad-Token', CALLER);
    expect([res.status, res.text]).toEqual([403, 'ACL token * not found']);
    expect(h.logs.join('\n')).not.toContain(CALLER);
  });
});

describe('require_caller_token: true', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ nomad_token: CONFIGURED, require_caller_token: true }, { aclToken: CONFIGURED });
    h.sim.seedDtleJobs(1);
  });
  afterAll(() => h.close());

  const MISSING = 'missing X-Nomad-Token: this service requires callers to send their own Nomad token';
  const routes: Array<[string, string]> = [
    ['GET', '/v1/jobs'],
    ['POST', '/v1/jobs'],
    ['GET', '/v1/job/sim-dtle-00001'],
    ['DELETE', '/v1/job/sim-dtle-00001'],
    ['GET', '/v1/job/sim-dtle-00001/allocations'],
    ['PUT', '/v1/job/sim-dtle-00001/pause'],
    ['GET', '/v1/allocations'],
    ['GET', '/v1/agent/allocation/x/stats'],
    ['GET', '/v1/nodes'],
    ['GET', '/v1/members'],
    ['GET', '/v1/leader'],
    ['GET', '/v1/self'],
    ['PUT', '/v1/join?address=10.0.0.2'],
    ['GET', '/v1/managers'],
    ['POST', '/v1/validate/job'],
  ];

  it.each(routes)('%s %s without a token: 401, and Nomad is not called', async (method, path) => {
    const from = h.sim.calls.length;
    for (const token of [undefined, '']) {
      let req = request(h.built.app)[method.toLowerCase() as 'get'](path);
      if (token !== undefined) req = req.set('X-Nomad-Token', token);
      if (method !== 'GET' && method !== 'DELETE') req = req.send(canaryJob('refused'));
      const res = await req;
      expect([res.status, res.headers['content-type'], res.text]).toEqual([401, 'text/plain; charset=utf-8', MISSING]);
      expectNoConfiguredToken(h, res);
    }
    expect(h.sim.calls.length).toBe(from);
  });

  it("with a token, Nomad sees the caller's token only", async () => {
    const from = h.sim.calls.length;
    const res = await request(h.built.app).get('/v1/job/sim-dtle-00001').set('X-Nomad-Token', CONFIGURED);
    expect(res.status).toBe(200);
    const denied = await request(h.built.app).get('/v1/nodes').set('X-Nomad-Token', CALLER);
    expect([denied.status, denied.text]).toEqual([403, 'Permission denied']);
    expect(tokensSeen(h, from)).toEqual([CONFIGURED, CALLER]);
  });
});
