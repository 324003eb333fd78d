import { withNatsAddr } from '../../src/translate/toLegacy';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Job } from '../../src/nomad/types';
import { LegacyJobInput } from '../../src/legacy/schema';
import type { LegacyJob } from '../../src/legacy/types';
import { JOB_META_KEY, TASK_META_KEY } from '../../src/translate/meta';
import {
  legacyListStub,
  legacyToNomadJob,
  nomadJobToLegacy,
  type NomadJobWrite,
} from '../../src/translate/job';
import { maskSecrets } from '../../src/translate/mask';
import type { Dialect } from '../../src/translate/spec';
import { JobListStub } from '../../src/nomad/types';

const fixtures = path.resolve(__dirname, '..', 'fixtures');
function fixture<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(path.join(fixtures, rel), 'utf8')) as T;
}

/** seed 003: GET /v1/job/{ID} of a 2.x server (clear passwords, as that sample shows) */
const seedJob = fixture<LegacyJob>('legacy/job-detail.json');
/** seed 003: GET /v1/jobs */
/** A job as shown once dtle's NATS address (seed 003's) is known. */
const withNats = (j: LegacyJob): LegacyJob => ({ ...j, Tasks: j.Tasks.map((t) => withNatsAddr(t, '127.0.0.1:8193')) });
const seedList = fixture<Array<{ JobSummary: LegacyJob }>>('legacy/jobs-list.json');

const drivers = ['dtle'];

/** What Nomad stores for a registered job: our write plus the fields the server fills. */
function asStored(write: NomadJobWrite, extra: Record<string, unknown> = {}): Job {
  return Job.parse({
    ...write,
    Region: write.Region ?? 'global',
    Namespace: 'default',
    Status: 'running',
    StatusDescription: '',
    Stop: false,
    Version: 0,
    SubmitTime: '1645601194094486985',
    CreateIndex: 59,
    ModifyIndex: 471,
    JobModifyIndex: 471,
    ...extra,
  });
}

function register(body: unknown, dialect: Dialect, existing: LegacyJob | null = null): NomadJobWrite {
  return legacyToNomadJob(LegacyJobInput.parse(body), { dialect, driverName: 'dtle', datacenters: ['dc1'], existing }).job;
}

describe('legacy job → Nomad job (per-task dialect, dtle <= 4.22.07)', () => {
  const job = register(seedJob, 'per-task');

  it("keeps the ID, names the Nomad job by it (dtle's state key), makes a service job in the legacy datacenters", () => {
    expect(job.ID).toBe('8ce4b408-8c64-41b9-04d7-baf451348e89');
    expect(job.Name).toBe('8ce4b408-8c64-41b9-04d7-baf451348e89');
    expect(job.Type).toBe('service');
    expect(job.Priority).toBe(50);
    expect(job.Region).toBe('global');
    expect(job.Datacenters).toEqual(['dc1']);
  });

  it('makes one group per legacy task, named src/dest, driver dtle', () => {
    expect(job.TaskGroups.map((g) => g.Name)).toEqual(['src', 'dest']);
    expect(job.TaskGroups.map((g) => g.Count)).toEqual([1, 1]);
    expect(job.TaskGroups.map((g) => g.Tasks.map((t) => [t.Name, t.Driver]))).toEqual([[['src', 'dtle']], [['dest', 'dtle']]]);
  });

  it('pins NodeName with a constraint on ${node.unique.name}', () => {
    expect(job.TaskGroups[0]?.Constraints).toEqual([{ LTarget: '${node.unique.name}', RTarget: 'dtle', Operand: '=' }]);
  });

  it('converts the config to the driver schema: types converted, unknown keys dropped', () => {
    expect(job.TaskGroups[0]?.Tasks[0]?.Config).toEqual({
      ConnectionConfig: { Host: '172.100.9.3', Port: 3306, User: 'lx1', Password: '111111' },
      ChunkSize: 2000,
      DropTableIfExists: false,
      ReplChanBufferSize: 60,
      ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
      TrafficAgainstLimits: 0,
      Gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
      SkipCreateDbTable: false,
      ExpandSyntaxSupport: false,
    });
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({
      Gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
      SkipCreateDbTable: false,
      DropTableIfExists: false,
      ExpandSyntaxSupport: false,
      ReplChanBufferSize: 60,
      ConnectionConfig: { Host: '172.100.9.6', Port: 3306, User: 'test1', Password: '111111' },
    });
  });

  it('keeps legacy-only facts in Meta and never a password there', () => {
    expect(JSON.parse(job.Meta[JOB_META_KEY] as string)).toEqual({ Name: 'test1-2', Type: 'synchronous', Orders: [], Failover: false, Constraints: null });
    const taskMeta = JSON.parse(job.TaskGroups[0]?.Tasks[0]?.Meta[TASK_META_KEY] as string) as Record<string, unknown>;
    expect(taskMeta).toMatchObject({ Type: 'Src', Driver: 'MySQL', NodeID: '', NodeName: 'dtle', Leader: false });
    expect(JSON.stringify(job.Meta) + JSON.stringify(job.TaskGroups.map((g) => g.Tasks[0]?.Meta))).not.toContain('111111');
  });
});

