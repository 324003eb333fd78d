import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { NomadClient } from '../nomad/client';
import { JobService } from './jobs';
import { RuntimeService } from './runtime';

export interface ServiceDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
}

/** The service layer: Nomad I/O plus the pure translations; routes stay thin. */
export interface Services {
  jobs: JobService;
  runtime: RuntimeService;
}

export function createServices(deps: ServiceDeps): Services {
  const jobs = new JobService(deps);
  return { jobs, runtime: new RuntimeService({ ...deps, jobs }) };
}
