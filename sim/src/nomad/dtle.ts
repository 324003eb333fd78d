/**
 * The dtle task driver as the simulated client runs it: what driver/driver.go and driver/handle.go
 * of dtle 4.22.07.2 and 4.23.04.3 do with a task, checked against the real driver by the real-dtle
 * tier (test/e2e/dtle-sim.test.ts, test/fixtures/dtle):
 *
 *   StartTask     refuses a job Name over 64 bytes (common.ValidateJobName: a Driver Failure,
 *                 unrecoverable); otherwise the task runs
 *   run           the hooks' `taskStarting` (dtle reads the job's pause flag from Consul here),
 *                 then the runner dials the task's database (databases.ts): refused ends the task
 *                 with exit code 2 (common.TaskStateDead) and Go's dial error; silent keeps it
 *                 running; a job whose every endpoint replicates replicates, and its dest task (the
 *                 applier, the only one that reports a stage) sends `job_stage_full`
 *   SignalTask    a `Driver` event "Task receive signal <s>", then: `stats` answers the task's
 *                 TaskStatistics as the error text, `pause` stops the runner, `resume` starts a
 *                 new one, `finish` and anything else do nothing
 *   TaskStats     resource usage all zero, memory measured "RSS" (the driver measures nothing)
 *
 * Hooks (`DtleHooks`) let another part of the simulator (a Consul KV) follow each task: where the
 * real driver reads and writes Consul, the hook is called.
 */
import { nowNanos } from '../../../src/nomad/go';
import { int64, stringifyLegacy } from '../../../src/legacy/int64';
import type { LegacyCurrentCoordinates, LegacyTaskStatistics } from '../../../src/legacy/types';
import type { SimClock } from './clock';
import type { DriverTask, ExitResult, TaskConfig, TaskDriver, TaskOutput, TaskUsage } from './client';
import type { Endpoint, Reach, SimDatabases } from './databases';
import type { Job, JsonObject, JsonValue } from './structs';

/** g.JobNameLenLimit */
export const JOB_NAME_LEN_LIMIT = 64;

/** common.TaskStateDead: the exit code of a task that ends on an error */
const TASK_STATE_DEAD = 2;

/** common.DefaultChannelBufferSize: ReplChanBufferSize when the config has none */
const DEFAULT_CHANNEL_BUFFER_SIZE = 32;

/** What sarama answers when no broker of the list can be reached (the Kafka dest's exit message). */
export const KAFKA_NO_BROKERS = 'kafka: client has run out of available brokers to talk to (Is your cluster reachable?)';

export type DtleStage = 'job_stage_full' | 'job_stage_incr';

/** What a hook knows of one dtle task (drivers.TaskConfig and the task's driver config). */
export interface DtleTaskInfo {
  allocId: string;
  namespace: string;
  jobId: string;
  /** the Nomad job Name: dtle's key of the job's state (Consul `dtle/<Name>/…`, `dtleJobList/<Name>`) */
  jobName: string;
  group: string;
  /** the Nomad task name */
  task: string;
  /** common.TaskTypeFromString of the task name */
  type: 'src' | 'dest' | 'unknown';
  /** the task's driver config as Nomad holds it */
  config: JsonObject;
  job: Job;
  node: { id: string; name: string; dtleVersion: string };
}

/** Where another part of the simulator follows the dtle tasks (each hook optional; exceptions are the hook's own). */
export interface DtleHooks {
  /**
   * The task's handle runs (driver/handle.go run, before the runner): dtle reads the job's pause
   * flag from Consul here. `exit`: the task ends at once with that message (e.g. Consul
   * unreachable: "get pause status from consul failed: …"); `paused`: no runner starts.
   */
  taskStarting?(task: DtleTaskInfo): { exit?: string; paused?: boolean } | void;
  /** The runner reached its databases and the job replicates. */
  replicating?(task: DtleTaskInfo): void;
  /** The task reported a stage (the applier: job_stage_full, then job_stage_incr). */
  stageChanged?(task: DtleTaskInfo, stage: DtleStage): void;
  /** The runner ended: the task exited on an error, was paused, or was stopped by Nomad. */
  taskStopped?(task: DtleTaskInfo, why: 'exited' | 'paused' | 'stopped'): void;
  /** The statistics a `stats` signal answers, before they are answered (a hook may fill the position it keeps). */
  statistics?(task: DtleTaskInfo, stats: TaskStatistics): TaskStatistics | void;
}

