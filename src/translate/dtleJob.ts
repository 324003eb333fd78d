/**
 * The dtle job record: one dtle job as dtle-compat understands it, between Nomad (either task
 * config dialect) and the 2.x API. Parsed once, from a Nomad job (fromNomad.ts) or from a legacy
 * body (fromLegacy.ts); rendered by two functions, to the 2.x Job (toLegacy.ts) and to a Nomad job
 * in a given dialect (toNomad.ts). Values are plain (no HCL template escapes) and passwords are
 * in clear: whatever leaves the service is masked on the way out.
 */
import { z } from 'zod';
import type { LegacyConstraint, LegacyTaskType } from '../legacy/types';
import type { JsonObject } from './walk';

/** The legacy drivers of dtle 2.x. */
export type LegacyDriver = 'MySQL' | 'Kafka';

/** A MySQL connection: the driver's ConnectionConfig (per-task) or Src/DestConnectionConfig (src-only) block. */
export const DtleConnection = z.looseObject({
  Host: z.string(),
  Port: z.number(),
  User: z.string(),
  Password: z.string(),
  Charset: z.string().optional(),
});
export type DtleConnection = z.infer<typeof DtleConnection>;

/** The node a task is pinned to (2.x's NodeID / NodeName); '' when none. */
export interface NodePin {
  id: string;
  name: string;
}

/** What only dtle 2.x had of a task (Nomad has no field for it: kept in the task's Meta). */
export interface TaskOnly2x {
  leader: boolean;
  constraints: LegacyConstraint[] | null;
  /**
   * the legacy config as the caller posted it, without its secrets: its JSON types ("3306"
   * stays a string) and the keys the driver does not take; null for jobs written elsewhere
   */
  posted: JsonObject | null;
}

/** One side of a dtle job. */
export interface DtleTask {
  type: LegacyTaskType;
  driver: LegacyDriver;
  /** the MySQL connection (null for a Kafka destination, or when Nomad holds no usable one) */
  connection: DtleConnection | null;
  /** the Kafka destination's settings (KafkaConfig), null for MySQL */
  kafka: JsonObject | null;
  /** the replication's starting position (Gtid), null when none is set */
  gtid: string | null;
  /** every other entry of the task's config, by its legacy name: the replication options (and, read from Nomad, what the driver's spec does not name) */
  options: JsonObject;
  node: NodePin;
  only2x: TaskOnly2x;
  /** read from a src-only job: this Dest was rebuilt from the src task (only its connection, Kafka settings and Gtid are Nomad's) */
  derived: boolean;
}

/** What only dtle 2.x had of a job (kept in the job's Meta). */
export interface JobOnly2x {
  type: string;
  /** null when none was posted (2.x kept the nil slice) */
  orders: string[] | null;
  failover: boolean;
  constraints: LegacyConstraint[] | null;
}

/** Nomad's state of a job: status and indexes (a job read from Nomad only). */
export interface DtleJobState {
  status: string;
  statusDescription: string;
  createIndex: number;
  modifyIndex: number;
  jobModifyIndex: number;
}

export interface DtleJob {
  /** the Nomad job ID, which is the legacy ID */
  id: string;
  /** the legacy Name (the posted one, kept in Meta; else the Nomad Name) */
  name: string;
  /** dtle's state key: the Nomad job Name, which dtle-compat sets to the ID (identity.ts) */
  stateKey: string;
  /** the job's region; null when a posted body names none */
  region: string | null;
  datacenters: string[];
  only2x: JobOnly2x;
  /** the Src and Dest tasks, in the job's group order (a job read from Nomad may lack one) */
  tasks: DtleTask[];
  /** null for a posted body */
  state: DtleJobState | null;
  /**
   * the NATS address of the job (dtle 4.x: Consul `dtle/<stateKey>/NatsAddr`, which the Dest task
   * writes), shown as every task's Config.NatsAddr as 2.x's scheduler wrote it; null when unknown
   */
  natsAddr: string | null;
}
