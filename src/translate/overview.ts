/**
 * The operator page's view of each dtle job, built from what the service already holds: the 2.x
 * list stub, the job's legacy allocations (with their task events) and dtle's state in Consul.
 * Pure functions, no I/O; rendering is routes/ui/.
 *
 *   status     the 2.x job Status (jobReads: `pause` when paused by either mechanism)
 *   stage      Consul `dtle/<job>/JobStage` when dtle keeps one (>= 4.22.11.4); else `incremental`
 *              as soon as any task's latest stage event is job_stage_incr (seed 002), `full` when
 *              one is job_stage_full, '' before any
 *   progress   Consul `DumpProgress` [exec, total] while the stage is full; ETA from the readings
 *   position   Consul `Gtid` and `BinlogFilePos` once incremental; when it moved from their ModifyIndex
 *   tasks      per legacy task (Src, Dest) its latest allocation: health from ClientStatus, the task
 *              state and its Restarting events; the last error event's text; the node
 *   failing    any task failed, lost or waiting to restart, or its allocation failed and the
 *              replacement does not run yet
 */
import type { LegacyAllocListStub, LegacyJobListStub, LegacyTaskEvent, LegacyTaskState } from '../legacy/types';
import type { NodeListStub } from '../nomad/types';
import { goDuration } from '../nomad/go';
import type { DtleState } from './dtleState';
import { stageOfMessages } from './stats';

export type UiStage = 'full' | 'incremental' | '';

/** running, restarting (waiting to start again), failed, lost, pending, complete, … (Nomad's ClientStatus otherwise) */
export type UiHealth = string;

export interface UiEvent {
  /** RFC 3339, '' when Nomad gave none */
  time: string;
  type: string;
  message: string;
  /** an event that tells why the task failed or stopped */
  error: boolean;
}

export interface UiTask {
  /** legacy task: Src or Dest */
  task: string;
  allocId: string;
  nodeId: string;
  /** the node's name ('' when the node list does not have it) */
  nodeName: string;
  /** Nomad's ClientStatus of the task's latest allocation */
  clientStatus: string;
  health: UiHealth;
  /** Restarting events of the latest allocation */
  restarts: number;
  /** earlier allocations of this task that failed (replaced by the latest) */
  failedAllocs: number;
  /** the last error event of the latest allocation (its time and text), null when none */
  lastError: { time: string; text: string } | null;
  stage: UiStage;
}

export interface UiProgress {
  exec: number;
  total: number;
  /** 0–100, one decimal */
  pct: number;
  /** remaining time as Go writes a duration, null until two readings give a rate */
  eta: string | null;
}

export interface UiPosition {
  gtid: string;
  gtidShort: string;
  file: string;
  pos: number | null;
  /** when this process first saw the position's current ModifyIndex (ms since the epoch) */
  movedAtMs: number | null;
  /** false: the index was the first one seen, so it moved then or earlier */
  movedExact: boolean;
}

export interface UiJob {
  id: string;
  name: string;
  type: string;
  /** 2.x status: pending, running, dead, pause */
  status: string;
  paused: boolean;
  stage: UiStage;
  /** where the stage comes from: dtle's JobStage in Consul, the tasks' events, or nowhere */
  stageFrom: 'consul' | 'events' | '';
  progress: UiProgress | null;
  position: UiPosition | null;
  tasks: UiTask[];
  failing: boolean;
}

