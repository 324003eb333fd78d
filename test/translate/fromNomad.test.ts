import { Job } from '../../src/nomad/types';
import { TASK_META_KEY } from '../../src/translate/meta';
import { dialectOfConfigs, dtleJobOfNomad, dtleTasksOf, isDtleJob } from '../../src/translate/fromNomad';
import { nomadFixture } from '../support/runtimeFixtures';

const drivers = ['dtle'];
const PASSWORD = 'CANARY-pw-7f3a';

describe('dtleJobOfNomad: a job written in the per-task dialect (dtle <= 4.22.07)', () => {
  const record = dtleJobOfNomad(nomadFixture('dtle-job-old-dialect.json', Job), drivers);

  it('takes each task apart: connection, Gtid, options; no Meta, so 2.x defaults', () => {
    expect(record?.tasks.map((t) => [t.type, t.driver, t.derived])).toEqual([
      ['Src', 'MySQL', false],
      ['Dest', 'MySQL', false],
    ]);
    const src = record?.tasks[0];
    expect(src?.connection).toEqual({ Charset: 'utf8mb4', Host: '127.0.0.1', Password: PASSWORD, Port: 3307, User: 'root' });
    expect(src?.gtid).toBe('');
    expect(src?.options).toMatchObject({ ChunkSize: 2000, ReplChanBufferSize: 120, GroupMaxSize: 1024 });
    expect(src?.options).not.toHaveProperty('ConnectionConfig');
    expect(src?.only2x).toEqual({ leader: false, constraints: null, posted: null });
    expect(record?.tasks[1]?.only2x.leader).toBe(true);
    expect(record?.only2x).toEqual({ type: 'synchronous', orders: null, failover: false, constraints: null });
  });

  it("keeps the job's identity and state", () => {
    expect(record).toMatchObject({ id: 'job1', name: 'job1', region: 'global', datacenters: ['dc1'] });
    expect(record?.state?.status).toBe('running');
  });
});

describe('dtleJobOfNomad: a job written in the src-only dialect (dtle >= 4.22.11)', () => {
  const record = dtleJobOfNomad(nomadFixture('dtle-job-new-dialect.json', Job), drivers);

  it('gives Src its SrcConnectionConfig and Dest the DestConnectionConfig with Src\'s Gtid, rebuilt from src', () => {
    const [src, dest] = record?.tasks ?? [];
    expect(src?.connection).toEqual({ Host: '127.0.0.1', Password: PASSWORD, Port: 3307, User: 'root' });
    expect(dest?.connection).toEqual({ Host: '127.0.0.1', Password: PASSWORD, Port: 3308, User: 'root' });
    expect(dest?.gtid).toBe('');
    expect(dest?.options).toEqual({});
    expect([src?.derived, dest?.derived]).toEqual([false, true]);
    expect(Object.keys(src?.options ?? {})).not.toEqual(expect.arrayContaining(['SrcConnectionConfig']));
    expect(Object.keys(src?.options ?? {}).filter((k) => /Connection|DestType|KafkaConfig/.test(k))).toEqual([]);
  });
});

describe('reading what Nomad holds', () => {
  const job = (groups: unknown[], meta: Record<string, string> | null = null) => Job.parse({ ID: 'j', Name: 'j', Meta: meta, TaskGroups: groups });
  const group = (name: string, config: unknown, extra: Record<string, unknown> = {}) => ({ Name: name, Tasks: [{ Name: name, Driver: 'dtle', Config: config, ...extra }] });

  it('unescapes HCL template escapes and reads one-element block lists as blocks', () => {
    const r = dtleJobOfNomad(job([group('src', { Gtid: 'a$${x}', ConnectionConfig: [{ Host: 'h', Port: 1, User: 'u', Password: 'p%%{y' }] }), group('dest', {})]), drivers);
    expect(r?.tasks[0]?.gtid).toBe('a${x}');
    expect(r?.tasks[0]?.connection?.Password).toBe('p%{y');
  });

  it('keeps a connection or Gtid it cannot type as Nomad holds it, among the options', () => {
    const r = dtleJobOfNomad(job([group('src', { Gtid: 5, ConnectionConfig: { Host: 'h', Port: '3306', User: 'u', Password: 'p' } })]), drivers);
    expect(r?.tasks[0]?.connection).toBeNull();
    expect(r?.tasks[0]?.gtid).toBeNull();
    expect(r?.tasks[0]?.options).toEqual({ Gtid: 5, ConnectionConfig: { Host: 'h', Port: '3306', User: 'u', Password: 'p' } });
  });

  it('reads a Kafka destination of either dialect', () => {
    const perTask = dtleJobOfNomad(job([group('src', {}), group('dest', { KafkaConfig: { Topic: 't', Brokers: ['b:9092'] } })]), drivers);
    expect(perTask?.tasks[1]).toMatchObject({ driver: 'Kafka', kafka: { Topic: 't', Brokers: ['b:9092'] }, connection: null });
    const srcOnly = dtleJobOfNomad(job([group('src', { Gtid: 'g:1', KafkaConfig: { Topic: 't' } }), group('dest', { DestType: 'kafka' })]), drivers);
    expect(srcOnly?.tasks[1]).toMatchObject({ driver: 'Kafka', kafka: { Topic: 't' }, gtid: 'g:1', derived: true });
  });

  it('pins a task from its constraint or affinity when no Meta says', () => {
    const r = dtleJobOfNomad(
      job([
        { ...group('src', {}), Constraints: [{ LTarget: '${node.unique.id}', RTarget: 'n-1', Operand: '==' }] },
        { ...group('dest', {}), Affinities: [{ LTarget: '${node.unique.name}', RTarget: 'nomad0', Operand: '=', Weight: 50 }] },
      ]),
      drivers,
    );
    expect(r?.tasks.map((t) => t.node)).toEqual([
      { id: 'n-1', name: '' },
      { id: '', name: 'nomad0' },
    ]);
  });

  it('takes the task type and driver from our Meta, and ignores Meta that is not ours', () => {
    const tagged = group('a', {}, { Meta: { [TASK_META_KEY]: JSON.stringify({ Type: 'Dest', Driver: 'Kafka', NodeID: 'n9' }) } });
    const planted = group('src', {}, { Meta: { [TASK_META_KEY]: JSON.stringify({ Type: 'Both', Driver: 'Oracle', NodeID: 7 }) } });
    const r = dtleJobOfNomad(job([planted, tagged]), drivers);
    expect(r?.tasks.map((t) => [t.type, t.driver, t.node.id])).toEqual([
      ['Src', 'MySQL', ''],
      ['Dest', 'Kafka', 'n9'],
    ]);
  });

  it('is null for a job without a dtle task, and takes the first task of each type', () => {
    expect(dtleJobOfNomad(job([{ Name: 'web', Tasks: [{ Name: 'nginx', Driver: 'docker' }] }]), drivers)).toBeNull();
    expect(isDtleJob(job([group('src', {})]), drivers)).toBe(true);
    expect(dtleTasksOf(job([group('src', { a: 1 }), group('src', { a: 2 })]), drivers)?.map((r) => r.task.Config)).toEqual([{ a: 1 }]);
  });
});

describe('dialectOfConfigs', () => {
  it('is src-only when a src-only key is in either task', () => {
    expect(dialectOfConfigs({ ConnectionConfig: {} }, {})).toBe('per-task');
    expect(dialectOfConfigs({}, { DestType: 'mysql' })).toBe('src-only');
    expect(dialectOfConfigs({ SrcConnectionConfig: {} }, undefined)).toBe('src-only');
  });
});
