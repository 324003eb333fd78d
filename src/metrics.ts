import client from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (tests build many apps). */
export class Metrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'route' | 'method' | 'status'>;
  readonly requestSeconds: client.Histogram<'route' | 'method'>;
  readonly upstreamSeconds: client.Histogram<'op' | 'status'>;
  readonly upstreamErrors: client.Counter<'op' | 'kind'>;
  readonly cacheEvictions: client.Counter<'cache'>;
  readonly cacheSize: client.Gauge<'cache'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new client.Counter({
      name: 'dtle_compat_http_requests_total',
      help: 'Legacy API requests by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.requestSeconds = new client.Histogram({
      name: 'dtle_compat_http_request_duration_seconds',
      help: 'Legacy API request latency by route template and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamSeconds = new client.Histogram({
      name: 'dtle_compat_upstream_request_duration_seconds',
      help: 'Nomad call latency by operation and status',
      labelNames: ['op', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
      registers,
    });
    this.upstreamErrors = new client.Counter({
      name: 'dtle_compat_upstream_errors_total',
      help: 'Nomad calls that failed, by operation and kind (http, unreachable, timeout, malformed)',
      labelNames: ['op', 'kind'],
      registers,
    });
    this.cacheEvictions = new client.Counter({
      name: 'dtle_compat_cache_evictions_total',
      help: 'Entries evicted from a bounded cache',
      labelNames: ['cache'],
      registers,
    });
    this.cacheSize = new client.Gauge({
      name: 'dtle_compat_cache_entries',
      help: 'Entries held by a cache',
      labelNames: ['cache'],
      registers,
    });
    if (opts.defaultMetrics) client.collectDefaultMetrics({ register: this.registry, prefix: 'dtle_compat_' });
  }

  /** An observer for NomadClient. */
  observeUpstream = (op: string, status: number | 'error', seconds: number, kind?: string): void => {
    this.upstreamSeconds.labels(op, String(status)).observe(seconds);
    if (status === 'error') this.upstreamErrors.labels(op, kind ?? 'unknown').inc();
    else if (status >= 400) this.upstreamErrors.labels(op, 'http').inc();
  };
}
