import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { LegacyJob } from '../../src/legacy/types';
import { NodeList } from '../../src/nomad/types';
import { escapeHtml, renderUi, renderUiError, type UiModel } from '../../src/routes/ui';
import type { UiJob } from '../../src/translate/overview';
import { CANARY, record, startHarness, type Harness } from '../support/harness';
import { failTasks } from '../support/simFailure';

const seedJob = JSON.parse(
  readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8'),
) as LegacyJob;

/** seed 003's job under another ID, the canary as every password, placed on the simulator's node; gtid '' starts with a full copy */
function canaryJob(id: string, name = id, gtid?: string): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ID: id, Name: name, Tasks: job.Tasks.map((t) => ({ ...t, NodeName: 'nomad0', Config: gtid === undefined ? t.Config : { ...t.Config, Gtid: gtid } })) };
}

function unescapeHtml(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** An element's text: tags dropped, entities decoded, spaces collapsed. */
function text(html: string): string {
  return unescapeHtml(html.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

interface Row {
  key: string;
  cls: string;
  /** each cell's HTML, <td> included */
  html: string[];
  /** each cell's text */
  cells: string[];
  links: string[];
}

/** The rows of a table of the page, by the row's data attribute. */
function rows(html: string, table: 'jobs' | 'nodes'): Row[] {
  const body = new RegExp(`<table id="${table}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html)?.[1] ?? '';
  const attr = table === 'jobs' ? 'data-job' : 'data-node';
  const out: Row[] = [];
  for (const m of body.matchAll(new RegExp(`<tr ${attr}="([^"]*)"(?: class="([^"]*)")?>(.*?)</tr>`, 'g'))) {
    const cellHtml = [...(m[3] as string).matchAll(/<td[^>]*>.*?<\/td>/g)].map((c) => c[0]);
    const links = [...(m[3] as string).matchAll(/<a href="([^"]*)"/g)].map((l) => unescapeHtml(l[1] as string));
    out.push({ key: unescapeHtml(m[1] as string), cls: m[2] ?? '', html: cellHtml, cells: cellHtml.map(text), links });
  }
  return out;
}

function uiJob(over: Partial<UiJob>): UiJob {
  return { id: 'j', name: 'j', type: 'synchronous', status: 'running', paused: false, stage: '', stageFrom: '', progress: null, position: null, tasks: [], failing: false, ...over };
}

function model(over: Partial<UiModel>): UiModel {
  return { jobs: [], nodes: [], refreshSeconds: 10, filter: null, readAtMs: Date.UTC(2026, 11, 2, 1, 2, 3), nowMs: Date.UTC(2026, 11, 2, 1, 2, 3), banners: [], ...over };
}

describe('UI rendering (pure)', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('renders a copying job with a progress bar, an incremental one with its position, a paused one marked', () => {
    const html = renderUi(
      model({
        jobs: [
          uiJob({ id: 'a b', name: 'n', stage: 'full', stageFrom: 'consul', progress: { exec: 12000, total: 160000, pct: 7.5, eta: '34s' } }),
          uiJob({
            id: 'inc',
            stage: 'incremental',
            stageFrom: 'events',
            position: { gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171', gtidShort: '8868d98f…:1-171', file: 'mysql-bin.000003', pos: 4711, movedAtMs: Date.UTC(2026, 11, 2, 1, 1, 58), movedExact: true },
          }),
          uiJob({ id: 'p', status: 'pause', paused: true }),
        ],
        nodes: [{ name: 'nomad0', id: 'n-1', datacenter: 'dc1', status: 'ready', address: '10.0.0.1', dtle: '4.23.04.3', dtleHealthy: false }],
        refreshSeconds: 5,
      }),
    );
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="5">\n<title>dtle-compat: dtle jobs</title>\n<style>')).toBe(true);
    expect(html).toContain('<p class="meta">3 dtle jobs · 1 node, 1 with the dtle driver · read at 01:02:03 UTC · refreshed every 5 s</p>\n');
    expect(html).toContain(
      '<tr data-job="a b"><td class="id"><a href="/ui/job/a%20b">a b</a></td><td>n</td><td>synchronous</td><td class="status status-running">running</td>' +
        '<td class="stage" title="from dtle&#39;s JobStage in Consul">full</td>' +
        '<td class="replication"><progress class="copy" value="12000" max="160000" title="7.5 %">7.5 %</progress> <span class="rows">12,000 of 160,000 rows (7.5 %)</span> <span class="eta">ETA 34s</span></td>' +
        '<td class="tasks">no allocations</td><td class="legacy"><a href="/v1/job/a%20b">job</a><a href="/v1/job/a%20b/allocations">allocations</a></td></tr>\n',
    );
    expect(html).toContain(
      '<td class="replication"><span class="gtid" title="8868d98f-af5e-11e8-9aa9-0242ac110002:1-171">8868d98f…:1-171</span><br><span class="binlog">mysql-bin.000003:4711</span><br>' +
        '<span class="moved" title="when this service saw the position change">moved 5 s ago</span></td>',
    );
    expect(html).toContain('<td class="status status-pause"><span class="mark paused" title="paused: its tasks do not replicate until resumed">paused</span></td>');
    expect(html).toContain('<tr data-node="n-1"><td>nomad0</td><td>n-1</td><td>dc1</td><td>ready</td><td>10.0.0.1</td><td>4.23.04.3 (unhealthy)</td></tr>\n');
    expect(html.endsWith('</body>\n</html>\n')).toBe(true);
    expect(html).not.toMatch(/<script/i);
  });

  it('refresh 0 leaves the meta refresh out; empty tables say so', () => {
    const html = renderUi(model({ refreshSeconds: 0 }));
    expect(html).not.toContain('http-equiv="refresh"');
    expect(html).toContain('<p class="meta">0 dtle jobs · 0 nodes, 0 with the dtle driver · read at 01:02:03 UTC · not refreshed</p>');
    expect(html).toContain('<tr><td colspan="8">no dtle jobs</td></tr>');
    expect(html).toContain('<tr><td colspan="6">no nodes</td></tr>');
  });

  it('escapes job IDs, names, statuses, Gtids, error texts, node fields and banners everywhere, and percent-encodes links', () => {
    const evil = `<script>alert("x")</script>&'`;
    const html = renderUi(
      model({
        jobs: [
          uiJob({
            id: evil,
            name: evil,
            type: evil,
            status: evil,
            stage: 'incremental',
            position: { gtid: evil, gtidShort: evil, file: evil, pos: 1, movedAtMs: null, movedExact: false },
            tasks: [{ task: evil, allocId: evil, nodeId: evil, nodeName: evil, clientStatus: evil, health: evil, restarts: 1, failedAllocs: 0, lastError: { time: evil, text: evil }, stage: '' }],
          }),
        ],
        nodes: [{ name: evil, id: evil, datacenter: evil, status: evil, address: evil, dtle: evil, dtleHealthy: true }],
        banners: [{ id: 'b1', text: evil }],
      }),
    );
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(`"x"`);
    const esc = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;';
    expect(html).toContain(`<tr data-job="${esc}"><td class="id"><a href="/ui/job/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26&#39;">${esc}</a></td><td>${esc}</td>`);
    expect(html).toContain(`<td class="status status-${esc}">${esc}</td>`);
    expect(html).toContain(`<span class="gtid" title="${esc}">${esc}</span>`);
    expect(html).toContain(`<span class="error-text" title="${esc}">${esc}</span>`);
    expect(html).toContain(`<li class="task health-${esc}" data-task="${esc}"><strong class="task-name">${esc}</strong>`);
    expect(html).toContain('<a href="/v1/job/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%26&#39;">job</a>');
    expect(html).toContain(`<tr data-node="${esc}"><td>${esc}</td>`);
    expect(html).toContain(`<p class="banner" id="b1">${esc}</p>`);
    const err = renderUiError(evil, 10);
    expect(err).toContain(`<p class="error" id="error">Nomad could not be read: ${esc}</p>`);
    expect(err).not.toContain('<script>');
  });
});

