import client from 'prom-client';

/** Latency buckets of an upstream call (seconds; blocking queries reach minutes). */
const UPSTREAM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300];

/** What the replica reports at each scrape (src/service/replica). */
export interface ReplicaGauges {
  /** the last raft index the event stream delivered, or null before any */
  index: bigint | null;
  /** seconds since the replica last heard from Nomad */
  lagSeconds: number;
  bytes: number;
  entries: number;
  up: boolean;
}

/** The service's Prometheus metrics, on a registry of its own (tests build many apps). */
export class Metrics {
  readonly registry = new client.Registry();
  readonly requests: client.Counter<'route' | 'method' | 'status'>;
  readonly requestSeconds: client.Histogram<'route' | 'method'>;
  readonly upstreamSeconds: client.Histogram<'op' | 'status'>;
  readonly upstreamErrors: client.Counter<'op' | 'kind'>;
  readonly consulSeconds: client.Histogram<'op' | 'status'>;
  readonly consulErrors: client.Counter<'op' | 'kind'>;
  readonly cacheEvictions: client.Counter<'cache'>;
  readonly cacheSize: client.Gauge<'cache'>;
  readonly replicaReseeds: client.Counter<'reason'>;
  readonly replicaEvents: client.Counter<'topic'>;
  readonly replicaHits: client.Counter<'kind'>;
  readonly replicaMisses: client.Counter<'reason'>;
  /** set by the replica when it runs: read at each scrape */
  replicaGauges: (() => ReplicaGauges) | null = null;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new client.Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets: number[]) =>
      new client.Histogram<L>({ name, help, labelNames, buckets, registers });
    this.requests = counter('dtle_compat_http_requests_total', 'Legacy API requests by route template, method and status', ['route', 'method', 'status']);
    this.requestSeconds = histogram('dtle_compat_http_request_duration_seconds', 'Legacy API request latency by route template and method', ['route', 'method'], [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]);
    this.upstreamSeconds = histogram('dtle_compat_upstream_request_duration_seconds', 'Nomad call latency by operation and status', ['op', 'status'], UPSTREAM_BUCKETS);
    this.upstreamErrors = counter('dtle_compat_upstream_errors_total', 'Nomad calls that failed, by operation and kind (http, unreachable, timeout, malformed)', [
      'op',
      'kind',
    ]);
    this.consulSeconds = histogram('dtle_compat_consul_request_duration_seconds', 'Consul call latency by operation and status (its count is the number of calls)', ['op', 'status'], UPSTREAM_BUCKETS);
    this.consulErrors = counter(
      'dtle_compat_consul_errors_total',
      'Consul calls that failed, by operation and kind (http, unreachable, timeout, malformed); a missing key is no failure',
      ['op', 'kind'],
    );
    this.cacheEvictions = counter('dtle_compat_cache_evictions_total', 'Entries evicted from a bounded cache', ['cache']);
    this.cacheSize = new client.Gauge({ name: 'dtle_compat_cache_entries', help: 'Entries held by a cache', labelNames: ['cache'], registers });
    this.replicaReseeds = counter('dtle_compat_replica_reseeds_total', 'Times the replica dropped every kept answer, by reason (reconnect, gap, restart, unreadable)', ['reason']);
    this.replicaEvents = counter('dtle_compat_replica_events_total', 'Events of Nomad\'s event stream the replica applied, by topic', ['topic']);
    this.replicaHits = counter('dtle_compat_replica_hits_total', 'Nomad reads the replica answered without a Nomad call, by kind (events, ttl)', ['kind']);
    this.replicaMisses = counter(
      'dtle_compat_replica_misses_total',
      'Nomad reads the replica did not answer from what it keeps, by reason (absent: read once from Nomad and kept; no_stream, stale, behind, blocking, unkept: asked of Nomad directly)',
      ['reason'],
    );
    const replicaGauge = (name: string, help: string, value: (g: ReplicaGauges) => number) => {
      const metrics = this;
      return new client.Gauge({
        name,
        help,
        registers,
        collect() {
          const g = metrics.replicaGauges?.();
          if (g) this.set(value(g));
          else this.reset();
        },
      });
    };
    replicaGauge('dtle_compat_replica_index', 'The last raft index the replica\'s event stream delivered', (g) => (g.index === null ? 0 : Number(g.index)));
    replicaGauge('dtle_compat_replica_lag_seconds', 'Seconds since the replica last heard from Nomad (a line of the event stream, or the leader answering while it is open)', (g) => g.lagSeconds);
    replicaGauge('dtle_compat_replica_bytes', 'Bytes of Nomad answers the replica keeps (approximate: text and key lengths)', (g) => g.bytes);
    replicaGauge('dtle_compat_replica_entries', 'Nomad answers the replica keeps', (g) => g.entries);
    replicaGauge('dtle_compat_replica_stream_up', '1 while the replica\'s event stream is subscribed', (g) => (g.up ? 1 : 0));
    if (opts.defaultMetrics) client.collectDefaultMetrics({ register: this.registry, prefix: 'dtle_compat_' });
  }

  /** An observer for NomadClient. */
  observeUpstream = (op: string, status: number | 'error', seconds: number, kind?: string): void => {
    this.upstreamSeconds.labels(op, String(status)).observe(seconds);
    if (status === 'error') this.upstreamErrors.labels(op, kind ?? 'unknown').inc();
    else if (status >= 400) this.upstreamErrors.labels(op, 'http').inc();
  };

  /** An observer for ConsulClient: it names a failure's kind (a missing key answered 404 is none). */
  observeConsul = (op: string, status: number | 'error', seconds: number, kind?: string): void => {
    this.consulSeconds.labels(op, String(status)).observe(seconds);
    if (kind !== undefined) this.consulErrors.labels(op, kind).inc();
  };
}
