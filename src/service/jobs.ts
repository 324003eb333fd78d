import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { stringifyLegacy } from '../legacy/int64';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { nomadPath, type CallOptions, type NomadClient, type QueryMeta } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import {
  Job,
  JobList,
  JobValidateResponse,
  JobWriteResponse,
  NodeList,
  type JobListStub,
} from '../nomad/types';
import { LegacyHttpError, badRequest, notFound } from '../legacy/errors';
import type { LegacyJob, LegacyJobListStub, LegacyJobResponse } from '../legacy/types';
import { BodyError, parseRegisterBody } from '../legacy/schema';
import { TranslateError } from '../translate/config';
import { hasMaskedSecret, maskSecrets } from '../translate/mask';
import { PAUSED_STATUS, legacyListStub, legacyToNomadJob, nomadJobToLegacy, type NomadJobWrite } from '../translate/job';
import { dialectForVersion, type Dialect } from '../translate/spec';
import { JobSpecCache, maskedJob, type CachedJob } from './jobCache';
import { allocJobView, type AllocJobView } from '../translate/alloc';
import { runWatch, type WatchOptions } from './watch';
import { PauseStore, isEnforceIndexConflict, type PausedEntry } from './pause';
import { z } from 'zod';

export interface JobServiceDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
}

export const JOB_NOT_FOUND = 'job not found';

/** GET /v1/jobs answers kept (different prefixes, regions, tokens' views). */
const LIST_MEMO_ENTRIES = 4;

/** 2.x's JobResponse from a Nomad write answer. */
export function legacyJobResponse(index: number): LegacyJobResponse {
  return { Success: true, Index: index, LastContact: 0, KnownLeader: false };
}

/** Legacy job operations over Nomad: reads through a JobModifyIndex-keyed spec cache, writes translated. */
export class JobService {
  readonly cache: JobSpecCache;
  readonly paused: PauseStore;
  private dialectCache: { value: Dialect; until: number } | null = null;
  private readonly limit: ReturnType<typeof pLimit>;
  /** the last few GET /v1/jobs answers, by scope, viewer, query, paused jobs and Nomad's list index */
  private readonly listMemo = new Map<string, { scope: string; index: string; text: Buffer }>();

  /** job reads under way, by cache key, JobModifyIndex and token */
  private readonly reading = new Map<string, Promise<CachedJob>>();
  /** how many GET /v1/jobs answers are kept */
  get listMemoSize(): number {
    return this.listMemo.size;
  }

  constructor(private readonly deps: JobServiceDeps) {
    this.cache = new JobSpecCache(deps.config.job_cache_max_entries, () => deps.metrics.cacheEvictions.labels('jobs').inc());
    this.limit = pLimit(deps.config.fetch_concurrency);
    this.paused = new PauseStore(deps);
  }

  /** IDs of paused jobs; an empty set where Nomad has no Variables (before 1.4) or the token may not read them. */
  private async pausedIds(opts: CallOptions): Promise<Map<string, number>> {
    try {
      return await this.paused.ids(opts);
    } catch (e) {
      if (e instanceof NomadError && e.kind === 'http' && [403, 404, 405].includes(e.status)) return new Map();
      throw e;
    }
  }

  private scopeKey(opts: CallOptions): string {
    const s = this.deps.nomad.scope(opts);
    return `${s.region ?? ''}/${s.namespace ?? ''}`;
  }

  /**
   * One job from Nomad, via the cache when the JobModifyIndex matches. A read of the same job, at
   * the same index, for the same token, already under way (the watch's cold fan-out and a legacy
   * list at once) is shared rather than made twice.
   */
  private fetchJob(id: string, jobModifyIndex: number, opts: CallOptions): Promise<CachedJob> {
    const key = JobSpecCache.key(this.scopeKey(opts), id);
    const hit = this.deps.config.job_cache_max_entries > 0 ? this.cache.get(key, jobModifyIndex) : undefined;
    if (hit) return Promise.resolve(hit);
    const flight = [key, jobModifyIndex, this.deps.nomad.tokenFor(opts.token) ?? ''].join('\u0000');
    const running = this.reading.get(flight);
    if (running) return running;
    const read = this.readJob(id, key, opts).finally(() => this.reading.delete(flight));
    this.reading.set(flight, read);
    return read;
  }

  /** Nomad's job, read now (a caller's blocking-query parameters do not apply). */
  private readNomadJob(id: string, opts: CallOptions) {
    return this.deps.nomad.get(nomadPath`/v1/job/${id}`, Job, { ...opts, index: undefined, wait: undefined, op: 'job.read' });
  }

