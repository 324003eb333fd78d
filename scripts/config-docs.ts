/**
 * `npm run docs:config`: rewrites the configuration table of README.md and docs/operations.md from
 * the config schema and config/default.json (test/config/doc.test.ts fails while they differ).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '../src/config/doc';

const HEADER = '| key | environment | default | meaning |';

/** The text with its config table (the header line and the table rows after it) replaced. */
export function withConfigTable(text: string, table: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(HEADER);
  if (start < 0) throw new Error(`no line "${HEADER}"`);
  let end = start;
  while (end < lines.length && (lines[end] as string).startsWith('|')) end++;
  return [...lines.slice(0, start), table, ...lines.slice(end)].join('\n');
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const table = configTableMarkdown();
  for (const file of ['README.md', 'docs/operations.md']) {
    const p = path.join(root, file);
    const before = readFileSync(p, 'utf8');
    const after = withConfigTable(before, table);
    if (after !== before) writeFileSync(p, after);
    process.stdout.write(`${file}: ${after === before ? 'up to date' : 'rewritten'}\n`);
  }
}
