/**
 * Nomad job ⇄ legacy 2.x job. Pure functions: no I/O, no masking (callers mask on the way out).
 *
 * Legacy-only facts that Nomad has no field for are kept in Meta, so a GET returns what was posted:
 *   job Meta  `dtle_compat_job`:  {"Type","Orders","Failover","Constraints"}
 *   task Meta `dtle_compat_task`: {"Type","Driver","NodeID","NodeName","Leader","Constraints","Config"}
 * where Config is the posted legacy config without its secrets (passwords live only in the
 * driver config).
 */
import type { LegacyConfig, LegacyConstraint, LegacyJob, LegacyJobListStub, LegacyTask } from '../legacy/types';
import { LEGACY_JOB_TYPES } from '../legacy/types';
import type { LegacyJobInput, LegacyTaskInput } from '../legacy/schema';
import type { Constraint, Job, JobListStub, Task, TaskGroup } from '../nomad/types';
import {
  TranslateError,
  isKnownLegacyPath,
  isObject,
  legacyToNomadConfigs,
  nomadToLegacyConfigs,
  overlayOriginal,
  type JsonObject,
  type LegacyDriver,
} from './config';
import type { Dialect } from './spec';
import { MASK, withoutSecrets } from './mask';
import { isSecretKey } from '../logging/redact';

export const JOB_META_KEY = 'dtle_compat_job';
export const TASK_META_KEY = 'dtle_compat_task';

export const NODE_ID_TARGET = '${node.unique.id}';
export const NODE_NAME_TARGET = '${node.unique.name}';

interface JobMeta {
  Type?: string;
  Orders?: string[];
  Failover?: boolean;
  Constraints?: LegacyConstraint[] | null;
}

interface TaskMeta {
  Type?: string;
  Driver?: string;
  NodeID?: string;
  NodeName?: string;
  Leader?: boolean;
  Constraints?: LegacyConstraint[] | null;
  Config?: JsonObject;
}

function parseMeta<T extends object>(meta: Record<string, string> | null | undefined, key: string): T {
  const text = meta?.[key];
  if (text === undefined) return {} as T;
  try {
    const v: unknown = JSON.parse(text);
    return (isObject(v) ? v : {}) as T;
  } catch {
    return {} as T;
  }
}

/** "src" → "Src", "dest" → "Dest" */
function legacyTypeOfGroup(name: string): 'Src' | 'Dest' | null {
  const n = name.toLowerCase();
  if (n === 'src') return 'Src';
  if (n === 'dest') return 'Dest';
  return null;
}

