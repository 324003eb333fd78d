import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, splitHostPort, type Config, type LoadOptions } from './config';
import { createLogger, type Logger } from './logging';
import { Metrics } from './metrics';
import { NomadClient } from './nomad/client';
import { ConsulClient, consulBaseUrl } from './consul/client';
import { StringValue } from './nomad/types';
import { createApp } from './app';

export { createApp } from './app';
export { loadConfig } from './config';

export interface RunningService {
  server: http.Server;
  url: string;
  config: Config;
  logger: Logger;
  nomad: NomadClient;
  consul: ConsulClient | null;
  /** stops accepting, lets in-flight requests finish (up to shutdown_timeout_ms), closes Nomad connections */
  shutdown(): Promise<void>;
}

export interface StartOptions extends LoadOptions {
  config?: Config;
  logger?: Logger;
  logFormat?: 'json' | 'text';
}

/** Loads config, builds the app and listens. */
export async function startService(opts: StartOptions = {}): Promise<RunningService> {
  const config = opts.config ?? loadConfig(opts);
  const logger =
    opts.logger ??
    createLogger({
      level: config.log_level,
      format: opts.logFormat ?? config.log_format,
      secrets: [config.nomad_token, config.consul_token].filter((s) => s !== ''),
    });
  const metrics = new Metrics({ defaultMetrics: true });
  const nomad = new NomadClient(config);
  const consul = consulBaseUrl(config) === null ? null : new ConsulClient(config);
  const { app, services } = createApp({ config, nomad, consul, logger, metrics });
  let draining = false;
  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('Connection', 'close');
    // a request that began before the drain leaves its keep-alive connection idle when it ends:
    // close it then, so that the drain ends with the last request rather than at shutdown_timeout_ms
    res.once('finish', () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // blocking queries may hold a request for minutes

  const { host, port } = splitHostPort(config.api_addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  logger.info('dtle-compat listening', { api_addr: `${addr.address}:${addr.port}`, nomad_addr: config.nomad_addr, consul: consul?.baseURL ?? 'off' });

  // keep readiness fresh: poll the leader in the background
  const poll = setInterval(() => {
    nomad.get('/v1/status/leader', StringValue, { op: 'status.leader', local: false }).catch(() => undefined);
  }, config.ready_poll_interval_ms);
  poll.unref();

  // keep the job-spec cache and the paused-job set fresh with blocking queries, so a warm
  // GET /v1/jobs costs one Nomad call and changes made through any path show at once
  // and every dtleJobList entry (dtle's pause flag) fresh with one blocking query on Consul
  const stopWatches = [services.jobReads.startWatch(), services.pauseStore.startWatch(), services.dtleState.startWatch()];

  let closing: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    if (closing) return closing;
    draining = true;
    clearInterval(poll);
    for (const stop of stopWatches) stop();
    // blocking queries held by the replica answer now with what it has
    services.replica?.stop();
    closing = new Promise<void>((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), config.shutdown_timeout_ms);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        nomad.close();
        consul?.close();
        logger.info('dtle-compat stopped');
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { server, url, config, logger, nomad, consul, shutdown };
}
