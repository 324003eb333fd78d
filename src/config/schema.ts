import { z } from 'zod';

/** host:port, where host may be an IPv4/IPv6 address or a name, port 0..65535. */
const listenAddr = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:8190')
  // only a port the regex accepted is range-checked (an address without one has its message already)
  .refine((s) => {
    const m = /:(\d{1,5})$/.exec(s);
    return m === null || Number(m[1]) <= 65535;
  }, 'port must be 0..65535');

const optionalAddr = z.union([z.literal(''), listenAddr]);

/** Consul's address as dtle's plugin (`host:port`) and Consul's CLI (`host:port` or a URL) take it; '' = no Consul. */
const consulAddr = z.union([
  z.literal(''),
  listenAddr,
  z
    .string()
    .url()
    .refine((s) => /^https?:\/\/[^/]+\/?$/.test(s), 'must be host:port or http(s)://host:port'),
]);

/** A string setting of Consul's CLI, set by its environment variable. */
const consulText = (meaning: string, env: string) => z.string().describe(`${meaning}. Env: ${env}.`);

/**
 * Every setting of dtle-compat. Keys mirror dtle's plugin config where one exists
 * (`api_addr`, `nomad_addr`); the `nomad_*` keys follow the Nomad CLI's environment
 * conventions. The descriptions are the operator documentation (docs/operations.md).
 */
