/**
 * Task config conversion between dtle 2.x's legacy `Config` and the dtle driver's config
 * in either dialect. Pure functions.
 */
import {
  CONNECTION_REQUIRED,
  CONNECTION_SPEC,
  KAFKA_REQUIRED,
  KAFKA_SPEC,
  OPTIONS_BY_DIALECT,
  SRC_ONLY_MARKERS,
  TASK_SPEC,
  type AttrType,
  type Dialect,
  type FieldSpec,
  type ObjectSpec,
} from './spec';

export type JsonObject = Record<string, unknown>;

/** A legacy value that cannot become what the driver wants; names the field. */
export class TranslateError extends Error {
  /** `verbatim`: a message 2.x itself gave, sent as 2.x wrote it (no field prefix) */
  constructor(
    readonly field: string,
    message: string,
    verbatim = false,
  ) {
    super(verbatim ? message : `${field}: ${message}`);
    this.name = 'TranslateError';
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Nomad reads every string of a task config as an HCL template: `${x}` would be interpolated and
 * `%{` is an error. Literal text is written escaped (`$${`, `%%{`) and read back unescaped.
 */
export function escapeTemplate(s: string): string {
  return s.replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
}
export function unescapeTemplate(s: string): string {
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** Unescapes every string value of a config read from Nomad. */
export function unescapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return unescapeTemplate(v);
  if (Array.isArray(v)) return v.map(unescapeDeep);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = unescapeDeep(x);
    return out;
  }
  return v;
}

function coerceAttr(type: AttrType, v: unknown, field: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v === 'string') return escapeTemplate(v);
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new TranslateError(field, 'must be a string');
    case 'number':
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
      throw new TranslateError(field, 'must be a number');
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
      if (v === 0 || v === 1 || v === '0' || v === '1') return v === 1 || v === '1';
      throw new TranslateError(field, 'must be a boolean');
    case 'list(string)':
      if (typeof v === 'string') {
        return v
          .split(',')
          .map((s) => escapeTemplate(s.trim()))
          .filter((s) => s !== '');
      }
      if (Array.isArray(v)) {
        return v.map((item, i) => {
          if (typeof item === 'string') return escapeTemplate(item);
          if (typeof item === 'number' || typeof item === 'boolean') return String(item);
          throw new TranslateError(`${field}[${i}]`, 'must be a string');
        });
      }
      throw new TranslateError(field, 'must be a list of strings');
  }
}

function coerceField(spec: FieldSpec, v: unknown, field: string, dropped: string[]): unknown {
  if (typeof spec === 'string') return coerceAttr(spec, v, field);
  if (spec.kind === 'block') {
    let obj = v;
    if (Array.isArray(obj) && obj.length === 1) obj = obj[0];
    if (!isObject(obj)) throw new TranslateError(field, 'must be an object');
    const out = coerceObject(spec.fields, obj, field, dropped);
    for (const r of spec.required ?? []) {
      if (!(r in out)) throw new TranslateError(`${field}.${r}`, 'is required by the dtle driver');
    }
    return out;
  }
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => {
    if (!isObject(item)) throw new TranslateError(`${field}[${i}]`, 'must be an object');
    return coerceObject(spec.fields, item, `${field}[${i}]`, dropped);
  });
}

/**
 * Keeps the keys the spec knows, converted to the spec's types (`"3306"` → 3306), and lists in
 * `dropped` the paths of keys it does not know. null and "" for a non-string attribute are left out.
 */
export function coerceObject(spec: ObjectSpec, obj: JsonObject, path: string, dropped: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    const field = path ? `${path}.${k}` : k;
    const s = spec[k];
    if (s === undefined) {
      dropped.push(field);
      continue;
    }
    if (v === null || v === undefined) continue;
    if (v === '' && s !== 'string') continue;
    out[k] = coerceField(s, v, field, dropped);
  }
  return out;
}

/** The legacy drivers of dtle 2.x. */
export type LegacyDriver = 'MySQL' | 'Kafka';

export interface LegacyTaskConfigInput {
  driver: LegacyDriver;
  config: JsonObject;
  /** field path prefix for errors, e.g. Tasks[1].Config */
  path: string;
}

