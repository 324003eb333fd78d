/**
 * dtle's replication state as dtle 4.x keeps it in Consul KV (driver/common/store.go), keyed by the
 * Nomad job Name, read into one typed record. Pure functions: the keys, and the parse of what a
 * recursive read of `dtle/<job>/` and the job's `dtleJobList/<job>` entry found. A value that is not
 * in dtle's format is left out (and named in `unreadable`), never guessed at.
 *
 *   dtle/<job>/Gtid            GTID set text (every 4.x)
 *   dtle/<job>/BinlogFilePos   `<file>//dtle//<pos>` (every 4.x)
 *   dtle/<job>/JobStage        job_stage_full | job_stage_incr (4.22.11.4 and later)
 *   dtle/<job>/DumpProgress    JSON [exec, total] rows of the full copy (4.22.11.4 and later)
 *   dtle/<job>/NatsAddr        the dest's NATS address (or waitdst / wait while the tasks agree)
 *   dtle/<job>/SourceType      mysql | oracle (4.22.07)
 *   dtle/<job>/Config          the src task's whole config as JSON, passwords in clear (4.23.04):
 *                              masked at once here, never held unmasked
 *   dtleJobList/<job>          JSON JobListItemV2: job_status non-paused | paused | stop | reverse-init | finished
 */
import { z } from 'zod';
import type { KvEntry } from '../consul/types';
import type { DtleStage } from './stats';
import { maskSecrets } from './mask';
import { isObject, type JsonObject } from './walk';

export const DTLE_STATE_ROOT = 'dtle/';
export const JOB_LIST_ROOT = 'dtleJobList/';

/** The prefix of a job's state (with its slash: job `a` never reads job `ab`'s). */
export function dtleStatePrefix(jobName: string): string {
  return `${DTLE_STATE_ROOT}${jobName}/`;
}

export function jobListKey(jobName: string): string {
  return `${JOB_LIST_ROOT}${jobName}`;
}

/** dtle's job_status values (driver/common/common.go). */
export const DTLE_JOB_STATUS = { nonPaused: 'non-paused', paused: 'paused', stop: 'stop', reverseInit: 'reverse-init', finished: 'finished' } as const;

/** JobListItemV2 as dtle writes it (json.Marshal field order); unknown fields kept as they are. */
export const JobListItem = z.looseObject({
  job_id: z.string().optional(),
  job_status: z.string().optional(),
});
export type JobListItem = z.infer<typeof JobListItem>;

/** A value and the Consul index it was last written at (how long ago the position moved). */
export interface Indexed<T> {
  value: T;
  modifyIndex: number;
}

export interface DtleState {
  /** the GTID set the job has replicated up to */
  gtid: Indexed<string> | null;
  binlog: Indexed<{ file: string; pos: number }> | null;
  stage: DtleStage | null;
  /** rows of the full copy: executed, total */
  dumpProgress: Indexed<{ exec: number; total: number }> | null;
  natsAddr: string | null;
  sourceType: string | null;
  /** the task config dtle stored, every secret masked */
  config: JsonObject | null;
  /** the job's dtleJobList entry, null when it has none */
  jobList: JobListItem | null;
  /** keys whose value is not in dtle's format */
  unreadable: string[];
}

const BINLOG_SEPARATOR = '//dtle//';

/** `<file>//dtle//<pos>` (store.go SaveBinlogFilePosForJob), or null. */
export function binlogPosOf(text: string): { file: string; pos: number } | null {
  const parts = text.split(BINLOG_SEPARATOR);
  if (parts.length !== 2 || !/^\d+$/.test(parts[1] as string)) return null;
  return { file: parts[0] as string, pos: Number(parts[1]) };
}

const DumpProgressJson = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

/** `[exec,total]` (store.go PutDumpProgress), or null. */
export function dumpProgressOf(text: string): { exec: number; total: number } | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const p = DumpProgressJson.safeParse(json);
  return p.success ? { exec: p.data[0], total: p.data[1] } : null;
}

/** job_stage_full / job_stage_incr, or null. */
export function stageOfText(text: string): DtleStage | null {
  return text === 'job_stage_full' ? 'full' : text === 'job_stage_incr' ? 'incr' : null;
}

/** A dtleJobList entry's JSON, or null when it is none. */
export function jobListItemOf(value: Buffer | null): JobListItem | null {
  if (value === null) return null;
  try {
    const p = JobListItem.safeParse(JSON.parse(value.toString('utf8')));
    return p.success ? p.data : null;
  } catch {
    return null;
  }
}

/** The stored config, masked; null when it is not a JSON object. */
function maskedConfigOf(text: string): JsonObject | null {
  try {
    const json: unknown = JSON.parse(text);
    return isObject(json) ? maskSecrets(json) : null;
  } catch {
    return null;
  }
}

function indexed<T>(value: T | null, modifyIndex: number): Indexed<T> | null {
  return value === null ? null : { value, modifyIndex };
}

/** The state of a job from what `dtle/<job>/?recurse` found and its dtleJobList entry (null when absent). */
export function dtleStateOf(jobName: string, entries: readonly KvEntry[], jobListEntry: KvEntry | null): DtleState {
  const prefix = dtleStatePrefix(jobName);
  const state: DtleState = { gtid: null, binlog: null, stage: null, dumpProgress: null, natsAddr: null, sourceType: null, config: null, jobList: null, unreadable: [] };
  for (const e of entries) {
    if (!e.key.startsWith(prefix)) continue;
    const text = e.value?.toString('utf8') ?? '';
    let ok = true;
    switch (e.key.slice(prefix.length)) {
      case 'Gtid':
        state.gtid = indexed(text === '' ? null : text, e.modifyIndex);
        break;
      case 'BinlogFilePos':
        ok = (state.binlog = indexed(binlogPosOf(text), e.modifyIndex)) !== null;
        break;
      case 'JobStage':
        ok = (state.stage = stageOfText(text)) !== null;
        break;
      case 'DumpProgress':
        ok = (state.dumpProgress = indexed(dumpProgressOf(text), e.modifyIndex)) !== null;
        break;
      case 'NatsAddr':
        state.natsAddr = text;
        break;
      case 'SourceType':
        state.sourceType = text;
        break;
      case 'Config':
        ok = (state.config = maskedConfigOf(text)) !== null;
        break;
      default:
        break;
    }
    if (!ok) state.unreadable.push(e.key);
  }
  if (jobListEntry) {
    state.jobList = jobListItemOf(jobListEntry.value);
    if (state.jobList === null) state.unreadable.push(jobListEntry.key);
  }
  return state;
}
