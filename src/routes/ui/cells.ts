/**
 * The cells a job shows on both pages: status (with the paused mark), stage, the copy's progress
 * bar or the position reached, and each task's health and last error. Every text escaped.
 */
import { agoText, type UiJob, type UiTask } from '../../translate/overview';
import { escapeHtml, grouped } from './html';

export function statusCell(j: UiJob): string {
  const text = j.paused ? '<span class="mark paused" title="paused: its tasks do not replicate until resumed">paused</span>' : escapeHtml(j.status);
  const failing = j.failing ? ' <span class="mark failing">failing</span>' : '';
  return `<td class="status status-${escapeHtml(j.status)}">${text}${failing}</td>`;
}

const STAGE_FROM: Record<UiJob['stageFrom'], string> = {
  consul: "dtle's JobStage in Consul",
  events: "the tasks' job_stage_* events",
  '': '',
};

export function stageCell(j: UiJob): string {
  if (j.stage === '') return '<td class="stage"></td>';
  return `<td class="stage" title="from ${escapeHtml(STAGE_FROM[j.stageFrom])}">${escapeHtml(j.stage)}</td>`;
}

/** The progress bar and rows of the full copy, or the Gtid and binlog position reached, or nothing. */
export function replicationHtml(j: UiJob, nowMs: number): string {
  if (j.progress) {
    const p = j.progress;
    const pct = p.pct.toFixed(1);
    return (
      `<progress class="copy" value="${p.exec}" max="${Math.max(p.total, 1)}" title="${pct} %">${pct} %</progress> ` +
      `<span class="rows">${grouped(p.exec)} of ${grouped(p.total)} rows (${pct} %)</span>` +
      (p.eta ? ` <span class="eta">ETA ${escapeHtml(p.eta)}</span>` : '')
    );
  }
  if (j.position) {
    const pos = j.position;
    const parts: string[] = [];
    if (pos.gtid !== '') parts.push(`<span class="gtid" title="${escapeHtml(pos.gtid)}">${escapeHtml(pos.gtidShort)}</span>`);
    if (pos.file !== '') parts.push(`<span class="binlog">${escapeHtml(pos.file)}${pos.pos === null ? '' : `:${pos.pos}`}</span>`);
    if (pos.movedAtMs !== null) {
      const ago = agoText(nowMs - pos.movedAtMs);
      const title = pos.movedExact ? 'when this service saw the position change' : 'the position has not changed since this service first read it';
      parts.push(`<span class="moved" title="${escapeHtml(title)}">moved ${pos.movedExact ? '' : '≥ '}${escapeHtml(ago)} ago</span>`);
    }
    return parts.join('<br>');
  }
  return '';
}

function taskHealthText(t: UiTask): string {
  const bits = [t.health];
  if (t.restarts > 0) bits.push(`restarted ${t.restarts}×`);
  if (t.failedAllocs > 0) bits.push(`${t.failedAllocs} earlier ${t.failedAllocs === 1 ? 'allocation' : 'allocations'} failed`);
  return bits.join(' · ');
}

/** One task: its name, health, node and last error. */
export function taskHtml(t: UiTask, withNode: boolean): string {
  const node = withNode && (t.nodeName || t.nodeId) ? ` <span class="node">on ${escapeHtml(t.nodeName || t.nodeId)}</span>` : '';
  const err = t.lastError ? `<span class="error-text" title="${escapeHtml(t.lastError.time)}">${escapeHtml(t.lastError.text)}</span>` : '';
  return `<li class="task health-${escapeHtml(t.health)}" data-task="${escapeHtml(t.task)}"><strong class="task-name">${escapeHtml(t.task)}</strong> <span class="health">${escapeHtml(taskHealthText(t))}</span>${node}${err}</li>`;
}

export function tasksCell(j: UiJob): string {
  if (j.tasks.length === 0) return '<td class="tasks">no allocations</td>';
  return `<td class="tasks"><ul class="tasks">${j.tasks.map((t) => taskHtml(t, false)).join('')}</ul></td>`;
}