/** What the service observed of a job's replication over time (DtleStateStore's readings). */
export interface Observed {
  state: DtleState | null;
  eta: string | null;
  moved: { atMs: number; exact: boolean } | null;
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

/** The dtle stage the task's latest stage event names (job_stage_full / job_stage_incr), '' before any. */
export function stageOfLegacyEvents(events: ReadonlyArray<{ DriverMessage: string }>): UiStage {
  const stage = stageOfMessages(events.map((e) => e.DriverMessage));
  return stage === 'full' ? 'full' : stage === 'incr' ? 'incremental' : '';
}

/** Event types whose event tells why a task did not (keep) run(ning). */
const ERROR_TYPES = new Set(['Driver Failure', 'Setup Failure', 'Failed Validation', 'Task hook failed', 'Failed Artifact Download', 'Failed Restoring Task']);

/** Whether an event tells of a failure: a failing event type, a non-zero exit, an error text, or one that fails the task. */
export function isErrorEvent(e: LegacyTaskEvent): boolean {
  if (e.FailsTask || ERROR_TYPES.has(e.Type) || e.DriverError !== '' || e.SetupError !== '' || e.KillError !== '') return true;
  return e.Type === 'Terminated' && (e.ExitCode !== 0 || e.Message !== '');
}

/**
 * An event's text as Nomad's own display message reads (structs.TaskEvent.PopulateEventDisplayMessage),
 * from the fields 2.x's TaskEvent has.
 */
export function eventText(e: LegacyTaskEvent): string {
  switch (e.Type) {
    case 'Terminated': {
      const parts = [`Exit Code: ${e.ExitCode}`];
      if (e.Message !== '') parts.push(`Exit Message: ${JSON.stringify(e.Message)}`);
      return parts.join(', ');
    }
    case 'Restarting': {
      const when = `Task restarting in ${goDuration(e.StartDelay)}`;
      return e.RestartReason !== '' && e.RestartReason !== 'Restart within policy' ? `${e.RestartReason} - ${when}` : when;
    }
    case 'Not Restarting':
      return e.RestartReason || 'Task exceeded restart policy';
    case 'Started':
      return 'Task started by client';
    case 'Received':
      return 'Task received by client';
    case 'Failed Validation':
      return e.Message || 'Validation of task failed';
    case 'Restart Signaled':
      return e.RestartReason || 'Task signaled to restart';
    case 'Driver':
      return e.DriverMessage;
    case 'Leader Task Dead':
      return 'Leader Task in Group dead';
    case 'Driver Failure':
      return e.DriverError || 'Failed to start task';
    case 'Setup Failure':
      return e.SetupError || e.Message;
    case 'Killing':
      return e.KillReason || `Sent interrupt. Waiting ${goDuration(e.KillTimeout)} before force killing`;
    case 'Killed':
      return e.KillError || 'Task successfully killed';
    case 'Signaling':
      return e.TaskSignalReason || `Task being sent signal ${e.TaskSignal}`;
    case 'Sibling Task Failed':
      return e.FailedSibling ? `Task's sibling ${JSON.stringify(e.FailedSibling)} failed` : 'Task\'s sibling failed';
    default:
      return e.Message || e.DriverMessage || e.DriverError || e.SetupError || e.RestartReason || e.KillError || '';
  }
}

/** The text an operator needs of an error event: the task's own exit message when it has one, else the event's text. */
export function errorText(e: LegacyTaskEvent): string {
  if (e.Type === 'Terminated' && e.Message !== '') return e.Message;
  return eventText(e);
}

function eventsOf(a: LegacyAllocListStub): LegacyTaskEvent[] {
  const states: LegacyTaskState[] = Object.values(a.TaskStates ?? {});
  const events = states.flatMap((s) => s.Events);
  // several task states (a group with more tasks): one timeline in time order
  return states.length > 1 ? events.sort((x, y) => ((x.Time ?? '') < (y.Time ?? '') ? -1 : (x.Time ?? '') > (y.Time ?? '') ? 1 : 0)) : events;
}

/** An allocation's task events as a timeline. */
export function timelineOf(a: LegacyAllocListStub): UiEvent[] {
  return eventsOf(a).map((e) => ({ time: e.Time ?? '', type: e.Type, message: eventText(e), error: isErrorEvent(e) }));
}

/** A task's health in its latest allocation. */
export function healthOf(a: LegacyAllocListStub): { health: UiHealth; restarts: number } {
  const states = Object.values(a.TaskStates ?? {});
  const events = eventsOf(a);
  const restarts = events.filter((e) => e.Type === 'Restarting').length;
  if (a.ClientStatus === 'failed' || states.some((s) => s.Failed)) return { health: 'failed', restarts };
  if (a.ClientStatus === 'lost') return { health: 'lost', restarts };
  const last = events.at(-1);
  if (states.some((s) => s.State === 'pending') && last?.Type === 'Restarting') return { health: 'restarting', restarts };
  return { health: a.ClientStatus, restarts };
}

const FAILING_HEALTH = new Set(['failed', 'lost', 'restarting']);

/** Allocations grouped by job ID (one pass over the whole list). */
export function allocsByJob(allocs: readonly LegacyAllocListStub[]): Map<string, LegacyAllocListStub[]> {
  const out = new Map<string, LegacyAllocListStub[]>();
  for (const a of allocs) {
    const list = out.get(a.JobID);
    if (list) list.push(a);
    else out.set(a.JobID, [a]);
  }
  return out;
}

const taskOrder = (t: string) => (t === 'Src' ? 0 : t === 'Dest' ? 1 : 2);

/** Each legacy task's latest allocation (highest CreateIndex), Src then Dest then the others by name, and the earlier ones. */
export function latestByTask(allocs: readonly LegacyAllocListStub[]): Array<{ latest: LegacyAllocListStub; earlier: LegacyAllocListStub[] }> {
  const by = new Map<string, LegacyAllocListStub[]>();
  for (const a of allocs) {
    const list = by.get(a.Task);
    if (list) list.push(a);
    else by.set(a.Task, [a]);
  }
  return [...by.entries()]
    .sort(([a], [b]) => taskOrder(a) - taskOrder(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, list]) => {
      const sorted = [...list].sort((x, y) => y.CreateIndex - x.CreateIndex);
      return { latest: sorted[0] as LegacyAllocListStub, earlier: sorted.slice(1) };
    });
}

