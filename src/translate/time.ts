/**
 * Time values as dtle 2.x wrote them. Pure functions.
 *
 * 2.x encoded Go `time.Time` with RFC 3339 and nanoseconds, trailing zeros of the fraction dropped
 * (`time.RFC3339Nano`), and a zero time as `null`. Nomad 1.x gives task event times as int64
 * nanoseconds (a zero `time.Time` becomes -6795364578871345152 there) and task state times as
 * RFC 3339 strings (or null).
 */

import { rfc3339Nano } from '../nomad/go';

const NS_PER_SECOND = 1_000_000_000n;

/** int64 nanoseconds since the epoch (as digits) → Go's RFC3339Nano in UTC; null for zero/unset/negative. */
export function nanosToRfc3339(ns: string | bigint | null | undefined): string | null {
  if (ns === null || ns === undefined) return null;
  let n: bigint;
  try {
    n = typeof ns === 'bigint' ? ns : BigInt(ns);
  } catch {
    return null;
  }
  if (n <= 0n) return null;
  if (n / NS_PER_SECOND > 253402300799n) return null; // past year 9999: not representable in RFC 3339
  return rfc3339Nano(n);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 time → nanoseconds since the epoch; null when it is not RFC 3339 or at/before the epoch (Go's zero time). */
export function rfc3339ToNanos(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number(y) < 1970 || !Number.isFinite(ms)) return null;
  let seconds = BigInt(ms / 1000);
  if (sign) {
    const offset = BigInt(Number(oh) * 3600 + Number(om) * 60);
    seconds = sign === '+' ? seconds - offset : seconds + offset;
  }
  const n = seconds * NS_PER_SECOND + BigInt((frac ?? '').padEnd(9, '0') || '0');
  return n > 0n ? n : null;
}

/** A time from Nomad (RFC 3339 string or null) as 2.x wrote it: UTC RFC3339Nano, or null for a zero time. */
export function legacyTime(text: string | null | undefined): string | null {
  if (text === null || text === undefined || text === '') return null;
  const n = rfc3339ToNanos(text);
  return n === null ? null : nanosToRfc3339(n);
}