export interface NomadTaskConfigs {
  src: JsonObject;
  dest: JsonObject;
  /** legacy keys the driver would reject, left out of the Nomad job */
  dropped: string[];
}

/** Legacy Kafka config is flat (2.x's Kafka driver config); the driver wants it under KafkaConfig. */
function kafkaBlock(config: JsonObject, dialect: Dialect, path: string, dropped: string[]): JsonObject {
  const flat = isObject(config.KafkaConfig) ? config.KafkaConfig : config;
  const base = isObject(config.KafkaConfig) ? `${path}.KafkaConfig` : path;
  return coerceField({ kind: 'block', fields: KAFKA_SPEC[dialect], required: KAFKA_REQUIRED }, flat, base, dropped) as JsonObject;
}

function optionsOf(config: JsonObject, path: string, dropped: string[], dialect: Dialect): JsonObject {
  const { ConnectionConfig: _conn, ...rest } = config;
  void _conn;
  return coerceObject(OPTIONS_BY_DIALECT[dialect], rest, path, dropped);
}

function connectionOf(config: JsonObject, path: string, dropped: string[]): JsonObject | undefined {
  const c = config.ConnectionConfig;
  if (c === undefined || c === null) return undefined;
  return coerceField({ kind: 'block', fields: CONNECTION_SPEC, required: CONNECTION_REQUIRED }, c, `${path}.ConnectionConfig`, dropped) as JsonObject;
}

/**
 * The checks the dtle driver makes after decoding (verifyDriverConfig), made before anything is
 * registered so that a bad job is a 400 and not a task that fails on the node.
 */
export function checkDriverRules(config: JsonObject, path: string): void {
  const has = (o: JsonObject, k: string) => typeof o[k] === 'string' && o[k] !== '';
  const dbs = Array.isArray(config.ReplicateDoDb) ? config.ReplicateDoDb : [];
  dbs.forEach((db, i) => {
    if (!isObject(db)) return;
    const p = `${path}.ReplicateDoDb[${i}]`;
    if (has(db, 'TableSchema') === has(db, 'TableSchemaRegex')) throw new TranslateError(p, 'needs exactly one of TableSchema and TableSchemaRegex');
    if (has(db, 'TableSchemaRegex') && !has(db, 'TableSchemaRename')) throw new TranslateError(`${p}.TableSchemaRename`, 'is required with TableSchemaRegex');
    const tables = Array.isArray(db.Tables) ? db.Tables : [];
    tables.forEach((t, j) => {
      if (!isObject(t)) return;
      const tp = `${p}.Tables[${j}]`;
      if (has(t, 'TableName') === has(t, 'TableRegex')) throw new TranslateError(tp, 'needs exactly one of TableName and TableRegex');
      if (has(t, 'TableRegex') && !has(t, 'TableRename')) throw new TranslateError(`${tp}.TableRename`, 'is required with TableRegex');
      const from = Array.isArray(t.ColumnMapFrom) ? t.ColumnMapFrom.length : 0;
      const to = Array.isArray(t.ColumnMapTo) ? t.ColumnMapTo.length : 0;
      if (to !== 0 && to !== from) throw new TranslateError(`${tp}.ColumnMapTo`, 'must be empty or as long as ColumnMapFrom');
    });
  });
  const ignore = Array.isArray(config.ReplicateIgnoreDb) ? config.ReplicateIgnoreDb : [];
  ignore.forEach((db, i) => {
    if (!isObject(db)) return;
    if (!has(db, 'TableSchema')) throw new TranslateError(`${path}.ReplicateIgnoreDb[${i}].TableSchema`, 'is required');
    (Array.isArray(db.Tables) ? db.Tables : []).forEach((t, j) => {
      if (isObject(t) && !has(t, 'TableName')) throw new TranslateError(`${path}.ReplicateIgnoreDb[${i}].Tables[${j}].TableName`, 'is required');
    });
  });
  const b1 = typeof config.BulkInsert1 === 'number' ? config.BulkInsert1 : 4;
  const b2 = typeof config.BulkInsert2 === 'number' ? config.BulkInsert2 : 8;
  if (b1 < 1 || b1 > b2) throw new TranslateError(`${path}.BulkInsert1`, 'must be at least 1 and at most BulkInsert2');
}