  private async readJob(id: string, key: string, opts: CallOptions): Promise<CachedJob> {
    const { data } = await this.readNomadJob(id, opts);
    const entry = this.entryOf(data, nomadJobToLegacy(data, this.deps.config.dtle_drivers));
    this.cache.set(key, entry);
    this.deps.metrics.cacheSize.labels('jobs').set(this.cache.size);
    return entry;
  }

  /**
   * Keeps the spec cache warm: a blocking query on Nomad's job list; whenever the list changes,
   * the specs of jobs whose JobModifyIndex moved are fetched ahead of the next legacy list.
   * Returns a function that stops the watch.
   */
  startWatch(opts: WatchOptions = {}): () => void {
    return runWatch(
      'job list',
      this.deps.logger,
      async (index, wait) => {
        const { data: stubs, meta } = await this.deps.nomad.get('/v1/jobs', JobList, { index, wait, op: 'jobs.watch' });
        await Promise.all(
          stubs.map((stub) => this.limit(() => this.fetchJob(stub.ID, stub.JobModifyIndex, {}).catch(() => undefined))),
        );
        this.cache.retain(this.scopeKey({}), new Set(stubs.map((s: JobListStub) => s.ID)));
        this.deps.metrics.cacheSize.labels('jobs').set(this.cache.size);
        return meta.index ?? index;
      },
      opts,
    );
  }

  private entryOf(job: Job, legacy: LegacyJob | null): CachedJob {
    const view = legacy ? allocJobView(job, this.deps.config.dtle_drivers) : null;
    return {
      jobModifyIndex: job.JobModifyIndex,
      modifyIndex: job.ModifyIndex,
      masked: legacy && view ? JSON.stringify(maskSecrets(legacy)) : null,
      view: legacy ? view : null,
    };
  }

  /**
   * A cached job of any JobModifyIndex, for per-item views that only need a job's task layout
   * (which task group is Src, which Dest) and masked fields, e.g. the legacy allocation lists.
   */
  cachedView(id: string, opts: CallOptions): { view: AllocJobView; masked: LegacyJob } | undefined {
    if (this.deps.config.job_cache_max_entries <= 0) return undefined;
    const e = this.cache.latest(JobSpecCache.key(this.scopeKey(opts), id));
    const masked = e && e.view ? maskedJob(e) : null;
    return e && e.view && masked ? { view: e.view, masked } : undefined;
  }

  /** GET /v1/jobs: every dtle job as a 2.x list stub, passwords masked. */
  async list(opts: CallOptions, prefix?: string): Promise<{ jobs: LegacyJobListStub[]; meta: QueryMeta }> {
    const [{ data: stubs, meta }, pausedIds] = await Promise.all([
      this.deps.nomad.get('/v1/jobs', JobList, this.listCall(opts, prefix)),
      this.pausedIds(opts),
    ]);
    const { jobs } = await this.legacyList(stubs, pausedIds, opts, prefix);
    return { jobs, meta };
  }

  /**
   * GET /v1/jobs as the JSON text of the answer. The text is a pure function of Nomad's state at
   * the list's index (X-Nomad-Index), the caller's view of it (token, region, namespace), the
   * paused jobs and the query, so the last few answers are kept under that key: a poll that finds
   * nothing changed costs one Nomad call and no translation. (Not a digest of Nomad's text: Go
   * writes map keys in random order, so the same state gives different texts.)
   */
  async listText(opts: CallOptions, prefix: string | undefined, pretty: boolean): Promise<{ text: Buffer; meta: QueryMeta }> {
    const [res, pausedIds] = await Promise.all([
      this.deps.nomad.getText('/v1/jobs', this.listCall(opts, prefix)),
      this.pausedIds(opts),
    ]);
    const paused = [...pausedIds].map(([id, index]) => `${id}@${index}`).join(',');
    const viewer = createHash('sha256').update(this.deps.nomad.tokenFor(opts.token) ?? '').digest('base64');
    const scope = this.scopeKey(opts);
    const index = res.meta.index;
    const key = index === null ? null : [scope, viewer, prefix ?? '', pretty ? 'pretty' : '', paused, index].join('\u0000');
    const hit = key === null ? undefined : this.listMemo.get(key);
    if (key !== null && hit !== undefined) {
      this.listMemo.delete(key);
      this.listMemo.set(key, hit);
      return { text: hit.text, meta: res.meta };
    }
    const stubs = this.deps.nomad.parse(res.text, JobList, 'GET', res.status, '/v1/jobs');
    const { jobs, complete } = await this.legacyList(stubs, pausedIds, opts, prefix);
    // kept encoded: a socket write of a Buffer copies nothing, of a large string it encodes anew each time
    const text = Buffer.from(stringifyLegacy(jobs, pretty) + (pretty ? '\n' : ''), 'utf8');
    // an answer that left a job out (unreadable, or gone in between) is not kept
    if (key !== null && index !== null && complete && this.deps.config.job_cache_max_entries > 0) {
      // answers of this scope at another index will not be asked for again: at 10,000 jobs each is ~10 MB
      for (const [k, e] of this.listMemo) if (e.scope === scope && e.index !== index) this.listMemo.delete(k);
      this.listMemo.set(key, { scope, index, text });
      while (this.listMemo.size > LIST_MEMO_ENTRIES) this.listMemo.delete(this.listMemo.keys().next().value as string);
    }
    return { text, meta: res.meta };
  }

