/** The list page, /ui/: the dtle jobs (failing first, filterable by status) and the Nomad nodes. */
import { STATUS_FILTERS, matchesFilter, type StatusFilter, type UiJob, type UiNode } from '../../translate/overview';
import { replicationHtml, stageCell, statusCell, tasksCell } from './cells';
import { clockText, escapeHtml, jobPageHref, link, page, refreshText, td } from './html';

export interface UiBanner {
  id: string;
  text: string;
}

export interface UiModel {
  /** sorted (sortJobs), not yet filtered */
  jobs: UiJob[];
  nodes: UiNode[];
  refreshSeconds: number;
  filter: StatusFilter | null;
  /** when the data was read (ms since the epoch) and the time now */
  readAtMs: number;
  nowMs: number;
  /** stale data, Nomad or Consul unreachable, no Consul configured */
  banners: UiBanner[];
}

/** The page's own URL with a status filter (and the refresh asked for, when not the default). */
export function listHref(filter: StatusFilter | null, refreshQuery: string | null): string {
  const q = [filter ? `status=${filter}` : '', refreshQuery !== null ? `refresh=${refreshQuery}` : ''].filter((x) => x !== '');
  return `/ui/${q.length ? `?${q.join('&')}` : ''}`;
}

function filtersHtml(model: UiModel, refreshQuery: string | null): string {
  const count = (f: StatusFilter | null) => model.jobs.filter((j) => matchesFilter(j, f)).length;
  const items = [null, ...STATUS_FILTERS].map((f) => {
    const text = `${f ?? 'all'} (${count(f)})`;
    return link(listHref(f, refreshQuery), text, f === model.filter ? 'current' : '');
  });
  return `<nav class="filters" id="filters">Show: ${items.join(' ')}</nav>\n`;
}

export function bannersHtml(banners: readonly UiBanner[]): string {
  return banners.map((b) => `<p class="banner" id="${escapeHtml(b.id)}">${escapeHtml(b.text)}</p>\n`).join('');
}

function jobRow(j: UiJob, nowMs: number): string {
  const href = `/v1/job/${encodeURIComponent(j.id)}`;
  return (
    `<tr data-job="${escapeHtml(j.id)}"${j.failing ? ' class="failing"' : ''}>` +
    `<td class="id">${link(jobPageHref(j.id), j.id)}</td>` +
    td(j.name) +
    td(j.type) +
    statusCell(j) +
    stageCell(j) +
    `<td class="replication">${replicationHtml(j, nowMs)}</td>` +
    tasksCell(j) +
    `<td class="legacy">${link(href, 'job')}${link(`${href}/allocations`, 'allocations')}</td></tr>\n`
  );
}

/** The whole list page. Every text from Nomad, Consul or callers is escaped; links carry the job ID percent-encoded. */
export function renderUi(model: UiModel, refreshQuery: string | null = null): string {
  const dtleNodes = model.nodes.filter((n) => n.dtle !== '').length;
  const failing = model.jobs.filter((j) => j.failing).length;
  const shown = model.jobs.filter((j) => matchesFilter(j, model.filter));
  let body =
    `<h1>dtle-compat</h1>\n<p class="meta">${model.jobs.length} dtle ${model.jobs.length === 1 ? 'job' : 'jobs'}${failing > 0 ? `, ${failing} failing` : ''} · ` +
    `${model.nodes.length} ${model.nodes.length === 1 ? 'node' : 'nodes'}, ${dtleNodes} with the dtle driver · read at ${clockText(model.readAtMs)} · ${refreshText(model.refreshSeconds)}</p>\n`;
  body += bannersHtml(model.banners);
  body += '<h2>Jobs</h2>\n' + filtersHtml(model, refreshQuery);
  body += '<table id="jobs">\n<thead><tr><th>ID</th><th>Name</th><th>Type</th><th>Status</th><th>Stage</th><th>Progress / position</th><th>Tasks</th><th>Legacy API</th></tr></thead>\n<tbody>\n';
  if (shown.length === 0) body += `<tr><td colspan="8">${model.filter ? `no ${escapeHtml(model.filter)} dtle jobs` : 'no dtle jobs'}</td></tr>\n`;
  for (const j of shown) body += jobRow(j, model.nowMs);
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

/** The page when Nomad could not be read and nothing earlier is kept: the reason (secrets scrubbed), refreshed so it recovers by itself. */
export function renderUiError(message: string, refreshSeconds: number): string {
  return page(
    'dtle-compat: Nomad unavailable',
    refreshSeconds,
    `<h1>dtle-compat</h1>\n<p class="meta">${refreshText(refreshSeconds)}</p>\n<p class="error" id="error">Nomad could not be read: ${escapeHtml(message)}</p>\n`,
  );
}

/** A 4xx or 404 page: what was wrong, and the way back. */
export function renderUiProblem(title: string, message: string): string {
  return page(`dtle-compat: ${title}`, 0, `<h1>dtle-compat</h1>\n<p class="error" id="error">${escapeHtml(message)}</p>\n<p>${link('/ui/', 'all dtle jobs')}</p>\n`);
}
