import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { LegacyJob } from '../../src/legacy/types';
import { NodeList } from '../../src/nomad/types';
import { escapeHtml, renderUi, renderUiError, stageOfLegacyEvents, type UiModel } from '../../src/routes/ui';
import { CANARY, record, startHarness, type Harness } from '../support/harness';

const seedJob = JSON.parse(
  readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8'),
) as LegacyJob;

/** seed 003's job under another ID, the canary as every password, placed on the simulator's node */
function canaryJob(id: string, name = id): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ID: id, Name: name, Tasks: job.Tasks.map((t) => ({ ...t, NodeName: 'nomad0' })) };
}

function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** The cells (as text) and links of each row of a table of the page, by the row's data attribute. */
function rows(html: string, table: 'jobs' | 'nodes'): Array<{ key: string; cells: string[]; links: string[] }> {
  const body = new RegExp(`<table id="${table}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html)?.[1] ?? '';
  const attr = table === 'jobs' ? 'data-job' : 'data-node';
  const out: Array<{ key: string; cells: string[]; links: string[] }> = [];
  for (const m of body.matchAll(new RegExp(`<tr ${attr}="([^"]*)">(.*?)</tr>`, 'g'))) {
    const cells = [...(m[2] as string).matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1] as string);
    const links = [...(m[2] as string).matchAll(/<a href="([^"]*)">/g)].map((l) => unescapeHtml(l[1] as string));
    out.push({ key: unescapeHtml(m[1] as string), cells: cells.map((c) => unescapeHtml(c.replace(/<a [^>]*>[^<]*<\/a>/g, (a) => `[${/>([^<]*)</.exec(a)?.[1] ?? ''}]`))), links });
  }
  return out;
}

describe('UI rendering (pure)', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('the stage is the latest job_stage_* event of the task', () => {
    expect(stageOfLegacyEvents([])).toBe('');
    expect(stageOfLegacyEvents([{ DriverMessage: '' }, { DriverMessage: 'job_stage_full' }])).toBe('full');
    expect(stageOfLegacyEvents([{ DriverMessage: 'job_stage_full' }, { DriverMessage: 'job_stage_incr' }, { DriverMessage: 'other' }])).toBe('incremental');
    expect(stageOfLegacyEvents([{ DriverMessage: 'job_stage_incr' }, { DriverMessage: 'job_stage_full' }])).toBe('full');
  });

  it('renders exactly this page for a one-job, one-node model', () => {
    const model: UiModel = {
      jobs: [{ id: 'a b', name: 'n', type: 'synchronous', status: 'running', stage: 'full', tasks: [{ task: 'Src', status: 'running', stage: 'full' }] }],
      nodes: [{ name: 'nomad0', id: 'n-1', datacenter: 'dc1', status: 'ready', address: '10.0.0.1', dtle: '4.23.04.3', dtleHealthy: false }],
      refreshSeconds: 5,
    };
    const html = renderUi(model);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="5">\n<title>dtle-compat: dtle jobs</title>\n<style>')).toBe(true);
    expect(html).toContain('<p class="meta">1 dtle job · 1 node, 1 with the dtle driver · refreshed every 5 s</p>\n');
    expect(html).toContain(
      '<tr data-job="a b"><td>a b</td><td>n</td><td>synchronous</td><td class="status-running">running</td><td>full</td><td>Src running (full)</td>' +
        '<td><a href="/v1/job/a%20b">job</a><a href="/v1/job/a%20b/allocations">allocations</a></td></tr>\n',
    );
    expect(html).toContain('<tr data-node="n-1"><td>nomad0</td><td>n-1</td><td>dc1</td><td>ready</td><td>10.0.0.1</td><td>4.23.04.3 (unhealthy)</td></tr>\n');
    expect(html.endsWith('</body>\n</html>\n')).toBe(true);
    expect(html).not.toMatch(/<script/i);
  });

  it('refresh 0 leaves the meta refresh out; empty tables say so', () => {
    const html = renderUi({ jobs: [], nodes: [], refreshSeconds: 0 });
    expect(html).not.toContain('http-equiv="refresh"');
    expect(html).toContain('<p class="meta">0 dtle jobs · 0 nodes, 0 with the dtle driver · not refreshed</p>');
    expect(html).toContain('<tr><td colspan="7">no dtle jobs</td></tr>');
    expect(html).toContain('<tr><td colspan="6">no nodes</td></tr>');
  });

  it('escapes job IDs, names, statuses and node fields everywhere, and percent-encodes links', () => {
    const evil = `<script>alert("x")</script>&'`;
    const html = renderUi({
      jobs: [{ id: evil, name: evil, type: evil, status: evil, stage: '', tasks: [{ task: evil, status: evil, stage: '' }] }],
      nodes: [{ name: evil, id: evil, datacenter: evil, status: evil, address: evil, dtle: evil, dtleHealthy: true }],
      refreshSeconds: 10,
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`"x"`);
    const esc = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;';
    expect(html).toContain(`<tr data-job="${esc}"><td>${esc}</td><td>${esc}</td>`);
    expect(html).toContain(`<td class="status-${esc}">${esc}</td>`);
    expect(html).toContain('<a href="/v1/job/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26&#39;">job</a>');
    expect(html).toContain(`<tr data-node="${esc}"><td>${esc}</td>`);
    const err = renderUiError(evil, 10);
    expect(err).toContain(`<p class="error" id="error">Nomad could not be read: ${esc}</p>`);
    expect(err).not.toContain('<script>');
  });
});