/**
 * common.TaskStatistics (both versions): 2.x's struct (models.TaskStatistics) plus MemoryStat,
 * HandledTxCount, HandledQueryCount; CurrentCoordinates without ExecutedGtidSet; BufferStat with
 * BinlogEventQueueSize and ApplierMsgQueueSize instead of ApplierGroupTxQueueSize.
 */
export type TaskStatistics = Omit<LegacyTaskStatistics, 'CurrentCoordinates' | 'BufferStat'> & {
  CurrentCoordinates: Omit<LegacyCurrentCoordinates, 'ExecutedGtidSet'> | null;
  BufferStat: Omit<LegacyTaskStatistics['BufferStat'], 'ApplierGroupTxQueueSize'> & { BinlogEventQueueSize: number; ApplierMsgQueueSize: number };
  MemoryStat: { Full: number; Incr: number };
  HandledTxCount: { ExtractedTxCount: number | null; AppliedTxCount: number | null };
  HandledQueryCount: { ExtractedQueryCount: number | null; AppliedQueryCount: number | null };
};

/** common.Stage* texts the runners report */
const STAGE_TEXT: Readonly<Record<'src' | 'dest', Readonly<Record<DtleStage, string>>>> = {
  src: { job_stage_full: 'Sending data', job_stage_incr: 'Master has sent all binlog to slave; waiting for more updates' },
  dest: { job_stage_full: '', job_stage_incr: 'Slave has read all relay log; waiting for more updates' },
};

/* ------------------------------------------------------------------ the task config */

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An HCL block as Nomad's JSON holds it: an object, or a list of one. */
function block(config: JsonObject | null, name: string): JsonObject | null {
  const v = config?.[name];
  if (isObject(v)) return v;
  if (Array.isArray(v) && isObject(v[0])) return v[0];
  return null;
}

function num(v: JsonValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return null;
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

function connection(b: JsonObject | null): Endpoint | null {
  if (!b) return null;
  const port = num(b.Port);
  return { host: str(b.Host), port: port ?? 0 };
}

function brokers(b: JsonObject | null): Endpoint[] {
  const list = b?.Brokers;
  if (!Array.isArray(list)) return [];
  return list.flatMap((x) => {
    if (typeof x !== 'string') return [];
    const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(x);
    return m ? [{ host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) }] : [{ host: x, port: 9092 }];
  });
}

/** common.TaskTypeFromString */
export function taskType(name: string): DtleTaskInfo['type'] {
  const n = name.toLowerCase();
  if (n === 'src' || n === 'source') return 'src';
  if (n === 'dst' || n === 'dest' || n === 'destination') return 'dest';
  return 'unknown';
}

/** What one dtle task dials: its MySQL server, or its Kafka brokers. */
export type Target = { kind: 'mysql'; endpoint: Endpoint } | { kind: 'kafka'; brokers: Endpoint[] } | { kind: 'none' };

/** The config of the job's src task (4.23's dest reads it: the src task writes it to Consul `dtle/<Name>/Config`). */
function srcConfigOf(job: Job): JsonObject | null {
  for (const tg of job.TaskGroups) for (const t of tg.Tasks) if (t.Driver === 'dtle' && taskType(t.Name) === 'src') return t.Config;
  return null;
}

/**
 * The database a task dials, in either config layout: per-task (4.22: each task its
 * ConnectionConfig, a Kafka dest its KafkaConfig) or src-only (4.23: the src task holds
 * SrcConnectionConfig and DestConnectionConfig or KafkaConfig; the dest task only DestType).
 */
export function targetOf(job: Job, type: DtleTaskInfo['type'], config: JsonObject | null): Target {
  if (type === 'unknown') return { kind: 'none' };
  const own = connection(block(config, 'ConnectionConfig'));
  if (type === 'src') {
    const src = own ?? connection(block(config, 'SrcConnectionConfig'));
    return src ? { kind: 'mysql', endpoint: src } : { kind: 'none' };
  }
  const ownKafka = block(config, 'KafkaConfig');
  if (ownKafka) return { kind: 'kafka', brokers: brokers(ownKafka) };
  if (own) return { kind: 'mysql', endpoint: own };
  const src = srcConfigOf(job);
  const kafka = block(src, 'KafkaConfig');
  if (str(config?.DestType).toLowerCase() === 'kafka' || (kafka && !block(src, 'DestConnectionConfig'))) return { kind: 'kafka', brokers: brokers(kafka) };
  const dest = connection(block(src, 'DestConnectionConfig'));
  return dest ? { kind: 'mysql', endpoint: dest } : { kind: 'none' };
}

