/** Reads the real 2.x server's answers (test/fixtures/legacy-2x/, see its README). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const FIXTURE_DIR = path.resolve(__dirname, '..', 'fixtures', 'legacy-2x');

const Answered = z.object({
  request: z.object({
    method: z.string(),
    path: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.string().optional(),
  }),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  note: z.string().optional(),
});

const Unanswered = z.object({
  request: Answered.shape.request,
  status: z.null(),
  error: z.string(),
  note: z.string().optional(),
});

export const Capture = z.union([Answered, Unanswered]);
export type Capture = z.infer<typeof Capture>;
export type AnsweredCapture = z.infer<typeof Answered>;

/** One capture, with `replace` applied to its raw text first (ports and passwords of another server). */
export function loadCapture(name: string, replace: ReadonlyArray<readonly [string, string]> = []): Capture {
  let text = readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8');
  for (const [from, to] of replace) text = text.split(from).join(to);
  return Capture.parse(JSON.parse(text));
}

export function loadAnswered(name: string, replace: ReadonlyArray<readonly [string, string]> = []): AnsweredCapture {
  const c = loadCapture(name, replace);
  if (c.status === null) throw new Error(`${name}: 2.x did not answer this request`);
  return c;
}

/** The legacy tasks of a captured validate request. */
const ValidateBody = z.object({
  Tasks: z.array(z.object({ Type: z.string(), Driver: z.string().optional(), Config: z.unknown() })),
});

export function requestTasks(c: Capture): z.infer<typeof ValidateBody>['Tasks'] {
  return ValidateBody.parse(JSON.parse(c.request.body ?? '')).Tasks;
}

const Check = z.object({ Success: z.boolean(), Error: z.string() });
export const ValidateAnswer = z.object({
  DriverConfigValidated: z.boolean(),
  Error: z.string(),
  ValidationTasks: z
    .array(
      z.strictObject({
        Type: z.string(),
        Connection: Check,
        LogSlaveUpdates: Check,
        MaxAllowedPacket: Check,
        Privileges: Check,
        GtidMode: Check,
        ServerID: Check,
        Binlog: Check,
      }),
    )
    .nullable(),
});

/** The values of the captures' MariaDB (see the fixtures' README). */
export const CAPTURED_MARIADB = {
  port: '46477',
  closedPort: '46383',
  passwords: { repl: 'repl-secret-1', monitor: 'monitor-secret-2', plain: 'plain-secret-3', nodb: 'nodb-secret-4' },
} as const;

/** 2.x's GtidMode text when `SELECT @@GTID_MODE` failed (it overwrote the query's error). */
export const GTID_PREFIX_ONLY = 'Must have GTID enabled: ';

/** MariaDB's answer to `SELECT @@GTID_MODE`. */
export const MARIADB_NO_GTID_MODE = "Error 1193: Unknown system variable 'GTID_MODE'";

/**
 * A 2.x validate answer with dtle-compat's one documented difference (docs/migration.md): where
 * `SELECT @@GTID_MODE` failed, GtidMode keeps 2.x's prefix and adds the query's error: the
 * connection's when it failed, else the server's `gtidError`.
 */
export function withGtidError(answer: z.infer<typeof ValidateAnswer>, gtidError: string): z.infer<typeof ValidateAnswer> {
  return {
    ...answer,
    ValidationTasks:
      answer.ValidationTasks?.map((t) =>
        t.GtidMode.Error === GTID_PREFIX_ONLY ? { ...t, GtidMode: { Success: false, Error: GTID_PREFIX_ONLY + (t.Connection.Success ? gtidError : t.Connection.Error) } } : t,
      ) ?? null,
  };
}
