/**
 * The simulated client's task lifecycle with the dtle driver, against what the real driver did
 * through Nomad 1.11.3 (test/fixtures/dtle/<version>/, captured by the real-dtle tier): a task
 * whose database refuses connections restarts within its policy, fails, and its allocation is
 * replaced; a job Name over 64 bytes is a Driver Failure; the alloc signal endpoint answers as the
 * driver does. Delays run faster (timeScale 0.02 or less: a 15 s restart delay takes 0.3 s); the
 * texts are the real ones.
 */
import net from 'node:net';
import { goDuration } from '../../../src/nomad/go';
import type { JobInput } from '../../../src/nomad/types';
import type { DtleHooks, DtleTaskInfo } from '../../src';
import type { TaskState } from '../../src/nomad/structs';
import { dtleCapture, dtleJob, sleep, startSim, useSim, type SimClient } from './helpers';

interface EventJson {
  Type: string;
  Time: number;
  Message: string;
  DisplayMessage: string;
  Details: Record<string, string> | null;
  FailsTask: boolean;
  RestartReason: string;
  DriverError: string;
  ExitCode: number;
  StartDelay: number;
  DriverMessage: string;
}
type TaskStateJson = Omit<TaskState, 'Events'> & { Events: EventJson[] };
interface AllocJson {
  ID: string;
  Name: string;
  TaskGroup: string;
  NodeID: string;
  EvalID: string;
  DesiredStatus: string;
  DesiredDescription: string;
  DesiredTransition: Record<string, unknown>;
  ClientStatus: string;
  ClientDescription: string;
  NextAllocation?: string;
  PreviousAllocation?: string;
  FollowupEvalID?: string;
  DeploymentID?: string;
  DeploymentStatus?: { Healthy: boolean; Timestamp: string | null } | null;
  RescheduleTracker?: { Events: Array<{ RescheduleTime: number; PrevAllocID: string; PrevNodeID: string; Delay: number }>; LastReschedule: string } | null;
  TaskStates: Record<string, TaskStateJson> | null;
}

const VERSIONS = ['4.22.07.2', '4.23.04.3'];

/** A dtle job (src-only layout) whose databases are at these addresses. */
function jobAt(id: string, src: string, dest: string, over: Partial<JobInput> = {}): JobInput {
  const job = dtleJob(id, over);
  const [host = '', port = ''] = src.split(':');
  const [dhost = '', dport = ''] = dest.split(':');
  const groups = job.TaskGroups ?? [];
  const task = groups[0]?.Tasks?.[0];
  if (task?.Config) {
    task.Config = { ...task.Config, SrcConnectionConfig: { Host: host, Port: Number(port), User: 'repl', Password: 'p' }, DestConnectionConfig: { Host: dhost, Port: Number(dport), User: 'repl', Password: 'p' } };
  }
  return job;
}