/** Every target of the job's dtle tasks (does the whole job replicate?). */
function targetsOfJob(job: Job): Target[] {
  return job.TaskGroups.flatMap((tg) => tg.Tasks.filter((t) => t.Driver === 'dtle').map((t) => targetOf(job, taskType(t.Name), t.Config)));
}

/** ReplChanBufferSize as the runner uses it (DtleTaskConfig.SetDefaultForEmpty). */
function replChanBufferSize(job: Job, config: JsonObject | null): number {
  const n = num(config?.ReplChanBufferSize) ?? num(srcConfigOf(job)?.ReplChanBufferSize) ?? 0;
  return n > 0 ? n : DEFAULT_CHANNEL_BUFFER_SIZE;
}

/* ------------------------------------------------------------------ statistics */

/**
 * A runner's Stats(): the extractor's (src) or the applier's (dest), as the real driver answers
 * them for a task that moved no data (test/fixtures/dtle/<v>/signal-stats.txt), with the stage and
 * position of a replicating job.
 */
export function taskStatistics(p: { type: 'src' | 'dest'; stage: DtleStage | null; gtid: string; bufferSize: number; now: bigint }): TaskStatistics {
  const incr = p.stage === 'job_stage_incr';
  const src = p.type === 'src';
  return {
    CurrentCoordinates: { File: '', Position: 0, GtidSet: p.stage !== null ? p.gtid : '', RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '' },
    TableStats: null,
    DelayCount: { Num: 0, Time: 0 },
    ProgressPct: incr ? '100.0' : '0.0',
    ExecMasterRowCount: 0,
    ExecMasterTxCount: 0,
    ReadMasterRowCount: 0,
    ReadMasterTxCount: 0,
    ETA: incr ? '0s' : 'N/A',
    // extractor: its data channel (ReplChanBufferSize*4); applier: its incremental queues once it has a Gtid
    Backlog: src ? `0/${p.bufferSize * 4}` : incr ? `0/${p.bufferSize * 3}` : '',
    ThroughputStat: null,
    MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
    BufferStat: { BinlogEventQueueSize: 0, ExtractorTxQueueSize: 0, ApplierMsgQueueSize: 0, ApplierTxQueueSize: 0, SendByTimeout: 0, SendBySizeFull: 0 },
    Stage: p.stage !== null ? STAGE_TEXT[p.type][p.stage] : '',
    Timestamp: int64(p.now),
    MemoryStat: { Full: 0, Incr: 0 },
    HandledTxCount: src ? { ExtractedTxCount: 0, AppliedTxCount: null } : { ExtractedTxCount: null, AppliedTxCount: 0 },
    HandledQueryCount: src ? { ExtractedQueryCount: 0, AppliedQueryCount: null } : { ExtractedQueryCount: null, AppliedQueryCount: 0 },
  };
}

/** drivers.TaskResourceUsage of driver.go handleStats: nothing measured but RSS, all zero. */
function zeroUsage(now: bigint): TaskUsage {
  return {
    ResourceUsage: {
      MemoryStats: { RSS: 0, Cache: 0, Swap: 0, MappedFile: 0, Usage: 0, MaxUsage: 0, KernelUsage: 0, KernelMaxUsage: 0, Measured: ['RSS'] },
      CpuStats: { SystemMode: 0, UserMode: 0, TotalTicks: 0, ThrottledPeriods: 0, ThrottledTime: 0, Percent: 0, Measured: [] },
      DeviceStats: null,
    },
    Timestamp: int64(now),
    Pids: {},
  };
}

/* ------------------------------------------------------------------ the driver */

/** How long the runner takes to find its database refusing (the real one: 10–80 ms after Started). */
const DIAL_NS = 20_000_000;

export class DtleDriver implements TaskDriver {
  readonly external = true;
  private readonly hooks: DtleHooks[] = [];
  /** the running tasks, by allocation ID and task name */
  private readonly tasks = new Map<string, DtleTask>();

