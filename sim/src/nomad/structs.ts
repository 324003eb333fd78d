/**
 * The Nomad 1.x server objects the simulator keeps and serves, field for field as Nomad's
 * `nomad/structs` (v1.11.3) serialises them: PascalCase keys in declaration order, `null` for nil
 * pointers, slices and maps. Nanosecond timestamps (SubmitTime, CreateTime, event Time, …) are
 * the service's Int64Value (src/legacy/int64.ts), written as plain JSON integers with all their
 * digits by its stringifyLegacy.
 * Durations are nanoseconds as `number` (they stay below 2^53).
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

import type { z } from 'zod';
import type { Int64Value } from '../../../src/legacy/int64';
import type * as api from '../../../src/nomad/types';

/** int64 nanoseconds since the epoch */
export type UnixNanos = Int64Value;

export type StrMap = Record<string, string>;

export interface Constraint {
  LTarget: string;
  RTarget: string;
  Operand: string;
}

export interface Affinity {
  LTarget: string;
  RTarget: string;
  Operand: string;
  Weight: number;
}

export interface Spread {
  Attribute: string;
  Weight: number;
  SpreadTarget: Array<{ Value: string; Percent: number }> | null;
}

export interface UpdateStrategy {
  Stagger: number;
  MaxParallel: number;
  HealthCheck: string;
  MinHealthyTime: number;
  HealthyDeadline: number;
  ProgressDeadline: number;
  AutoRevert: boolean;
  AutoPromote: boolean;
  Canary: number;
}

export interface MigrateStrategy {
  MaxParallel: number;
  HealthCheck: string;
  MinHealthyTime: number;
  HealthyDeadline: number;
}

export interface RestartPolicy {
  Attempts: number;
  Interval: number;
  Delay: number;
  Mode: string;
  RenderTemplates: boolean;
}

export interface ReschedulePolicy {
  Attempts: number;
  Interval: number;
  Delay: number;
  DelayFunction: string;
  MaxDelay: number;
  Unlimited: boolean;
}

export interface EphemeralDisk {
  Sticky: boolean;
  SizeMB: number;
  Migrate: boolean;
}

export interface LogConfig {
  MaxFiles: number;
  MaxFileSizeMB: number;
  Disabled: boolean;
}

export interface Resources {
  CPU: number;
  Cores: number;
  MemoryMB: number;
  MemoryMaxMB: number;
  DiskMB: number;
  IOPS: number;
  Networks: JsonValue[] | null;
  Devices: JsonValue[] | null;
  NUMA: JsonObject | null;
  SecretsMB: number;
}

export interface WorkloadIdentity {
  Name: string;
  Audience: string[] | null;
  ChangeMode: string;
  ChangeSignal: string;
  Env: boolean;
  File: boolean;
  Filepath: string;
  ServiceName: string;
  TTL: number;
}

export interface Task {
  Name: string;
  Driver: string;
  User: string;
  Config: JsonObject | null;
  Env: StrMap | null;
  Services: JsonValue[] | null;
  Vault: JsonObject | null;
  Secrets: JsonValue[] | null;
  Consul: JsonObject | null;
  Templates: JsonValue[] | null;
  Constraints: Constraint[] | null;
  Affinities: Affinity[] | null;
  Resources: Resources;
  RestartPolicy: RestartPolicy;
  DispatchPayload: JsonObject | null;
  Lifecycle: JsonObject | null;
  Meta: StrMap | null;
  KillTimeout: number;
  LogConfig: LogConfig;
  Artifacts: JsonValue[] | null;
  Leader: boolean;
  ShutdownDelay: number;
  VolumeMounts: JsonValue[] | null;
  ScalingPolicies: JsonValue[] | null;
  KillSignal: string;
  Kind: string;
  CSIPluginConfig: JsonObject | null;
  Identity: WorkloadIdentity;
  Identities: WorkloadIdentity[] | null;
  Actions: JsonValue[] | null;
  Schedule: JsonObject | null;
}

export interface TaskGroup {
  Name: string;
  Count: number;
  Update: UpdateStrategy | null;
  Migrate: MigrateStrategy | null;
  Constraints: Constraint[] | null;
  Scaling: JsonObject | null;
  RestartPolicy: RestartPolicy;
  Disconnect: JsonObject | null;
  Tasks: Task[];
  EphemeralDisk: EphemeralDisk;
  Meta: StrMap | null;
  ReschedulePolicy: ReschedulePolicy | null;
  Affinities: Affinity[] | null;
  Spreads: Spread[] | null;
  Networks: JsonValue[] | null;
  Consul: JsonObject | null;
  Services: JsonValue[] | null;
  Volumes: JsonObject | null;
  ShutdownDelay: number | null;
  StopAfterClientDisconnect: number | null;
  MaxClientDisconnect: number | null;
  PreventRescheduleOnLost: boolean;
}

