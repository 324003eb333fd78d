/**
 * What the dtle task driver does beyond Nomad's task lifecycle, as dtle 4.x's source does it
 * (driver/driver.go, driver/handle.go, driver/mysql/applier.go and extractor.go,
 * driver/common/store.go): each job's replication state in Consul KV under its Nomad job Name,
 * and the alloc signals `stats`, `pause`, `resume`.
 *
 *   - A task that starts reads `dtleJobList/<job>`: `paused` keeps its runner off.
 *   - The src task writes `dtle/<job>/SourceType` (dtle < 4.22.11) or `dtle/<job>/Config` (the whole
 *     task config as JSON, passwords in clear; dtle >= 4.23.04); the two tasks agree on
 *     `dtle/<job>/NatsAddr` (waitdst, wait, then the dest's NATS address).
 *   - Once both runners run, the dest (applier) starts the full copy: `JobStage` job_stage_full and
 *     `DumpProgress` `[exec,total]` (dtle >= 4.22.11.4); the task event job_stage_full comes with the
 *     task's start (SimState.schedule). When the rows
 *     are copied, or at once when the job starts from a Gtid (its config's, or the one kept in
 *     Consul, which wins), it uploads `Gtid` and `BinlogFilePos` (`<file>//dtle//<pos>`), switches to
 *     job_stage_incr, and the Gtid then moves with every transaction applied.
 *
 * Time is the simulator's: `advance(ms)` moves every replicating job on (tests call it; the demo
 * runs it on a timer). The state written keeps to dtle's formats exactly; the rates are invented.
 */
import { int64, stringifyLegacy } from '../../../src/legacy/int64';
import { goDuration, nowNanos } from '../../../src/nomad/go';
import { DTLE_SINCE, versionAtLeast } from '../../../src/translate/dtleVersion';
import type { SimKv } from '../consul/kv';
import type { Allocation, JsonObject } from '../nomad/structs';

/** What the driver needs of Nomad's state (the SimState). */
export interface DtleHost {
  /** the driver.dtle.version of the node that runs an allocation ('' when none) */
  dtleVersionOf(alloc: Allocation): string;
  /** appends a Driver event (DriverMessage = message) to a task of an allocation */
  driverEvent(allocId: string, task: string, message: string): void;
  /** the current allocation record */
  alloc(allocId: string): Allocation | undefined;
}

export interface ReplicationOptions {
  /** rows of the full copy (default 120000) */
  rows?: number;
  /** rows copied per second (default 4000) */
  rowsPerSecond?: number;
  /** transactions applied per second once incremental (default 20) */
  txPerSecond?: number;
}

type Phase = 'full' | 'incr';

