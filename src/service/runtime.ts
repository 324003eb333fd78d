import axios from 'axios';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import pLimit from 'p-limit';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { nomadPath, type Blocking, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { nowNanos } from '../nomad/go';
import {
  AgentSelf,
  AllocList,
  Allocation,
  AllocationList,
  EvaluationDetail,
  EvaluationDetailList,
  NodeDetail,
  NodeList,
  NodeUpdateResponse,
  RaftConfiguration,
  ServerMembers,
  StringList,
  StringValue,
  type Job,
  type AllocListStub,
} from '../nomad/types';
import { LegacyHttpError, notFound } from '../legacy/errors';
import type {
  LegacyAgentSelf,
  LegacyAllocation,
  LegacyAllocListStub,
  LegacyAllocStatistics,
  LegacyEvaluation,
  LegacyJob,
  LegacyJobSpec,
  LegacyNode,
  LegacyNodeListStub,
  LegacyNodeUpdateResponse,
  LegacyRaftConfiguration,
  LegacyServerMembers,
  LegacyTaskStatistics,
} from '../legacy/types';
import { nomadJobToLegacy } from '../translate/job';
import { dtleStateKey } from '../translate/identity';
import { maskSecrets } from '../translate/mask';
import { allocJobView, legacyAllocation, legacyAllocStub, type AllocJobView } from '../translate/alloc';
import { legacyEvaluation } from '../translate/eval';
import { legacyNode, legacyNodeStub, legacyNodeUpdateResponse, nodeAddressOf, joinHostPort, type HttpAddrOptions } from '../translate/node';
import { legacyAgentSelf, legacyMembers, legacyRaftConfiguration } from '../translate/agent';
import {
  dtleMetricsFor,
  dtleTaskLabel,
  legacyOfTaskStatistics,
  legacyTaskStatistics,
  parsePrometheusText,
  stageOfEvents,
  taskStatisticsOfSignal,
  type DtleTaskStatistics,
} from '../translate/stats';
import type { DtleState } from '../translate/dtleState';
import { JOB_NOT_FOUND, type JobReads } from './jobReads';
import type { DtleStateStore } from './dtleState';
import { InFlight } from './inflight';

export interface RuntimeServiceDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
  jobs: JobReads;
  dtleState: DtleStateStore;
}

/** 2.x's texts for missing things (agent/*_endpoint.go). */
export const ALLOC_NOT_FOUND = 'alloc not found';
export const EVAL_NOT_FOUND = 'eval not found';
export const NODE_NOT_FOUND = 'node not found';

/** What the runtime routes know about one dtle job. */
interface JobInfo {
  view: AllocJobView;
  legacy: LegacyJobSpec;
}

/** A legacy read's answer: the 2.x body and the query meta for its X-Udup-* headers. */
export interface Answer<T> {
  body: T;
  meta: QueryMeta;
}

/** The query meta of an answer made without Nomad (nothing found). */
const NO_META: QueryMeta = { index: null, knownLeader: null, lastContact: null };

/**
 * A read's failure as 2.x answered it: nothing found is a 404 with `text` and the read's query
 * meta (2.x set it before the 404); an ID that is not a UUID is 2.x's 500 `<prefix>index error: …`
 * without headers (Nomad words the same memdb error its own way); anything else as it is.
 */
function readFailure(e: unknown, text: string, prefix: string): unknown {
  if (!(e instanceof NomadError)) return e;
  const indexError = e.indexError;
  if (indexError !== null) return new LegacyHttpError(500, prefix + indexError);
  return e.isNotFound ? notFound(text, e.meta) : e;
}

/** The largest plugin /metrics answer read. */
const MAX_METRICS_BYTES = 8 * 1024 * 1024;

/**
 * Legacy runtime reads over Nomad: allocations, evaluations, nodes, agent, status, statistics.
 * Nomad I/O only; every reshaping is a pure function of src/translate. Answers are unmasked:
 * routes mask on the way out.
 */