/** Converts the legacy Src and Dest task configs into the driver's config of the chosen dialect. */
export function legacyToNomadConfigs(src: LegacyTaskConfigInput, dest: LegacyTaskConfigInput, dialect: Dialect): NomadTaskConfigs {
  const dropped: string[] = [];
  if (src.driver !== 'MySQL') throw new TranslateError(src.path.replace(/\.Config$/, '.Driver'), 'a Src task must use driver MySQL');
  const srcOptions = optionsOf(src.config, src.path, dropped, dialect);
  checkDriverRules(srcOptions, src.path);
  const srcConn = connectionOf(src.config, src.path, dropped);
  if (dialect === 'per-task') {
    const srcOut: JsonObject = { ...srcOptions, ...(srcConn ? { ConnectionConfig: srcConn } : {}) };
    if (dest.driver === 'Kafka') return { src: srcOut, dest: { KafkaConfig: kafkaBlock(dest.config, dialect, dest.path, dropped) }, dropped };
    const destOptions = optionsOf(dest.config, dest.path, dropped, dialect);
    checkDriverRules(destOptions, dest.path);
    const destConn = connectionOf(dest.config, dest.path, dropped);
    return { src: srcOut, dest: { ...destOptions, ...(destConn ? { ConnectionConfig: destConn } : {}) }, dropped };
  }
  // src-only: everything on src; dest keeps only DestType. Dest-side options join src's where src lacks them.
  const srcOut: JsonObject = { ...srcOptions };
  if (srcConn) srcOut.SrcConnectionConfig = srcConn;
  if (dest.driver === 'Kafka') {
    srcOut.KafkaConfig = kafkaBlock(dest.config, dialect, dest.path, dropped);
    return { src: srcOut, dest: { DestType: 'kafka' }, dropped };
  }
  const destOptions = optionsOf(dest.config, dest.path, dropped, dialect);
  checkDriverRules(destOptions, dest.path);
  for (const [k, v] of Object.entries(destOptions)) if (!(k in srcOut)) srcOut[k] = v;
  const destConn = connectionOf(dest.config, dest.path, dropped);
  if (destConn) srcOut.DestConnectionConfig = destConn;
  return { src: srcOut, dest: { DestType: 'mysql' }, dropped };
}

/** Which dialect a stored job's task configs are written in. */
export function dialectOfConfigs(src: JsonObject | undefined, dest: JsonObject | undefined): Dialect {
  const marked = (c: JsonObject | undefined) => c !== undefined && SRC_ONLY_MARKERS.some((k) => k in c);
  return marked(src) || marked(dest) ? 'src-only' : 'per-task';
}

/** A block written as a one-element list (as HCL parsing stores it) read as an object. */
function unwrapBlock(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 && isObject(v[0]) ? v[0] : v;
}

function unwrapBlocks(config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] = /Config$/.test(k) ? unwrapBlock(v) : v;
  }
  return out;
}

export interface LegacyTaskConfigs {
  src: JsonObject;
  dest: JsonObject;
  destDriver: LegacyDriver;
  /** the dest config was rebuilt from the src task (src-only dialect): only its connection and Gtid are Nomad's */
  destDerived: boolean;
}

const SRC_ONLY_KEYS_NOT_ON_DEST = new Set(['SrcConnectionConfig', 'DestConnectionConfig', 'KafkaConfig', 'DestType', 'SrcOracleConfig']);

/**
 * Reads the driver's task configs (either dialect) back into 2.x's per-task legacy configs:
 * Src gets its options and ConnectionConfig, Dest its ConnectionConfig (or the flat Kafka config)
 * plus the replication position (`Gtid`), as 2.x showed it.
 */
