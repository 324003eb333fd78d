import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema, type Config, type ConfigKey } from './schema';

export { configSchema, type Config, type ConfigKey } from './schema';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** config/default.json, found relative to this file in both src/ and dist/. */
export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '..', '..', 'config', 'default.json');

/** Environment variables of the Nomad and Consul CLIs and of dtle, and the keys they set. */
export const ENV_ALIASES: ReadonlyArray<readonly [string, ConfigKey]> = [
  ['DTLE_API_ADDR', 'api_addr'],
  ['NOMAD_ADDR', 'nomad_addr'],
  ['NOMAD_TOKEN', 'nomad_token'],
  ['NOMAD_REGION', 'nomad_region'],
  ['NOMAD_NAMESPACE', 'nomad_namespace'],
  ['NOMAD_CACERT', 'nomad_cacert'],
  ['NOMAD_CLIENT_CERT', 'nomad_client_cert'],
  ['NOMAD_CLIENT_KEY', 'nomad_client_key'],
  ['NOMAD_SKIP_VERIFY', 'nomad_skip_verify'],
  ['NOMAD_TLS_SERVER_NAME', 'nomad_tls_server_name'],
  ['CONSUL_HTTP_ADDR', 'consul'],
  ['CONSUL_HTTP_TOKEN', 'consul_token'],
  ['CONSUL_HTTP_SSL', 'consul_ssl'],
  ['CONSUL_CACERT', 'consul_cacert'],
  ['CONSUL_CLIENT_CERT', 'consul_client_cert'],
  ['CONSUL_CLIENT_KEY', 'consul_client_key'],
  ['CONSUL_HTTP_SSL_VERIFY', 'consul_ssl_verify'],
  ['CONSUL_TLS_SERVER_NAME', 'consul_tls_server_name'],
];

/** Every key can also be set as DTLE_COMPAT_<KEY> (upper case). */
export const ENV_PREFIX = 'DTLE_COMPAT_';

type Raw = Record<string, unknown>;

function readJsonFile(file: string): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  return parsed as Raw;
}

/** The zod type a key expects, unwrapped from effects/descriptions. */
function baseTypeOf(key: ConfigKey): 'boolean' | 'number' | 'array' | 'string' {
  const shape = configSchema.shape[key];
  if (shape instanceof z.ZodBoolean) return 'boolean';
  if (shape instanceof z.ZodNumber) return 'number';
  if (shape instanceof z.ZodArray) return 'array';
  return 'string';
}

/** Turns an environment string into the JSON type the key wants; bad values are left for the schema to name. */
function coerceEnv(key: ConfigKey, value: string): unknown {
  switch (baseTypeOf(key)) {
    case 'boolean': {
      const v = value.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      return value;
    }
    case 'number': {
      const n = Number(value);
      return value.trim() !== '' && Number.isFinite(n) ? n : value;
    }
    case 'array':
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return value;
  }
}

function envLayer(env: NodeJS.ProcessEnv): Raw {
  const out: Raw = {};
  const keys = Object.keys(configSchema.shape) as ConfigKey[];
  for (const [name, key] of ENV_ALIASES) {
    const v = env[name];
    // as the Nomad and Consul CLIs: an empty boolean variable is not set (CONSUL_HTTP_SSL_VERIFY= keeps verifying)
    if (v !== undefined && !(v.trim() === '' && baseTypeOf(key) === 'boolean')) out[key] = coerceEnv(key, v);
  }
  for (const key of keys) {
    const v = env[ENV_PREFIX + key.toUpperCase()];
    if (v !== undefined) out[key] = coerceEnv(key, v);
  }
  return out;
}

function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((i) => {
    const key = i.path.length > 0 ? i.path.join('.') : '(root)';
    if (i.code === 'unrecognized_keys') return `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `"${key}": ${i.message}`;
  });
  return `invalid configuration (${source}): ${lines.join('; ')}`;
}

export interface LoadOptions {
  /** a JSON file named by --config */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** highest precedence, e.g. command-line flags */
  overrides?: Partial<Config>;
  /** defaults file, for tests */
  defaultsFile?: string;
}

/** Loads defaults, then the --config file, then the environment, then overrides; validates once. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const defaults = readJsonFile(opts.defaultsFile ?? DEFAULT_CONFIG_FILE);
  const fileLayer = opts.file ? readJsonFile(opts.file) : {};
  const sources = opts.file ? `defaults, ${opts.file}, environment` : 'defaults, environment';
  const merged: Raw = { ...defaults, ...fileLayer, ...envLayer(opts.env ?? process.env), ...(opts.overrides ?? {}) };
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssues(result.error, sources));
  return Object.freeze(result.data);
}

/** Splits host:port (IPv6 in brackets). */
export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(addr.slice(i + 1)) };
}
