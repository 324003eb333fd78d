/**
 * A Nomad job → the dtle job record, once. Either task config dialect is read: per-task (each
 * task has its own ConnectionConfig, a Kafka dest its KafkaConfig) or src-only (src holds
 * everything, Src/DestConnectionConfig and KafkaConfig, dest only DestType). Pure functions.
 *
 * Field map (record ← Nomad):
 *   id ← ID; name ← job Meta Name, else Name (or ID); stateKey ← Name (or ID) (identity.ts);
 *   region ← Region; datacenters ← Datacenters;
 *   only2x.{type, orders, failover, constraints} ← job Meta (meta.ts), else 2.x's defaults (orders null);
 *   state ← Status, StatusDescription, CreateIndex, ModifyIndex, JobModifyIndex;
 *   per task: type ← task Meta Type, else the group (or task) name src/dest;
 *     connection ← ConnectionConfig | SrcConnectionConfig | DestConnectionConfig;
 *     kafka ← KafkaConfig; gtid ← Gtid (src's for a src-only dest); options ← the rest;
 *     driver ← task Meta Driver, else Kafka when the dest writes to Kafka, else MySQL;
 *     node ← task Meta NodeID/NodeName, else a `${node.unique.id|name}` constraint or affinity;
 *     only2x.leader ← task Meta Leader, else Dest; constraints, posted ← task Meta.
 */
import type { Constraint, Job, Task, TaskGroup } from '../nomad/types';
import type { LegacyTaskType } from '../legacy/types';
import { DtleConnection, type DtleJob, type DtleTask, type LegacyDriver, type NodePin } from './dtleJob';
import { readJobMeta, readTaskMeta, type TaskMeta } from './meta';
import { dtleStateKey } from './identity';
import { SRC_ONLY_MARKERS } from './spec';
import { unescapeTemplate } from './config';
import { KEEP, isObject, walkJson, type JsonObject } from './walk';

export const NODE_ID_TARGET = '${node.unique.id}';
export const NODE_NAME_TARGET = '${node.unique.name}';

/** "src" → "Src", "dest" → "Dest" */
function legacyTypeOfName(name: string): LegacyTaskType | null {
  const n = name.toLowerCase();
  if (n === 'src') return 'Src';
  if (n === 'dest') return 'Dest';
  return null;
}

export interface DtleTaskRef {
  type: LegacyTaskType;
  group: TaskGroup;
  task: Task;
  meta: TaskMeta;
}

/** The Src and Dest tasks of a Nomad job (groups named src/dest, or tagged in Meta), or null when not a dtle job. */
export function dtleTasksOf(job: Pick<Job, 'TaskGroups'>, drivers: readonly string[]): DtleTaskRef[] | null {
  const out: DtleTaskRef[] = [];
  for (const group of job.TaskGroups) {
    for (const task of group.Tasks) {
      if (!drivers.includes(task.Driver)) continue;
      const meta = readTaskMeta(task.Meta);
      const type = meta.Type ?? legacyTypeOfName(group.Name) ?? legacyTypeOfName(task.Name);
      if (type === null || out.some((t) => t.type === type)) continue;
      out.push({ type, group, task, meta });
    }
  }
  return out.length > 0 ? out : null;
}

export function isDtleJob(job: Pick<Job, 'TaskGroups'>, drivers: readonly string[]): boolean {
  return job.TaskGroups.some((g) => g.Tasks.some((t) => drivers.includes(t.Driver)));
}

function nodePin(group: TaskGroup, task: Task, target: string): string {
  const all: Constraint[] = [...(task.Constraints ?? []), ...(group.Constraints ?? [])];
  const c = all.find((x) => x.LTarget === target && (x.Operand === '=' || x.Operand === '==' || x.Operand === 'is'));
  if (c) return c.RTarget;
  const a = [...(task.Affinities ?? []), ...(group.Affinities ?? [])].find((x) => x.LTarget === target && x.Operand === '=');
  return a ? a.RTarget : '';
}

/** Which dialect a stored job's task configs are written in. */
export function dialectOfConfigs(src: JsonObject | undefined, dest: JsonObject | undefined): 'per-task' | 'src-only' {
  const marked = (c: JsonObject | undefined) => c !== undefined && SRC_ONLY_MARKERS.some((k) => k in c);
  return marked(src) || marked(dest) ? 'src-only' : 'per-task';
}

/** A task config as read from Nomad: strings unescaped, blocks written as one-element lists (as HCL parsing stores them) read as objects. */
function readConfig(raw: JsonObject | undefined): JsonObject {
  const plain = walkJson(raw ?? {}, (v) => (typeof v === 'string' ? unescapeTemplate(v) : KEEP));
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(isObject(plain) ? plain : {})) {
    out[k] = /Config$/.test(k) && Array.isArray(v) && v.length === 1 && isObject(v[0]) ? v[0] : v;
  }
  return out;
}

/** The config of one side, taken apart; entries the record does not type stay in `options` as Nomad holds them. */
type Side = Pick<DtleTask, 'connection' | 'kafka' | 'gtid' | 'options' | 'derived'>;

