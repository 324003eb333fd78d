/**
 * The dtle job record → the Nomad job to register, in a given task config dialect. Pure.
 *
 * Field map (Nomad ← record):
 *   ID ← id;  Name ← stateKey (= id: dtle keys its state by it, identity.ts);  Type ← "service";  Priority ← 50;  Region ← region;  Namespace ← the scope's;
 *   Datacenters ← datacenters;  Meta[dtle_compat_job] ← name, only2x (meta.ts);
 *   TaskGroups ← one group per task, named src/dest, Count 1, pinned by a constraint on
 *     `${node.unique.id}` (node.id) or else `${node.unique.name}` (node.name);
 *   Tasks[0] ← Name src/dest, Driver ← the first of dtle_drivers, Meta[dtle_compat_task] ← type, driver,
 *     node, only2x (meta.ts), Config ← the dialect's layout:
 *       per-task  each task: options, Gtid, ConnectionConfig; a Kafka dest: KafkaConfig only
 *       src-only  src: options (a MySQL dest's join where src lacks them), Gtid, SrcConnectionConfig,
 *                 DestConnectionConfig or KafkaConfig;  dest: DestType mysql|kafka
 *     every string HCL-template escaped (Nomad would interpolate `${…}`).
 */
import type { Constraint } from '../nomad/types';
import { escapeTemplate } from './config';
import type { DtleJob, DtleTask } from './dtleJob';
import { NODE_ID_TARGET, NODE_NAME_TARGET } from './fromNomad';
import { jobMeta, taskMeta } from './meta';
import type { Dialect } from './spec';
import { KEEP, isObject, walkJson, type JsonObject } from './walk';

/** A Nomad job as we send it to /v1/jobs (Nomad fills every other field with its defaults). */
export interface NomadJobWrite {
  ID: string;
  Name: string;
  Type: 'service';
  Priority: number;
  Region?: string;
  Namespace?: string;
  Datacenters: string[];
  Meta: Record<string, string>;
  TaskGroups: Array<{
    Name: string;
    Count: number;
    Constraints: Constraint[] | null;
    Tasks: Array<{ Name: string; Driver: string; Config: JsonObject; Meta: Record<string, string> }>;
  }>;
}

export interface NomadRenderOptions {
  dialect: Dialect;
  /** driver name written to Nomad (the first of dtle_drivers) */
  driverName: string;
  namespace?: string | undefined;
}

/** A task's options with its Gtid. */
function optionsOf(t: DtleTask): JsonObject {
  return t.gtid === null ? { ...t.options } : { ...t.options, Gtid: t.gtid };
}

function escaped(config: JsonObject): JsonObject {
  const out = walkJson(config, (v) => (typeof v === 'string' ? escapeTemplate(v) : KEEP));
  return isObject(out) ? out : {};
}

/** The driver configs of the Src and Dest tasks, in the dialect's layout. */
function configsOf(src: DtleTask, dest: DtleTask, dialect: Dialect): { src: JsonObject; dest: JsonObject } {
  const kafka = dest.driver === 'Kafka' ? (dest.kafka ?? {}) : null;
  if (dialect === 'per-task') {
    const withConnection = (t: DtleTask) => (t.connection === null ? optionsOf(t) : { ...optionsOf(t), ConnectionConfig: t.connection });
    return { src: withConnection(src), dest: kafka !== null ? { KafkaConfig: kafka } : withConnection(dest) };
  }
  // src-only: everything on src; dest keeps only DestType. Dest-side options join src's where src lacks them.
  const out = optionsOf(src);
  if (src.connection !== null) out.SrcConnectionConfig = src.connection;
  if (kafka !== null) {
    out.KafkaConfig = kafka;
    return { src: out, dest: { DestType: 'kafka' } };
  }
  for (const [k, v] of Object.entries(optionsOf(dest))) if (!(k in out)) out[k] = v;
  if (dest.connection !== null) out.DestConnectionConfig = dest.connection;
  return { src: out, dest: { DestType: 'mysql' } };
}

function pinOf(t: DtleTask): Constraint[] | null {
  if (t.node.id !== '') return [{ LTarget: NODE_ID_TARGET, RTarget: t.node.id, Operand: '=' }];
  if (t.node.name !== '') return [{ LTarget: NODE_NAME_TARGET, RTarget: t.node.name, Operand: '=' }];
  return null;
}

/** The Nomad job of a posted record (one Src and one Dest task). */
export function nomadJobOf(j: DtleJob, opts: NomadRenderOptions): NomadJobWrite {
  const src = j.tasks.find((t) => t.type === 'Src');
  const dest = j.tasks.find((t) => t.type === 'Dest');
  if (!src || !dest) throw new Error('a dtle job needs a Src and a Dest task');
  const configs = configsOf(src, dest, opts.dialect);
  const group = (t: DtleTask, config: JsonObject) => {
    const name = t.type === 'Src' ? 'src' : 'dest';
    const meta = taskMeta({
      Type: t.type,
      Driver: t.driver,
      NodeID: t.node.id,
      NodeName: t.node.name,
      Leader: t.only2x.leader,
      Constraints: t.only2x.constraints,
      Config: t.only2x.posted,
    });
    return { Name: name, Count: 1, Constraints: pinOf(t), Tasks: [{ Name: name, Driver: opts.driverName, Config: escaped(config), Meta: meta }] };
  };
  return {
    ID: j.id,
    Name: j.stateKey,
    Type: 'service',
    Priority: 50,
    ...(j.region !== null ? { Region: j.region } : {}),
    ...(opts.namespace ? { Namespace: opts.namespace } : {}),
    Datacenters: j.datacenters,
    Meta: jobMeta({ Name: j.name, Type: j.only2x.type, Orders: j.only2x.orders, Failover: j.only2x.failover, Constraints: j.only2x.constraints }),
    TaskGroups: [group(src, configs.src), group(dest, configs.dest)],
  };
}
