/**
 * Go's standard library as Nomad's HTTP API applies it to what it reads and writes: time.ParseDuration
 * (`?wait=`), strconv.ParseBool (`?stale=`, `?purge=`, …), time.Duration.String, time.Time as JSON
 * (RFC3339Nano, UTC) and time.Now().UnixNano(); and hashicorp/go-multierror's text (Nomad's and
 * dtle 2.x's validation errors). The one copy of each, used by the service and by
 * the simulator (sim/). Pure functions but the clock.
 */

/** Nomad's MaxBlockingRPCQueryTime: it caps a blocking query's ?wait at 300 s. */
export const NOMAD_MAX_BLOCKING_MS = 300_000;

/** time.ParseDuration's units (unitMap: both micro signs, U+00B5 and U+03BC), in ms. */
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's largest time.Duration (2^63-1 ns), in ms. */
const MAX_DURATION_MS = 9_223_372_036_854.775;

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/**
 * Go's time.ParseDuration: "300ms", "5s", "1m30s", "1.5h", "-2s", "0". Returns milliseconds, or
 * null where Go returns an error (no unit, an unknown unit, beyond int64 nanoseconds).
 */
export function parseGoDuration(text: string): number | null {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s.startsWith('-')) sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return null;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  if (total > MAX_DURATION_MS) return null;
  return sign * total;
}

/** Go's strconv.ParseBool; null where Go returns an error. */
export function parseGoBool(text: string): boolean | null {
  switch (text) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return null;
  }
}

const NS_PER_SECOND = 1_000_000_000n;

/** Go's time.Duration.String(): 0s, 1.5s, 2m30s, 1h0m0s, 150ms, 12µs, 7ns. */
export function goDuration(nanos: number | bigint): string {
  let n = typeof nanos === 'bigint' ? nanos : BigInt(Math.trunc(nanos));
  if (n === 0n) return '0s';
  const neg = n < 0n;
  if (neg) n = -n;
  const frac = (value: bigint, unit: bigint): string => {
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(unit.toString().length - 1, '0').replace(/0+$/, '');
    return rest === '' ? whole.toString() : `${whole}.${rest}`;
  };
  let out: string;
  if (n < 1000n) out = `${n}ns`;
  else if (n < 1_000_000n) out = `${frac(n, 1000n)}µs`;
  else if (n < NS_PER_SECOND) out = `${frac(n, 1_000_000n)}ms`;
  else {
    const h = n / (3600n * NS_PER_SECOND);
    const m = (n / (60n * NS_PER_SECOND)) % 60n;
    const s = frac(n % (60n * NS_PER_SECOND), NS_PER_SECOND);
    out = h > 0n ? `${h}h${m}m${s}s` : m > 0n ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}

/**
 * A time.Time after the epoch as Go's JSON encoder writes it: time.RFC3339Nano in UTC, the
 * fraction's trailing zeros dropped ("2018-10-08T10:11:51.603015093Z", "2018-10-08T10:11:51Z").
 */
export function rfc3339Nano(ns: bigint): string {
  const seconds = ns / NS_PER_SECOND;
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const digits = (ns % NS_PER_SECOND).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${digits === '' ? '' : '.' + digits}Z`;
}

let lastNanos = 0n;

/**
 * time.Now().UnixNano(): the wall clock's milliseconds with sub-millisecond digits from the
 * monotonic clock, strictly increasing from one call to the next (two events never share a time).
 */
export function nowNanos(): bigint {
  const wall = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  lastNanos = wall > lastNanos ? wall : lastNanos + 1n;
  return lastNanos;
}

/** hashicorp/go-multierror's Error(): "1 error occurred:\n\t* …\n\n", "2 errors occurred:\n\t* …\n\t* …\n\n". */
export function multierrorText(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** Nomad's DefaultBlockingRPCQueryTime: a blocking query without ?wait waits 300 s. */
export const NOMAD_DEFAULT_BLOCKING_MS = 300_000;
/** Nomad's JitterFraction: a blocking query's wait gets up to wait/16 more. */
export const NOMAD_JITTER_FRACTION = 16;

/**
 * How long Nomad holds a blocking query (QueryOptions.TimeToBlock, nomad/rpc.go blockingRPC): 0
 * when it does not block (no ?index, or 0), else ?wait capped at 300 s (300 s when absent or not
 * positive), plus a random stagger of up to a sixteenth of that.
 */
export function blockingTimeMs(index: string | undefined, wait: string | undefined, random: () => number = Math.random): number {
  if (index === undefined || index === '' || /^0+$/.test(index)) return 0;
  const asked = wait === undefined || wait === '' ? 0 : (parseGoDuration(wait) ?? 0);
  const base = asked > NOMAD_MAX_BLOCKING_MS ? NOMAD_MAX_BLOCKING_MS : asked <= 0 ? NOMAD_DEFAULT_BLOCKING_MS : asked;
  return base + Math.floor(random() * (base / NOMAD_JITTER_FRACTION));
}