describe('GET /ui/ against the simulated Nomad and Consul', () => {
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

  function consulText(key: string): string {
    return h.consul.kv.get(key).found?.Value?.toString('utf8') ?? '';
  }

  it('lists no jobs and the node before anything is registered', async () => {
    const res = record(await request(app()).get('/ui/'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(res.text).toContain('<meta http-equiv="refresh" content="10">');
    expect(res.text).toMatch(/<p class="meta">0 dtle jobs · 1 node, 1 with the dtle driver · read at \d\d:\d\d:\d\d UTC · refreshed every 10 s<\/p>/);
    expect(res.text).not.toContain('class="banner"');
    expect(rows(res.text, 'jobs')).toEqual([]);
    const { data: nodes } = await h.nomad.get('/v1/nodes', NodeList);
    expect(rows(res.text, 'nodes').map((r) => [r.key, r.cells])).toEqual([[nodes[0]?.ID, ['nomad0', nodes[0]?.ID, 'dc1', 'ready', '127.0.0.1', '4.23.04.3']]]);
  });

  it('copying, incremental, paused and failing jobs: progress, position, marks, the error text; failing first; no password', async () => {
    await create(canaryJob('ui-copy', 'copying', ''));
    await create(canaryJob('ui-incr', 'replicating'));
    await create(canaryJob('ui-paused', 'held'));
    await create(canaryJob('ui-fail', 'broken'));
    // one simulated second: the copy moves 4,000 rows of 120,000; the job with a Gtid goes incremental
    h.sim.advanceReplication(1000);
    expect(record(await request(app()).put('/v1/job/ui-paused/pause')).status).toBe(200);
    failTasks(h.sim, 'ui-fail', 'dest', 'dial tcp 127.0.0.1:3306: connect: connection refused', 'failed');

    const res = record(await request(app()).get('/ui/?refresh=3'));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<meta http-equiv="refresh" content="3">');
    expect(res.text).toMatch(/<p class="meta">4 dtle jobs, 1 failing · 1 node, 1 with the dtle driver · read at \d\d:\d\d:\d\d UTC · refreshed every 3 s<\/p>/);
    const got = rows(res.text, 'jobs');
    expect(got.map((r) => r.key)).toEqual(['ui-fail', 'ui-copy', 'ui-incr', 'ui-paused']);
    const [fail, copy, incr, paused] = got as [Row, Row, Row, Row];

    expect(copy.cells.slice(0, 5)).toEqual(['ui-copy', 'copying', 'synchronous', 'running', 'full']);
    expect(copy.html[4]).toBe('<td class="stage" title="from dtle&#39;s JobStage in Consul">full</td>');
    expect(copy.html[5]).toContain('<progress class="copy" value="4000" max="120000" title="3.3 %">3.3 %</progress> <span class="rows">4,000 of 120,000 rows (3.3 %)</span>');
    expect(copy.links).toEqual(['/ui/job/ui-copy', '/v1/job/ui-copy', '/v1/job/ui-copy/allocations']);

    const gtid = consulText('dtle/ui-incr/Gtid');
    expect(gtid).toMatch(/^8868d98f-af5e-11e8-9aa9-0242ac110002:1-\d+$/);
    const [file, pos] = consulText('dtle/ui-incr/BinlogFilePos').split('//dtle//');
    expect(incr.cells[4]).toBe('incremental');
    expect(incr.html[5]).toContain(`<span class="gtid" title="${gtid}">8868d98f…:${gtid.split(':')[1]}</span><br><span class="binlog">${file}:${pos}</span><br><span class="moved"`);
    expect(incr.cells[5]).toMatch(/moved ≥ \d+ s ago$/);
    expect(incr.cells[6]).toBe('Src running Dest running');

    expect(paused.cells[3]).toBe('paused');
    expect(paused.html[3]).toContain('<span class="mark paused"');

    expect(fail.cls).toBe('failing');
    expect(fail.cells[3]).toBe('running failing');
    expect(fail.cells[6]).toBe('Src running Dest failed · restarted 2× dial tcp 127.0.0.1:3306: connect: connection refused');
    expect(res.text).not.toContain(CANARY);
    expect(res.text).not.toMatch(/Password/i);

    // the position moves: the next page says it moved, and by how long ago
    h.sim.advanceReplication(1000);
    const again = rows(record(await request(app()).get('/ui/')).text, 'jobs').find((r) => r.key === 'ui-incr');
    expect(again?.cells[5]).toMatch(/moved \d+ s ago$/);
    expect(again?.cells[5]).not.toContain('≥');
  });

  it('filters by status with links, keeps the refresh asked for; an unknown status is a 400 naming the parameter', async () => {
    const failing = record(await request(app()).get('/ui/?status=failing&refresh=7'));
    expect(failing.status).toBe(200);
    expect(rows(failing.text, 'jobs').map((r) => r.key)).toEqual(['ui-fail']);
    const nav = /<nav class="filters" id="filters">(.*?)<\/nav>/.exec(failing.text)?.[1] ?? '';
    expect([...nav.matchAll(/<a href="([^"]*)"( class="current")?>([^<]*)<\/a>/g)].map((m) => [unescapeHtml(m[1] as string), m[3], Boolean(m[2])])).toEqual([
      ['/ui/?refresh=7', 'all (4)', false],
      ['/ui/?status=failing&refresh=7', 'failing (1)', true],
      ['/ui/?status=running&refresh=7', 'running (3)', false],
      ['/ui/?status=pending&refresh=7', 'pending (0)', false],
      ['/ui/?status=dead&refresh=7', 'dead (0)', false],
      ['/ui/?status=pause&refresh=7', 'pause (1)', false],
    ]);
    expect(rows(record(await request(app()).get('/ui/?status=pause')).text, 'jobs').map((r) => r.key)).toEqual(['ui-paused']);
    const none = record(await request(app()).get('/ui/?status=pending'));
    expect(none.text).toContain('<tr><td colspan="8">no pending dtle jobs</td></tr>');
    const bad = record(await request(app()).get('/ui/?status=%3Cb%3E'));
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(bad.text).toContain('<p class="error" id="error">status: must be one of failing, running, pending, dead, pause (or left out for all jobs)</p>');
  });

  it('a job page: the tasks, each allocation with its task events as a timeline and its node, the 2.x job masked, the links', async () => {
    const res = record(await request(app()).get('/ui/job/ui-fail'));
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(res.text).toContain('<title>dtle-compat: job ui-fail</title>');
    expect(res.text).toContain('<h1>dtle job <span id="job-id">ui-fail</span></h1>');
    expect(res.text).toContain('<a href="/v1/job/ui-fail">job</a><a href="/v1/job/ui-fail/allocations">allocations</a><a href="/v1/job/ui-fail/evaluations">evaluations</a>');
    const tasks = text(/<ul class="tasks" id="tasks">(.*?)<\/ul>/.exec(res.text)?.[1] ?? '');
    expect(tasks).toBe('Src running on nomad0 Dest failed · restarted 2× on nomad0 dial tcp 127.0.0.1:3306: connect: connection refused');
    const allocs = [...h.sim.state.allocs.values()].filter((r) => r.alloc.JobID === 'ui-fail').map((r) => r.alloc);
    expect(allocs).toHaveLength(2);
    for (const a of allocs) {
      expect(res.text).toContain(`<section class="alloc" data-alloc="${a.ID}">`);
      expect(res.text).toContain(`<a href="/v1/allocation/${a.ID}">allocation</a><a href="/v1/agent/allocation/${a.ID}/stats">statistics</a>`);
    }
    expect(res.text).toMatch(/<p class="meta">on node nomad0 <code>[0-9a-f-]{36}<\/code>/);
    const dest = /<section class="alloc" data-alloc="[^"]*">\n<h3>Dest · [\s\S]*?<\/section>/.exec(res.text)?.[0] ?? '';
    const events = [...dest.matchAll(/<tr class="event( event-error)?"><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [text(m[3] as string), text(m[4] as string), Boolean(m[1])]);
    expect(events.slice(-3)).toEqual([
      ['Started', 'Task started by client', false],
      ['Terminated', 'Exit Code: 2, Exit Message: "dial tcp 127.0.0.1:3306: connect: connection refused"', true],
      ['Not Restarting', 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"', true],
    ]);
    expect(dest).toMatch(/<td><time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z" title="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/time><\/td>/);
    // the 2.x job, its passwords masked
    const json = JSON.parse(unescapeHtml(/<pre class="json" id="job-json">([\s\S]*?)<\/pre>/.exec(res.text)?.[1] ?? '')) as LegacyJob;
    expect(json.ID).toBe('ui-fail');
    expect(json.Tasks.map((t) => (t.Config.ConnectionConfig as { Password: string }).Password)).toEqual(['*', '*']);
    expect(res.text).not.toContain(CANARY);
  });

  it('a job page for a copying job shows its progress; an unknown job is a 404 page, its ID escaped', async () => {
    const copy = record(await request(app()).get('/ui/job/ui-copy?refresh=0'));
    expect(copy.status).toBe(200);
    expect(copy.text).not.toContain('http-equiv="refresh"');
    expect(copy.text).toMatch(/<progress class="copy" value="\d+" max="120000"/);
    const missing = record(await request(app()).get(`/ui/job/${encodeURIComponent('<no>such')}`));
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.text).toContain('<p class="error" id="error">no dtle job &#34;&#60;no&#62;such&#34;</p>');
    expect(missing.text).toContain('<a href="/ui/">all dtle jobs</a>');
    expect(record(await request(app()).get('/ui/job/%E0%A4%A')).status).toBe(400);
  });

  it('escapes a job ID, a Name and an error text with HTML in them, and links to the job percent-encoded', async () => {
    const id = `<script&"'`;
    await create(canaryJob(id, `<i>y</i>`));
    failTasks(h.sim, id, 'src', `<img src=x onerror="alert(1)">`, 'restarting');
    const res = record(await request(app()).get('/ui'));
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script&');
    expect(res.text).not.toContain('<i>y</i>');
    expect(res.text).not.toContain('<img');
    const row = rows(res.text, 'jobs').find((r) => r.key === id);
    expect(row?.cells.slice(0, 2)).toEqual([id, '<i>y</i>']);
    expect(row?.cells[6]).toBe(`Src restarting · restarted 3× <img src=x onerror="alert(1)"> Dest running`);
    expect(row?.links).toEqual([`/ui/job/${encodeURIComponent(id)}`, `/v1/job/${encodeURIComponent(id)}`, `/v1/job/${encodeURIComponent(id)}/allocations`]);
    // and the links really name the job
    const detail = record(await request(app()).get(row?.links[1] ?? ''));
    expect(detail.status).toBe(200);
    expect((detail.body as LegacyJob).ID).toBe(id);
    const jobPage = record(await request(app()).get(row?.links[0] ?? ''));
    expect(jobPage.status).toBe(200);
    expect(jobPage.text).toContain(`<span id="job-id">${escapeHtml(id)}</span>`);
    expect(jobPage.text).not.toContain('<img');
    expect(jobPage.text).not.toContain('<i>');
  });

  it('page loads that arrive together share one set of reads (one Consul read for every job); the next load reads again', async () => {
    h.sim.resetCalls();
    h.consul.calls.length = 0;
    // Nomad answers slowly, so the four loads surely overlap
    h.sim.faults.delayMs = 300;
    const pages = await Promise.all([1, 2, 3, 4].map(() => request(app()).get('/ui/'))).finally(() => {
      h.sim.faults.delayMs = 0;
    });
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(pages.map((p) => p.text)).size).toBe(1);
    const lists = () => h.sim.calls.filter((c) => c.method === 'GET' && ['/v1/allocations', '/v1/nodes', '/v1/jobs'].includes(c.path)).map((c) => c.path).sort();
    expect(lists()).toEqual(['/v1/allocations', '/v1/jobs', '/v1/nodes']);
    expect(h.sim.calls.filter((c) => /^\/v1\/job\//.test(c.path))).toEqual([]);
    const kv = () => h.consul.calls.filter((c) => c.path.startsWith('/v1/kv/')).map((c) => `${c.path}?${c.query}`);
    // the state of every job in one recursive read; the pause flags from the dtleJobList watch (none runs here: one read)
    expect(kv().sort()).toEqual(['/v1/kv/dtle/?recurse=', '/v1/kv/dtleJobList/?recurse=', '/v1/kv/dtleJobList/?recurse=']);
    record(await request(app()).get('/ui/'));
    expect(lists()).toEqual(['/v1/allocations', '/v1/allocations', '/v1/jobs', '/v1/jobs', '/v1/nodes', '/v1/nodes']);
  });

  it('Consul down: the page still answers, with a banner, stages from the task events', async () => {
    h.consul.faults.status = 500;
    h.consul.faults.statusBody = 'rpc error: No cluster leader';
    try {
      const res = record(await request(app()).get('/ui/'));
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<p class="banner" id="consul-down">Consul could not be read: [^<]*500[^<]*; stages come from the tasks&#39; events only; no copy progress, Gtid or binlog position\.<\/p>/);
      const copy = rows(res.text, 'jobs').find((r) => r.key === 'ui-copy');
      expect(copy?.cells[4]).toBe('full');
      expect(copy?.html[4]).toContain('from the tasks&#39; job_stage_* events');
      expect(copy?.cells[5]).toBe('');
    } finally {
      h.consul.faults.status = null;
      h.consul.faults.statusBody = '';
    }
  });

  it('Nomad down after a good load: the last page read, marked stale, still 200', async () => {
    record(await request(app()).get('/ui/'));
    h.sim.faults.status = 500;
    h.sim.faults.statusBody = 'rpc error: failed to get conn';
    try {
      const res = record(await request(app()).get('/ui/'));
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<p class="banner" id="stale">Nomad could not be read just now \([^<]*500[^<]*\): showing what was read at \d\d:\d\d:\d\d UTC, \d+ s ago\.<\/p>/);
      expect(rows(res.text, 'jobs').map((r) => r.key)).toContain('ui-incr');
    } finally {
      h.sim.faults.status = null;
      h.sim.faults.statusBody = '';
    }
  });

  it('a bad refresh value falls back to 10 s, 0 turns it off', async () => {
    expect(record(await request(app()).get('/ui/?refresh=abc')).text).toContain('<meta http-equiv="refresh" content="10">');
    expect(record(await request(app()).get('/ui/?refresh=0')).text).not.toContain('http-equiv="refresh"');
  });
});

describe('GET /ui/ without Consul', () => {
  it('says that no Consul is configured; stages from the events', async () => {
    const h = await startHarness({ consul: '' });
    try {
      const res = record(await request(h.built.app).get('/ui/'));
      expect(res.status).toBe(200);
      expect(res.text).toContain('<p class="banner" id="no-consul">No Consul address is configured (consul): stages come from the tasks&#39; events only; no copy progress, Gtid or binlog position.</p>');
    } finally {
      await h.close();
    }
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
      expect((await request(h.built.app).get('/ui/job/x')).status).toBe(401);
      const ok = await request(h.built.app).get('/ui/').set('X-Nomad-Token', 'right-token-456');
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('0 dtle jobs · 1 node, 1 with the dtle driver');
    } finally {
      await h.close();
    }
  });
});
