/**
 * The simulator's state: Nomad's tables (jobs, job versions, summaries, evaluations, allocations,
 * deployments, nodes, variables), one raft-like index counter with the last index of every table,
 * the scheduler and the client (placement, task start, stop) and the change feed that blocking
 * queries wait on.
 */
import { randomUUID } from 'node:crypto';
import { SimHttpError } from '../http/server';
import { ChangeFeed, SortedTable } from '../http/memdb';
import { nowNanos, rfc3339Nano } from '../../../src/nomad/go';
import { rfc3339ToNanos } from '../../../src/translate/time';
import { int64, stringifyLegacy } from '../../../src/legacy/int64';
import { clientStatusOf, SimClient, type ClientHealth, type ClientSink, type TaskDriver } from './client';
import type { SimClock } from './clock';
import { EventBroker, frameOf, type ApplyType, type Change } from './events';
import {
  allocMetric,
  allocStub,
  buildNode,
  emptyGroupSummary,
  jobStub,
  newAlloc,
  newDeployment,
  newEval,
  nodeHasDriver,
  specKey,
  stoppedState,
  type NodeSpec,
} from './shapes';
import type { Allocation, Deployment, Evaluation, Job, JobSummary, JsonObject, Node, ReschedulePolicy, RescheduleEvent, TaskGroup, TaskGroupSummary, TaskState, Variable, StrMap } from './structs';

export type Table = 'jobs' | 'job_summary' | 'job_version' | 'evals' | 'allocs' | 'deployment' | 'nodes' | 'variables';

export interface JobRecord {
  key: string;
  job: Job;
  /** every version, newest first */
  versions: Job[];
  summary: JobSummary;
  /** JSON of the list stub (no Meta), cleared when the job or its summary changes */
  stubJson: string | null;
  allocIds: string[];
  evalIds: string[];
  deploymentIds: string[];
}

export interface AllocRecord {
  alloc: Allocation;
  /** JSON of the default list stub (TaskStates, no resources) */
  stubJson: string | null;
}

export interface RegisterResult {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
}

export interface DeregisterResult {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  VolumeEvalID: string;
  VolumeEvalIndex: number;
  Index: number;
}

export const jobKey = (namespace: string, id: string): string => `${namespace}\u0000${id}`;
const varKey = (namespace: string, path: string): string => `${namespace}\u0000${path}`;

/** The counter of a job summary's group that an allocation's ClientStatus adds to (the scheduler's summary update). */
const SUMMARY_COUNTER: ReadonlyMap<string, keyof TaskGroupSummary> = new Map([
  ['pending', 'Starting'],
  ['running', 'Running'],
  ['complete', 'Complete'],
  ['failed', 'Failed'],
  ['lost', 'Lost'],
  ['unknown', 'Unknown'],
]);

const TERMINAL_CLIENT = new Set(['complete', 'failed', 'lost']);
export const allocTerminal = (a: Allocation): boolean => a.DesiredStatus === 'stop' || a.DesiredStatus === 'evict' || TERMINAL_CLIENT.has(a.ClientStatus);
const evalTerminal = (e: Evaluation): boolean => e.Status === 'complete' || e.Status === 'failed' || e.Status === 'canceled';

function byId<T extends { ID: string }>(a: T, b: T): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/** scheduler/generic_sched.go: the reschedule events an unlimited policy keeps */
const MAX_PAST_RESCHEDULE_EVENTS = 5;

/** What the state runs the client and its waits with. */
export interface SimStateOptions {
  clock: SimClock;
  /** the task drivers of the simulated nodes, by name */
  drivers: ReadonlyMap<string, TaskDriver>;
  /** frames the event stream keeps (Nomad's server `event_buffer_size`, default 100) */
  eventBufferSize?: number;
}

/** A Map whose sets are changes of an event table (evaluations, deployments). */
class WatchedMap<V> extends Map<string, V> {
  constructor(private readonly onSet: (key: string, value: V) => void) {
    super();
  }

  override set(key: string, value: V): this {
    this.onSet(key, value);
    return super.set(key, value);
  }
}

/** The raft apply in progress: its index, its message type, the changes of its open transaction. */
interface Apply {
  index: number;
  type: ApplyType | null;
  changes: Map<string, Change>;
}

export class SimState implements ClientSink {
  index = 0;
  readonly tableIndex = new Map<Table, number>();
  readonly jobs = new SortedTable<JobRecord>();
  readonly allocs = new Map<string, AllocRecord>();
  readonly evals: Map<string, Evaluation> = new WatchedMap((id, e) => this.changed({ table: 'evals', key: id, after: e, before: null }));
  readonly deployments: Map<string, Deployment> = new WatchedMap((id, d) => this.changed({ table: 'deployment', key: id, after: d, before: null }));
  readonly nodes: Node[] = [];
  readonly vars = new SortedTable<Variable>();
  /** JSON bodies of GET /v1/jobs, by query, with the index they were made at */
  readonly listCache = new Map<string, { index: number; body: string }>();
  /** what blocking queries wait on */
  readonly feed = new ChangeFeed();
  /** the event stream: the frames of the last applies and their subscribers */
  readonly events: EventBroker;
  private apply: Apply | null = null;
  /** deployments whose allocations' health changed, for the deployment watcher */
  private readonly watched = new Set<string>();
  private commitScheduled = false;
  private rr = 0;
  /** the nodes' client: the allocations' task runners */
  readonly client: SimClient;
  readonly clock: SimClock;

  constructor(
    readonly region: string,
    readonly datacenter: string,
    private readonly nodeSpecs: NodeSpec[],
    opts: SimStateOptions,
  ) {
    this.clock = opts.clock;
    this.client = new SimClient(this, opts.clock, opts.drivers);
    this.events = new EventBroker(opts.eventBufferSize ?? 100);
    this.registerNodes();
  }

  private registerNodes(): void {
    for (const spec of this.nodeSpecs) {
      const idx = this.bump('NodeRegistration', 'nodes');
      const node = buildNode(spec, idx, nowNanos());
      this.nodes.push(node);
      this.changed({ table: 'nodes', key: node.ID, after: node, before: null });
    }
    this.nodes.sort(byId);
  }

  /**
   * A dev agent's restart (its state lives in memory only): every job, allocation, evaluation,
   * deployment and variable is gone, the raft index starts again from 0 as the nodes register anew
   * (new IDs), the event buffer is empty and every event stream ends.
   */
  restart(): void {
    this.commit();
    this.apply = null;
    this.client.close();
    this.events.reset();
    for (const t of [this.allocs, this.evals, this.deployments, this.jobs, this.vars, this.listCache, this.tableIndex]) t.clear();
    this.watched.clear();
    this.nodes.length = 0;
    this.index = 0;
    this.registerNodes();
    this.commit();
  }