/** Events that follow a failure rather than tell its cause. */
const CONSEQUENCE_TYPES = new Set(['Not Restarting', 'Alloc Unhealthy', 'Sibling Task Failed']);

/** The last error event that tells a cause (the exit message, the driver's error), else the last error event. */
function lastErrorOf(events: readonly LegacyTaskEvent[]): UiTask['lastError'] {
  let fallback: LegacyTaskEvent | null = null;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i] as LegacyTaskEvent;
    if (!isErrorEvent(e)) continue;
    if (!CONSEQUENCE_TYPES.has(e.Type)) return { time: e.Time ?? '', text: errorText(e) };
    fallback ??= e;
  }
  return fallback ? { time: fallback.Time ?? '', text: errorText(fallback) } : null;
}

/** A task fails: failed, lost or waiting to restart, or its allocation failed and the replacement does not run yet. */
export function isFailing(t: Pick<UiTask, 'health' | 'failedAllocs'>): boolean {
  return FAILING_HEALTH.has(t.health) || (t.failedAllocs > 0 && t.health !== 'running');
}

function uiTaskOf(latest: LegacyAllocListStub, earlier: readonly LegacyAllocListStub[], nodeNames: ReadonlyMap<string, string>): UiTask {
  const { health, restarts } = healthOf(latest);
  const events = eventsOf(latest);
  // the latest allocation's last error; before it has one, the last of the allocations it replaced
  let lastError: UiTask['lastError'] = null;
  for (const a of [latest, ...earlier]) {
    lastError = lastErrorOf(a === latest ? events : eventsOf(a));
    if (lastError) break;
  }
  // a stopped allocation's last stage is not the job's
  const stage = latest.ClientStatus === 'running' ? stageOfLegacyEvents(events) : '';
  return {
    task: latest.Task,
    allocId: latest.ID,
    nodeId: latest.NodeID,
    nodeName: nodeNames.get(latest.NodeID) ?? '',
    clientStatus: latest.ClientStatus,
    health,
    restarts,
    failedAllocs: earlier.filter((a) => a.ClientStatus === 'failed').length,
    lastError,
    stage,
  };
}

/**
 * The job's stage: dtle's JobStage in Consul when it keeps one; else incremental as soon as any task
 * reports job_stage_incr, full when one reports job_stage_full, '' when none reported one.
 */
export function jobStageOf(state: DtleState | null, tasks: readonly Pick<UiTask, 'stage'>[]): { stage: UiStage; from: UiJob['stageFrom'] } {
  if (state?.stage) return { stage: state.stage === 'incr' ? 'incremental' : 'full', from: 'consul' };
  const stages = tasks.map((t) => t.stage);
  if (stages.includes('incremental')) return { stage: 'incremental', from: 'events' };
  if (stages.includes('full')) return { stage: 'full', from: 'events' };
  return { stage: '', from: '' };
}