describe('legacy job → Nomad job (src-only dialect, dtle >= 4.22.11)', () => {
  const job = register(seedJob, 'src-only');

  it('puts every setting on src and only DestType on dest', () => {
    const src = job.TaskGroups[0]?.Tasks[0]?.Config as Record<string, unknown>;
    expect(src.SrcConnectionConfig).toEqual({ Host: '172.100.9.3', Port: 3306, User: 'lx1', Password: '111111' });
    expect(src.DestConnectionConfig).toEqual({ Host: '172.100.9.6', Port: 3306, User: 'test1', Password: '111111' });
    expect(src.ConnectionConfig).toBeUndefined();
    expect(src.ChunkSize).toBe(2000);
    expect(src.ReplicateDoDb).toEqual([{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }]);
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ DestType: 'mysql' });
  });
});

describe.each<Dialect>(['per-task', 'src-only'])('POST then GET round-trips (%s)', (dialect) => {
  it('gives back the seed 003 job, with 2.x types ("3306" stays a string) and dropped keys restored; NatsAddr once dtle has one', () => {
    const back = nomadJobToLegacy(asStored(register(seedJob, dialect)), drivers) as LegacyJob;
    expect(back.Tasks.map((t) => t.Config.NatsAddr)).toEqual([undefined, undefined]);
    expect(withNats(back)).toEqual(seedJob);
  });

  it("masks every password in list and detail; the list stub is seed 003's", () => {
    const stored = asStored(register(seedJob, dialect), { ModifyIndex: 469, JobModifyIndex: 469 });
    const legacy = nomadJobToLegacy(stored, drivers) as LegacyJob;
    const masked = maskSecrets(legacy);
    expect(JSON.stringify(masked)).not.toContain('111111');
    expect(masked.Tasks.map((t) => (t.Config.ConnectionConfig as Record<string, unknown>).Password)).toEqual(['*', '*']);
    const stub = maskSecrets(legacyListStub(JobListStub.parse({ ...stored, JobSummary: null }), withNats(legacy)));
    expect(stub).toEqual(seedList[0]);
  });

  it('takes a value changed in Nomad over the posted one', () => {
    const stored = asStored(register(seedJob, dialect));
    const src = stored.TaskGroups[0]?.Tasks[0]?.Config as Record<string, unknown>;
    src.ChunkSize = 500;
    const back = nomadJobToLegacy(stored, drivers) as LegacyJob;
    expect(back.Tasks[0]?.Config.ChunkSize).toBe(500);
    expect(back.Tasks[1]?.Config.ReplChanBufferSize).toBe('60');
  });
});

describe('the "*" password rule', () => {
  const masked = maskSecrets(seedJob);

  it('keeps the stored password when a client sends back "*"', () => {
    const job = register(masked, 'per-task', seedJob);
    const cc = (i: number) => (job.TaskGroups[i]?.Tasks[0]?.Config.ConnectionConfig as Record<string, unknown>).Password;
    expect([cc(0), cc(1)]).toEqual(['111111', '111111']);
  });

  it('refuses "*" for a new job, naming the field', () => {
    expect(() => register(masked, 'per-task', null)).toThrow('Tasks[0].Config.ConnectionConfig.Password: "*" is a masked password');
  });

  it('takes a new real password over the stored one', () => {
    const body = JSON.parse(JSON.stringify(masked)) as LegacyJob;
    (body.Tasks[1]?.Config.ConnectionConfig as Record<string, unknown>).Password = 'new-pw';
    const job = register(body, 'src-only', seedJob);
    const src = job.TaskGroups[0]?.Tasks[0]?.Config as Record<string, Record<string, unknown>>;
    expect(src.SrcConnectionConfig?.Password).toBe('111111');
    expect(src.DestConnectionConfig?.Password).toBe('new-pw');
  });
});

