/**
 * What dtle-compat keeps in Nomad Meta: the legacy facts Nomad has no field for, written as JSON
 * under one key of the job's and of each task's Meta:
 *   job Meta  `dtle_compat_job`:  {"Name","Type","Orders","Failover","Constraints"}
 *     (Name: the legacy Name as posted; the Nomad job Name is the job ID, dtle's state key: identity.ts)
 *   task Meta `dtle_compat_task`: {"Type","Driver","NodeID","NodeName","Leader","Constraints","Config"}
 * Anyone who may write the Nomad job may write its Meta, so it is read back with a schema: a field
 * that is not what dtle-compat writes is ignored (as if absent), secrets in Config are dropped.
 */
import { z } from 'zod';
import { LEGACY_JOB_TYPES, type LegacyConstraint } from '../legacy/types';
import { withoutSecrets } from './mask';
import { isObject, type JsonObject } from './walk';

export const JOB_META_KEY = 'dtle_compat_job';
export const TASK_META_KEY = 'dtle_compat_task';

/** A field read leniently: its value when it fits, else absent. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

const constraints = lenient(z.array(z.strictObject({ LTarget: z.string(), RTarget: z.string(), Operand: z.string() })).nullable());

const JobMeta = z.object({
  Name: lenient(z.string()),
  Type: lenient(z.enum(LEGACY_JOB_TYPES)),
  Orders: lenient(z.array(z.string()).nullable()),
  Failover: lenient(z.boolean()),
  Constraints: constraints,
});
export type JobMeta = z.infer<typeof JobMeta>;

const TaskMeta = z.object({
  Type: lenient(z.enum(['Src', 'Dest'])),
  Driver: lenient(z.enum(['MySQL', 'Kafka'])),
  NodeID: lenient(z.string()),
  NodeName: lenient(z.string()),
  Leader: lenient(z.boolean()),
  Constraints: constraints,
  Config: lenient(z.record(z.string(), z.unknown()).transform((c) => withoutSecrets(c) as JsonObject)),
});
export type TaskMeta = z.infer<typeof TaskMeta>;

function read<T extends z.ZodType>(schema: T, meta: Record<string, string> | null | undefined, key: string): z.infer<T> | Record<string, never> {
  const text = meta?.[key];
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = schema.safeParse(isObject(v) ? v : {});
  return parsed.success ? parsed.data : {};
}

/** The job Meta we wrote, as far as it is ours. */
export function readJobMeta(meta: Record<string, string> | null | undefined): JobMeta {
  return read(JobMeta, meta, JOB_META_KEY);
}

/** A task's Meta we wrote, as far as it is ours. */
export function readTaskMeta(meta: Record<string, string> | null | undefined): TaskMeta {
  return read(TaskMeta, meta, TASK_META_KEY);
}

/** The job Meta to write. */
export function jobMeta(m: { Name: string; Type: string; Orders: string[] | null; Failover: boolean; Constraints: LegacyConstraint[] | null }): Record<string, string> {
  return { [JOB_META_KEY]: JSON.stringify({ Name: m.Name, Type: m.Type, Orders: m.Orders, Failover: m.Failover, Constraints: m.Constraints }) };
}

/** A task's Meta to write (Config without secrets: passwords live only in the driver config). */
export function taskMeta(m: {
  Type: string;
  Driver: string;
  NodeID: string;
  NodeName: string;
  Leader: boolean;
  Constraints: LegacyConstraint[] | null;
  Config: JsonObject | null;
}): Record<string, string> {
  const value = { ...m, Config: m.Config === null ? undefined : withoutSecrets(m.Config) };
  return { [TASK_META_KEY]: JSON.stringify(value) };
}