describe('GET /ui/ against the simulated Nomad', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });
  const app = () => h.built.app;

  async function create(job: LegacyJob): Promise<void> {
    const res = record(await request(app()).post('/v1/jobs').send(JSON.stringify(job)));
    expect(res.status).toBe(200);
  }

  it('lists no jobs and the node before anything is registered', async () => {
    const res = record(await request(app()).get('/ui/'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(res.text).toContain('<meta http-equiv="refresh" content="10">');
    expect(res.text).toContain('<p class="meta">0 dtle jobs · 1 node, 1 with the dtle driver · refreshed every 10 s</p>');
    expect(rows(res.text, 'jobs')).toEqual([]);
    const { data: nodes } = await h.nomad.get('/v1/nodes', NodeList);
    expect(rows(res.text, 'nodes')).toEqual([{ key: nodes[0]?.ID, cells: ['nomad0', nodes[0]?.ID, 'dc1', 'ready', '127.0.0.1', '4.23.04.3'], links: [] }]);
  });

  it('shows each job with status, stage, tasks and links; paused jobs as "pause"; no password', async () => {
    await create(canaryJob('ui-full', 'copying'));
    await create(canaryJob('ui-incr', 'replicating'));
    await create(canaryJob('ui-paused', 'held'));
    h.sim.setTaskStage('ui-incr', 'src', 'job_stage_incr');
    h.sim.setTaskStage('ui-incr', 'dest', 'job_stage_incr');
    h.sim.setTaskStage('ui-full', 'src', 'job_stage_incr');
    expect(record(await request(app()).put('/v1/job/ui-paused/pause')).status).toBe(200);

    const res = record(await request(app()).get('/ui/?refresh=3'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<meta http-equiv="refresh" content="3">');
    expect(res.text).toContain('<p class="meta">3 dtle jobs · 1 node, 1 with the dtle driver · refreshed every 3 s</p>');
    expect(rows(res.text, 'jobs')).toEqual([
      {
        key: 'ui-full',
        cells: ['ui-full', 'copying', 'synchronous', 'running', 'full', 'Src running (incremental), Dest running (full)', '[job][allocations]'],
        links: ['/v1/job/ui-full', '/v1/job/ui-full/allocations'],
      },
      {
        key: 'ui-incr',
        cells: ['ui-incr', 'replicating', 'synchronous', 'running', 'incremental', 'Src running (incremental), Dest running (incremental)', '[job][allocations]'],
        links: ['/v1/job/ui-incr', '/v1/job/ui-incr/allocations'],
      },
      {
        key: 'ui-paused',
        // paused by dtle's own mechanism (the flag in Consul, the signals): the tasks keep running
        cells: ['ui-paused', 'held', 'synchronous', 'pause', 'full', 'Src running, Dest running (full)', '[job][allocations]'],
        links: ['/v1/job/ui-paused', '/v1/job/ui-paused/allocations'],
      },
    ]);
    expect(res.text).not.toContain(CANARY);
    expect(res.text).not.toMatch(/Password/i);
    // the links answer the legacy JSON
    const detail = record(await request(app()).get('/v1/job/ui-incr/allocations'));
    expect(detail.status).toBe(200);
    expect((detail.body as unknown[]).length).toBe(2);
  });

  it('escapes a job ID with HTML in it and links to it percent-encoded', async () => {
    const id = `<script&"'`;
    await create(canaryJob(id, `<i>y</i>`));
    const res = record(await request(app()).get('/ui'));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script&');
    expect(res.text).not.toContain('<i>y</i>');
    const row = rows(res.text, 'jobs').find((r) => r.key === id);
    expect(row?.cells.slice(0, 2)).toEqual([id, '<i>y</i>']);
    expect(row?.links).toEqual([`/v1/job/${encodeURIComponent(id)}`, `/v1/job/${encodeURIComponent(id)}/allocations`]);
    // and the link really names the job
    const detail = record(await request(app()).get(row?.links[0] ?? ''));
    expect(detail.status).toBe(200);
    expect((detail.body as LegacyJob).ID).toBe(id);
  });

  it('page loads that arrive together share one set of Nomad reads; the next load reads again', async () => {
    h.sim.resetCalls();
    // Nomad answers slowly, so the four loads surely overlap
    h.sim.faults.delayMs = 300;
    const pages = await Promise.all([1, 2, 3, 4].map(() => request(app()).get('/ui/'))).finally(() => {
      h.sim.faults.delayMs = 0;
    });
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(pages.map((p) => p.text)).size).toBe(1);
    const lists = () => h.sim.calls.filter((c) => c.method === 'GET' && ['/v1/allocations', '/v1/nodes'].includes(c.path)).map((c) => c.path).sort();
    expect(lists()).toEqual(['/v1/allocations', '/v1/nodes']);
    record(await request(app()).get('/ui/'));
    expect(lists()).toEqual(['/v1/allocations', '/v1/allocations', '/v1/nodes', '/v1/nodes']);
  });

  it('a bad refresh value falls back to 10 s, 0 turns it off', async () => {
    expect(record(await request(app()).get('/ui/?refresh=abc')).text).toContain('<meta http-equiv="refresh" content="10">');
    expect(record(await request(app()).get('/ui/?refresh=0')).text).not.toContain('http-equiv="refresh"');
  });
});

describe('GET /ui/ when Nomad fails', () => {
  it('answers an HTML page with the reason and keeps refreshing; 502 when Nomad is unreachable', async () => {
    const h = await startHarness();
    await h.sim.close();
    try {
      const res = await request(h.built.app).get('/ui/');
      expect(res.status).toBe(502);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<meta http-equiv="refresh" content="10">');
      expect(res.text).toMatch(/<p class="error" id="error">Nomad could not be read: Nomad unreachable: [^<]+<\/p>/);
    } finally {
      await h.close();
    }
  });

  it('a refused token is Nomad\'s 403 with its reason; the token never shows', async () => {
    const h = await startHarness({ nomad_token: 'wrong-token-123' }, { aclToken: 'right-token-456' });
    try {
      const res = await request(h.built.app).get('/ui/');
      expect(res.status).toBe(403);
      expect(res.text).toContain('<p class="error" id="error">Nomad could not be read: Nomad 403: Permission denied</p>');
      expect(res.text).not.toContain('wrong-token-123');
    } finally {
      await h.close();
    }
  });

  it('with require_caller_token, a caller without a token is refused (401) and one with the right token sees the page', async () => {
    const h = await startHarness({ require_caller_token: true }, { aclToken: 'right-token-456' });
    try {
      const refused = await request(h.built.app).get('/ui/');
      expect(refused.status).toBe(401);
      expect(refused.text).toBe('missing X-Nomad-Token: this service requires callers to send their own Nomad token\n');
      const ok = await request(h.built.app).get('/ui/').set('X-Nomad-Token', 'right-token-456');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('0 dtle jobs · 1 node, 1 with the dtle driver');
    } finally {
      await h.close();
    }
  });
});