async function allocs(c: SimClient, id: string): Promise<AllocJson[]> {
  return (await c.get(`/v1/job/${encodeURIComponent(id)}/allocations`)).json as AllocJson[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const types = (a: AllocJson | undefined, task: string) => (a?.TaskStates?.[task]?.Events ?? []).map((e) => e.Type);

/** The real failed allocation's task state (a dest task of a job whose MySQL refused). */
function realFailed(version: string): { alloc: AllocJson; task: TaskStateJson } {
  const alloc = JSON.parse(dtleCapture(version, 'allocation-failed.json')) as AllocJson;
  return { alloc, task: alloc.TaskStates?.[alloc.TaskGroup] as TaskStateJson };
}

describe('a dtle task whose database refuses connections', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSim({ timeScale: 0.02, databases: { '10.9.9.9:3306': 'refused' } });
  });
  afterAll(() => c.close());

  it('Started, Terminated with exit code 2 and the dial error, Restarting within policy: task and allocation pending between runs', async () => {
    c.sim.registerJob(jobAt('refused-1', '10.0.0.1:3306', '10.9.9.9:3306'));
    const dest = await until('the first restart', async () => (await allocs(c, 'refused-1')).find((a) => a.TaskGroup === 'dest' && types(a, 'dest').includes('Restarting')));
    const events = dest.TaskStates?.dest?.Events ?? [];
    expect(events.map((e) => e.Type).slice(0, 5)).toEqual(['Received', 'Task Setup', 'Started', 'Terminated', 'Restarting']);
    const text = 'dial tcp 10.9.9.9:3306: connect: connection refused';
    expect(events[3]).toMatchObject({ ExitCode: 2, Message: text, DisplayMessage: `Exit Code: 2, Exit Message: "${text}"`, Details: { exit_code: '2', exit_message: text, oom_killed: 'false', signal: '0' }, FailsTask: false });
    const restarting = events[4] as EventJson;
    // the policy's 15 s with Nomad's jitter (up to 25 %), at timeScale 0.02
    expect(restarting.StartDelay).toBeGreaterThanOrEqual(300_000_000);
    expect(restarting.StartDelay).toBeLessThan(375_000_000);
    expect(restarting).toMatchObject({ RestartReason: 'Restart within policy', DisplayMessage: `Task restarting in ${goDuration(restarting.StartDelay)}`, Details: { start_delay: String(restarting.StartDelay), restart_reason: 'Restart within policy' } });
    expect([dest.TaskStates?.dest?.State, dest.ClientStatus, dest.ClientDescription]).toEqual(['pending', 'pending', 'No tasks have started']);
    // the src task of the job waits for its peer: it runs, and reports no stage
    const src = (await allocs(c, 'refused-1')).find((a) => a.TaskGroup === 'src');
    expect(types(src, 'src')).toEqual(['Received', 'Task Setup', 'Started']);
  });

  it('every event and task state has the real one\'s fields; Restarts and LastRestart follow the Restarting events', async () => {
    const dest = (await allocs(c, 'refused-1')).find((a) => a.TaskGroup === 'dest');
    const st = dest?.TaskStates?.dest as TaskStateJson;
    for (const v of VERSIONS) {
      const real = realFailed(v).task;
      expect(Object.keys(st).sort()).toEqual(Object.keys(real).sort());
      for (const e of st.Events) expect(Object.keys(e).sort()).toEqual(Object.keys(real.Events[0] as EventJson).sort());
      for (const type of ['Terminated', 'Restarting', 'Not Restarting']) {
        const mine = st.Events.find((e) => e.Type === type);
        const theirs = real.Events.find((e) => e.Type === type);
        if (mine) expect(Object.keys(mine.Details ?? {}).sort()).toEqual(Object.keys(theirs?.Details ?? {}).sort());
      }
    }
    const restarts = st.Events.filter((e) => e.Type === 'Restarting');
    expect(st.Restarts).toBe(restarts.length);
    const last = restarts.at(-1);
    if (last) expect(Date.parse(st.LastRestart ?? '')).toBe(Math.floor(last.Time / 1e6));
  });

  it('after three runs in 30 minutes: Not Restarting, the task dead and failed, Alloc Unhealthy; the allocation failed, its deployment failed', async () => {
    const failed = await until('the failed allocation', async () => (await allocs(c, 'refused-1')).find((a) => a.TaskGroup === 'dest' && a.ClientStatus === 'failed'));
    const full = (await c.get(`/v1/allocation/${failed.ID}`)).json as AllocJson;
    const st = full.TaskStates?.dest as TaskStateJson;
    expect(st.Events.map((e) => [e.Type, e.DisplayMessage]).slice(-3)).toEqual([
      ['Terminated', 'Exit Code: 2, Exit Message: "dial tcp 10.9.9.9:3306: connect: connection refused"'],
      ['Not Restarting', 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"'],
      ['Alloc Unhealthy', 'Unhealthy because of failed task'],
    ]);
    // the real failed allocation of dtle 4.23.04.3 ends the same way (4.22.07.2: its deployment was failed first, no Alloc Unhealthy)
    const real = realFailed('4.23.04.3');
    expect(st.Events.slice(-3).map((e) => [e.Type, e.Details === null ? null : Object.keys(e.Details).sort()])).toEqual(real.task.Events.slice(-3).map((e) => [e.Type, e.Details === null ? null : Object.keys(e.Details).sort()]));
    // Nomad keeps a task's last 10 events
    expect(st.Events).toHaveLength(10);
    expect(st.Events.map((e) => e.Type)).toEqual(['Task Setup', 'Started', 'Terminated', 'Restarting', 'Started', 'Terminated', 'Restarting', 'Started', 'Terminated', 'Not Restarting', 'Alloc Unhealthy'].slice(1));
    expect(st).toMatchObject({ State: 'dead', Failed: true, Restarts: 2 });
    expect(st.FinishedAt).toMatch(/Z$/);
    expect(full).toMatchObject({ ClientStatus: 'failed', ClientDescription: 'Failed tasks', DeploymentStatus: { Healthy: false } });
    expect(full.DeploymentStatus?.Timestamp).toMatch(/Z$/);
    expect(full.DesiredTransition).toMatchObject({ Reschedule: true });
    const dep = (await c.get('/v1/job/refused-1/deployment')).json as { Status: string; StatusDescription: string };
    expect([dep.Status, dep.StatusDescription]).toEqual(['failed', 'Failed due to unhealthy allocations']);
  });

  it('is rescheduled after the policy\'s delay: a follow-up evaluation, the replacement with its RescheduleTracker; the failed one stopped, pointing at it', async () => {
    const replaced = await until('the replacement', async () => {
      const list = await allocs(c, 'refused-1');
      const old = list.find((a) => a.TaskGroup === 'dest' && a.ClientStatus === 'failed' && a.NextAllocation);
      const next = old && list.find((a) => a.ID === old.NextAllocation);
      return old && next ? { old, next } : undefined;
    });
    const { old, next } = replaced;
    expect(old).toMatchObject({ DesiredStatus: 'stop', DesiredDescription: '', ClientStatus: 'failed' });
    const evals = (await c.get('/v1/job/refused-1/evaluations')).json as Array<{ ID: string; TriggeredBy: string; Status: string; StatusDescription?: string; WaitUntil?: string }>;
    const followUp = evals.find((e) => e.ID === old.FollowupEvalID);
    expect(followUp).toMatchObject({ TriggeredBy: 'alloc-reschedule', Status: 'complete', StatusDescription: 'created for delayed rescheduling' });
    expect(followUp?.WaitUntil).toMatch(/Z$/);
    expect(evals.some((e) => e.TriggeredBy === 'alloc-failure' && e.Status === 'complete')).toBe(true);
    const full = (await c.get(`/v1/allocation/${next.ID}`)).json as AllocJson;
    expect(full).toMatchObject({ Name: old.Name, EvalID: old.FollowupEvalID, PreviousAllocation: old.ID, DesiredStatus: 'run' });
    // the service job's default reschedule policy: 30 s (here 600 ms), exponential
    expect(full.RescheduleTracker).toEqual({ Events: [{ RescheduleTime: expect.any(Number), PrevAllocID: old.ID, PrevNodeID: old.NodeID, Delay: 600_000_000 }], LastReschedule: 'ok' });
    const realNext = (JSON.parse(dtleCapture('4.22.07.2', 'job-allocations-flapping.json')) as AllocJson[]).find((a) => a.RescheduleTracker);
    expect(Object.keys(full.RescheduleTracker ?? {})).toEqual(Object.keys(realNext?.RescheduleTracker ?? {}));
    expect(Object.keys(full.RescheduleTracker?.Events[0] ?? {})).toEqual(Object.keys(realNext?.RescheduleTracker?.Events[0] ?? {}));
    // the replacement flaps the same way; its own replacement waits twice as long
    const second = await until('the second reschedule', async () => {
      const list = await allocs(c, 'refused-1');
      const n = list.find((a) => a.ID === next.ID);
      const nn = n?.NextAllocation ? list.find((a) => a.ID === n.NextAllocation) : undefined;
      return nn;
    });
    expect(second.RescheduleTracker?.Events.map((e) => e.Delay)).toEqual([600_000_000, 1_200_000_000]);
    const job = (await c.get('/v1/job/refused-1')).json as { Status: string };
    expect(job.Status).toBe('running');
  });

  it('stopping the job kills a task between two runs (Killing, dead) and no restart or reschedule follows', async () => {
    c.sim.registerJob(jobAt('refused-2', '10.0.0.1:3306', '10.9.9.9:3306'));
    const pending = await until('a dest task between runs', async () => (await allocs(c, 'refused-2')).find((a) => a.TaskGroup === 'dest' && a.TaskStates?.dest?.State === 'pending'));
    await c.send('DELETE', '/v1/job/refused-2');
    const stopped = (await allocs(c, 'refused-2')).find((a) => a.ID === pending.ID);
    expect(stopped?.TaskStates?.dest?.State).toBe('dead');
    expect(types(stopped, 'dest').at(-1)).toBe('Killing');
    expect([stopped?.DesiredStatus, stopped?.ClientStatus]).toEqual(['stop', 'complete']);
    const n = (await allocs(c, 'refused-2')).length;
    await sleep(150);
    const later = await allocs(c, 'refused-2');
    expect(later).toHaveLength(n);
    expect(types(later.find((a) => a.ID === pending.ID), 'dest')).toEqual(types(stopped, 'dest'));
  });

  it('a database told to answer again: the next run replicates (the applier reports job_stage_full)', async () => {
    c.sim.databases.set('10.9.9.8:3306', 'refused');
    c.sim.registerJob(jobAt('refused-3', '10.0.0.1:3306', '10.9.9.8:3306'));
    await until('the first restart', async () => (await allocs(c, 'refused-3')).find((a) => a.TaskGroup === 'dest' && types(a, 'dest').includes('Restarting')));
    c.sim.databases.set('10.9.9.8:3306', null);
    const ok = await until('the task running again', async () => (await allocs(c, 'refused-3')).find((a) => a.TaskGroup === 'dest' && types(a, 'dest').at(-1) === 'Driver'));
    expect(ok.TaskStates?.dest?.Events.at(-1)).toMatchObject({ Type: 'Driver', DisplayMessage: 'job_stage_full' });
    expect(ok.TaskStates?.dest?.State).toBe('running');
    expect(ok.ClientStatus).toBe('running');
  });
});

