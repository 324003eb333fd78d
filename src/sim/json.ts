/**
 * JSON writing for the simulator: int64 nanosecond values are `bigint` in memory and plain JSON
 * integers on the wire (all digits kept), as Nomad writes them. `JSON.stringify` cannot write a
 * bigint, so a replacer turns each into a marked string and one pass of a regex unquotes them.
 */

const MARK = '\u0000i64:';
const MARKED = /"\\u0000i64:(-?\d+)"/g;

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? MARK + value.toString() : value;
}

/** Nomad's JSON: compact, or indented by 4 spaces for `?pretty` (JsonHandlePretty). */
export function toJson(value: unknown, pretty = false): string {
  const text = JSON.stringify(value, replacer, pretty ? 4 : undefined);
  if (text === undefined) return 'null';
  return text.includes('\\u0000i64:') ? text.replace(MARKED, '$1') : text;
}
