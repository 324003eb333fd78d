/**
 * One walker over JSON values, with visitors: masking, secret removal and collection, template
 * escapes, restoring masked passwords. Pure functions.
 */

export type JsonObject = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A plain object as JSON parsing makes it; class instances (Int64Value, …) are leaves to the walker. */
function isPlainObject(v: unknown): v is JsonObject {
  if (!isObject(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A visitor's answer: walk on (into arrays and objects; a scalar stays), or leave the entry out. */
export const KEEP: unique symbol = Symbol('keep');
export const DROP: unique symbol = Symbol('drop');

/**
 * What a visitor sees of a value: its key in the enclosing object (null inside arrays and at the
 * top) and its path from the top (object keys and array indexes; valid during the call only).
 */
export type Visitor = (value: unknown, key: string | null, path: ReadonlyArray<string | number>) => unknown;

/**
 * A copy of a JSON value where each value is what the visitor answers: KEEP walks on, DROP leaves
 * the entry out, anything else replaces the value (and is not walked into).
 */
export function walkJson(value: unknown, visit: Visitor): unknown {
  const path: Array<string | number> = [];
  const walk = (v: unknown, key: string | null): unknown => {
    const r = visit(v, key, path);
    if (r !== KEEP) return r;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      v.forEach((x, i) => {
        path.push(i);
        const y = walk(x, null);
        path.pop();
        if (y !== DROP) out.push(y);
      });
      return out;
    }
    if (isPlainObject(v)) {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v)) {
        path.push(k);
        const y = walk(x, k);
        path.pop();
        if (y !== DROP) out[k] = y;
      }
      return out;
    }
    return v;
  };
  const out = walk(value, null);
  return out === DROP ? undefined : out;
}

/** The value at a path, or undefined (objects by key, arrays by index). */
export function valueAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof seg === 'number') v = Array.isArray(v) ? v[seg] : undefined;
    else v = isObject(v) ? v[seg] : undefined;
  }
  return v;
}

/** A path as a field name under `base`: "Tasks[0].Config" + ["ConnectionConfig", "Password"]. */
export function fieldName(base: string, path: ReadonlyArray<string | number>): string {
  let out = base;
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out === '' ? '' : '.'}${seg}`;
  return out;
}

/** A copy with the keys of every object sorted, as Go writes a map (deep). */
export function sortedKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o).sort()) out[k] = walkJson(o[k], (v) => (isPlainObject(v) ? sortedKeys(v) : KEEP));
  return out;
}
