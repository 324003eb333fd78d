/**
 * Upstream faults, each against the simulated Nomad: the status and body a legacy caller gets,
 * that nothing is half done, and that the next normal request succeeds once the fault is gone.
 */
import request from 'supertest';
import { noFaults } from '@dtle-compat/sim';
import { record, startHarness, type Harness } from '../support/harness';
import { canaryJob, simJobIds, simWrites } from './helpers';

let h: Harness;
// short enough for a quick test, long enough that a normal call on a busy machine never hits it
const TIMEOUT_MS = 1000;

beforeAll(async () => {
  h = await startHarness({ nomad_timeout_ms: TIMEOUT_MS });
  const res = await request(h.built.app).post('/v1/jobs').send(canaryJob('fault-job'));
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  Object.assign(h.sim.faults, noFaults());
});

const app = () => h.built.app;

/** The next normal requests answer as usual. */
async function expectHealthy(): Promise<void> {
  Object.assign(h.sim.faults, noFaults());
  const job = record(await request(app()).get('/v1/job/fault-job'));
  expect([job.status, (job.body as { ID: string }).ID]).toEqual([200, 'fault-job']);
  const list = record(await request(app()).get('/v1/jobs'));
  expect(list.status).toBe(200);
  expect((list.body as Array<{ ID: string }>).map((j) => j.ID)).toEqual(['fault-job']);
  const leader = await request(app()).get('/v1/leader');
  expect([leader.status, leader.body]).toEqual([200, '127.0.0.1:4647']);
}

/** Sends a registration under a fault and checks it registered nothing. */
async function registerUnder(): Promise<request.Response> {
  const jobsBefore = simJobIds(h.sim);
  const res = record(await request(app()).post('/v1/jobs').send(canaryJob('written-under-fault')));
  Object.assign(h.sim.faults, noFaults());
  expect(simJobIds(h.sim)).toEqual(jobsBefore);
  return res;
}

function expectText(res: request.Response, status: number, body: string | RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  if (typeof body === 'string') expect(res.text).toBe(body);
  else expect(res.text).toMatch(body);
}

describe('Nomad answers an error status', () => {
  it.each([
    [500, 'rpc error: eval broker disabled'],
    [503, 'service unavailable: agent is shutting down'],
    [429, 'Too many requests'],
  ])('%i with a message: passed on with the message', async (status, message) => {
    h.sim.faults.status = status;
    h.sim.faults.statusBody = message;
    expectText(record(await request(app()).get('/v1/job/fault-job')), status, message);
    h.sim.faults.status = status;
    expectText(record(await request(app()).get('/v1/jobs')), status, message);
    h.sim.faults.status = status;
    expectText(record(await request(app()).get('/v1/nodes')), status, message);
    await expectHealthy();
  });

  it('403: 2.x style, the status and Nomad\'s plain text', async () => {
    h.sim.faults.status = 403;
    h.sim.faults.statusBody = 'Permission denied';
    expectText(record(await request(app()).get('/v1/job/fault-job')), 403, 'Permission denied');
    h.sim.faults.status = 403;
    expectText(record(await request(app()).get('/v1/jobs')), 403, 'Permission denied');
    h.sim.faults.status = 403;
    expectText(await registerUnder(), 403, 'Permission denied');
    await expectHealthy();
  });

  it('a Nomad error that echoes a job spec comes back masked', async () => {
    h.sim.faults.status = 500;
    h.sim.faults.statusBody = '1 error occurred:\n\t* task "src": config {"Host":"10.0.0.1","Password":"CANARY-pw-7f3a","User":"u"} invalid';
    const res = record(await request(app()).get('/v1/job/fault-job'));
    expectText(res, 500, '1 error occurred:\n\t* task "src": config {"Host":"10.0.0.1","Password":"*","User":"u"} invalid');
    h.sim.faults.status = 400;
    h.sim.faults.statusBody = 'map[ConnectionConfig:map[Host:h Password:CANARY-pw-7f3a]] is invalid';
    expectText(await registerUnder(), 400, 'map[ConnectionConfig:map[Host:h Password:*]] is invalid');
    expect(h.logs.join('\n')).not.toContain('CANARY-pw-7f3a');
    await expectHealthy();
  });
});

describe('Nomad answers something that is not Nomad JSON', () => {
  it('malformed JSON: 502 naming the call, logged', async () => {
    h.sim.faults.malformed = true;
    const logsBefore = h.logs.length;
    expectText(record(await request(app()).get('/v1/job/fault-job')), 502, 'answer to GET /v1/job/fault-job is not valid JSON');
    const warned = h.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'nomad call failed');
    expect(warned).toEqual([
      expect.objectContaining({ level: 'warn', kind: 'malformed', path: '/v1/job/fault-job', upstream_status: 200, reason: 'answer to GET /v1/job/fault-job is not valid JSON' }),
    ]);
    h.sim.faults.malformed = true;
    expectText(record(await request(app()).get('/v1/nodes')), 502, 'answer to GET /v1/nodes is not valid JSON');
    await expectHealthy();
  });

  it('a truncated answer (connection ends mid-body): 502, logged', async () => {
    h.sim.faults.truncated = true;
    const logsBefore = h.logs.length;
    const res = record(await request(app()).get('/v1/job/fault-job'));
    expectText(res, 502, `the answer of Nomad at ${h.sim.url} broke off before its end`);
    const warned = h.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'nomad call failed');
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', kind: 'unreachable', path: '/v1/job/fault-job' })]);
    await expectHealthy();
  });
});

describe('Nomad is slow or gone', () => {
  it(`slower than nomad_timeout_ms (${TIMEOUT_MS} ms): 504, for reads and writes (a write whose first read timed out sends nothing)`, async () => {
    h.sim.faults.delayMs = TIMEOUT_MS * 2.5;
    const url = h.sim.url;
    expectText(record(await request(app()).get('/v1/job/fault-job')), 504, `no answer from ${url} within the timeout`);
    expectText(record(await request(app()).get('/v1/leader')), 504, `no answer from ${url} within the timeout`);
    const writesBefore = simWrites(h.sim).length;
    h.sim.faults.delayMs = TIMEOUT_MS * 2.5;
    const res = record(await request(app()).delete('/v1/job/fault-job'));
    expectText(res, 504, `no answer from ${url} within the timeout`);
    // the read before the delete timed out: no delete was sent
    expect(simWrites(h.sim).length).toBe(writesBefore);
    // the late answers still arrive at a closed socket; the service does not mind
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 2.5));
    await expectHealthy();
  });

  it('the connection dies mid-request: 502 with the reason, then recovers', async () => {
    h.sim.faults.hangUp = true;
    expectText(record(await request(app()).get('/v1/job/fault-job')), 502, `cannot reach Nomad at ${h.sim.url}: socket hang up`);
    h.sim.faults.hangUp = true;
    expectText(await registerUnder(), 502, `cannot reach Nomad at ${h.sim.url}: socket hang up`);
    await expectHealthy();
  });

  it('no cluster leader: 503, for reads and writes; nothing registered', async () => {
    h.sim.faults.noLeader = true;
    expectText(record(await request(app()).get('/v1/job/fault-job')), 503, 'No cluster leader');
    h.sim.faults.noLeader = true;
    expectText(record(await request(app()).get('/v1/jobs')), 503, 'No cluster leader');
    h.sim.faults.noLeader = true;
    expectText(await registerUnder(), 503, 'No cluster leader');
    await expectHealthy();
  });
});
