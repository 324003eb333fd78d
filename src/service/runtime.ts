import axios from 'axios';
import pLimit from 'p-limit';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { nomadPath, type CallOptions, type NomadClient, type QueryMeta } from '../nomad/client';
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
  LegacyNode,
  LegacyNodeListStub,
  LegacyNodeUpdateResponse,
  LegacyServerMembers,
  LegacyTaskStatistics,
} from '../legacy/types';
import { nomadJobToLegacy } from '../translate/job';
import { maskSecrets } from '../translate/mask';
import { allocJobView, legacyAllocation, legacyAllocStub, type AllocJobView } from '../translate/alloc';
import { legacyEvaluation } from '../translate/eval';
import { legacyNode, legacyNodeStub, legacyNodeUpdateResponse, nodeAddressOf, joinHostPort, type HttpAddrOptions } from '../translate/node';
import { legacyAgentSelf, legacyMembers } from '../translate/agent';
import { dtleMetricsFor, dtleTaskLabel, legacyTaskStatistics, parsePrometheusText, stageOfEvents } from '../translate/stats';
import { JOB_NOT_FOUND, type JobService } from './jobs';

export interface RuntimeServiceDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
  jobs: JobService;
}

/** 2.x's texts for missing things (agent/*_endpoint.go). */
export const ALLOC_NOT_FOUND = 'alloc not found';
export const EVAL_NOT_FOUND = 'eval not found';
export const NODE_NOT_FOUND = 'node not found';

/** What the runtime routes know about one dtle job. */
interface JobInfo {
  view: AllocJobView;
  legacy: LegacyJob;
}

/** The largest plugin /metrics answer read. */
const MAX_METRICS_BYTES = 8 * 1024 * 1024;

/** A read without the blocking parameters (the lookups behind a blocking query must not block). */
function nonBlocking(opts: CallOptions): CallOptions {
  return { ...opts, index: undefined, wait: undefined };
}

/**
 * Legacy runtime reads over Nomad: allocations, evaluations, nodes, agent, status, statistics.
 * Nomad I/O only; every reshaping is a pure function of src/translate. Answers are unmasked:
 * routes mask on the way out.
 */
