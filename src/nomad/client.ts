import { setMaxListeners } from 'node:events';
import type http from 'node:http';
import type https from 'node:https';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type Method } from 'axios';
import { z } from 'zod';
import { headerOf, keepAliveAgent, transportFailure, upstreamAxiosDefaults, UNTRUSTED_CERT, type UpstreamObserver } from '../upstream/http';
import { NomadError } from './errors';
import { NOMAD_JITTER_FRACTION, NOMAD_MAX_BLOCKING_MS, parseGoDuration } from './go';
import { parseNomadJson } from './json';

/** The settings the client needs (a subset of the service config). */
export interface NomadClientConfig {
  nomad_addr: string;
  nomad_token: string;
  nomad_region: string;
  nomad_namespace: string;
  nomad_cacert: string;
  nomad_client_cert: string;
  nomad_client_key: string;
  nomad_skip_verify: boolean;
  nomad_tls_server_name: string;
  nomad_timeout_ms: number;
  nomad_max_sockets: number;
  /** ask for gzip answers; off by default: on loopback compression costs Nomad and us CPU for nothing */
  nomad_gzip?: boolean;
}

/** Nomad's query meta, from X-Nomad-Index / X-Nomad-KnownLeader / X-Nomad-LastContact. */
export interface QueryMeta {
  index: string | null;
  knownLeader: string | null;
  lastContact: string | null;
}

/** Whose view of Nomad a call reads: the caller's token (wins over the configured one), region, namespace. */
export interface Scope {
  token?: string | undefined;
  region?: string | undefined;
  namespace?: string | undefined;
}

/** A legacy caller's query options: a blocking query (index, wait) and stale reads. Only reads made for that caller take them. */
export interface Blocking {
  index?: string | undefined;
  wait?: string | undefined;
  stale?: boolean | undefined;
}

export interface CallOptions {
  scope?: Scope;
  block?: Blocking;
  /** other query parameters (prefix, purge, …) */
  params?: Record<string, string | undefined>;
  /** a label for metrics, e.g. "job.read" */
  op?: string;
  /** false: ask Nomad even where a local answerer is set (readiness, the answerer's own fetches) */
  local?: boolean;
}

export interface NomadResponse<T> {
  data: T;
  meta: QueryMeta;
  status: number;
}

export interface NomadTextResponse {
  text: string;
  meta: QueryMeta;
  status: number;
}

export type { UpstreamObserver } from '../upstream/http';

/**
 * A local answerer of Nomad GETs beneath the client (the replica, src/service/replica): asked
 * before every GET; null means "ask Nomad". It is told of every write the client made, so that a
 * read after a write through this client never gets an answer from before it.
 */
export interface LocalReads {
  /**
   * The answer to GET `path` with these query parameters (region and namespace resolved, no
   * index/wait/stale), for this scope and blocking options, or null to ask Nomad. A NomadError it
   * throws is Nomad's own answer to that GET (it asked Nomad on the caller's behalf).
   */
  answer(path: string, params: Readonly<Record<string, string>>, scope: Scope, block: Blocking, op: string): Promise<NomadTextResponse | null>;
  /** A write succeeded: Nomad applied it at `index` (null when Nomad named none). */
  wrote(method: Method, path: string, scope: Scope, index: bigint | null): void;
}

/** An event stream (or any streamed GET) as opened: its status, and the body as a stream when 200. */
export type NomadStreamOpen = { status: 200; body: Readable } | { status: number; text: string };

/** The indexes a write's answer names in its body (Nomad's JobRegisterResponse, JobDeregisterResponse, …). */
const WriteIndexes = z.looseObject({
  Index: z.number().int().nonnegative().optional(),
  JobModifyIndex: z.number().int().nonnegative().optional(),
  EvalCreateIndex: z.number().int().nonnegative().optional(),
});

/** The raft index an answer's X-Nomad-Index names, or null when it names none (or not a number). */
export function metaIndex(meta: QueryMeta): bigint | null {
  return meta.index !== null && /^\d{1,20}$/.test(meta.index) ? BigInt(meta.index) : null;
}

/** The raft index a write was applied at: X-Nomad-Index, else the largest index its body names; null when neither. */
export function writeIndexOf(meta: QueryMeta, text: string): bigint | null {
  const header = metaIndex(meta);
  if (header !== null) return header;
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
  const body = WriteIndexes.safeParse(json);
  if (!body.success) return null;
  const found = [body.data.Index, body.data.JobModifyIndex, body.data.EvalCreateIndex].filter((n): n is number => n !== undefined && n > 0);
  return found.length === 0 ? null : BigInt(Math.max(...found));
}