describe('a dtle task dialling this machine', () => {
  const sim = useSim({ timeScale: 0.001 });

  it('a port where nothing listens refuses (a real dial); a listener that never answers keeps the task running, no stage', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      sim().sim.registerJob(jobAt('local-1', `127.0.0.1:${silentPort}`, `127.0.0.1:${deadPort}`));
      const dest = await until('the dest task ending', async () => (await allocs(sim(), 'local-1')).find((a) => a.TaskGroup === 'dest' && types(a, 'dest').includes('Terminated')));
      expect(dest.TaskStates?.dest?.Events.find((e) => e.Type === 'Terminated')?.Message).toBe(`dial tcp 127.0.0.1:${deadPort}: connect: connection refused`);
      await sleep(50);
      const src = (await allocs(sim(), 'local-1')).find((a) => a.TaskGroup === 'src');
      expect([src?.ClientStatus, src?.TaskStates?.src?.State]).toEqual(['running', 'running']);
      expect(types(src, 'src')).toEqual(['Received', 'Task Setup', 'Started']);
    } finally {
      silent.close();
    }
  });
});

describe('a job Name over 64 bytes', () => {
  const sim = useSim({ timeScale: 0.001 });

  it('each task: Driver Failure with the driver\'s error through gRPC, Not Restarting "Error was unrecoverable"; the allocation failed', async () => {
    const name = 'n'.repeat(65);
    sim().sim.registerJob(dtleJob('long-1', { Name: name }));
    const list = await allocs(sim(), 'long-1');
    for (const a of list) {
      const st = a.TaskStates?.[a.TaskGroup];
      const text = `rpc error: code = Unknown desc = job name too long. jobName ${name} lenLimit 64`;
      expect(st?.Events.map((e) => [e.Type, e.DisplayMessage])).toEqual([
        ['Received', 'Task received by client'],
        ['Task Setup', 'Building Task Directory'],
        ['Driver Failure', text],
        ['Not Restarting', 'Error was unrecoverable'],
        ['Alloc Unhealthy', 'Unhealthy because of failed task'],
      ]);
      expect(st?.Events[2]).toMatchObject({ DriverError: text, Details: { driver_error: text }, FailsTask: false });
      expect(st?.Events[3]).toMatchObject({ FailsTask: true, RestartReason: 'Error was unrecoverable', Details: { restart_reason: 'Error was unrecoverable', fails_task: 'true' } });
      expect(st).toMatchObject({ State: 'dead', Failed: true, Restarts: 0, StartedAt: null });
      expect([a.ClientStatus, a.ClientDescription]).toEqual(['failed', 'Failed tasks']);
      const full = (await sim().get(`/v1/allocation/${a.ID}`)).json as AllocJson;
      expect(full.DeploymentStatus).toMatchObject({ Healthy: false, Timestamp: expect.stringMatching(/Z$/) });
      expect(full.DesiredTransition).toMatchObject({ Reschedule: true });
    }
    // 64 bytes is within the limit
    sim().sim.registerJob(dtleJob('long-2', { Name: 'n'.repeat(64) }));
    expect((await allocs(sim(), 'long-2')).map((a) => a.ClientStatus)).toEqual(['running', 'running']);
  });
});

