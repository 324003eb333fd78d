/**
 * docs/api.md cannot drift from the app: every route registered in the express app (and every
 * /v1/job/{ID}/<suffix> handler) must be documented there, and every route a heading documents must
 * be served (not Go's `404 page not found`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import request from 'supertest';
import { createLogger } from '../../src/logging';
import { registerJobRoutes, type JobSubHandler } from '../../src/routes/jobs';
import { registerRuntimeRoutes } from '../../src/routes/runtime';
import { record, startHarness, type Harness } from '../support/harness';

const DOC = readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');

interface RouteLayer {
  route?: { path: unknown };
  match(p: string): boolean;
}

/** A concrete path for a documented one: placeholders filled, query dropped. */
function sample(documented: string): string {
  return documented
    .replace(/\?.*$/, '')
    .replace(/\{ID\}/g, 'doc-sample-id')
    .replace(/…|\.\.\./g, 'x');
}

/** Every path the document names: in `###` headings, in backticks (`/v1/…`, `GET /v1/…`) and in curl examples. */
export function documentedSamples(doc: string): string[] {
  const out = new Set<string>();
  for (const r of headingRoutes(doc)) out.add(r.path);
  for (const m of doc.matchAll(/`(?:(?:GET|PUT|POST|DELETE|HEAD) )?(\/[^`\s]*)`/g)) out.add(sample(m[1] as string));
  for (const m of doc.matchAll(/^curl .*"127\.0\.0\.1:8190(\/[^"]*)"/gm)) out.add(sample(m[1] as string));
  return [...out];
}

/** The app's route layers that no documented path reaches, by their path (string or pattern). */
export function undocumentedRoutes(doc: string, app: Express): string[] {
  const samples = documentedSamples(doc);
  const layers = (app as unknown as { router: { stack: RouteLayer[] } }).router.stack.filter((l) => l.route);
  return layers.filter((l) => !samples.some((s) => l.match(s))).map((l) => String(l.route?.path));
}

/** METHOD + path of each route a `###` heading names (no method: GET). */
function headingRoutes(doc: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  for (const line of doc.split('\n')) {
    if (!line.startsWith('### ')) continue;
    for (const m of line.matchAll(/(?:(GET|PUT|POST|DELETE) )?(\/[^\s,()`]+)/g)) out.push({ method: m[1] ?? 'GET', path: sample(m[2] as string) });
  }
  return out;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('docs/api.md covers every route', () => {
  it('every route registered in the express app is documented', () => {
    expect(undocumentedRoutes(DOC, h.built.app)).toEqual([]);
  });

  it('the check finds a route whose section is missing', () => {
    const withoutUi = DOC.replace(/\/ui\//g, '/removed/');
    expect(undocumentedRoutes(withoutUi, h.built.app)).toEqual(['/ui,/ui/', String(/^\/ui\/job\/(.+)$/)]);
    const withoutValidate = DOC.replace(/\/v1\/validate\/job/g, '/v1/removed');
    expect(undocumentedRoutes(withoutValidate, h.built.app)).toEqual(['/v1/validate/job']);
  });

  it('every /v1/job/{ID}/<suffix> handler is documented', () => {
    const sub: Record<string, JobSubHandler> = {};
    const ctx = { config: h.config, nomad: h.nomad, consul: h.consulClient, logger: createLogger({ silent: true }), metrics: h.built.metrics, services: h.built.services };
    registerRuntimeRoutes(express(), ctx, sub);
    registerJobRoutes(express(), ctx, sub);
    expect(Object.keys(sub).sort()).toEqual(['allocations', 'evaluations', 'pause', 'resume']);
    for (const suffix of Object.keys(sub)) expect(DOC).toContain(`/v1/job/{ID}/${suffix}`);
  });

  it('every route a heading documents is served (not the 404 of unknown paths)', async () => {
    const routes = headingRoutes(DOC);
    expect(routes.length).toBeGreaterThanOrEqual(30);
    const unserved: string[] = [];
    for (const r of routes) {
      const res = record(await request(h.built.app)[r.method.toLowerCase() as 'get' | 'put' | 'post' | 'delete'](r.path));
      if (res.status === 404 && res.text === '404 page not found\n') unserved.push(`${r.method} ${r.path}`);
    }
    expect(unserved).toEqual([]);
    // and a path 2.x never had is that 404
    const res = await request(h.built.app).get('/v1/never-had-this');
    expect([res.status, res.text]).toEqual([404, '404 page not found\n']);
  });

  it('every job route section has a curl example', () => {
    const sections = DOC.split('\n### ').slice(1);
    const jobSections = sections.filter((s) => /^(GET|PUT|POST|DELETE|\/v1)[^\n]*\/v1\/(jobs|job\/|validate)/.test(s));
    expect(jobSections.length).toBeGreaterThanOrEqual(7);
    for (const s of jobSections) expect([s.split('\n')[0], /```sh\ncurl /.test(s)]).toEqual([s.split('\n')[0], true]);
  });
});
