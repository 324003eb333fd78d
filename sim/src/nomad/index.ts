/**
 * A simulated Nomad 1.x agent (server + client) with the dtle task driver: an in-memory HTTP server
 * answering Nomad's endpoints with Nomad's shapes, status codes, headers and error texts. Used by
 * the test suite, `npm run demo` and the benchmark.
 *
 *   const sim = new SimNomad();
 *   const url = await sim.listen();      // http://127.0.0.1:PORT
 *   sim.registerJob({ ID: 'j', TaskGroups: [...] });
 *   await sim.close();
 */
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJob, DecodeError, multierrorText, validateJob } from './decode';
import { newEval, serverMember, type NodeSpec } from './shapes';
import { SimAgent, type SimAnswer, type SimRequest, type SimTls } from '../http/server';
import { NomadApi } from './api';
import { SimClock } from './clock';
import { SimDatabases, type DatabaseState } from './databases';
import { DtleDriver, type DtleHooks } from './dtle';
import { jobKey, SimState } from './state';
import { NOMAD_MAX_BLOCKING_MS, nowNanos } from '../../../src/nomad/go';
import { int64 } from '../../../src/legacy/int64';
import { DtleStore, type ReplicationOptions } from '../dtle/store';
import type { SimConsul } from '../consul';
import type { JobInput } from '../../../src/nomad/types';

export { noFaults, type SimFaults, type SimTls } from '../http/server';

export interface SimOptions {
  /** default 'global' */
  region?: string;
  /** default 'dc1' */
  datacenter?: string;
  /** default: one node 'nomad0' at 127.0.0.1 with dtle '4.23.04.3'; dtleVersion null = no dtle driver */
  nodes?: Array<{ name: string; address?: string; dtleVersion?: string | null }>;
  /** ACLs on: every call but status/regions needs X-Nomad-Token (or Authorization: Bearer) equal to it */
  aclToken?: string;
  /** cap (and default) of a blocking query's ?wait, ms (default 300000, Nomad's MaxBlockingRPCQueryTime) */
  blockingMaxWaitMs?: number;
  /** serve HTTPS (and ask for client certificates) instead of HTTP */
  tls?: SimTls;
  /**
   * What the databases the dtle tasks dial answer, by `host:port` (databases.ts): `replicates`,
   * `silent` or `refused`. Unnamed endpoints: dialled for real on this machine, replicating elsewhere.
   */
  databases?: Readonly<Record<string, DatabaseState>>;
  /**
   * What the delays of the restart and reschedule policies are multiplied by (default 1, Nomad's
   * own; 0.001 turns a 15 s restart delay into 15 ms). The events show the delays used.
   */
  timeScale?: number;
  /** hooks that follow the dtle tasks (dtle.ts DtleHooks); more with `sim.dtle.addHooks` */
  dtleHooks?: DtleHooks;
  /** the Consul the dtle driver keeps each job's state in (its plugin's `consul`); none: the driver writes nothing */
  consul?: SimConsul;
  /** the simulated replication's sizes and rates */
  replication?: ReplicationOptions;
  /**
   * Frames (the events of one raft apply) the event stream keeps: Nomad's server
   * `event_buffer_size` (default 100). A small one lets a test make a subscriber start past a gap.
   */
  eventBufferSize?: number;
  /** How often GET /v1/event/stream writes its `{}` heartbeat, ms (default 30000, Nomad 1.11.3's) */
  eventHeartbeatMs?: number;
  /**
   * A refused event stream (ACL, region) is a 200 with no line whose connection Nomad 1.11.3 leaves
   * open until Go's collector closes it; the simulator closes it this many ms after its headers
   * (default: never, until the caller goes).
   */
  eventRefusedCloseMs?: number;
}

export const DEFAULT_DTLE_VERSION = '4.23.04.3';

/** A dtle job as dtle-compat writes it for dtle ≥ 4.22.11 (all config on the src task). */
export function dtleTemplate(id: string, datacenter: string): JobInput {
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: [datacenter],
    TaskGroups: [
      {
        Name: 'src',
        Count: 1,
        Tasks: [
          {
            Name: 'src',
            Driver: 'dtle',
            Config: {
              Gtid: '',
              ChunkSize: 2000,
              ReplChanBufferSize: 60,
              ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
              SrcConnectionConfig: { Host: '10.0.0.11', Port: 3306, User: 'repl', Password: 'sim-password' },
              DestConnectionConfig: { Host: '10.0.0.21', Port: 3306, User: 'repl', Password: 'sim-password' },
            },
          },
        ],
      },
      { Name: 'dest', Count: 1, Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { DestType: 'mysql' } }] },
    ],
  };
}

