import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { NomadClient } from '../nomad/client';
import { JobService } from './jobs';

export interface ServiceDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
}

/** The service layer: Nomad I/O plus the pure translations; routes stay thin. */
export interface Services {
  jobs: JobService;
}

export function createServices(deps: ServiceDeps): Services {
  return { jobs: new JobService(deps) };
}