/** A path segment that URL parsing resolves away (".", "..", "%2e%2e", …), whatever its encoding. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Encodes each path segment: `p\`/v1/job/${id}\`` can never reach another endpoint. An ID that is
 * "." or ".." cannot be encoded so that it stays a segment (URL parsing resolves %2E%2E as well,
 * and Nomad's Go mux cleans such paths), so no Nomad object can be reached by it: a 404.
 */
export function nomadPath(strings: TemplateStringsArray, ...ids: Array<string | number>): string {
  let out = strings[0] ?? '';
  ids.forEach((id, i) => {
    const seg = encodeURIComponent(String(id));
    if (DOT_SEGMENT.test(seg)) throw new NomadError('http', 404, `no Nomad object has the ID ${JSON.stringify(String(id))}`, out);
    out += seg + (strings[i + 1] ?? '');
  });
  return out;
}

/** The typed Nomad HTTP client: one keep-alive agent, token, region/namespace, TLS, timeouts. */
export class NomadClient {
  readonly baseURL: string;
  readonly agent: http.Agent | https.Agent;
  private readonly http: AxiosInstance;
  private readonly cfg: NomadClientConfig;
  private observer: UpstreamObserver | undefined;
  private localReads: LocalReads | null = null;
  /** aborted by close(): a destroyed agent would otherwise open new sockets for queued calls */
  private readonly closed = new AbortController();
  /** time of the last successful answer from Nomad (ms since epoch), for readiness */
  lastSuccess = 0;

  constructor(cfg: NomadClientConfig, observer?: UpstreamObserver) {
    this.cfg = cfg;
    this.observer = observer;
    // every call in flight listens on this signal: up to nomad_max_sockets plus the queued ones
    setMaxListeners(0, this.closed.signal);
    this.baseURL = cfg.nomad_addr.replace(/\/+$/, '');
    this.agent = keepAliveAgent(this.baseURL.startsWith('https://'), cfg.nomad_max_sockets, {
      cacert: cfg.nomad_cacert,
      clientCert: cfg.nomad_client_cert,
      clientKey: cfg.nomad_client_key,
      verify: !cfg.nomad_skip_verify,
      serverName: cfg.nomad_tls_server_name,
      names: { cacert: 'NOMAD_CACERT', clientCert: 'NOMAD_CLIENT_CERT', clientKey: 'NOMAD_CLIENT_KEY' },
    });
    this.http = axios.create({ baseURL: this.baseURL, ...upstreamAxiosDefaults(this.agent, cfg.nomad_gzip === true) });
  }

  setObserver(observer: UpstreamObserver): void {
    this.observer = observer;
  }

  /** Sets (or, with null, removes) the local answerer consulted before every GET. */
  setLocalReads(local: LocalReads | null): void {
    this.localReads = local;
  }

  /** Aborted once close() is called: what lives as long as the client (the replica) ends with it. */
  get closedSignal(): AbortSignal {
    return this.closed.signal;
  }

  /** The token Nomad should see for a call: the caller's, else the configured one. */
  tokenFor(callerToken: string | undefined): string | undefined {
    if (callerToken !== undefined && callerToken !== '') return callerToken;
    return this.cfg.nomad_token !== '' ? this.cfg.nomad_token : undefined;
  }

  /** Text with the configured token and the call's token replaced by "*" (nothing else changed). */
  scrubTokens(text: string, callToken?: string): string {
    let out = text;
    for (const t of [this.cfg.nomad_token, callToken ?? '']) if (t.length >= 4) out = out.split(t).join('*');
    return out;
  }

  /** Region and namespace of a call: the scope's, else the configured defaults. */
  resolve(scope: Scope = {}): { region?: string; namespace?: string } {
    const region = scope.region || this.cfg.nomad_region;
    const namespace = scope.namespace || this.cfg.nomad_namespace;
    return { ...(region ? { region } : {}), ...(namespace ? { namespace } : {}) };
  }

