/**
 * The dtle job record → dtle 2.x's Job, Task and JobListStub. Pure functions, no masking
 * (callers mask on the way out). Each 2.x field is set here and nowhere else:
 *
 *   models.Job (spec)   Region ← region          ID ← id                   Orders ← only2x.orders
 *                       Name ← name               Failover ← only2x.failover
 *                       Type ← only2x.type        Datacenters ← datacenters Constraints ← only2x.constraints
 *                       Tasks ← tasks (legacyTaskOf)
 *   models.Job (state)  Status ← state.status, `pause` when paused      StatusDescription ← state.statusDescription
 *                       EnforceIndex ← false      CreateIndex, ModifyIndex, JobModifyIndex ← state
 *   models.Task         Type ← type               NodeID ← node.id          NodeName ← node.name
 *                       Driver ← driver           Config ← legacyConfigOf   ConfigLock ← {}
 *                       Leader ← only2x.leader    Constraints ← only2x.constraints
 *   Task.Config         what Nomad holds (connection as ConnectionConfig, gtid as Gtid, options,
 *                       a Kafka dest's settings flat), laid over what was posted (only2x.posted):
 *                       posted JSON types and keys the driver does not take survive;
 *                       NatsAddr ← natsAddr (withNatsAddr), never a posted one
 */
import type { JobListStub } from '../nomad/types';
import type { LegacyConfig, LegacyJob, LegacyJobListStub, LegacyJobSpec, LegacyJobState, LegacyTask } from '../legacy/types';
import type { DtleJob, DtleJobState, DtleTask, LegacyDriver } from './dtleJob';
import { CONNECTION_SPEC, KAFKA_SPEC, TASK_SPEC, type ObjectSpec } from './spec';
import { isObject, sortedKeys, type JsonObject } from './walk';

/** 2.x's status of a paused job (Nomad has none: dtle-compat keeps the paused job's spec aside). */
export const PAUSED_STATUS = 'pause';

/** The fields of 2.x's Job that come from the job's spec (kept, masked, per JobModifyIndex). */
export function legacySpecOf(j: DtleJob): LegacyJobSpec {
  return {
    Region: j.region ?? '',
    ID: j.id,
    Orders: j.only2x.orders,
    Name: j.name,
    Failover: j.only2x.failover,
    Type: j.only2x.type,
    Datacenters: j.datacenters,
    Constraints: j.only2x.constraints,
    Tasks: j.tasks.map((t) => withNatsAddr(legacyTaskOf(t), j.natsAddr)),
  };
}

/**
 * dtle's NATS address as 2.x showed it: 2.x's scheduler wrote the Dest node's NATS address into
 * every task's Config (generic_sched.go:427–431); dtle 4.x keeps it in Consul
 * (`dtle/<job>/NatsAddr`, written when the Dest task starts; `wait`/`waitdst` while it waits).
 * A `host:port` value is shown; anything else (unknown, a placeholder) leaves the key out, as 2.x
 * had it before the job was placed. A NatsAddr the caller posted is never shown: it is 2.x's own.
 */
export function withNatsAddr<T extends { Config: LegacyConfig }>(task: T, natsAddr: string | null): T {
  const { NatsAddr: _posted, ...config } = task.Config;
  void _posted;
  const known = natsAddr !== null && /^\S+:\d{1,5}$/.test(natsAddr);
  return { ...task, Config: known ? { ...config, NatsAddr: natsAddr } : config };
}

/** Nomad's state of a job as the 2.x job shows it: from the job itself or from a list stub. */
export interface LegacyStateInput {
  state: DtleJobState;
  paused: boolean;
}

/** A job's state from a Nomad job or list stub. */
export function stateOf(j: Pick<JobListStub, 'Status' | 'StatusDescription' | 'CreateIndex' | 'ModifyIndex' | 'JobModifyIndex'>): DtleJobState {
  return { status: j.Status, statusDescription: j.StatusDescription, createIndex: j.CreateIndex, modifyIndex: j.ModifyIndex, jobModifyIndex: j.JobModifyIndex };
}

/** 2.x's Job: its spec fields, then its state. */
export function legacyJobOf(spec: LegacyJobSpec, { state, paused }: LegacyStateInput): LegacyJob {
  const fields: LegacyJobState = {
    Status: paused ? PAUSED_STATUS : state.status,
    StatusDescription: state.statusDescription,
    EnforceIndex: false,
    CreateIndex: state.createIndex,
    ModifyIndex: state.modifyIndex,
    JobModifyIndex: state.jobModifyIndex,
  };
  return { ...spec, ...fields };
}

