/**
 * The dtle 2.x API's JSON shapes (dtle v2.19.11.0, internal/models and api/). Field order follows
 * the Go structs, so answers read like 2.x's. Int64Value marks int64 fields that may exceed 2^53.
 */
import type { Int64Value } from './int64';

export type LegacyTaskType = 'Src' | 'Dest';

export interface LegacyConstraint {
  LTarget: string;
  RTarget: string;
  Operand: string;
}

export type LegacyConfig = Record<string, unknown>;

/** models.Task */
export interface LegacyTask {
  Type: string;
  NodeID: string;
  NodeName: string;
  Driver: string;
  Config: LegacyConfig;
  /** a *sync.RWMutex in Go: always serialised as {} */
  ConfigLock: Record<string, never>;
  Leader: boolean;
  Constraints: LegacyConstraint[] | null;
}

/** models.Job: the fields that come from the job's spec */
export interface LegacyJobSpec {
  Region: string;
  ID: string;
  Orders: string[] | null;
  Name: string;
  Failover: boolean;
  Type: string;
  Datacenters: string[];
  Constraints: LegacyConstraint[] | null;
  Tasks: LegacyTask[];
}

/** models.Job: the fields that come from the job's state */
export interface LegacyJobState {
  Status: string;
  StatusDescription: string;
  EnforceIndex: boolean;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
}

/** models.Job */
export type LegacyJob = LegacyJobSpec & LegacyJobState;

/** models.JobListStub: JobSummary is the whole job */
export interface LegacyJobListStub {
  ID: string;
  Name: string;
  Type: string;
  Status: string;
  StatusDescription: string;
  JobSummary: LegacyJob;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
}

/** models.JobResponse: Success plus the embedded QueryMeta */
export interface LegacyJobResponse {
  Success: boolean;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
}

/** 2.x job types; `synchronous` is the default */
export const LEGACY_JOB_TYPES = ['synchronous', 'migration', 'subscribe'] as const;

/** 2.x job statuses */
export type LegacyJobStatus = 'pending' | 'running' | 'pause' | 'dead' | 'complete' | '';

/** models.TaskEvent */
export interface LegacyTaskEvent {
  Type: string;
  /** RFC 3339 with nanoseconds; null for Go's zero time (2.x's JSON encoder wrote zero times as null) */
  Time: string | null;
  FailsTask: boolean;
  RestartReason: string;
  SetupError: string;
  DriverError: string;
  ExitCode: number;
  Message: string;
  KillTimeout: number;
  KillError: string;
  KillReason: string;
  StartDelay: number;
  DiskLimit: number;
  FailedSibling: string;
  TaskSignalReason: string;
  TaskSignal: string;
  DriverMessage: string;
}

/** models.TaskState */
export interface LegacyTaskState {
  State: string;
  Failed: boolean;
  StartedAt: string | null;
  FinishedAt: string | null;
  Events: LegacyTaskEvent[];
}

/** models.AllocListStub */
export interface LegacyAllocListStub {
  ID: string;
  EvalID: string;
  Name: string;
  NodeID: string;
  JobID: string;
  Task: string;
  DesiredStatus: string;
  DesiredDescription: string;
  ClientStatus: string;
  ClientDescription: string;
  TaskStates: Record<string, LegacyTaskState> | null;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: Int64Value;
}

/* ------------------------------------------------------------------ runtime (allocations, nodes, agent, stats) */

/** models.AllocMetric */
export interface LegacyAllocMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesAvailable: Record<string, number> | null;
  ClassFiltered: Record<string, number> | null;
  ConstraintFiltered: Record<string, number> | null;
  NodesExhausted: number;
  ClassExhausted: Record<string, number> | null;
  DimensionExhausted: Record<string, number> | null;
  Scores: Record<string, number> | null;
  /** time.Duration: nanoseconds */
  AllocationTime: number;
  CoalescedFailures: number;
}

/** models.Allocation (GET /v1/allocation/{ID}, /v1/node/{ID}/allocations) */
export interface LegacyAllocation {
  ID: string;
  EvalID: string;
  Name: string;
  NodeID: string;
  JobID: string;
  Job: LegacyJob | null;
  Task: string;
  Metrics: LegacyAllocMetric | null;
  DesiredStatus: string;
  DesiredDescription: string;
  ClientStatus: string;
  ClientDescription: string;
  TaskStates: Record<string, LegacyTaskState> | null;
  PreviousAllocation: string;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: Int64Value;
}

