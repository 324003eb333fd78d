import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { NomadClient } from '../nomad/client';
import type { ConsulClient } from '../consul/client';
import { DialectProbe } from './dialect';
import { DtleStateStore } from './dtleState';
import { JobPause } from './jobPause';
import { JobReads } from './jobReads';
import { JobWrites } from './jobWrites';
import { Overview } from './overview';
import { PauseStore } from './pauseStore';
import { RuntimeService } from './runtime';
import { Replica } from './replica';

export interface ServiceDeps {
  config: Config;
  nomad: NomadClient;
  /** null: no Consul address configured (dtle's state is not read) */
  consul: ConsulClient | null;
  logger: Logger;
  metrics: Metrics;
}

/** The service layer: Nomad I/O per capability plus the pure translations; routes stay thin. */
export interface Services {
  /** the saved specs of paused jobs (Nomad Variables) */
  pauseStore: PauseStore;
  /** job reads: cache, list memo, watch */
  jobReads: JobReads;
  /** job writes: translate, register, validate, delete */
  jobWrites: JobWrites;
  /** pause and resume */
  jobPause: JobPause;
  /** the task config dialect to write */
  dialect: DialectProbe;
  /** allocations, evaluations, nodes, agent, status, statistics */
  runtime: RuntimeService;
  /** the operator page's data */
  overview: Overview;
  /** dtle's replication state in Consul */
  dtleState: DtleStateStore;
  /** the local answerer of the Nomad client's GETs (config `replica`), null when off; start() opens its stream */
  replica: Replica | null;
}

export function createServices(deps: ServiceDeps): Services {
  // with require_caller_token and no nomad_token every caller brings another token: the replica could answer none
  const servesSomeone = !(deps.config.require_caller_token && deps.config.nomad_token === '');
  if (deps.config.replica && !servesSomeone) deps.logger.info('replica off: with require_caller_token and no nomad_token no caller reads with the service\'s token');
  const replica = deps.config.replica && servesSomeone ? new Replica(deps) : null;
  if (replica) deps.nomad.setLocalReads(replica);
  const pauseStore = new PauseStore(deps);
  const dtleState = new DtleStateStore(deps);
  const jobReads = new JobReads({ ...deps, pauseStore, dtleState });
  const dialect = new DialectProbe(deps);
  const runtime = new RuntimeService({ ...deps, jobs: jobReads, dtleState });
  return {
    pauseStore,
    jobReads,
    jobWrites: new JobWrites({ ...deps, reads: jobReads, dialect, pauseStore, dtleState }),
    jobPause: new JobPause({ ...deps, reads: jobReads, pauseStore, dialect, dtleState }),
    dialect,
    runtime,
    overview: new Overview({ nomad: deps.nomad, jobReads, runtime, dtleState }),
    dtleState,
    replica,
  };
}
