/**
 * Password masking for everything that leaves the service. Pure functions.
 * Every secret in a task config (`Password` of ConnectionConfig, SrcConnectionConfig,
 * DestConnectionConfig, KafkaConfig, OracleConfig, and any other key named like a secret)
 * becomes "*", as dtle 2.x showed it in job lists.
 */
import { isSecretKey } from '../logging/redact';
import { Int64Value } from '../legacy/int64';

export const MASK = '*';

/** A deep copy of a JSON value with every secret-keyed scalar replaced by "*". */
export function maskSecrets<T>(value: T): T {
  return maskValue(value) as T;
}

function maskValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Int64Value) return value;
  if (Array.isArray(value)) return value.map(maskValue);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(k) && (typeof v === 'string' || typeof v === 'number')) out[k] = MASK;
    else out[k] = maskValue(v);
  }
  return out;
}

/** True when any secret-keyed scalar in the value equals "*" (a masked value sent back by a client). */
export function hasMaskedSecret(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasMaskedSecret);
  return Object.entries(value as Record<string, unknown>).some(([k, v]) =>
    isSecretKey(k) && v === MASK ? true : hasMaskedSecret(v),
  );
}

/** A deep copy of a JSON value without any secret-keyed entry (for what is kept in Nomad's Meta). */
export function withoutSecrets(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutSecrets);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(k) && typeof v !== 'object') continue;
    out[k] = withoutSecrets(v);
  }
  return out;
}

/**
 * Masks secrets in a JSON text without re-encoding it: every string or number value of a
 * secret-named key becomes "*", every other byte stays as Nomad wrote it (so int64 values keep
 * their digits). A text that is not JSON comes back unchanged.
 */
export function maskSecretsInJsonText(text: string): string {
  let out = '';
  let last = 0;
  let i = 0;
  const n = text.length;
  const ws = (k: number) => {
    while (k < n && (text[k] === ' ' || text[k] === '\t' || text[k] === '\n' || text[k] === '\r')) k++;
    return k;
  };
  /** the index after the string token starting at k (text[k] === '"'), or -1 */
  const stringEnd = (k: number) => {
    for (let j = k + 1; j < n; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    return -1;
  };
  while (i < n) {
    const c = text[i];
    if (c !== '"') {
      i++;
      continue;
    }
    const end = stringEnd(i);
    if (end < 0) return text;
    const colon = ws(end);
    if (text[colon] !== ':') {
      i = end; // a string value, not a key
      continue;
    }
    let key: string;
    try {
      key = JSON.parse(text.slice(i, end)) as string;
    } catch {
      return text;
    }
    const v = ws(colon + 1);
    if (isSecretKey(key)) {
      let vEnd = -1;
      if (text[v] === '"') vEnd = stringEnd(v);
      else {
        const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(v, v + 64));
        if (m) vEnd = v + m[0].length;
      }
      if (vEnd > 0) {
        out += text.slice(last, v) + JSON.stringify(MASK);
        last = vEnd;
        i = vEnd;
        continue;
      }
    }
    i = v;
  }
  return out + text.slice(last);
}