export interface DtleTaskRef {
  type: 'Src' | 'Dest';
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
      const meta = parseMeta<TaskMeta>(task.Meta, TASK_META_KEY);
      const type =
        meta.Type === 'Src' || meta.Type === 'Dest' ? meta.Type : (legacyTypeOfGroup(group.Name) ?? legacyTypeOfGroup(task.Name));
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

/** 2.x's status of a paused job (Nomad has none: dtle-compat keeps the paused job's spec aside). */
export const PAUSED_STATUS = 'pause';

/** A Nomad job as the 2.x `Job`, or null when it is not a dtle job. Secrets are NOT masked here. */
export function nomadJobToLegacy(job: Job, drivers: readonly string[]): LegacyJob | null {
  const refs = dtleTasksOf(job, drivers);
  if (refs === null) return null;
  const src = refs.find((r) => r.type === 'Src');
  const dest = refs.find((r) => r.type === 'Dest');
  const converted = nomadToLegacyConfigs(src?.task.Config, dest?.task.Config);
  const jobMeta = parseMeta<JobMeta>(job.Meta, JOB_META_KEY);
  const tasks: LegacyTask[] = refs.map((ref) => {
    const current = ref.type === 'Src' ? converted.src : converted.dest;
    const driver: LegacyDriver =
      ref.meta.Driver === 'Kafka' || ref.meta.Driver === 'MySQL'
        ? ref.meta.Driver
        : ref.type === 'Dest'
          ? converted.destDriver
          : 'MySQL';
    const config = ref.meta.Config
      ? (overlayOriginal(ref.meta.Config, current, (p) => isKnownLegacyPath(p, driver, ref.type === 'Dest' && converted.destDerived)) as LegacyConfig)
      : current;
    return {
      Type: ref.type,
      NodeID: ref.meta.NodeID ?? nodePin(ref.group, ref.task, NODE_ID_TARGET),
      NodeName: ref.meta.NodeName ?? nodePin(ref.group, ref.task, NODE_NAME_TARGET),
      Driver: ref.meta.Driver ?? driver,
      Config: config,
      ConfigLock: {},
      Leader: ref.meta.Leader ?? ref.type === 'Dest',
      Constraints: ref.meta.Constraints ?? null,
    };
  });
  return {
    Region: job.Region,
    ID: job.ID,
    Orders: jobMeta.Orders ?? [],
    Name: job.Name || job.ID,
    Failover: jobMeta.Failover ?? false,
    Type: jobMeta.Type ?? 'synchronous',
    Datacenters: job.Datacenters,
    Constraints: jobMeta.Constraints ?? null,
    Tasks: tasks,
    Status: job.Status,
    StatusDescription: job.StatusDescription,
    EnforceIndex: false,
    CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex,
    JobModifyIndex: job.JobModifyIndex,
  };
}

/**
 * The 2.x list stub: status and indexes from Nomad's list (never older than the list), the spec
 * from the job. A paused job shows 2.x's `pause`.
 */
export function legacyListStub(stub: Pick<JobListStub, 'Status' | 'StatusDescription' | 'CreateIndex' | 'ModifyIndex' | 'JobModifyIndex'>, legacy: LegacyJob, paused = false): LegacyJobListStub {
  const summary: LegacyJob = {
    ...legacy,
    Status: paused ? PAUSED_STATUS : stub.Status || legacy.Status,
    StatusDescription: stub.StatusDescription,
    CreateIndex: stub.CreateIndex,
    ModifyIndex: stub.ModifyIndex,
    JobModifyIndex: stub.JobModifyIndex,
  };
  return {
    ID: summary.ID,
    Name: summary.Name,
    Type: summary.Type,
    Status: summary.Status,
    StatusDescription: summary.StatusDescription,
    JobSummary: summary,
    CreateIndex: summary.CreateIndex,
    ModifyIndex: summary.ModifyIndex,
    JobModifyIndex: summary.JobModifyIndex,
  };
}

/* ------------------------------------------------------------------ legacy → Nomad */

/** A Nomad job as we send it to /v1/jobs (Nomad fills every other field with its defaults). */
export interface NomadJobWrite {
  ID: string;
  Name: string;
  Type: 'service';
  Priority: number;
  Region?: string;
  Namespace?: string;
  Datacenters: string[];
  Meta: Record<string, string>;
  TaskGroups: Array<{
    Name: string;
    Count: number;
    Constraints: Constraint[] | null;
    Tasks: Array<{ Name: string; Driver: string; Config: JsonObject; Meta: Record<string, string> }>;
  }>;
}

export interface LegacyToNomadOptions {
  dialect: Dialect;
  /** driver name written to Nomad (the first of dtle_drivers) */
  driverName: string;
  datacenters: readonly string[];
  namespace?: string;
  /** the job as stored now, unmasked, to fill `"*"` passwords from */
  existing?: LegacyJob | null;
}

export interface LegacyToNomadResult {
  job: NomadJobWrite;
  /** legacy keys the driver does not accept, kept only in Meta */
  dropped: string[];
}

function legacyDriverOf(t: LegacyTaskInput, i: number, type: 'Src' | 'Dest'): LegacyDriver {
  const d = t.Driver ?? '';
  if (d === '' || d.toLowerCase() === 'mysql') return 'MySQL';
  if (d.toLowerCase() === 'kafka') {
    if (type === 'Src') throw new TranslateError(`Tasks[${i}].Driver`, 'driver Kafka can only be used by a Dest task');
    return 'Kafka';
  }
  throw new TranslateError(`Tasks[${i}].Driver`, `unknown driver "${d}" (dtle supports MySQL and Kafka)`);
}

/** Replaces every secret that is "*" by the stored value at the same path; a "*" with nothing stored is an error. */
function restoreMasked(config: JsonObject, stored: unknown, path: string): JsonObject {
  const walk = (v: unknown, s: unknown, p: string, key: string | null): unknown => {
    if (key !== null && isSecretKey(key) && v === MASK) {
      if (typeof s === 'string' || typeof s === 'number') return s;
      throw new TranslateError(p, '"*" is a masked password and no password is stored for it: send the real one');
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, Array.isArray(s) ? s[i] : undefined, `${p}[${i}]`, null));
    if (isObject(v)) {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, isObject(s) ? s[k] : undefined, `${p}.${k}`, k);
      return out;
    }
    return v;
  };
  return walk(config, stored, path, null) as JsonObject;
}

function constraintOut(c: { LTarget?: string | undefined; RTarget?: string | undefined; Operand?: string | undefined }): LegacyConstraint {
  return { LTarget: c.LTarget ?? '', RTarget: c.RTarget ?? '', Operand: c.Operand ?? '' };
}

