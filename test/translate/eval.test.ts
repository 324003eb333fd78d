import { EvaluationDetail, EvaluationDetailList } from '../../src/nomad/types';
import { legacyEvaluation } from '../../src/translate/eval';
import type { AllocJobView } from '../../src/translate/alloc';
import { nomadFixture } from '../support/runtimeFixtures';

/** seed 000: Nomad 1.2's GET /v1/job/{ID}/evaluations */
const evals = nomadFixture('job-evaluations.json', EvaluationDetailList);

const view: AllocJobView = {
  name: 'test1-2',
  groups: new Map([
    ['recognize_redis', 'Src'],
    ['dest', 'Dest'],
  ]),
  tasks: new Map(),
  secrets: [],
};

const GO_ORDER = [
  'ID',
  'Type',
  'TriggeredBy',
  'JobID',
  'JobModifyIndex',
  'NodeID',
  'NodeModifyIndex',
  'Status',
  'StatusDescription',
  'Wait',
  'NextEval',
  'PreviousEval',
  'BlockedEval',
  'FailedTGAllocs',
  'ClassEligibility',
  'EscapedComputedClass',
  'AnnotatePlan',
  'QueuedAllocations',
  'SnapshotIndex',
  'CreateIndex',
  'ModifyIndex',
];

describe('legacyEvaluation', () => {
  it("is 2.x's Evaluation: its fields in Go order, the legacy job type, maps keyed by legacy task", () => {
    const out = legacyEvaluation(evals[0] as EvaluationDetail, view, 'synchronous');
    expect(Object.keys(out)).toEqual(GO_ORDER);
    expect(out).toEqual({
      ID: '0af80e99-edfc-152d-ba25-360dbec37277',
      Type: 'synchronous',
      TriggeredBy: 'job-register',
      JobID: 'recognize_redis_example',
      JobModifyIndex: 14,
      NodeID: '',
      NodeModifyIndex: 0,
      Status: 'complete',
      StatusDescription: '',
      Wait: 0,
      NextEval: '',
      PreviousEval: '',
      BlockedEval: '',
      FailedTGAllocs: null,
      ClassEligibility: null,
      EscapedComputedClass: false,
      AnnotatePlan: false,
      QueuedAllocations: { Src: 0 },
      SnapshotIndex: 14,
      CreateIndex: 14,
      ModifyIndex: 16,
    });
  });

  it("keeps Nomad's Type when the job type is unknown, and maps failed allocations per task", () => {
    const e = EvaluationDetail.parse({
      ID: 'e2',
      Type: 'service',
      JobID: 'j',
      Status: 'blocked',
      FailedTGAllocs: { dest: { NodesEvaluated: 2, NodesFiltered: 2, ConstraintFiltered: { '${node.unique.name} = dtle': 2 }, AllocationTime: 1000 } },
      ClassEligibility: { 'v1:1': false },
      QueuedAllocations: { src: 0, dest: 1 },
      CreateIndex: 1,
      ModifyIndex: 2,
    });
    const out = legacyEvaluation(e, null, null);
    expect(out.Type).toBe('service');
    expect(out.QueuedAllocations).toEqual({ Src: 0, Dest: 1 });
    expect(out.ClassEligibility).toEqual({ 'v1:1': false });
    expect(out.FailedTGAllocs).toEqual({
      Dest: {
        NodesEvaluated: 2,
        NodesFiltered: 2,
        NodesAvailable: null,
        ClassFiltered: null,
        ConstraintFiltered: { '${node.unique.name} = dtle': 2 },
        NodesExhausted: 0,
        ClassExhausted: null,
        DimensionExhausted: null,
        Scores: null,
        AllocationTime: 1000,
        CoalescedFailures: 0,
      },
    });
  });
});
