/**
 * The operator page at /ui/ (outside the legacy /v1 namespace): one server-rendered HTML page
 * listing the dtle jobs (status, stage, tasks, links to the legacy JSON) and the Nomad nodes,
 * refreshed by the browser every few seconds. No script, no password, every text HTML-escaped.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import type { LegacyAllocListStub, LegacyJobListStub } from '../legacy/types';
import { redactText } from '../logging';
import { NomadError, legacyStatusOf } from '../nomad/errors';
import type { NodeListStub } from '../nomad/types';
import { LegacyHttpError } from '../legacy/errors';
import { stageOfMessages } from '../translate/stats';
import { callerToken } from './context';
import type { RouteContext } from './types';

/** Seconds between refreshes when the query names none. */
export const DEFAULT_REFRESH_SECONDS = 10;

/** Text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type UiStage = 'full' | 'incremental' | '';

export interface UiTask {
  /** legacy task: Src or Dest */
  task: string;
  /** Nomad's ClientStatus of the task's latest allocation */
  status: string;
  stage: UiStage;
}

export interface UiJob {
  id: string;
  name: string;
  type: string;
  /** 2.x status: pending, running, dead, pause */
  status: string;
  stage: UiStage;
  tasks: UiTask[];
}

export interface UiNode {
  name: string;
  id: string;
  datacenter: string;
  status: string;
  address: string;
  /** the dtle driver's version, '' when the node has no (detected) dtle driver */
  dtle: string;
  dtleHealthy: boolean;
}

export interface UiModel {
  jobs: UiJob[];
  nodes: UiNode[];
  refreshSeconds: number;
}

/** The dtle stage the task's latest stage event names (job_stage_full / job_stage_incr), '' before any. */
export function stageOfLegacyEvents(events: ReadonlyArray<{ DriverMessage: string }>): UiStage {
  const stage = stageOfMessages(events.map((e) => e.DriverMessage));
  return stage === 'full' ? 'full' : stage === 'incr' ? 'incremental' : '';
}

/**
 * Each legacy task of a job with its latest allocation's status and stage, and the job's stage:
 * `incremental` when every task that reported a stage is in the incremental stage, `full` while any
 * is still copying, '' when none reported one (not started, paused, stopped).
 */
export function uiJobOf(stub: LegacyJobListStub, allocs: readonly LegacyAllocListStub[]): UiJob {
  const latest = new Map<string, LegacyAllocListStub>();
  for (const a of allocs) {
    if (a.JobID !== stub.ID) continue;
    const prev = latest.get(a.Task);
    if (!prev || a.CreateIndex > prev.CreateIndex) latest.set(a.Task, a);
  }
  const order = (t: string) => (t === 'Src' ? 0 : t === 'Dest' ? 1 : 2);
  const tasks: UiTask[] = [...latest.values()]
    .sort((a, b) => order(a.Task) - order(b.Task) || (a.Task < b.Task ? -1 : a.Task > b.Task ? 1 : 0))
    .map((a) => {
      const running = a.ClientStatus === 'running';
      const events = running ? Object.values(a.TaskStates ?? {}).flatMap((s) => s.Events) : [];
      return { task: a.Task, status: a.ClientStatus, stage: stageOfLegacyEvents(events) };
    });
  const stages = tasks.map((t) => t.stage).filter((s) => s !== '');
  const stage: UiStage = stages.length === 0 ? '' : stages.includes('full') ? 'full' : 'incremental';
  return { id: stub.ID, name: stub.Name, type: stub.Type, status: stub.Status, stage, tasks };
}

