/**
 * Reading request bodies the way Nomad's HTTP agent does: Go's encoding/json into the `api`
 * structs (field names matched case-insensitively, unknown fields ignored, `null` leaves a field
 * unset, a wrong JSON type is a 400 with Go's message), then the `api` package's Canonicalize and
 * the agent's conversion to `nomad/structs` (command/agent/job_endpoint.go ApiJobToStructJob), then
 * the server's own canonicalisation (structs Job.Canonicalize, admission mutators).
 */
import { int64 } from '../../../src/legacy/int64';
import { goField, goTypeErrorText, goValueTypeErrorText } from '../../../src/legacy/gojson';
import { multierrorText } from '../../../src/nomad/go';
import type {
  Affinity,
  Constraint,
  EphemeralDisk,
  Job,
  JsonObject,
  JsonValue,
  LogConfig,
  MigrateStrategy,
  ReschedulePolicy,
  Resources,
  RestartPolicy,
  Spread,
  StrMap,
  Task,
  TaskGroup,
  UpdateStrategy,
} from './structs';

/** A body Go's decoder refuses: the agent answers 400 with this text. */
export class DecodeError extends Error {}

const SECOND = 1_000_000_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the decoder is: the innermost Go struct and the field path from the root (Go's UnmarshalTypeError). */
interface Ctx {
  struct: string;
  path: string[];
}

function typeError(ctx: Ctx, field: string, v: unknown, goType: string): never {
  throw new DecodeError(goTypeErrorText(ctx, field, v, goType));
}

/** Go's encoding/json field lookup (the service's, shared). */
export const field = goField;

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function str(o: Record<string, unknown>, name: string, ctx: Ctx): string | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (typeof v !== 'string') typeError(ctx, name, v, 'string');
  return v;
}

function int(o: Record<string, unknown>, name: string, ctx: Ctx, goType = 'int'): number | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) typeError(ctx, name, v, goType);
  return v;
}

function bool(o: Record<string, unknown>, name: string, ctx: Ctx): boolean | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (typeof v !== 'boolean') typeError(ctx, name, v, 'bool');
  return v;
}

function strList(o: Record<string, unknown>, name: string, ctx: Ctx): string[] | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!Array.isArray(v)) typeError(ctx, name, v, '[]string');
  return v.map((x) => {
    if (typeof x !== 'string') typeError(ctx, name, x, 'string');
    return x;
  });
}

function strMap(o: Record<string, unknown>, name: string, ctx: Ctx): StrMap | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!isObject(v)) typeError(ctx, name, v, 'map[string]string');
  const out: StrMap = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') typeError(ctx, name, x, 'string');
    out[k] = x;
  }
  return out;
}

function toJsonValue(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x);
    return out;
  }
  return null;
}

/** A block kept as the client sent it (Config, Services, Templates, …). */
function jsonObj(o: Record<string, unknown>, name: string, ctx: Ctx, goType: string): JsonObject | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!isObject(v)) typeError(ctx, name, v, goType);
  return toJsonValue(v) as JsonObject;
}

function jsonArr(o: Record<string, unknown>, name: string, ctx: Ctx, goType: string): JsonValue[] | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!Array.isArray(v)) typeError(ctx, name, v, goType);
  return v.map(toJsonValue);
}

function structList(o: Record<string, unknown>, name: string, ctx: Ctx, elem: string): Array<Record<string, unknown>> | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!Array.isArray(v)) typeError(ctx, name, v, `[]*api.${elem}`);
  return v.filter((x) => x !== null).map((x) => {
    if (!isObject(x)) typeError(ctx, name, x, `api.${elem}`);
    return x;
  });
}

function struct(o: Record<string, unknown>, name: string, ctx: Ctx, type: string): Record<string, unknown> | undefined {
  const v = field(o, name);
  if (!present(v)) return undefined;
  if (!isObject(v)) typeError(ctx, name, v, `api.${type}`);
  return v;
}

const sub = (ctx: Ctx, struct: string, name: string): Ctx => ({ struct, path: [...ctx.path, name] });

const emptyToNull = <T>(v: T[] | undefined): T[] | null => (v && v.length > 0 ? v : null);
const emptyMapToNull = <T extends object>(v: T | undefined): T | null => (v && Object.keys(v).length > 0 ? v : null);

