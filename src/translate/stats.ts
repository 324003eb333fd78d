/**
 * Replication statistics in dtle 2.x's shape (GET /v1/agent/allocation/{ID}/stats). Pure functions.
 *
 * Sources, each optional (docs/api.md has the table per field):
 *  - the job's state in Consul (dtleState.ts): Gtid and BinlogFilePos → CurrentCoordinates,
 *    JobStage → Stage, DumpProgress → ProgressPct, ETA (from two readings) and the row counts;
 *  - the task's Nomad events: dtle emits `job_stage_full` / `job_stage_incr` as driver messages
 *    (the stage where Consul has no JobStage: dtle before 4.22.11.4, or Consul not read);
 *  - the job's task config: the configured `Gtid` (where Consul has none);
 *  - the dtle plugin's Prometheus `/metrics` (when `publish_metrics` is on), gauges labelled
 *    `task_name="<job>_<task>"`: dtle_network_* → MsgStat, dtle_buffer_* → BufferStat,
 *    dtle_table_* → TableStats, dtle_delay_* → DelayCount, dtle_throughput_* → ThroughputStat,
 *    dtle_{src_extracted,dest_applied}_incr_tx_count → the Tx counters;
 *  - or, with `stats_signal`, the task's own TaskStatistics (alloc signal `stats`), field for field.
 * What no source gives keeps 2.x's zero value of its JSON type (pointers: null).
 */
import { z } from 'zod';
import type { TaskEvent } from '../nomad/types';
import type { LegacyTaskStatistics, LegacyTaskType } from '../legacy/types';
import { int64 } from '../legacy/int64';
import { parseNomadJson } from '../nomad/json';
import { goDuration } from '../nomad/go';
import { driverMessageOf } from './alloc';

/* ------------------------------------------------------------------ Prometheus text format */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(text);
  }
}

/** Samples of a Prometheus text exposition; malformed lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    LABEL.lastIndex = 0;
    let ok = true;
    let consumed = 0;
    while (consumed < body.length) {
      const l = LABEL.exec(body);
      if (!l) {
        ok = body.slice(consumed).trim() === '';
        break;
      }
      labels[l[1] as string] = unescapeLabel(l[2] as string);
      consumed = LABEL.lastIndex;
    }
    const value = parseValue(m[4] as string);
    if (!ok || (Number.isNaN(value) && m[4] !== 'NaN')) continue;
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The `dtle_*` gauges of one task (`task_name="<job>_<task>"`), by name without the `dtle_` prefix. */
export function dtleMetricsFor(samples: readonly PromSample[], taskName: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    if (s.labels.task_name !== taskName || !s.name.startsWith('dtle_')) continue;
    out.set(s.name.slice('dtle_'.length), s.value);
  }
  return out;
}

/** dtle's metric label of a task: `<Nomad job name>_<Nomad task name>`. */
export function dtleTaskLabel(jobName: string, taskName: string): string {
  return `${jobName}_${taskName}`;
}

/* ------------------------------------------------------------------ stage */

export type DtleStage = 'full' | 'incr';

/** The stage the latest of a task's driver messages names (dtle's job_stage_full / job_stage_incr), or null before any. */
export function stageOfMessages(messages: Iterable<string>): DtleStage | null {
  let stage: DtleStage | null = null;
  for (const msg of messages) {
    if (msg === 'job_stage_full') stage = 'full';
    else if (msg === 'job_stage_incr') stage = 'incr';
  }
  return stage;
}

/** The stage the task's latest dtle stage event names, or null before any. */
export function stageOfEvents(events: readonly TaskEvent[]): DtleStage | null {
  return stageOfMessages(events.map(driverMessageOf));
}

/** 2.x's MySQL-style stage texts (models/statistics.go), as its extractor (Src) and applier (Dest) set them. */
export const STAGE_TEXT: Record<LegacyTaskType, Record<DtleStage, string>> = {
  Src: {
    full: 'Sending data',
    incr: 'Master has sent all binlog to slave; waiting for more updates',
  },
  Dest: {
    full: 'Waiting for slave workers to process their queues',
    incr: 'Slave has read all relay log; waiting for more updates',
  },
};

/* ------------------------------------------------------------------ TaskStatistics */

export interface TaskStatisticsInput {
  type: LegacyTaskType;
  stage: DtleStage | null;
  /** the GTID set reached (Consul's Gtid), else the job's configured Gtid ("" when none) */
  gtid: string;
  /** the binlog position reached (Consul's BinlogFilePos), null when unknown */
  binlog: { file: string; pos: number } | null;
  /** the full copy's rows (Consul's DumpProgress), null when unknown */
  progress: { exec: number; total: number } | null;
  /** the full copy's remaining time (etaText), null when it cannot be computed */
  eta: string | null;
  /** the task's plugin gauges (dtleMetricsFor), or null when not scraped / scrape failed */
  metrics: ReadonlyMap<string, number> | null;
  /** now, in ns since the epoch */
  nowNs: bigint;
}

