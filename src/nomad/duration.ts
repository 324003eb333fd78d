/**
 * Go's time.ParseDuration, as Nomad and dtle 2.x read `?wait=`: "300ms", "5s", "1m30s", "1.5h".
 * Returns ms, or null when invalid, including beyond Go's int64 nanoseconds (about 2562047h).
 */
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's largest time.Duration (2^63-1 ns), in ms. */
const MAX_DURATION_MS = 9_223_372_036_854.775;

/** Nomad's MaxBlockingRPCQueryTime: it caps a blocking query's ?wait at 300 s. */
export const NOMAD_MAX_BLOCKING_MS = 300_000;

export function parseGoDuration(text: string): number | null {
  if (text === '0') return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m) return null;
  let total = 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
  let p: RegExpExecArray | null;
  while ((p = part.exec(text)) !== null) total += Number(p[1]) * (UNIT_MS[p[2] as string] as number);
  if (total > MAX_DURATION_MS) return null;
  return m[1] === '-' ? -total : total;
}
