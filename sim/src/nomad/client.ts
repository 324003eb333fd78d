/**
 * The Nomad client of the simulated nodes (client/allocrunner and its taskrunner at v1.11.3): an
 * allocation runner per placed allocation, a task runner per task, each task run by its driver.
 *
 *   start      Received, Task Setup, then the driver's StartTask: a Driver Failure (the error
 *              through the plugin's gRPC: `rpc error: code = Unknown desc = …`), or Started and
 *              the task running
 *   exit       Terminated (`Exit Code: N, Exit Message: "…"`), then the restart policy
 *              (restarts/restarts.go): Restarting `Task restarting in <delay>` with the task
 *              pending, or Not Restarting (`Exceeded allowed attempts …`, `Error was
 *              unrecoverable`, `Policy allows no restarts`) with the task dead and failed
 *   health     an allocation of a deployment is healthy once its tasks run (the simulator does
 *              not wait MinHealthyTime); a failed task makes it unhealthy: Alloc Unhealthy
 *   kill       the server stopped the allocation: Killing, Terminated, Killed (a task between two
 *              runs: Killing only), the task dead
 *   signal     POST /v1/client/allocation/{ID}/signal: Signaling, then the driver's SignalTask
 *   stats      GET /v1/client/allocation/{ID}/stats: the drivers' TaskStats, summed as
 *              allocRunner.LatestAllocStats sums them
 *
 * Events keep Nomad's cap of 10 per task. The allocation's client status follows
 * getClientStatus. Every change goes to the server side (`ClientSink`, the state) at once.
 */
import { goDuration, nowNanos, rfc3339Nano } from '../../../src/nomad/go';
import { int64, type Int64Value } from '../../../src/legacy/int64';
import type { SimClock } from './clock';
import { driverEvent, taskEvent } from './shapes';
import type { Allocation, Job, Node, Task, TaskEvent, TaskState } from './structs';

/** drivers.ExitResult */
export interface ExitResult {
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  /** the error text ('' for none) */
  err: string;
}

/** drivers.TaskConfig, the part the simulated drivers read. */
export interface TaskConfig {
  allocId: string;
  job: Job;
  group: string;
  task: Task;
  node: Node;
}

/** What a driver tells the client about a task it runs. */
export interface TaskOutput {
  /** the driver's own task event (EmitEvent: a `Driver` event) */
  event(message: string): void;
  /** the task ended (WaitTask's result) */
  exited(result: ExitResult): void;
  /** the task is past its start: its allocation's health can be judged */
  settled(): void;
}

/** cstructs.TaskResourceUsage */
export interface TaskUsage {
  ResourceUsage: ResourceUsage;
  Timestamp: Int64Value;
  Pids: Record<string, ResourceUsage> | null;
}

export interface ResourceUsage {
  MemoryStats: { RSS: number; Cache: number; Swap: number; MappedFile: number; Usage: number; MaxUsage: number; KernelUsage: number; KernelMaxUsage: number; Measured: string[] | null };
  CpuStats: { SystemMode: number; UserMode: number; TotalTicks: number; ThrottledPeriods: number; ThrottledTime: number; Percent: number; Measured: string[] | null };
  DeviceStats: unknown[] | null;
}

/** A task a driver runs. */
export interface DriverTask {
  /** SignalTask: null, or the error the signal answers with */
  signal(sig: string): string | null;
  /** StopTask: the server stopped the task */
  stop(): void;
  /** TaskStats: one sample */
  usage(): TaskUsage;
  /** the task reports a stage (its driver's own event; a driver may follow it) */
  report?(stage: string): void;
  /** past its start (see TaskOutput.settled) */
  readonly settled: boolean;
}

/** A task driver plugin. */
export interface TaskDriver {
  /** an external plugin: its errors come through gRPC */
  readonly external: boolean;
  /** StartTask: the running task, or the (unrecoverable) error of a Driver Failure */
  startTask(cfg: TaskConfig, out: TaskOutput): DriverTask | { error: string };
}

