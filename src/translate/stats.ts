/**
 * Replication statistics in dtle 2.x's shape (GET /v1/agent/allocation/{ID}/stats). Pure functions.
 *
 * Sources, each optional:
 *  - the task's Nomad events: dtle emits `job_stage_full` / `job_stage_incr` as driver messages;
 *  - the job's task config: the configured `Gtid`;
 *  - the dtle plugin's Prometheus `/metrics` (when `publish_metrics` is on), gauges labelled
 *    `task_name="<job>_<task>"`: dtle_network_* → MsgStat, dtle_buffer_* → BufferStat,
 *    dtle_table_* → TableStats, dtle_delay_* → DelayCount, dtle_throughput_* → ThroughputStat,
 *    dtle_{src_extracted,dest_applied}_incr_tx_count → the Tx counters.
 * What no source gives keeps 2.x's zero value of its JSON type (pointers: null).
 */
import type { TaskEvent } from '../nomad/types';
import type { LegacyTaskStatistics, LegacyTaskType } from '../legacy/types';
import { int64 } from '../legacy/int64';
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
  /** the job's configured Gtid ("" when none) */
  gtid: string;
  /** the task's plugin gauges (dtleMetricsFor), or null when not scraped / scrape failed */
  metrics: ReadonlyMap<string, number> | null;
  /** now, in ns since the epoch */
  nowNs: bigint;
}

/** an unsigned Go integer from a float gauge */
const uint = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) || v <= 0 ? 0 : Math.trunc(v));
/** a signed Go integer from a float gauge */
const sint = (v: number | undefined): number => (v === undefined || !Number.isFinite(v) ? 0 : Math.trunc(v));

/** models.TaskStatistics of one running task. */
export function legacyTaskStatistics(input: TaskStatisticsInput): LegacyTaskStatistics {
  const m = input.metrics ?? new Map<string, number>();
  const has = (...names: string[]) => names.some((n) => m.has(n));
  const src = input.type === 'Src';
  const extracted = uint(m.get('src_extracted_incr_tx_count'));
  const applied = uint(m.get('dest_applied_incr_tx_count'));
  return {
    CurrentCoordinates: {
      File: '',
      Position: 0,
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
    ProgressPct: input.stage === 'incr' ? '100.0' : '0.0',
    ExecMasterRowCount: 0,
    ExecMasterTxCount: src ? extracted : applied,
    ReadMasterRowCount: 0,
    ReadMasterTxCount: src ? extracted : 0,
    ETA: input.stage === 'incr' ? '0s' : 'N/A',
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
