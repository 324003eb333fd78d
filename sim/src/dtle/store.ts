/**
 * What the dtle driver keeps in Consul, as dtle 4.x's source does it (driver/common/store.go
 * StoreManager, driver/handle.go, driver/mysql/applier.go and extractor.go): each job's
 * replication state in Consul KV under its Nomad job Name. It follows the simulated driver's tasks
 * through its hooks (../nomad/dtle.ts DtleHooks); the task lifecycle (when a task starts, reaches
 * its databases, restarts, is paused or stops) is the driver's and the client's, not this file's.
 *
 *   taskStarting    the task reads `dtleJobList/<job>`: `paused` keeps its runner off; the src task
 *                   writes `dtle/<job>/SourceType` (dtle < 4.22.11) or `dtle/<job>/Config` (the whole
 *                   task config as JSON, passwords in clear; dtle >= 4.23.04); the dest task
 *                   `dtle/<job>/NatsAddr` `waitdst`
 *   replicating     once a src and a dest runner run, the NATS address is agreed and the applier
 *                   starts the full copy: `JobStage` job_stage_full and `DumpProgress` `[exec,total]`
 *                   (dtle >= 4.22.11.4). When the rows are copied, or at once when the job starts
 *                   from a Gtid (its config's, or the one kept in Consul, which wins), it uploads
 *                   `Gtid` and `BinlogFilePos` (`<file>//dtle//<pos>`), reports job_stage_incr, and
 *                   the Gtid then moves with every transaction applied
 *   taskStopped     a paused runner stops moving the job; a stopped or failed task leaves it. The
 *                   job's state stays in Consul, as dtle leaves it
 *   statistics      the `stats` signal's answer carries the job's position, progress and counts
 *
 * Time is the simulator's: `advance(ms)` moves every replicating job on (tests call it; the demo
 * runs it on a timer). The state written keeps to dtle's formats exactly; the rates are invented.
 */
import { goDuration } from '../../../src/nomad/go';
import { DTLE_SINCE, versionAtLeast } from '../../../src/translate/dtleVersion';
import type { SimKv } from '../consul/kv';
import type { DtleDriver, DtleHooks, DtleTaskInfo, TaskStatistics } from '../nomad/dtle';
import type { JsonObject } from '../nomad/structs';

export interface ReplicationOptions {
  /** rows of the full copy (default 120000) */
  rows?: number;
  /** rows copied per second (default 4000) */
  rowsPerSecond?: number;
  /** transactions applied per second once incremental (default 20) */
  txPerSecond?: number;
}

type Phase = 'full' | 'incr';

/** One task of a dtle job as the store follows it. */
interface TaskHandle {
  allocId: string;
  task: string;
  side: 'src' | 'dest';
  /** its runner runs and reached the databases (false: dialing, paused by the flag at start or signal `pause`) */
  running: boolean;
  version: string;
}

/** One dtle job's replication, by Nomad job Name (dtle's `subject`). */
interface Replication {
  name: string;
  phase: Phase | null;
  exec: number;
  total: number;
  /** the GTID set's source UUID and its last transaction */
  sid: string;
  gno: number;
  gtidStart: number;
  file: string;
  pos: number;
  /** ms of replication time */
  copiedMs: number;
  startedFrom: string;
  tasks: Map<string, TaskHandle>;
}

const DEFAULT_SID = '8868d98f-af5e-11e8-9aa9-0242ac110002';
const NATS_PORT = 8193;
const BINLOG_SEPARATOR = '//dtle//';

/** The Flags libkv's Consul store writes on every key (api.LockFlagValue), as the real driver's keys carry. */
export const LIBKV_FLAGS = '3304740253564472344';