export interface Job {
  Stop: boolean;
  Region: string;
  Namespace: string;
  ID: string;
  ParentID: string;
  Name: string;
  Type: string;
  Priority: number;
  AllAtOnce: boolean;
  Datacenters: string[];
  NodePool: string;
  Constraints: Constraint[] | null;
  Affinities: Affinity[] | null;
  Spreads: Spread[] | null;
  TaskGroups: TaskGroup[];
  Update: UpdateStrategy;
  Multiregion: JsonObject | null;
  Periodic: JsonObject | null;
  ParameterizedJob: JsonObject | null;
  Dispatched: boolean;
  DispatchIdempotencyToken: string;
  Payload: string | null;
  Meta: StrMap | null;
  ConsulNamespace: string;
  VaultNamespace: string;
  NomadTokenID: string;
  Status: string;
  StatusDescription: string;
  Stable: boolean;
  Version: number;
  SubmitTime: UnixNanos;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  UI: JsonObject | null;
  VersionTag: JsonObject | null;
}

export interface TaskGroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
  Unknown: number;
}

export interface JobChildrenSummary {
  Pending: number;
  Running: number;
  Dead: number;
}

export interface JobSummary {
  JobID: string;
  Namespace: string;
  Summary: Record<string, TaskGroupSummary>;
  Children: JobChildrenSummary | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** structs.JobListStub (`Namespace` and `Meta` are omitempty) */
export interface JobListStub {
  ID: string;
  ParentID: string;
  Name: string;
  Namespace?: string;
  Datacenters: string[];
  NodePool: string;
  Multiregion: JsonObject | null;
  Type: string;
  Priority: number;
  Periodic: boolean;
  ParameterizedJob: boolean;
  Stop: boolean;
  Status: string;
  StatusDescription: string;
  JobSummary: JobSummary | null;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  SubmitTime: UnixNanos;
  Meta?: StrMap | null;
}

export interface TaskEvent {
  Type: string;
  Time: UnixNanos;
  Message: string;
  DisplayMessage: string;
  Details: StrMap | null;
  FailsTask: boolean;
  RestartReason: string;
  SetupError: string;
  DriverError: string;
  ExitCode: number;
  Signal: number;
  KillTimeout: number;
  KillError: string;
  KillReason: string;
  StartDelay: number;
  DownloadError: string;
  ValidationError: string;
  DiskLimit: number;
  FailedSibling: string;
  VaultError: string;
  TaskSignalReason: string;
  TaskSignal: string;
  DriverMessage: string;
  GenericSource: string;
}

export interface TaskState {
  State: string;
  Failed: boolean;
  Restarts: number;
  /** RFC 3339 with nanoseconds; null for Go's zero time */
  LastRestart: string | null;
  StartedAt: string | null;
  FinishedAt: string | null;
  Events: TaskEvent[] | null;
  Paused: string;
}

export interface AllocMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesInPool: number;
  NodePool: string;
  NodesAvailable: Record<string, number> | null;
  ClassFiltered: Record<string, number> | null;
  ConstraintFiltered: Record<string, number> | null;
  NodesExhausted: number;
  ClassExhausted: Record<string, number> | null;
  DimensionExhausted: Record<string, number> | null;
  QuotaExhausted: string[] | null;
  ResourcesExhausted: Record<string, Resources> | null;
  Scores: Record<string, number> | null;
  ScoreMetaData: Array<{ NodeID: string; Scores: Record<string, number>; NormScore: number }> | null;
  AllocationTime: number;
  CoalescedFailures: number;
}

export interface DesiredTransition {
  Migrate: boolean | null;
  Reschedule: boolean | null;
  ForceReschedule: boolean | null;
  NoShutdownDelay: boolean | null;
  MigrateDisablePlacement: boolean | null;
}

/** structs.RescheduleEvent */
export interface RescheduleEvent {
  RescheduleTime: UnixNanos;
  PrevAllocID: string;
  PrevNodeID: string;
  Delay: number;
}

/** structs.RescheduleTracker */
export interface RescheduleTracker {
  Events: RescheduleEvent[] | null;
  LastReschedule: string;
}

export interface AllocDeploymentStatus {
  Healthy: boolean | null;
  Timestamp: string | null;
  Canary: boolean;
  ModifyIndex: number;
}