export const configSchema = z
  .object({
    api_addr: listenAddr.describe('Address the legacy 2.x API listens on (dtle 2.x `api_addr`). Env: DTLE_API_ADDR.'),
    advertise_addr: optionalAddr.describe(
      'host:port that legacy clients use to reach this service; fills `HTTPAddr` of nodes. Empty: the node address with the port of api_addr.',
    ),
    nomad_addr: z
      .string()
      .url()
      .refine((s) => /^https?:\/\//.test(s), 'must start with http:// or https://')
      .describe('Nomad HTTP API address. Env: NOMAD_ADDR.'),
    nomad_token: z.string().describe('ACL token used when the caller sends none. Env: NOMAD_TOKEN.'),
    nomad_region: z.string().describe('Region to query when the caller names none. Env: NOMAD_REGION.'),
    nomad_namespace: z.string().describe('Namespace of the dtle jobs. Env: NOMAD_NAMESPACE.'),
    nomad_cacert: z.string().describe('PEM file of the CA that signed Nomad\'s certificate. Env: NOMAD_CACERT.'),
    nomad_client_cert: z.string().describe('PEM client certificate for mTLS. Env: NOMAD_CLIENT_CERT.'),
    nomad_client_key: z.string().describe('PEM client key for mTLS. Env: NOMAD_CLIENT_KEY.'),
    nomad_skip_verify: z.boolean().describe('Do not verify Nomad\'s certificate. Env: NOMAD_SKIP_VERIFY.'),
    nomad_tls_server_name: z.string().describe('Server name to verify Nomad\'s certificate against. Env: NOMAD_TLS_SERVER_NAME.'),
    nomad_timeout_ms: z.number().int().positive().describe('Timeout of one Nomad call (a blocking query adds its wait on top).'),
    nomad_max_sockets: z.number().int().positive().describe('Most keep-alive connections to Nomad at once.'),
    nomad_gzip: z
      .boolean()
      .describe('Ask Nomad for gzip-compressed answers: worth it only when Nomad is across a slow network; beside the agent it costs CPU on both sides.'),
    consul: consulAddr.describe(
      'Consul HTTP API address where dtle keeps each job\'s replication state (dtle\'s plugin `consul`): host:port, or http(s)://host:port. Empty: Consul is not read (docs/api.md says what each answer lacks then). Env: CONSUL_HTTP_ADDR.',
    ),
    consul_token: consulText('Consul ACL token (needs key read/write on dtle/ and dtleJobList/)', 'CONSUL_HTTP_TOKEN'),
    consul_ssl: z.boolean().describe('Use https for a consul address given as host:port. Env: CONSUL_HTTP_SSL.'),
    consul_cacert: consulText("PEM file of the CA that signed Consul's certificate", 'CONSUL_CACERT'),
    consul_client_cert: consulText('PEM client certificate for Consul mTLS', 'CONSUL_CLIENT_CERT'),
    consul_client_key: consulText('PEM client key for Consul mTLS', 'CONSUL_CLIENT_KEY'),
    consul_ssl_verify: z.boolean().describe("Verify Consul's certificate. Env: CONSUL_HTTP_SSL_VERIFY."),
    consul_tls_server_name: consulText("Server name to verify Consul's certificate against", 'CONSUL_TLS_SERVER_NAME'),
    consul_timeout_ms: z
      .number()
      .int()
      .positive()
      .describe('Timeout of one Consul call (a blocking query adds its wait on top). A slower Consul leaves its fields out of an answer rather than holding it.'),
    stats_signal: z
      .boolean()
      .describe(
        'Statistics from the running task itself (Nomad alloc signal `stats`, dtle\'s TaskStatistics), cached per allocation for stats_collection_interval; each signal adds two task events (docs/api.md).',
      ),
    stats_collection_interval: z
      .number()
      .int()
      .positive()
      .describe('Seconds a task\'s signalled statistics are reused (dtle\'s plugin `stats_collection_interval`: the task computes them that often).'),
    pause_mechanism: z
      .enum(['auto', 'dtle', 'emulate'])
      .describe(
        'How legacy pause/resume work: dtle (dtle\'s own: the dtleJobList flag in Consul plus the alloc signals pause/resume; dtle >= 4.22.07), emulate (stop the job, keep its spec in a Nomad Variable), auto: dtle when every node\'s driver.dtle.version has it and Consul is configured.',
      ),
    delete_consul_state: z
      .boolean()
      .describe('DELETE /v1/job/{ID} removes the job\'s dtle state from Consul (dtle/<job>/, dtleJobList/<job>), as dtle\'s own delete does; false keeps it, so a job re-created with that name resumes from the kept position.'),
    require_caller_token: z
      .boolean()
      .describe('Refuse (401) callers that send no X-Nomad-Token instead of lending them nomad_token.'),
    dtle_drivers: z.array(z.string().min(1)).min(1).describe('Task drivers that mark a Nomad job as a dtle job.'),
    dtle_dialect: z
      .enum(['auto', 'per-task', 'src-only'])
      .describe(
        'Task config layout written to Nomad: per-task (dtle <= 4.22.07), src-only (dtle >= 4.22.11), auto: from the driver.dtle.version the nodes report.',
      ),
    dtle_api_port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .describe('Port of the dtle plugin\'s own HTTP API on each node (plugin `api_addr`), read for statistics; 0 = do not read.'),
    datacenters: z.array(z.string().min(1)).min(1).describe('Datacenters of a job whose legacy body names none.'),
    purge_on_delete: z.boolean().describe('DELETE /v1/job/{ID} purges the Nomad job (as dtle\'s own layer did).'),
    body_limit: z.string().regex(/^\d+(b|kb|mb)$/i).describe('Largest request body accepted (e.g. 4mb); larger is 413.'),
    log_level: z.enum(['error', 'warn', 'info', 'debug']).describe('Log level.'),
    log_format: z.enum(['json', 'text']).describe('Log format: JSON lines or plain text.'),
    ready_max_age_ms: z.number().int().positive().describe('/-/ready fails when Nomad has not answered for this long.'),
    ready_poll_interval_ms: z.number().int().positive().describe('How often the leader is polled for readiness.'),
    job_cache_max_entries: z.number().int().positive().describe('Most job specs kept in the cache.'),
    fetch_concurrency: z.number().int().positive().max(256).describe('Most concurrent Nomad calls of one fan-out.'),
    pause_var_prefix: z.string().min(1).describe('Nomad Variables path under which paused job specs are kept.'),
    shutdown_timeout_ms: z.number().int().positive().describe('How long in-flight requests may run after SIGTERM.'),
    replica: z
      .boolean()
      .describe(
        "Answer reads made with the service's own token from a local replica of Nomad's answers, kept current by Nomad's event stream (docs/operations.md, \"The replica\"); other tokens are answered by Nomad.",
      ),
    replica_max_staleness_ms: z
      .number()
      .int()
      .positive()
      .describe('How long after its last word from Nomad (a line of the event stream, or the leader answering while the stream is open) the replica still answers; beyond it reads go to Nomad (and fail as Nomad does).'),
    replica_read_wait_ms: z
      .number()
      .int()
      .min(0)
      .describe('How long a read after a write through this service waits for the event stream to pass the write before it asks Nomad.'),
    replica_poll_ms: z
      .number()
      .int()
      .positive()
      .describe('How long answers Nomad publishes no events for (leader, peers, regions, members, agent, Variables) are reused.'),
    replica_max_age_ms: z
      .number()
      .int()
      .positive()
      .describe('Longest an answer is kept without an event touching it (Nomad publishes none when it garbage-collects evaluations, allocations, deployments or nodes).'),
    replica_max_bytes: z.number().int().positive().describe('Most bytes of Nomad answers the replica keeps (least recently used go first).'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;