/** `<sid>:1-<n>` (or `<sid>:<a>-<n>`) → its parts; anything else null. */
function parseGtid(text: string): { sid: string; start: number; gno: number } | null {
  const m = /^([0-9a-fA-F-]{36}):(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const start = Number(m[2]);
  return { sid: (m[1] as string).toLowerCase(), start, gno: m[3] !== undefined ? Number(m[3]) : start };
}

/** The Gtid a job's config starts from (its src task's, or any dtle task's in the per-task layout). */
function configuredGtid(task: DtleTaskInfo): string {
  for (const tg of task.job.TaskGroups) {
    for (const t of tg.Tasks) {
      const g = (t.Config as JsonObject | null)?.Gtid;
      if (t.Driver === 'dtle' && typeof g === 'string' && g !== '') return g;
    }
  }
  return '';
}

export class DtleStore {
  private readonly jobs = new Map<string, Replication>();
  private readonly opts: Required<ReplicationOptions>;
  /** the hooks to add to the driver (`driver.addHooks(store.hooks)`) */
  readonly hooks: DtleHooks = {
    taskStarting: (t) => this.taskStarting(t),
    replicating: (t) => this.replicating(t),
    taskStopped: (t, why) => this.taskStopped(t, why),
    statistics: (t, stats) => this.statistics(t, stats),
  };

  /**
   * @param driver the simulated dtle driver whose tasks this follows
   * @param kv the Consul the driver keeps its state in (null: written nowhere; the position is still followed for `stats`)
   */
  constructor(
    private readonly driver: DtleDriver,
    private readonly kv: SimKv | null,
    opts: ReplicationOptions = {},
  ) {
    this.opts = { rows: opts.rows ?? 120_000, rowsPerSecond: opts.rowsPerSecond ?? 4000, txPerSecond: opts.txPerSecond ?? 20 };
  }

  private key(name: string, part: string): string {
    return `dtle/${name}/${part}`;
  }

  /** Writes a key as libkv's Consul store does. */
  private put(key: string, value: string): void {
    this.kv?.put(key, Buffer.from(value, 'utf8'), { flags: LIBKV_FLAGS });
  }

  private text(key: string): string {
    return this.kv?.get(key).found?.Value?.toString('utf8') ?? '';
  }

  /** dtleJobList/<job>'s job_status ('' when absent or unreadable). */
  private jobStatus(name: string): string {
    try {
      const v = JSON.parse(this.text(`dtleJobList/${name}`) || '{}') as { job_status?: unknown };
      return typeof v.job_status === 'string' ? v.job_status : '';
    } catch {
      return '';
    }
  }

  /** Forgets the tasks the driver no longer runs (a task that ends without a runner calls no hook). */
  private prune(r: Replication): void {
    for (const [k, h] of r.tasks) if (this.driver.task(h.allocId, h.task) === undefined) r.tasks.delete(k);
    if (r.tasks.size === 0) this.jobs.delete(r.name);
  }

  private handleOf(t: DtleTaskInfo): { r: Replication; h: TaskHandle } | null {
    const r = this.jobs.get(t.jobName);
    const h = r?.tasks.get(`${t.allocId}/${t.task}`);
    return r && h ? { r, h } : null;
  }

  /** handle.go run: the pause flag, what the task writes as it starts. */
  private taskStarting(t: DtleTaskInfo): { paused: boolean } | void {
    if (t.type === 'unknown') return;
    const name = t.jobName;
    const old = this.jobs.get(name);
    if (old) this.prune(old);
    let r = this.jobs.get(name);
    if (!r) {
      r = { name, phase: null, exec: 0, total: this.opts.rows, sid: DEFAULT_SID, gno: 0, gtidStart: 1, file: 'mysql-bin.000003', pos: 4, copiedMs: 0, startedFrom: configuredGtid(t), tasks: new Map() };
      this.jobs.set(name, r);
    }
    const version = t.node.dtleVersion;
    r.tasks.set(`${t.allocId}/${t.task}`, { allocId: t.allocId, task: t.task, side: t.type, running: false, version });
    if (t.type === 'src') this.srcStarted(name, t.config, version);
    else this.put(this.key(name, 'NatsAddr'), 'waitdst');
    if (this.jobStatus(name) === 'paused') return { paused: true };
  }

  private srcStarted(name: string, config: JsonObject, version: string): void {
    if (versionAtLeast(version, DTLE_SINCE.configKey)) {
      // MySQLDriverConfig as json.Marshal writes it: the task config with its passwords, and the runtime fields
      this.put(this.key(name, 'Config'), JSON.stringify({ ...config, RowsEstimate: 0, DeltaEstimate: 0, Stage: '' }));
    } else if (!versionAtLeast(version, DTLE_SINCE.srcOnlyConfig)) {
      this.put(this.key(name, 'SourceType'), 'mysql');
    }
  }

  private replicating(t: DtleTaskInfo): void {
    const x = this.handleOf(t);
    if (!x) return;
    x.h.running = true;
    this.settle(x.r);
  }

  private taskStopped(t: DtleTaskInfo, why: 'exited' | 'paused' | 'stopped'): void {
    const x = this.handleOf(t);
    if (!x) return;
    if (why === 'paused') x.h.running = false;
    else {
      x.r.tasks.delete(`${t.allocId}/${t.task}`);
      if (x.r.tasks.size === 0) this.jobs.delete(x.r.name);
    }
  }

  private runners(r: Replication): { src: TaskHandle | undefined; dest: TaskHandle | undefined } {
    const handles = [...r.tasks.values()];
    return { src: handles.find((h) => h.side === 'src' && h.running), dest: handles.find((h) => h.side === 'dest' && h.running) };
  }

  /** Once a src and a dest runner run, the NATS address is agreed and the applier starts. */
  private settle(r: Replication): void {
    const { src, dest } = this.runners(r);
    if (!src || !dest || r.phase !== null) return;
    this.put(this.key(r.name, 'NatsAddr'), `127.0.0.1:${NATS_PORT}`);
    // the Gtid kept in Consul wins over the job's (GetGtidFromConsul)
    const kept = this.text(this.key(r.name, 'Gtid'));
    const from = parseGtid(kept !== '' ? kept : r.startedFrom);
    if (from) {
      r.sid = from.sid;
      r.gtidStart = from.start;
      r.gno = from.gno;
    }
    const keptPos = this.text(this.key(r.name, 'BinlogFilePos')).split(BINLOG_SEPARATOR);
    if (keptPos.length === 2 && /^\d+$/.test(keptPos[1] as string)) {
      r.file = keptPos[0] as string;
      r.pos = Number(keptPos[1]);
    }
    r.phase = 'full';
    if (from) r.exec = r.total = 0;
    if (versionAtLeast(dest.version, DTLE_SINCE.jobStageKey)) {
      this.put(this.key(r.name, 'JobStage'), 'job_stage_full');
      this.put(this.key(r.name, 'DumpProgress'), JSON.stringify([r.exec, r.total]));
    }
    // (the dest task reports job_stage_full itself as it reaches its database: DtleTask)
  }

  /** The copy is done: the first Gtid upload, JobStage job_stage_incr, the tasks report it. */
  private toIncremental(r: Replication): void {
    if (r.gno === 0) r.gno = 171;
    this.upload(r);
    r.phase = 'incr';
    const dest = [...r.tasks.values()].find((h) => h.side === 'dest');
    if (dest && versionAtLeast(dest.version, DTLE_SINCE.jobStageKey)) this.put(this.key(r.name, 'JobStage'), 'job_stage_incr');
    for (const h of r.tasks.values()) {
      const task = this.driver.task(h.allocId, h.task);
      if (task?.stage === 'job_stage_full') task.report('job_stage_incr');
    }
  }

  /** Moves every replicating job on by `ms` of simulated time. */
  advance(ms: number): void {
    for (const r of [...this.jobs.values()]) {
      this.prune(r);
      const { src, dest } = this.runners(r);
      if (r.phase === null || !src || !dest) continue;
      r.copiedMs += ms;
      if (r.phase === 'full') {
        r.exec = Math.min(r.total, r.exec + Math.round((this.opts.rowsPerSecond * ms) / 1000));
        if (versionAtLeast(dest.version, DTLE_SINCE.jobStageKey)) this.put(this.key(r.name, 'DumpProgress'), JSON.stringify([r.exec, r.total]));
        if (r.exec >= r.total) this.toIncremental(r);
        continue;
      }
      const tx = Math.max(1, Math.round((this.opts.txPerSecond * ms) / 1000));
      r.gno += tx;
      r.pos += tx * 473;
      this.upload(r);
    }
  }

  private upload(r: Replication): void {
    this.put(this.key(r.name, 'Gtid'), `${r.sid}:${r.gtidStart}-${r.gno}`);
    this.put(this.key(r.name, 'BinlogFilePos'), `${r.file}${BINLOG_SEPARATOR}${r.pos}`);
  }

  /** The `stats` answer with the job's position, progress and counts (the runner's own fields stay the driver's). */
  private statistics(t: DtleTaskInfo, stats: TaskStatistics): TaskStatistics | void {
    const x = this.handleOf(t);
    if (!x || x.r.phase === null) return;
    const { r, h } = x;
    const incr = r.phase === 'incr';
    const pct = incr ? 100 : r.total === 0 ? 0 : (100 * r.exec) / r.total;
    const remainingS = !incr && r.exec > 0 ? Math.round(((r.total - r.exec) * r.copiedMs) / r.exec / 1000) : -1;
    return {
      ...stats,
      CurrentCoordinates: {
        ...(stats.CurrentCoordinates ?? { RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '' }),
        File: incr ? r.file : '',
        Position: incr ? r.pos : 0,
        GtidSet: r.gno > 0 ? `${r.sid}:${r.gtidStart}-${r.gno}` : '',
      },
      ProgressPct: pct.toFixed(1),
      ExecMasterRowCount: r.exec,
      ReadMasterRowCount: r.total,
      ETA: pct >= 100 ? '0s' : remainingS >= 0 && pct >= 1 ? goDuration(BigInt(remainingS) * 1_000_000_000n) : 'N/A',
      HandledTxCount: h.side === 'src' ? { ExtractedTxCount: r.gno, AppliedTxCount: null } : { ExtractedTxCount: null, AppliedTxCount: r.gno },
    };
  }
}