  private listCall(opts: CallOptions, prefix: string | undefined): CallOptions {
    return { ...opts, params: { ...(opts.params ?? {}), ...(prefix ? { prefix } : {}) }, op: 'jobs.list' };
  }

  private async legacyList(
    stubs: JobListStub[],
    pausedIds: Map<string, number>,
    opts: CallOptions,
    prefix: string | undefined,
  ): Promise<{ jobs: LegacyJobListStub[]; complete: boolean }> {
    let complete = true;
    const results = await Promise.all(
      stubs.map((stub) =>
        this.limit(async () => {
          try {
            return { stub, entry: await this.fetchJob(stub.ID, stub.JobModifyIndex, opts) };
          } catch (e) {
            if (e instanceof NomadError && e.kind === 'http' && e.status !== 403 && e.status < 500) {
              // gone between the list and the read, or unreadable: leave it out of this answer
              this.deps.logger.debug('job skipped in list', { job: stub.ID, status: e.status });
              complete = false;
              return null;
            }
            throw e;
          }
        }),
      ),
    );
    const live = new Set(stubs.map((s: JobListStub) => s.ID));
    if (!prefix) {
      this.cache.retain(this.scopeKey(opts), live);
      this.deps.metrics.cacheSize.labels('jobs').set(this.cache.size);
    }
    const jobs: LegacyJobListStub[] = [];
    for (const r of results) {
      const masked = r ? maskedJob(r.entry) : null;
      if (r && masked) jobs.push(legacyListStub(r.stub, masked, r.stub.Stop && pausedIds.has(r.stub.ID)));
    }
    // paused jobs that Nomad has garbage-collected still belong to the legacy list
    if (pausedIds.size > 0) {
      const wanted = new Map([...pausedIds].filter(([id]) => !prefix || id.startsWith(prefix)));
      for (const entry of await this.paused.orphans(wanted, live, opts)) {
        const legacy = nomadJobToLegacy(entry.spec, this.deps.config.dtle_drivers);
        if (legacy) jobs.push(legacyListStub(entry.spec, maskSecrets(legacy), true));
      }
      jobs.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
    }
    return { jobs, complete };
  }

