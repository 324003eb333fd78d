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

/** models.Job */
export interface LegacyJob {
  Region: string;
  ID: string;
  Orders: string[];
  Name: string;
  Failover: boolean;
  Type: string;
  Datacenters: string[];
  Constraints: LegacyConstraint[] | null;
  Tasks: LegacyTask[];
  Status: string;
  StatusDescription: string;
  EnforceIndex: boolean;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
}

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
  Time: string;
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