export class RuntimeService {
  private readonly limit: ReturnType<typeof pLimit>;
  /** the tasks' own statistics (alloc signal `stats`), per allocation and task, for stats_collection_interval */
  private readonly signalled: LRUCache<string, { stats: DtleTaskStatistics | null }>;
  private readonly signalling = new InFlight<DtleTaskStatistics | null>();

  constructor(private readonly deps: RuntimeServiceDeps) {
    this.limit = pLimit(deps.config.fetch_concurrency);
    this.signalled = new LRUCache({ max: 10_000, ttl: deps.config.stats_collection_interval * 1000 });
  }

  private get drivers(): readonly string[] {
    return this.deps.config.dtle_drivers;
  }

  private get addrOptions(): HttpAddrOptions {
    return { advertiseAddr: this.deps.config.advertise_addr, apiAddr: this.deps.config.api_addr };
  }

  /** An allocation's job: its legacy view and the whole 2.x job (allocations embed it). */
  private infoOf(job: Job): (JobInfo & { legacy: LegacyJob }) | null {
    const view = allocJobView(job, this.drivers);
    const legacy = view ? nomadJobToLegacy(job, this.drivers) : null;
    return view && legacy ? { view, legacy } : null;
  }

  /** The dtle job, or null when it is missing or not a dtle job. */
  private async jobInfo(id: string, scope: Scope): Promise<JobInfo | null> {
    try {
      const { job, raw, paused } = await this.deps.jobs.get(id, scope);
      // a paused job that Nomad has garbage-collected answers from its saved spec
      const spec = raw ?? paused?.spec ?? null;
      const view = spec ? allocJobView(spec, this.drivers) : null;
      return view ? { view, legacy: job } : null;
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 404) return null;
      throw e;
    }
  }

  /**
   * The dtle jobs among these IDs, for lists of allocations: the task layout comes from the job-spec
   * cache when it holds the job, else one read each (bounded concurrency).
   */
  private async jobInfos(ids: Iterable<string>, scope: Scope): Promise<Map<string, JobInfo>> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(
      unique.map((id) => {
        // lists show jobs masked anyway: the cached masked job serves as their legacy view
        const cached = this.deps.jobs.cachedView(id, scope);
        if (cached) return [id, { view: cached.view, legacy: cached.masked }] as const;
        return this.limit(async () => [id, await this.jobInfo(id, scope)] as const);
      }),
    );
    const out = new Map<string, JobInfo>();
    for (const [id, info] of found) if (info) out.set(id, info);
    return out;
  }

  private stubsOf(stubs: AllocListStub[], jobs: ReadonlyMap<string, JobInfo>): LegacyAllocListStub[] {
    const out: LegacyAllocListStub[] = [];
    for (const a of stubs) {
      const info = jobs.get(a.JobID);
      if (info) out.push(legacyAllocStub(a, info.view));
    }
    return out;
  }

  /* -------------------------------------------------------------- jobs */

  /**
   * A read about a job and the dtle job (null when missing or not dtle: 2.x checked no existence,
   * agent/job_endpoint.go:163–218, and answered `[]`). A plain read runs both at once; a blocking
   * read looks at the job after its wait, so a job registered meanwhile is found.
   */
  private async withJob<T>(id: string, scope: Scope, block: Blocking, read: () => Promise<T>): Promise<[JobInfo | null, T]> {
    // Nomad answers these lists for any ID; only an ID no path can carry ("." or "..") finds nothing
    const list = () => Promise.resolve().then(read).catch((e: unknown) => Promise.reject(e instanceof NomadError && e.status === 404 ? notFound(JOB_NOT_FOUND) : e));
    if (block.index !== undefined) {
      const r = await list();
      return [await this.jobInfo(id, scope), r];
    }
    return Promise.all([this.jobInfo(id, scope), list()]);
  }

  /** GET /v1/job/{ID}/allocations */
  async jobAllocations(id: string, scope: Scope, block: Blocking, all: boolean): Promise<Answer<LegacyAllocListStub[]>> {
    const [info, { data, meta }] = await this.withJob(id, scope, block, () =>
      this.deps.nomad.get(nomadPath`/v1/job/${id}/allocations`, AllocList, { scope, block, params: all ? { all: 'true' } : {}, op: 'job.allocations' }),
    );
    return { body: info ? this.stubsOf(data, new Map([[id, info]])) : [], meta };
  }

  /** GET /v1/job/{ID}/evaluations (`[]` for a job Nomad no longer has: its evaluations cannot be told from another Nomad job's) */
  async jobEvaluations(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyEvaluation[]>> {
    const [info, { data, meta }] = await this.withJob(id, scope, block, () =>
      this.deps.nomad.get(nomadPath`/v1/job/${id}/evaluations`, EvaluationDetailList, { scope, block, op: 'job.evaluations' }),
    );
    return { body: info ? data.map((e) => legacyEvaluation(e, info.view, info.legacy.Type)) : [], meta };
  }

  /* -------------------------------------------------------------- allocations */

  /** A Nomad list, narrowed by the legacy ?prefix=. */
  private list<T>(path: string, schema: z.ZodType<T>, scope: Scope, block: Blocking, prefix: string | undefined, op: string) {
    return this.deps.nomad.get(path, schema, { scope, block, params: prefix ? { prefix } : {}, op });
  }

  /** GET /v1/allocations: the allocations of dtle jobs. */
  async allocations(scope: Scope, block: Blocking, prefix?: string): Promise<Answer<LegacyAllocListStub[]>> {
    const { data, meta } = await this.list('/v1/allocations', AllocList, scope, block, prefix, 'allocs.list');
    const jobs = await this.jobInfos(
      data.map((a) => a.JobID),
      scope,
    );
    return { body: this.stubsOf(data, jobs), meta };
  }

  /**
   * One object by ID, read as 2.x read it: an empty ID or a missing object is 404 `missing` (with
   * the read's query meta), a malformed ID 2.x's 500 `failPrefix` + Nomad's index error.
   */
  private async readOne<T>(path: string, id: string, schema: z.ZodType<T>, opts: { scope: Scope; block: Blocking; op: string }, missing: string, failPrefix: string) {
    if (id === '') throw notFound(missing);
    try {
      return await this.deps.nomad.get(path, schema, opts);
    } catch (e) {
      throw readFailure(e, missing, failPrefix);
    }
  }

  /** A Nomad allocation of a dtle job, with its legacy view; null when missing or not dtle. */
  private async dtleAllocation(id: string, scope: Scope, block: Blocking) {
    const res = await this.orNone(this.deps.nomad.get(nomadPath`/v1/allocation/${id}`, Allocation, { scope, block, op: 'alloc.read' }));
    const info = res?.data.Job ? this.infoOf(res.data.Job) : null;
    return res && info ? { alloc: res.data, info, meta: res.meta } : null;
  }

  /** GET /v1/allocation/{ID}: the allocation with its job in legacy form (job passwords masked here already). */
  async allocation(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyAllocation>> {
    const res = await this.readOne(nomadPath`/v1/allocation/${id}`, id, Allocation, { scope, block, op: 'alloc.read' }, ALLOC_NOT_FOUND, 'alloc lookup failed: ');
    const info = res.data.Job ? this.infoOf(res.data.Job) : null;
    if (!info) throw notFound(ALLOC_NOT_FOUND, res.meta);
    return { body: legacyAllocation(res.data, info.view, maskSecrets(info.legacy)), meta: res.meta };
  }

  /* -------------------------------------------------------------- evaluations */

  /** GET /v1/evaluations: the evaluations of dtle jobs. */
  async evaluations(scope: Scope, block: Blocking, prefix?: string): Promise<Answer<LegacyEvaluation[]>> {
    const { data, meta } = await this.list('/v1/evaluations', EvaluationDetailList, scope, block, prefix, 'evals.list');
    const jobs = await this.jobInfos(
      data.map((e) => e.JobID),
      scope,
    );
    const evals: LegacyEvaluation[] = [];
    for (const e of data) {
      const info = jobs.get(e.JobID);
      if (info) evals.push(legacyEvaluation(e, info.view, info.legacy.Type));
    }
    return { body: evals, meta };
  }

  /** GET /v1/evaluation/{ID}: 404 `eval not found` when missing or the evaluation of a job that is not a dtle job. */
  async evaluation(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyEvaluation>> {
    const res = await this.readOne(nomadPath`/v1/evaluation/${id}`, id, EvaluationDetail, { scope, block, op: 'eval.read' }, EVAL_NOT_FOUND, 'eval lookup failed: ');
    const info = await this.jobInfo(res.data.JobID, scope);
    if (!info) throw notFound(EVAL_NOT_FOUND, res.meta);
    return { body: legacyEvaluation(res.data, info.view, info.legacy.Type), meta: res.meta };
  }

  /** GET /v1/evaluation/{ID}/allocations (2.x: an unknown evaluation has no allocations: []; an ID that is no UUID its 500). */
  async evaluationAllocations(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyAllocListStub[]>> {
    const read = this.deps.nomad.get(nomadPath`/v1/evaluation/${id}/allocations`, AllocList, { scope, block, op: 'eval.allocations' });
    const res = await this.orNone(read.catch((e: unknown) => Promise.reject(e instanceof NomadError && e.indexError !== null ? readFailure(e, '', '') : e)));
    if (res === null) return { body: [], meta: NO_META };
    const jobs = await this.jobInfos(
      res.data.map((a) => a.JobID),
      scope,
    );
    return { body: this.stubsOf(res.data, jobs), meta: res.meta };
  }

  /** A Nomad read, or null when Nomad found nothing. */
  private async orNone<T>(read: Promise<T>): Promise<T | null> {
    try {
      return await read;
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) return null;
      throw e;
    }
  }

  /* -------------------------------------------------------------- nodes */

  /** GET /v1/nodes */
  async nodes(scope: Scope, block: Blocking, prefix?: string): Promise<Answer<LegacyNodeListStub[]>> {
    const { data, meta } = await this.list('/v1/nodes', NodeList, scope, block, prefix, 'nodes.list');
    return { body: data.map((n) => legacyNodeStub(n, this.addrOptions)), meta };
  }

  /** GET /v1/node/{ID} */
  async node(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyNode>> {
    if (id === '') throw notFound(NODE_NOT_FOUND);
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/node/${id}`, NodeDetail, { scope, block, op: 'node.read' });
    } catch (e) {
      throw readFailure(e, NODE_NOT_FOUND, 'node lookup failed: ');
    }
    return { body: legacyNode(res.data, this.addrOptions, this.drivers), meta: res.meta };
  }

  /** GET /v1/node/{ID}/allocations: the node's allocations of dtle jobs, each with its job (job passwords masked). */
  async nodeAllocations(id: string, scope: Scope, block: Blocking): Promise<Answer<LegacyAllocation[]>> {
    const res = await this.orNone(this.deps.nomad.get(nomadPath`/v1/node/${id}/allocations`, AllocationList, { scope, block, op: 'node.allocations' }));
    // 2.x: an unknown node has no allocations
    if (res === null) return { body: [], meta: NO_META };
    const allocs: LegacyAllocation[] = [];
    for (const a of res.data) {
      const info = a.Job ? this.infoOf(a.Job) : null;
      if (info) allocs.push(legacyAllocation(a, info.view, maskSecrets(info.legacy)));
    }
    return { body: allocs, meta: res.meta };
  }

  /** PUT|POST /v1/node/{ID}/evaluate */
  async nodeEvaluate(id: string, scope: Scope): Promise<Answer<LegacyNodeUpdateResponse>> {
    const res = await this.orNone(this.deps.nomad.put(nomadPath`/v1/node/${id}/evaluate`, undefined, NodeUpdateResponse, { scope, op: 'node.evaluate' }));
    if (res === null) throw notFound(NODE_NOT_FOUND);
    return { body: legacyNodeUpdateResponse(res.data), meta: { ...res.meta, index: res.meta.index ?? String(res.data.Index) } };
  }

  /* -------------------------------------------------------------- agent and status */

  /** GET /v1/members */
  async members(scope: Scope, block: Blocking): Promise<Answer<LegacyServerMembers>> {
    const { data, meta } = await this.deps.nomad.get('/v1/agent/members', ServerMembers, { scope, block, op: 'agent.members' });
    return { body: legacyMembers(data), meta };
  }

  /** GET /v1/operator/raft/configuration, in 2.x's shape (2.x sent no query meta headers here) */
  async raftConfiguration(scope: Scope, block: Blocking): Promise<Answer<LegacyRaftConfiguration>> {
    const { data } = await this.deps.nomad.get('/v1/operator/raft/configuration', RaftConfiguration, { scope, block, op: 'operator.raft' });
    return { body: legacyRaftConfiguration(data), meta: NO_META };
  }

  /** GET /v1/self */
  async self(scope: Scope, block: Blocking): Promise<Answer<LegacyAgentSelf>> {
    const { data, meta } = await this.deps.nomad.get('/v1/agent/self', AgentSelf, { scope, block, op: 'agent.self' });
    return { body: legacyAgentSelf(data, this.addrOptions), meta };
  }

  /** GET /v1/leader, /v1/peers, /v1/regions: Nomad's answer as it is (the same shape in 2.x). */
  status(path: '/v1/status/leader', scope: Scope, block: Blocking): Promise<Answer<string>>;
  status(path: '/v1/status/peers' | '/v1/regions', scope: Scope, block: Blocking): Promise<Answer<string[]>>;
  async status(path: string, scope: Scope, block: Blocking): Promise<Answer<string | string[]>> {
    const op = path === '/v1/regions' ? 'status.regions' : `status.${path.slice('/v1/status/'.length)}`;
    const schema = path === '/v1/status/leader' ? StringValue : StringList;
    const { data, meta } = await this.deps.nomad.get<string | string[]>(path, schema, { scope, block, op });
    return { body: data, meta };
  }

  /* -------------------------------------------------------------- statistics */

  /** The dtle plugin's gauges on a node, or null when off, unreachable or unreadable (never throws). */
  async scrapePlugin(nodeId: string, scope: Scope): Promise<string | null> {
    const port = this.deps.config.dtle_api_port;
    if (port <= 0 || nodeId === '') return null;
    let url = '';
    try {
      const { data: node } = await this.deps.nomad.get(nomadPath`/v1/node/${nodeId}`, NodeDetail, { scope, op: 'node.read' });
      const host = nodeAddressOf({ Attributes: node.Attributes, HTTPAddr: node.HTTPAddr });
      if (host === '') return null;
      url = `http://${joinHostPort(host, String(port))}/metrics`;
      const res = await axios.get<string>(url, {
        timeout: Math.min(this.deps.config.nomad_timeout_ms, 5000),
        responseType: 'text',
        transformResponse: [(d: unknown) => d],
        proxy: false,
        maxRedirects: 0,
        maxContentLength: MAX_METRICS_BYTES,
        validateStatus: (s) => s === 200,
      });
      return typeof res.data === 'string' ? res.data : null;
    } catch (e) {
      this.deps.logger.debug('dtle plugin metrics not read; statistics keep zero values', {
        node: nodeId,
        url,
        error: e instanceof Error ? e.message : String(e),
      });
      return null;
    }
  }

  /**
   * The task's own statistics through Nomad's alloc signal `stats` (dtle's SignalTask answers them
   * as the error), kept per allocation and task for stats_collection_interval (dtle computes them
   * that often; each signal adds two task events). Null when the task gives none; never throws.
   */
  private signalStats(allocId: string, task: string, scope: Scope): Promise<DtleTaskStatistics | null> {
    const key = `${allocId}/${task}`;
    const hit = this.signalled.get(key);
    if (hit) return Promise.resolve(hit.stats);
    return this.signalling.run(key, async () => {
      let stats: DtleTaskStatistics | null = null;
      try {
        await this.deps.nomad.post(nomadPath`/v1/client/allocation/${allocId}/signal`, { Task: task, Signal: 'stats' }, z.unknown(), { scope, op: 'alloc.signal.stats' });
        // a driver that answers the signal without an error has no statistics to give
      } catch (e) {
        if (!(e instanceof NomadError)) throw e;
        stats = e.kind === 'http' ? taskStatisticsOfSignal(e.reason) : null;
        if (stats === null) this.deps.logger.debug('the task gave no statistics to the stats signal', { alloc: allocId, task, error: e.message });
        // Nomad not answering is not the task's answer: ask again next time
        if (e.kind !== 'http') return null;
      }
      this.signalled.set(key, { stats });
      return stats;
    });
  }

  /**
   * GET /v1/agent/allocation/{ID}/stats, answered as 2.x's agent did: `unknown allocation ID` (500)
   * for an allocation it does not run, a task filter naming another task is an error. Every task of
   * the allocation has statistics, running or not (its position is the job's, kept in Consul); the
   * plugin's gauges and the signal only come from a running task. Consul is read once (in parallel
   * with the plugin's and the signal's Nomad calls) and its loss only leaves its fields out.
   */
  async allocStats(id: string, taskFilter: string, scope: Scope): Promise<LegacyAllocStatistics> {
    const found = await this.dtleAllocation(id, scope, {});
    if (!found) throw new LegacyHttpError(500, `unknown allocation ID ${JSON.stringify(id)}`);
    const { alloc, info } = found;
    const tasks: Record<string, LegacyTaskStatistics> = {};
    const group = alloc.Job?.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    const entries = (group?.Tasks ?? []).flatMap((t) => {
      const type = info.view.tasks.get(t.Name);
      return type ? [{ name: t.Name, state: alloc.TaskStates?.[t.Name] ?? null, type }] : [];
    });
    if (taskFilter !== '' && !entries.some((t) => t.type === taskFilter)) {
      throw new LegacyHttpError(500, `allocation ${JSON.stringify(id)} has no task ${JSON.stringify(taskFilter)}`);
    }
    const targets = entries.filter((t) => taskFilter === '' || t.type === taskFilter);
    if (targets.length === 0) return { Tasks: tasks };
    const running = (t: (typeof targets)[number]) => t.state?.State === 'running' && alloc.ClientStatus === 'running';
    // dtle keys its Consul state and labels its gauges with dtle's state key (the Nomad job Name), not the legacy Name
    const jobName = alloc.Job ? dtleStateKey(alloc.Job) : alloc.JobID;
    const [state, text, signalled] = await Promise.all([
      this.deps.dtleState.read(jobName),
      targets.some(running) ? this.scrapePlugin(alloc.NodeID, scope) : Promise.resolve(null),
      Promise.all(targets.map((t) => (this.deps.config.stats_signal && running(t) ? this.signalStats(alloc.ID, t.name, scope) : Promise.resolve(null)))),
    ]);
    const samples = text === null ? null : parsePrometheusText(text);
    const srcTask = info.legacy.Tasks.find((x) => x.Type === 'Src');
    targets.forEach((t, i) => {
      const own = signalled[i];
      if (own) {
        tasks[t.type] = legacyOfTaskStatistics(own);
        return;
      }
      const legacyTask = info.legacy.Tasks.find((x) => x.Type === t.type);
      const configured = legacyTask?.Config.Gtid ?? srcTask?.Config.Gtid;
      tasks[t.type] = legacyTaskStatistics({
        type: t.type,
        stage: state?.stage ?? stageOfEvents(t.state?.Events ?? []),
        gtid: state?.gtid?.value ?? (typeof configured === 'string' ? configured : ''),
        binlog: state?.binlog?.value ?? null,
        progress: state?.dumpProgress?.value ?? null,
        eta: this.etaOf(jobName, state),
        metrics: samples === null || !running(t) ? null : dtleMetricsFor(samples, dtleTaskLabel(jobName, t.name)),
        nowNs: nowNanos(),
      });
    });
    return { Tasks: tasks };
  }

  /** The full copy's remaining time, while copying. */
  private etaOf(jobName: string, state: DtleState | null): string | null {
    if (!state?.dumpProgress || state.stage === 'incr') return null;
    return this.deps.dtleState.etaOf(jobName, state.dumpProgress);
  }
}
