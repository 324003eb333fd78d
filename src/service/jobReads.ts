/**
 * Legacy job reads over Nomad: one job, the job list (as objects or as the answer's text), and the
 * task layout other views need. Specs come through a JobModifyIndex-keyed cache kept warm by a
 * watch on Nomad's job list; list answers are memoized per Nomad index. Reads take the caller's
 * scope (token, region, namespace) and, where the caller may block, its blocking options apart.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { stringifyLegacy } from '../legacy/int64';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import { nomadPath, type Blocking, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { Job, JobList, type JobListStub } from '../nomad/types';
import { notFound } from '../legacy/errors';
import type { LegacyJob, LegacyJobListStub, LegacyJobSpec } from '../legacy/types';
import { maskSecrets } from '../translate/mask';
import { legacyListStub, nomadJobToLegacy, nomadSpecToLegacy } from '../translate/job';
import { legacyJobOf, stateOf } from '../translate/toLegacy';
import { allocJobView, type AllocJobView } from '../translate/alloc';
import { dtleStateKey } from '../translate/identity';
import { JobSpecCache, maskedJob, type CachedJob } from './jobCache';
import { InFlight } from './inflight';
import type { PauseStore, PausedEntry } from './pauseStore';
import type { DtleStateStore } from './dtleState';
import { runWatch, type WatchOptions } from './watch';

export interface JobReadsDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
  pauseStore: PauseStore;
  /** dtle's own pause flag (dtleJobList) */
  dtleState: DtleStateStore;
}

export const JOB_NOT_FOUND = 'job not found';

/** GET /v1/jobs answers kept (different prefixes, regions, tokens' views). */
const LIST_MEMO_ENTRIES = 4;
/** Their size at the most: an answer at 10,000 jobs is about 10 MB. */
const LIST_MEMO_MAX_BYTES = 64 * 1024 * 1024;

/** A Nomad failure that means "no paused jobs here": no Variables (before 1.4) or the token may not read them. */
function noVariables(e: unknown): boolean {
  return e instanceof NomadError && e.kind === 'http' && [403, 404, 405].includes(e.status);
}

/** One legacy job as read now, with what the write paths need of it. */
export interface JobRead {
  /** the 2.x job, unmasked; `pause` when paused */
  job: LegacyJob;
  /** the Nomad job, or null when Nomad has garbage-collected it while paused */
  raw: Job | null;
  meta: QueryMeta;
  /** the saved spec when the job is paused by the emulation (stopped, spec in a Nomad Variable) */
  paused: PausedEntry | null;
  /** dtle's own flag (dtleJobList/<job Name>) says paused: the job runs, its runners do not */
  dtlePaused: boolean;
}

interface MemoEntry {
  scope: string;
  index: string;
  text: Buffer;
}

export class JobReads {
  readonly cache: JobSpecCache;
  private readonly limit: ReturnType<typeof pLimit>;
  /** the last few GET /v1/jobs answers, by scope, viewer, query, paused jobs and Nomad's list index */
  private readonly listMemo = new LRUCache<string, MemoEntry>({
    max: LIST_MEMO_ENTRIES,
    maxSize: LIST_MEMO_MAX_BYTES,
    sizeCalculation: (e) => Math.max(1, e.text.length),
  });
  /** job reads under way, by cache key, JobModifyIndex and token */
  private readonly reading = new InFlight<CachedJob>();
  /** GET /v1/jobs answers being built, by memo key */
  private readonly building = new InFlight<Buffer>();

  constructor(private readonly deps: JobReadsDeps) {
    this.cache = new JobSpecCache(deps.config.job_cache_max_entries, () => deps.metrics.cacheEvictions.labels('jobs').inc());
    this.limit = pLimit(deps.config.fetch_concurrency);
  }

  /** how many GET /v1/jobs answers are kept */
  get listMemoSize(): number {
    return this.listMemo.size;
  }

