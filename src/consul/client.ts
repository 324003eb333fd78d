/**
 * The typed Consul HTTP client: the KV calls the service makes (where dtle keeps each job's
 * replication state) and the leader, over one keep-alive agent, with the token, TLS settings and
 * address conventions of Consul's own CLI (CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN, CONSUL_CACERT, …)
 * and dtle's plugin (`consul` = host:port). Answers are parsed by zod schemas; the token never
 * appears in an error, and no error carries a KV value.
 */
import { setMaxListeners } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import axios, { type AxiosInstance, type Method } from 'axios';
import type { z } from 'zod';
import { parseGoDuration } from '../nomad/go';
import { parseNomadJson } from '../nomad/json';
import { headerOf, keepAliveAgent, transportFailure, upstreamAxiosDefaults, type UpstreamObserver } from '../upstream/http';
import { ConsulError } from './errors';
import { ConsulLeader, KvPairList, KvWriteResult, kvEntryOf, type KvEntry } from './types';

/** The settings the client needs (a subset of the service config). */
export interface ConsulClientConfig {
  consul: string;
  consul_token: string;
  consul_ssl: boolean;
  consul_cacert: string;
  consul_client_cert: string;
  consul_client_key: string;
  consul_ssl_verify: boolean;
  consul_tls_server_name: string;
  consul_timeout_ms: number;
}

/** Consul's query meta (X-Consul-Index, X-Consul-KnownLeader, X-Consul-LastContact). */
export interface ConsulMeta {
  index: string | null;
  knownLeader: string | null;
  lastContact: string | null;
}

/** A blocking query: wait until Consul's index passes `index`, at most `wait` (a Go duration). */
export interface ConsulBlocking {
  index?: string | undefined;
  wait?: string | undefined;
}

/** Consul caps a blocking query's wait at 10 minutes (agent/structs MaxQueryTime). */
export const CONSUL_MAX_BLOCKING_MS = 600_000;

/** Connections to Consul at once: its reads are one per legacy statistics read and a few watches. */
const MAX_SOCKETS = 32;

