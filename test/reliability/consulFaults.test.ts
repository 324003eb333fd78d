/**
 * Consul faults, each against the simulated Consul: the routes still answer with what Nomad gives
 * (never a 5xx for a read that lost only Consul), the failure is logged once per streak and
 * counted in /metrics, and the next read after the fault has Consul's fields again.
 */
import request from 'supertest';
import { noFaults } from '@dtle-compat/sim';
import { record, startHarness, type Harness } from '../support/harness';
import { canaryJob } from './helpers';

let h: Harness;
const CONSUL_TIMEOUT_MS = 300;
const GTID = '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171';
let src = '';

beforeAll(async () => {
  // seed 003's tasks are pinned to NodeName "dtle"
  h = await startHarness({ consul_timeout_ms: CONSUL_TIMEOUT_MS }, { nodes: [{ name: 'dtle' }] });
  expect(record(await request(h.built.app).post('/v1/jobs').send(canaryJob('cf-job'))).status).toBe(200);
  h.sim.advanceReplication(3000);
  const allocs = (await (await fetch(`${h.sim.url}/v1/job/cf-job/allocations`)).json()) as Array<{ ID: string; TaskGroup: string }>;
  src = allocs.find((a) => a.TaskGroup === 'src')?.ID ?? '';
  // dtle's own pause, so that Consul is where the status comes from
  h.consul.kv.put('dtleJobList/cf-job', Buffer.from('{"job_id":"cf-job","job_status":"paused"}'));
});
afterAll(() => h.close());
afterEach(async () => {
  Object.assign(h.consul.faults, noFaults());
  if (!h.consul.url || !(await fetch(`${h.consul.url}/v1/status/leader`).then(() => true, () => false))) await h.consul.listen(Number(new URL(h.consul.url).port));
});

const app = () => h.built.app;
const stats = async () => record(await request(app()).get(`/v1/agent/allocation/${src}/stats`));

/** With Consul: its Gtid, binlog position and stage, and dtle's pause. */
async function expectConsulFields(): Promise<void> {
  const s = await stats();
  expect(s.body.Tasks.Src).toMatchObject({ CurrentCoordinates: { File: 'mysql-bin.000003' }, Stage: 'Master has sent all binlog to slave; waiting for more updates' });
  expect(record(await request(app()).get('/v1/job/cf-job')).body.Status).toBe('pause');
}

async function errorsOf(kind: string): Promise<number> {
  const text = (await request(app()).get('/metrics')).text;
  return [...text.matchAll(new RegExp(`^dtle_compat_consul_errors_total\\{op="[^"]+",kind="${kind}"\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

const FAULTS: Array<[string, () => Promise<void> | void, string]> = [
  ['down', () => h.consul.goAway(), 'unreachable'],
  ['slow (beyond consul_timeout_ms)', () => void (h.consul.faults.delayMs = CONSUL_TIMEOUT_MS * 3), 'timeout'],
  ['answering garbage', () => void (h.consul.faults.malformed = true), 'malformed'],
  ['answering 500', () => void Object.assign(h.consul.faults, { status: 500, statusBody: 'rpc error making call: EOF' }), 'http'],
  ['without a leader', () => void (h.consul.faults.noLeader = true), 'http'],
  ['hanging up mid-request', () => void (h.consul.faults.hangUp = true), 'unreachable'],
  ['breaking off its answer', () => void (h.consul.faults.truncated = true), 'unreachable'],
];

describe.each(FAULTS)('Consul %s', (_name, fault, kind) => {
  it('statistics answer 200 with what Nomad gives; the job and the list answer 200 with Nomad\'s status; counted and logged', async () => {
    await expectConsulFields();
    const before = await errorsOf(kind);
    const logsBefore = h.logs.length;
    await fault();
    const t0 = Date.now();
    const s = await stats();
    expect(Date.now() - t0).toBeLessThan(CONSUL_TIMEOUT_MS + 2000);
    expect(s.status).toBe(200);
    expect(s.body.Tasks.Src).toMatchObject({
      // the configured Gtid, no binlog position, and no stage: the fallback is the task's own events,
      // and dtle's src task reports none (only the applier, the dest task, does)
      CurrentCoordinates: { GtidSet: GTID, File: '', Position: 0 },
      Stage: '',
    });
    const job = record(await request(app()).get('/v1/job/cf-job'));
    expect([job.status, job.body.Status]).toEqual([200, 'running']);
    const list = record(await request(app()).get('/v1/jobs'));
    expect([list.status, (list.body as Array<{ Status: string }>)[0]?.Status]).toEqual([200, 'running']);
    const ui = record(await request(app()).get('/ui/'));
    expect(ui.status).toBe(200);
    expect(await errorsOf(kind)).toBeGreaterThan(before);
    const warned = h.logs.slice(logsBefore).map((l) => JSON.parse(l) as { level: string; message: string; error?: string });
    expect(warned.some((l) => l.level === 'warn' && l.message === 'reading dtle state from Consul failed; answering without it')).toBe(true);
    // the next read after the fault has Consul's fields again
    Object.assign(h.consul.faults, noFaults());
    if (_name === 'down') await h.consul.listen(Number(new URL(h.consul.url).port));
    await expectConsulFields();
  });
});

describe('values that are not in dtle\'s format', () => {
  it('are left out and named in a warning; the rest of the state still answers', async () => {
    h.consul.kv.put('dtle/cf-job/BinlogFilePos', Buffer.from('mysql-bin.000003:1543'));
    const logsBefore = h.logs.length;
    const s = await stats();
    expect(s.status).toBe(200);
    expect(s.body.Tasks.Src).toMatchObject({ CurrentCoordinates: { GtidSet: h.consul.value('dtle/cf-job/Gtid'), File: '', Position: 0 } });
    const lines = h.logs.slice(logsBefore).map((l) => JSON.parse(l) as { message: string; keys?: string[] });
    expect(lines.find((l) => l.message === "dtle state in Consul not in dtle's format; left out")?.keys).toEqual(['dtle/cf-job/BinlogFilePos']);
  });
});
