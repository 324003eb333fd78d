/**
 * A legacy task config's values in the dtle driver's types (its hclspec, spec.ts), converted as
 * the driver's HCL decoding converts them, and the checks the driver makes after decoding. Pure.
 */
import type { AttrType, FieldSpec, ObjectSpec } from './spec';
import { isObject, type JsonObject } from './walk';

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

function coerceAttr(type: AttrType, v: unknown, field: string): unknown {
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
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
          .map((s) => s.trim())
          .filter((s) => s !== '');
      }
      if (Array.isArray(v)) {
        return v.map((item, i) => {
          if (typeof item === 'string') return item;
          if (typeof item === 'number' || typeof item === 'boolean') return String(item);
          throw new TranslateError(`${field}[${i}]`, 'must be a string');
        });
      }
      throw new TranslateError(field, 'must be a list of strings');
  }
}

export function coerceField(spec: FieldSpec, v: unknown, field: string, dropped: string[]): unknown {
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
    const s = Object.hasOwn(spec, k) ? spec[k] : undefined;
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

/**
 * The checks the dtle driver makes after decoding (verifyDriverConfig), made before anything is
 * registered so that a bad job is a 400 and not a task that fails on the node.
 */
export function checkDriverRules(config: JsonObject, path: string): void {
  const has = (o: JsonObject, k: string) => typeof o[k] === 'string' && o[k] !== '';
  /** exactly one of `name` and `regex`, and with `regex` its rename */
  const nameOrRegex = (o: JsonObject, p: string, name: string, regex: string, rename: string) => {
    if (has(o, name) === has(o, regex)) throw new TranslateError(p, `needs exactly one of ${name} and ${regex}`);
    if (has(o, regex) && !has(o, rename)) throw new TranslateError(`${p}.${rename}`, `is required with ${regex}`);
  };
  const dbs = Array.isArray(config.ReplicateDoDb) ? config.ReplicateDoDb : [];
  dbs.forEach((db, i) => {
    if (!isObject(db)) return;
    const p = `${path}.ReplicateDoDb[${i}]`;
    nameOrRegex(db, p, 'TableSchema', 'TableSchemaRegex', 'TableSchemaRename');
    const tables = Array.isArray(db.Tables) ? db.Tables : [];
    tables.forEach((t, j) => {
      if (!isObject(t)) return;
      const tp = `${p}.Tables[${j}]`;
      nameOrRegex(t, tp, 'TableName', 'TableRegex', 'TableRename');
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