/** One running task of a dtle job, as the driver's task handle holds it. */
interface TaskHandle {
  allocId: string;
  task: string;
  side: 'src' | 'dest';
  /** the runner runs (false: paused, by the dtleJobList flag at start or signal `pause`) */
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

/** The text of dtle's TaskStatistics Stage (driver/common/models.go) per side and phase. */
const STAGE_TEXT: Record<'src' | 'dest', Record<Phase, string>> = {
  src: { full: 'Sending data', incr: 'Master has sent all binlog to slave; waiting for more updates' },
  dest: { full: 'Waiting for slave workers to process their queues', incr: 'Slave has read all relay log; waiting for more updates' },
};

/** `<sid>:1-<n>` (or `<sid>:<a>-<n>`) → its parts; anything else null. */
function parseGtid(text: string): { sid: string; start: number; gno: number } | null {
  const m = /^([0-9a-fA-F-]{36}):(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const start = Number(m[2]);
  return { sid: (m[1] as string).toLowerCase(), start, gno: m[3] !== undefined ? Number(m[3]) : start };
}

export class SimDtleDriver {
  private readonly jobs = new Map<string, Replication>();
  private readonly opts: Required<ReplicationOptions>;

  constructor(
    private readonly host: DtleHost,
    private readonly kv: SimKv | null,
    opts: ReplicationOptions = {},
  ) {
    this.opts = { rows: opts.rows ?? 120_000, rowsPerSecond: opts.rowsPerSecond ?? 4000, txPerSecond: opts.txPerSecond ?? 20 };
  }

  private key(name: string, part: string): string {
    return `dtle/${name}/${part}`;
  }

  /** Writes a key as libkv's Consul store does (no Consul: the state is kept nowhere, as a driver without one would not run). */
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

  /** The tasks of an allocation started (StartTask, then the handle's run()). */
  started(alloc: Allocation): void {
    const name = alloc.Job.Name || alloc.Job.ID;
    const tg = alloc.Job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    for (const t of tg?.Tasks ?? []) {
      if (t.Driver !== 'dtle') continue;
      const side = /dest/i.test(t.Name) ? 'dest' : 'src';
      const r = this.replication(name, alloc);
      const version = this.host.dtleVersionOf(alloc);
      const running = this.jobStatus(name) !== 'paused';
      r.tasks.set(`${alloc.ID}/${t.Name}`, { allocId: alloc.ID, task: t.Name, side, running, version });
      if (side === 'src') this.srcStarted(name, t.Config ?? {}, version);
      else this.put(this.key(name, 'NatsAddr'), 'waitdst');
    }
    this.settle(name);
  }

  /** The tasks of an allocation ended (stopped, failed, or the job purged). The job's state stays in Consul, as dtle leaves it. */
  stopped(alloc: Allocation): void {
    const name = alloc.Job.Name || alloc.Job.ID;
    const r = this.jobs.get(name);
    if (!r) return;
    for (const k of [...r.tasks.keys()]) if (k.startsWith(`${alloc.ID}/`)) r.tasks.delete(k);
    if (r.tasks.size === 0) this.jobs.delete(name);
    else this.settle(name);
  }

  private replication(name: string, alloc: Allocation): Replication {
    let r = this.jobs.get(name);
    if (!r) {
      const configured = this.configuredGtid(alloc);
      r = { name, phase: null, exec: 0, total: this.opts.rows, sid: DEFAULT_SID, gno: 0, gtidStart: 1, file: 'mysql-bin.000003', pos: 4, copiedMs: 0, startedFrom: configured, tasks: new Map() };
      this.jobs.set(name, r);
    }
    return r;
  }

  private configuredGtid(alloc: Allocation): string {
    for (const tg of alloc.Job.TaskGroups) {
      for (const t of tg.Tasks) {
        const g = (t.Config as JsonObject | null)?.Gtid;
        if (t.Driver === 'dtle' && typeof g === 'string' && g !== '') return g;
      }
    }
    return '';
  }

  private srcStarted(name: string, config: JsonObject, version: string): void {
    if (versionAtLeast(version, DTLE_SINCE.configKey)) {
      // MySQLDriverConfig as json.Marshal writes it: the task config with its passwords, and the runtime fields
      this.put(this.key(name, 'Config'), JSON.stringify({ ...config, RowsEstimate: 0, DeltaEstimate: 0, Stage: '' }));
    } else if (!versionAtLeast(version, DTLE_SINCE.srcOnlyConfig)) {
      this.put(this.key(name, 'SourceType'), 'mysql');
    }
  }

  /** Once a src and a dest runner run, the NATS address is agreed and the applier starts. */
  private settle(name: string): void {
    const r = this.jobs.get(name);
    if (!r) return;
    const handles = [...r.tasks.values()];
    const src = handles.find((h) => h.side === 'src' && h.running);
    const dest = handles.find((h) => h.side === 'dest' && h.running);
    if (!src || !dest || r.phase !== null) return;
    this.put(this.key(name, 'NatsAddr'), `127.0.0.1:${NATS_PORT}`);
    // the Gtid kept in Consul wins over the job's (GetGtidFromConsul)
    const kept = this.text(this.key(name, 'Gtid'));
    const from = parseGtid(kept !== '' ? kept : r.startedFrom);
    if (from) {
      r.sid = from.sid;
      r.gtidStart = from.start;
      r.gno = from.gno;
    }
    const keptPos = this.text(this.key(name, 'BinlogFilePos')).split(BINLOG_SEPARATOR);
    if (keptPos.length === 2 && /^\d+$/.test(keptPos[1] as string)) {
      r.file = keptPos[0] as string;
      r.pos = Number(keptPos[1]);
    }
    r.phase = 'full';
    if (from) r.exec = r.total = 0;
    if (versionAtLeast(dest.version, DTLE_SINCE.jobStageKey)) {
      this.put(this.key(name, 'JobStage'), 'job_stage_full');
      this.put(this.key(name, 'DumpProgress'), JSON.stringify([r.exec, r.total]));
    }
    // (the job_stage_full task events come with the tasks' start: SimState.schedule)
  }

  /** Moves every replicating job on by `ms` of simulated time. */
  advance(ms: number): void {
    for (const r of this.jobs.values()) {
      const handles = [...r.tasks.values()];
      if (r.phase === null || !handles.some((h) => h.side === 'src' && h.running) || !handles.some((h) => h.side === 'dest' && h.running)) continue;
      const dest = handles.find((h) => h.side === 'dest') as TaskHandle;
      const stageKeys = versionAtLeast(dest.version, DTLE_SINCE.jobStageKey);
      r.copiedMs += ms;
      if (r.phase === 'full') {
        r.exec = Math.min(r.total, r.exec + Math.round((this.opts.rowsPerSecond * ms) / 1000));
        if (stageKeys) this.put(this.key(r.name, 'DumpProgress'), JSON.stringify([r.exec, r.total]));
        if (r.exec < r.total) continue;
        // the copy is done: the first Gtid upload switches the job to incremental
        if (r.gno === 0) r.gno = 171;
        this.upload(r);
        r.phase = 'incr';
        if (stageKeys) this.put(this.key(r.name, 'JobStage'), 'job_stage_incr');
        for (const h of handles) if (this.lastStage(h) === 'job_stage_full') this.host.driverEvent(h.allocId, h.task, 'job_stage_incr');
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

  private lastStage(h: TaskHandle): string {
    const events = this.host.alloc(h.allocId)?.TaskStates?.[h.task]?.Events ?? [];
    for (let i = events.length - 1; i >= 0; i--) {
      const m = events[i]?.DriverMessage ?? '';
      if (m.startsWith('job_stage_')) return m;
    }
    return '';
  }

  /**
   * SignalTask: `stats` answers the task's TaskStatistics as the error text, `pause` stops the
   * runner, `resume` starts it again; others do nothing. Returns the error text, or null.
   */
  signal(allocId: string, task: string, sig: string): string | null {
    const found = [...this.jobs.values()].map((r) => ({ r, h: r.tasks.get(`${allocId}/${task}`) })).find((x) => x.h !== undefined);
    if (!found || !found.h) return null;
    const { r, h } = found;
    switch (sig) {
      case 'stats':
        return stringifyLegacy(this.statistics(r, h));
      case 'pause':
        h.running = false;
        return null;
      case 'resume':
        h.running = true;
        if (r.phase === null) this.settle(r.name);
        return null;
      default:
        return null;
    }
  }

  /** dtle's common.TaskStatistics of a task (json.Marshal field order). */
  private statistics(r: Replication, h: TaskHandle): Record<string, unknown> {
    const phase = r.phase;
    const pct = phase === 'incr' ? 100 : r.total === 0 ? 0 : (100 * r.exec) / r.total;
    const remainingS = phase === 'full' && r.exec > 0 ? Math.round(((r.total - r.exec) * r.copiedMs) / r.exec / 1000) : -1;
    const gtid = r.gno > 0 ? `${r.sid}:${r.gtidStart}-${r.gno}` : '';
    const applied = h.side === 'dest' ? r.gno : null;
    return {
      CurrentCoordinates: { File: phase === 'incr' ? r.file : '', Position: phase === 'incr' ? r.pos : 0, GtidSet: gtid, RelayMasterLogFile: '', ReadMasterLogPos: 0, RetrievedGtidSet: '' },
      TableStats: null,
      DelayCount: { Num: 0, Time: 0 },
      ProgressPct: pct.toFixed(1),
      ExecMasterRowCount: r.exec,
      ExecMasterTxCount: 0,
      ReadMasterRowCount: r.total,
      ReadMasterTxCount: 0,
      ETA: pct >= 100 ? '0s' : remainingS >= 0 && pct >= 1 ? goDuration(BigInt(remainingS) * 1_000_000_000n) : 'N/A',
      Backlog: '0/128',
      ThroughputStat: null,
      MsgStat: { InMsgs: 0, OutMsgs: 0, InBytes: 0, OutBytes: 0, Reconnects: 0 },
      BufferStat: { BinlogEventQueueSize: 0, ExtractorTxQueueSize: 0, ApplierMsgQueueSize: 0, ApplierTxQueueSize: 0, SendByTimeout: 0, SendBySizeFull: 0 },
      Stage: phase === null || !h.running ? '' : STAGE_TEXT[h.side][phase],
      Timestamp: int64(nowNanos()),
      MemoryStat: { Full: 0, Incr: 0 },
      HandledTxCount: { ExtractedTxCount: h.side === 'src' ? r.gno : null, AppliedTxCount: applied },
      HandledQueryCount: { ExtractedQueryCount: h.side === 'src' ? 0 : null, AppliedQueryCount: h.side === 'dest' ? 0 : null },
    };
  }
}

/** The Flags libkv's Consul store writes on every key (api.LockFlagValue), as the real driver's keys carry. */
export const LIBKV_FLAGS = '3304740253564472344';
