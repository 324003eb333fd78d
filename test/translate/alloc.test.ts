import { AllocList, Allocation, TaskEvent } from '../../src/nomad/types';
import { stringifyLegacy } from '../../src/legacy/int64';
import {
  allocJobView,
  driverMessageOf,
  legacyAllocation,
  legacyAllocStub,
  legacyTaskEvent,
  type AllocJobView,
} from '../../src/translate/alloc';
import { nomadJobToLegacy } from '../../src/translate/job';
import { maskSecrets } from '../../src/translate/mask';
import { legacyFixture, nomadFixture, sortedKeys, storedSeedJob, typesOf } from '../support/runtimeFixtures';

const PASSWORD = 'CANARY-pw-7f3a';

/** seed 003: GET /v1/job/{ID}/allocations of a 2.x server */
const seedAllocs = legacyFixture<Array<Record<string, unknown>>>('job-allocations.json');
const seedAlloc = seedAllocs[0] as Record<string, unknown>;
const seedState = (seedAlloc.TaskStates as Record<string, Record<string, unknown>>).Src as Record<string, unknown>;
const seedEvent = (seedState.Events as Array<Record<string, unknown>>)[0] as Record<string, unknown>;

/** seed 000: Nomad 1.2's GET /v1/job/{ID}/allocations?index=15 (a running allocation with its events) */
const running = nomadFixture('job-allocations-index15.json', AllocList);
/** seed 000: the same before the client picked it up (TaskStates null) */
const pending = nomadFixture('job-allocations.json', AllocList);
/** seed 000: Nomad 1.2's GET /v1/allocation/{ID} */
const detail = nomadFixture('allocation-detail.json', Allocation);

/** The captured allocation belongs to group `recognize_redis`, task `redis`: label it as a Src task of job test1-2. */
const capturedView: AllocJobView = {
  name: 'test1-2',
  groups: new Map([['recognize_redis', 'Src']]),
  tasks: new Map([['redis', 'Src']]),
  secrets: [],
};

/** Parse what a legacy client receives. */
const wire = (v: unknown) => JSON.parse(stringifyLegacy(v)) as Record<string, unknown>;

describe('allocJobView', () => {
  const view = allocJobView(storedSeedJob(PASSWORD), ['dtle']);

  it('maps the src/dest groups and tasks of a dtle job to Src/Dest and keeps the legacy Name', () => {
    expect(view).not.toBeNull();
    expect(view?.name).toBe('test1-2');
    expect([...(view?.groups ?? [])]).toEqual([
      ['src', 'Src'],
      ['dest', 'Dest'],
    ]);
    expect([...(view?.tasks ?? [])]).toEqual([
      ['src', 'Src'],
      ['dest', 'Dest'],
    ]);
  });

  it('collects the passwords of the task configs (to scrub event texts)', () => {
    expect(view?.secrets).toEqual([PASSWORD]);
  });

  it('is null for a job without a dtle task (seed 000 job: driver recognize)', () => {
    expect(allocJobView(detail.Job as NonNullable<typeof detail.Job>, ['dtle'])).toBeNull();
  });

});

