/**
 * Nomad allocations → dtle 2.x allocations. Pure functions: no I/O, no masking of the embedded
 * job (callers mask on the way out).
 *
 * A dtle job on Nomad has a task group per legacy task (`src`, `dest`), so one Nomad allocation is
 * one legacy allocation of one task: `Task` is `Src`/`Dest`, `Name` is `<job Name>.<Task>` and
 * `TaskStates` is keyed by `Src`/`Dest` as 2.x had it.
 */
import type { Allocation, AllocListStub, AllocMetric, Job, TaskEvent, TaskState } from '../nomad/types';
import { AllocMetric as AllocMetricSchema } from '../nomad/types';
import type {
  LegacyAllocation,
  LegacyAllocListStub,
  LegacyAllocMetric,
  LegacyJob,
  LegacyTaskEvent,
  LegacyTaskState,
  LegacyTaskType,
} from '../legacy/types';
import { int64 } from '../legacy/int64';
import { redactText } from '../logging/redact';
import { secretValuesOf } from './mask';
import { dtleTasksOf } from './fromNomad';
import { legacyNameOf } from './identity';
import { legacyTime, nanosToRfc3339 } from './time';

/** What the allocation translation needs to know about the allocation's job. */
export interface AllocJobView {
  /** the job's legacy Name (2.x named allocations `<Name>.<Task>`) */
  name: string;
  /** Nomad task group name → legacy task type */
  groups: ReadonlyMap<string, LegacyTaskType>;
  /** Nomad task name → legacy task type */
  tasks: ReadonlyMap<string, LegacyTaskType>;
  /** secret values of the job's task configs: scrubbed from event texts */
  secrets: readonly string[];
}

/** The view of a dtle job (null when the job is not a dtle job). */
export function allocJobView(job: Pick<Job, 'ID' | 'Name' | 'Meta' | 'TaskGroups'>, drivers: readonly string[]): AllocJobView | null {
  const refs = dtleTasksOf(job, drivers);
  if (refs === null) return null;
  const groups = new Map<string, LegacyTaskType>();
  const tasks = new Map<string, LegacyTaskType>();
  for (const r of refs) {
    groups.set(r.group.Name, r.type);
    tasks.set(r.task.Name, r.type);
  }
  return {
    name: legacyNameOf(job),
    groups,
    tasks,
    secrets: secretValuesOf(job.TaskGroups.map((g) => g.Tasks.map((t) => t.Config))),
  };
}

function typeOfName(name: string): LegacyTaskType | null {
  const n = name.toLowerCase();
  return n === 'src' ? 'Src' : n === 'dest' ? 'Dest' : null;
}

/** The legacy task type of an allocation: from the job's groups, else the group name (src → Src, dest → Dest), else the group name. */
export function legacyTaskOfAlloc(taskGroup: string, view: AllocJobView | null): string {
  return view?.groups.get(taskGroup) ?? typeOfName(taskGroup) ?? taskGroup;
}

/** The legacy key of a Nomad task state (`src` → `Src`). */
export function legacyTaskKey(taskName: string, view: AllocJobView | null): string {
  return view?.tasks.get(taskName) ?? typeOfName(taskName) ?? taskName;
}

/**
 * The driver's message of an event: Nomad 1.x keeps a driver event's text in DisplayMessage and,
 * for drivers that set it, DriverMessage (dtle's `job_stage_full` / `job_stage_incr`).
 */
export function driverMessageOf(e: Pick<TaskEvent, 'Type' | 'DriverMessage' | 'DisplayMessage'>): string {
  if (e.DriverMessage !== '') return e.DriverMessage;
  if (e.Type === 'Driver' || /^job_stage_/.test(e.DisplayMessage)) return e.DisplayMessage;
  return '';
}