export class SimNomad extends SimAgent {
  /** the state behind the HTTP API (tests may inspect it) */
  readonly state: SimState;
  /** the databases the dtle tasks dial: `sim.databases.set('10.0.0.9:3306', 'refused')` */
  readonly databases: SimDatabases;
  /** the dtle task driver of the nodes (its hooks, its running tasks) */
  readonly dtle: DtleDriver;
  /** what the dtle driver keeps in Consul (its hooks on `dtle`): each job's state, its replication */
  readonly dtleStore: DtleStore;
  private readonly api: NomadApi;
  private replicating: NodeJS.Timeout | null = null;
  private seeded = 0;
  private readonly region: string;
  private readonly aclToken: string | undefined;
  private readonly tokenAccessor: string;

  constructor(opts: SimOptions = {}) {
    super(opts.tls);
    this.region = opts.region ?? 'global';
    const datacenter = opts.datacenter ?? 'dc1';
    const specs: NodeSpec[] = (opts.nodes ?? [{ name: 'nomad0' }]).map((n) => ({
      name: n.name,
      address: n.address ?? '127.0.0.1',
      dtleVersion: n.dtleVersion === undefined ? DEFAULT_DTLE_VERSION : n.dtleVersion,
      datacenter,
    }));
    const clock = new SimClock(opts.timeScale ?? 1);
    this.databases = new SimDatabases(opts.databases);
    this.dtle = new DtleDriver(clock, this.databases);
    this.dtleStore = new DtleStore(this.dtle, opts.consul?.kv ?? null, opts.replication);
    this.dtle.addHooks(this.dtleStore.hooks);
    if (opts.dtleHooks) this.dtle.addHooks(opts.dtleHooks);
    this.state = new SimState(this.region, datacenter, specs, { clock, drivers: new Map([['dtle', this.dtle]]), eventBufferSize: opts.eventBufferSize ?? 100 });
    this.aclToken = opts.aclToken;
    this.tokenAccessor = opts.aclToken !== undefined ? uuidFrom(`accessor:${opts.aclToken}`) : '';
    const agent = specs[0] ?? { name: 'nomad0', address: '127.0.0.1' };
    this.api = new NomadApi({
      state: this.state,
      faults: this.faults,
      aclToken: opts.aclToken,
      tokenAccessor: this.tokenAccessor,
      blockingMaxWaitMs: opts.blockingMaxWaitMs ?? NOMAD_MAX_BLOCKING_MS,
      eventHeartbeatMs: opts.eventHeartbeatMs ?? 30_000,
      eventRefusedCloseMs: opts.eventRefusedCloseMs ?? null,
      member: serverMember({ name: agent.name, address: agent.address, region: this.region, datacenter, id: randomUUID() }),
      leaderAddr: `${agent.address}:4647`,
      agentNode: { name: agent.name, address: agent.address },
    });
  }

  protected route(req: SimRequest): Promise<SimAnswer> {
    return this.api.route(req);
  }

  protected faultHeaders(): Record<string, string> {
    return { 'X-Nomad-Index': String(this.state.index) };
  }

  /** Moves every replicating dtle job on by `ms` of simulated time (copy progress, then a moving Gtid). */
  advanceReplication(ms: number): void {
    this.dtleStore.advance(ms);
  }

  /** Replicates in real time: advances every `intervalMs` (the demo); stopped by close(). */
  replicate(intervalMs = 1000): void {
    if (this.replicating) clearInterval(this.replicating);
    this.replicating = setInterval(() => this.dtleStore.advance(intervalMs), intervalMs);
    this.replicating.unref();
  }

  /**
   * The agent restarts as a dev agent does (no data dir): its state is gone, the raft index starts
   * again from 0 (lower than every index a client saw), the nodes register with new IDs, the event
   * buffer is empty; every open connection (blocking queries, event streams) is dropped. The
   * server keeps listening on its port.
   */
  restart(): void {
    this.state.restart();
    this.http.server.closeAllConnections();
  }