function constraints(o: Record<string, unknown>, ctx: Ctx): Constraint[] | null {
  const list = structList(o, 'Constraints', ctx, 'Constraint');
  if (!list) return null;
  const c = sub(ctx, 'Constraint', 'Constraints');
  return emptyToNull(list.map((x) => ({ LTarget: str(x, 'LTarget', c) ?? '', RTarget: str(x, 'RTarget', c) ?? '', Operand: str(x, 'Operand', c) ?? '' })));
}

function affinities(o: Record<string, unknown>, ctx: Ctx): Affinity[] | null {
  const list = structList(o, 'Affinities', ctx, 'Affinity');
  if (!list) return null;
  const c = sub(ctx, 'Affinity', 'Affinities');
  return emptyToNull(
    list.map((x) => ({
      LTarget: str(x, 'LTarget', c) ?? '',
      RTarget: str(x, 'RTarget', c) ?? '',
      Operand: str(x, 'Operand', c) ?? '',
      Weight: int(x, 'Weight', c, 'int8') ?? 50,
    })),
  );
}

function spreads(o: Record<string, unknown>, ctx: Ctx): Spread[] | null {
  const list = structList(o, 'Spreads', ctx, 'Spread');
  if (!list) return null;
  const c = sub(ctx, 'Spread', 'Spreads');
  return emptyToNull(
    list.map((x) => {
      const targets = structList(x, 'SpreadTarget', c, 'SpreadTarget');
      const tc = sub(c, 'SpreadTarget', 'SpreadTarget');
      return {
        Attribute: str(x, 'Attribute', c) ?? '',
        Weight: int(x, 'Weight', c, 'int8') ?? 50,
        SpreadTarget: targets ? targets.map((t) => ({ Value: str(t, 'Value', tc) ?? '', Percent: int(t, 'Percent', tc, 'uint8') ?? 0 })) : null,
      };
    }),
  );
}

/* --------------------------------------------------------------------- update strategy */

interface ApiUpdate {
  Stagger?: number | undefined;
  MaxParallel?: number | undefined;
  HealthCheck?: string | undefined;
  MinHealthyTime?: number | undefined;
  HealthyDeadline?: number | undefined;
  ProgressDeadline?: number | undefined;
  AutoRevert?: boolean | undefined;
  AutoPromote?: boolean | undefined;
  Canary?: number | undefined;
}

/** The Go type of each field of a flat api struct (numbers, strings and booleans only). */
type FieldTypes<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? 'int' | 'time.Duration' : NonNullable<T[K]> extends string ? 'string' : 'bool' };

/** A flat api struct, each field decoded as Go does (unset when absent or null), in the order given. */
function flatStruct<T extends object>(o: Record<string, unknown>, name: string, ctx: Ctx, type: string, fields: FieldTypes<T>): Partial<T> | undefined {
  const v = struct(o, name, ctx, type);
  if (!v) return undefined;
  const c = sub(ctx, type, name);
  const out: Record<string, unknown> = {};
  for (const [k, goType] of Object.entries(fields) as Array<[string, string]>) {
    out[k] = goType === 'string' ? str(v, k, c) : goType === 'bool' ? bool(v, k, c) : int(v, k, c, goType);
  }
  return out as Partial<T>;
}

function apiUpdate(o: Record<string, unknown>, ctx: Ctx): ApiUpdate | undefined {
  return flatStruct<ApiUpdate>(o, 'Update', ctx, 'UpdateStrategy', {
    Stagger: 'time.Duration',
    MaxParallel: 'int',
    HealthCheck: 'string',
    MinHealthyTime: 'time.Duration',
    HealthyDeadline: 'time.Duration',
    ProgressDeadline: 'time.Duration',
    AutoRevert: 'bool',
    AutoPromote: 'bool',
    Canary: 'int',
  });
}

const DEFAULT_UPDATE: UpdateStrategy = {
  Stagger: 30 * SECOND,
  MaxParallel: 1,
  HealthCheck: 'checks',
  MinHealthyTime: 10 * SECOND,
  HealthyDeadline: 5 * MINUTE,
  ProgressDeadline: 10 * MINUTE,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
};

