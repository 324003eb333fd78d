/**
 * 2.x's answer to POST /v1/validate/job (dtle v2.19.11.0 internal/models/job.go:331–400). Field
 * order follows the Go structs; 2.x's encoder writes the keys sorted, which JSON clients ignore.
 */
import { multierrorText } from '../nomad/go';

/** Every check of a TaskValidateResponse: ConnectionValidate, BinlogValidate, … are all this shape. */
export interface LegacyCheck {
  Success: boolean;
  /** the error text; '' when none (also when a check was not run: then Success is false too) */
  Error: string;
}

/** models.TaskValidateResponse: one per task of the job, in the job's order. */
export interface LegacyTaskValidation {
  /** the task's Type (Src, Dest) */
  Type: string;
  Connection: LegacyCheck;
  /** never set by 2.x: always {Success: false, Error: ''} */
  LogSlaveUpdates: LegacyCheck;
  /** never set by 2.x (its check is commented out): always {Success: false, Error: ''} */
  MaxAllowedPacket: LegacyCheck;
  Privileges: LegacyCheck;
  /** Src only */
  GtidMode: LegacyCheck;
  /** Src only */
  ServerID: LegacyCheck;
  /** Src only */
  Binlog: LegacyCheck;
}

/** models.JobValidateResponse */
export interface LegacyJobValidateResponse {
  DriverConfigValidated: boolean;
  ValidationTasks: LegacyTaskValidation[] | null;
  Error: string;
}

/** The keys of a task's checks, in 2.x's struct order. */
export const TASK_CHECKS = [
  'Connection',
  'LogSlaveUpdates',
  'MaxAllowedPacket',
  'Privileges',
  'GtidMode',
  'ServerID',
  'Binlog',
] as const satisfies ReadonlyArray<keyof LegacyTaskValidation>;

export type LegacyCheckName = (typeof TASK_CHECKS)[number];

/** A check 2.x did not run (or a Go zero value): {Success: false, Error: ''}. */
export function notChecked(): LegacyCheck {
  return { Success: false, Error: '' };
}

/** A task validation with every check at its zero value, as 2.x starts each one (and leaves a Kafka task). */
export function emptyTaskValidation(type: string): LegacyTaskValidation {
  return {
    Type: type,
    Connection: notChecked(),
    LogSlaveUpdates: notChecked(),
    MaxAllowedPacket: notChecked(),
    Privileges: notChecked(),
    GtidMode: notChecked(),
    ServerID: notChecked(),
    Binlog: notChecked(),
  };
}

/** What 2.x's Job.Validate reads of a job (after api.Job.Canonicalize: ID, Name, Type set). */
export interface ValidatedJob {
  ID: string;
  Name: string;
  Type: string;
  Tasks: ReadonlyArray<{ Type: string; Driver: string }>;
}

/**
 * 2.x's models.Job.Validate (internal/models/job.go:122–172, with Task.Validate of task.go:94–108):
 * its errors in its order, as the go-multierror text the route answers with 500; null when none.
 * (Region and Datacenters are never empty after Canonicalize; 2.x's api.Job has no Constraints.)
 */
export function jobValidationError(j: ValidatedJob): string | null {
  const errs: string[] = [];
  if (j.ID === '') errs.push('Missing job ID');
  else if (j.ID.includes(' ')) errs.push('Job ID contains a space');
  if (j.Name === '') errs.push('Missing job name');
  if (j.Type === '') errs.push('Missing job type');
  if (j.Tasks.length === 0) errs.push('Missing job tasks');
  const seen = new Map<string, number>();
  j.Tasks.forEach((t, idx) => {
    const first = seen.get(t.Type);
    if (t.Type === '') errs.push(`Job task ${idx + 1} missing type`);
    else if (first !== undefined) errs.push(`Job task ${idx + 1} redefines '${t.Type}' from task ${first + 1}`);
    else seen.set(t.Type, idx);
  });
  for (const t of j.Tasks) {
    const te: string[] = [];
    if (t.Type === '') te.push('Missing task type');
    if (/[/\\]/.test(t.Type)) te.push('Task name cannot include slashes');
    if (t.Driver === '') te.push('Missing task driver');
    if (te.length > 0) errs.push(`Task ${t.Type} validation failed: ${multierrorText(te)}`);
  }
  return errs.length > 0 ? multierrorText(errs) : null;
}