  /* ------------------------------------------------------------ indexes and change feed */

  /**
   * Takes the next raft index for a write (a raft apply of this message type: the Type of its
   * events; null for applies Nomad publishes no events for) to these tables. The apply before it
   * is committed.
   */
  bump(type: ApplyType | null, ...tables: Table[]): number {
    this.commit();
    this.index += 1;
    this.apply = { index: this.index, type, changes: new Map() };
    for (const t of tables) this.tableIndex.set(t, this.index);
    this.scheduleNotify();
    return this.index;
  }

  /** Marks tables as written at an index already taken. */
  touch(index: number, ...tables: Table[]): void {
    for (const t of tables) this.tableIndex.set(t, Math.max(this.tableIndex.get(t) ?? 0, index));
    this.scheduleNotify();
  }

  /** The last index of some tables (at least 1, as Nomad's blocking queries answer). */
  indexOf(...tables: Table[]): number {
    let max = 0;
    for (const t of tables) max = Math.max(max, this.tableIndex.get(t) ?? 0);
    return Math.max(max, 1);
  }

  private scheduleNotify(): void {
    this.feed.changed();
  }

  /**
   * A change of an object of an event table within the apply in progress: the single path every
   * write takes to the event stream. As go-memdb's Changes, an object changed twice in one
   * transaction is one change, placed at its last write, with the first `before`.
   */
  changed(c: Change): void {
    const a = this.apply;
    if (!a) return;
    const k = `${c.table}\u0000${c.key}`;
    const prev = a.changes.get(k);
    a.changes.delete(k);
    a.changes.set(k, prev && c.table === 'jobs' && prev.table === 'jobs' ? { ...c, before: prev.before ?? c.before } : c);
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      queueMicrotask(() => {
        this.commitScheduled = false;
        this.commit();
      });
    }
  }

  /**
   * Commits the open transaction of the apply in progress: its changes become one frame of the
   * event stream at the apply's index (Nomad's txn.Commit). Later writes at the same index are a
   * next transaction (another frame at that index, as Nomad's applies of a job and its evaluation).
   */
  commit(): void {
    const a = this.apply;
    if (!a || a.changes.size === 0) return;
    const changes = [...a.changes.values()];
    a.changes = new Map();
    if (a.type !== null) this.events.publish(frameOf(a.index, a.type, changes));
  }

  get closed(): boolean {
    return this.feed.closed;
  }

  close(): void {
    this.commit();
    this.events.close();
    this.feed.close();
    this.client.close();
    this.clock.close();
  }

  /* ------------------------------------------------------------ lookups */

  job(namespace: string, id: string): JobRecord | undefined {
    return this.jobs.get(jobKey(namespace, id));
  }

  /** Job records sorted as memdb iterates them: by namespace, then ID. */
  jobList(): JobRecord[] {
    return this.jobs.inKeyOrder();
  }

  stubJsonOf(r: JobRecord): string {
    if (r.stubJson === null) {
      r.stubJson = stringifyLegacy(jobStub(r.job, r.summary, false));
    }
    return r.stubJson;
  }

  allocStubJsonOf(r: AllocRecord): string {
    if (r.stubJson === null) r.stubJson = stringifyLegacy(allocStub(r.alloc, { resources: false, taskStates: true }));
    return r.stubJson;
  }

  allocsOfJob(r: JobRecord): Allocation[] {
    const out: Allocation[] = [];
    for (const id of r.allocIds) {
      const a = this.allocs.get(id);
      if (a) out.push(a.alloc);
    }
    return out.sort(byId);
  }

  evalsOfJob(r: JobRecord): Evaluation[] {
    const out: Evaluation[] = [];
    for (const id of r.evalIds) {
      const e = this.evals.get(id);
      if (e) out.push(e);
    }
    return out.sort(byId);
  }

  node(id: string): Node | undefined {
    return this.nodes.find((n) => n.ID === id);
  }

  varList(): Variable[] {
    return this.vars.inKeyOrder();
  }

  /* ------------------------------------------------------------ job writes */

  private setJob(r: JobRecord, job: Job): void {
    r.job = job;
    r.stubJson = null;
    this.changed({ table: 'jobs', key: r.key, after: job, before: null });
  }

  private setSummary(r: JobRecord, index: number): void {
    const groups: Record<string, ReturnType<typeof emptyGroupSummary>> = {};
    for (const name of Object.keys(r.summary.Summary)) groups[name] = emptyGroupSummary();
    for (const tg of r.job.TaskGroups) groups[tg.Name] ??= emptyGroupSummary();
    // queued: what the newest evaluation of the job could not place
    let newest: Evaluation | undefined;
    for (const id of r.evalIds) {
      const e = this.evals.get(id);
      if (e && e.Status !== 'blocked' && (!newest || e.CreateIndex > newest.CreateIndex)) newest = e;
    }
    if (newest?.QueuedAllocations && !r.job.Stop) {
      for (const [g, n] of Object.entries(newest.QueuedAllocations)) {
        const s = groups[g];
        if (s) s.Queued = n;
      }
    }
    for (const id of r.allocIds) {
      const a = this.allocs.get(id)?.alloc;
      if (!a) continue;
      const s = (groups[a.TaskGroup] ??= emptyGroupSummary());
      const counter = SUMMARY_COUNTER.get(a.ClientStatus);
      if (counter) s[counter] += 1;
    }
    if (JSON.stringify(groups) !== JSON.stringify(r.summary.Summary)) {
      r.summary = { ...r.summary, Summary: groups, ModifyIndex: index };
      r.stubJson = null;
      this.touch(index, 'job_summary');
    }
  }

  private jobStatus(r: JobRecord): string {
    const j = r.job;
    if (j.Type === 'system' || j.Periodic !== null || j.ParameterizedJob !== null) return j.Stop ? 'dead' : 'running';
    for (const id of r.allocIds) {
      const a = this.allocs.get(id)?.alloc;
      if (a && !allocTerminal(a)) return 'running';
    }
    let hasEval = false;
    for (const id of r.evalIds) {
      const e = this.evals.get(id);
      if (!e) continue;
      if (!evalTerminal(e)) return 'pending';
      hasEval = true;
    }
    return hasEval || j.Stop ? 'dead' : 'pending';
  }

  /** Recomputes a job's status; a change is a write of the job at this index. */
  private refreshStatus(r: JobRecord, index: number): void {
    const status = this.jobStatus(r);
    if (status !== r.job.Status) {
      const job = { ...r.job, Status: status, ModifyIndex: index };
      this.setJob(r, job);
      if (r.versions[0] && r.versions[0].Version === job.Version) r.versions[0] = job;
      this.touch(index, 'jobs');
    }
  }

  /** Writes an allocation (a change of the allocs table). */
  putAlloc(a: Allocation): void {
    this.changed({ table: 'allocs', key: a.ID, after: a, before: null });
    const existing = this.allocs.get(a.ID);
    if (existing) {
      existing.alloc = a;
      existing.stubJson = null;
    } else {
      this.allocs.set(a.ID, { alloc: a, stubJson: null });
    }
  }

  /**
   * Job.Register: check-and-set, version bump when the spec changed, an evaluation, then the
   * scheduler and the client run at once (placement, task start).
   */
  register(job: Job, opts: { enforceIndex?: boolean; jobModifyIndex?: number; tokenAccessor?: string } = {}): RegisterResult {
    const key = jobKey(job.Namespace, job.ID);
    const existing = this.jobs.get(key);
    if (opts.enforceIndex) {
      const jmi = opts.jobModifyIndex ?? 0;
      if (existing) {
        if (jmi === 0) throw new SimHttpError(500, 'Enforcing job modify index 0: job already exists');
        if (jmi !== existing.job.JobModifyIndex) {
          throw new SimHttpError(500, `Enforcing job modify index ${jmi}: job exists with conflicting job modify index: ${existing.job.JobModifyIndex}`);
        }
      } else if (jmi !== 0) {
        throw new SimHttpError(500, `Enforcing job modify index ${jmi}: job does not exist`);
      }
    }
    if (opts.tokenAccessor) job = { ...job, NomadTokenID: opts.tokenAccessor };
    const now = nowNanos();
    const needsEval = job.Periodic === null && job.ParameterizedJob === null;

    if (existing && specKey(existing.job) === specKey(job)) {
      // unchanged: only a new evaluation (re-registering forces an evaluation)
      if (!needsEval) return { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: existing.job.ModifyIndex, Warnings: '', Index: existing.job.ModifyIndex };
      const idx = this.bump('EvaluationUpdated', 'evals');
      const ev = newEval({ namespace: job.Namespace, priority: job.Priority, type: job.Type, triggeredBy: 'job-register', jobId: job.ID, jobModifyIndex: existing.job.JobModifyIndex, status: 'pending', index: idx, now });
      this.evals.set(ev.ID, ev);
      existing.evalIds.push(ev.ID);
      this.schedule(existing, ev, false);
      return { EvalID: ev.ID, EvalCreateIndex: idx, JobModifyIndex: existing.job.ModifyIndex, Warnings: '', Index: idx };
    }

    const idx = this.bump('JobRegistered', 'jobs', 'job_version', 'job_summary', ...(needsEval ? (['evals'] as Table[]) : []));
    const stored: Job = {
      ...job,
      Version: existing ? existing.job.Version + 1 : 0,
      Stable: false,
      SubmitTime: int64(now),
      CreateIndex: existing ? existing.job.CreateIndex : idx,
      ModifyIndex: idx,
      JobModifyIndex: idx,
      Status: existing ? existing.job.Status : 'pending',
    };
    let r = existing;
    if (!r) {
      r = {
        key,
        job: stored,
        versions: [],
        summary: { JobID: job.ID, Namespace: job.Namespace, Summary: {}, Children: { Pending: 0, Running: 0, Dead: 0 }, CreateIndex: idx, ModifyIndex: idx },
        stubJson: null,
        allocIds: [],
        evalIds: [],
        deploymentIds: [],
      };
      this.jobs.set(key, r);
    }
    this.setJob(r, stored);
    r.versions.unshift(stored);
    if (r.versions.length > 6) r.versions.length = 6;
    // fsm.applyUpsertJob: the job's transaction, then its evaluation's, at one index (two frames)
    this.commit();
    let ev: Evaluation | null = null;
    if (needsEval) {
      ev = newEval({ namespace: job.Namespace, priority: job.Priority, type: job.Type, triggeredBy: 'job-register', jobId: job.ID, jobModifyIndex: idx, status: 'pending', index: idx, now });
      this.evals.set(ev.ID, ev);
      r.evalIds.push(ev.ID);
    }
    this.setSummary(r, idx);
    this.refreshStatus(r, idx);
    if (ev) this.schedule(r, ev, true);
    return { EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? idx : 0, JobModifyIndex: idx, Warnings: '', Index: idx };
  }

  /** Job.Deregister: stop (a new version with Stop) or purge. A job that does not exist is no error. */
  deregister(namespace: string, id: string, purge: boolean): DeregisterResult {
    const r = this.jobs.get(jobKey(namespace, id));
    if (!r) return { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 0, VolumeEvalID: '', VolumeEvalIndex: 0, Index: 0 };
    const now = nowNanos();
    const needsEval = r.job.Periodic === null && r.job.ParameterizedJob === null;
    const idx = this.bump('JobDeregistered', 'jobs', 'job_version', 'job_summary', ...(needsEval ? (['evals'] as Table[]) : []));
    const ev: Evaluation | null = needsEval
      ? newEval({ namespace, priority: r.job.Priority > 0 ? r.job.Priority : 50, type: 'service', triggeredBy: 'job-deregister', jobId: id, jobModifyIndex: idx, status: 'pending', index: idx, now })
      : null;
    // fsm.applyDeregisterJob: the job's transaction, then its evaluation's, at one index (two frames)
    if (purge) {
      this.removeJob(r, idx);
      this.commit();
      if (ev) {
        this.evals.set(ev.ID, { ...ev, Status: 'complete', ModifyIndex: idx, ModifyTime: int64(now), SnapshotIndex: idx });
      }
    } else {
      const stopped: Job = { ...r.job, Stop: true, Version: r.job.Version + 1, Stable: false, SubmitTime: int64(now), ModifyIndex: idx, JobModifyIndex: idx };
      this.setJob(r, stopped);
      r.versions.unshift(stopped);
      this.commit();
      if (ev) {
        this.evals.set(ev.ID, ev);
        r.evalIds.push(ev.ID);
        this.schedule(r, ev, true);
      } else {
        this.refreshStatus(r, idx);
      }
    }
    return { EvalID: ev?.ID ?? '', EvalCreateIndex: idx, JobModifyIndex: idx, VolumeEvalID: '', VolumeEvalIndex: 0, Index: idx };
  }

  /** Removes a job with its allocations, evaluations (but `keepEvals`) and deployments. */
  removeJob(r: JobRecord, idx: number, keepEvals: string[] = []): void {
    for (const a of r.allocIds) {
      this.client.forget(a);
      this.allocs.delete(a);
    }
    for (const e of r.evalIds) if (!keepEvals.includes(e)) this.evals.delete(e);
    for (const d of r.deploymentIds) this.deployments.delete(d);
    this.jobs.delete(r.key);
    // Nomad publishes the job's deletion; its allocations', evaluations' and deployments' reaps give no events
    this.changed({ table: 'jobs', key: r.key, after: null, before: r.job });
    this.touch(idx, 'jobs', 'job_summary', 'job_version', 'allocs', 'evals', 'deployment');
  }

  /** Nomad's GC of a dead job. */
  gc(namespace: string, id: string): void {
    const r = this.jobs.get(jobKey(namespace, id));
    if (!r) throw new Error(`sim: no job ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`);
    if (!r.job.Stop && r.job.Status !== 'dead') {
      throw new Error(`sim: job ${JSON.stringify(id)} is not stopped; Nomad only garbage-collects dead jobs`);
    }
    const idx = this.bump('JobBatchDeregistered', 'jobs');
    this.removeJob(r, idx);
  }

  /* ------------------------------------------------------------ scheduler and client */

  private feasible(job: Job, tg: TaskGroup): { nodes: Node[]; filtered: Record<string, number>; classFiltered: Record<string, number>; inPool: number; available: Record<string, number> } {
    const inDc = this.nodes.filter((n) => job.Datacenters.some((dc) => globMatch(dc, n.Datacenter)) && n.NodePool === job.NodePool);
    const available: Record<string, number> = {};
    for (const n of inDc) available[n.Datacenter] = (available[n.Datacenter] ?? 0) + 1;
    const filtered: Record<string, number> = {};
    // Nomad's AllocMetric.FilterNode counts a filtered node under its NodeClass, when it has one
    const classFiltered: Record<string, number> = {};
    const filter = (n: Node, reason: string) => {
      filtered[reason] = (filtered[reason] ?? 0) + 1;
      if (n.NodeClass) classFiltered[n.NodeClass] = (classFiltered[n.NodeClass] ?? 0) + 1;
    };
    const ok: Node[] = [];
    for (const n of inDc) {
      if (n.Status !== 'ready' || n.SchedulingEligibility !== 'eligible') continue;
      const missing = tg.Tasks.filter((t) => !nodeHasDriver(n, t.Driver));
      if (missing.length > 0) {
        filter(n, 'missing drivers');
        continue;
      }
      const failed = [...(job.Constraints ?? []), ...(tg.Constraints ?? []), ...tg.Tasks.flatMap((t) => t.Constraints ?? [])].find((c) => !constraintHolds(c.LTarget, c.Operand, c.RTarget, n));
      if (failed) {
        filter(n, `${failed.LTarget} ${failed.Operand} ${failed.RTarget}`);
        continue;
      }
      ok.push(n);
    }
    return { nodes: ok, filtered, classFiltered, inPool: inDc.length, available };
  }

  private pickNode(job: Job, tg: TaskGroup, nodes: Node[]): Node {
    const affinities = [...(job.Affinities ?? []), ...(tg.Affinities ?? []), ...tg.Tasks.flatMap((t) => t.Affinities ?? [])];
    if (affinities.length > 0) {
      let best: Node | undefined;
      let bestScore = -Infinity;
      for (const n of nodes) {
        let score = 0;
        for (const a of affinities) if (constraintHolds(a.LTarget, a.Operand, a.RTarget, n)) score += a.Weight;
        if (score > bestScore) {
          best = n;
          bestScore = score;
        }
      }
      if (best && bestScore > 0) return best;
    }
    this.rr = (this.rr + 1) % nodes.length;
    return nodes[this.rr] as Node;
  }

  /**
   * Runs an evaluation to the end: the plan (stop what the job no longer wants, place what it
   * wants), the evaluation's completion (with FailedTGAllocs and a blocked evaluation when some
   * allocations found no node), then the client starting the placed tasks.
   */
  private schedule(r: JobRecord, ev: Evaluation, specChanged: boolean): void {
    const job = r.job;
    const now = nowNanos();
    const planIdx = this.bump('PlanResult', 'allocs');
    const current = this.allocsOfJob(r).filter((a) => !allocTerminal(a));
    const stopping: Allocation[] = [];
    const placed: Allocation[] = [];
    const unplaced: Record<string, { count: number; metric: ReturnType<SimState['feasible']> }> = {};
    const queued: Record<string, number> = {};
    for (const tg of job.TaskGroups) queued[tg.Name] = 0;

    // what stays: allocations of the current version, when the job still runs and did not change
    const keep = new Set<string>();
    if (!job.Stop && !specChanged) for (const a of current) if (a.Job.Version === job.Version || a.Job.JobModifyIndex === job.JobModifyIndex) keep.add(a.ID);
    const desc = job.Stop ? 'alloc not needed due to job update' : 'alloc is being updated due to job update';
    for (const a of current) {
      if (keep.has(a.ID)) continue;
      const stopped: Allocation = { ...a, DesiredStatus: 'stop', DesiredDescription: desc, ModifyIndex: planIdx, AllocModifyIndex: planIdx, ModifyTime: int64(now) };
      this.putAlloc(stopped);
      stopping.push(stopped);
    }
    // failed allocations keep their place until their follow-up evaluation replaces them (or
    // for good, when their reschedule policy allows no more); a stopped or changed job retires them
    const failed = this.allocsOfJob(r).filter((a) => a.ClientStatus === 'failed' && a.DesiredStatus === 'run' && a.NextAllocation === '');
    const replacing = new Map<string, Allocation[]>();
    const retired: Allocation[] = [];
    for (const a of failed) {
      if (job.Stop || specChanged) {
        this.putAlloc({ ...a, DesiredStatus: 'stop', DesiredDescription: desc, ModifyIndex: planIdx, AllocModifyIndex: planIdx, ModifyTime: int64(now) });
        retired.push(a);
        continue;
      }
      if (a.FollowupEvalID === ev.ID) replacing.set(a.TaskGroup, [...(replacing.get(a.TaskGroup) ?? []), a]);
      else keep.add(a.ID);
    }

    let deployment: Deployment | null = null;
    if (!job.Stop) {
      const wantDeployment = job.Type === 'service' && specChanged && job.TaskGroups.some((tg) => tg.Update !== null && tg.Update.MaxParallel > 0);
      if (wantDeployment) {
        deployment = newDeployment(job, planIdx, now);
        this.deployments.set(deployment.ID, deployment);
        r.deploymentIds.push(deployment.ID);
        this.touch(planIdx, 'deployment');
      }
      for (const tg of job.TaskGroups) {
        const have = [...keep].map((id) => this.allocs.get(id)?.alloc).filter((a): a is Allocation => a !== undefined && a.TaskGroup === tg.Name).length;
        const want = job.Type === 'system' ? 1 : tg.Count;
        const replace = replacing.get(tg.Name) ?? [];
        if (have >= want) continue;
        const f = this.feasible(job, tg);
        for (let i = have; i < want; i++) {
          if (f.nodes.length === 0) {
            unplaced[tg.Name] ??= { count: 0, metric: f };
            (unplaced[tg.Name] as { count: number }).count += 1;
            queued[tg.Name] = (queued[tg.Name] ?? 0) + 1;
            continue;
          }
          const prev = replace.shift();
          const node = this.pickNode(job, tg, f.nodes);
          const metric = allocMetric({ nodesEvaluated: f.inPool, nodesFiltered: f.inPool - f.nodes.length, nodesInPool: f.inPool, available: f.available, constraintFiltered: Object.keys(f.filtered).length > 0 ? f.filtered : null, scoreNode: node.ID });
          const a = newAlloc({ job, tg, idx: prev ? allocIndexOf(prev, i) : i, node, evalId: ev.ID, deploymentId: deployment?.ID ?? '', metrics: metric, index: planIdx, now });
          if (prev) {
            // a rescheduled allocation: its predecessor stops and points at it
            a.PreviousAllocation = prev.ID;
            a.RescheduleTracker = { Events: this.rescheduleEvents(prev, now), LastReschedule: 'ok' };
            this.putAlloc({ ...prev, DesiredStatus: 'stop', NextAllocation: a.ID, ModifyIndex: planIdx, AllocModifyIndex: planIdx, ModifyTime: int64(now) });
          }
          this.putAlloc(a);
          r.allocIds.push(a.ID);
          placed.push(a);
        }
        if (deployment) {
          const ds = deployment.TaskGroups[tg.Name];
          if (ds) ds.PlacedAllocs = placed.filter((a) => a.TaskGroup === tg.Name).length;
        }
      }
    }
    // a plan that changes something is applied (a no-op plan is not) and sets its evaluation's ModifyIndex (UpsertPlanResults)
    if ((this.apply?.changes.size ?? 0) > 0) {
      const cur = this.evals.get(ev.ID);
      if (cur) this.evals.set(ev.ID, { ...cur, ModifyIndex: planIdx });
    }
    if (stopping.length > 0 || placed.length > 0) this.setSummary(r, planIdx);
    this.refreshStatus(r, planIdx);

    // the evaluation completes
    const evalIdx = this.bump('EvaluationUpdated', 'evals');
    const done: Evaluation = { ...ev, Status: 'complete', ModifyIndex: evalIdx, ModifyTime: int64(nowNanos()), SnapshotIndex: ev.CreateIndex, QueuedAllocations: job.Stop ? {} : queued, DeploymentID: deployment?.ID ?? ev.DeploymentID };
    // generic_sched.go: the reconciler's counts per group (structs.DesiredUpdates), kept on the evaluation
    const inGroup = (list: Iterable<Allocation | undefined>, name: string) => [...list].filter((a) => a?.TaskGroup === name).length;
    const desired: Record<string, JsonObject> = {};
    for (const tg of job.TaskGroups) {
      const counts = { Ignore: inGroup([...keep].map((id) => this.allocs.get(id)?.alloc), tg.Name), Place: inGroup(placed, tg.Name), Stop: inGroup([...stopping, ...retired], tg.Name) };
      desired[tg.Name] = { Ignore: counts.Ignore, Place: counts.Place, Migrate: 0, Stop: counts.Stop, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0, Disconnect: 0, Reconnect: 0, RescheduleNow: 0, RescheduleLater: 0 };
    }
    done.PlanAnnotations = { DesiredTGUpdates: desired, PreemptedAllocs: null };
    if (job.Stop) done.QueuedAllocations = Object.fromEntries(job.TaskGroups.map((tg) => [tg.Name, 0]));
    if (Object.keys(unplaced).length > 0) {
      const fta: NonNullable<Evaluation['FailedTGAllocs']> = {};
      for (const [name, f] of Object.entries(unplaced)) {
        fta[name] = allocMetric({
          nodesEvaluated: f.metric.inPool,
          nodesFiltered: f.metric.inPool,
          nodesInPool: f.metric.inPool,
          available: f.metric.available,
          constraintFiltered: Object.keys(f.metric.filtered).length > 0 ? f.metric.filtered : null,
          classFiltered: Object.keys(f.metric.classFiltered).length > 0 ? f.metric.classFiltered : null,
          coalesced: f.count - 1,
        });
      }
      const blocked = newEval({ namespace: ev.Namespace, priority: ev.Priority, type: ev.Type, triggeredBy: 'queued-allocs', jobId: ev.JobID, jobModifyIndex: ev.JobModifyIndex, status: 'blocked', index: evalIdx, now: nowNanos() });
      blocked.PreviousEval = ev.ID;
      blocked.StatusDescription = 'created to place remaining allocations';
      blocked.FailedTGAllocs = fta;
      // a constraint on a node's unique attributes escapes the computed classes: Nomad then tracks no class eligibility
      const escaped = [...(job.Constraints ?? []), ...job.TaskGroups.flatMap((tg) => [...(tg.Constraints ?? []), ...tg.Tasks.flatMap((t) => t.Constraints ?? [])])].some(
        (c) => `${c.LTarget} ${c.RTarget}`.includes('.unique.'),
      );
      if (escaped) blocked.EscapedComputedClass = true;
      else blocked.ClassEligibility = Object.fromEntries(this.nodes.map((n) => [n.ComputedClass, false]));
      this.evals.set(blocked.ID, blocked);
      r.evalIds.push(blocked.ID);
      done.FailedTGAllocs = fta;
      done.BlockedEval = blocked.ID;
    }
    // a job that runs again supersedes its blocked evaluations
    for (const id of r.evalIds) {
      const e = this.evals.get(id);
      if (e && e.Status === 'blocked' && e.ID !== done.BlockedEval) this.evals.set(id, { ...e, Status: 'canceled', StatusDescription: 'evaluation superseded by a newer one', ModifyIndex: evalIdx, ModifyTime: int64(nowNanos()) });
    }
    this.evals.set(done.ID, done);
    this.setSummary(r, evalIdx);
    this.refreshStatus(r, evalIdx);

    // the client: stopped tasks are killed, placed tasks start
    if (stopping.length === 0 && placed.length === 0) return;
    const clientIdx = this.bump('AllocationUpdated', 'allocs');
    const t0 = nowNanos();
    for (const a of stopping) {
      const states = this.client.kill(a.ID, t0) ?? killedStates(a, t0);
      const cs = clientStatusOf(states);
      this.putAlloc({ ...a, ClientStatus: cs.status, ClientDescription: cs.description, TaskStates: states, ModifyIndex: clientIdx, ModifyTime: int64(t0) });
      this.nodeAllocUpdate(a.NodeID, clientIdx);
    }
    const failedAtStart: Allocation[] = [];
    for (const a of placed) {
      const { states, health } = this.client.start(a, t0);
      const written = this.writeClient({ ...a, NetworkStatus: { InterfaceName: '', Address: '', AddressIPv6: '', DNS: null } }, states, health, clientIdx, t0);
      if (written.ClientStatus === 'failed') failedAtStart.push(written);
    }
    this.setSummary(r, clientIdx);
    this.refreshStatus(r, clientIdx);
    this.watchDeployments();
    for (const a of failedAtStart) this.allocFailed(r, a);
  }

  /* ------------------------------------------------------------ what the client reports */

  /** ClientSink: an allocation's tasks changed on the client (Node.UpdateAlloc). */
  clientUpdate(allocId: string, states: Record<string, TaskState>, health: ClientHealth | null): void {
    const rec = this.allocs.get(allocId);
    if (!rec || this.closed) return;
    const before = rec.alloc.ClientStatus;
    const idx = this.bump('AllocationUpdated', 'allocs');
    const a = this.writeClient(rec.alloc, states, health, idx, nowNanos());
    const r = this.jobs.get(jobKey(a.Namespace, a.JobID));
    if (!r) return;
    this.setSummary(r, idx);
    this.refreshStatus(r, idx);
    this.watchDeployments();
    if (a.ClientStatus === 'failed' && before !== 'failed') this.allocFailed(r, a);
  }

  /** Writes what the client says of an allocation: task states, client status, deployment health. */
  private writeClient(a: Allocation, states: Record<string, TaskState>, health: ClientHealth | null, idx: number, t: bigint): Allocation {
    const cs = clientStatusOf(states);
    const next: Allocation = { ...a, ClientStatus: cs.status, ClientDescription: cs.description, TaskStates: states, ModifyIndex: idx, ModifyTime: int64(t) };
    if (health) {
      // the simulator does not wait MinHealthyTime: a healthy allocation's time is when it would be
      const min = a.Job.TaskGroups.find((g) => g.Name === a.TaskGroup)?.Update?.MinHealthyTime ?? 10_000_000_000;
      next.DeploymentStatus = { Healthy: health.healthy, Timestamp: rfc3339Nano(health.healthy ? health.time + BigInt(min) : health.time), Canary: false, ModifyIndex: idx };
      if (!health.healthy) next.DesiredTransition = { ...next.DesiredTransition, Reschedule: true };
    }
    this.putAlloc(next);
    this.client.update(next);
    if (health) this.deploymentHealth(next, health.healthy, idx, t);
    this.nodeAllocUpdate(next.NodeID, idx);
    return next;
  }

  /** The deployment watcher: healthy allocations complete a deployment, an unhealthy one fails it. */
  private deploymentHealth(a: Allocation, healthy: boolean, idx: number, t: bigint): void {
    const d = this.deployments.get(a.DeploymentID);
    const ds = d?.TaskGroups[a.TaskGroup];
    if (!d || !ds || d.Status !== 'running') return;
    const groups = { ...d.TaskGroups, [a.TaskGroup]: { ...ds, HealthyAllocs: ds.HealthyAllocs + (healthy ? 1 : 0), UnhealthyAllocs: ds.UnhealthyAllocs + (healthy ? 0 : 1) } };
    // the client's update counts the allocation's health in its deployment (updateDeploymentWithAlloc)
    this.deployments.set(d.ID, { ...d, TaskGroups: groups, ModifyIndex: idx, ModifyTime: int64(t) });
    this.touch(idx, 'deployment');
    this.watched.add(d.ID);
  }

  /**
   * The deployment watcher, after the client's update. A deployment with an unhealthy allocation
   * fails (an apply of its own, DeploymentStatusUpdate). One whose groups are all healthy is marked
   * successful with its job version stable by a plan (PlanResult), as in Nomad 1.11.3, where the
   * watcher makes an evaluation (`deployment-watcher`) whose plan does it; the simulator keeps no
   * such evaluation (its evaluation lists stay as they were), so the Evaluation events of it
   * (AllocationUpdateDesiredStatus, PlanResult, EvaluationUpdated) are not in its stream.
   */
  private watchDeployments(): void {
    const ids = [...this.watched];
    this.watched.clear();
    for (const id of ids) {
      const d = this.deployments.get(id);
      if (!d || d.Status !== 'running') continue;
      const groups = Object.values(d.TaskGroups);
      const failed = groups.some((g) => g.UnhealthyAllocs > 0);
      if (!failed && !groups.every((g) => g.HealthyAllocs >= g.DesiredTotal)) continue;
      if (failed) {
        const idx = this.bump('DeploymentStatusUpdate', 'deployment');
        this.deployments.set(id, { ...d, Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations', ModifyIndex: idx, ModifyTime: int64(nowNanos()) });
        continue;
      }
      const r = this.jobs.get(jobKey(d.Namespace, d.JobID));
      if (!r) continue;
      const idx = this.bump('PlanResult', 'deployment');
      this.deployments.set(id, { ...d, Status: 'successful', StatusDescription: 'Deployment completed successfully', ModifyIndex: idx, ModifyTime: int64(nowNanos()) });
      if (r.job.Version === d.JobVersion) {
        const stable = { ...r.job, Stable: true, ModifyIndex: idx };
        this.setJob(r, stable);
        if (r.versions[0]?.Version === stable.Version) r.versions[0] = stable;
        this.touch(idx, 'jobs', 'job_version');
      }
    }
  }

  /** The client's update of an allocation sets its node's LastAllocUpdateIndex (a change of the node, its ModifyIndex kept). */
  private nodeAllocUpdate(nodeId: string, idx: number): void {
    const i = this.nodes.findIndex((n) => n.ID === nodeId);
    const n = this.nodes[i];
    if (!n || n.LastAllocUpdateIndex === idx) return;
    const next = { ...n, LastAllocUpdateIndex: idx };
    this.nodes[i] = next;
    this.changed({ table: 'nodes', key: next.ID, after: next, before: null });
  }

  /* ------------------------------------------------------------ rescheduling */

  /**
   * A failed allocation the reschedule policy allows another try: an `alloc-failure` evaluation,
   * which leaves a follow-up evaluation (`alloc-reschedule`, WaitUntil the failure + the delay) for
   * the scheduler to place its replacement at that time.
   */
  private allocFailed(r: JobRecord, a: Allocation): void {
    if (a.DesiredStatus !== 'run' || r.job.Stop) return;
    const policy = a.Job.TaskGroups.find((g) => g.Name === a.TaskGroup)?.ReschedulePolicy ?? null;
    if (!policy || (policy.Attempts === 0 && !policy.Unlimited)) return;
    const failTime = lastEventTime(a);
    const delay = this.nextDelay(a, policy);
    const events = a.RescheduleTracker?.Events ?? [];
    if (!policy.Unlimited) {
      const attempted = events.filter((e) => Number(BigInt(failTime) - BigInt(e.RescheduleTime.digits)) < policy.Interval).length;
      if (events.length > 0 && !(attempted < policy.Attempts && delay < policy.Interval)) return;
    }
    const now = nowNanos();
    const idx = this.bump('PlanResult', 'evals', 'allocs');
    const common = { namespace: a.Namespace, priority: r.job.Priority, type: r.job.Type, jobId: r.job.ID, jobModifyIndex: r.job.ModifyIndex, index: idx, now };
    const failure = newEval({ ...common, triggeredBy: 'alloc-failure', status: 'complete' });
    failure.SnapshotIndex = idx;
    failure.QueuedAllocations = Object.fromEntries(r.job.TaskGroups.map((tg) => [tg.Name, 0]));
    const followUp = newEval({ ...common, triggeredBy: 'alloc-reschedule', status: 'pending' });
    followUp.StatusDescription = 'created for delayed rescheduling';
    followUp.WaitUntil = rfc3339Nano(failTime + BigInt(delay));
    for (const e of [failure, followUp]) {
      this.evals.set(e.ID, e);
      r.evalIds.push(e.ID);
    }
    this.putAlloc({ ...a, FollowupEvalID: followUp.ID, ModifyIndex: idx, AllocModifyIndex: idx, ModifyTime: int64(now) });
    const key = r.key;
    this.clock.after(Math.max(0, Number(failTime + BigInt(delay) - nowNanos())), () => {
      const job = this.jobs.get(key);
      const ev = this.evals.get(followUp.ID);
      if (!job || !ev || ev.Status !== 'pending') return;
      if (job.job.Stop) {
        const i = this.bump('EvaluationUpdated', 'evals');
        this.evals.set(ev.ID, { ...ev, Status: 'complete', ModifyIndex: i, ModifyTime: int64(nowNanos()), SnapshotIndex: i });
        return;
      }
      this.schedule(job, ev, false);
    });
  }

  /** Allocation.NextDelay with the policy's delays as the simulator applies them (timeScale). */
  private nextDelay(a: Allocation, policy: ReschedulePolicy): number {
    const base = this.clock.scaled(policy.Delay);
    const max = this.clock.scaled(policy.MaxDelay);
    const events = a.RescheduleTracker?.Events ?? [];
    const last = events[events.length - 1];
    if (!last) return base;
    let d: number;
    if (policy.DelayFunction === 'exponential') d = last.Delay * 2;
    else if (policy.DelayFunction === 'fibonacci') {
      const n2 = events[events.length - 2];
      d = !n2 ? base : n2.Delay === max && last.Delay === base ? last.Delay : last.Delay + n2.Delay;
    } else return base;
    if (max > 0 && d > max) {
      d = max;
      if (Number(lastEventTime(a) - BigInt(last.RescheduleTime.digits)) > d) d = base;
    }
    return d;
  }

  /** updateRescheduleTracker: the predecessor's events (the last 5, or those within the interval) and this one. */
  private rescheduleEvents(prev: Allocation, now: bigint): RescheduleEvent[] {
    const policy = prev.Job.TaskGroups.find((g) => g.Name === prev.TaskGroup)?.ReschedulePolicy ?? null;
    const past = prev.RescheduleTracker?.Events ?? [];
    let kept: RescheduleEvent[] = [];
    if (policy && policy.Attempts > 0) kept = past.filter((e) => policy.Interval > 0 && Number(now - BigInt(e.RescheduleTime.digits)) <= policy.Interval);
    else if (policy) kept = past.slice(Math.max(0, past.length - MAX_PAST_RESCHEDULE_EVENTS));
    const delay = policy ? this.nextDelay(prev, policy) : 0;
    return [...kept, { RescheduleTime: int64(now), PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: delay }];
  }

  /** The driver of the group's running tasks reports a stage (a Driver event; dtle's hooks follow it). */
  setTaskStage(namespace: string | null, jobId: string, group: string, stage: string): void {
    const r = namespace !== null ? this.jobs.get(jobKey(namespace, jobId)) : (this.jobs.get(jobKey('default', jobId)) ?? this.jobList().find((x) => x.job.ID === jobId));
    if (!r) throw new Error(`sim: no job ${JSON.stringify(jobId)}`);
    const targets = this.allocsOfJob(r).filter((a) => a.TaskGroup === group && a.ClientStatus === 'running' && a.DesiredStatus === 'run');
    if (targets.length === 0) throw new Error(`sim: job ${JSON.stringify(jobId)} has no running allocation of group ${JSON.stringify(group)}`);
    for (const a of targets) {
      for (const [name, st] of Object.entries(a.TaskStates ?? {})) if (st.State === 'running') this.client.report(a.ID, name, stage);
    }
  }

  /** Node.Evaluate: one node-update evaluation per job with allocations on the node. */
  evaluateNode(nodeId: string): { evalIds: string[]; index: number; node: Node } {
    const node = this.node(nodeId);
    if (!node) throw new SimHttpError(500, 'node not found');
    const jobs = new Map<string, JobRecord>();
    for (const { alloc } of this.allocs.values()) {
      if (alloc.NodeID !== nodeId || allocTerminal(alloc)) continue;
      const r = this.jobs.get(jobKey(alloc.Namespace, alloc.JobID));
      if (r) jobs.set(r.key, r);
    }
    if (jobs.size === 0) return { evalIds: [], index: 0, node };
    const idx = this.bump('EvaluationUpdated', 'evals');
    const ids: string[] = [];
    for (const r of jobs.values()) {
      const ev = newEval({ namespace: r.job.Namespace, priority: r.job.Priority, type: r.job.Type, triggeredBy: 'node-update', jobId: r.job.ID, jobModifyIndex: r.job.JobModifyIndex, status: 'complete', index: idx, now: nowNanos() });
      ev.NodeID = nodeId;
      ev.NodeModifyIndex = node.ModifyIndex;
      ev.SnapshotIndex = idx;
      ev.QueuedAllocations = Object.fromEntries(r.job.TaskGroups.map((tg) => [tg.Name, 0]));
      this.evals.set(ev.ID, ev);
      r.evalIds.push(ev.ID);
      ids.push(ev.ID);
    }
    return { evalIds: ids, index: idx, node };
  }

  /* ------------------------------------------------------------ variables */

  getVar(namespace: string, path: string): Variable | undefined {
    return this.vars.get(varKey(namespace, path));
  }

  /** Variables.Apply set / cas. Returns the conflict (the current variable, or a zero one) on a cas mismatch. */
  putVar(namespace: string, path: string, items: StrMap, cas: number | null): { ok: Variable } | { conflict: Variable } {
    const key = varKey(namespace, path);
    const existing = this.vars.get(key);
    if (cas !== null) {
      if (cas === 0 && existing) return { conflict: existing };
      if (cas !== 0 && !existing) return { conflict: { Namespace: namespace, Path: path, CreateIndex: 0, CreateTime: int64(0), ModifyIndex: 0, ModifyTime: int64(0) } };
      if (existing && cas !== existing.ModifyIndex) return { conflict: existing };
    }
    if (existing && JSON.stringify(existing.Items) === JSON.stringify(items)) return { ok: existing };
    const idx = this.bump(null, 'variables');
    const now = nowNanos();
    const v: Variable = {
      Namespace: namespace,
      Path: path,
      CreateIndex: existing ? existing.CreateIndex : idx,
      CreateTime: existing ? existing.CreateTime : int64(now),
      ModifyIndex: idx,
      ModifyTime: int64(now),
      Items: { ...items },
    };
    this.vars.set(key, v);
    return { ok: v };
  }

  deleteVar(namespace: string, path: string, cas: number | null): { ok: number } | { conflict: Variable } {
    const key = varKey(namespace, path);
    const existing = this.vars.get(key);
    if (cas !== null) {
      if (cas !== 0 && !existing) return { conflict: { Namespace: namespace, Path: path, CreateIndex: 0, CreateTime: int64(0), ModifyIndex: 0, ModifyTime: int64(0) } };
      if (cas === 0 && existing) return { conflict: existing };
      if (existing && cas !== existing.ModifyIndex) return { conflict: existing };
    }
    if (!existing) return { ok: this.indexOf('variables') };
    const idx = this.bump(null, 'variables');
    this.vars.delete(key);
    return { ok: idx };
  }

  /* ------------------------------------------------------------ bulk seeding */

  /** Registers many jobs from one template quickly (no per-job canonicalisation). */
  seedJobs(template: Job, ids: string[], withAllocs: boolean): void {
    for (const id of ids) {
      const job: Job = { ...template, ID: id, Name: id };
      if (withAllocs) {
        this.register(job);
        continue;
      }
      const idx = this.bump('JobRegistered', 'jobs', 'job_version', 'job_summary');
      const stored: Job = { ...job, SubmitTime: int64(nowNanos()), CreateIndex: idx, ModifyIndex: idx, JobModifyIndex: idx, Status: 'pending' };
      const summary: JobSummary = { JobID: id, Namespace: job.Namespace, Summary: Object.fromEntries(job.TaskGroups.map((tg) => [tg.Name, emptyGroupSummary()])), Children: { Pending: 0, Running: 0, Dead: 0 }, CreateIndex: idx, ModifyIndex: idx };
      this.jobs.set(jobKey(job.Namespace, id), { key: jobKey(job.Namespace, id), job: stored, versions: [stored], summary, stubJson: null, allocIds: [], evalIds: [], deploymentIds: [] });
      this.changed({ table: 'jobs', key: jobKey(job.Namespace, id), after: stored, before: null });
    }
    // write the list stubs now, so that the first GET /v1/jobs after a bulk seed is as fast as the next
    for (const id of ids) {
      const r = this.jobs.get(jobKey(template.Namespace, id));
      if (r) this.stubJsonOf(r);
    }
  }

  newId(): string {
    return randomUUID();
  }
}

/* ------------------------------------------------------------ allocations */

/** The task states of an allocation the client has no runner for, once stopped. */
function killedStates(a: Allocation, t0: bigint): Record<string, TaskState> {
  const states: Record<string, TaskState> = {};
  const tg = a.Job.TaskGroups.find((g) => g.Name === a.TaskGroup);
  for (const t of tg?.Tasks ?? []) states[t.Name] = stoppedState(a.TaskStates?.[t.Name], t0, t.KillTimeout);
  return states;
}

/** Allocation.LastEventTime: the latest FinishedAt of its tasks, else its ModifyTime (ns). */
function lastEventTime(a: Allocation): bigint {
  let last = 0n;
  for (const s of Object.values(a.TaskStates ?? {})) {
    if (s.FinishedAt === null) continue;
    const t = rfc3339ToNanos(s.FinishedAt);
    if (t !== null && t > last) last = t;
  }
  return last > 0n ? last : BigInt(a.ModifyTime.digits);
}

/** The index in an allocation's name (`<job>.<group>[<index>]`). */
function allocIndexOf(a: Allocation, fallback: number): number {
  const m = /\[(\d+)\]$/.exec(a.Name);
  return m ? Number(m[1]) : fallback;
}

/* ------------------------------------------------------------ constraints */

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

/** Interpolates ${node.*}, ${attr.*}, ${meta.*} against a node. */
function resolveTarget(target: string, n: Node): string | undefined {
  const m = /^\$\{(.+)\}$/.exec(target);
  if (!m) return target;
  const key = m[1] as string;
  switch (key) {
    case 'node.unique.id':
      return n.ID;
    case 'node.unique.name':
      return n.Name;
    case 'node.datacenter':
      return n.Datacenter;
    case 'node.class':
      return n.NodeClass;
    case 'node.pool':
      return n.NodePool;
    default:
      if (key.startsWith('attr.')) return n.Attributes[key.slice(5)];
      if (key.startsWith('meta.')) return n.Meta?.[key.slice(5)];
      return undefined;
  }
}

/** The constraint operands the simulator checks; others hold. */
export function constraintHolds(lTarget: string, operand: string, rTarget: string, n: Node): boolean {
  const l = resolveTarget(lTarget, n);
  const r = resolveTarget(rTarget, n);
  switch (operand) {
    case '=':
    case '==':
    case 'is':
      return l !== undefined && l === r;
    case '!=':
    case 'not':
      return l !== r;
    case 'is_set':
      return l !== undefined;
    case 'is_not_set':
      return l === undefined;
    case 'regexp':
      try {
        return l !== undefined && new RegExp(r ?? '').test(l);
      } catch {
        return false;
      }
    case 'set_contains':
    case 'set_contains_all':
      return l !== undefined && (r ?? '').split(',').every((x) => l.split(',').map((s) => s.trim()).includes(x.trim()));
    case 'set_contains_any':
      return l !== undefined && (r ?? '').split(',').some((x) => l.split(',').map((s) => s.trim()).includes(x.trim()));
    default:
      return true;
  }
}