export class RuntimeService {
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly deps: RuntimeServiceDeps) {
    this.limit = pLimit(deps.config.fetch_concurrency);
  }

  private get drivers(): readonly string[] {
    return this.deps.config.dtle_drivers;
  }

  private get addrOptions(): HttpAddrOptions {
    return { advertiseAddr: this.deps.config.advertise_addr, apiAddr: this.deps.config.api_addr };
  }

  private infoOf(job: Job): JobInfo | null {
    const view = allocJobView(job, this.drivers);
    const legacy = view ? nomadJobToLegacy(job, this.drivers) : null;
    return view && legacy ? { view, legacy } : null;
  }

  /** The dtle job, or null when it is missing or not a dtle job. */
  private async jobInfo(id: string, opts: CallOptions): Promise<JobInfo | null> {
    try {
      const { job, raw, paused } = await this.deps.jobs.get(id, nonBlocking(opts));
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
  private async jobInfos(ids: Iterable<string>, opts: CallOptions): Promise<Map<string, JobInfo>> {
    const unique = [...new Set(ids)];
    const found = await Promise.all(
      unique.map((id) => {
        // lists show jobs masked anyway: the cached masked job serves as their legacy view
        const cached = this.deps.jobs.cachedView(id, opts);
        if (cached) return [id, { view: cached.view, legacy: cached.masked }] as const;
        return this.limit(async () => [id, await this.jobInfo(id, opts)] as const);
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
   * The dtle job (404 `job not found` when missing or not dtle) and a read about it. A plain read
   * runs both at once; a blocking read waits for the job check first, so a missing job answers at
   * once instead of after the wait.
   */
  private async withJob<T>(id: string, opts: CallOptions, read: () => Promise<T>): Promise<[JobInfo, T]> {
    if (opts.index !== undefined) {
      const info = await this.jobInfo(id, opts);
      if (!info) throw notFound(JOB_NOT_FOUND);
      return [info, await read()];
    }
    const pending = Promise.resolve().then(read); // a read that throws at once is answered below too
    pending.catch(() => undefined); // answered below, or superseded by the job check's 404
    const info = await this.jobInfo(id, opts);
    if (!info) throw notFound(JOB_NOT_FOUND);
    return [info, await pending];
  }

  /** GET /v1/job/{ID}/allocations */
  async jobAllocations(id: string, opts: CallOptions, all: boolean): Promise<{ allocs: LegacyAllocListStub[]; meta: QueryMeta }> {
    const [info, { data, meta }] = await this.withJob(id, opts, () =>
      this.deps.nomad.get(nomadPath`/v1/job/${id}/allocations`, AllocList, {
        ...opts,
        params: { ...(opts.params ?? {}), ...(all ? { all: 'true' } : {}) },
        op: 'job.allocations',
      }),
    );
    return { allocs: this.stubsOf(data, new Map([[id, info]])), meta };
  }

  /** GET /v1/job/{ID}/evaluations */
  async jobEvaluations(id: string, opts: CallOptions): Promise<{ evals: LegacyEvaluation[]; meta: QueryMeta }> {
    const [info, { data, meta }] = await this.withJob(id, opts, () =>
      this.deps.nomad.get(nomadPath`/v1/job/${id}/evaluations`, EvaluationDetailList, { ...opts, op: 'job.evaluations' }),
    );
    return { evals: data.map((e) => legacyEvaluation(e, info.view, info.legacy.Type)), meta };
  }

  /* -------------------------------------------------------------- allocations */

  /** GET /v1/allocations: the allocations of dtle jobs. */
  async allocations(opts: CallOptions, prefix?: string): Promise<{ allocs: LegacyAllocListStub[]; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/allocations', AllocList, {
      ...opts,
      params: { ...(opts.params ?? {}), ...(prefix ? { prefix } : {}) },
      op: 'allocs.list',
    });
    const jobs = await this.jobInfos(
      data.map((a) => a.JobID),
      opts,
    );
    return { allocs: this.stubsOf(data, jobs), meta };
  }

  /** A Nomad allocation of a dtle job, with its legacy view; null when missing or not dtle. */
  private async dtleAllocation(id: string, opts: CallOptions) {
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/allocation/${id}`, Allocation, { ...opts, op: 'alloc.read' });
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) return null;
      throw e;
    }
    const info = res.data.Job ? this.infoOf(res.data.Job) : null;
    return info ? { alloc: res.data, info, meta: res.meta } : null;
  }

  /** GET /v1/allocation/{ID}: the allocation with its job in legacy form (job passwords masked here already). */
  async allocation(id: string, opts: CallOptions): Promise<{ alloc: LegacyAllocation; meta: QueryMeta }> {
    if (id === '') throw notFound(ALLOC_NOT_FOUND);
    const found = await this.dtleAllocation(id, opts);
    if (!found) throw notFound(ALLOC_NOT_FOUND);
    return { alloc: legacyAllocation(found.alloc, found.info.view, maskSecrets(found.info.legacy)), meta: found.meta };
  }

  /* -------------------------------------------------------------- evaluations */

  /** GET /v1/evaluations: the evaluations of dtle jobs. */
  async evaluations(opts: CallOptions, prefix?: string): Promise<{ evals: LegacyEvaluation[]; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/evaluations', EvaluationDetailList, {
      ...opts,
      params: { ...(opts.params ?? {}), ...(prefix ? { prefix } : {}) },
      op: 'evals.list',
    });
    const jobs = await this.jobInfos(
      data.map((e) => e.JobID),
      opts,
    );
    const evals: LegacyEvaluation[] = [];
    for (const e of data) {
      const info = jobs.get(e.JobID);
      if (info) evals.push(legacyEvaluation(e, info.view, info.legacy.Type));
    }
    return { evals, meta };
  }

  /** GET /v1/evaluation/{ID}: 404 `eval not found` when missing or the evaluation of a job that is not a dtle job. */
  async evaluation(id: string, opts: CallOptions): Promise<{ eval: LegacyEvaluation; meta: QueryMeta }> {
    if (id === '') throw notFound(EVAL_NOT_FOUND);
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/evaluation/${id}`, EvaluationDetail, { ...opts, op: 'eval.read' });
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) throw notFound(EVAL_NOT_FOUND);
      throw e;
    }
    const info = await this.jobInfo(res.data.JobID, opts);
    if (!info) throw notFound(EVAL_NOT_FOUND);
    return { eval: legacyEvaluation(res.data, info.view, info.legacy.Type), meta: res.meta };
  }

  /** GET /v1/evaluation/{ID}/allocations (2.x: an unknown evaluation has no allocations: []). */
  async evaluationAllocations(id: string, opts: CallOptions): Promise<{ allocs: LegacyAllocListStub[]; meta: QueryMeta }> {
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/evaluation/${id}/allocations`, AllocList, { ...opts, op: 'eval.allocations' });
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) return { allocs: [], meta: { index: null, knownLeader: null, lastContact: null } };
      throw e;
    }
    const jobs = await this.jobInfos(
      res.data.map((a) => a.JobID),
      opts,
    );
    return { allocs: this.stubsOf(res.data, jobs), meta: res.meta };
  }

  /* -------------------------------------------------------------- nodes */

  /** GET /v1/nodes */
  async nodes(opts: CallOptions, prefix?: string): Promise<{ nodes: LegacyNodeListStub[]; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/nodes', NodeList, {
      ...opts,
      params: { ...(opts.params ?? {}), ...(prefix ? { prefix } : {}) },
      op: 'nodes.list',
    });
    return { nodes: data.map((n) => legacyNodeStub(n, this.addrOptions)), meta };
  }

  /** GET /v1/node/{ID} */
  async node(id: string, opts: CallOptions): Promise<{ node: LegacyNode; meta: QueryMeta }> {
    if (id === '') throw notFound(NODE_NOT_FOUND);
    try {
      const { data, meta } = await this.deps.nomad.get(nomadPath`/v1/node/${id}`, NodeDetail, { ...opts, op: 'node.read' });
      return { node: legacyNode(data, this.addrOptions), meta };
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) throw notFound(NODE_NOT_FOUND);
      throw e;
    }
  }

  /** GET /v1/node/{ID}/allocations: the node's allocations of dtle jobs, each with its job (job passwords masked). */
  async nodeAllocations(id: string, opts: CallOptions): Promise<{ allocs: LegacyAllocation[]; meta: QueryMeta }> {
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/node/${id}/allocations`, AllocationList, { ...opts, op: 'node.allocations' });
    } catch (e) {
      // 2.x: an unknown node has no allocations
      if (e instanceof NomadError && e.isNotFound) return { allocs: [], meta: { index: null, knownLeader: null, lastContact: null } };
      throw e;
    }
    const allocs: LegacyAllocation[] = [];
    for (const a of res.data) {
      const info = a.Job ? this.infoOf(a.Job) : null;
      if (info) allocs.push(legacyAllocation(a, info.view, maskSecrets(info.legacy)));
    }
    return { allocs, meta: res.meta };
  }

  /** PUT|POST /v1/node/{ID}/evaluate */
  async nodeEvaluate(id: string, opts: CallOptions): Promise<{ response: LegacyNodeUpdateResponse; meta: QueryMeta }> {
    try {
      const { data, meta } = await this.deps.nomad.put(nomadPath`/v1/node/${id}/evaluate`, undefined, NodeUpdateResponse, {
        token: opts.token,
        region: opts.region,
        op: 'node.evaluate',
      });
      return { response: legacyNodeUpdateResponse(data), meta: { ...meta, index: meta.index ?? String(data.Index) } };
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) throw notFound(NODE_NOT_FOUND);
      throw e;
    }
  }

  /* -------------------------------------------------------------- agent and status */

  /** GET /v1/members */
  async members(opts: CallOptions): Promise<{ members: LegacyServerMembers; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/agent/members', ServerMembers, { ...opts, op: 'agent.members' });
    return { members: legacyMembers(data), meta };
  }

  /** GET /v1/self */
  async self(opts: CallOptions): Promise<{ self: LegacyAgentSelf; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/agent/self', AgentSelf, { ...opts, op: 'agent.self' });
    return { self: legacyAgentSelf(data, this.addrOptions), meta };
  }

  /** GET /v1/leader */
  async leader(opts: CallOptions): Promise<{ leader: string; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/status/leader', StringValue, { ...opts, op: 'status.leader' });
    return { leader: data, meta };
  }

  /** GET /v1/peers */
  async peers(opts: CallOptions): Promise<{ peers: string[]; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/status/peers', StringList, { ...opts, op: 'status.peers' });
    return { peers: data, meta };
  }

  /** GET /v1/regions */
  async regions(opts: CallOptions): Promise<{ regions: string[]; meta: QueryMeta }> {
    const { data, meta } = await this.deps.nomad.get('/v1/regions', StringList, { ...opts, op: 'status.regions' });
    return { regions: data, meta };
  }

  /* -------------------------------------------------------------- statistics */

  /** The dtle plugin's gauges on a node, or null when off, unreachable or unreadable (never throws). */
  async scrapePlugin(nodeId: string, opts: CallOptions): Promise<string | null> {
    const port = this.deps.config.dtle_api_port;
    if (port <= 0 || nodeId === '') return null;
    let url = '';
    try {
      const { data: node } = await this.deps.nomad.get(nomadPath`/v1/node/${nodeId}`, NodeDetail, {
        ...nonBlocking(opts),
        op: 'node.read',
      });
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
   * GET /v1/agent/allocation/{ID}/stats, answered as 2.x's agent did: `unknown allocation ID` (500)
   * for an allocation it does not run, a task filter naming another task is an error, and a task
   * that is not running has no statistics.
   */
  async allocStats(id: string, taskFilter: string, opts: CallOptions): Promise<LegacyAllocStatistics> {
    const found = await this.dtleAllocation(id, nonBlocking(opts));
    if (!found) throw new LegacyHttpError(500, `unknown allocation ID ${JSON.stringify(id)}`);
    const { alloc, info } = found;
    const tasks: Record<string, LegacyTaskStatistics> = {};
    const entries = Object.entries(alloc.TaskStates ?? {}).flatMap(([name, state]) => {
      const type = info.view.tasks.get(name);
      return type ? [{ name, state, type }] : [];
    });
    if (taskFilter !== '' && !entries.some((t) => t.type === taskFilter)) {
      throw new LegacyHttpError(500, `allocation ${JSON.stringify(id)} has no task ${JSON.stringify(taskFilter)}`);
    }
    const running = entries.filter((t) => t.state.State === 'running' && (taskFilter === '' || t.type === taskFilter));
    if (running.length === 0) return { Tasks: tasks };
    const text = await this.scrapePlugin(alloc.NodeID, opts);
    const samples = text === null ? null : parsePrometheusText(text);
    const jobName = alloc.Job?.Name || alloc.JobID;
    for (const t of running) {
      const legacyTask = info.legacy.Tasks.find((x) => x.Type === t.type);
      const srcTask = info.legacy.Tasks.find((x) => x.Type === 'Src');
      const gtid = legacyTask?.Config.Gtid ?? srcTask?.Config.Gtid;
      tasks[t.type] = legacyTaskStatistics({
        type: t.type,
        stage: stageOfEvents(t.state.Events),
        gtid: typeof gtid === 'string' ? gtid : '',
        metrics: samples === null ? null : dtleMetricsFor(samples, dtleTaskLabel(jobName, t.name)),
        nowNs: nowNanos(),
      });
    }
    return { Tasks: tasks };
  }
}