  /** GET /v1/job/{ID}: the 2.x job (unmasked); 404 `job not found` for a missing or non-dtle job. */
  async get(id: string, opts: CallOptions): Promise<{ job: LegacyJob; raw: Job | null; meta: QueryMeta; paused: PausedEntry | null }> {
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/job/${id}`, Job, { ...opts, op: 'job.read' });
    } catch (e) {
      if (!(e instanceof NomadError && e.isNotFound)) throw e;
      // garbage-collected while paused: the saved spec answers
      const entry = await this.pausedEntry(id, opts);
      if (entry) {
        const legacy = nomadJobToLegacy(entry.spec, this.deps.config.dtle_drivers);
        if (!legacy) throw notFound(JOB_NOT_FOUND);
        return { job: { ...legacy, Status: PAUSED_STATUS }, raw: null, meta: { index: String(entry.modifyIndex), knownLeader: null, lastContact: null }, paused: entry };
      }
      // No saved spec either. A resume registers the job before it deletes the spec, so one that
      // ran between the two reads has left the job in Nomad: read it once more (seen on a real
      // Nomad with two concurrent resumes of a garbage-collected paused job).
      try {
        res = await this.readNomadJob(id, opts);
      } catch (again) {
        if (again instanceof NomadError && again.isNotFound) throw notFound(JOB_NOT_FOUND);
        throw again;
      }
    }
    const legacy = nomadJobToLegacy(res.data, this.deps.config.dtle_drivers);
    if (legacy === null) throw notFound(JOB_NOT_FOUND);
    const key = JobSpecCache.key(this.scopeKey(opts), id);
    this.cache.set(key, this.entryOf(res.data, legacy));
    const paused = res.data.Stop ? await this.pausedEntry(id, opts) : null;
    return { job: paused ? { ...legacy, Status: PAUSED_STATUS } : legacy, raw: res.data, meta: res.meta, paused };
  }

  private async pausedEntry(id: string, opts: CallOptions): Promise<PausedEntry | null> {
    try {
      return await this.paused.get(id, opts);
    } catch (e) {
      if (e instanceof NomadError && e.kind === 'http' && [403, 404, 405].includes(e.status)) return null;
      throw e;
    }
  }

  /**
   * GET|PUT|POST /v1/job/{ID}/pause: saves the job's full spec in a Nomad Variable, then stops the
   * job (no purge). Pausing a paused job changes nothing.
   */
  async pause(id: string, opts: CallOptions): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const current = await this.get(id, { ...opts, index: undefined, wait: undefined });
    if (current.paused || current.raw === null) return this.unchanged(current.meta);
    const raw = (await this.deps.nomad.get(nomadPath`/v1/job/${id}`, z.record(z.string(), z.unknown()), { ...opts, index: undefined, wait: undefined, op: 'job.read' })).data;
    const saved = await this.paused.save(id, raw, opts);
    if (!saved) return this.unchanged(current.meta);
    const { data, meta } = await this.deps.nomad.delete(nomadPath`/v1/job/${id}`, JobWriteResponse, { ...opts, index: undefined, wait: undefined, op: 'job.deregister' });
    const index = data.Index ?? data.EvalCreateIndex ?? data.JobModifyIndex;
    return { response: legacyJobResponse(index), meta: { ...meta, index: meta.index ?? String(index) } };
  }

  /**
   * GET|PUT|POST /v1/job/{ID}/resume: claims the saved spec (check-and-set on its variable), registers
   * it again (check-and-set on the stopped job's JobModifyIndex, or on its absence), then deletes the
   * saved copy. Resuming a running job changes nothing; of two concurrent resumes only one registers.
   */
  async resume(id: string, opts: CallOptions): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const current = await this.get(id, { ...opts, index: undefined, wait: undefined });
    if (!current.paused) return this.unchanged(current.meta);
    // one resume at a time: the saved spec is claimed with check-and-set first
    const entry = await this.paused.claim(current.paused, opts);
    if (!entry) return this.unchanged(current.meta);
    const payload = {
      Job: { ...entry.raw, Stop: false, SubmitTime: undefined },
      EnforceIndex: true,
      JobModifyIndex: current.raw ? current.raw.JobModifyIndex : 0,
    };
    let index: number;
    let meta: QueryMeta;
    try {
      const r = await this.deps.nomad.put('/v1/jobs', payload, JobWriteResponse, { ...opts, index: undefined, wait: undefined, op: 'jobs.register' });
      index = r.data.Index ?? r.data.JobModifyIndex;
      meta = r.meta;
    } catch (e) {
      // another resume won the race: it registered, this one changes nothing
      if (isEnforceIndexConflict(e)) return this.unchanged(current.meta);
      throw e;
    }
    await this.paused.remove(entry, opts);
    this.cache.delete(JobSpecCache.key(this.scopeKey(opts), id));
    return { response: legacyJobResponse(index), meta: { ...meta, index: meta.index ?? String(index) } };
  }

  /** 2.x's answer when a job already was in the asked state: Success false, Index 0, nothing changed. */
  private unchanged(meta: QueryMeta): { response: LegacyJobResponse; meta: QueryMeta } {
    return { response: { Success: false, Index: 0, LastContact: 0, KnownLeader: false }, meta: { ...meta, index: '0' } };
  }

  /** The task config dialect to write: configured, or from the dtle version the nodes report. */
  async dialect(opts: CallOptions): Promise<Dialect> {
    const configured = this.deps.config.dtle_dialect;
    if (configured !== 'auto') return configured;
    if (this.dialectCache && this.dialectCache.until > Date.now()) return this.dialectCache.value;
    const { data: nodes } = await this.deps.nomad.get('/v1/nodes', NodeList, { token: opts.token, region: opts.region, op: 'nodes.list' });
    const versions: Dialect[] = [];
    for (const n of nodes) {
      for (const d of this.deps.config.dtle_drivers) {
        const v = n.Drivers?.[d]?.Attributes?.[`driver.${d}.version`];
        const dialect = v ? dialectForVersion(v) : null;
        if (dialect) versions.push(dialect);
      }
    }
    // A mixed cluster gets the per-task layout only if no node understands the newer one.
    const value: Dialect = versions.length === 0 || versions.includes('src-only') ? 'src-only' : 'per-task';
    this.dialectCache = { value, until: Date.now() + 30_000 };
    return value;
  }

  /** Turns a legacy body into the Nomad job to write; 400 naming the field when it cannot. */
  async translate(body: unknown, opts: CallOptions, pathId?: string): Promise<{ job: NomadJobWrite; enforceIndex: boolean; jobModifyIndex: number | null }> {
    let parsed;
    try {
      parsed = parseRegisterBody(body);
    } catch (e) {
      if (e instanceof BodyError) throw badRequest(e.message);
      throw e;
    }
    const input = parsed.job;
    // 2.x used the body's ID and ignored the path; a body without an ID updates the job in the path
    if (pathId !== undefined && !input.ID) input.ID = pathId;
    let existing: LegacyJob | null = null;
    const id = input.ID || input.Name;
    if (id && hasMaskedSecret(input.Tasks ?? [])) {
      try {
        existing = (await this.get(id, { ...opts, index: undefined, wait: undefined })).job;
      } catch (e) {
        if (!(e instanceof LegacyHttpError && e.status === 404)) throw e;
      }
    }
    const dialect = await this.dialect(opts);
    try {
      const { job } = legacyToNomadJob(input, {
        dialect,
        driverName: this.deps.config.dtle_drivers[0] ?? 'dtle',
        datacenters: this.deps.config.datacenters,
        namespace: this.deps.nomad.scope(opts).namespace,
        existing,
      });
      return { job, enforceIndex: parsed.enforceIndex, jobModifyIndex: parsed.jobModifyIndex };
    } catch (e) {
      if (e instanceof TranslateError) throw badRequest(e.message);
      throw e;
    }
  }

  /** POST /v1/jobs, PUT|POST /v1/job/{ID} */
  async register(body: unknown, opts: CallOptions, pathId?: string): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const t = await this.translate(body, opts, pathId);
    const payload: Record<string, unknown> = { Job: t.job };
    if (t.enforceIndex) {
      payload.EnforceIndex = true;
      payload.JobModifyIndex = t.jobModifyIndex ?? 0;
    }
    const { data, meta } = await this.deps.nomad.put('/v1/jobs', payload, JobWriteResponse, { ...opts, op: 'jobs.register' });
    const index = data.Index ?? data.JobModifyIndex;
    return { response: legacyJobResponse(index), meta: { ...meta, index: meta.index ?? String(index) } };
  }

  /** DELETE /v1/job/{ID}: deregisters (purges when configured) a dtle job. */
  async delete(id: string, opts: CallOptions): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const current = await this.get(id, { ...opts, index: undefined, wait: undefined });
    let response = { response: legacyJobResponse(current.paused?.modifyIndex ?? 0), meta: current.meta };
    if (current.raw !== null) {
      const { data, meta } = await this.deps.nomad.delete(nomadPath`/v1/job/${id}`, JobWriteResponse, {
        ...opts,
        index: undefined,
        wait: undefined,
        params: { ...(this.deps.config.purge_on_delete ? { purge: 'true' } : {}) },
        op: 'job.deregister',
      });
      const index = data.Index ?? data.EvalCreateIndex ?? data.JobModifyIndex;
      response = { response: legacyJobResponse(index), meta: { ...meta, index: meta.index ?? String(index) } };
    }
    // a deleted paused job takes its saved spec with it
    if (current.paused) await this.paused.remove(current.paused, opts);
    this.cache.delete(JobSpecCache.key(this.scopeKey(opts), id));
    return response;
  }

  /** POST|PUT /v1/validate/job: 2.x's JobValidateResponse from the translation and Nomad's validation. */
  async validate(body: unknown, opts: CallOptions): Promise<{ DriverConfigValidated: boolean; ValidationTasks: null; Error: string }> {
    let job: NomadJobWrite;
    try {
      job = (await this.translate(body, opts)).job;
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 400 && !/^body:/.test(e.message)) {
        return { DriverConfigValidated: false, ValidationTasks: null, Error: e.message };
      }
      throw e;
    }
    const { data } = await this.deps.nomad.put('/v1/validate/job', { Job: job }, JobValidateResponse, { ...opts, op: 'job.validate' });
    // Nomad's Error is already the text of all ValidationErrors ("1 error occurred:\n\t* …"), as 2.x's was
    const error = data.Error ? data.Error : (data.ValidationErrors ?? []).join('; ');
    return { DriverConfigValidated: data.DriverConfigValidated, ValidationTasks: null, Error: error };
  }
}