export interface AllocatedTaskResources {
  Cpu: { CpuShares: number; ReservedCores: number[] | null };
  Memory: { MemoryMB: number; MemoryMaxMB: number };
  Networks: JsonValue[] | null;
  Devices: JsonValue[] | null;
}

export interface AllocatedResources {
  Tasks: Record<string, AllocatedTaskResources>;
  TaskLifecycles: Record<string, JsonObject | null>;
  Shared: { Networks: JsonValue[] | null; DiskMB: number; Ports: JsonValue[] | null };
}

export interface AllocNetworkStatus {
  InterfaceName: string;
  Address: string;
  AddressIPv6: string;
  DNS: JsonObject | null;
}

/**
 * structs.Allocation. The struct is `omitempty` as a whole (`_struct bool codec:",omitempty"`), so
 * shapes.ts drops empty values when it serialises one.
 */
export interface Allocation {
  ID: string;
  Namespace: string;
  EvalID: string;
  Name: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  Job: Job;
  TaskGroup: string;
  Resources: Resources | null;
  SharedResources: Resources | null;
  TaskResources: Record<string, Resources> | null;
  AllocatedResources: AllocatedResources | null;
  Metrics: AllocMetric | null;
  DesiredStatus: string;
  DesiredDescription: string;
  DesiredTransition: DesiredTransition;
  ClientStatus: string;
  ClientDescription: string;
  TaskStates: Record<string, TaskState> | null;
  AllocStates: JsonValue[] | null;
  PreviousAllocation: string;
  NextAllocation: string;
  DeploymentID: string;
  DeploymentStatus: AllocDeploymentStatus | null;
  RescheduleTracker: RescheduleTracker | null;
  NetworkStatus: AllocNetworkStatus | null;
  FollowupEvalID: string;
  PreemptedAllocations: string[] | null;
  PreemptedByAllocation: string;
  SigningKeyID: string;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: UnixNanos;
  ModifyTime: UnixNanos;
}

export interface AllocListStub {
  ID: string;
  EvalID: string;
  Name: string;
  Namespace: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  JobType: string;
  JobVersion: number;
  TaskGroup: string;
  AllocatedResources?: AllocatedResources | null;
  DesiredStatus: string;
  DesiredDescription: string;
  ClientStatus: string;
  ClientDescription: string;
  DesiredTransition: DesiredTransition;
  TaskStates: Record<string, TaskState> | null;
  DeploymentStatus: AllocDeploymentStatus | null;
  FollowupEvalID: string;
  NextAllocation: string;
  RescheduleTracker: RescheduleTracker | null;
  PreemptedAllocations: string[] | null;
  PreemptedByAllocation: string;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: UnixNanos;
  ModifyTime: UnixNanos;
}

/** structs.Evaluation (omitempty as a whole) */
export interface Evaluation {
  ID: string;
  Namespace: string;
  Priority: number;
  Type: string;
  TriggeredBy: string;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  DeploymentID: string;
  Status: string;
  StatusDescription: string;
  Wait: number;
  WaitUntil: string | null;
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  RelatedEvals: Array<Record<string, unknown>> | null;
  FailedTGAllocs: Record<string, AllocMetric> | null;
  PlanAnnotations: JsonObject | null;
  ClassEligibility: Record<string, boolean> | null;
  QuotaLimitReached: string;
  EscapedComputedClass: boolean;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number> | null;
  LeaderACL: string;
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: UnixNanos;
  ModifyTime: UnixNanos;
}

export interface DeploymentState {
  AutoRevert: boolean;
  AutoPromote: boolean;
  ProgressDeadline: number;
  RequireProgressBy: string | null;
  Promoted: boolean;
  PlacedCanaries: string[] | null;
  DesiredCanaries: number;
  DesiredTotal: number;
  PlacedAllocs: number;
  HealthyAllocs: number;
  UnhealthyAllocs: number;
}

export interface Deployment {
  ID: string;
  Namespace: string;
  JobID: string;
  JobVersion: number;
  JobModifyIndex: number;
  JobSpecModifyIndex: number;
  JobCreateIndex: number;
  IsMultiregion: boolean;
  TaskGroups: Record<string, DeploymentState>;
  Status: string;
  StatusDescription: string;
  EvalPriority: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: UnixNanos;
  ModifyTime: UnixNanos;
}

export interface DriverInfo {
  Attributes: StrMap | null;
  Detected: boolean;
  Healthy: boolean;
  HealthDescription: string;
  UpdateTime: string | null;
}