/** 2.x's list stub: the job's fields over the whole job as JobSummary. */
export function legacyListStubOf(spec: LegacyJobSpec, input: LegacyStateInput): LegacyJobListStub {
  const job = legacyJobOf(spec, input);
  const { ID, Name, Type, Status, StatusDescription, CreateIndex, ModifyIndex, JobModifyIndex } = job;
  return { ID, Name, Type, Status, StatusDescription, JobSummary: job, CreateIndex, ModifyIndex, JobModifyIndex };
}

export function legacyTaskOf(t: DtleTask): LegacyTask {
  return {
    Type: t.type,
    NodeID: t.node.id,
    NodeName: t.node.name,
    Driver: t.driver,
    Config: legacyConfigOf(t),
    ConfigLock: {},
    Leader: t.only2x.leader,
    Constraints: t.only2x.constraints,
  };
}

/** What Nomad holds of a task, in 2.x's per-task layout, keys sorted as Go writes a map. */
function heldConfig(t: DtleTask): JsonObject {
  const held: JsonObject = { ...t.options };
  if (t.connection !== null) held.ConnectionConfig = t.connection;
  if (t.gtid !== null) held.Gtid = t.gtid;
  return sortedKeys(t.kafka !== null ? { ...held, ...t.kafka } : held);
}

/** A task's 2.x Config: what Nomad holds, over what was posted. */
export function legacyConfigOf(t: DtleTask): LegacyConfig {
  const held = heldConfig(t);
  if (t.only2x.posted === null) return held;
  const known = (p: string[]) => isKnownLegacyPath(p, t.driver, t.type === 'Dest' && t.derived);
  const out = overlayPosted(t.only2x.posted, held, known);
  return isObject(out) ? out : held;
}

function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (scalar(a) && scalar(b)) {
    const norm = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : String(v));
    return norm(a) === norm(b);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => looselyEqual(x, b[i]));
  if (Array.isArray(a) && typeof b === 'string') return looselyEqual(a.join(','), b);
  if (typeof a === 'string' && Array.isArray(b)) return looselyEqual(a, b.join(','));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => looselyEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The one rule for posted JSON types: lays what Nomad holds (`held`, in legacy keys) over what
 * the caller posted (`posted`, kept without secrets): values Nomad still holds keep the caller's
 * JSON type ("3306" stays a string), values changed in Nomad win, keys the driver does not know
 * come from `posted`.
 */
export function overlayPosted(posted: unknown, held: unknown, known: (path: string[]) => boolean, path: string[] = []): unknown {
  if (held === undefined) return posted;
  if (isObject(posted) && isObject(held)) {
    const out: JsonObject = {};
    for (const [k, ov] of Object.entries(posted)) {
      const p = [...path, k];
      if (k in held) out[k] = overlayPosted(ov, held[k], known, p);
      else if (!known(p)) out[k] = ov;
    }
    for (const [k, cv] of Object.entries(held)) if (!(k in out) && !(k in posted)) out[k] = cv;
    return out;
  }
  if (Array.isArray(posted) && Array.isArray(held) && posted.length === held.length && posted.every(isObject)) {
    return posted.map((o, i) => overlayPosted(o, held[i], known, [...path, String(i)]));
  }
  return looselyEqual(posted, held) ? posted : held;
}

/** True when the legacy key path names something the driver's spec holds (so Nomad is the truth for it). */
export function isKnownLegacyPath(path: string[], driver: LegacyDriver, derivedDest = false): boolean {
  if (path.length === 0) return true;
  const [head, ...rest] = path;
  if (head === undefined) return true;
  const has = (spec: ObjectSpec, key: string | undefined) => key !== undefined && Object.hasOwn(spec, key);
  const inConnection = head === 'ConnectionConfig' && (rest.length === 0 || has(CONNECTION_SPEC, rest[0]));
  // a dest rebuilt from src holds only its connection (or Kafka settings) and the Gtid
  if (derivedDest && driver === 'MySQL') return head === 'Gtid' || inConnection;
  if (driver === 'Kafka') return has(KAFKA_SPEC['src-only'], head) || has(KAFKA_SPEC['per-task'], head);
  if (head === 'ConnectionConfig') return inConnection;
  const spec = has(TASK_SPEC['src-only'], head) ? TASK_SPEC['src-only'][head] : has(TASK_SPEC['per-task'], head) ? TASK_SPEC['per-task'][head] : undefined;
  if (spec === undefined) return false;
  if (typeof spec === 'string' || rest.length === 0) return true;
  // inside blocks: indexes of block lists, then field names
  let fields: ObjectSpec = spec.fields;
  for (const seg of rest) {
    if (/^\d+$/.test(seg)) continue;
    const f = has(fields, seg) ? fields[seg] : undefined;
    if (f === undefined) return false;
    if (typeof f === 'string') return true;
    fields = f.fields;
  }
  return true;
}
