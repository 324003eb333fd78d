/**
 * 2.x's answer to POST /v1/validate/job (dtle v2.19.11.0 internal/models/job.go:331–400). Field
 * order follows the Go structs; 2.x's encoder writes the keys sorted, which JSON clients ignore.
 */

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
