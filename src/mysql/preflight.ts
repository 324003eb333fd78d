/**
 * 2.x's MySQL pre-flight validation: what `POST /v1/validate/job` answered in `ValidationTasks`
 * (dtle v2.19.11.0: internal/server/job_endpoint.go:257–275 runs each task's driver Validate,
 * internal/client/driver/mysql.go:35–224 the MySQL checks). This is the one place dtle-compat
 * talks to MySQL: it connects from the host it runs on to each task's ConnectionConfig.
 *
 * Bounded: a connect (TCP, handshake, authentication) waits at most `connectTimeoutMs`, a query
 * at most `queryTimeoutMs`, and a session that failed fatally is not retried, so one task takes at
 * most about connect + one query timeout; a job's tasks run at the same time.
 * The password is handed to the MySQL client only: results and log lines never contain it (a
 * server text quoting it would have it replaced by `*`, see connection.ts).
 */
import type { Logger } from '../logging';
import { emptyTaskValidation, TASK_CHECKS, type LegacyTaskValidation } from '../legacy/validation';
import { runChecks, type PreflightTask } from './checks';
import { openSession } from './connection';
import { decodePreflightTask } from './decode';

export type { MySQLConnection, PreflightTask } from './checks';
export { decodePreflightTask } from './decode';

export interface PreflightOptions {
  /** TCP connect, handshake and authentication (default 5000 ms: 2.x's DSN timeout=5s) */
  connectTimeoutMs?: number;
  /** each query (default 5000 ms; 2.x had none) */
  queryTimeoutMs?: number;
  /** 2.x's dtle_schema_name, used by the Dest grant rule (default `dtle`) */
  dtleSchemaName?: string;
  /** one debug line per task: host, port, user, outcome, duration; never the password */
  logger?: Logger;
}

export const PREFLIGHT_DEFAULTS = { connectTimeoutMs: 5000, queryTimeoutMs: 5000, dtleSchemaName: 'dtle' } as const;

/** 2.x's checks of one task's MySQL, with 2.x's per-check results and texts. Never rejects. */
export async function preflightTask(task: PreflightTask, opts: PreflightOptions = {}): Promise<LegacyTaskValidation> {
  const started = Date.now();
  const { Host, Port, User } = task.Connection;
  const session = await openSession(task.Connection, {
    connectTimeoutMs: opts.connectTimeoutMs ?? PREFLIGHT_DEFAULTS.connectTimeoutMs,
    queryTimeoutMs: opts.queryTimeoutMs ?? PREFLIGHT_DEFAULTS.queryTimeoutMs,
  });
  let result: LegacyTaskValidation;
  try {
    result = await runChecks(task, session.query, { dtleSchemaName: opts.dtleSchemaName ?? PREFLIGHT_DEFAULTS.dtleSchemaName });
  } finally {
    await session.close();
  }
  opts.logger?.debug('mysql pre-flight', {
    task: task.Type,
    host: Host,
    port: Port,
    user: User,
    ms: Date.now() - started,
    connection: result.Connection.Success ? 'ok' : result.Connection.Error,
    failed: TASK_CHECKS.filter((name) => !result[name].Success && result[name].Error !== ''),
  });
  return result;
}

/** A legacy task as the validate route has it: its Type, its Driver ('' means MySQL, as in 2.x) and its Config. */
export interface LegacyTaskInput {
  Type: string;
  Driver?: string | undefined;
  Config: unknown;
}

export type PreflightJobResult =
  | { ok: true; ValidationTasks: LegacyTaskValidation[] }
  /** 2.x answered these with status 500 and the text as the body */
  | { ok: false; error: string };

/**
 * 2.x's driver loop of Job.Validate: one result per task, in order. MySQL tasks are checked
 * against their server; a Kafka task gets 2.x's all-zero result; another driver, or a Config
 * whose ConnectionConfig does not decode, is 2.x's error text (nothing is contacted then).
 */
export async function preflightTasks(tasks: readonly LegacyTaskInput[], opts: PreflightOptions = {}): Promise<PreflightJobResult> {
  const plan: Array<{ check: PreflightTask } | { fixed: LegacyTaskValidation }> = [];
  for (const t of tasks) {
    const driver = t.Driver === undefined || t.Driver === '' ? 'MySQL' : t.Driver;
    if (driver === 'Kafka') {
      plan.push({ fixed: emptyTaskValidation(t.Type) });
      continue;
    }
    if (driver !== 'MySQL') {
      return { ok: false, error: `failed to create driver for task ${JSON.stringify(t.Type)} for validation: unknown driver '${driver}'` };
    }
    const decoded = decodePreflightTask(t.Type, t.Config);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    plan.push({ check: decoded.task });
  }
  const ValidationTasks = await Promise.all(plan.map((p) => ('fixed' in p ? p.fixed : preflightTask(p.check, opts))));
  return { ok: true, ValidationTasks };
}