/** The base URL of the configured Consul, or null when no address is set (Consul reads off). */
export function consulBaseUrl(cfg: Pick<ConsulClientConfig, 'consul' | 'consul_ssl'>): string | null {
  const addr = cfg.consul.trim();
  if (addr === '') return null;
  if (/^https?:\/\//.test(addr)) return addr.replace(/\/+$/, '');
  return `${cfg.consul_ssl ? 'https' : 'http'}://${addr}`;
}

/**
 * `/v1/kv/<key>` with each segment of the key percent-encoded (a `/` in the key stays a separator,
 * as Consul stores it). A `.` or `..` segment would be resolved away by URL parsing (so that
 * `dtle/../` became the root of the store): no such key is ever asked for.
 */
export function kvPath(key: string): string {
  const segments = key.split('/');
  if (segments.some((s) => s === '.' || s === '..')) throw new ConsulError('http', 400, `not a usable Consul key: ${JSON.stringify(key)}`, '/v1/kv/');
  return '/v1/kv/' + segments.map(encodeURIComponent).join('/');
}

interface ConsulCall {
  method: Method;
  path: string;
  params?: Record<string, string> | undefined;
  body?: string | undefined;
  block?: ConsulBlocking | undefined;
  op: string;
}

export class ConsulClient {
  readonly baseURL: string;
  readonly agent: http.Agent | https.Agent;
  private readonly http: AxiosInstance;
  private observer: UpstreamObserver | undefined;
  private readonly closed = new AbortController();

  constructor(
    private readonly cfg: ConsulClientConfig,
    observer?: UpstreamObserver,
  ) {
    const base = consulBaseUrl(cfg);
    if (base === null) throw new Error('no Consul address is configured');
    this.baseURL = base;
    this.observer = observer;
    setMaxListeners(0, this.closed.signal);
    this.agent = keepAliveAgent(base.startsWith('https://'), MAX_SOCKETS, {
      cacert: cfg.consul_cacert,
      clientCert: cfg.consul_client_cert,
      clientKey: cfg.consul_client_key,
      verify: cfg.consul_ssl_verify,
      serverName: cfg.consul_tls_server_name,
      names: { cacert: 'CONSUL_CACERT', clientCert: 'CONSUL_CLIENT_CERT', clientKey: 'CONSUL_CLIENT_KEY' },
    });
    this.http = axios.create({ baseURL: base, ...upstreamAxiosDefaults(this.agent, false) });
  }

  setObserver(observer: UpstreamObserver): void {
    this.observer = observer;
  }

  /** The configured token, '' when none: kept out of every text that leaves the client. */
  get token(): string {
    return this.cfg.consul_token;
  }

  /** The entries under a prefix (`?recurse`); none is an empty list (Consul's 404). */
  async kvList(prefix: string, op: string, block?: ConsulBlocking): Promise<{ entries: KvEntry[]; meta: ConsulMeta }> {
    const { data, meta } = await this.request({ method: 'GET', path: kvPath(prefix), params: { recurse: '' }, block, op }, KvPairList, true);
    return { entries: (data ?? []).map(kvEntryOf), meta };
  }

  /** One entry, or null when Consul has no such key. */
  async kvGet(key: string, op: string, block?: ConsulBlocking): Promise<{ entry: KvEntry | null; meta: ConsulMeta }> {
    const { data, meta } = await this.request({ method: 'GET', path: kvPath(key), block, op }, KvPairList, true);
    const found = (data ?? []).find((e) => e.Key === key);
    return { entry: found ? kvEntryOf(found) : null, meta };
  }

  /** Writes a value; with `cas` only if the key's ModifyIndex still is that (0: only if absent). False when the check-and-set lost. */
  async kvPut(key: string, value: string, op: string, cas?: number): Promise<boolean> {
    const params: Record<string, string> = cas === undefined ? {} : { cas: String(cas) };
    return (await this.request({ method: 'PUT', path: kvPath(key), params, body: value, op }, KvWriteResult)).data === true;
  }

  /** Deletes a key, or with `recurse` every key under the prefix. Deleting what is not there is no error (Consul answers true). */
  async kvDelete(key: string, op: string, opts: { recurse?: boolean } = {}): Promise<boolean> {
    const params: Record<string, string> = opts.recurse ? { recurse: '' } : {};
    return (await this.request({ method: 'DELETE', path: kvPath(key), params, op }, KvWriteResult)).data === true;
  }

  /** Consul's leader ("" without one). */
  async leader(): Promise<string> {
    return (await this.request({ method: 'GET', path: '/v1/status/leader', op: 'consul.status.leader' }, ConsulLeader)).data ?? '';
  }

  /** Timeout of a call: the configured one plus a blocking wait (Consul adds up to wait/16 of jitter). */
  timeoutFor(wait: string | undefined): number {
    const w = Math.min(wait ? (parseGoDuration(wait) ?? 0) : 0, CONSUL_MAX_BLOCKING_MS);
    return this.cfg.consul_timeout_ms + Math.ceil(w * (1 + 1 / 16));
  }

  /** A 2xx answer's text through its schema; a `malformed` ConsulError (naming the path and the first issue, never a value) when it does not fit. */
  private parse<T>(text: string, schema: z.ZodType<T>, path: string): T {
    let json: unknown;
    try {
      json = parseNomadJson(text);
    } catch {
      throw new ConsulError('malformed', 200, `answer to ${path} is not valid JSON`, path);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.join('.') || '(root)'}: ${first.code}` : 'unexpected shape';
      throw new ConsulError('malformed', 200, `answer to ${path} has an unexpected shape (${where})`, path);
    }
    return parsed.data;
  }

  /**
   * One call, its answer parsed: a status outside 2xx is a ConsulError with Consul's text (the
   * token scrubbed); with `missingOk` a 404 is no answer (null). Observed once, after parsing, so
   * an answer that is not Consul's JSON counts as a failed call.
   */
  private async request<T>(call: ConsulCall, schema: z.ZodType<T>, missingOk = false): Promise<{ data: T | null; meta: ConsulMeta }> {
    const params: Record<string, string> = { ...(call.params ?? {}) };
    if (call.block?.index !== undefined && call.block.index !== '') params.index = call.block.index;
    if (call.block?.wait !== undefined && call.block.wait !== '') params.wait = call.block.wait;
    const token = this.cfg.consul_token;
    const t0 = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
    try {
      let res;
      try {
        res = await this.http.request<string>({
          method: call.method,
          url: call.path,
          params,
          data: call.body,
          headers: { ...(token !== '' ? { 'X-Consul-Token': token } : {}), ...(call.body !== undefined ? { 'Content-Type': 'application/octet-stream' } : {}) },
          timeout: this.timeoutFor(call.block?.wait),
          signal: this.closed.signal,
        });
      } catch (e) {
        throw this.failure(e, call.path);
      }
      const text = typeof res.data === 'string' ? res.data : '';
      const meta = {
        index: headerOf(res.headers, 'x-consul-index'),
        knownLeader: headerOf(res.headers, 'x-consul-knownleader'),
        lastContact: headerOf(res.headers, 'x-consul-lastcontact'),
      };
      let data: T | null = null;
      if (res.status === 404 && missingOk) data = null;
      else if (res.status < 200 || res.status >= 300) throw new ConsulError('http', res.status, this.scrub(text || `status ${res.status}`), call.path);
      else data = this.parse(text, schema, call.path);
      this.observer?.(call.op, res.status, seconds());
      return { data, meta };
    } catch (e) {
      if (e instanceof ConsulError) this.observer?.(call.op, e.kind === 'http' ? e.status : 'error', seconds(), e.kind);
      throw e;
    }
  }

  private scrub(text: string): string {
    const t = this.cfg.consul_token;
    return t.length >= 4 ? text.split(t).join('*') : text;
  }

  private failure(e: unknown, path: string): ConsulError {
    const f = transportFailure(e);
    switch (f.kind) {
      case 'timeout':
        return new ConsulError('timeout', 0, `no answer from Consul at ${this.baseURL} within ${this.cfg.consul_timeout_ms} ms`, path);
      case 'broken':
        return new ConsulError('unreachable', f.status, `the answer of Consul at ${this.baseURL} broke off before its end`, path);
      case 'unreachable': {
        const ca = f.untrusted ? (this.cfg.consul_cacert !== '' ? " (Consul's certificate is not signed by the CA in CONSUL_CACERT)" : " (Consul's certificate is not signed by a system CA; CONSUL_CACERT is not set)") : '';
        return new ConsulError('unreachable', 0, `cannot reach Consul at ${this.baseURL}: ${this.scrub(f.message)}${ca}`, path);
      }
      case 'failed':
        return new ConsulError('unreachable', 0, `call to Consul at ${this.baseURL} failed: ${this.scrub(f.message)}`, path);
    }
  }

  /** Ends every call in flight, refuses new ones, closes the connections. */
  close(): void {
    this.closed.abort();
    this.agent.destroy();
  }
}
