/**
 * What the operator page shows, read from Nomad: the dtle jobs, their allocations and the nodes.
 * Page loads that arrive while one is running for the same token share its Nomad reads, so many
 * open pages refreshing together cost one set of list calls; nothing is kept once a load ends.
 */
import { createHash } from 'node:crypto';
import type { NomadClient, Scope } from '../nomad/client';
import { NodeList, type NodeListStub } from '../nomad/types';
import type { LegacyAllocListStub, LegacyJobListStub } from '../legacy/types';
import { InFlight } from './inflight';
import type { JobReads } from './jobReads';
import type { RuntimeService } from './runtime';

export interface OverviewData {
  jobs: LegacyJobListStub[];
  allocs: LegacyAllocListStub[];
  nodes: NodeListStub[];
}

export class Overview {
  private readonly loads = new InFlight<OverviewData>();

  constructor(private readonly deps: { nomad: NomadClient; jobReads: JobReads; runtime: RuntimeService }) {}

  load(token: string | undefined): Promise<OverviewData> {
    const scope: Scope = token ? { token } : {};
    const key = createHash('sha256').update(token ?? '').digest('base64');
    return this.loads.run(key, async () => {
      const [{ jobs }, { body: allocs }, { data: nodes }] = await Promise.all([
        this.deps.jobReads.list(scope),
        this.deps.runtime.allocations(scope, {}),
        this.deps.nomad.get('/v1/nodes', NodeList, { scope, op: 'nodes.list' }),
      ]);
      return { jobs, allocs, nodes };
    });
  }
}