  constructor(
    readonly clock: SimClock,
    readonly databases: SimDatabases,
  ) {}

  /** Adds hooks; returns their removal. */
  addHooks(h: DtleHooks): () => void {
    this.hooks.push(h);
    return () => {
      const i = this.hooks.indexOf(h);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Calls one hook on each hook set, in order. */
  call<K extends keyof DtleHooks>(name: K, ...args: Parameters<NonNullable<DtleHooks[K]>>): Array<ReturnType<NonNullable<DtleHooks[K]>>> {
    const out: Array<ReturnType<NonNullable<DtleHooks[K]>>> = [];
    for (const h of [...this.hooks]) {
      const f = h[name] as ((...a: Parameters<NonNullable<DtleHooks[K]>>) => ReturnType<NonNullable<DtleHooks[K]>>) | undefined;
      if (f) out.push(f.apply(h, args));
    }
    return out;
  }

  /** The running task of an allocation (tests and hooks). */
  task(allocId: string, taskName: string): DtleTask | undefined {
    return this.tasks.get(`${allocId}/${taskName}`);
  }

  startTask(cfg: TaskConfig, out: TaskOutput): DriverTask | { error: string } {
    // driver.go StartTask: common.ValidateJobName first
    const name = cfg.job.Name;
    if (Buffer.byteLength(name, 'utf8') > JOB_NAME_LEN_LIMIT) return { error: `job name too long. jobName ${name} lenLimit ${JOB_NAME_LEN_LIMIT}` };
    const info: DtleTaskInfo = {
      allocId: cfg.allocId,
      namespace: cfg.job.Namespace,
      jobId: cfg.job.ID,
      jobName: name,
      group: cfg.group,
      task: cfg.task.Name,
      type: taskType(cfg.task.Name),
      config: cfg.task.Config ?? {},
      job: cfg.job,
      node: { id: cfg.node.ID, name: cfg.node.Name, dtleVersion: cfg.node.Drivers.dtle?.Attributes?.['driver.dtle.version'] ?? '' },
    };
    const t = new DtleTask(this, info, out);
    const key = `${cfg.allocId}/${cfg.task.Name}`;
    this.tasks.set(key, t);
    t.onEnd = () => {
      if (this.tasks.get(key) === t) this.tasks.delete(key);
    };
    t.run();
    return t;
  }
}

/** One dtle task (driver/handle.go taskHandle) and its runner. */
export class DtleTask implements DriverTask {
  /** the stage the task last reported (the applier's job_stage_*), null before any */
  stage: DtleStage | null = null;
  /** none: no runner (the job was paused in Consul at start); dialing; running; paused (a `pause` signal shut it down) */
  runner: 'none' | 'dialing' | 'running' | 'paused' = 'none';
  /** whether the job replicates (every endpoint of it answers) */
  replicates = false;
  /** the handle's stats loop has run once (h.stats set) */
  private hasStats = false;
  private ended = false;
  private run_ = 0;
  onEnd: () => void = () => undefined;

  constructor(
    private readonly driver: DtleDriver,
    readonly info: DtleTaskInfo,
    private readonly out: TaskOutput,
  ) {}

  get settled(): boolean {
    return this.runner !== 'dialing';
  }

  /** handle.go run: the pause flag (hooks), then the runner. */
  run(): void {
    let paused = false;
    for (const r of this.driver.call('taskStarting', this.info)) {
      if (r?.exit !== undefined) {
        const exit = r.exit;
        this.driver.clock.after(0, () => this.exit(exit));
        return;
      }
      if (r?.paused) paused = true;
    }
    if (!paused) this.resumeRunner();
  }

  /** handle.go resumeTask: a new runner dials the task's database. */
  private resumeRunner(): void {
    const run = ++this.run_;
    this.runner = 'dialing';
    this.hasStats = true;
    const target = targetOf(this.info.job, this.info.type, this.info.config);
    const finish = (r: Reach) => {
      if (this.ended || run !== this.run_ || this.runner !== 'dialing') return;
      if (r.state === 'refused') {
        this.driver.clock.after(this.driver.clock.scaled(DIAL_NS), () => {
          if (!this.ended && run === this.run_) this.exit(r.error);
        });
        return;
      }
      this.runner = 'running';
      this.replicates = r.state === 'replicates' && this.jobReplicates();
      this.out.settled();
      if (this.replicates) {
        this.driver.call('replicating', this.info);
        if (this.info.type === 'dest' && this.stage === null) this.report('job_stage_full');
      }
    };
    if (this.info.type === 'unknown') {
      this.driver.clock.after(0, () => this.exit(`unknown processor type: ${this.info.task}`));
      return;
    }
    const reach = reachTarget(this.driver.databases, target);
    if (reach instanceof Promise) void reach.then(finish);
    else finish(reach);
  }

  /** The job's every endpoint answers without a dial (a replicating job needs them all). */
  private jobReplicates(): boolean {
    for (const t of targetsOfJob(this.info.job)) {
      const eps = t.kind === 'mysql' ? [t.endpoint] : t.kind === 'kafka' ? t.brokers : [];
      if (!eps.some((e) => this.driver.databases.known(e)?.state === 'replicates')) return false;
    }
    return true;
  }

  /** The task reports a stage (applier.go sendEvent); hooks follow a job_stage_*. */
  report(stage: string): void {
    this.out.event(stage);
    if (stage === 'job_stage_full' || stage === 'job_stage_incr') {
      this.stage = stage;
      this.driver.call('stageChanged', this.info, stage);
    }
  }

  /** The runner ends on an error (handle.go onError): exit code 2, the error as the exit message. */
  private exit(err: string): void {
    if (this.ended) return;
    this.end('exited');
    const result: ExitResult = { exitCode: TASK_STATE_DEAD, signal: 0, oomKilled: false, err };
    this.out.exited(result);
  }

  private end(why: 'exited' | 'paused' | 'stopped'): void {
    if (why !== 'paused') {
      this.ended = true;
      this.onEnd();
    }
    if (this.runner === 'running' || this.runner === 'dialing') this.driver.call('taskStopped', this.info, why);
    this.runner = why === 'paused' ? 'paused' : 'none';
  }

  /** The statistics the runner reports now, or null before it has any (h.stats nil). */
  statistics(): TaskStatistics | null {
    if (!this.hasStats || this.info.type === 'unknown') return null;
    const src = srcConfigOf(this.info.job);
    const gtid = str(this.info.config.Gtid) || str(src?.Gtid);
    let stats = taskStatistics({
      type: this.info.type,
      stage: this.replicates ? (this.stage ?? (this.info.type === 'src' ? 'job_stage_full' : null)) : null,
      gtid,
      bufferSize: replChanBufferSize(this.info.job, this.info.config),
      now: nowNanos(),
    });
    for (const s of this.driver.call('statistics', this.info, stats)) if (s) stats = s;
    return stats;
  }

  /** driver.go SignalTask: the event, then the signal's effect; a string is the error it answers. */
  signal(sig: string): string | null {
    this.out.event(`Task receive signal ${sig}`);
    switch (sig) {
      case 'stats': {
        const s = this.statistics();
        return s === null ? null : stringifyLegacy(s);
      }
      case 'finish':
        return this.runner === 'none' ? 'h.runner is nil' : null;
      case 'pause':
        if (this.runner === 'none') return 'h.runner is nil';
        this.run_ += 1;
        this.end('paused');
        return null;
      case 'resume':
        this.resumeRunner();
        return null;
      default:
        return null;
    }
  }

  usage(): TaskUsage {
    return zeroUsage(nowNanos());
  }

  /** StopTask / DestroyTask: Nomad stops the task. */
  stop(): void {
    if (this.ended) return;
    this.run_ += 1;
    this.end('stopped');
  }
}

/** Dials a target: its MySQL server, or its brokers until one answers (sarama tries them in turn). */
function reachTarget(db: SimDatabases, target: Target): Reach | Promise<Reach> {
  if (target.kind === 'none') return { state: 'silent' };
  if (target.kind === 'mysql') return db.reach(target.endpoint);
  const kafkaRefused: Reach = { state: 'refused', error: KAFKA_NO_BROKERS };
  const answers = target.brokers.map((b) => db.reach(b));
  const pick = (rs: Reach[]): Reach => rs.find((r) => r.state === 'replicates') ?? rs.find((r) => r.state === 'silent') ?? kafkaRefused;
  if (answers.some((a) => a instanceof Promise)) return Promise.all(answers).then(pick);
  return pick(answers as Reach[]);
}
