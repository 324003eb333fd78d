import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '../../src/config/doc';

describe('configuration reference', () => {
  it('the README table is the one generated from the schema and defaults', () => {
    const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(configTableMarkdown());
  });
});