export function uiNodeOf(n: NodeListStub, drivers: readonly string[]): UiNode {
  const d = drivers.find((x) => n.Drivers?.[x]?.Detected);
  const info = d ? n.Drivers?.[d] : undefined;
  return {
    name: n.Name,
    id: n.ID,
    datacenter: n.Datacenter,
    status: n.Status,
    address: n.Address ?? '',
    dtle: d ? (info?.Attributes?.[`driver.${d}.version`] ?? '?') : '',
    dtleHealthy: info?.Healthy ?? false,
  };
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.1rem;margin:1.5rem 0 .4rem}
p.meta{color:#666;margin:0 0 1rem}p.foot{color:#666;margin:1rem 0}
table{border-collapse:collapse;min-width:40rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.status-running{color:#176f2c}td.status-pause{color:#8a5a00}td.status-dead{color:#a32020}
.error{background:#fde8e8;border:1px solid #e4a0a0;padding:.6rem;white-space:pre-wrap}
a{margin-right:.6rem}
`;

function page(title: string, refreshSeconds: number, body: string): string {
  const refresh = refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${refreshSeconds}">\n` : '';
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    refresh +
    `<title>${escapeHtml(title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`
  );
}

function td(text: string, cls?: string): string {
  return `<td${cls ? ` class="${escapeHtml(cls)}"` : ''}>${escapeHtml(text)}</td>`;
}

function refreshText(seconds: number): string {
  return seconds > 0 ? `refreshed every ${seconds} s` : 'not refreshed';
}

/** The whole page. Every text from Nomad or callers is escaped; links carry the job ID percent-encoded. */
export function renderUi(model: UiModel): string {
  const dtleNodes = model.nodes.filter((n) => n.dtle !== '').length;
  let body = `<h1>dtle-compat</h1>\n<p class="meta">${model.jobs.length} dtle ${model.jobs.length === 1 ? 'job' : 'jobs'} · ${model.nodes.length} ${
    model.nodes.length === 1 ? 'node' : 'nodes'
  }, ${dtleNodes} with the dtle driver · ${refreshText(model.refreshSeconds)}</p>\n`;
  body += '<h2>Jobs</h2>\n<table id="jobs">\n<thead><tr><th>ID</th><th>Name</th><th>Type</th><th>Status</th><th>Stage</th><th>Tasks</th><th>Legacy API</th></tr></thead>\n<tbody>\n';
  if (model.jobs.length === 0) body += '<tr><td colspan="7">no dtle jobs</td></tr>\n';
  for (const j of model.jobs) {
    const href = `/v1/job/${encodeURIComponent(j.id)}`;
    const tasks = j.tasks.map((t) => `${t.task} ${t.status}${t.stage ? ` (${t.stage})` : ''}`).join(', ');
    body +=
      `<tr data-job="${escapeHtml(j.id)}">` +
      td(j.id) +
      td(j.name) +
      td(j.type) +
      td(j.status, `status-${j.status}`) +
      td(j.stage) +
      td(tasks) +
      `<td><a href="${escapeHtml(href)}">job</a><a href="${escapeHtml(`${href}/allocations`)}">allocations</a></td></tr>\n`;
  }
  body += '</tbody>\n</table>\n';
  body += '<h2>Nodes</h2>\n<table id="nodes">\n<thead><tr><th>Name</th><th>ID</th><th>Datacenter</th><th>Status</th><th>Address</th><th>dtle driver</th></tr></thead>\n<tbody>\n';
  if (model.nodes.length === 0) body += '<tr><td colspan="6">no nodes</td></tr>\n';
  for (const n of model.nodes) {
    const dtle = n.dtle === '' ? 'none' : `${n.dtle}${n.dtleHealthy ? '' : ' (unhealthy)'}`;
    body += `<tr data-node="${escapeHtml(n.id)}">` + td(n.name) + td(n.id) + td(n.datacenter) + td(n.status) + td(n.address) + td(dtle) + '</tr>\n';
  }
  body += '</tbody>\n</table>\n';
  body += '<p class="foot">Legacy API: <a href="/v1/jobs">/v1/jobs</a><a href="/v1/nodes">/v1/nodes</a> · health: <a href="/-/ready">/-/ready</a> · <a href="/metrics">/metrics</a></p>\n';
  return page('dtle-compat: dtle jobs', model.refreshSeconds, body);
}

/** The page when Nomad could not be read: the reason (secrets scrubbed), refreshed so it recovers by itself. */
export function renderUiError(message: string, refreshSeconds: number): string {
  return page(
    'dtle-compat: Nomad unavailable',
    refreshSeconds,
    `<h1>dtle-compat</h1>\n<p class="meta">${refreshText(refreshSeconds)}</p>\n<p class="error" id="error">Nomad could not be read: ${escapeHtml(message)}</p>\n`,
  );
}

/** ?refresh=N seconds (0 = off, at most an hour); anything else is the default. */
export function refreshSecondsOf(req: Request): number {
  const v = req.query.refresh;
  if (typeof v !== 'string' || !/^\d{1,4}$/.test(v)) return DEFAULT_REFRESH_SECONDS;
  return Math.min(Number(v), 3600);
}

function sendHtml(res: Response, status: number, html: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.end(html);
}

/** Registers GET /ui/ (and /ui). */
export function registerUiRoutes(app: Express, ctx: RouteContext): void {
  const { services, config } = ctx;
  app.get(['/ui', '/ui/'], (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = '/ui/';
    const refresh = refreshSecondsOf(req);
    let token: string | undefined;
    try {
      token = callerToken(req, config.require_caller_token);
    } catch (e) {
      if (!(e instanceof LegacyHttpError && e.status === 401)) return next(e);
      res.status(401).setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`${e.message}\n`);
      return;
    }
    services.overview.load(token).then(
      ({ jobs, allocs, nodes }) => {
        const model: UiModel = {
          jobs: jobs.map((j) => uiJobOf(j, allocs)),
          nodes: nodes.map((n) => uiNodeOf(n, config.dtle_drivers)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          refreshSeconds: refresh,
        };
        sendHtml(res, 200, renderUi(model));
      },
      (e: unknown) => {
        if (!(e instanceof NomadError)) return next(e);
        sendHtml(res, legacyStatusOf(e), renderUiError(redactText(e.message, config.nomad_token ? [config.nomad_token] : []), refresh));
      },
    );
  });
}
