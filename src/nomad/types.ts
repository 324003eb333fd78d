/**
 * Schemas of the Nomad 1.x answers dtle-compat reads (field names as in Nomad's `api` package).
 * Only the fields the service uses are typed; every object keeps the rest (loose), because
 * passthrough bodies and job updates must not lose what Nomad sent.
 */
import { z } from 'zod';

/** An int64 value (nanosecond times): the client reads every integer beyond 2^53 as its digits (json.ts), so nothing loses precision. */
export const Int64 = z.union([z.string().regex(/^-?\d+$/), z.number()]).transform((v) => String(v));
export type Int64 = string;

const str = z.string().nullish().transform((v) => v ?? '');
const num = z.number().nullish().transform((v) => v ?? 0);
const bool = z.boolean().nullish().transform((v) => v ?? false);
const strMap = z.record(z.string(), z.string()).nullish().transform((v) => v ?? null);
/** any JSON object, as it is */
export const JsonObject = z.record(z.string(), z.unknown());
const jsonObject = JsonObject;

export const Constraint = z.looseObject({ LTarget: str, RTarget: str, Operand: str });
export type Constraint = z.infer<typeof Constraint>;

export const Affinity = z.looseObject({ LTarget: str, RTarget: str, Operand: str, Weight: num });
export type Affinity = z.infer<typeof Affinity>;

export const Task = z.looseObject({
  Name: z.string(),
  Driver: str,
  Config: jsonObject.nullish().transform((v) => v ?? {}),
  Constraints: z.array(Constraint).nullish().transform((v) => v ?? null),
  Affinities: z.array(Affinity).nullish().transform((v) => v ?? null),
  Meta: strMap,
  Leader: bool,
});
export type Task = z.infer<typeof Task>;

export const TaskGroup = z.looseObject({
  Name: z.string(),
  Count: num,
  Tasks: z.array(Task).nullish().transform((v) => v ?? []),
  Constraints: z.array(Constraint).nullish().transform((v) => v ?? null),
  Affinities: z.array(Affinity).nullish().transform((v) => v ?? null),
  Meta: strMap,
});
export type TaskGroup = z.infer<typeof TaskGroup>;

/** The fields a job and its list stub (structs.JobListStub) share. */
const jobHead = {
  ID: z.string(),
  Name: str,
  Namespace: str,
  Type: str,
  Status: str,
  StatusDescription: str,
  Stop: bool,
  SubmitTime: Int64.nullish(),
  CreateIndex: num,
  ModifyIndex: num,
  JobModifyIndex: num,
};

export const Job = z.looseObject({
  ...jobHead,
  Region: str,
  Priority: num,
  Version: num,
  Meta: strMap,
  Datacenters: z.array(z.string()).nullish().transform((v) => v ?? []),
  Constraints: z.array(Constraint).nullish().transform((v) => v ?? null),
  Affinities: z.array(Affinity).nullish().transform((v) => v ?? null),
  TaskGroups: z.array(TaskGroup).nullish().transform((v) => v ?? []),
});
export type Job = z.infer<typeof Job>;
/**
 * A job as a caller writes it to PUT /v1/jobs (api.Job): what Job reads, each field the schema
 * defaults left optional, any other api.Job field beside them. What the simulator accepts.
 */
export type JobInput = z.input<typeof Job>;