export function nomadToLegacyConfigs(srcRaw: JsonObject | undefined, destRaw: JsonObject | undefined): LegacyTaskConfigs {
  const src = unwrapBlocks(unescapeDeep(srcRaw ?? {}) as JsonObject);
  const dest = unwrapBlocks(unescapeDeep(destRaw ?? {}) as JsonObject);
  if (dialectOfConfigs(src, dest) === 'per-task') {
    const { KafkaConfig, ...destRest } = dest;
    if (isObject(KafkaConfig)) return { src, dest: { ...destRest, ...KafkaConfig }, destDriver: 'Kafka', destDerived: false };
    return { src, dest, destDriver: 'MySQL', destDerived: false };
  }
  const legacySrc: JsonObject = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'SrcConnectionConfig') legacySrc.ConnectionConfig = v;
    else if (!SRC_ONLY_KEYS_NOT_ON_DEST.has(k)) legacySrc[k] = v;
  }
  const destType = typeof dest.DestType === 'string' ? dest.DestType.toLowerCase() : '';
  const legacyDest: JsonObject = {};
  if (typeof src.Gtid === 'string') legacyDest.Gtid = src.Gtid;
  if (destType === 'kafka' || (destType === '' && isObject(src.KafkaConfig) && !isObject(src.DestConnectionConfig))) {
    return { src: legacySrc, dest: { ...legacyDest, ...(isObject(src.KafkaConfig) ? src.KafkaConfig : {}) }, destDriver: 'Kafka', destDerived: true };
  }
  if (isObject(src.DestConnectionConfig)) legacyDest.ConnectionConfig = src.DestConnectionConfig;
  return { src: legacySrc, dest: legacyDest, destDriver: 'MySQL', destDerived: true };
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (scalar(a) && scalar(b)) {
    const norm = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : String(v));
    return norm(a) === norm(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looselyEqual(x, b[i]));
  if (Array.isArray(a) && typeof b === 'string') return looselyEqual(a.join(','), b);
  if (typeof a === 'string' && Array.isArray(b)) return looselyEqual(a, b.join(','));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => looselyEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Lays what Nomad holds now (`current`, converted to legacy keys) over what the caller posted
 * (`orig`, kept without secrets): values Nomad still holds keep the caller's JSON type ("3306"
 * stays a string), values changed in Nomad win, keys the driver does not know come from `orig`.
 */
export function overlayOriginal(orig: unknown, current: unknown, known: (path: string[]) => boolean, path: string[] = []): unknown {
  if (current === undefined) return orig;
  if (isObject(orig) && isObject(current)) {
    const out: JsonObject = {};
    for (const [k, ov] of Object.entries(orig)) {
      const p = [...path, k];
      if (k in current) out[k] = overlayOriginal(ov, current[k], known, p);
      else if (!known(p)) out[k] = ov;
    }
    for (const [k, cv] of Object.entries(current)) if (!(k in out) && !(k in orig)) out[k] = cv;
    return out;
  }
  if (Array.isArray(orig) && Array.isArray(current) && orig.length === current.length && orig.every(isObject)) {
    return orig.map((o, i) => overlayOriginal(o, current[i], known, [...path, String(i)]));
  }
  return looselyEqual(orig, current) ? orig : current;
}

/** True when the legacy key path names something the driver's spec holds (so Nomad is the truth for it). */
export function isKnownLegacyPath(path: string[], driver: LegacyDriver, derivedDest = false): boolean {
  if (path.length === 0) return true;
  const [head, ...rest] = path;
  if (head === undefined) return true;
  // a dest rebuilt from src holds only its connection (or Kafka settings) and the Gtid
  if (derivedDest && driver === 'MySQL') return head === 'Gtid' || (head === 'ConnectionConfig' && (rest.length === 0 || (rest[0] !== undefined && rest[0] in CONNECTION_SPEC)));
  if (driver === 'Kafka') return head in KAFKA_SPEC['src-only'] || head in KAFKA_SPEC['per-task'];
  if (head === 'ConnectionConfig') return rest.length === 0 || (rest[0] !== undefined && rest[0] in CONNECTION_SPEC);
  const spec = TASK_SPEC['src-only'][head] ?? TASK_SPEC['per-task'][head];
  if (spec === undefined) return false;
  if (typeof spec === 'string' || rest.length === 0) return true;
  // inside blocks: indexes of block lists, then field names
  let fields: ObjectSpec = spec.fields;
  for (const seg of rest) {
    if (/^\d+$/.test(seg)) continue;
    const f = fields[seg];
    if (f === undefined) return false;
    if (typeof f === 'string') return true;
    fields = f.fields;
  }
  return true;
}
