/**
 * A task's MySQL connection, read from its legacy Config as 2.x read it: mapstructure.WeakDecode
 * (v1.1.2) into config.MySQLDriverConfig (dtle v2.19.11.0 internal/client/driver/mysql.go:38,
 * internal/config/mysql/connection.go:14–20). Keys match case-insensitively; Port takes a number
 * (fraction dropped), a numeric string (Go's base prefixes), a boolean (1/0) or null (0); Host, User
 * and Password take strings, numbers and booleans. Failures are 2.x's texts. Pure; no I/O.
 *
 * Only ConnectionConfig and ExpandSyntaxSupport are read here: the job translation validates the
 * task's other keys.
 */
import type { MySQLConnection, PreflightTask } from './checks';

export type DecodeResult = { ok: true; task: PreflightTask } | { ok: false; error: string };

/** Go's reflect.Kind name of a decoded JSON value (encoding/json into interface{}). */
function goKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  return 'map';
}

/** Go's type name of a decoded JSON value. */
function goType(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'object' && v !== null) return 'map[string]interface {}';
  return goKind(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** mapstructure's key lookup: the exact name, else the first key equal to it case-insensitively. */
function field(map: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(map, name)) return map[name];
  const lower = name.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

/** Go's strconv.ParseInt(s, 0, 64), as far as configuration values need it; an error text on failure. */
export function goParseInt(s: string): { ok: true; value: number } | { ok: false; error: string } {
  const syntax = { ok: false as const, error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax` };
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return syntax;
  const sign = m[1] === '-' ? -1n : 1n;
  const digits = m[2] as string;
  let n: bigint;
  if (/^0[xX]/.test(digits)) n = BigInt(digits);
  else if (/^0[bB]/.test(digits)) n = BigInt(digits);
  else if (/^0[oO]/.test(digits)) n = BigInt(`0o${digits.slice(2)}`);
  else if (digits.length > 1 && digits.startsWith('0')) n = BigInt(`0o${digits.slice(1)}`);
  else n = BigInt(digits);
  n *= sign;
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    return { ok: false, error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range` };
  }
  return { ok: true, value: Number(n) };
}

/** mapstructure's weak decode into an int field. */
function weakInt(name: string, v: unknown, errors: string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const r = goParseInt(v);
    if (r.ok) return r.value;
    errors.push(`cannot parse '${name}' as int: ${r.error}`);
    return 0;
  }
  errors.push(`'${name}' expected type 'int', got unconvertible type '${goType(v)}'`);
  return 0;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function goFormatFloat(f: number): string {
  const [mantissa, exp] = String(f).split('e') as [string, string | undefined];
  if (exp === undefined) return mantissa;
  const negative = mantissa.startsWith('-');
  const [int, frac = ''] = (negative ? mantissa.slice(1) : mantissa).split('.') as [string, string | undefined];
  const digits = int + frac;
  const point = int.length + Number(exp);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

/** mapstructure's weak decode into a string field. */
function weakString(name: string, v: unknown, errors: string[]): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return goFormatFloat(v);
  errors.push(`'${name}' expected type 'string', got unconvertible type '${goType(v)}'`);
  return '';
}

/** mapstructure.Error's text: the points sorted. */
function mapstructureError(errors: string[]): string {
  const points = errors.map((e) => `* ${e}`).sort();
  return `${errors.length} error(s) decoding:\n\n${points.join('\n')}`;
}

/**
 * The pre-flight input of one legacy task, or 2.x's error for its Config (the text 2.x answered
 * with status 500: `task "Src" -> config: …`). A Config without ConnectionConfig made 2.x's
 * handler panic (no answer at all); here it is an error naming the field.
 */
export function decodePreflightTask(type: string, config: unknown): DecodeResult {
  const prefix = `task ${JSON.stringify(type)} -> config: `;
  if (!isRecord(config)) return { ok: false, error: `${prefix}Config is not an object` };
  const raw = field(config, 'ConnectionConfig');
  if (raw === undefined || raw === null) {
    return { ok: false, error: `${prefix}ConnectionConfig is missing` };
  }
  if (!isRecord(raw)) {
    return { ok: false, error: `${prefix}${mapstructureError([`'ConnectionConfig' expected a map, got '${goKind(raw)}'`])}` };
  }
  const errors: string[] = [];
  const connection: MySQLConnection = {
    Host: weakString('ConnectionConfig.Host', field(raw, 'Host'), errors),
    Port: weakInt('ConnectionConfig.Port', field(raw, 'Port'), errors),
    User: weakString('ConnectionConfig.User', field(raw, 'User'), errors),
    Password: weakString('ConnectionConfig.Password', field(raw, 'Password'), errors),
  };
  if (errors.length > 0) return { ok: false, error: `${prefix}${mapstructureError(errors)}` };
  // 2.x: task.Config["ExpandSyntaxSupport"] == true, the exact key and the JSON boolean only
  return { ok: true, task: { Type: type, Connection: connection, ExpandSyntaxSupport: config.ExpandSyntaxSupport === true } };
}
