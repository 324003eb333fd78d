/**
 * Nomad evaluations → dtle 2.x evaluations. Pure functions.
 *
 * 2.x evaluated a job with the scheduler of its job type, so an evaluation's `Type` is the legacy
 * job type (`synchronous`, `migration`, `subscribe`) when the job is known; the maps keyed by task
 * group (`FailedTGAllocs`, `QueuedAllocations`) are keyed by the legacy task (`Src`, `Dest`).
 */
import type { EvaluationDetail } from '../nomad/types';
import type { LegacyAllocMetric, LegacyEvaluation } from '../legacy/types';
import { legacyAllocMetric, legacyTaskOfAlloc, type AllocJobView } from './alloc';

function byTask<T, U>(map: Record<string, T> | null, view: AllocJobView | null, f: (v: T) => U): Record<string, U> | null {
  if (map === null) return null;
  const out: Record<string, U> = {};
  for (const [group, v] of Object.entries(map)) out[legacyTaskOfAlloc(group, view)] = f(v);
  return out;
}

/** models.Evaluation from Nomad's Evaluation. `legacyType` is the job's legacy Type, when known. */
export function legacyEvaluation(e: EvaluationDetail, view: AllocJobView | null, legacyType: string | null): LegacyEvaluation {
  return {
    ID: e.ID,
    Type: legacyType ?? e.Type,
    TriggeredBy: e.TriggeredBy,
    JobID: e.JobID,
    JobModifyIndex: e.JobModifyIndex,
    NodeID: e.NodeID,
    NodeModifyIndex: e.NodeModifyIndex,
    Status: e.Status,
    StatusDescription: e.StatusDescription,
    Wait: e.Wait,
    NextEval: e.NextEval,
    PreviousEval: e.PreviousEval,
    BlockedEval: e.BlockedEval ?? '',
    FailedTGAllocs: byTask<Parameters<typeof legacyAllocMetric>[0], LegacyAllocMetric>(e.FailedTGAllocs, view, legacyAllocMetric),
    ClassEligibility: e.ClassEligibility,
    EscapedComputedClass: e.EscapedComputedClass,
    AnnotatePlan: e.AnnotatePlan,
    QueuedAllocations: byTask(e.QueuedAllocations, view, (n: number) => n),
    SnapshotIndex: e.SnapshotIndex,
    CreateIndex: e.CreateIndex,
    ModifyIndex: e.ModifyIndex,
  };
}