describe('2.x rules for new jobs', () => {
  const minimal = {
    Name: 'j1',
    Tasks: [
      { Type: 'Src', Config: { Gtid: 'g:1-5', ConnectionConfig: { Host: 'a', Port: '3306', User: 'u', Password: 'p' } } },
      { Type: 'Dest', Config: { ConnectionConfig: { Host: 'b', Port: 3307, User: 'u', Password: 'p' } } },
    ],
  };

  it("gives a body without ID a new random UUID as ID and Nomad Name (2.x's rule), and dc1", () => {
    const job = register(minimal, 'per-task');
    expect(job.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(register(minimal, 'per-task').ID).not.toBe(job.ID);
    expect(job.Name).toBe(job.ID);
    expect(nomadJobToLegacy(asStored(job), drivers)?.Name).toBe('j1');
    expect(job.Datacenters).toEqual(['dc1']);
  });

  it('applies 2.x canonicalisation: Driver MySQL, Dest Leader and Gtid, Src TrafficAgainstLimits', () => {
    const back = nomadJobToLegacy(asStored(register(minimal, 'src-only')), drivers) as LegacyJob;
    expect(back.Type).toBe('synchronous');
    expect(back.Tasks.map((t) => [t.Type, t.Driver, t.Leader])).toEqual([
      ['Src', 'MySQL', false],
      ['Dest', 'MySQL', true],
    ]);
    expect(back.Tasks[0]?.Config.TrafficAgainstLimits).toBe(0);
    expect(back.Tasks[1]?.Config.Gtid).toBe('g:1-5');
  });

  it('pins NodeID before NodeName', () => {
    const body = { ...minimal, Tasks: [{ ...minimal.Tasks[0], NodeID: 'n-1', NodeName: 'x' }, minimal.Tasks[1]] };
    expect(register(body, 'per-task').TaskGroups[0]?.Constraints).toEqual([{ LTarget: '${node.unique.id}', RTarget: 'n-1', Operand: '=' }]);
    expect(register(minimal, 'per-task').TaskGroups[0]?.Constraints).toBeNull();
  });

  it('keeps migration/subscribe types, Orders and Failover through Meta', () => {
    const back = nomadJobToLegacy(asStored(register({ ...minimal, Type: 'migration', Orders: ['o1'], Failover: true }, 'per-task')), drivers);
    expect(back).toMatchObject({ Type: 'migration', Orders: ['o1'], Failover: true });
  });

  it.each([
    [{ ...minimal, Name: undefined }, "Job Name hasn't been provided"],
    [{ ...minimal, Tasks: [] }, 'Tasks: a job needs a Src and a Dest task'],
    [{ ...minimal, Tasks: [minimal.Tasks[0]] }, 'Tasks: a job needs a Dest task'],
    [{ ...minimal, Tasks: [minimal.Tasks[0], minimal.Tasks[0]] }, 'Tasks[1].Type: duplicate task type "Src"'],
    [{ ...minimal, Tasks: [{ ...minimal.Tasks[0], Type: 'src' }, minimal.Tasks[1]] }, 'Tasks[0].Type: must be "Src" or "Dest"'],
    [{ ...minimal, Tasks: [{ ...minimal.Tasks[0], Driver: 'Oracle' }, minimal.Tasks[1]] }, 'Tasks[0].Driver: unknown driver "Oracle"'],
    [{ ...minimal, Tasks: [{ ...minimal.Tasks[0], Driver: 'Kafka' }, minimal.Tasks[1]] }, 'Tasks[0].Driver: driver Kafka can only be used by a Dest task'],
    [{ ...minimal, Type: 'weird' }, 'Type: unknown job type "weird"'],
    [{ ...minimal, ID: 'a b' }, 'ID: must not contain whitespace'],
    [
      { ...minimal, Tasks: [{ ...minimal.Tasks[0], Config: { ...minimal.Tasks[0]?.Config, ChunkSize: 'lots' } }, minimal.Tasks[1]] },
      'Tasks[0].Config.ChunkSize: must be a number',
    ],
    [{ ...minimal, Tasks: [{ Type: 'Src', Config: {} }, minimal.Tasks[1]] }, 'Tasks[0].Config.ConnectionConfig: is required for a MySQL task'],
  ])('refuses an invalid job, naming the field (%#)', (body, message) => {
    expect(() => register(body, 'per-task')).toThrow(message);
  });
});

describe('Kafka destinations', () => {
  const kafkaJob = {
    Name: 'to-kafka',
    Tasks: [
      { Type: 'Src', Driver: 'MySQL', Config: { ConnectionConfig: { Host: 'a', Port: '3306', User: 'u', Password: 'p' } } },
      { Type: 'Dest', Driver: 'Kafka', Config: { Brokers: '10.0.0.1:9092,10.0.0.2:9092', Topic: 'topic1', NatsAddr: '127.0.0.1:8193' } },
    ],
  };

  it('wraps the flat 2.x Kafka config as KafkaConfig on dest (per-task)', () => {
    const job = register(kafkaJob, 'per-task');
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ KafkaConfig: { Brokers: ['10.0.0.1:9092', '10.0.0.2:9092'], Topic: 'topic1' } });
  });

  it('puts KafkaConfig on src and DestType kafka on dest (src-only)', () => {
    const job = register(kafkaJob, 'src-only');
    expect((job.TaskGroups[0]?.Tasks[0]?.Config as Record<string, unknown>).KafkaConfig).toEqual({
      Brokers: ['10.0.0.1:9092', '10.0.0.2:9092'],
      Topic: 'topic1',
    });
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ DestType: 'kafka' });
  });

  it.each<Dialect>(['per-task', 'src-only'])('round-trips the Kafka task as posted (%s)', (dialect) => {
    const back = nomadJobToLegacy(asStored(register(kafkaJob, dialect)), drivers) as LegacyJob;
    expect(withNats(back).Tasks[1]).toMatchObject({ Type: 'Dest', Driver: 'Kafka', Config: { ...kafkaJob.Tasks[1]?.Config, Gtid: '' } });
  });
});