/** Percent of rows copied, one decimal (100 when the total is 0 and nothing is left). */
export function percentOf(exec: number, total: number): number {
  if (total <= 0) return exec > 0 ? 100 : 0;
  return Math.min(100, Math.floor((1000 * exec) / total) / 10);
}

const UUID_SHOWN = 8;
const GTID_PARTS_SHOWN = 2;
const INTERVALS_SHOWN = 24;

/**
 * A GTID set short enough for a table cell: each source UUID to its first 8 hex digits and `…`, its
 * intervals kept (a long interval list to its last one), at most two sources and `+N more`.
 */
export function shortGtid(gtid: string): string {
  const parts = gtid
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const shown = parts.slice(0, GTID_PARTS_SHOWN).map((p) => {
    const colon = p.indexOf(':');
    if (colon < 0) return p.length > UUID_SHOWN * 2 ? `${p.slice(0, UUID_SHOWN)}…` : p;
    const uuid = p.slice(0, colon);
    let intervals = p.slice(colon + 1);
    if (intervals.length > INTERVALS_SHOWN) intervals = `…:${intervals.slice(intervals.lastIndexOf(':') + 1)}`;
    return `${uuid.length > UUID_SHOWN ? `${uuid.slice(0, UUID_SHOWN)}…` : uuid}:${intervals}`;
  });
  const more = parts.length - shown.length;
  return shown.join(',') + (more > 0 ? ` +${more} more` : '');
}

function progressOf(state: DtleState | null, stage: UiStage, eta: string | null): UiProgress | null {
  const dump = state?.dumpProgress;
  if (!dump || stage !== 'full') return null;
  const { exec, total } = dump.value;
  return { exec, total, pct: percentOf(exec, total), eta };
}

function positionOf(state: DtleState | null, stage: UiStage, moved: Observed['moved']): UiPosition | null {
  if (!state || stage !== 'incremental' || (!state.gtid && !state.binlog)) return null;
  const gtid = state.gtid?.value ?? '';
  return {
    gtid,
    gtidShort: shortGtid(gtid),
    file: state.binlog?.value.file ?? '',
    pos: state.binlog?.value.pos ?? null,
    movedAtMs: moved?.atMs ?? null,
    movedExact: moved?.exact ?? false,
  };
}

/** The ModifyIndex of the job's replication position (Gtid, binlog file/position), null when Consul has neither. */
export function positionIndexOf(state: DtleState | null): number | null {
  const idx = [state?.gtid?.modifyIndex, state?.binlog?.modifyIndex].filter((i): i is number => i !== undefined);
  return idx.length === 0 ? null : Math.max(...idx);
}

/** A job's row of the page. `allocs` are its own allocations (allocsByJob). */
export function uiJobOf(stub: Pick<LegacyJobListStub, 'ID' | 'Name' | 'Type' | 'Status'>, allocs: readonly LegacyAllocListStub[], observed: Observed, nodeNames: ReadonlyMap<string, string>): UiJob {
  const paused = stub.Status === 'pause';
  const tasks = latestByTask(allocs).map(({ latest, earlier }) => uiTaskOf(latest, earlier, nodeNames));
  const { stage, from } = jobStageOf(observed.state, tasks);
  return {
    id: stub.ID,
    name: stub.Name,
    type: stub.Type,
    status: stub.Status,
    paused,
    stage,
    stageFrom: from,
    progress: progressOf(observed.state, stage, observed.eta),
    position: positionOf(observed.state, stage, observed.moved),
    tasks,
    failing: !paused && tasks.some(isFailing),
  };
}

/** Failing jobs first, then by ID (the legacy list's order). */
export function sortJobs(jobs: readonly UiJob[]): UiJob[] {
  return [...jobs].sort((a, b) => Number(b.failing) - Number(a.failing) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The page's status filter: `failing`, or one of the 2.x statuses. */
export const STATUS_FILTERS = ['failing', 'running', 'pending', 'dead', 'pause'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export function isStatusFilter(s: string): s is StatusFilter {
  return (STATUS_FILTERS as readonly string[]).includes(s);
}

export function matchesFilter(job: UiJob, filter: StatusFilter | null): boolean {
  if (filter === null) return true;
  return filter === 'failing' ? job.failing : job.status === filter;
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

/** How long ago, in a few words: `4 s`, `3 min`, `2 h 5 min`, `3 d`. */
export function agoText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}