function mergeDefined<T extends object>(base: T, over: Partial<T> | undefined): T {
  const out = { ...base };
  if (over) for (const [k, v] of Object.entries(over)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function updateEmpty(u: ApiUpdate | undefined): boolean {
  if (!u) return true;
  return Object.values(u).every((v) => v === undefined || v === 0 || v === '' || v === false);
}

/* --------------------------------------------------------------------- policies */

function defaultRestart(type: string): RestartPolicy {
  return type === 'service' || type === 'system'
    ? { Attempts: 2, Interval: 30 * MINUTE, Delay: 15 * SECOND, Mode: 'fail', RenderTemplates: false }
    : { Attempts: 3, Interval: 24 * HOUR, Delay: 15 * SECOND, Mode: 'fail', RenderTemplates: false };
}

function apiRestart(o: Record<string, unknown>, ctx: Ctx): Partial<RestartPolicy> | undefined {
  return flatStruct<RestartPolicy>(o, 'RestartPolicy', ctx, 'RestartPolicy', { Attempts: 'int', Interval: 'time.Duration', Delay: 'time.Duration', Mode: 'string', RenderTemplates: 'bool' });
}

function defaultReschedule(type: string): ReschedulePolicy | null {
  if (type === 'service') return { Attempts: 0, Interval: 0, Delay: 30 * SECOND, DelayFunction: 'exponential', MaxDelay: HOUR, Unlimited: true };
  if (type === 'batch') return { Attempts: 1, Interval: 24 * HOUR, Delay: 5 * SECOND, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false };
  return null;
}

function apiReschedule(o: Record<string, unknown>, name: string, ctx: Ctx): Partial<ReschedulePolicy> | undefined {
  return flatStruct<ReschedulePolicy>(o, name, ctx, 'ReschedulePolicy', {
    Attempts: 'int',
    Interval: 'time.Duration',
    Delay: 'time.Duration',
    DelayFunction: 'string',
    MaxDelay: 'time.Duration',
    Unlimited: 'bool',
  });
}

const DEFAULT_MIGRATE: MigrateStrategy = { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * SECOND, HealthyDeadline: 5 * MINUTE };

function apiMigrate(o: Record<string, unknown>, ctx: Ctx): Partial<MigrateStrategy> | undefined {
  return flatStruct<MigrateStrategy>(o, 'Migrate', ctx, 'MigrateStrategy', { MaxParallel: 'int', HealthCheck: 'string', MinHealthyTime: 'time.Duration', HealthyDeadline: 'time.Duration' });
}

/* --------------------------------------------------------------------- tasks */

function resources(o: Record<string, unknown>, ctx: Ctx): Resources {
  const r = struct(o, 'Resources', ctx, 'Resources') ?? {};
  const c = sub(ctx, 'Resources', 'Resources');
  let cores = int(r, 'Cores', c);
  let cpu = int(r, 'CPU', c);
  if (cores === undefined) {
    cores = 0;
    if (cpu === undefined) cpu = 100;
  }
  const numa = jsonObj(r, 'NUMA', c, 'api.NUMA');
  return {
    CPU: cpu ?? 0,
    Cores: cores,
    MemoryMB: int(r, 'MemoryMB', c) ?? 300,
    MemoryMaxMB: int(r, 'MemoryMaxMB', c) ?? 0,
    DiskMB: 0,
    IOPS: int(r, 'IOPS', c) ?? 0,
    Networks: emptyToNull(jsonArr(r, 'Networks', c, '[]*api.NetworkResource')),
    Devices: emptyToNull(jsonArr(r, 'Devices', c, '[]*api.RequestedDevice')),
    NUMA: numa ? { Affinity: typeof numa.Affinity === 'string' && numa.Affinity !== '' ? numa.Affinity : 'none', Devices: Array.isArray(numa.Devices) && numa.Devices.length > 0 ? numa.Devices : null } : null,
    SecretsMB: int(r, 'SecretsMB', c) ?? 0,
  };
}

function logConfig(o: Record<string, unknown>, ctx: Ctx): LogConfig {
  const l = struct(o, 'LogConfig', ctx, 'LogConfig');
  const c = sub(ctx, 'LogConfig', 'LogConfig');
  return {
    MaxFiles: l ? (int(l, 'MaxFiles', c) ?? 10) : 10,
    MaxFileSizeMB: l ? (int(l, 'MaxFileSizeMB', c) ?? 10) : 10,
    Disabled: l ? (bool(l, 'Disabled', c) ?? false) : false,
  };
}

function task(o: Record<string, unknown>, ctx: Ctx, groupRestart: RestartPolicy): Task {
  const restart = apiRestart(o, ctx);
  const config = jsonObj(o, 'Config', ctx, 'map[string]interface {}');
  const lifecycle = jsonObj(o, 'Lifecycle', ctx, 'api.TaskLifecycle');
  const identity = jsonObj(o, 'Identity', ctx, 'api.WorkloadIdentity');
  return {
    Name: str(o, 'Name', ctx) ?? '',
    Driver: str(o, 'Driver', ctx) ?? '',
    User: str(o, 'User', ctx) ?? '',
    Config: emptyMapToNull(config),
    Env: emptyMapToNull(strMap(o, 'Env', ctx)),
    Services: emptyToNull(jsonArr(o, 'Services', ctx, '[]*api.Service')),
    Vault: jsonObj(o, 'Vault', ctx, 'api.Vault') ?? null,
    Secrets: emptyToNull(jsonArr(o, 'Secrets', ctx, '[]*api.Secret')),
    Consul: jsonObj(o, 'Consul', ctx, 'api.Consul') ?? null,
    Templates: emptyToNull(jsonArr(o, 'Templates', ctx, '[]*api.Template')),
    Constraints: constraints(o, ctx),
    Affinities: affinities(o, ctx),
    Resources: resources(o, ctx),
    RestartPolicy: mergeDefined(groupRestart, restart),
    DispatchPayload: jsonObj(o, 'DispatchPayload', ctx, 'api.DispatchPayloadConfig') ?? null,
    Lifecycle: lifecycle && typeof lifecycle.Hook === 'string' && lifecycle.Hook !== '' ? lifecycle : null,
    Meta: emptyMapToNull(strMap(o, 'Meta', ctx)),
    KillTimeout: int(o, 'KillTimeout', ctx, 'time.Duration') ?? 5 * SECOND,
    LogConfig: logConfig(o, ctx),
    Artifacts: emptyToNull(jsonArr(o, 'Artifacts', ctx, '[]*api.TaskArtifact')),
    Leader: bool(o, 'Leader', ctx) ?? false,
    ShutdownDelay: int(o, 'ShutdownDelay', ctx, 'time.Duration') ?? 0,
    VolumeMounts: emptyToNull(jsonArr(o, 'VolumeMounts', ctx, '[]*api.VolumeMount')),
    ScalingPolicies: emptyToNull(jsonArr(o, 'ScalingPolicies', ctx, '[]*api.ScalingPolicy')),
    KillSignal: str(o, 'KillSignal', ctx) ?? '',
    Kind: str(o, 'Kind', ctx) ?? '',
    CSIPluginConfig: jsonObj(o, 'CSIPluginConfig', ctx, 'api.TaskCSIPluginConfig') ?? null,
    Identity: {
      Name: 'default',
      Audience: ['nomad.io'],
      ChangeMode: identity && typeof identity.ChangeMode === 'string' ? identity.ChangeMode : '',
      ChangeSignal: identity && typeof identity.ChangeSignal === 'string' ? identity.ChangeSignal.toUpperCase() : '',
      Env: identity?.Env === true,
      File: identity?.File === true,
      Filepath: identity && typeof identity.Filepath === 'string' ? identity.Filepath : '',
      ServiceName: '',
      TTL: identity && typeof identity.TTL === 'number' ? identity.TTL : 0,
    },
    Identities: null,
    Actions: emptyToNull(jsonArr(o, 'Actions', ctx, '[]*api.Action')),
    Schedule: jsonObj(o, 'Schedule', ctx, 'api.TaskSchedule') ?? null,
  };
}

/* --------------------------------------------------------------------- groups */

interface JobLevel {
  type: string;
  update: ApiUpdate | undefined;
  reschedule: Partial<ReschedulePolicy> | undefined;
  migrate: Partial<MigrateStrategy> | undefined;
}

function group(o: Record<string, unknown>, ctx: Ctx, job: JobLevel): TaskGroup {
  const scaling = jsonObj(o, 'Scaling', ctx, 'api.ScalingPolicy');
  let count = int(o, 'Count', ctx);
  if (count === undefined) count = scaling && typeof scaling.Min === 'number' ? scaling.Min : 1;

  // update: the job's merged with the group's, then defaults
  const tgUpdate = apiUpdate(o, ctx);
  let update: ApiUpdate | undefined;
  if (job.update && tgUpdate) update = mergeDefined(job.update, tgUpdate);
  else if (job.update && !updateEmpty(job.update)) update = { ...job.update };
  else update = tgUpdate;

  const tgReschedule = apiReschedule(o, 'ReschedulePolicy', ctx);
  let reschedule: ReschedulePolicy | null;
  const rescheduleInput = job.reschedule || tgReschedule ? mergeDefined(job.reschedule ?? {}, tgReschedule) : undefined;
  if (job.type === 'system' || job.type === 'sysbatch') {
    reschedule = rescheduleInput
      ? mergeDefined({ Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false }, rescheduleInput)
      : null;
  } else {
    const base = defaultReschedule(job.type) ?? { Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false };
    reschedule = mergeDefined(base, rescheduleInput);
  }

  const tgMigrate = apiMigrate(o, ctx);
  const migrateInput = job.migrate || tgMigrate ? mergeDefined(job.migrate ?? {}, tgMigrate) : undefined;
  const migrate = migrateInput || job.type === 'service' ? mergeDefined(DEFAULT_MIGRATE, migrateInput) : null;

  const restart = mergeDefined(defaultRestart(job.type), apiRestart(o, ctx));
  const disk = struct(o, 'EphemeralDisk', ctx, 'EphemeralDisk');
  const dc = sub(ctx, 'EphemeralDisk', 'EphemeralDisk');
  const ephemeral: EphemeralDisk = {
    Sticky: disk ? (bool(disk, 'Sticky', dc) ?? false) : false,
    SizeMB: disk ? (int(disk, 'SizeMB', dc) ?? 300) : 300,
    Migrate: disk ? (bool(disk, 'Migrate', dc) ?? false) : false,
  };

  const taskCtx = sub(ctx, 'Task', 'Tasks');
  const tasks = (structList(o, 'Tasks', ctx, 'Task') ?? []).map((t) => task(t, taskCtx, restart));
  const consul = jsonObj(o, 'Consul', ctx, 'api.Consul');

  return {
    Name: str(o, 'Name', ctx) ?? '',
    Count: count,
    Update: update ? mergeDefined(DEFAULT_UPDATE, update) : null,
    Migrate: migrate,
    Constraints: constraints(o, ctx),
    Scaling: scaling ?? null,
    RestartPolicy: restart,
    Disconnect: jsonObj(o, 'Disconnect', ctx, 'api.DisconnectStrategy') ?? null,
    Tasks: tasks,
    EphemeralDisk: ephemeral,
    Meta: emptyMapToNull(strMap(o, 'Meta', ctx)),
    ReschedulePolicy: reschedule,
    Affinities: affinities(o, ctx),
    Spreads: spreads(o, ctx),
    Networks: emptyToNull(jsonArr(o, 'Networks', ctx, '[]*api.NetworkResource')),
    Consul: consul ? { Namespace: typeof consul.Namespace === 'string' ? consul.Namespace : '', Cluster: typeof consul.Cluster === 'string' ? consul.Cluster : '', Partition: typeof consul.Partition === 'string' ? consul.Partition : '' } : null,
    Services: emptyToNull(jsonArr(o, 'Services', ctx, '[]*api.Service')),
    Volumes: emptyMapToNull(jsonObj(o, 'Volumes', ctx, 'map[string]*api.VolumeRequest')),
    ShutdownDelay: int(o, 'ShutdownDelay', ctx, 'time.Duration') ?? null,
    StopAfterClientDisconnect: int(o, 'StopAfterClientDisconnect', ctx, 'time.Duration') ?? null,
    MaxClientDisconnect: int(o, 'MaxClientDisconnect', ctx, 'time.Duration') ?? null,
    PreventRescheduleOnLost: bool(o, 'PreventRescheduleOnLost', ctx) ?? false,
  };
}

/* --------------------------------------------------------------------- jobs */

export interface JobScope {
  /** the agent's region */
  agentRegion: string;
  /** ?region= */
  queryRegion?: string;
  /** ?namespace= */
  queryNamespace?: string;
  /** Region / Namespace of the request body (api.WriteRequest) */
  bodyRegion?: string;
  bodyNamespace?: string;
}

/**
 * An api.Job (already checked to be an object) as the server stores it before registration:
 * canonicalised, converted and defaulted. Server-managed fields are left zero.
 */
export function canonicalJob(input: Record<string, unknown>, scope: JobScope, rootStruct = 'JobRegisterRequest'): Job {
  const ctx: Ctx = { struct: 'Job', path: rootStruct === 'Job' ? [] : ['Job'] };
  if (rootStruct !== 'Job') ctx.struct = 'Job';
  const id = str(input, 'ID', ctx) ?? '';
  const type = str(input, 'Type', ctx) ?? 'service';
  const jobRegion = str(input, 'Region', ctx);

  // regionForJob / namespaceForJob (command/agent/job_endpoint.go)
  let region = scope.queryRegion || scope.bodyRegion || jobRegion || '';
  if (region === '' || region === 'global') region = scope.agentRegion;
  const jobNs = str(input, 'Namespace', ctx);
  const namespace = scope.queryNamespace || scope.bodyNamespace || jobNs || 'default';

  let update = apiUpdate(input, ctx);
  if (update) update = mergeDefined(DEFAULT_UPDATE, update);
  else if (type === 'service' || type === 'system') update = { ...DEFAULT_UPDATE };

  const level: JobLevel = {
    type,
    update,
    reschedule: apiReschedule(input, 'Reschedule', ctx),
    migrate: apiMigrate(input, ctx),
  };
  const groupCtx = sub(ctx, 'TaskGroup', 'TaskGroups');
  const groups = (structList(input, 'TaskGroups', ctx, 'TaskGroup') ?? []).map((g) => group(g, groupCtx, level));
  const datacenters = strList(input, 'Datacenters', ctx);
  const nodePool = str(input, 'NodePool', ctx) ?? '';
  const payload = str(input, 'Payload', ctx);

  return {
    Stop: bool(input, 'Stop', ctx) ?? false,
    Region: region,
    Namespace: namespace,
    ID: id,
    ParentID: '',
    Name: str(input, 'Name', ctx) ?? id,
    Type: type,
    Priority: int(input, 'Priority', ctx) ?? 50,
    AllAtOnce: bool(input, 'AllAtOnce', ctx) ?? false,
    Datacenters: datacenters && datacenters.length > 0 ? datacenters : ['*'],
    NodePool: nodePool === '' ? 'default' : nodePool,
    Constraints: constraints(input, ctx),
    Affinities: affinities(input, ctx),
    Spreads: spreads(input, ctx),
    TaskGroups: groups,
    Update:
      update && (update.MaxParallel ?? 0) > 0
        ? { Stagger: update.Stagger ?? 0, MaxParallel: update.MaxParallel ?? 0, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 }
        : { Stagger: 0, MaxParallel: 0, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 },
    Multiregion: jsonObj(input, 'Multiregion', ctx, 'api.Multiregion') ?? null,
    Periodic: jsonObj(input, 'Periodic', ctx, 'api.PeriodicConfig') ?? null,
    ParameterizedJob: jsonObj(input, 'ParameterizedJob', ctx, 'api.ParameterizedJobConfig') ?? null,
    Dispatched: false,
    DispatchIdempotencyToken: '',
    Payload: payload !== undefined && payload !== '' ? payload : null,
    Meta: emptyMapToNull(strMap(input, 'Meta', ctx)),
    ConsulNamespace: '',
    VaultNamespace: str(input, 'VaultNamespace', ctx) ?? '',
    NomadTokenID: '',
    Status: '',
    StatusDescription: '',
    Stable: false,
    Version: 0,
    SubmitTime: int64(0),
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    UI: jsonObj(input, 'UI', ctx, 'api.JobUIConfig') ?? null,
    VersionTag: jsonObj(input, 'VersionTag', ctx, 'api.JobVersionTag') ?? null,
  };
}

/** The fields of an api.JobRegisterRequest / api.JobValidateRequest besides the job. */
export interface WriteRequestFields {
  job: Record<string, unknown> | undefined;
  jobIdGiven: boolean;
  enforceIndex: boolean;
  jobModifyIndex: number;
  region: string;
  namespace: string;
}

export function decodeWriteRequest(body: unknown, rootStruct: 'JobRegisterRequest' | 'JobValidateRequest'): WriteRequestFields {
  if (!isObject(body)) {
    throw new DecodeError(goValueTypeErrorText(body, `api.${rootStruct}`));
  }
  const ctx: Ctx = { struct: rootStruct, path: [] };
  const job = struct(body, 'Job', ctx, 'Job');
  const idValue = job ? field(job, 'ID') : undefined;
  return {
    job,
    jobIdGiven: present(idValue),
    enforceIndex: rootStruct === 'JobRegisterRequest' ? (bool(body, 'EnforceIndex', ctx) ?? false) : false,
    jobModifyIndex: rootStruct === 'JobRegisterRequest' ? (int(body, 'JobModifyIndex', ctx, 'uint64') ?? 0) : 0,
    region: str(body, 'Region', ctx) ?? '',
    namespace: str(body, 'Namespace', ctx) ?? '',
  };
}

/* --------------------------------------------------------------------- validation */

/** hashicorp/go-multierror's text (the service's, shared) */
export { multierrorText };

const JOB_TYPES = new Set(['service', 'batch', 'system', 'sysbatch', '_core']);

function validateTask(t: Task): string[] {
  const errs: string[] = [];
  if (t.Name === '') errs.push('Missing task name');
  if (t.Name === 'alloc') errs.push('Task cannot be named "alloc"');
  if (/[/\\]/.test(t.Name)) errs.push('Task name cannot include slashes');
  if (t.Driver === '') errs.push('Missing task driver');
  if (t.KillTimeout < 0) errs.push('KillTimeout must be a positive value');
  if (t.Resources.CPU < 1 && t.Resources.Cores === 0) errs.push(`Task Resource validation failed: 1 error occurred:\n\t* minimum CPU value is 1; got ${t.Resources.CPU}\n\n`);
  else if (t.Resources.MemoryMB < 10) errs.push(`Task Resource validation failed: 1 error occurred:\n\t* minimum MemoryMB value is 10; got ${t.Resources.MemoryMB}\n\n`);
  return errs;
}

function validateGroup(tg: TaskGroup): string[] {
  const errs: string[] = [];
  if (tg.Name === '') errs.push('Missing task group name');
  if (tg.Count < 0) errs.push("Task group count can't be negative");
  if (tg.Tasks.length === 0) errs.push('Missing tasks for task group');
  const seen = new Map<string, number>();
  tg.Tasks.forEach((t, idx) => {
    if (t.Name === '') errs.push(`Task ${idx + 1} missing name`);
    else if (seen.has(t.Name)) errs.push(`Task ${idx + 1} redefines '${t.Name}' from task ${(seen.get(t.Name) ?? 0) + 1}`);
    else seen.set(t.Name, idx);
  });
  for (const t of tg.Tasks) {
    const te = validateTask(t);
    if (te.length > 0) errs.push(`Task ${t.Name} validation failed: ${multierrorText(te)}`);
  }
  return errs;
}

/** The admission validators' errors for a job (flattened as multierror.Append flattens them). */
export function validateJob(j: Job): string[] {
  const errs: string[] = [];
  if (j.Region === '' && j.Multiregion === null) errs.push('Missing job region');
  if (j.ID === '') errs.push('Missing job ID');
  else if (j.ID.includes(' ')) errs.push('Job ID contains a space');
  else if (j.ID.includes('\u0000')) errs.push('Job ID contains a null character');
  if (j.Name === '') errs.push('Missing job name');
  else if (j.Name.includes('\u0000')) errs.push('Job Name contains a null character');
  if (j.Namespace === '') errs.push('Job must be in a namespace');
  if (j.Type === '') errs.push('Missing job type');
  else if (!JOB_TYPES.has(j.Type)) errs.push(`Invalid job type: ${JSON.stringify(j.Type)}`);
  if (j.Datacenters.length === 0) errs.push('Missing job datacenters');
  else if (j.Datacenters.some((d) => d === '')) errs.push('Job datacenter must be non-empty string');
  if (j.TaskGroups.length === 0) errs.push('Missing job task groups');
  const seen = new Map<string, number>();
  j.TaskGroups.forEach((tg, idx) => {
    if (tg.Name === '') errs.push(`Job task group ${idx + 1} missing name`);
    else if (seen.has(tg.Name)) errs.push(`Job task group ${idx + 1} redefines '${tg.Name}' from group ${(seen.get(tg.Name) ?? 0) + 1}`);
    else seen.set(tg.Name, idx);
    if (j.Type === 'system' && tg.Count > 1) {
      errs.push(`Job task group ${tg.Name} has count ${tg.Count}. Count cannot exceed 1 with system scheduler`);
    }
  });
  for (const tg of j.TaskGroups) {
    const ge = validateGroup(tg);
    if (ge.length > 0) errs.push(`Task group ${tg.Name} validation failed: ${multierrorText(ge)}`);
  }
  if (j.Type === '_core') errs.push('job type cannot be core');
  if (j.Payload !== null) errs.push("job can't be submitted with a payload, only dispatched");
  if (j.Priority < 1 || j.Priority > 100) errs.push('job priority must be between [1, 100]');
  return errs;
}