/** models.TaskEvent from Nomad's TaskEvent: Time as RFC 3339 with exact nanoseconds. */
export function legacyTaskEvent(e: TaskEvent, secrets: readonly string[] = []): LegacyTaskEvent {
  const text = (s: string) => (s === '' ? s : redactText(s, secrets));
  return {
    Type: e.Type,
    Time: nanosToRfc3339(e.Time),
    FailsTask: e.FailsTask,
    RestartReason: text(e.RestartReason),
    SetupError: text(e.SetupError),
    DriverError: text(e.DriverError),
    ExitCode: e.ExitCode,
    Message: text(e.Message),
    KillTimeout: e.KillTimeout,
    KillError: text(e.KillError),
    KillReason: text(e.KillReason),
    StartDelay: e.StartDelay,
    DiskLimit: e.DiskLimit,
    FailedSibling: e.FailedSibling,
    TaskSignalReason: text(e.TaskSignalReason),
    TaskSignal: e.TaskSignal,
    DriverMessage: text(driverMessageOf(e)),
  };
}

/** models.TaskState */
export function legacyTaskState(s: TaskState, secrets: readonly string[] = []): LegacyTaskState {
  return {
    State: s.State,
    Failed: s.Failed,
    StartedAt: legacyTime(s.StartedAt),
    FinishedAt: legacyTime(s.FinishedAt),
    Events: s.Events.map((e) => legacyTaskEvent(e, secrets)),
  };
}

export function legacyTaskStates(
  states: Record<string, TaskState> | null,
  view: AllocJobView | null,
): Record<string, LegacyTaskState> | null {
  if (states === null) return null;
  const out: Record<string, LegacyTaskState> = {};
  for (const [name, state] of Object.entries(states)) out[legacyTaskKey(name, view)] = legacyTaskState(state, view?.secrets ?? []);
  return out;
}

/** models.AllocListStub from Nomad's AllocationListStub (or a full Allocation). */
export function legacyAllocStub(a: AllocListStub, view: AllocJobView | null): LegacyAllocListStub {
  const task = legacyTaskOfAlloc(a.TaskGroup, view);
  return {
    ID: a.ID,
    EvalID: a.EvalID,
    Name: `${view?.name ?? a.JobID}.${task}`,
    NodeID: a.NodeID,
    JobID: a.JobID,
    Task: task,
    DesiredStatus: a.DesiredStatus,
    DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus,
    ClientDescription: a.ClientDescription,
    TaskStates: legacyTaskStates(a.TaskStates, view),
    CreateIndex: a.CreateIndex,
    ModifyIndex: a.ModifyIndex,
    CreateTime: int64(a.CreateTime),
  };
}

/** models.AllocMetric from Nomad's AllocMetric (same fields; Nomad's extra ones are dropped). */
export function legacyAllocMetric(m: AllocMetric): LegacyAllocMetric {
  return {
    NodesEvaluated: m.NodesEvaluated,
    NodesFiltered: m.NodesFiltered,
    NodesAvailable: m.NodesAvailable,
    ClassFiltered: m.ClassFiltered,
    ConstraintFiltered: m.ConstraintFiltered,
    NodesExhausted: m.NodesExhausted,
    ClassExhausted: m.ClassExhausted,
    DimensionExhausted: m.DimensionExhausted,
    Scores: m.Scores,
    AllocationTime: m.AllocationTime,
    CoalescedFailures: m.CoalescedFailures,
  };
}

function metricOf(raw: Record<string, unknown> | null): LegacyAllocMetric | null {
  if (raw === null) return null;
  const parsed = AllocMetricSchema.safeParse(raw);
  return parsed.success ? legacyAllocMetric(parsed.data) : null;
}

/**
 * models.Allocation from Nomad's Allocation. `legacyJob` is the allocation's job in legacy form
 * (nomadJobToLegacy of `a.Job`), or null.
 */
export function legacyAllocation(a: Allocation, view: AllocJobView | null, legacyJob: LegacyJob | null): LegacyAllocation {
  const { ID, EvalID, Name, NodeID, JobID, Task, DesiredStatus, DesiredDescription, ClientStatus, ClientDescription, TaskStates, CreateIndex, ModifyIndex, CreateTime } =
    legacyAllocStub(a, view);
  // prettier-ignore
  return {
    ID, EvalID, Name, NodeID, JobID, Job: legacyJob, Task, Metrics: metricOf(a.Metrics),
    DesiredStatus, DesiredDescription, ClientStatus, ClientDescription, TaskStates, PreviousAllocation: a.PreviousAllocation,
    CreateIndex, ModifyIndex, AllocModifyIndex: a.AllocModifyIndex ?? a.ModifyIndex, CreateTime,
  };
}
