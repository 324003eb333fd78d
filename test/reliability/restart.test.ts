/**
 * Nomad not running when the service starts, coming up later, going away with requests in flight
 * and coming back: the real service (startService, with its readiness poll and watches), no restart.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import winston from 'winston';
import { startService, type RunningService } from '../../src';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import { TEST_REPLICA } from '../support/harness';
import { SimNomad } from '@dtle-compat/sim';
import { collect } from '../support/canary';
import { canaryJob, freePort } from './helpers';

let port: number;
let nomadUrl: string;
let service: RunningService;
let sim: SimNomad | null = null;
const logs: string[] = [];

beforeAll(async () => {
  port = await freePort();
  nomadUrl = `http://127.0.0.1:${port}`;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      collect('logs', chunk.toString());
      cb();
    },
  });
  service = await startService({
    config: Object.freeze({
      ...loadConfig({ env: {} }), consul: '', replica: TEST_REPLICA,
      api_addr: '127.0.0.1:0',
      nomad_addr: nomadUrl,
      nomad_timeout_ms: 2000,
      ready_poll_interval_ms: 200,
      ready_max_age_ms: 1000,
    }),
    logger: createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }),
  });
});
afterAll(async () => {
  await service.shutdown();
  await sim?.close();
});

const refused = () => `cannot reach Nomad at ${nomadUrl}: connect ECONNREFUSED 127.0.0.1:${port}`;
const get = async (path: string) => {
  const res = await request(service.url).get(path);
  collect('bodies', res.text);
  return res;
};

describe('Nomad not running at start', () => {
  it('the service starts; /-/healthy is OK, /-/ready is not, with the reason', async () => {
    expect((await get('/-/healthy')).text).toBe('OK\n');
    const ready = await get('/-/ready');
    expect([ready.status, ready.text]).toEqual([503, `not ready: Nomad unreachable: ${refused()}\n`]);
  });

  it('legacy calls answer 502 with the reason: translated routes and passthrough alike', async () => {
    for (const path of ['/v1/jobs', '/v1/job/a', '/v1/nodes', '/v1/leader', '/v1/members', '/v1/allocations']) {
      const res = await get(path);
      expect([path, res.status, res.headers['content-type'], res.text]).toEqual([path, 502, 'text/plain; charset=utf-8', refused()]);
    }
    const join = await request(service.url).put('/v1/join?address=10.0.0.2');
    expect([join.status, join.text]).toEqual([502, `cannot reach Nomad at ${nomadUrl}: connect ECONNREFUSED 127.0.0.1:${port}`]);
  });

  it('writes answer 502 too', async () => {
    const res = await request(service.url).post('/v1/jobs').send(canaryJob('early'));
    collect('bodies', res.text);
    expect([res.status, res.text]).toEqual([502, refused()]);
  });
});

describe('Nomad comes up', () => {
  it('the same process serves: ready, then every route', async () => {
    sim = new SimNomad();
    await sim.listen(port);
    sim.seedDtleJobs(2);
    const ready = await get('/-/ready');
    expect([ready.status, ready.text]).toEqual([200, 'OK\n']);
    const list = await get('/v1/jobs');
    expect(list.status).toBe(200);
    expect((list.body as Array<{ ID: string }>).map((j) => j.ID)).toEqual(['sim-dtle-00001', 'sim-dtle-00002']);
    const reg = await request(service.url).post('/v1/jobs').send(canaryJob('after-start'));
    collect('bodies', reg.text);
    expect([reg.status, (reg.body as { Success: boolean }).Success]).toEqual([200, true]);
  });
});

describe('Nomad goes away mid-request and comes back', () => {
  it('requests in flight answer 502, later ones 502 while it is gone, and all is well once it is back', async () => {
    const s = sim as SimNomad;
    s.faults.delayMs = 500;
    const inFlight = Promise.all([get('/v1/job/sim-dtle-00001'), get('/v1/nodes')]);
    await new Promise((r) => setTimeout(r, 150));
    await s.goAway();
    const answers = await inFlight;
    for (const res of answers) expect([res.status, res.text]).toEqual([502, `cannot reach Nomad at ${nomadUrl}: socket hang up`]);
    s.faults.delayMs = 0;

    const gone = await get('/v1/job/sim-dtle-00001');
    expect([gone.status, gone.text]).toEqual([502, refused()]);
    // readiness notices within ready_max_age_ms
    await new Promise((r) => setTimeout(r, 1200));
    expect((await get('/-/ready')).status).toBe(503);

    await s.listen(port);
    const back = await get('/v1/job/sim-dtle-00001');
    expect([back.status, (back.body as { ID: string }).ID]).toEqual([200, 'sim-dtle-00001']);
    expect((await get('/-/ready')).text).toBe('OK\n');
    const list = await get('/v1/jobs');
    expect((list.body as Array<{ ID: string }>).map((j) => j.ID)).toEqual(['after-start', 'sim-dtle-00001', 'sim-dtle-00002']);
  });

  it('logged no password and no stack trace', () => {
    const text = logs.join('');
    expect(text).not.toContain('CANARY-pw-7f3a');
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).toContain('"kind":"unreachable"');
  });
});