  /**
   * Timeout for a call: the configured one plus the blocking wait (Nomad adds up to wait/16 jitter).
   * Nomad caps the wait at 300 s, so does this (a larger timer would overflow Node's 32-bit timers
   * and fire at once).
   */
  timeoutFor(wait: string | undefined): number {
    const w = Math.min(wait ? (parseGoDuration(wait) ?? 0) : 0, NOMAD_MAX_BLOCKING_MS);
    return this.cfg.nomad_timeout_ms + Math.ceil(w * (1 + 1 / NOMAD_JITTER_FRACTION));
  }

  queryParams(opts: CallOptions = {}): Record<string, string> {
    const params: Record<string, string> = { ...this.resolve(opts.scope) };
    const block = opts.block ?? {};
    if (block.index !== undefined && block.index !== '') params.index = block.index;
    if (block.wait !== undefined && block.wait !== '') params.wait = block.wait;
    if (block.stale) params.stale = '';
    for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined) params[k] = v;
    return params;
  }

  get<T>(path: string, schema: z.ZodType<T>, opts?: CallOptions): Promise<NomadResponse<T>> {
    return this.call('GET', path, undefined, schema, opts);
  }
  put<T>(path: string, body: unknown, schema: z.ZodType<T>, opts?: CallOptions): Promise<NomadResponse<T>> {
    return this.call('PUT', path, body, schema, opts);
  }
  post<T>(path: string, body: unknown, schema: z.ZodType<T>, opts?: CallOptions): Promise<NomadResponse<T>> {
    return this.call('POST', path, body, schema, opts);
  }
  delete<T>(path: string, schema: z.ZodType<T>, opts?: CallOptions): Promise<NomadResponse<T>> {
    return this.call('DELETE', path, undefined, schema, opts);
  }

  async call<T>(
    method: Method,
    path: string,
    body: unknown,
    schema: z.ZodType<T>,
    opts: CallOptions = {},
  ): Promise<NomadResponse<T>> {
    const { text, status, meta } = await this.callText(method, path, body, opts);
    return { data: this.parse(text, schema, method, status, path), status, meta };
  }

  /**
   * A GET whose answer is kept as text: the caller parses it with `parse` only when it needs
   * the data (e.g. not when the same text was answered and translated before).
   */
  getText(path: string, opts?: CallOptions): Promise<NomadTextResponse> {
    return this.callText('GET', path, undefined, opts);
  }

  /** Parses a 2xx answer's text against a schema; a typed `malformed` error when it does not fit. */
  parse<T>(text: string, schema: z.ZodType<T>, method: Method, status: number, path: string): T {
    let json: unknown;
    try {
      json = text === '' ? null : parseNomadJson(text);
    } catch {
      throw new NomadError('malformed', status, `answer to ${method} ${path} is not valid JSON`, path);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'unexpected shape';
      throw new NomadError('malformed', status, `answer to ${method} ${path} has an unexpected shape (${where})`, path);
    }
    return parsed.data;
  }

  private async callText(method: Method, path: string, body: unknown, opts: CallOptions = {}): Promise<NomadTextResponse> {
    const op = opts.op ?? `${method} ${path.split('/').slice(0, 3).join('/')}`;
    const local = this.localReads;
    if (local !== null && method === 'GET' && opts.local !== false) {
      const answered = await local.answer(path, this.queryParams({ ...opts, block: {} }), opts.scope ?? {}, opts.block ?? {}, op);
      if (answered !== null) return answered;
    }
    const res = await this.send(method, path, body, opts, op);
    if (local !== null && method !== 'GET') local.wrote(method, path, opts.scope ?? {}, writeIndexOf(res.meta, res.text));
    return res;
  }

  private async send(method: Method, path: string, body: unknown, opts: CallOptions, op: string): Promise<NomadTextResponse> {
    const token = this.tokenFor(opts.scope?.token);
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
    let res;
    try {
      res = await this.http.request<string>({
        method,
        url: path,
        params: this.queryParams(opts),
        data: body === undefined ? undefined : JSON.stringify(body),
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(token ? { 'X-Nomad-Token': token } : {}),
        },
        timeout: this.timeoutFor(opts.block?.wait),
        signal: this.closed.signal,
      });
    } catch (e) {
      const err = this.transportError(e, path);
      this.observer?.(op, 'error', elapsed(), err.kind);
      throw err;
    }
    this.observer?.(op, res.status, elapsed());
    const text = typeof res.data === 'string' ? res.data : '';
    const meta: QueryMeta = {
      index: headerOf(res.headers, 'x-nomad-index'),
      knownLeader: headerOf(res.headers, 'x-nomad-knownleader'),
      lastContact: headerOf(res.headers, 'x-nomad-lastcontact'),
    };
    if (res.status < 200 || res.status >= 300) {
      if (res.status < 500) this.lastSuccess = Date.now();
      // Nomad may quote the token it refused: neither the caller's nor the configured one goes back or into a log
      throw new NomadError('http', res.status, this.scrubTokens(text || `status ${res.status}`, token), path, meta.index === null ? null : meta);
    }
    this.lastSuccess = Date.now();
    return { text, status: res.status, meta };
  }

  /**
   * Why Nomad could not be reached, as callers and logs see it (translated and passthrough routes
   * alike). A certificate no trusted CA signed names the CA that was expected; not the file's
   * path, since the text reaches legacy callers.
   */
  private unreachable(message: string, code = ''): string {
    if (UNTRUSTED_CERT.has(code)) {
      const ca = this.cfg.nomad_cacert !== '' ? 'the CA in NOMAD_CACERT' : 'a system CA (NOMAD_CACERT is not set)';
      return `cannot reach Nomad at ${this.baseURL}: ${message} (Nomad's certificate is not signed by ${ca})`;
    }
    return `cannot reach Nomad at ${this.baseURL}: ${message}`;
  }

  private timedOut(path: string): NomadError {
    return new NomadError('timeout', 0, `no answer from ${this.baseURL} within the timeout`, path);
  }

  /** The failure of a call proxied to Nomad (passthrough routes): timed out by us, or the socket's error. */
  proxyFailure(err: Error & { code?: string | undefined }, path: string, timedOut: boolean): NomadError {
    return timedOut ? this.timedOut(path) : new NomadError('unreachable', 0, this.unreachable(err.message, err.code ?? ''), path);
  }

  private transportError(e: unknown, path: string): NomadError {
    const f = transportFailure(e);
    switch (f.kind) {
      case 'timeout':
        return this.timedOut(path);
      case 'broken':
        return new NomadError('unreachable', f.status, `the answer of Nomad at ${this.baseURL} broke off before its end`, path);
      case 'unreachable':
        return new NomadError('unreachable', 0, this.unreachable(f.message, f.code), path);
      case 'failed':
        return new NomadError('unreachable', 0, `call to Nomad at ${this.baseURL} failed: ${f.message}`, path);
    }
  }

  /**
   * Opens a streamed GET (Nomad's event stream) on the client's agent, TLS and token: resolves once
   * the status and headers are in, the body as a stream when 200, else its text (tokens scrubbed).
   * `signal` ends it (as close() does); no answer within nomad_timeout_ms is a timeout. Unless
   * `holdProcess`, the connection does not keep the process alive (a background stream).
   */
  async openStream(path: string, query: URLSearchParams, signal: AbortSignal, holdProcess = false): Promise<NomadStreamOpen> {
    const token = this.tokenFor(undefined);
    const resolved = this.resolve({});
    for (const [k, v] of Object.entries(resolved)) if (!query.has(k)) query.set(k, v);
    const headersIn = new AbortController();
    const timer = setTimeout(() => headersIn.abort(), this.cfg.nomad_timeout_ms);
    if (!holdProcess) timer.unref();
    let res;
    try {
      res = await this.http.request<Readable>({
        method: 'GET',
        url: path,
        params: query,
        responseType: 'stream',
        headers: token ? { 'X-Nomad-Token': token } : {},
        signal: AbortSignal.any([signal, this.closed.signal, headersIn.signal]),
      });
    } catch (e) {
      throw headersIn.signal.aborted && !signal.aborted ? this.timedOut(path) : this.transportError(e, path);
    } finally {
      clearTimeout(timer);
    }
    const socket: unknown = res.request?.socket;
    if (socket instanceof Socket && !holdProcess) socket.unref();
    if (res.status === 200) return { status: 200, body: res.data };
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of res.data) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        chunks.push(b);
        bytes += b.length;
        if (bytes > 64 * 1024) break;
      }
    } catch {
      // the text is only for the reason
    }
    res.data.destroy();
    return { status: res.status, text: this.scrubTokens(Buffer.concat(chunks).toString('utf8').trim(), token) };
  }

  /** Ends every call in flight or queued for a socket, refuses new ones, closes the connections. */
  close(): void {
    this.closed.abort();
    this.agent.destroy();
  }
}