  /** IDs of paused jobs; an empty set where Nomad has no Variables (before 1.4) or the token may not read them. */
  private async pausedIds(scope: Scope): Promise<Map<string, number>> {
    try {
      return await this.deps.pauseStore.ids(scope);
    } catch (e) {
      if (noVariables(e)) return new Map();
      throw e;
    }
  }

  /** The saved spec of a paused job, or null (also where Variables cannot be read). */
  private async pausedEntry(id: string, scope: Scope): Promise<PausedEntry | null> {
    try {
      return await this.deps.pauseStore.get(id, scope);
    } catch (e) {
      if (noVariables(e)) return null;
      throw e;
    }
  }

  private scopeKey(scope: Scope): string {
    const s = this.deps.nomad.resolve(scope);
    return `${s.region ?? ''}/${s.namespace ?? ''}`;
  }

  /** The cache key of a job in a scope. */
  keyOf(id: string, scope: Scope): string {
    return JobSpecCache.key(this.scopeKey(scope), id);
  }

  /** Forgets a job's cached spec (after a write through this service). */
  forget(id: string, scope: Scope): void {
    this.cache.delete(this.keyOf(id, scope));
  }

  private noteCacheSize(): void {
    this.deps.metrics.cacheSize.labels('jobs').set(this.cache.size);
  }

  /**
   * One job from Nomad, via the cache when the JobModifyIndex matches. A read of the same job, at
   * the same index, for the same token, already under way (the watch's cold fan-out and a legacy
   * list at once) is shared rather than made twice. Only the Nomad reads wait for a slot of the
   * fan-out limit: a hit never queues behind another list's misses (under a write-heavy load that
   * queue made list answers wait seconds).
   */
  private fetchJob(id: string, jobModifyIndex: number, scope: Scope): Promise<CachedJob> {
    const key = this.keyOf(id, scope);
    const hit = this.cache.get(key, jobModifyIndex);
    if (hit) return Promise.resolve(hit);
    const flight = [key, jobModifyIndex, this.deps.nomad.tokenFor(scope.token) ?? ''].join('\u0000');
    return this.reading.run(flight, async () => {
      const { data } = await this.limit(() => this.readNow(id, scope));
      const entry = this.entryOf(data, nomadSpecToLegacy(data, this.deps.config.dtle_drivers));
      this.cache.set(key, entry);
      this.noteCacheSize();
      return entry;
    });
  }

  /** Nomad's job, read now (not blocking). */
  readNow(id: string, scope: Scope) {
    return this.deps.nomad.get(nomadPath`/v1/job/${id}`, Job, { scope, op: 'job.read' });
  }