export const JobSummary = z.looseObject({
  JobID: str,
  Summary: z
    .record(
      z.string(),
      z.looseObject({ Queued: num, Complete: num, Failed: num, Running: num, Starting: num, Lost: num }),
    )
    .nullish()
    .transform((v) => v ?? {}),
  CreateIndex: num,
  ModifyIndex: num,
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobListStub = z.looseObject({
  ...jobHead,
  Meta: strMap.optional(),
  JobSummary: JobSummary.nullish(),
});
export type JobListStub = z.infer<typeof JobListStub>;
export const JobList = z.array(JobListStub).nullish().transform((v) => v ?? []);

/** JobRegisterResponse / JobDeregisterResponse */
export const JobWriteResponse = z.looseObject({
  EvalID: str, EvalCreateIndex: num, JobModifyIndex: num, Index: num.optional(),
  Warnings: str.optional(),
});
export type JobWriteResponse = z.infer<typeof JobWriteResponse>;

export const JobValidateResponse = z.looseObject({
  DriverConfigValidated: bool,
  ValidationErrors: z.array(z.string()).nullish().transform((v) => v ?? null),
  Error: str,
  Warnings: str,
});
export type JobValidateResponse = z.infer<typeof JobValidateResponse>;

export const TaskEvent = z.looseObject({
  Type: str,
  Time: Int64.nullish().transform((v) => v ?? '0'),
  Message: str, DisplayMessage: str, DriverMessage: str, DriverError: str, SetupError: str,
  RestartReason: str, FailsTask: bool, ExitCode: num, Signal: num, KillTimeout: num,
  KillError: str, KillReason: str, StartDelay: num, DiskLimit: num, FailedSibling: str,
  TaskSignalReason: str, TaskSignal: str, Details: strMap.optional(),
});
export type TaskEvent = z.infer<typeof TaskEvent>;

export const TaskState = z.looseObject({
  State: str,
  Failed: bool,
  Restarts: num,
  StartedAt: z.string().nullish().transform((v) => v ?? null),
  FinishedAt: z.string().nullish().transform((v) => v ?? null),
  Events: z.array(TaskEvent).nullish().transform((v) => v ?? []),
});
export type TaskState = z.infer<typeof TaskState>;

const allocCommon = {
  ID: z.string(), EvalID: str, Name: str, Namespace: str, NodeID: str, NodeName: str, JobID: str,
  JobType: str.optional(), TaskGroup: str, DesiredStatus: str, DesiredDescription: str,
  ClientStatus: str, ClientDescription: str,
  TaskStates: z.record(z.string(), TaskState).nullish().transform((v) => v ?? null),
  CreateIndex: num,
  ModifyIndex: num,
  AllocModifyIndex: num.optional(),
  CreateTime: Int64.nullish().transform((v) => v ?? '0'),
  ModifyTime: Int64.nullish().transform((v) => v ?? '0'),
  FollowupEvalID: str.optional(),
};

export const AllocListStub = z.looseObject(allocCommon);
export type AllocListStub = z.infer<typeof AllocListStub>;
export const AllocList = z.array(AllocListStub).nullish().transform((v) => v ?? []);

export const Allocation = z.looseObject({
  ...allocCommon,
  Job: Job.nullish().transform((v) => v ?? null),
  Metrics: jsonObject.nullish().transform((v) => v ?? null),
  PreviousAllocation: str,
});
export type Allocation = z.infer<typeof Allocation>;

export const DriverInfo = z.looseObject({
  Attributes: strMap,
  Detected: bool,
  Healthy: bool,
});
export type DriverInfo = z.infer<typeof DriverInfo>;

const nodeCommon = {
  ID: z.string(), Name: str, Address: str.optional(), Datacenter: str, NodeClass: str.optional(),
  Version: str.optional(), Status: str, StatusDescription: str, Drain: bool.optional(),
  SchedulingEligibility: str.optional(),
  Drivers: z.record(z.string(), DriverInfo).nullish().transform((v) => v ?? null),
  CreateIndex: num,
  ModifyIndex: num,
};
export const NodeListStub = z.looseObject(nodeCommon);
export type NodeListStub = z.infer<typeof NodeListStub>;
export const NodeList = z.array(NodeListStub).nullish().transform((v) => v ?? []);

export const Node = z.looseObject({
  ...nodeCommon,
  HTTPAddr: str,
  Attributes: strMap,
  Meta: strMap,
});
export type Node = z.infer<typeof Node>;

export const AgentMember = z.looseObject({
  Name: str, Addr: str, Port: num, Tags: strMap, Status: str, ProtocolMin: num, ProtocolMax: num,
  ProtocolCur: num, DelegateMin: num, DelegateMax: num, DelegateCur: num,
});
export type AgentMember = z.infer<typeof AgentMember>;

export const ServerMembers = z.looseObject({
  ServerName: str,
  ServerRegion: str,
  ServerDC: str,
  Members: z.array(AgentMember).nullish().transform((v) => v ?? []),
});
export type ServerMembers = z.infer<typeof ServerMembers>;

export const AgentSelf = z.looseObject({
  config: jsonObject.nullish().transform((v) => v ?? {}),
  member: AgentMember.nullish(),
  stats: jsonObject.nullish().transform((v) => v ?? {}),
});
export type AgentSelf = z.infer<typeof AgentSelf>;

export const Evaluation = z.looseObject({
  ID: z.string(), Priority: num, Type: str, TriggeredBy: str, JobID: str, JobModifyIndex: num,
  NodeID: str, NodeModifyIndex: num, Status: str, StatusDescription: str, Wait: num, NextEval: str,
  PreviousEval: str, BlockedEval: str.optional(), CreateIndex: num, ModifyIndex: num,
});
export type Evaluation = z.infer<typeof Evaluation>;
export const EvaluationList = z.array(Evaluation).nullish().transform((v) => v ?? []);

/** GET /v1/operator/raft/configuration (api.RaftConfiguration) */
export const RaftConfiguration = z.looseObject({
  Servers: z.array(z.looseObject({ ID: str, Node: str, Address: str, Leader: z.boolean(), Voter: z.boolean() })).nullish().transform((v) => v ?? []),
  Index: Int64,
});
export type RaftConfiguration = z.infer<typeof RaftConfiguration>;

export const StringValue = z.string();
export const StringList = z.array(z.string()).nullish().transform((v) => v ?? []);

export const Variable = z.looseObject({
  Namespace: str,
  Path: z.string(),
  Items: z.record(z.string(), z.string()).nullish().transform((v) => v ?? {}),
  CreateIndex: num,
  ModifyIndex: num,
});
export type Variable = z.infer<typeof Variable>;

/** any JSON (passthrough answers) */
export const AnyJson = z.unknown();

/* ------------------------------------------------------------------ runtime routes (allocations, evaluations, nodes, agent) */

const numMap = z.record(z.string(), z.number()).nullish().transform((v) => v ?? null);

/** structs.AllocMetric (an allocation's Metrics, an evaluation's FailedTGAllocs) */
export const AllocMetric = z.looseObject({
  NodesEvaluated: num, NodesFiltered: num, NodesAvailable: numMap, ClassFiltered: numMap,
  ConstraintFiltered: numMap, NodesExhausted: num, ClassExhausted: numMap,
  DimensionExhausted: numMap, Scores: numMap, AllocationTime: num, CoalescedFailures: num,
});
export type AllocMetric = z.infer<typeof AllocMetric>;

/** An evaluation with the fields 2.x's Evaluation also had. */
export const EvaluationDetail = Evaluation.extend({
  FailedTGAllocs: z.record(z.string(), AllocMetric).nullish().transform((v) => v ?? null),
  ClassEligibility: z.record(z.string(), z.boolean()).nullish().transform((v) => v ?? null),
  EscapedComputedClass: bool, AnnotatePlan: bool, QueuedAllocations: numMap, SnapshotIndex: num,
});
export type EvaluationDetail = z.infer<typeof EvaluationDetail>;
export const EvaluationDetailList = z.array(EvaluationDetail).nullish().transform((v) => v ?? []);

/** A node as /v1/node/{ID} answers it (structs.Node, so ComputedClass is there too). */
export const NodeDetail = Node.extend({
  ComputedClass: str,
  StatusUpdatedAt: num,
});
export type NodeDetail = z.infer<typeof NodeDetail>;

/** The allocations of a node (full allocations, each with its job). */
export const AllocationList = z.array(Allocation).nullish().transform((v) => v ?? []);

/** structs.NodeUpdateResponse (PUT /v1/node/{ID}/evaluate) */
export const NodeUpdateResponse = z.looseObject({
  HeartbeatTTL: num,
  EvalIDs: z.array(z.string()).nullish().transform((v) => v ?? null),
  EvalCreateIndex: num, NodeModifyIndex: num, LeaderRPCAddr: str, NumNodes: num,
  Servers: z
    .array(z.looseObject({ RPCAdvertiseAddr: str, RPCMajorVersion: num, RPCMinorVersion: num, Datacenter: str }))
    .nullish()
    .transform((v) => v ?? null),
  Index: num,
  LastContact: num,
  KnownLeader: bool,
});
export type NodeUpdateResponse = z.infer<typeof NodeUpdateResponse>;