function side(options: JsonObject, connection: unknown, gtid: unknown, kafka: unknown, derived: boolean): Side {
  const rest: JsonObject = { ...options };
  const conn = connection === undefined ? null : DtleConnection.safeParse(connection);
  if (conn !== null && !conn.success) rest.ConnectionConfig = connection;
  if (gtid !== undefined && typeof gtid !== 'string') rest.Gtid = gtid;
  return {
    connection: conn?.success ? conn.data : null,
    kafka: isObject(kafka) ? kafka : null,
    gtid: typeof gtid === 'string' ? gtid : null,
    options: rest,
    derived,
  };
}

/** src-only keys that are not Src's options in the legacy view. */
const SRC_ONLY_KEYS = new Set(['SrcConnectionConfig', 'DestConnectionConfig', 'KafkaConfig', 'DestType', 'SrcOracleConfig']);

/** The Src and Dest sides of a job's task configs, in either dialect. */
function sidesOf(srcRaw: JsonObject | undefined, destRaw: JsonObject | undefined): { src: Side; dest: Side } {
  const src = readConfig(srcRaw);
  const dest = readConfig(destRaw);
  if (dialectOfConfigs(src, dest) === 'per-task') {
    const { ConnectionConfig: sc, Gtid: sg, ...srcRest } = src;
    const { ConnectionConfig: dc, Gtid: dg, KafkaConfig: dk, ...destRest } = dest;
    // a KafkaConfig that is not a block is an option like any other
    const destOptions = isObject(dk) || dk === undefined ? destRest : { ...destRest, KafkaConfig: dk };
    return { src: side(srcRest, sc, sg, undefined, false), dest: side(destOptions, dc, dg, dk, false) };
  }
  const srcOptions: JsonObject = {};
  for (const [k, v] of Object.entries(src)) if (!SRC_ONLY_KEYS.has(k) && k !== 'Gtid') srcOptions[k] = v;
  const destType = typeof dest.DestType === 'string' ? dest.DestType.toLowerCase() : '';
  const kafka = destType === 'kafka' || (destType === '' && isObject(src.KafkaConfig) && !isObject(src.DestConnectionConfig));
  const gtid = typeof src.Gtid === 'string' ? src.Gtid : undefined;
  return {
    src: side(srcOptions, src.SrcConnectionConfig, src.Gtid, undefined, false),
    dest: kafka
      ? side({}, undefined, gtid, isObject(src.KafkaConfig) ? src.KafkaConfig : {}, true)
      : side({}, isObject(src.DestConnectionConfig) ? src.DestConnectionConfig : undefined, gtid, undefined, true),
  };
}

function driverOf(type: LegacyTaskType, meta: TaskMeta, s: Side): LegacyDriver {
  if (meta.Driver !== undefined) return meta.Driver;
  return type === 'Dest' && s.kafka !== null ? 'Kafka' : 'MySQL';
}

function pinOf(ref: DtleTaskRef): NodePin {
  return {
    id: ref.meta.NodeID ?? nodePin(ref.group, ref.task, NODE_ID_TARGET),
    name: ref.meta.NodeName ?? nodePin(ref.group, ref.task, NODE_NAME_TARGET),
  };
}

/**
 * src-only: toNomad wrote the options posted on Dest into src (the one task dtle reads them from).
 * Those the caller posted on Dest and not on Src (both kept in the task Meta) go back to Dest.
 */
function returnDestOptions(src: Side, dest: Side, srcPosted: JsonObject | undefined, destPosted: JsonObject | undefined): { src: Side; dest: Side } {
  if (!dest.derived || srcPosted === undefined || destPosted === undefined) return { src, dest };
  const srcOptions: JsonObject = {};
  const destOptions: JsonObject = { ...dest.options };
  for (const [k, v] of Object.entries(src.options)) {
    if (!(k in srcPosted) && k in destPosted) destOptions[k] = v;
    else srcOptions[k] = v;
  }
  return { src: { ...src, options: srcOptions }, dest: { ...dest, options: destOptions } };
}

/** The record of a Nomad job, or null when it is not a dtle job. */
export function dtleJobOfNomad(job: Job, drivers: readonly string[]): DtleJob | null {
  const refs = dtleTasksOf(job, drivers);
  if (refs === null) return null;
  const srcRef = refs.find((r) => r.type === 'Src');
  const destRef = refs.find((r) => r.type === 'Dest');
  const read = sidesOf(srcRef?.task.Config, destRef?.task.Config);
  const sides = returnDestOptions(read.src, read.dest, srcRef?.meta.Config, destRef?.meta.Config);
  const meta = readJobMeta(job.Meta);
  const tasks = refs.map((ref): DtleTask => {
    const s = ref.type === 'Src' ? sides.src : sides.dest;
    return {
      type: ref.type,
      driver: driverOf(ref.type, ref.meta, s),
      ...s,
      node: pinOf(ref),
      only2x: { leader: ref.meta.Leader ?? ref.type === 'Dest', constraints: ref.meta.Constraints ?? null, posted: ref.meta.Config ?? null },
    };
  });
  return {
    id: job.ID,
    name: meta.Name ?? dtleStateKey(job),
    stateKey: dtleStateKey(job),
    region: job.Region,
    datacenters: job.Datacenters,
    only2x: { type: meta.Type ?? 'synchronous', orders: meta.Orders ?? null, failover: meta.Failover ?? false, constraints: meta.Constraints ?? null },
    tasks,
    natsAddr: null,
    state: {
      status: job.Status,
      statusDescription: job.StatusDescription,
      createIndex: job.CreateIndex,
      modifyIndex: job.ModifyIndex,
      jobModifyIndex: job.JobModifyIndex,
    },
  };
}