  private entryOf(job: Job, legacy: LegacyJobSpec | null): CachedJob {
    const view = legacy ? allocJobView(job, this.deps.config.dtle_drivers) : null;
    return {
      jobModifyIndex: job.JobModifyIndex,
      modifyIndex: job.ModifyIndex,
      masked: legacy && view ? JSON.stringify(maskSecrets(legacy)) : null,
      view: legacy ? view : null,
    };
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
        const { data: stubs, meta } = await this.deps.nomad.get('/v1/jobs', JobList, { block: { index, wait }, op: 'jobs.watch' });
        await Promise.all(stubs.map((stub) => this.fetchJob(stub.ID, stub.JobModifyIndex, {}).catch(() => undefined)));
        this.cache.retain(this.scopeKey({}), new Set(stubs.map((s: JobListStub) => s.ID)));
        this.noteCacheSize();
        return meta.index ?? index;
      },
      opts,
    );
  }

  /**
   * A cached job of any JobModifyIndex, for per-item views that only need a job's task layout
   * (which task group is Src, which Dest) and masked fields, e.g. the legacy allocation lists.
   */
  cachedView(id: string, scope: Scope): { view: AllocJobView; masked: LegacyJobSpec } | undefined {
    const e = this.cache.latest(this.keyOf(id, scope));
    const masked = e && e.view ? maskedJob(e) : null;
    return e && e.view && masked ? { view: e.view, masked } : undefined;
  }

  /**
   * GET /v1/jobs as objects (the operator page, --check): every dtle job as a 2.x list stub,
   * passwords masked, with each job's dtle state key (its Nomad job Name) by ID.
   */
  async list(scope: Scope, prefix?: string): Promise<{ jobs: LegacyJobListStub[]; meta: QueryMeta; stateKeys: Map<string, string> }> {
    const [{ data: stubs, meta }, pausedIds, dtlePaused] = await Promise.all([
      this.deps.nomad.get('/v1/jobs', JobList, this.listCall(scope, {}, prefix)),
      this.pausedIds(scope),
      this.deps.dtleState.pausedNames(),
    ]);
    const { jobs } = await this.legacyList(stubs, pausedIds, dtlePaused, scope, prefix);
    return { jobs, meta, stateKeys: new Map(stubs.map((s) => [s.ID, dtleStateKey(s)])) };
  }

  /**
   * GET /v1/jobs as the JSON text of the answer. The text is a pure function of Nomad's state at
   * the list's index (X-Nomad-Index), the caller's view of it (token, region, namespace), the
   * paused jobs and the query, so the last few answers are kept under that key: a poll that finds
   * nothing changed costs one Nomad call and no translation. (Not a digest of Nomad's text: Go
   * writes map keys in random order, so the same state gives different texts.)
   */
  async listText(scope: Scope, block: Blocking, prefix: string | undefined, pretty: boolean): Promise<{ text: Buffer; meta: QueryMeta }> {
    const [res, pausedIds, dtlePaused] = await Promise.all([
      this.deps.nomad.getText('/v1/jobs', this.listCall(scope, block, prefix)),
      this.pausedIds(scope),
      this.deps.dtleState.pausedNames(),
    ]);
    const paused = [...pausedIds].map(([id, index]) => `${id}@${index}`).join(',') + '|' + [...(dtlePaused ?? [])].sort().join(',');
    const viewer = createHash('sha256').update(this.deps.nomad.tokenFor(scope.token) ?? '').digest('base64');
    const scopeKey = this.scopeKey(scope);
    const index = res.meta.index;
    const key = index === null ? null : [scopeKey, viewer, prefix ?? '', pretty ? 'pretty' : '', paused, index].join('\u0000');
    const hit = key === null ? undefined : this.listMemo.get(key);
    if (hit !== undefined) return { text: hit.text, meta: res.meta };
    const build = async (): Promise<Buffer> => {
      const stubs = this.deps.nomad.parse(res.text, JobList, 'GET', res.status, '/v1/jobs');
      const { jobs, complete } = await this.legacyList(stubs, pausedIds, dtlePaused, scope, prefix);
      // kept encoded: a socket write of a Buffer copies nothing, of a large string it encodes anew each time
      const text = Buffer.from(stringifyLegacy(jobs, pretty) + (pretty ? '\n' : ''), 'utf8');
      // an answer that left a job out (unreadable, or gone in between) is not kept
      if (key !== null && index !== null && complete) {
        // answers of this scope at another index will not be asked for again: at 10,000 jobs each is ~10 MB
        for (const [k, e] of this.listMemo.entries()) if (e.scope === scopeKey && e.index !== index) this.listMemo.delete(k);
        this.listMemo.set(key, { scope: scopeKey, index, text });
      }
      return text;
    };
    // lists of one key asked for while its answer is being built share that build
    const text = key === null ? await build() : await this.building.run(key, build);
    return { text, meta: res.meta };
  }

  private listCall(scope: Scope, block: Blocking, prefix: string | undefined) {
    return { scope, block, params: prefix ? { prefix } : {}, op: 'jobs.list' };
  }

  /**
   * The legacy list: each job's stub from its cached spec, `pause` when paused by the emulation
   * (stopped, spec saved) or by dtle's flag (its Nomad job Name among `dtlePaused`, the
   * dtleJobList watch's: no Consul call per job).
   */
  private async legacyList(
    stubs: JobListStub[],
    pausedIds: Map<string, number>,
    dtlePaused: ReadonlySet<string> | null,
    scope: Scope,
    prefix: string | undefined,
  ): Promise<{ jobs: LegacyJobListStub[]; complete: boolean }> {
    let complete = true;
    const results = await Promise.all(
      stubs.map(async (stub) => {
        try {
          return { stub, entry: await this.fetchJob(stub.ID, stub.JobModifyIndex, scope) };
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
    );
    const live = new Set(stubs.map((s: JobListStub) => s.ID));
    if (!prefix) {
      this.cache.retain(this.scopeKey(scope), live);
      this.noteCacheSize();
    }
    const jobs: LegacyJobListStub[] = [];
    for (const r of results) {
      const masked = r ? maskedJob(r.entry) : null;
      if (r && masked) jobs.push(legacyListStub(r.stub, masked, (r.stub.Stop && pausedIds.has(r.stub.ID)) || (dtlePaused?.has(r.stub.Name) ?? false)));
    }
    // paused jobs that Nomad has garbage-collected still belong to the legacy list
    if (pausedIds.size > 0) {
      const wanted = new Map([...pausedIds].filter(([id]) => !prefix || id.startsWith(prefix)));
      for (const entry of await this.deps.pauseStore.orphans(wanted, live, scope)) {
        const legacy = nomadSpecToLegacy(entry.spec, this.deps.config.dtle_drivers);
        if (legacy) jobs.push(legacyListStub(entry.spec, maskSecrets(legacy), true));
      }
      jobs.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
    }
    return { jobs, complete };
  }

  /** GET /v1/job/{ID}: the 2.x job (unmasked); 404 `job not found` for a missing or non-dtle job. */
  async get(id: string, scope: Scope, block: Blocking = {}): Promise<JobRead> {
    let res;
    try {
      res = await this.deps.nomad.get(nomadPath`/v1/job/${id}`, Job, { scope, block, op: 'job.read' });
    } catch (e) {
      if (!(e instanceof NomadError && e.isNotFound)) throw e;
      // garbage-collected while paused: the saved spec answers
      const entry = await this.pausedEntry(id, scope);
      if (entry) {
        const legacy = nomadJobToLegacy(entry.spec, this.deps.config.dtle_drivers, true);
        if (!legacy) throw notFound(JOB_NOT_FOUND);
        return { job: legacy, raw: null, meta: { index: String(entry.modifyIndex), knownLeader: null, lastContact: null }, paused: entry, dtlePaused: false };
      }
      // No saved spec either. A resume registers the job before it deletes the spec, so one that
      // ran between the two reads has left the job in Nomad: read it once more (seen on a real
      // Nomad with two concurrent resumes of a garbage-collected paused job).
      try {
        res = await this.readNow(id, scope);
      } catch (again) {
        // 2.x set its query meta before the 404: Nomad's, of this read
        if (again instanceof NomadError && again.isNotFound) throw notFound(JOB_NOT_FOUND, again.meta);
        throw again;
      }
    }
    const spec = nomadSpecToLegacy(res.data, this.deps.config.dtle_drivers);
    if (spec === null) throw notFound(JOB_NOT_FOUND, res.meta);
    this.cache.set(this.keyOf(id, scope), this.entryOf(res.data, spec));
    const [paused, dtlePaused] = await Promise.all([
      res.data.Stop ? this.pausedEntry(id, scope) : Promise.resolve(null),
      this.deps.dtleState.pausedByDtle(res.data.Name || res.data.ID),
    ]);
    return { job: legacyJobOf(spec, { state: stateOf(res.data), paused: paused !== null || dtlePaused }), raw: res.data, meta: res.meta, paused, dtlePaused };
  }
}
