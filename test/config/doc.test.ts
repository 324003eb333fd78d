import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../../src/config';
import { configTableMarkdown } from '../../src/config/doc';
import { withConfigTable } from '../../scripts/config-docs';

const ROOT = path.resolve(__dirname, '..', '..');

describe('configuration reference', () => {
  const table = configTableMarkdown();

  it.each(['README.md', 'docs/operations.md'])('the table in %s is the one generated from the schema and defaults (npm run docs:config)', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    expect(text).toContain(table);
    // and nothing else is a config table row there
    expect(withConfigTable(text, table)).toBe(text);
  });

  it('the table has one row per key of the schema', () => {
    const rows = table.split('\n').slice(2);
    expect(rows.map((r) => /^\| `([a-z_]+)` \|/.exec(r)?.[1])).toEqual(Object.keys(configSchema.shape));
  });

  it('rewriting replaces exactly the table', () => {
    const text = 'intro\n\n| key | environment | default | meaning |\n|---|---|---|---|\n| `old` | | | |\n\nafter\n';
    expect(withConfigTable(text, 'NEW')).toBe('intro\n\nNEW\n\nafter\n');
  });
});
