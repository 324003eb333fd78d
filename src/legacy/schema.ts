/**
 * Schemas of what legacy callers send (2.x api.Job as the 2.x server decoded it).
 * Loose where 2.x was loose; strict about JSON types, with errors that name the field.
 */
import { z } from 'zod';
import { decodeApiJob } from './jobBody';

const constraint = z.looseObject({
  LTarget: z.string().optional(),
  RTarget: z.string().optional(),
  Operand: z.string().optional(),
});

export const LegacyTaskInput = z.looseObject({
  Type: z.string().optional(),
  NodeID: z.string().nullish(),
  NodeName: z.string().nullish(),
  Driver: z.string().nullish(),
  Config: z.record(z.string(), z.unknown()).nullish(),
  Leader: z.boolean().nullish(),
  Constraints: z.array(constraint).nullish(),
});
export type LegacyTaskInput = z.infer<typeof LegacyTaskInput>;

export const LegacyJobInput = z.looseObject({
  Region: z.string().nullish(),
  ID: z.string().nullish(),
  Orders: z.array(z.string()).nullish(),
  Name: z.string().nullish(),
  Failover: z.boolean().nullish(),
  Type: z.string().nullish(),
  Datacenters: z.array(z.string()).nullish(),
  Constraints: z.array(constraint).nullish(),
  Tasks: z.array(LegacyTaskInput).nullish(),
  Status: z.string().nullish(),
  StatusDescription: z.string().nullish(),
  EnforceIndex: z.boolean().nullish(),
  CreateIndex: z.number().nullish(),
  ModifyIndex: z.number().nullish(),
  JobModifyIndex: z.number().nullish(),
});
export type LegacyJobInput = z.infer<typeof LegacyJobInput>;

/** What the 2.x Go client sends: {"Job": {...}, "EnforceIndex": …, "JobModifyIndex": …} */
export const WrappedJobInput = z.looseObject({
  Job: z.unknown(),
  EnforceIndex: z.boolean().nullish(),
  JobModifyIndex: z.number().nullish(),
});

export interface ParsedRegisterBody {
  job: LegacyJobInput;
  enforceIndex: boolean;
  jobModifyIndex: number | null;
}

/** A zod issue's path as a field name: "Tasks[0].Config"; '' for the body itself. */
function fieldOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** Formats zod issues as "Tasks[0].Config: expected object". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${fieldOf(i.path) || 'body'}: ${i.message}`)
    .join('; ');
}

/** A request body that is not a legacy job; names the field (the first one when several are wrong). */
export class BodyError extends Error {
  constructor(
    /** the field in error; '' when the body as a whole is not a job */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }

  static of(error: z.ZodError): BodyError {
    return new BodyError(fieldOf(error.issues[0]?.path ?? []), describeIssues(error));
  }
}

/**
 * Accepts the bare legacy job (as 2.x's server read it) or {"Job": …} (as 2.x's Go client sends
 * it). The job is decoded as 2.x's Go decoder did (legacy/jobBody.ts: GoTypeError with Go's text),
 * then read with the schema.
 */
export function parseRegisterBody(body: unknown): ParsedRegisterBody {
  let raw: unknown = body;
  let enforceIndex = false;
  let jobModifyIndex: number | null = null;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'Job' in body) {
    const wrapped = WrappedJobInput.safeParse(body);
    if (!wrapped.success) throw BodyError.of(wrapped.error);
    raw = wrapped.data.Job;
    enforceIndex = wrapped.data.EnforceIndex ?? false;
    jobModifyIndex = wrapped.data.JobModifyIndex ?? null;
  }
  const parsed = LegacyJobInput.safeParse(decodeApiJob(raw));
  if (!parsed.success) throw BodyError.of(parsed.error);
  const job = parsed.data;
  if (job.EnforceIndex) enforceIndex = true;
  if (jobModifyIndex === null && job.EnforceIndex && typeof job.JobModifyIndex === 'number') jobModifyIndex = job.JobModifyIndex;
  return { job, enforceIndex, jobModifyIndex };
}