describe('jobs written directly in Nomad', () => {
  it('reads a src-only job whose blocks are one-element lists (as HCL parsing stores them)', () => {
    const job = Job.parse({
      ID: 'hcl-job',
      Name: 'hcl-job',
      Region: 'global',
      Datacenters: ['dc1'],
      Status: 'running',
      TaskGroups: [
        {
          Name: 'src',
          Tasks: [
            {
              Name: 'src',
              Driver: 'dtle',
              Config: {
                Gtid: 'u:1-10',
                ReplicateDoDb: [{ TableSchema: 'demo', Tables: [{ TableName: 't1' }] }],
                SrcConnectionConfig: [{ Host: '127.0.0.1', Port: 3307, User: 'root', Password: 'CANARY-pw-7f3a' }],
                DestConnectionConfig: [{ Host: '127.0.0.1', Port: 3308, User: 'root', Password: 'CANARY-pw-7f3a' }],
              },
            },
          ],
          Constraints: [{ LTarget: '${node.unique.name}', RTarget: 'nomad0', Operand: '=' }],
        },
        { Name: 'dest', Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { DestType: 'mysql' } }] },
      ],
      CreateIndex: 5,
      ModifyIndex: 6,
      JobModifyIndex: 5,
    });
    const legacy = nomadJobToLegacy(job, drivers) as LegacyJob;
    expect(legacy.Tasks).toEqual([
      {
        Type: 'Src',
        NodeID: '',
        NodeName: 'nomad0',
        Driver: 'MySQL',
        Config: {
          Gtid: 'u:1-10',
          ReplicateDoDb: [{ TableSchema: 'demo', Tables: [{ TableName: 't1' }] }],
          ConnectionConfig: { Host: '127.0.0.1', Port: 3307, User: 'root', Password: 'CANARY-pw-7f3a' },
        },
        ConfigLock: {},
        Leader: false,
        Constraints: null,
      },
      {
        Type: 'Dest',
        NodeID: '',
        NodeName: '',
        Driver: 'MySQL',
        Config: { Gtid: 'u:1-10', ConnectionConfig: { Host: '127.0.0.1', Port: 3308, User: 'root', Password: 'CANARY-pw-7f3a' } },
        ConfigLock: {},
        Leader: true,
        Constraints: null,
      },
    ]);
    expect(legacy).toMatchObject({ Type: 'synchronous', Orders: null, Failover: false, Status: 'running', JobModifyIndex: 5 });
    expect(JSON.stringify(maskSecrets(legacy))).not.toContain('CANARY-pw-7f3a');
  });

  it('is not a dtle job without a dtle task', () => {
    const job = Job.parse({ ID: 'web', TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'nginx', Driver: 'docker', Config: {} }] }] });
    expect(nomadJobToLegacy(job, drivers)).toBeNull();
  });

  it('honours the configured driver names', () => {
    const job = Job.parse({ ID: 'x', TaskGroups: [{ Name: 'src', Tasks: [{ Name: 'src', Driver: 'raw_exec', Config: {} }] }] });
    expect(nomadJobToLegacy(job, ['dtle'])).toBeNull();
    expect(nomadJobToLegacy(job, ['dtle', 'raw_exec'])?.Tasks.map((t) => t.Type)).toEqual(['Src']);
  });
});

describe('a Dest option posted on Dest only (the src-only layout writes it on src)', () => {
  it.each<Dialect>(['per-task', 'src-only'])('comes back on Dest only (%s)', (dialect) => {
    const body = JSON.parse(JSON.stringify(seedJob)) as LegacyJob;
    const dest = body.Tasks[1];
    if (dest) dest.Config = { ...dest.Config, ParallelWorkers: '4' };
    const back = nomadJobToLegacy(asStored(register(body, dialect)), drivers) as LegacyJob;
    expect(back.Tasks.map((t) => [t.Type, t.Config.ParallelWorkers])).toEqual([
      ['Src', undefined],
      ['Dest', '4'],
    ]);
  });
});
