import type { DtleJob, DtleTask } from '../../src/translate/dtleJob';
import { PAUSED_STATUS, isKnownLegacyPath, legacyConfigOf, legacyJobOf, legacyListStubOf, legacySpecOf, legacyTaskOf, overlayPosted, withNatsAddr } from '../../src/translate/toLegacy';

function task(over: Partial<DtleTask> = {}): DtleTask {
  return {
    type: 'Src',
    driver: 'MySQL',
    connection: { Host: 'h', Port: 3306, User: 'u', Password: 'p' },
    kafka: null,
    gtid: 'g:1-5',
    options: { ReplChanBufferSize: 60, ChunkSize: 2000 },
    node: { id: '', name: 'dtle' },
    only2x: { leader: false, constraints: null, posted: null },
    derived: false,
    ...over,
  };
}

const state = { status: 'running', statusDescription: '', createIndex: 59, modifyIndex: 471, jobModifyIndex: 470 };
const record: DtleJob = {
  id: 'id-1',
  name: 'test1-2',
  stateKey: 'id-1',
  natsAddr: null,
  region: 'global',
  datacenters: ['dc1'],
  only2x: { type: 'migration', orders: ['o1'], failover: true, constraints: null },
  tasks: [task(), task({ type: 'Dest', only2x: { leader: true, constraints: null, posted: null } })],
  state,
};

describe('legacySpecOf, legacyJobOf, legacyListStubOf', () => {
  it("sets 2.x's Job fields in 2.x's order, spec then state", () => {
    const job = legacyJobOf(legacySpecOf(record), { state, paused: false });
    expect(Object.keys(job)).toEqual([
      'Region', 'ID', 'Orders', 'Name', 'Failover', 'Type', 'Datacenters', 'Constraints', 'Tasks',
      'Status', 'StatusDescription', 'EnforceIndex', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex',
    ]);
    expect(job).toMatchObject({ Region: 'global', ID: 'id-1', Orders: ['o1'], Failover: true, Type: 'migration', Status: 'running', EnforceIndex: false, JobModifyIndex: 470 });
  });

  it('shows a paused job as pause, in the job and its list stub', () => {
    expect(legacyJobOf(legacySpecOf(record), { state, paused: true }).Status).toBe(PAUSED_STATUS);
    const stub = legacyListStubOf(legacySpecOf(record), { state, paused: true });
    expect([stub.Status, stub.JobSummary.Status]).toEqual(['pause', 'pause']);
    expect(Object.keys(stub)).toEqual(['ID', 'Name', 'Type', 'Status', 'StatusDescription', 'JobSummary', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex']);
  });
});

describe('legacyTaskOf and legacyConfigOf', () => {
  it("sets 2.x's Task fields; a job written elsewhere shows Nomad's config, keys in Go's map order", () => {
    const t = legacyTaskOf(task());
    expect(Object.keys(t)).toEqual(['Type', 'NodeID', 'NodeName', 'Driver', 'Config', 'ConfigLock', 'Leader', 'Constraints']);
    expect(JSON.stringify(t.Config)).toBe('{"ChunkSize":2000,"ConnectionConfig":{"Host":"h","Password":"p","Port":3306,"User":"u"},"Gtid":"g:1-5","ReplChanBufferSize":60}');
  });

  it('keeps the posted JSON types, posted order and keys the driver does not take', () => {
    const posted = { ConnectionConfig: { Host: 'h', Port: '3306', User: 'u' }, ChunkSize: '2000', NatsAddr: '127.0.0.1:8193', Gtid: 'g:1-5' };
    const config = legacyConfigOf(task({ only2x: { leader: false, constraints: null, posted } }));
    expect(JSON.stringify(config)).toBe(
      '{"ConnectionConfig":{"Host":"h","Port":"3306","User":"u","Password":"p"},"ChunkSize":"2000","NatsAddr":"127.0.0.1:8193","Gtid":"g:1-5","ReplChanBufferSize":60}',
    );
  });

  it('takes a value changed in Nomad over the posted one, and drops what Nomad no longer holds', () => {
    const posted = { ChunkSize: '2000', SkipCreateDbTable: true };
    const config = legacyConfigOf(task({ options: { ChunkSize: 500 }, only2x: { leader: false, constraints: null, posted } }));
    expect(config).toEqual({ ChunkSize: 500, ConnectionConfig: { Host: 'h', Port: 3306, User: 'u', Password: 'p' }, Gtid: 'g:1-5' });
  });

  it('shows a Kafka destination flat, as 2.x took it', () => {
    const config = legacyConfigOf(task({ type: 'Dest', driver: 'Kafka', connection: null, options: {}, kafka: { Topic: 't', Brokers: ['b:9092'] } }));
    expect(config).toEqual({ Brokers: ['b:9092'], Gtid: 'g:1-5', Topic: 't' });
  });
});

describe('overlayPosted and isKnownLegacyPath', () => {
  it('compares loosely: case, blanks and comma lists', () => {
    const known = () => true;
    expect(overlayPosted({ a: ' TRUE ', b: 'x,y' }, { a: true, b: ['x', 'y'] }, known)).toEqual({ a: ' TRUE ', b: 'x,y' });
  });

  it('knows the driver spec of each kind of task', () => {
    expect(isKnownLegacyPath(['ConnectionConfig', 'Port'], 'MySQL')).toBe(true);
    expect(isKnownLegacyPath(['ConnectionConfig', 'Nope'], 'MySQL')).toBe(false);
    expect(isKnownLegacyPath(['NatsAddr'], 'MySQL')).toBe(false);
    expect(isKnownLegacyPath(['ReplicateDoDb', '0', 'Tables', '1', 'TableName'], 'MySQL')).toBe(true);
    expect(isKnownLegacyPath(['Topic'], 'Kafka')).toBe(true);
    expect(isKnownLegacyPath(['ChunkSize'], 'MySQL', true)).toBe(false);
    expect(isKnownLegacyPath(['Gtid'], 'MySQL', true)).toBe(true);
  });
});

describe('withNatsAddr (2.x wrote the Dest node\'s NATS address into every task\'s Config)', () => {
  const task = { Type: 'Src', Config: { Gtid: 'g', NatsAddr: '10.0.0.1:8193' } };
  it('shows a host:port address, never the one posted; leaves the key out when unknown or a placeholder', () => {
    expect(withNatsAddr(task, '127.0.0.1:43817').Config).toEqual({ Gtid: 'g', NatsAddr: '127.0.0.1:43817' });
    for (const unknown of [null, 'wait', 'waitdst', '']) expect(withNatsAddr(task, unknown).Config).toEqual({ Gtid: 'g' });
  });
  it('is set in every task of the spec from the record', () => {
    const spec = legacySpecOf({ ...record, natsAddr: '[::1]:8193' });
    expect(spec.Tasks.map((t) => t.Config.NatsAddr)).toEqual(spec.Tasks.map(() => '[::1]:8193'));
  });
});