describe('legacyAllocStub (Nomad AllocationListStub → 2.x AllocListStub)', () => {
  const nomad = running[0] as (typeof running)[number];
  const out = wire(legacyAllocStub(nomad, capturedView));

  it("has exactly the keys of seed 003's allocation, each with the same JSON type", () => {
    expect(sortedKeys(out)).toEqual(sortedKeys(seedAlloc));
    expect(typesOf(out)).toEqual(typesOf(seedAlloc));
  });

  it('fills every field from the Nomad allocation', () => {
    expect(out).toMatchObject({
      ID: '32b37f6e-d177-8f8e-2c55-490dc5e0cf9d',
      EvalID: '0af80e99-edfc-152d-ba25-360dbec37277',
      Name: 'test1-2.Src',
      NodeID: 'f83444e5-35cc-c65d-6e2a-cd0b6c8bcc47',
      JobID: 'recognize_redis_example',
      Task: 'Src',
      DesiredStatus: 'run',
      DesiredDescription: '',
      ClientStatus: 'running',
      ClientDescription: 'Tasks are running',
      CreateIndex: 15,
      ModifyIndex: 17,
    });
    expect(Object.keys(out.TaskStates as object)).toEqual(['Src']);
  });

  it('writes CreateTime as a bare int64 number with every digit', () => {
    const text = stringifyLegacy(legacyAllocStub(nomad, capturedView));
    expect(text.endsWith(',"CreateTime":1645601194102268758}')).toBe(true);
  });

  it("keys the task state by the legacy task, with seed 003's TaskState and TaskEvent keys and types", () => {
    const state = (out.TaskStates as Record<string, Record<string, unknown>>).Src as Record<string, unknown>;
    expect(sortedKeys(state)).toEqual(sortedKeys(seedState));
    expect(typesOf(state)).toEqual(typesOf(seedState)); // FinishedAt null while running, as in seed 003
    const events = state.Events as Array<Record<string, unknown>>;
    expect(events).toHaveLength(6);
    for (const e of events) expect(sortedKeys(e)).toEqual(sortedKeys(seedEvent));
    expect(typesOf(events[0])).toEqual(typesOf(seedEvent));
  });

  it('formats times as 2.x did: RFC 3339 with the exact nanoseconds; zero times null', () => {
    const state = (out.TaskStates as Record<string, Record<string, unknown>>).Src as Record<string, unknown>;
    expect(state.StartedAt).toBe('2022-02-23T07:26:34.206515784Z');
    expect(state.FinishedAt).toBeNull();
    const events = state.Events as Array<Record<string, unknown>>;
    expect(events.map((e) => [e.Type, e.Time])).toEqual([
      ['Received', '2022-02-23T07:26:34.105068907Z'],
      ['Task Setup', '2022-02-23T07:26:34.1064826Z'],
      ['Driver', null], // Nomad's -6795364578871345152: Go's zero time
      ['Driver', null],
      ['Started', '2022-02-23T07:26:34.206513932Z'],
      ['Driver', null],
    ]);
  });

  it("keeps the driver's messages in DriverMessage and Nomad's Message", () => {
    const events = ((out.TaskStates as Record<string, Record<string, unknown>>).Src as Record<string, unknown>).Events as Array<
      Record<string, unknown>
    >;
    expect(events.map((e) => e.DriverMessage)).toEqual([
      '',
      '',
      'stating recognize process by filter type [net] and identify [127.0.0.1:6379]',
      'finish recognized,recognized success [15805]',
      '',
      'takeover is disabled, complete the task after identify',
    ]);
    expect(events[1]?.Message).toBe('Building Task Directory');
  });

  it('keeps TaskStates null for an allocation no client has picked up yet', () => {
    const p = wire(legacyAllocStub(pending[0] as (typeof pending)[number], capturedView));
    expect(p.TaskStates).toBeNull();
    expect(p.ClientStatus).toBe('pending');
    expect(p.Name).toBe('test1-2.Src');
  });

  it('names by group when the job is unknown: src → Src, dest → Dest, other names kept', () => {
    const base = running[0] as (typeof running)[number];
    expect(legacyAllocStub({ ...base, TaskGroup: 'dest' }, null).Task).toBe('Dest');
    expect(legacyAllocStub({ ...base, TaskGroup: 'dest' }, null).Name).toBe('recognize_redis_example.Dest');
    expect(legacyAllocStub(base, null).Task).toBe('recognize_redis');
  });
});

