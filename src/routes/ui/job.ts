/** A job's page, /ui/job/{ID}: its replication, tasks, each allocation's task events as a timeline, the 2.x job (passwords masked). */
import { stringifyLegacy } from '../../legacy/int64';
import type { LegacyAllocListStub, LegacyJob } from '../../legacy/types';
import { timelineOf, type UiJob } from '../../translate/overview';
import { replicationHtml, stageCell, statusCell, taskHtml } from './cells';
import { clockText, escapeHtml, link, page, refreshText, timeCell } from './html';
import { bannersHtml, type UiBanner } from './list';

export interface UiJobPage {
  job: UiJob;
  /** the 2.x job, passwords masked */
  legacy: LegacyJob;
  /** all the job's allocations */
  allocs: LegacyAllocListStub[];
  nodeNames: ReadonlyMap<string, string>;
  refreshSeconds: number;
  readAtMs: number;
  nowMs: number;
  banners: UiBanner[];
}

function allocHtml(a: LegacyAllocListStub, nodeNames: ReadonlyMap<string, string>): string {
  const node = nodeNames.get(a.NodeID);
  const id = encodeURIComponent(a.ID);
  let html =
    `<section class="alloc" data-alloc="${escapeHtml(a.ID)}">\n<h3>${escapeHtml(a.Task)} · allocation <code>${escapeHtml(a.ID)}</code> · ${escapeHtml(a.ClientStatus)}` +
    `${a.DesiredStatus !== 'run' ? ` (desired ${escapeHtml(a.DesiredStatus)})` : ''}</h3>\n` +
    `<p class="meta">on node ${escapeHtml(node ?? '')}${node ? ' ' : ''}<code>${escapeHtml(a.NodeID)}</code> · ` +
    `${link(`/v1/allocation/${id}`, 'allocation')}${link(`/v1/agent/allocation/${id}/stats`, 'statistics')}</p>\n`;
  const events = timelineOf(a);
  html += '<table class="timeline">\n<thead><tr><th>Time</th><th>Type</th><th>Message</th></tr></thead>\n<tbody>\n';
  if (events.length === 0) html += '<tr><td colspan="3">no task events yet</td></tr>\n';
  for (const e of events) {
    html += `<tr class="event${e.error ? ' event-error' : ''}"><td>${timeCell(e.time)}</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.message)}</td></tr>\n`;
  }
  return html + '</tbody>\n</table>\n</section>\n';
}

export function renderJobPage(m: UiJobPage): string {
  const j = m.job;
  const v1 = `/v1/job/${encodeURIComponent(j.id)}`;
  let body = `<p>${link('/ui/', '← all dtle jobs')}</p>\n<h1>dtle job <span id="job-id">${escapeHtml(j.id)}</span></h1>\n`;
  body += `<p class="meta">read at ${clockText(m.readAtMs)} · ${refreshText(m.refreshSeconds)} · legacy API: ${link(v1, 'job')}${link(`${v1}/allocations`, 'allocations')}${link(`${v1}/evaluations`, 'evaluations')}</p>\n`;
  body += bannersHtml(m.banners);
  body += '<table id="job">\n<thead><tr><th>Name</th><th>Type</th><th>Status</th><th>Stage</th><th>Progress / position</th></tr></thead>\n<tbody>\n';
  body += `<tr data-job="${escapeHtml(j.id)}"${j.failing ? ' class="failing"' : ''}><td>${escapeHtml(j.name)}</td><td>${escapeHtml(j.type)}</td>${statusCell(j)}${stageCell(j)}<td class="replication">${replicationHtml(j, m.nowMs)}</td></tr>\n`;
  body += '</tbody>\n</table>\n';
  body += '<h2>Tasks</h2>\n';
  body += j.tasks.length === 0 ? '<p>no allocations</p>\n' : `<ul class="tasks" id="tasks">${j.tasks.map((t) => taskHtml(t, true)).join('')}</ul>\n`;
  body += '<h2>Allocations</h2>\n';
  const allocs = [...m.allocs].sort((a, b) => b.CreateIndex - a.CreateIndex);
  if (allocs.length === 0) body += '<p>no allocations</p>\n';
  for (const a of allocs) body += allocHtml(a, m.nodeNames);
  body += `<h2>The 2.x job (passwords masked)</h2>\n<pre class="json" id="job-json">${escapeHtml(stringifyLegacy(m.legacy, true))}</pre>\n`;
  return page(`dtle-compat: job ${j.id}`, m.refreshSeconds, body);
}
