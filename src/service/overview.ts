/**
 * What the operator page shows, read from what the service already holds and one call each:
 * the legacy job list (jobReads: Nomad's list, specs from the cache), one allocations list, the
 * node list, and dtle's state for every job in one recursive Consul read. Page loads that arrive
 * while one is running for the same token share its reads, so many open pages refreshing together
 * cost one set of calls. The last good load per token is kept, so a Nomad that stops answering
 * leaves the page showing what it last had (marked stale) instead of nothing.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { NomadClient, Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { NodeList, type NodeListStub } from '../nomad/types';
import type { LegacyAllocListStub, LegacyJob, LegacyJobListStub } from '../legacy/types';
import type { DtleState } from '../translate/dtleState';
import { maskSecrets } from '../translate/mask';
import { positionIndexOf, type Observed } from '../translate/overview';
import { InFlight } from './inflight';
import type { DtleStateStore } from './dtleState';
import type { JobReads } from './jobReads';
import type { RuntimeService } from './runtime';

/** Consul as the page read it. */
export interface ConsulRead {
  /** a Consul address is configured */
  enabled: boolean;
  /** why Consul could not be read this time, null when it answered (or is not configured) */
  failure: string | null;
}

export interface OverviewData {
  jobs: LegacyJobListStub[];
  allocs: LegacyAllocListStub[];
  nodes: NodeListStub[];
  /** what is known of each job's replication, by job ID */
  observed: Map<string, Observed>;
  consul: ConsulRead;
  /** when these reads were made (ms since the epoch) */
  readAtMs: number;
  /** set when Nomad failed just now and this is the last good load: why */
  nomadFailure: NomadError | null;
}

export interface JobPageData {
  /** the 2.x job, passwords masked */
  job: LegacyJob;
  allocs: LegacyAllocListStub[];
  nodes: NodeListStub[];
  observed: Observed;
  consul: ConsulRead;
  readAtMs: number;
}

/** Last good loads kept (one per token that opened the page). */
const LAST_GOOD_ENTRIES = 16;

export class Overview {
  private readonly loads = new InFlight<OverviewData>();
  private readonly lastGood = new LRUCache<string, OverviewData>({ max: LAST_GOOD_ENTRIES });

  constructor(private readonly deps: { nomad: NomadClient; jobReads: JobReads; runtime: RuntimeService; dtleState: DtleStateStore }) {}

  /** The list page's data. Throws NomadError when Nomad fails and no earlier load of this token is kept. */
  load(token: string | undefined): Promise<OverviewData> {
    const scope: Scope = token ? { token } : {};
    const key = createHash('sha256').update(token ?? '').digest('base64');
    return this.loads.run(key, async () => {
      let reads;
      try {
        reads = await Promise.all([
          this.deps.jobReads.list(scope),
          this.deps.runtime.allocations(scope, {}),
          this.nodes(scope),
          this.deps.dtleState.readAll(),
        ]);
      } catch (e) {
        const last = this.lastGood.get(key);
        if (e instanceof NomadError && last) return { ...last, nomadFailure: e };
        throw e;
      }
      const [{ jobs, stateKeys }, { body: allocs }, nodes, { states, failure }] = reads;
      const now = Date.now();
      const observed = new Map<string, Observed>();
      for (const j of jobs) observed.set(j.ID, this.observe(stateKeys.get(j.ID) ?? j.ID, states?.get(stateKeys.get(j.ID) ?? j.ID) ?? null, now));
      const data: OverviewData = { jobs, allocs, nodes, observed, consul: { enabled: this.deps.dtleState.enabled, failure }, readAtMs: now, nomadFailure: null };
      this.lastGood.set(key, data);
      return data;
    });
  }

  /** One job's page: the job (404 LegacyHttpError when missing or not dtle), all its allocations, the nodes, its dtle state. */
  async job(id: string, token: string | undefined): Promise<JobPageData> {
    const scope: Scope = token ? { token } : {};
    const read = await this.deps.jobReads.get(id, scope);
    const stateKey = read.raw ? read.raw.Name || read.raw.ID : id;
    const [{ body: allocs }, nodes, state] = await Promise.all([
      this.deps.runtime.jobAllocations(id, scope, {}, true),
      this.nodes(scope),
      this.deps.dtleState.read(stateKey),
    ]);
    const now = Date.now();
    const failure = this.deps.dtleState.enabled && state === null ? 'not answering (see the service log)' : null;
    return { job: maskSecrets(read.job), allocs, nodes, observed: this.observe(stateKey, state, now), consul: { enabled: this.deps.dtleState.enabled, failure }, readAtMs: now };
  }

  private async nodes(scope: Scope): Promise<NodeListStub[]> {
    return (await this.deps.nomad.get('/v1/nodes', NodeList, { scope, op: 'nodes.list' })).data;
  }

  /** The copy's ETA and when the position moved, from the store's readings of this job's state. */
  private observe(stateKey: string, state: DtleState | null, nowMs: number): Observed {
    const dump = state?.dumpProgress;
    const eta = dump && state.stage !== 'incr' ? this.deps.dtleState.etaOf(stateKey, dump, nowMs) : null;
    const index = positionIndexOf(state);
    const moved = index === null ? null : this.deps.dtleState.positionMoved(stateKey, index, nowMs);
    return { state, eta, moved };
  }
}