/** models.Evaluation */
export interface LegacyEvaluation {
  ID: string;
  Type: string;
  TriggeredBy: string;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  Status: string;
  StatusDescription: string;
  /** time.Duration: nanoseconds */
  Wait: number;
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  FailedTGAllocs: Record<string, LegacyAllocMetric> | null;
  ClassEligibility: Record<string, boolean> | null;
  EscapedComputedClass: boolean;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number> | null;
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** models.NodeListStub */
export interface LegacyNodeListStub {
  ID: string;
  Datacenter: string;
  Name: string;
  /** host:port of the 2.x API serving this node (dtle-compat itself) */
  HTTPAddr: string;
  Status: string;
  StatusDescription: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** models.Node */
export interface LegacyNode {
  ID: string;
  Datacenter: string;
  Name: string;
  HTTPAddr: string;
  NatsAddr: string;
  NatsAdvertiseAddr: string;
  Attributes: Record<string, string> | null;
  ComputedClass: string;
  Status: string;
  StatusDescription: string;
  StatusUpdatedAt: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** models.NodeServerInfo */
export interface LegacyNodeServerInfo {
  RPCAdvertiseAddr: string;
  RPCMajorVersion: number;
  RPCMinorVersion: number;
  Datacenter: string;
}

/** models.NodeUpdateResponse (PUT /v1/node/{ID}/evaluate) */
export interface LegacyNodeUpdateResponse {
  /** time.Duration: nanoseconds */
  HeartbeatTTL: number;
  EvalIDs: string[] | null;
  EvalCreateIndex: number;
  NodeModifyIndex: number;
  LeaderRPCAddr: string;
  NumNodes: number;
  Servers: LegacyNodeServerInfo[] | null;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
}

/** models.ServerMember / agent.Member (Addr is a net.IP, written as a string) */
export interface LegacyServerMember {
  Name: string;
  Addr: string;
  Port: number;
  Tags: Record<string, string> | null;
  Status: string;
  ProtocolMin: number;
  ProtocolMax: number;
  ProtocolCur: number;
  DelegateMin: number;
  DelegateMax: number;
  DelegateCur: number;
}

/** models.ServerMembersResponse (GET /v1/members) */
export interface LegacyServerMembers {
  ServerName: string;
  ServerRegion: string;
  ServerDC: string;
  Members: LegacyServerMember[] | null;
}

/** models.RaftConfigurationResponse (internal/models/query.go:239–270) */
export interface LegacyRaftConfiguration {
  Servers: Array<{ ID: string; Node: string; Address: string; Leader: boolean; Voter: boolean }> | null;
  /** a uint64 (Int64Value: every digit written) */
  Index: Int64Value;
}

/** agent.agentSelf (GET /v1/self): lower-case keys as 2.x's struct tags had them */
export interface LegacyAgentSelf {
  config: LegacyAgentConfig;
  member: LegacyServerMember;
  stats: Record<string, Record<string, string>>;
}

/** agent.Config as 2.x's /v1/self showed it (only what can be filled; no secrets) */
export interface LegacyAgentConfig {
  Region: string;
  Datacenter: string;
  NodeName: string;
  DataDir: string;
  PprofSwitch: boolean;
  PprofTime: number;
  LogLevel: string;
  LogMaxSize: number;
  LogMaxBackups: number;
  LogToStdout: boolean;
  PidFile: string;
  LogFile: string;
  BindAddr: string;
  Ports: { HTTP: number; RPC: number; Serf: number; Nats: number };
  Addresses: { HTTP: string; RPC: string; Serf: string; Nats: string };
  AdvertiseAddrs: { HTTP: string; RPC: string; Serf: string; Nats: string };
  Client: { Enabled: boolean; StateDir: string; Servers: string[] | null; NoHostUUID: boolean };
  Server: {
    Enabled: boolean;
    BootstrapExpect: number;
    DataDir: string;
    NumSchedulers: number;
    EnabledSchedulers: string[] | null;
    HeartbeatGrace: string;
    StartJoin: string[] | null;
    RetryMaxAttempts: number;
    RetryInterval: string;
  };
  Profile: string;
  LeaveOnInt: boolean;
  LeaveOnTerm: boolean;
  Version: string;
  Revision: string;
  Files: string[] | null;
  HTTPAPIResponseHeaders: Record<string, string> | null;
  EnableUi: boolean;
  UiDir: string;
  DtleSchemaName: string;
  /** agent/config.go:84–143: blocks Nomad's agent has no counterpart for (2.x's defaults) */
  Consul: Record<string, string | number | boolean>;
  CoverageReportPort: number;
  CoverageReportRawCodeDir: string;
  JaegerAgentAddress: string;
  JaegerAgentPort: string;
  Metric: Record<string, string | boolean>;
  Network: { MaxPayload: number };
}

/** models.CurrentCoordinates */
export interface LegacyCurrentCoordinates {
  File: string;
  Position: number;
  GtidSet: string;
  RelayMasterLogFile: string;
  ReadMasterLogPos: number;
  RetrievedGtidSet: string;
  ExecutedGtidSet: string;
}

/** models.TaskStatistics */
export interface LegacyTaskStatistics {
  CurrentCoordinates: LegacyCurrentCoordinates | null;
  TableStats: { InsertCount: number; UpdateCount: number; DelCount: number } | null;
  DelayCount: { Num: number; Time: number } | null;
  ProgressPct: string;
  ExecMasterRowCount: number;
  ExecMasterTxCount: number;
  ReadMasterRowCount: number;
  ReadMasterTxCount: number;
  ETA: string;
  Backlog: string;
  ThroughputStat: { Num: number; Time: number } | null;
  /** gonats.Statistics */
  MsgStat: { InMsgs: number; OutMsgs: number; InBytes: number; OutBytes: number; Reconnects: number };
  BufferStat: {
    ExtractorTxQueueSize: number;
    ApplierTxQueueSize: number;
    ApplierGroupTxQueueSize: number;
    SendByTimeout: number;
    SendBySizeFull: number;
  };
  Stage: string;
  Timestamp: Int64Value;
}

/** models.AllocStatistics (GET /v1/agent/allocation/{ID}/stats) */
export interface LegacyAllocStatistics {
  Tasks: Record<string, LegacyTaskStatistics>;
}