export interface NodeResources {
  Cpu: { CpuShares: number; TotalCpuCores: number; ReservableCpuCores: number[] | null };
  Processors: { Topology: JsonObject | null };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Devices: JsonValue[] | null;
  NodeNetworks: JsonValue[] | null;
  Networks: JsonValue[] | null;
  MinDynamicPort: number;
  MaxDynamicPort: number;
}

export interface NodeReservedResources {
  Cpu: { CpuShares: number; ReservedCpuCores: number[] | null };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Networks: { ReservedHostPorts: string };
}

export interface NodeEvent {
  Message: string;
  Subsystem: string;
  Details: StrMap | null;
  Timestamp: string | null;
  CreateIndex: number;
}

/** structs.Node as the HTTP API writes it (SecretID blanked, `Drain` added by the JSON extension) */
export interface Node {
  ID: string;
  SecretID: string;
  Datacenter: string;
  Name: string;
  CgroupParent: string;
  HTTPAddr: string;
  TLSEnabled: boolean;
  Attributes: StrMap;
  NodeResources: NodeResources;
  ReservedResources: NodeReservedResources;
  Links: StrMap | null;
  Meta: StrMap | null;
  NodeClass: string;
  NodePool: string;
  ComputedClass: string;
  DrainStrategy: JsonObject | null;
  SchedulingEligibility: string;
  Status: string;
  StatusDescription: string;
  IdentitySigningKeyID: string;
  StatusUpdatedAt: number;
  Events: NodeEvent[] | null;
  Drivers: Record<string, DriverInfo>;
  CSIControllerPlugins: JsonObject | null;
  CSINodePlugins: JsonObject | null;
  HostVolumes: JsonObject | null;
  GCVolumesOnNodeGC: boolean;
  HostNetworks: JsonObject | null;
  LastDrain: JsonObject | null;
  NodeMaxAllocs: number;
  LastMissedHeartbeatIndex: number;
  LastAllocUpdateIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  Drain: boolean;
}

export interface NodeListStub {
  Address: string;
  ID: string;
  Attributes?: StrMap;
  Datacenter: string;
  Name: string;
  NodePool: string;
  NodeClass: string;
  Version: string;
  Drain: boolean;
  SchedulingEligibility: string;
  Status: string;
  StatusDescription: string;
  Drivers: Record<string, DriverInfo>;
  HostVolumes: JsonObject | null;
  NodeResources?: NodeResources;
  ReservedResources?: NodeReservedResources;
  LastDrain: JsonObject | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** structs.VariableMetadata (+ Items: VariableDecrypted) */
export interface Variable {
  Namespace: string;
  Path: string;
  Lock?: { ID: string; TTL: number; LockDelay: number };
  CreateIndex: number;
  CreateTime: UnixNanos;
  ModifyIndex: number;
  ModifyTime: UnixNanos;
  Items?: StrMap;
}

export interface AgentMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: StrMap;
  Status: string;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

/* ------------------------------------------------------------------ what the service reads of them */

/** A value as JSON carries it: an Int64Value is a number there. */
type Wire<T> = T extends Int64Value ? number : T extends ReadonlyArray<infer E> ? Array<Wire<E>> : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

/** Each struct the simulator serves, with the service's schema (src/nomad/types.ts) for the same answer. */
interface ServedAs {
  Job: [Job, typeof api.Job];
  JobListStub: [JobListStub, typeof api.JobListStub];
  JobSummary: [JobSummary, typeof api.JobSummary];
  Allocation: [Allocation, typeof api.Allocation];
  AllocListStub: [AllocListStub, typeof api.AllocListStub];
  Evaluation: [Evaluation, typeof api.EvaluationDetail];
  AllocMetric: [AllocMetric, typeof api.AllocMetric];
  Node: [Node, typeof api.NodeDetail];
  NodeListStub: [NodeListStub, typeof api.NodeListStub];
  AgentMember: [AgentMember, typeof api.AgentMember];
  Variable: [Variable, typeof api.Variable];
  TaskState: [TaskState, typeof api.TaskState];
  TaskEvent: [TaskEvent, typeof api.TaskEvent];
}

/** The structs whose JSON the service's schema would not read. */
type NotRead = { [K in keyof ServedAs]: Wire<ServedAs[K][0]> extends z.input<ServedAs[K][1]> ? never : K }[keyof ServedAs];

/**
 * A compile-time check: every struct the simulator serves is what the service's schema for the
 * same Nomad answer reads, so the simulator cannot drift from what dtle-compat reads (a struct that
 * does not fits names itself in the type error here).
 */
export const SERVED_AS_READ: [NotRead] extends [never] ? true : NotRead = true;
