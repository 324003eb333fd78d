import { readFileSync } from 'node:fs';
import { configSchema, type ConfigKey } from './schema';
import { DEFAULT_CONFIG_FILE, ENV_ALIASES, ENV_PREFIX } from './index';

const ENV_NAMES: Partial<Record<ConfigKey, string>> = Object.fromEntries(ENV_ALIASES.map(([env, key]) => [key, env]));

/** The configuration reference as a markdown table, generated from the schema and config/default.json. */
export function configTableMarkdown(): string {
  const defaults = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const lines = ['| key | environment | default | meaning |', '|---|---|---|---|'];
  for (const [key, schema] of Object.entries(configSchema.shape) as Array<[ConfigKey, { description?: string }]>) {
    const env = [ENV_NAMES[key], ENV_PREFIX + key.toUpperCase()].filter(Boolean).map((e) => `\`${String(e)}\``).join(', ');
    const desc = (schema.description ?? '').replace(/\s*Env: [A-Z_]+\.$/, '').replace(/\|/g, '\\|');
    lines.push(`| \`${key}\` | ${env} | \`${JSON.stringify(defaults[key])}\` | ${desc} |`);
  }
  return lines.join('\n');
}