describe("dtle's stage messages survive", () => {
  const event = (over: Record<string, unknown>) =>
    TaskEvent.parse({ Type: 'Driver', Time: '1645601194206513932', DisplayMessage: '', DriverMessage: '', ...over });

  it('from DriverMessage and DisplayMessage (dtle 3.x/4.x sets both)', () => {
    const e = legacyTaskEvent(event({ DisplayMessage: 'job_stage_full', DriverMessage: 'job_stage_full' }));
    expect(e.DriverMessage).toBe('job_stage_full');
    expect(e.Time).toBe('2022-02-23T07:26:34.206513932Z');
  });

  it('from DisplayMessage alone', () => {
    expect(legacyTaskEvent(event({ DisplayMessage: 'job_stage_incr' })).DriverMessage).toBe('job_stage_incr');
    expect(driverMessageOf({ Type: 'Started', DriverMessage: '', DisplayMessage: 'Task started by client' })).toBe('');
  });

  it('with passwords of the job scrubbed from event texts', () => {
    const e = legacyTaskEvent(
      event({ Type: 'Driver Failure', DriverError: `dial root:${PASSWORD}@tcp(10.0.0.1:3306) failed`, Message: 'password=hunter2 rejected' }),
      [PASSWORD],
    );
    expect(e.DriverError).toBe('dial root:*@tcp(10.0.0.1:3306) failed');
    expect(e.Message).toBe('password=* rejected');
  });
});

describe('legacyAllocation (Nomad Allocation → 2.x Allocation)', () => {
  const job = storedSeedJob(PASSWORD);
  const view = allocJobView(job, ['dtle']) as AllocJobView;
  const legacyJob = maskSecrets(nomadJobToLegacy(job, ['dtle']));
  // seed 000's allocation, as the allocation of the dtle job's src group
  const testkafka = (detail.TaskStates ?? {}).testkafka;
  const alloc = { ...detail, JobID: job.ID, TaskGroup: 'src', Job: job, TaskStates: testkafka ? { src: testkafka } : null };
  const out = wire(legacyAllocation(alloc, view, legacyJob));

  it("has 2.x's Allocation fields, in the Go struct's order", () => {
    expect(Object.keys(out)).toEqual([
      'ID',
      'EvalID',
      'Name',
      'NodeID',
      'JobID',
      'Job',
      'Task',
      'Metrics',
      'DesiredStatus',
      'DesiredDescription',
      'ClientStatus',
      'ClientDescription',
      'TaskStates',
      'PreviousAllocation',
      'CreateIndex',
      'ModifyIndex',
      'AllocModifyIndex',
      'CreateTime',
    ]);
  });

  it('fills them from Nomad', () => {
    expect(out).toMatchObject({
      ID: 'a7dcc52d-46b4-244e-5de1-df72e8e43e1a',
      EvalID: '47396a00-a2ca-b579-49eb-e900c0dece44',
      Name: 'test1-2.Src',
      NodeID: '00c16477-b643-1563-a3f1-abfb4d17a0e9',
      JobID: '8ce4b408-8c64-41b9-04d7-baf451348e89',
      Task: 'Src',
      DesiredStatus: 'run',
      ClientStatus: 'running',
      ClientDescription: 'Tasks are running',
      PreviousAllocation: '',
      CreateIndex: 11,
      ModifyIndex: 14,
      AllocModifyIndex: 11,
    });
    expect(stringifyLegacy(legacyAllocation(alloc, view, legacyJob))).toContain('"CreateTime":1645506633742024444}');
    expect(Object.keys(out.TaskStates as object)).toEqual(['Src']);
  });

  it("maps Metrics to 2.x's AllocMetric (Nomad's extra fields dropped)", () => {
    expect(out.Metrics).toEqual({
      NodesEvaluated: 1,
      NodesFiltered: 0,
      NodesAvailable: { dc1: 1 },
      ClassFiltered: null,
      ConstraintFiltered: null,
      NodesExhausted: 0,
      ClassExhausted: null,
      DimensionExhausted: null,
      Scores: null,
      AllocationTime: 66628,
      CoalescedFailures: 0,
    });
  });

  it('embeds the legacy job, passwords masked', () => {
    const embedded = out.Job as { Name: string; Tasks: Array<{ Type: string; Config: { ConnectionConfig?: { Password: string } } }> };
    expect(embedded.Name).toBe('test1-2');
    expect(embedded.Tasks.map((t) => t.Type)).toEqual(['Src', 'Dest']);
    expect(embedded.Tasks.map((t) => t.Config.ConnectionConfig?.Password)).toEqual(['*', '*']);
    expect(JSON.stringify(out)).not.toContain(PASSWORD);
  });
});
