/**
 * Password masking for everything that leaves the service. Pure functions.
 * Every secret in a task config (`Password` of ConnectionConfig, SrcConnectionConfig,
 * DestConnectionConfig, KafkaConfig, OracleConfig, and any other key named like a secret)
 * becomes "*", as dtle 2.x showed it in job lists.
 */
import { isSecretKey } from '../logging/redact';

export const MASK = '*';

/** A deep copy of a JSON value with every secret-keyed scalar replaced by "*". */
export function maskSecrets<T>(value: T): T {
  return maskValue(value) as T;
}

function maskValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
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