/**
 * A built-in driver whose tasks run until Nomad stops them (raw_exec and any driver but dtle in
 * the simulator), with some resource usage.
 */
export const runningDriver: TaskDriver = {
  external: false,
  startTask(cfg: TaskConfig): DriverTask {
    const cpu = 1.5 + (cfg.task.Name.length % 3) * 0.25;
    const rss = 48 * 1024 * 1024;
    return {
      settled: true,
      signal: () => null,
      stop: () => undefined,
      usage: () => ({
        ResourceUsage: {
          MemoryStats: { RSS: rss, Cache: 0, Swap: 0, MappedFile: 0, Usage: rss + 4096, MaxUsage: rss + 8192, KernelUsage: 0, KernelMaxUsage: 0, Measured: ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage', 'Kernel Usage', 'Kernel Max Usage'] },
          CpuStats: { SystemMode: cpu / 4, UserMode: (cpu * 3) / 4, TotalTicks: cpu * 24, ThrottledPeriods: 0, ThrottledTime: 0, Percent: cpu, Measured: ['System Mode', 'User Mode', 'Percent'] },
          DeviceStats: [],
        },
        Timestamp: int64(nowNanos()),
        Pids: null,
      }),
    };
  },
};

/** Where the client writes what its allocations do (the server side: SimState). */
export interface ClientSink {
  /** An allocation's task states changed; `health` when its deployment health became known. */
  clientUpdate(allocId: string, states: Record<string, TaskState>, health: ClientHealth | null): void;
  node(id: string): Node | undefined;
}

export interface ClientHealth {
  healthy: boolean;
  time: bigint;
}

/** client/allocrunner/taskrunner: defaultMaxEvents */
const MAX_EVENTS = 10;

/** restarts.go */
const JITTER = 0.25;
const REASON_NO_RESTARTS = 'Policy allows no restarts';
const REASON_UNRECOVERABLE = 'Error was unrecoverable';
const REASON_WITHIN_POLICY = 'Restart within policy';
const REASON_DELAY = 'Exceeded allowed attempts, applying a delay';

/** taskrunner errors.go */
const TASK_NOT_RUNNING = 'Task not running';

/** What a plugin's error looks like once it came through gRPC. */
export function rpcError(err: string): string {
  return `rpc error: code = Unknown desc = ${err}`;
}

/** hashicorp/go-multierror's text */
export function multierrorText(errs: string[]): string {
  if (errs.length === 1) return `1 error occurred:\n\t* ${errs[0] ?? ''}\n\n`;
  return `${errs.length} errors occurred:\n\t${errs.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** The answer of a client RPC: null (done) or an error with the status the HTTP agent gives it. */
export type ClientAnswer = null | { status: number; text: string };

/** getClientStatus */
export function clientStatusOf(states: Record<string, TaskState>): { status: string; description: string } {
  const s = Object.values(states).map((t) => t.State);
  const failed = Object.values(states).some((t) => t.State === 'dead' && t.Failed);
  if (failed) return { status: 'failed', description: 'Failed tasks' };
  if (s.includes('running')) return { status: 'running', description: 'Tasks are running' };
  if (s.includes('pending')) return { status: 'pending', description: 'No tasks have started' };
  if (s.includes('dead')) return { status: 'complete', description: 'All tasks have completed' };
  return { status: 'pending', description: '' };
}

/** One task of an allocation (taskrunner.TaskRunner). */
class TaskRunner {
  state: TaskState = { State: 'pending', Failed: false, Restarts: 0, LastRestart: null, StartedAt: null, FinishedAt: null, Events: null, Paused: '' };
  handle: DriverTask | null = null;
  private lastTime = 0n;
  /** restarts.go RestartTracker */
  private count = 0;
  private trackerStart = Date.now();
  private cancelRestart: () => void = () => undefined;
  private run = 0;
  private killed = false;

  constructor(
    private readonly ar: AllocRunner,
    readonly task: Task,
    private readonly driver: TaskDriver,
  ) {}

  /** A time for the next event: `at` or now, never before the last event. */
  private stamp(at?: bigint): bigint {
    let t = at ?? nowNanos();
    if (t <= this.lastTime) t = this.lastTime + 1000n;
    this.lastTime = t;
    return t;
  }

  append(e: TaskEvent): void {
    const events = this.state.Events ?? [];
    const next = events.length >= MAX_EVENTS ? events.slice(events.length - MAX_EVENTS + 1) : [...events];
    next.push(e);
    const failed = this.state.Failed || e.FailsTask;
    const restarted = e.Type === 'Restarting';
    this.state = {
      ...this.state,
      Failed: failed,
      Restarts: this.state.Restarts + (restarted ? 1 : 0),
      LastRestart: restarted ? rfc3339Nano(BigInt(e.Time.digits)) : this.state.LastRestart,
      Events: next,
    };
  }

  private setState(s: 'pending' | 'running' | 'dead', at: bigint): void {
    const prev = this.state.State;
    this.state = {
      ...this.state,
      State: s,
      StartedAt: s === 'running' && prev !== 'running' ? rfc3339Nano(at) : this.state.StartedAt,
      FinishedAt: s === 'dead' && this.state.FinishedAt === null ? rfc3339Nano(at) : this.state.FinishedAt,
    };
  }

  /** The client received the task: Received, Task Setup, then the driver starts it. */
  start(t0: bigint): void {
    this.append(taskEvent('Received', this.stamp(t0)));
    this.append(taskEvent('Task Setup', this.stamp(t0 + 1_400_000n), { Message: 'Building Task Directory', Details: { message: 'Building Task Directory' } }));
    this.runDriver(t0 + 100_000_000n);
  }

  /** runDriver: StartTask, then Started (or a Driver Failure and the restart policy). */
  private runDriver(at?: bigint): void {
    const run = ++this.run;
    const queued: Array<() => void> = [];
    let starting = true;
    const inRun = (f: () => void) => () => {
      if (run !== this.run || this.killed) return;
      if (starting) queued.push(f);
      else f();
    };
    const out: TaskOutput = {
      event: (m) => inRun(() => {
        this.append(driverEvent(m, this.stamp()));
        this.ar.changed();
      })(),
      exited: (r) => inRun(() => this.exited(r))(),
      settled: () => inRun(() => this.ar.changed())(),
    };
    const started = this.driver.startTask(this.ar.taskConfig(this.task), out);
    if ('error' in started) {
      const text = this.driver.external ? rpcError(started.error) : started.error;
      this.append(taskEvent('Driver Failure', this.stamp(at), { DriverError: text, Details: { driver_error: text } }));
      starting = false;
      this.restartOrFail(true);
      return;
    }
    this.handle = started;
    const t = this.stamp(at);
    this.setState('running', t);
    this.append(taskEvent('Started', t));
    starting = false;
    for (const f of queued) f();
  }

  /** The task ended: Terminated, then the restart policy. */
  private exited(r: ExitResult): void {
    this.handle = null;
    const details: Record<string, string> = { exit_code: String(r.exitCode), signal: String(r.signal), oom_killed: String(r.oomKilled) };
    if (r.err !== '') details.exit_message = r.err;
    this.append(taskEvent('Terminated', this.stamp(), { ExitCode: r.exitCode, Signal: r.signal, Message: r.err, Details: details }));
    this.restartOrFail(false);
  }

  /** shouldRestart with the RestartTracker's GetState. */
  private restartOrFail(startError: boolean): void {
    const policy = this.task.RestartPolicy;
    const clock = this.ar.clock;
    let restartIn: number | null = null;
    let reason: string;
    if (policy.Attempts === 0) {
      reason = REASON_NO_RESTARTS;
    } else {
      const now = Date.now();
      if (now > this.trackerStart + policy.Interval / 1e6) {
        this.count = 0;
        this.trackerStart = now;
      }
      this.count += 1;
      if (startError) {
        reason = REASON_UNRECOVERABLE;
      } else if (this.count > policy.Attempts) {
        if (policy.Mode === 'fail') {
          reason = `Exceeded allowed attempts ${policy.Attempts} in interval ${goDuration(policy.Interval)} and mode is "fail"`;
        } else {
          reason = REASON_DELAY;
          restartIn = clock.scaled(Math.max(0, this.trackerStart + policy.Interval / 1e6 - now) * 1e6);
        }
      } else {
        reason = REASON_WITHIN_POLICY;
        const d = Math.max(1, clock.scaled(policy.Delay));
        restartIn = d + Math.floor(Math.floor(Math.random() * d) * JITTER);
      }
    }
    const t = this.stamp();
    if (restartIn === null) {
      this.append(taskEvent('Not Restarting', t, { RestartReason: reason, FailsTask: true, Details: { restart_reason: reason, fails_task: 'true' } }));
      this.setState('dead', t);
      this.ar.changed();
      return;
    }
    const delay = restartIn;
    this.append(taskEvent('Restarting', t, { StartDelay: delay, RestartReason: reason, Details: { start_delay: String(delay), restart_reason: reason } }));
    this.setState('pending', t);
    this.ar.changed();
    this.cancelRestart = clock.after(delay, () => {
      if (this.killed) return;
      this.runDriver();
      this.ar.changed();
    });
  }

  /** Kill: the server stopped the allocation. */
  kill(t0: bigint): void {
    if (this.killed) return;
    this.killed = true;
    this.cancelRestart();
    if (this.state.State === 'dead') return;
    this.append(taskEvent('Killing', this.stamp(t0), { KillTimeout: this.task.KillTimeout }));
    if (this.handle) {
      this.handle.stop();
      this.handle = null;
      this.append(taskEvent('Terminated', this.stamp(t0 + 5_000_000n), { ExitCode: 0, Details: { exit_code: '0', signal: '0', oom_killed: 'false', exit_message: '' } }));
      this.append(taskEvent('Killed', this.stamp(t0 + 6_000_000n)));
    }
    this.setState('dead', this.lastTime);
  }

  /** TaskRunner.Signal: Signaling, then the driver's SignalTask. */
  signal(sig: string): string | null {
    if (!this.handle) return TASK_NOT_RUNNING;
    this.append(taskEvent('Signaling', this.stamp(), { Details: { signal: sig } }));
    this.ar.changed();
    const err = this.handle.signal(sig);
    if (err === null) return null;
    return this.driver.external ? rpcError(err) : err;
  }

  /** The task reports a stage: its driver's event. */
  report(stage: string): void {
    if (!this.handle) return;
    if (this.handle.report) this.handle.report(stage);
    else {
      this.append(driverEvent(stage, this.stamp()));
      this.ar.changed();
    }
  }

  /** Forgets the task (its allocation is gone): no more timers, its driver task stopped. */
  dispose(): void {
    this.killed = true;
    this.cancelRestart();
    this.handle?.stop();
    this.handle = null;
  }
}

/** One allocation on the client (allocrunner). */
class AllocRunner {
  readonly tasks = new Map<string, TaskRunner>();
  /** deployment health: null until known (allocations of no deployment never get one) */
  private health: boolean | null = null;
  /** while the client starts the allocation, the caller writes its states */
  private starting = false;
  private gone = false;

  constructor(
    private readonly client: SimClient,
    private alloc: Allocation,
  ) {
    const tg = alloc.Job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    for (const t of tg?.Tasks ?? []) this.tasks.set(t.Name, new TaskRunner(this, t, client.drivers.get(t.Driver) ?? runningDriver));
  }

  get clock(): SimClock {
    return this.client.clock;
  }

  taskConfig(task: Task): TaskConfig {
    const node = this.client.sink.node(this.alloc.NodeID);
    if (!node) throw new Error(`sim: no node ${this.alloc.NodeID}`);
    return { allocId: this.alloc.ID, job: this.alloc.Job, group: this.alloc.TaskGroup, task, node };
  }

  states(): Record<string, TaskState> {
    const out: Record<string, TaskState> = {};
    for (const [name, tr] of this.tasks) out[name] = tr.state;
    return out;
  }

  /** The allocation's deployment health, when it just became known: healthy once every task runs settled, unhealthy once one failed. */
  private judge(): ClientHealth | null {
    if (this.alloc.DeploymentID === '' || this.health !== null) return null;
    const runners = [...this.tasks.values()];
    if (runners.some((tr) => tr.state.State === 'dead' && tr.state.Failed)) {
      this.health = false;
      // the health watcher's verdict and event. Nomad races it with the end of the allocation
      // runner, which marks a failed allocation unhealthy without a time or an event
      // (alloc_runner.go clientAlloc): the real driver's allocations show either; the simulator
      // always the watcher's
      const t = nowNanos();
      for (const tr of runners) tr.append(taskEvent('Alloc Unhealthy', t, { Message: 'Unhealthy because of failed task', Details: { message: 'Unhealthy because of failed task' } }));
      return { healthy: false, time: t };
    }
    if (runners.every((tr) => tr.state.State === 'running' && tr.handle?.settled === true)) {
      this.health = true;
      return { healthy: true, time: nowNanos() };
    }
    return null;
  }

  start(t0: bigint): { states: Record<string, TaskState>; health: ClientHealth | null } {
    this.starting = true;
    try {
      for (const tr of this.tasks.values()) tr.start(t0);
    } finally {
      this.starting = false;
    }
    const health = this.judge();
    return { states: this.states(), health };
  }

  /** A task changed: the server hears of it. */
  changed(): void {
    if (this.starting || this.gone) return;
    const health = this.judge();
    this.client.sink.clientUpdate(this.alloc.ID, this.states(), health);
  }

  setAlloc(a: Allocation): void {
    this.alloc = a;
  }

  kill(t0: bigint): Record<string, TaskState> {
    this.gone = true;
    for (const tr of this.tasks.values()) tr.kill(t0);
    return this.states();
  }

  signal(taskName: string, sig: string): ClientAnswer {
    if (taskName !== '') {
      const tr = this.tasks.get(taskName);
      if (!tr) return { status: 500, text: 'Task not found' };
      const err = tr.signal(sig);
      return err === null ? null : { status: 500, text: err };
    }
    const errs: string[] = [];
    for (const [name, tr] of this.tasks) {
      const err = tr.signal(sig);
      if (err !== null) errs.push(`Failed to signal task: ${name}, err: ${err}`);
    }
    return errs.length === 0 ? null : { status: 500, text: multierrorText(errs) };
  }

  usage(taskFilter: string): { ResourceUsage: ResourceUsage; Tasks: Record<string, TaskUsage>; Timestamp: Int64Value } {
    const total: ResourceUsage = {
      MemoryStats: { RSS: 0, Cache: 0, Swap: 0, MappedFile: 0, Usage: 0, MaxUsage: 0, KernelUsage: 0, KernelMaxUsage: 0, Measured: null },
      CpuStats: { SystemMode: 0, UserMode: 0, TotalTicks: 0, ThrottledPeriods: 0, ThrottledTime: 0, Percent: 0, Measured: null },
      DeviceStats: [],
    };
    const tasks: Record<string, TaskUsage> = {};
    let ts = 0n;
    for (const [name, tr] of this.tasks) {
      if (taskFilter !== '' && name !== taskFilter) continue;
      if (!tr.handle) continue;
      const u = tr.handle.usage();
      tasks[name] = u;
      addUsage(total, u.ResourceUsage);
      const t = BigInt(u.Timestamp.digits);
      if (t > ts) ts = t;
    }
    return { ResourceUsage: total, Tasks: tasks, Timestamp: int64(ts) };
  }

  dispose(): void {
    this.gone = true;
    for (const tr of this.tasks.values()) tr.dispose();
  }
}

/** joinStringSet */
function joinSet(a: string[] | null, b: string[] | null): string[] {
  const out = [...(a ?? [])];
  for (const x of b ?? []) if (!out.includes(x)) out.push(x);
  return out;
}

const MEMORY_FIELDS = ['RSS', 'Cache', 'Swap', 'MappedFile', 'Usage', 'MaxUsage', 'KernelUsage', 'KernelMaxUsage'] as const;
const CPU_FIELDS = ['SystemMode', 'UserMode', 'TotalTicks', 'ThrottledPeriods', 'ThrottledTime', 'Percent'] as const;

/** MemoryStats.Add, CpuStats.Add: each measure summed. */
function addMeasured<K extends string>(to: Record<K, number>, from: Record<K, number>, fields: readonly K[]): void {
  for (const f of fields) to[f] += from[f];
}

/** ResourceUsage.Add */
function addUsage(to: ResourceUsage, u: ResourceUsage): void {
  addMeasured(to.MemoryStats, u.MemoryStats, MEMORY_FIELDS);
  to.MemoryStats.Measured = joinSet(to.MemoryStats.Measured, u.MemoryStats.Measured);
  addMeasured(to.CpuStats, u.CpuStats, CPU_FIELDS);
  to.CpuStats.Measured = joinSet(to.CpuStats.Measured, u.CpuStats.Measured);
  to.DeviceStats = [...(to.DeviceStats ?? []), ...(u.DeviceStats ?? [])];
}

/** The client of the simulated nodes: the runners of every allocation placed on them. */
export class SimClient {
  private readonly runners = new Map<string, AllocRunner>();

  constructor(
    readonly sink: ClientSink,
    readonly clock: SimClock,
    readonly drivers: ReadonlyMap<string, TaskDriver>,
  ) {}

  /** The client receives a placed allocation and starts its tasks; their first states (and health) are the caller's to write. */
  start(alloc: Allocation, t0: bigint): { states: Record<string, TaskState>; health: ClientHealth | null } {
    this.runners.get(alloc.ID)?.dispose();
    const ar = new AllocRunner(this, alloc);
    this.runners.set(alloc.ID, ar);
    return ar.start(t0);
  }

  /** The server's later view of an allocation (its DesiredStatus, …). */
  update(alloc: Allocation): void {
    this.runners.get(alloc.ID)?.setAlloc(alloc);
  }

  /** The server stopped an allocation: its tasks are killed; their states are the caller's to write. */
  kill(allocId: string, t0: bigint): Record<string, TaskState> | null {
    const ar = this.runners.get(allocId);
    return ar ? ar.kill(t0) : null;
  }

  /** The allocation is gone (purge, GC): its runner with it. */
  forget(allocId: string): void {
    this.runners.get(allocId)?.dispose();
    this.runners.delete(allocId);
  }

  /** A running task of an allocation reports a stage. */
  report(allocId: string, task: string, stage: string): void {
    this.runners.get(allocId)?.tasks.get(task)?.report(stage);
  }

  has(allocId: string): boolean {
    return this.runners.has(allocId);
  }

  /** Allocations.Signal (null: done) */
  signal(allocId: string, task: string, sig: string): ClientAnswer {
    const ar = this.runners.get(allocId);
    if (!ar) return { status: 404, text: `Unknown allocation ${JSON.stringify(allocId)}` };
    return ar.signal(task, sig);
  }

  /** allocRunner.LatestAllocStats (null: no such allocation on the client) */
  stats(allocId: string, task: string): ReturnType<AllocRunner['usage']> | null {
    return this.runners.get(allocId)?.usage(task) ?? null;
  }

  close(): void {
    for (const ar of this.runners.values()) ar.dispose();
    this.runners.clear();
  }
}