describe('POST /v1/client/allocation/{ID}/signal', () => {
  let c: SimClient;
  let src: AllocJson;
  let dest: AllocJson;
  beforeAll(async () => {
    c = await startSim({ timeScale: 0.001, databases: { '10.0.5.1:3306': 'silent', '10.0.5.2:3306': 'silent' } });
    c.sim.registerJob(jobAt('sig-1', '10.0.5.1:3306', '10.0.5.2:3306'));
    const list = await allocs(c, 'sig-1');
    src = list.find((a) => a.TaskGroup === 'src') as AllocJson;
    dest = list.find((a) => a.TaskGroup === 'dest') as AllocJson;
  });
  afterAll(() => c.close());

  for (const v of VERSIONS) {
    it(`stats: 500 "rpc error: code = Unknown desc = {TaskStatistics}", the real text of dtle ${v} but the Timestamp; Signaling and the driver's event`, async () => {
      const res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'src', Signal: 'stats' });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      const real = dtleCapture(v, 'signal-stats.txt');
      const ts = /"Timestamp":(\d{19})/.exec(res.text)?.[1] ?? '';
      // the capture's job has no ReplChanBufferSize (default 32: Backlog 0/128); this one 60
      expect(res.text.replace(ts, 'T').replace('"Backlog":"0/240"', '"Backlog":"0/128"')).toBe(real.replace(/"Timestamp":\d{19}/, '"Timestamp":T'));
      expect(Number(ts) / 1e6).toBeGreaterThan(Date.now() - 60_000);
      const after = (await c.get(`/v1/allocation/${src.ID}`)).json as AllocJson;
      const realAfter = JSON.parse(dtleCapture(v, 'allocation-running-after-signal.json')) as AllocJson;
      const tail = (a: AllocJson) => (a.TaskStates?.src?.Events ?? []).slice(-2).map((e) => ({ Type: e.Type, DisplayMessage: e.DisplayMessage, Details: e.Details, DriverMessage: e.DriverMessage }));
      expect(tail(after)).toEqual(tail(realAfter));
      expect(after.TaskStates?.src?.State).toBe('running');
    });
  }

  it('the dest task answers the applier\'s statistics', async () => {
    const res = await c.send('PUT', `/v1/client/allocation/${dest.ID}/signal`, { Task: 'dest', Signal: 'stats' });
    expect(res.status).toBe(500);
    const stats = JSON.parse(res.text.replace(/^rpc error: code = Unknown desc = /, '')) as Record<string, unknown>;
    expect(stats).toMatchObject({ Backlog: '', Stage: '', HandledTxCount: { ExtractedTxCount: null, AppliedTxCount: 0 }, HandledQueryCount: { ExtractedQueryCount: null, AppliedQueryCount: 0 } });
  });

  it('pause and resume: 200 {"Index":0}, the task keeps running; other signals do nothing', async () => {
    for (const sig of ['pause', 'resume', 'finish', 'SIGHUP']) {
      const res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'src', Signal: sig });
      expect([res.status, res.text]).toEqual([200, '{"Index":0}']);
    }
    const a = (await c.get(`/v1/allocation/${src.ID}`)).json as AllocJson;
    expect(a.TaskStates?.src?.State).toBe('running');
    expect((a.TaskStates?.src?.Events ?? []).slice(-2).map((e) => e.DisplayMessage)).toEqual(['Task being sent a signal', 'Task receive signal SIGHUP']);
  });

  it('without Task: every task of the allocation; a task that is not running: "Task not running"; an unknown task: "Task not found"', async () => {
    let res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Signal: 'stats' });
    expect(res.status).toBe(500);
    expect(res.text).toMatch(/^1 error occurred:\n\t\* Failed to signal task: src, err: rpc error: code = Unknown desc = \{"CurrentCoordinates":.*\}\n\n$/s);
    res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'nope', Signal: 'stats' });
    expect([res.status, res.text]).toEqual([500, 'Task not found']);
    // a restart delay of 0.75 s: long enough to signal the task between two runs
    const failing = await startSim({ timeScale: 0.05, databases: { '10.0.6.2:3306': 'refused' } });
    try {
      failing.sim.registerJob(jobAt('sig-2', '10.0.6.1:3306', '10.0.6.2:3306'));
      const d = await until('the dest between runs', async () => (await allocs(failing, 'sig-2')).find((a) => a.TaskGroup === 'dest' && a.TaskStates?.dest?.State === 'pending'));
      res = await failing.send('POST', `/v1/client/allocation/${d.ID}/signal`, { Task: 'dest', Signal: 'stats' });
      expect([res.status, res.text]).toEqual([500, 'Task not running']);
      res = await failing.send('POST', `/v1/client/allocation/${d.ID}/signal`, { Signal: 'stats' });
      expect([res.status, res.text]).toEqual([500, '1 error occurred:\n\t* Failed to signal task: dest, err: Task not running\n\n']);
    } finally {
      await failing.close();
    }
  });

  it('Nomad\'s refusals: 405 for GET, 400 for a body it cannot decode, 404 for an unknown allocation, 500 for an ID that is not a UUID', async () => {
    let res = await c.get(`/v1/client/allocation/${src.ID}/signal`);
    expect([res.status, res.text]).toEqual([405, 'Invalid method']);
    res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`);
    expect([res.status, res.text]).toEqual([400, 'Failed to decode body: Request body is empty']);
    res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 7 });
    expect([res.status, res.text]).toEqual([400, 'Failed to decode body: json: cannot unmarshal number into Go struct field AllocSignalRequest.Task of type string']);
    res = await c.send('POST', '/v1/client/allocation/00000000-0000-0000-0000-000000000000/signal', { Task: 'src', Signal: 'stats' });
    expect([res.status, res.text]).toEqual([404, 'Unknown allocation "00000000-0000-0000-0000-000000000000"']);
    res = await c.send('POST', '/v1/client/allocation/nope/signal', { Task: 'src', Signal: 'stats' });
    expect([res.status, res.text]).toEqual([500, 'alloc lookup failed: index error: UUID must be 36 characters']);
  });
});

describe('dtle hooks', () => {
  it('follow each task: taskStarting (a start error ends the task), replicating, stageChanged, statistics, taskStopped', async () => {
    const seen: string[] = [];
    const hooks: DtleHooks = {
      taskStarting: (t: DtleTaskInfo) => {
        seen.push(`starting ${t.jobName} ${t.task} ${t.type}`);
        if (t.jobName === 'no-consul' && t.type === 'src') return { exit: `get pause status from consul failed: get dtleJobList/${t.jobName} value from consul failed: connection refused` };
        return undefined;
      },
      replicating: (t) => void seen.push(`replicating ${t.task}`),
      stageChanged: (t, stage) => void seen.push(`stage ${t.task} ${stage}`),
      taskStopped: (t, why) => void seen.push(`stopped ${t.jobName} ${t.task} ${why}`),
      statistics: (_t, s) => ({ ...s, CurrentCoordinates: { ...(s.CurrentCoordinates ?? { File: '', Position: 0, GtidSet: '', RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '' }), GtidSet: 'from-the-hook:1-5' } }),
    };
    const c = await startSim({ timeScale: 0.001, dtleHooks: hooks });
    try {
      c.sim.registerJob(dtleJob('hooked'));
      expect(seen).toEqual(['starting hooked src src', 'replicating src', 'starting hooked dest dest', 'replicating dest', 'stage dest job_stage_full']);
      const src = (await allocs(c, 'hooked')).find((a) => a.TaskGroup === 'src') as AllocJson;
      const res = await c.send('POST', `/v1/client/allocation/${src.ID}/signal`, { Task: 'src', Signal: 'stats' });
      expect(res.text).toContain('"GtidSet":"from-the-hook:1-5"');
      await c.send('DELETE', '/v1/job/hooked');
      expect(seen.slice(-2).sort()).toEqual(['stopped hooked dest stopped', 'stopped hooked src stopped']);
      c.sim.registerJob(dtleJob('no-consul'));
      const ended = await until('the src task ending', async () => (await allocs(c, 'no-consul')).find((a) => a.TaskGroup === 'src' && types(a, 'src').includes('Terminated')));
      expect(ended.TaskStates?.src?.Events.find((e) => e.Type === 'Terminated')?.Message).toBe('get pause status from consul failed: get dtleJobList/no-consul value from consul failed: connection refused');
    } finally {
      await c.close();
    }
  });
});
