import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Metrics } from '../metrics';
import type { NomadClient } from '../nomad/client';
import type { ConsulClient } from '../consul/client';
import type { Services } from '../service';

/** What every route module gets. */
export interface RouteContext {
  config: Config;
  nomad: NomadClient;
  consul: ConsulClient | null;
  logger: Logger;
  metrics: Metrics;
  services: Services;
}