/** an unsigned Go integer from a float gauge */
const uint = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) || v <= 0 ? 0 : Math.trunc(v));
/** a signed Go integer from a float gauge */
const sint = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) ? 0 : Math.trunc(v));

/** Go's strconv.FormatFloat(pct, 'f', 1, 64) of the copy's progress: "100.0" once incremental. */
export function progressPctOf(stage: DtleStage | null, progress: { exec: number; total: number } | null): string {
  if (stage === 'incr') return '100.0';
  if (progress === null || progress.total <= 0) return '0.0';
  return ((100 * progress.exec) / progress.total).toFixed(1);
}

/**
 * The remaining time of a full copy as dtle writes ETA (base.PrettifyDurationOutput: a Go
 * duration without its fraction, "0s" under a second), from the copy rate between two readings
 * of DumpProgress; null when they do not give one (no rows copied between them, or no time).
 */
export function etaOf(first: { exec: number; atMs: number }, last: { exec: number; total: number; atMs: number }): string | null {
  const rows = last.exec - first.exec;
  const ms = last.atMs - first.atMs;
  if (rows <= 0 || ms <= 0) return null;
  return etaText(((last.total - last.exec) * ms) / rows / 1000);
}

/** Seconds as dtle's ETA text: "1h2m3s", "45s", "0s". */
export function etaText(seconds: number): string {
  if (!(seconds >= 1)) return '0s';
  return goDuration(BigInt(Math.floor(seconds)) * 1_000_000_000n);
}

/** models.TaskStatistics of one task. */
export function legacyTaskStatistics(input: TaskStatisticsInput): LegacyTaskStatistics {
  const m = input.metrics ?? new Map<string, number>();
  const has = (...names: string[]) => names.some((n) => m.has(n));
  const src = input.type === 'Src';
  const extracted = uint(m.get('src_extracted_incr_tx_count'));
  const applied = uint(m.get('dest_applied_incr_tx_count'));
  const incr = input.stage === 'incr';
  return {
    CurrentCoordinates: {
      File: input.binlog?.file ?? '',
      Position: input.binlog?.pos ?? 0,
      GtidSet: input.gtid,
      RelayMasterLogFile: '',
      ReadMasterLogPos: 0,
      RetrievedGtidSet: '',
      ExecutedGtidSet: '',
    },
    TableStats: has('table_insert', 'table_update', 'table_delete')
      ? { InsertCount: sint(m.get('table_insert')), UpdateCount: sint(m.get('table_update')), DelCount: sint(m.get('table_delete')) }
      : null,
    DelayCount: has('delay_time', 'delay_num') ? { Num: uint(m.get('delay_num')), Time: uint(m.get('delay_time')) } : null,
    ProgressPct: progressPctOf(input.stage, input.progress),
    ExecMasterRowCount: input.progress?.exec ?? 0,
    ExecMasterTxCount: src ? extracted : applied,
    ReadMasterRowCount: input.progress?.total ?? 0,
    ReadMasterTxCount: src ? extracted : 0,
    ETA: incr ? '0s' : (input.eta ?? 'N/A'),
    Backlog: '',
    ThroughputStat: has('throughput_num', 'throughput_time')
      ? { Num: uint(m.get('throughput_num')), Time: uint(m.get('throughput_time')) }
      : null,
    MsgStat: {
      InMsgs: uint(m.get('network_in_msgs')),
      OutMsgs: uint(m.get('network_out_msgs')),
      InBytes: uint(m.get('network_in_bytes')),
      OutBytes: uint(m.get('network_out_bytes')),
      Reconnects: 0,
    },
    BufferStat: {
      ExtractorTxQueueSize: src ? uint(m.get('buffer_src_queue_size')) : 0,
      ApplierTxQueueSize: src ? 0 : uint(m.get('buffer_dest_queue2_size')),
      ApplierGroupTxQueueSize: src ? 0 : uint(m.get('buffer_dest_queue_size')),
      SendByTimeout: src ? uint(m.get('buffer_send_by_timeout')) : 0,
      SendBySizeFull: src ? uint(m.get('buffer_send_by_size_full')) : 0,
    },
    Stage: input.stage === null ? '' : STAGE_TEXT[input.type][input.stage],
    Timestamp: int64(input.nowNs),
  };
}

/* ------------------------------------------------------------------ the task's own TaskStatistics (alloc signal stats) */