/** Validates a legacy job body and turns it into the Nomad job to register. Throws TranslateError naming the field. */
export function legacyToNomadJob(input: LegacyJobInput, opts: LegacyToNomadOptions): LegacyToNomadResult {
  if (input.Name === undefined || input.Name === null) throw new TranslateError('Name', "Job Name hasn't been provided", true);
  const name = input.Name;
  const id = input.ID !== undefined && input.ID !== null && input.ID !== '' ? input.ID : name;
  if (id === '') throw new TranslateError('ID', 'job ID (or Name) must not be empty');
  if (id.length > 128) throw new TranslateError('ID', 'must be at most 128 characters');
  // Nomad refuses IDs with spaces or NUL; say so before anything is registered
  if (/[\s\u0000]/.test(id)) throw new TranslateError('ID', 'must not contain spaces or control characters');
  const type = input.Type ?? 'synchronous';
  if (!(LEGACY_JOB_TYPES as readonly string[]).includes(type)) {
    throw new TranslateError('Type', `unknown job type "${type}" (one of ${LEGACY_JOB_TYPES.join(', ')})`);
  }
  const tasks = input.Tasks ?? [];
  if (tasks.length === 0) throw new TranslateError('Tasks', 'a job needs a Src and a Dest task');
  const byType = new Map<'Src' | 'Dest', { t: LegacyTaskInput; i: number }>();
  tasks.forEach((t, i) => {
    if (t.Type !== 'Src' && t.Type !== 'Dest') throw new TranslateError(`Tasks[${i}].Type`, 'must be "Src" or "Dest"');
    if (byType.has(t.Type)) throw new TranslateError(`Tasks[${i}].Type`, `duplicate task type "${t.Type}"`);
    byType.set(t.Type, { t, i });
  });
  const srcIn = byType.get('Src');
  const destIn = byType.get('Dest');
  if (!srcIn) throw new TranslateError('Tasks', 'a job needs a Src task');
  if (!destIn) throw new TranslateError('Tasks', 'a job needs a Dest task');

  // 2.x's own canonicalisation (agent/job_endpoint.go ApiJobToStructJob): Driver defaults to MySQL,
  // Src gets TrafficAgainstLimits (0 without orders), Dest gets Leader=true and Src's Gtid.
  const srcConfig: JsonObject = { ...(srcIn.t.Config ?? {}), TrafficAgainstLimits: (srcIn.t.Config ?? {}).TrafficAgainstLimits ?? 0 };
  const srcGtid = srcConfig.Gtid;
  const destConfig: JsonObject = {
    ...(destIn.t.Config ?? {}),
    Gtid: srcGtid === undefined || srcGtid === null ? '' : String(srcGtid),
  };
  const existingTask = (t: 'Src' | 'Dest') => opts.existing?.Tasks.find((x) => x.Type === t)?.Config;
  const src = { t: srcIn.t, i: srcIn.i, driver: legacyDriverOf(srcIn.t, srcIn.i, 'Src'), config: restoreMasked(srcConfig, existingTask('Src'), `Tasks[${srcIn.i}].Config`) };
  const dest = { t: destIn.t, i: destIn.i, driver: legacyDriverOf(destIn.t, destIn.i, 'Dest'), config: restoreMasked(destConfig, existingTask('Dest'), `Tasks[${destIn.i}].Config`) };
  if (src.driver === 'MySQL' && !isObject(src.config.ConnectionConfig)) {
    throw new TranslateError(`Tasks[${src.i}].Config.ConnectionConfig`, 'is required for a MySQL task');
  }
  if (dest.driver === 'MySQL' && !isObject(dest.config.ConnectionConfig)) {
    throw new TranslateError(`Tasks[${dest.i}].Config.ConnectionConfig`, 'is required for a MySQL task');
  }

  const configs = legacyToNomadConfigs(
    { driver: src.driver, config: src.config, path: `Tasks[${src.i}].Config` },
    { driver: dest.driver, config: dest.config, path: `Tasks[${dest.i}].Config` },
    opts.dialect,
  );

  const jobMeta: JobMeta = {
    Type: type,
    Orders: input.Orders ?? [],
    Failover: input.Failover ?? false,
    Constraints: input.Constraints ? input.Constraints.map(constraintOut) : null,
  };
  const group = (ref: typeof src, config: JsonObject) => {
    const nodeId = ref.t.NodeID ?? '';
    const nodeName = ref.t.NodeName ?? '';
    const constraints: Constraint[] = [];
    if (nodeId !== '') constraints.push({ LTarget: NODE_ID_TARGET, RTarget: nodeId, Operand: '=' });
    else if (nodeName !== '') constraints.push({ LTarget: NODE_NAME_TARGET, RTarget: nodeName, Operand: '=' });
    const type = ref.t.Type as 'Src' | 'Dest';
    const meta: TaskMeta = {
      Type: type,
      Driver: ref.driver,
      NodeID: nodeId,
      NodeName: nodeName,
      Leader: type === 'Dest' ? true : (ref.t.Leader ?? false),
      Constraints: ref.t.Constraints ? ref.t.Constraints.map(constraintOut) : null,
      Config: withoutSecrets(ref.config) as JsonObject,
    };
    const name = type === 'Src' ? 'src' : 'dest';
    return {
      Name: name,
      Count: 1,
      Constraints: constraints.length > 0 ? constraints : null,
      Tasks: [{ Name: name, Driver: opts.driverName, Config: config, Meta: { [TASK_META_KEY]: JSON.stringify(meta) } }],
    };
  };
  const job: NomadJobWrite = {
    ID: id,
    Name: name,
    Type: 'service',
    Priority: 50,
    ...(input.Region ? { Region: input.Region } : {}),
    ...(opts.namespace ? { Namespace: opts.namespace } : {}),
    Datacenters: input.Datacenters && input.Datacenters.length > 0 ? input.Datacenters : [...opts.datacenters],
    Meta: { [JOB_META_KEY]: JSON.stringify(jobMeta) },
    TaskGroups: [group(src, configs.src), group(dest, configs.dest)],
  };
  return { job, dropped: configs.dropped };
}
