import { Job } from '../../src/nomad/types';
import { LegacyJobInput } from '../../src/legacy/schema';
import { checkDriverRules, coerceObject, escapeTemplate, unescapeTemplate } from '../../src/translate/config';
import { legacyToNomadJob, nomadJobToLegacy } from '../../src/translate/job';
import { TASK_SPEC, type Dialect } from '../../src/translate/spec';

const conn = { Host: 'h', Port: '3306', User: 'u', Password: 'p' };

interface PostedTask {
  driver: 'MySQL' | 'Kafka';
  config: Record<string, unknown>;
}

/** A job of these two tasks written in a dialect: the driver configs of src and dest, and the legacy keys dropped. */
function legacyToNomadConfigs(src: PostedTask, dest: PostedTask, dialect: Dialect) {
  const body = LegacyJobInput.parse({
    Name: 'cfg',
    Tasks: [
      { Type: 'Src', Driver: src.driver, Config: src.config },
      { Type: 'Dest', Driver: dest.driver, Config: dest.config },
    ],
  });
  const { job, dropped } = legacyToNomadJob(body, { dialect, driverName: 'dtle', datacenters: ['dc1'] });
  const config = (i: number) => job.TaskGroups[i]?.Tasks[0]?.Config ?? {};
  return { job, src: config(0), dest: config(1), dropped };
}

/** The legacy task configs of a job written as above and read back from Nomad. */
function readBack(job: ReturnType<typeof legacyToNomadConfigs>['job']) {
  const legacy = nomadJobToLegacy(Job.parse({ ...job, Status: 'running' }), ['dtle']);
  return { src: legacy?.Tasks[0]?.Config ?? {}, dest: legacy?.Tasks[1]?.Config ?? {} };
}

describe('coerceObject (dtle driver types, per the tested HCL decode matrix)', () => {
  it('converts what the driver would convert and reports unknown keys', () => {
    const dropped: string[] = [];
    const out = coerceObject(
      TASK_SPEC['per-task'],
      { ChunkSize: '2000', DropTableIfExists: 'true', SkipCreateDbTable: 1, SqlFilter: 'NoDDL,NoDML', NatsAddr: 'x', ParallelWorkers: '' },
      'Config',
      dropped,
    );
    expect(out).toEqual({ ChunkSize: 2000, DropTableIfExists: true, SkipCreateDbTable: true, SqlFilter: ['NoDDL', 'NoDML'] });
    expect(dropped).toEqual(['Config.NatsAddr']);
  });

  it('names the field of a value of the wrong type', () => {
    expect(() => coerceObject(TASK_SPEC['per-task'], { ReplChanBufferSize: 'big' }, 'Tasks[0].Config', [])).toThrow(
      'Tasks[0].Config.ReplChanBufferSize: must be a number',
    );
    expect(() => coerceObject(TASK_SPEC['per-task'], { AutoGtid: 'yes' }, 'C', [])).toThrow('C.AutoGtid: must be a boolean');
    expect(() => coerceObject(TASK_SPEC['per-task'], { ConnectionConfig: 'h:3306' }, 'C', [])).toThrow('C.ConnectionConfig: must be an object');
  });

  it('requires what the driver requires inside blocks', () => {
    expect(() => coerceObject(TASK_SPEC['per-task'], { ConnectionConfig: { Host: 'h', Port: 1, User: 'u' } }, 'C', [])).toThrow(
      'C.ConnectionConfig.Password: is required by the dtle driver',
    );
  });

  it('reads a one-element list as a single block and wraps a single object in a block list', () => {
    const out = coerceObject(
      TASK_SPEC['src-only'],
      { SrcConnectionConfig: [conn], ReplicateDoDb: { TableSchema: 'db', Tables: { TableName: 't' } } },
      'C',
      [],
    );
    expect(out).toEqual({
      SrcConnectionConfig: { Host: 'h', Port: 3306, User: 'u', Password: 'p' },
      ReplicateDoDb: [{ TableSchema: 'db', Tables: [{ TableName: 't' }] }],
    });
  });
});

