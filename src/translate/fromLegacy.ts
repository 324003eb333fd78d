/**
 * A legacy 2.x job body → the dtle job record: 2.x's checks and canonicalisation, the "*"
 * password rule, and the conversion of each task's config to the driver's types in the dialect
 * the job will be written in. Throws TranslateError naming the field. Pure functions.
 *
 * Field map (record ← 2.x body):
 *   id ← ID, else a new random UUID (2.x's api.Job.Canonicalize);  stateKey ← id;  name ← Name (identity.ts);
 *   region ← Region;  datacenters ← Datacenters, else the configured ones;
 *   only2x.type ← Type (synchronous);  only2x.orders ← Orders (null when none);  only2x.failover ← Failover;
 *   only2x.constraints ← Constraints;
 *   per task (Tasks[i], one Src and one Dest): type ← Type;  driver ← Driver (MySQL);
 *     connection ← Config.ConnectionConfig;  kafka ← a Kafka Dest's flat Config (or Config.KafkaConfig);
 *     gtid ← Config.Gtid (a Dest gets Src's);  options ← the rest of Config the driver takes;
 *     node ← NodeID, NodeName;  only2x.leader ← Leader (true for Dest);  only2x.constraints ← Constraints;
 *     only2x.posted ← Config as posted, without secrets.
 */
import { randomUUID } from 'node:crypto';
import { LEGACY_JOB_TYPES, type LegacyConstraint, type LegacyJob, type LegacyTaskType } from '../legacy/types';
import type { LegacyJobInput, LegacyTaskInput } from '../legacy/schema';
import { TranslateError, checkDriverRules, coerceField, coerceObject } from './config';
import { DtleConnection, type DtleJob, type DtleTask, type LegacyDriver } from './dtleJob';
import { MASK, withoutSecrets } from './mask';
import { checkStateKey } from './identity';
import { CONNECTION_REQUIRED, CONNECTION_SPEC, KAFKA_REQUIRED, KAFKA_SPEC, OPTIONS_BY_DIALECT, type Dialect } from './spec';
import { KEEP, fieldName, isObject, valueAt, walkJson, type JsonObject } from './walk';
import { isSecretKey } from '../logging/redact';

export interface LegacyParseOptions {
  /** the dialect the job will be written in: which options and Kafka settings the driver takes */
  dialect: Dialect;
  /** datacenters of a job whose body names none */
  datacenters: readonly string[];
  /** the job as stored now, unmasked, to fill `"*"` passwords from */
  existing?: LegacyJob | null;
  /** the ID of a body without one: a new random UUID (2.x's models.GenerateUUID) by default */
  newId?: () => string;
}

export interface LegacyParseResult {
  job: DtleJob;
  /** legacy keys the driver does not accept, kept only in Meta */
  dropped: string[];
}

function legacyDriverOf(t: LegacyTaskInput, i: number, type: LegacyTaskType): LegacyDriver {
  const d = t.Driver ?? '';
  if (d === '' || d.toLowerCase() === 'mysql') return 'MySQL';
  if (d.toLowerCase() === 'kafka') {
    if (type === 'Src') throw new TranslateError(`Tasks[${i}].Driver`, 'driver Kafka can only be used by a Dest task');
    return 'Kafka';
  }
  throw new TranslateError(`Tasks[${i}].Driver`, `unknown driver "${d}" (dtle supports MySQL and Kafka)`);
}

/**
 * Replaces every secret that is "*" by the stored value at the same path. A "*" with nothing
 * stored is an error (TranslateError naming the field), or with `keepUnknown` stays "*".
 */
export function restoreMasked(config: JsonObject, stored: unknown, base: string, keepUnknown = false): JsonObject {
  const out = walkJson(config, (v, key, path) => {
    if (key === null || !isSecretKey(key) || v !== MASK) return KEEP;
    const s = valueAt(stored, path);
    if (typeof s === 'string' || typeof s === 'number') return s;
    if (keepUnknown) return v;
    throw new TranslateError(fieldName(base, path), '"*" is a masked password and no password is stored for it: send the real one');
  });
  return isObject(out) ? out : {};
}

function constraintOut(c: { LTarget?: string | undefined; RTarget?: string | undefined; Operand?: string | undefined }): LegacyConstraint {
  return { LTarget: c.LTarget ?? '', RTarget: c.RTarget ?? '', Operand: c.Operand ?? '' };
}

interface PostedTask {
  t: LegacyTaskInput;
  i: number;
  type: LegacyTaskType;
  driver: LegacyDriver;
  config: JsonObject;
  path: string;
}

/** The Src and Dest tasks of a body, checked as 2.x did. */
function postedTasks(input: LegacyJobInput): { src: { t: LegacyTaskInput; i: number }; dest: { t: LegacyTaskInput; i: number } } {
  const tasks = input.Tasks ?? [];
  if (tasks.length === 0) throw new TranslateError('Tasks', 'a job needs a Src and a Dest task');
  const byType = new Map<LegacyTaskType, { t: LegacyTaskInput; i: number }>();
  tasks.forEach((t, i) => {
    if (t.Type !== 'Src' && t.Type !== 'Dest') throw new TranslateError(`Tasks[${i}].Type`, 'must be "Src" or "Dest"');
    if (byType.has(t.Type)) throw new TranslateError(`Tasks[${i}].Type`, `duplicate task type "${t.Type}"`);
    byType.set(t.Type, { t, i });
  });
  const src = byType.get('Src');
  const dest = byType.get('Dest');
  if (!src) throw new TranslateError('Tasks', 'a job needs a Src task');
  if (!dest) throw new TranslateError('Tasks', 'a job needs a Dest task');
  return { src, dest };
}