  /** Stops the server: pending blocking queries end, open connections close. */
  close(): Promise<void> {
    if (this.replicating) clearInterval(this.replicating);
    this.state.close();
    return this.http.goAway();
  }

  /**
   * Registers a job as PUT /v1/jobs does (canonicalisation, validation, evaluation, placement,
   * task start). Takes an api.Job or {Job: api.Job}. Throws on an invalid job.
   */
  registerJob(job: JobInput | { Job: JobInput }): { EvalID: string; JobModifyIndex: number } {
    const inner = 'ID' in job ? job : job.Job;
    let canonical;
    try {
      canonical = canonicalJob(inner, { agentRegion: this.region }, 'Job');
    } catch (e) {
      if (e instanceof DecodeError) throw new Error(`sim: ${e.message}`);
      throw e;
    }
    const errors = validateJob(canonical);
    if (errors.length > 0) throw new Error(`sim: invalid job: ${multierrorText(errors)}`);
    const out = this.state.register(canonical, this.aclToken !== undefined ? { tokenAccessor: this.tokenAccessor } : {});
    return { EvalID: out.EvalID, JobModifyIndex: out.JobModifyIndex };
  }

  /**
   * Creates n dtle jobs (groups src and dest, driver dtle) named sim-dtle-00001…, running with
   * allocations (default) or, with withAllocs false, registered only (pending, no evaluation).
   */
  seedDtleJobs(n: number, opts: { withAllocs?: boolean } = {}): void {
    const template = canonicalJob(dtleTemplate('template', this.state.datacenter), { agentRegion: this.region }, 'Job');
    const width = Math.max(5, String(this.seeded + n).length);
    const ids: string[] = [];
    while (ids.length < n) {
      this.seeded += 1;
      const id = `sim-dtle-${String(this.seeded).padStart(width, '0')}`;
      if (this.state.job(template.Namespace, id)) continue;
      ids.push(id);
    }
    this.state.seedJobs(template, ids, opts.withAllocs !== false);
  }

  /**
   * The group's running tasks report a stage: a Driver event (DriverMessage/DisplayMessage =
   * stage), which dtle's hooks follow. The real dtle 4.x reports job_stage_full / job_stage_incr
   * from the dest task (the applier) only; a test may put one on any task.
   */
  setTaskStage(jobId: string, group: 'src' | 'dest', stage: 'job_stage_full' | 'job_stage_incr'): void {
    this.state.setTaskStage(null, jobId, group, stage);
  }

  /**
   * An evaluation of the job the scheduler is still working on (`pending`), as a real agent's is
   * between a write and the apply of its plan; `complete()` ends it. For tests of what waits on a
   * job's evaluations.
   */
  pendingEvaluation(jobId: string, namespace = 'default'): { id: string; complete(): void } {
    const r = this.state.jobs.get(jobKey(namespace, jobId));
    if (!r) throw new Error(`sim: no job ${JSON.stringify(jobId)}`);
    const index = this.state.bump('EvaluationUpdated', 'evals');
    const ev = newEval({ namespace, priority: r.job.Priority, type: r.job.Type, triggeredBy: 'job-register', jobId, jobModifyIndex: r.job.JobModifyIndex, status: 'pending', index, now: nowNanos() });
    this.state.evals.set(ev.ID, ev);
    r.evalIds.push(ev.ID);
    return {
      id: ev.ID,
      complete: () => {
        const cur = this.state.evals.get(ev.ID);
        if (!cur || cur.Status !== 'pending') return;
        const i = this.state.bump('EvaluationUpdated', 'evals');
        this.state.evals.set(ev.ID, { ...cur, Status: 'complete', ModifyIndex: i, ModifyTime: int64(nowNanos()) });
      },
    };
  }

  /** Nomad's garbage collection of a stopped job: removes it with its allocations and evaluations. */
  gcJob(jobId: string, namespace = 'default'): void {
    const r = this.state.jobs.get(jobKey(namespace, jobId));
    if (!r) throw new Error(`sim: no job ${JSON.stringify(jobId)}`);
    this.state.gc(namespace, jobId);
  }
}

function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