describe('HCL template escaping', () => {
  it.each([
    ['${1}_x', '$${1}_x'],
    ['a%{b', 'a%%{b'],
    ['a$b%c', 'a$b%c'],
    ['$${', '$$${'],
  ])('%s is written as %s and read back unchanged', (plain, escaped) => {
    expect(escapeTemplate(plain)).toBe(escaped);
    expect(unescapeTemplate(escaped)).toBe(plain);
  });

  it('escapes strings in a converted config and unescapes them on read', () => {
    const src = { driver: 'MySQL' as const, config: { ConnectionConfig: { ...conn, Password: 'p${x}%{y' }, ReplicateDoDb: [{ TableSchemaRegex: '(\\w+)', TableSchemaRename: '${1}_bak' }] } };
    const dest = { driver: 'MySQL' as const, config: { ConnectionConfig: conn } };
    const out = legacyToNomadConfigs(src, dest, 'src-only');
    expect((out.src.SrcConnectionConfig as Record<string, unknown>).Password).toBe('p$${x}%%{y');
    expect(out.src.ReplicateDoDb).toEqual([{ TableSchemaRegex: '(\\w+)', TableSchemaRename: '$${1}_bak' }]);
    const back = readBack(out.job);
    expect((back.src.ConnectionConfig as Record<string, unknown>).Password).toBe('p${x}%{y');
    expect(back.src.ReplicateDoDb).toEqual([{ TableSchemaRegex: '(\\w+)', TableSchemaRename: '${1}_bak' }]);
  });
});

describe('checkDriverRules (the driver verifyDriverConfig checks)', () => {
  it.each([
    [{ ReplicateDoDb: [{ Tables: [] }] }, 'C.ReplicateDoDb[0]: needs exactly one of TableSchema and TableSchemaRegex'],
    [{ ReplicateDoDb: [{ TableSchema: 'a', TableSchemaRegex: 'b' }] }, 'C.ReplicateDoDb[0]: needs exactly one'],
    [{ ReplicateDoDb: [{ TableSchemaRegex: 'b' }] }, 'C.ReplicateDoDb[0].TableSchemaRename: is required with TableSchemaRegex'],
    [{ ReplicateDoDb: [{ TableSchema: 'a', Tables: [{}] }] }, 'C.ReplicateDoDb[0].Tables[0]: needs exactly one of TableName and TableRegex'],
    [{ ReplicateDoDb: [{ TableSchema: 'a', Tables: [{ TableRegex: 'x' }] }] }, 'Tables[0].TableRename: is required with TableRegex'],
    [{ ReplicateDoDb: [{ TableSchema: 'a', Tables: [{ TableName: 't', ColumnMapFrom: ['a', 'b'], ColumnMapTo: ['c'] }] }] }, 'ColumnMapTo: must be empty or as long as ColumnMapFrom'],
    [{ ReplicateIgnoreDb: [{}] }, 'C.ReplicateIgnoreDb[0].TableSchema: is required'],
    [{ BulkInsert1: 9, BulkInsert2: 8 }, 'C.BulkInsert1: must be at least 1 and at most BulkInsert2'],
  ])('refuses %j', (config, message) => {
    expect(() => checkDriverRules(config, 'C')).toThrow(message);
  });

  it('accepts seed-style configs', () => {
    expect(() => checkDriverRules({ ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }] }, 'C')).not.toThrow();
  });
});

describe('Kafka KafkaConfig.Password (declared under another name by dtle >= 4.22.11)', () => {
  it('is never written in the src-only dialect, and dropped', () => {
    const out = legacyToNomadConfigs(
      { driver: 'MySQL', config: { ConnectionConfig: conn } },
      { driver: 'Kafka', config: { Brokers: ['b:9092'], Topic: 't', User: 'k', Password: 'secret' } },
      'src-only',
    );
    expect(out.src.KafkaConfig).toEqual({ Brokers: ['b:9092'], Topic: 't', User: 'k' });
    expect(out.dropped).toContain('Tasks[1].Config.Password');
  });

  it('requires Topic and Brokers', () => {
    expect(() =>
      legacyToNomadConfigs({ driver: 'MySQL', config: { ConnectionConfig: conn } }, { driver: 'Kafka', config: { Topic: 't' } }, 'per-task'),
    ).toThrow('Tasks[1].Config.Brokers: is required by the dtle driver');
  });
});
