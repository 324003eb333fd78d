/**
 * Redaction of secrets in anything that may be logged: passwords in job specs,
 * tokens in header sets, and the same inside free text (error messages that echo
 * a job body). Pure functions, shared by the logger and by error messages.
 */

export const REDACTED = '*';

/** Object keys whose values are secrets wherever they appear. */
const SECRET_KEY = /(pass(word|wd)?|pwd|secret|token|authorization|cookie|private_?key)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** `"Password":"x"`, `Password: "x"`, `password=x`, `X-Nomad-Token: x`, in JSON, Go %v output, headers or query strings. */
const SECRET_IN_TEXT =
  /((?:"|\b)[\w.-]*(?:pass(?:word|wd)?|pwd|secret|token|authorization)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,;&}\]"]+)/gi;

/** Replaces secret values inside free text. Quoted values stay quoted. */
export function redactText(text: string, extraSecrets: readonly string[] = []): string {
  let out = text.replace(SECRET_IN_TEXT, (_m, head: string, value: string) =>
    value.startsWith('"') ? `${head}"${REDACTED}"` : `${head}${REDACTED}`,
  );
  for (const s of extraSecrets) {
    if (s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** A deep copy with every secret-keyed value replaced and every string scrubbed. Handles cycles. */
export function redactDeep(value: unknown, extraSecrets: readonly string[] = [], seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value, extraSecrets);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, extraSecrets, seen));
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, extraSecrets) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== null && v !== '' && typeof v !== 'object' ? REDACTED : redactDeep(v, extraSecrets, seen);
  }
  return out;
}
