/**
 * Password masking for everything that leaves the service. Pure functions.
 * Every secret in a task config (`Password` of ConnectionConfig, SrcConnectionConfig,
 * DestConnectionConfig, KafkaConfig, OracleConfig, and any other key named like a secret)
 * becomes "*", as dtle 2.x showed it in job lists.
 */
import { isSecretKey } from '../logging/redact';
import { DROP, KEEP, walkJson } from './walk';

export const MASK = '*';

const isScalarSecret = (v: unknown, key: string | null) => key !== null && isSecretKey(key) && (typeof v === 'string' || typeof v === 'number');

/** A deep copy of a JSON value with every secret-keyed scalar replaced by "*". */
export function maskSecrets<T>(value: T): T {
  return walkJson(value, (v, key) => (isScalarSecret(v, key) ? MASK : KEEP)) as T;
}

/** True when any secret-keyed scalar in the value equals "*" (a masked value sent back by a client). */
export function hasMaskedSecret(value: unknown): boolean {
  let found = false;
  walkJson(value, (v, key) => {
    if (key !== null && isSecretKey(key) && v === MASK) found = true;
    return found ? v : KEEP;
  });
  return found;
}

/** A deep copy of a JSON value without any secret-keyed entry (for what is kept in Nomad's Meta). */
export function withoutSecrets(value: unknown): unknown {
  return walkJson(value, (v, key) => (key !== null && isSecretKey(key) && typeof v !== 'object' ? DROP : KEEP));
}

/** Every secret-keyed scalar value inside a JSON value (passwords of task configs), to scrub from free text. */
export function secretValuesOf(value: unknown): string[] {
  const out = new Set<string>();
  walkJson(value, (v, key) => {
    if (!isScalarSecret(v, key)) return KEEP;
    const text = String(v);
    if (text !== '' && text !== MASK) out.add(text);
    return v;
  });
  return [...out];
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
