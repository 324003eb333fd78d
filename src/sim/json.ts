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

/** Nanoseconds since the epoch, from the wall clock (a sub-millisecond counter keeps them distinct). */
let lastNs = 0n;
export function nowNanos(): bigint {
  const wall = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1_000_000));
  lastNs = wall > lastNs ? wall : lastNs + 1n;
  return lastNs;
}

/** Go's time.Time as the JSON encoder writes it: RFC 3339 with nanoseconds, UTC. */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  if (frac !== '') frac = '.' + frac;
  return `${base}${frac}Z`;
}
