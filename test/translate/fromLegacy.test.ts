import { LegacyJobInput } from '../../src/legacy/schema';
import type { LegacyJob } from '../../src/legacy/types';
import { dtleJobOfLegacy } from '../../src/translate/fromLegacy';
import { maskSecrets } from '../../src/translate/mask';
import { legacyFixture } from '../support/runtimeFixtures';

/** seed 003: GET /v1/job/{ID} of a 2.x server */
const seedJob = legacyFixture<LegacyJob>('job-detail.json');

const parse = (body: unknown, existing: LegacyJob | null = null, dialect: 'per-task' | 'src-only' = 'src-only') =>
  dtleJobOfLegacy(LegacyJobInput.parse(body), { dialect, datacenters: ['dc9'], existing });

describe('dtleJobOfLegacy: seed 003', () => {
  const { job, dropped } = parse(seedJob);

  it("keeps 2.x's identity and what only 2.x had", () => {
    expect(job).toMatchObject({ id: '8ce4b408-8c64-41b9-04d7-baf451348e89', name: 'test1-2', region: 'global', datacenters: ['dc1'], state: null });
    expect(job.only2x).toEqual({ type: 'synchronous', orders: [], failover: false, constraints: null });
  });

  it("converts each task's config to the driver's types, Gtid and connection apart", () => {
    const [src, dest] = job.tasks;
    expect(src?.connection).toEqual({ Host: '172.100.9.3', Port: 3306, User: 'lx1', Password: '111111' });
    expect(src?.gtid).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171');
    expect(src?.options).toMatchObject({ ChunkSize: 2000, ReplChanBufferSize: 60, TrafficAgainstLimits: 0 });
    expect(src?.options).not.toHaveProperty('NatsAddr');
    expect(dest?.gtid).toBe(src?.gtid);
    expect(src?.node).toEqual({ id: '', name: 'dtle' });
    expect(dest?.only2x.leader).toBe(true);
  });

  it('keeps the posted config without its passwords, and lists the keys the driver does not take', () => {
    expect(job.tasks[0]?.only2x.posted).toMatchObject({ ChunkSize: '2000', NatsAddr: '127.0.0.1:8193', ConnectionConfig: { Port: '3306' } });
    expect(JSON.stringify(job.tasks.map((t) => t.only2x.posted))).not.toContain('111111');
    expect(dropped).toEqual(expect.arrayContaining(['Tasks[0].Config.ApproveHeterogeneous', 'Tasks[0].Config.NatsAddr', 'Tasks[1].Config.NatsAddr']));
  });
});

describe('dtleJobOfLegacy: 2.x rules', () => {
  const minimal = {
    Name: 'j1',
    Tasks: [
      { Type: 'Src', Config: { ConnectionConfig: { Host: 'a', Port: '3306', User: 'u', Password: 'p' } } },
      { Type: 'Dest', Driver: 'kafka', Config: { Brokers: 'b1:9092,b2:9092', Topic: 't' } },
    ],
  };

  it('gives a body without ID the new ID as its ID and state key, keeps its Name; the configured datacenters, no region', () => {
    const job = dtleJobOfLegacy(minimal, { dialect: 'src-only', datacenters: ['dc9'], newId: () => 'new-id-1' }).job;
    expect(job).toMatchObject({ id: 'new-id-1', stateKey: 'new-id-1', name: 'j1', datacenters: ['dc9'], region: null });
    expect(job.only2x.orders).toBeNull();
  });

  it('reads a Kafka destination (any case of the driver name) into its settings', () => {
    const dest = parse(minimal).job.tasks[1];
    expect(dest).toMatchObject({ driver: 'Kafka', connection: null, kafka: { Brokers: ['b1:9092', 'b2:9092'], Topic: 't' }, options: {} });
  });

  it('takes only what the dialect takes: src-only options are dropped for per-task', () => {
    const body = { ...minimal, Tasks: [{ ...minimal.Tasks[0], Config: { ...minimal.Tasks[0]?.Config, TwoWaySync: 'true' } }, minimal.Tasks[1]] };
    expect(parse(body, null, 'src-only').job.tasks[0]?.options.TwoWaySync).toBe(true);
    const perTask = parse(body, null, 'per-task');
    expect(perTask.job.tasks[0]?.options).not.toHaveProperty('TwoWaySync');
    expect(perTask.dropped).toContain('Tasks[0].Config.TwoWaySync');
  });

  it('fills "*" passwords from the stored job, and refuses one with nothing stored, naming the field', () => {
    const masked = maskSecrets(seedJob);
    expect(parse(masked, seedJob).job.tasks.map((t) => t.connection?.Password)).toEqual(['111111', '111111']);
    expect(() => parse(masked)).toThrow('Tasks[0].Config.ConnectionConfig.Password: "*" is a masked password');
  });

  it('refuses what the driver would refuse at start, naming the field', () => {
    const bad = { ...minimal, Tasks: [{ Type: 'Src', Config: { ConnectionConfig: { Host: 'a', Port: 'x', User: 'u', Password: 'p' } } }, minimal.Tasks[1]] };
    expect(() => parse(bad)).toThrow('Tasks[0].Config.ConnectionConfig.Port: must be a number');
    const noTopic = { ...minimal, Tasks: [minimal.Tasks[0], { Type: 'Dest', Driver: 'Kafka', Config: { Brokers: 'b' } }] };
    expect(() => parse(noTopic)).toThrow('Tasks[1].Config.Topic: is required by the dtle driver');
  });
});

describe('keys named like Object.prototype members', () => {
  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])('%s holding an object is a key the driver does not take, not a crash', (key) => {
    const conn = JSON.parse(`{"Host":"a","Port":1,"User":"u","Password":"p",${JSON.stringify(key)}:{"a":1}}`) as Record<string, unknown>;
    const body = { Name: 'n', Tasks: [{ Type: 'Src', Config: { ConnectionConfig: conn, [key]: [{ a: 1 }] } }, { Type: 'Dest', Config: { ConnectionConfig: conn } }] };
    const { job, dropped } = parse(body, null, 'per-task');
    expect(job.tasks[0]?.connection).toEqual({ Host: 'a', Port: 1, User: 'u', Password: 'p' });
    expect(dropped).toEqual(expect.arrayContaining([`Tasks[0].Config.ConnectionConfig.${key}`, `Tasks[0].Config.${key}`]));
  });
});