const Int = z.union([z.number(), z.string().regex(/^-?\d+$/)]);
const num = (v: number | string | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const Pair = z.object({ Num: Int, Time: Int }).nullish();

/** dtle 4.x's common.TaskStatistics (driver/common/models.go), as SignalTask marshals it. */
export const DtleTaskStatistics = z.looseObject({
  CurrentCoordinates: z
    .looseObject({ File: z.string(), Position: Int, GtidSet: z.string(), RelayMasterLogFile: z.string(), ReadMasterLogPos: Int, RetrievedGtidSet: z.string() })
    .nullish(),
  TableStats: z.object({ InsertCount: Int, UpdateCount: Int, DelCount: Int }).nullish(),
  DelayCount: Pair,
  ProgressPct: z.string(),
  ExecMasterRowCount: Int,
  ExecMasterTxCount: Int,
  ReadMasterRowCount: Int,
  ReadMasterTxCount: Int,
  ETA: z.string(),
  Backlog: z.string(),
  ThroughputStat: Pair,
  MsgStat: z.looseObject({ InMsgs: Int, OutMsgs: Int, InBytes: Int, OutBytes: Int, Reconnects: Int }),
  BufferStat: z.looseObject({
    BinlogEventQueueSize: Int.optional(),
    ExtractorTxQueueSize: Int,
    ApplierMsgQueueSize: Int,
    ApplierTxQueueSize: Int,
    SendByTimeout: Int,
    SendBySizeFull: Int,
  }),
  Stage: z.string(),
  Timestamp: Int,
});
export type DtleTaskStatistics = z.infer<typeof DtleTaskStatistics>;

/** What the driver prefixes its answer with, through go-plugin's gRPC (`rpc error: code = Unknown desc = `). */
const RPC_ERROR = /^rpc error: code = \w+ desc = /;

/**
 * The TaskStatistics in the text Nomad answers an alloc signal `stats` with (dtle's SignalTask
 * returns it as the error), or null when the text holds none (the task not running, no statistics
 * collected yet, a driver without the signal).
 */
export function taskStatisticsOfSignal(text: string): DtleTaskStatistics | null {
  const m = RPC_ERROR.exec(text);
  if (!m) return null;
  let json: unknown;
  try {
    json = parseNomadJson(text.slice(m[0].length).trim());
  } catch {
    return null;
  }
  const p = DtleTaskStatistics.safeParse(json);
  return p.success ? p.data : null;
}

/** dtle 4.x's TaskStatistics as 2.x's: the same fields, 4.x's BufferStat mapped to 2.x's, no MemoryStat or Handled* counts. */
export function legacyOfTaskStatistics(t: DtleTaskStatistics): LegacyTaskStatistics {
  const c = t.CurrentCoordinates;
  return {
    CurrentCoordinates: c
      ? {
          File: c.File,
          Position: num(c.Position),
          GtidSet: c.GtidSet,
          RelayMasterLogFile: c.RelayMasterLogFile,
          ReadMasterLogPos: num(c.ReadMasterLogPos),
          RetrievedGtidSet: c.RetrievedGtidSet,
          ExecutedGtidSet: '',
        }
      : null,
    TableStats: t.TableStats ? { InsertCount: num(t.TableStats.InsertCount), UpdateCount: num(t.TableStats.UpdateCount), DelCount: num(t.TableStats.DelCount) } : null,
    DelayCount: t.DelayCount ? { Num: num(t.DelayCount.Num), Time: num(t.DelayCount.Time) } : null,
    ProgressPct: t.ProgressPct,
    ExecMasterRowCount: num(t.ExecMasterRowCount),
    ExecMasterTxCount: num(t.ExecMasterTxCount),
    ReadMasterRowCount: num(t.ReadMasterRowCount),
    ReadMasterTxCount: num(t.ReadMasterTxCount),
    ETA: t.ETA,
    Backlog: t.Backlog,
    ThroughputStat: t.ThroughputStat ? { Num: num(t.ThroughputStat.Num), Time: num(t.ThroughputStat.Time) } : null,
    MsgStat: { InMsgs: num(t.MsgStat.InMsgs), OutMsgs: num(t.MsgStat.OutMsgs), InBytes: num(t.MsgStat.InBytes), OutBytes: num(t.MsgStat.OutBytes), Reconnects: num(t.MsgStat.Reconnects) },
    BufferStat: {
      ExtractorTxQueueSize: num(t.BufferStat.ExtractorTxQueueSize),
      ApplierTxQueueSize: num(t.BufferStat.ApplierTxQueueSize),
      ApplierGroupTxQueueSize: num(t.BufferStat.ApplierMsgQueueSize),
      SendByTimeout: num(t.BufferStat.SendByTimeout),
      SendBySizeFull: num(t.BufferStat.SendBySizeFull),
    },
    Stage: t.Stage,
    Timestamp: int64(String(t.Timestamp)),
  };
}