/** The connection block of a MySQL task's config, in the driver's types. */
function connectionOf(config: JsonObject, path: string, dropped: string[]): DtleConnection | null {
  const c = config.ConnectionConfig;
  if (c === undefined || c === null) return null;
  return DtleConnection.parse(coerceField({ kind: 'block', fields: CONNECTION_SPEC, required: CONNECTION_REQUIRED }, c, `${path}.ConnectionConfig`, dropped));
}

/** Legacy Kafka config is flat (2.x's Kafka driver config); the driver wants it as KafkaConfig. */
function kafkaOf(config: JsonObject, dialect: Dialect, path: string, dropped: string[]): JsonObject {
  const flat = isObject(config.KafkaConfig) ? config.KafkaConfig : config;
  const base = isObject(config.KafkaConfig) ? `${path}.KafkaConfig` : path;
  const out = coerceField({ kind: 'block', fields: KAFKA_SPEC[dialect], required: KAFKA_REQUIRED }, flat, base, dropped);
  return isObject(out) ? out : {};
}

/** A task of the record from its posted form: the driver's types, checked as the driver checks them. */
function taskOf(p: PostedTask, dialect: Dialect, dropped: string[]): DtleTask {
  let parts: Pick<DtleTask, 'connection' | 'kafka' | 'options'>;
  if (p.driver === 'Kafka') {
    parts = { connection: null, kafka: kafkaOf(p.config, dialect, p.path, dropped), options: {} };
  } else {
    const { ConnectionConfig: _conn, ...rest } = p.config;
    void _conn;
    const options = coerceObject(OPTIONS_BY_DIALECT[dialect], rest, p.path, dropped);
    checkDriverRules(options, p.path);
    parts = { connection: connectionOf(p.config, p.path, dropped), kafka: null, options };
  }
  const { Gtid: gtid, ...options } = parts.options;
  const posted = withoutSecrets(p.config);
  return {
    type: p.type,
    driver: p.driver,
    connection: parts.connection,
    kafka: parts.kafka,
    gtid: typeof gtid === 'string' ? gtid : p.driver === 'Kafka' && typeof p.config.Gtid === 'string' ? p.config.Gtid : null,
    options,
    node: { id: p.t.NodeID ?? '', name: p.t.NodeName ?? '' },
    only2x: {
      leader: p.type === 'Dest' ? true : (p.t.Leader ?? false),
      constraints: p.t.Constraints ? p.t.Constraints.map(constraintOut) : null,
      posted: isObject(posted) ? posted : {},
    },
    derived: false,
  };
}

/** Validates a legacy job body and makes its record. Throws TranslateError naming the field. */
export function dtleJobOfLegacy(input: LegacyJobInput, opts: LegacyParseOptions): LegacyParseResult {
  if (input.Name === undefined || input.Name === null) throw new TranslateError('Name', "Job Name hasn't been provided", true);
  const name = input.Name;
  // 2.x: a body without ID is a new job with a random UUID, whatever the path said
  const id = input.ID ?? (opts.newId ?? randomUUID)();
  checkStateKey(id);
  const type = input.Type ?? 'synchronous';
  if (!(LEGACY_JOB_TYPES as readonly string[]).includes(type)) {
    throw new TranslateError('Type', `unknown job type "${type}" (one of ${LEGACY_JOB_TYPES.join(', ')})`);
  }
  // Nomad refuses an empty datacenter name (Go decodes a null list element as "")
  (input.Datacenters ?? []).forEach((dc, i) => {
    if (dc === '') throw new TranslateError(`Datacenters[${i}]`, 'must not be empty');
  });
  const { src: srcIn, dest: destIn } = postedTasks(input);

  // 2.x's own canonicalisation (agent/job_endpoint.go ApiJobToStructJob): Driver defaults to MySQL,
  // Src gets TrafficAgainstLimits (0 without orders), Dest gets Leader=true and Src's Gtid.
  const srcConfig: JsonObject = { ...(srcIn.t.Config ?? {}), TrafficAgainstLimits: (srcIn.t.Config ?? {}).TrafficAgainstLimits ?? 0 };
  const srcGtid = srcConfig.Gtid;
  const destConfig: JsonObject = { ...(destIn.t.Config ?? {}), Gtid: srcGtid === undefined || srcGtid === null ? '' : String(srcGtid) };
  const stored = (t: LegacyTaskType) => opts.existing?.Tasks.find((x) => x.Type === t)?.Config;
  const posted = (ref: { t: LegacyTaskInput; i: number }, type: LegacyTaskType, config: JsonObject): PostedTask => {
    const path = `Tasks[${ref.i}].Config`;
    const driver = legacyDriverOf(ref.t, ref.i, type);
    return { t: ref.t, i: ref.i, type, driver, config: restoreMasked(config, stored(type), path), path };
  };
  const src = posted(srcIn, 'Src', srcConfig);
  const dest = posted(destIn, 'Dest', destConfig);
  for (const p of [src, dest]) {
    if (p.driver === 'MySQL' && !isObject(p.config.ConnectionConfig)) throw new TranslateError(`${p.path}.ConnectionConfig`, 'is required for a MySQL task');
  }

  const dropped: string[] = [];
  const tasks = [taskOf(src, opts.dialect, dropped), taskOf(dest, opts.dialect, dropped)];
  return {
    job: {
      id,
      name,
      stateKey: id,
      region: input.Region ? input.Region : null,
      datacenters: input.Datacenters && input.Datacenters.length > 0 ? input.Datacenters : [...opts.datacenters],
      only2x: {
        type,
        orders: input.Orders ?? null,
        failover: input.Failover ?? false,
        constraints: input.Constraints ? input.Constraints.map(constraintOut) : null,
      },
      tasks,
      state: null,
      natsAddr: null,
    },
    dropped,
  };
}
