/** Links between the README and docs/*.md point at files and headings that exist. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const FILES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));
}

describe('documentation links', () => {
  it('slugs as GitHub makes them', () => {
    expect(slug('Job field mapping (legacy ⇄ Nomad)')).toBe('job-field-mapping-legacy--nomad');
    expect(slug('The operator page (/ui/)')).toBe('the-operator-page-ui');
    expect(slug('GET /v1/job/{ID}/allocations')).toBe('get-v1jobidallocations');
  });

  it.each(FILES)('every relative link of %s resolves', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/.test(target)) continue; // http:, https:, mailto:
      const [p, anchor] = target.split('#') as [string, string | undefined];
      const linked = p === '' ? file : path.normalize(path.join(path.dirname(file), p));
      if (!existsSync(path.join(ROOT, linked))) {
        broken.push(`${target}: no file ${linked}`);
        continue;
      }
      if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(linked).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${linked}`);
    }
    expect(broken).toEqual([]);
  });
});
