/**
 * What every simulated Go agent's HTTP server does the same way (Nomad's now; Consul's when it
 * lands): the raw path kept (an encoded `/` stays inside one ID), every call recorded, the fault
 * switches, request bodies decoded as Go's json.Decoder does, and answers written as plain text or
 * as JSON (int64 values with all their digits, `?pretty` indented by 4). Plain node:http(s).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { stringifyLegacy } from '../../../src/legacy/int64';
import { GoJsonSyntaxError, goDecode } from '../../../src/legacy/gojson';

/** Fault switches (reliability tests). */
export interface SimFaults {
  /** delay before every answer */
  delayMs: number;
  /** answer every request with this status and `statusBody` (plain text) */
  status: number | null;
  statusBody: string;
  /** answer every request 200 with a body that is not JSON */
  malformed: boolean;
  /** no cluster leader: 500 "No cluster leader" except for agent and status calls and ?stale reads */
  noLeader: boolean;
  /** the agent dies mid-request: the connection is destroyed without an answer */
  hangUp?: boolean;
  /** the answer breaks off: 200, a Content-Length it never reaches, half a JSON body, then the connection ends */
  truncated?: boolean;
}

/** Every fault switch off. */
export function noFaults(): SimFaults {
  return { delayMs: 0, status: null, statusBody: '', malformed: false, noLeader: false, hangUp: false, truncated: false };
}

/** The certificate and key the simulator serves HTTPS with; `ca` + `requestCert` ask callers for a client certificate (mTLS). */
export interface SimTls {
  key: string | Buffer;
  cert: string | Buffer;
  ca?: string | Buffer;
  /** refuse callers without a client certificate signed by `ca` */
  requireClientCert?: boolean;
}

/** One call as the agent received it. */
export interface SimRequest {
  method: string;
  /** the path as sent (still percent-encoded) */
  rawPath: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** aborted when the caller goes away */
  abort: AbortSignal;
}

/** An answer: plain text, a JSON value, JSON text already written, a stream, or no body. */
export interface SimAnswer {
  status: number;
  /** JSON value (written by stringifyLegacy), or already written JSON text */
  json?: unknown;
  jsonText?: string;
  text?: string;
  headers?: Record<string, string>;
  /**
   * A streamed body, as a Go handler writes one on a hijacked connection: the status line and
   * `headers` (no Date, `Connection: close`, no chunked encoding), then whatever `start` writes,
   * until it ends the stream or the caller goes (the sink's signal aborts).
   */
  stream?: (sink: SimStream) => void;
}

/** Where a streamed answer writes. */
export interface SimStream {
  write(text: string): void;
  /** ends the body: the connection closes */
  end(): void;
  /** aborted when the caller goes away (or the agent drops its connections) */
  signal: AbortSignal;
}

/** An error the agent answers with a status and a plain-text body. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AgentServerOptions {
  tls?: SimTls | undefined;
  faults: SimFaults;
  /** every request received, in order (path still percent-encoded, query without "?") */
  calls: Array<{ method: string; path: string; query: string }>;
  /** the request headers of each entry of `calls` */
  callHeaders: http.IncomingHttpHeaders[];
  /** the agent's endpoints; a thrown SimHttpError is its answer */
  route: (req: SimRequest) => Promise<SimAnswer> | SimAnswer;
  /** headers of the faults' broken 200 answers (the agent's index header) */
  faultHeaders: () => Record<string, string>;
}

const PLAIN = 'text/plain; charset=utf-8';

export class AgentServer {
  readonly server: http.Server | https.Server;
  /** base URL (http(s)://host:port) once listening, '' before */
  url = '';

  constructor(private readonly opts: AgentServerOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.handle(req, res);
    };
    const tls = opts.tls;
    this.server = tls
      ? https.createServer(
          { key: tls.key, cert: tls.cert, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.requireClientCert === true, rejectUnauthorized: tls.requireClientCert === true },
          handler,
        )
      : http.createServer(handler);
    this.server.keepAliveTimeout = 65_000;
  }

  /** Starts listening; resolves the base URL. Port 0 = a free port. */
  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return new Promise((resolve, reject) => {
      const server = this.server;
      const onError = (e: Error) => reject(e);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const a = server.address() as AddressInfo;
        const h = a.family === 'IPv6' || host.includes(':') ? `[${a.address}]` : a.address;
        this.url = `${this.opts.tls ? 'https' : 'http'}://${h}:${a.port}`;
        resolve(this.url);
      });
    });
  }

  /**
   * Stops listening and drops every connection (requests in flight get no answer, pending blocking
   * queries end); `listen(port)` on the same port brings the agent back with its state.
   */
  goAway(): Promise<void> {
    const server = this.server;
    if (!server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const rawQuery = q >= 0 ? url.slice(q + 1) : '';
    const method = (req.method ?? 'GET').toUpperCase();
    this.opts.calls.push({ method, path: rawPath, query: rawQuery });
    this.opts.callHeaders.push(req.headers);
    const abort = new AbortController();
    res.on('close', () => abort.abort());

    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');

    const faults = this.opts.faults;
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
    if (res.destroyed) return;
    if (faults.hangUp) {
      req.socket.destroy();
      return;
    }
    if (faults.truncated) {
      const half = '{"ID":"truncated","TaskGroups":[{"Name":"src","Tasks":[';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(half.length * 2), ...this.opts.faultHeaders() });
      res.write(half, () => req.socket.destroy());
      return;
    }
    if (faults.status !== null) {
      this.write(res, { status: faults.status, text: faults.statusBody });
      return;
    }
    if (faults.malformed) {
      res.writeHead(200, { 'Content-Type': 'application/json', ...this.opts.faultHeaders() });
      res.end('{"ID": "malformed", "TaskGroups": [');
      return;
    }

    const r: SimRequest = { method, rawPath, query: new URLSearchParams(rawQuery), headers: req.headers, body, abort: abort.signal };
    let out: SimAnswer;
    try {
      out = await this.opts.route(r);
    } catch (e) {
      if (e instanceof SimHttpError) out = { status: e.status, text: e.message };
      else out = { status: 500, text: e instanceof Error ? e.message : String(e) };
    }
    if (res.destroyed) return;
    this.write(res, out, r);
  }

  private write(res: http.ServerResponse, out: SimAnswer, req?: SimRequest): void {
    const headers: Record<string, string> = { ...(out.headers ?? {}) };
    if (out.stream && req) {
      res.sendDate = false;
      res.removeHeader('transfer-encoding');
      res.writeHead(out.status, { Connection: 'close', ...headers });
      res.flushHeaders();
      let ended = false;
      out.stream({
        write: (text) => {
          if (!ended && !res.destroyed) res.write(text);
        },
        end: () => {
          if (ended) return;
          ended = true;
          if (!res.destroyed) res.end();
        },
        signal: req.abort,
      });
      return;
    }
    if (out.text !== undefined) {
      headers['Content-Type'] = PLAIN;
      res.writeHead(out.status, headers);
      res.end(out.text);
      return;
    }
    if (out.json === undefined && out.jsonText === undefined) {
      res.writeHead(out.status, headers);
      res.end();
      return;
    }
    const prettyParam = req?.query.get('pretty');
    const pretty = prettyParam !== null && prettyParam !== undefined && prettyParam !== '0';
    let text: string;
    if (out.jsonText !== undefined) text = pretty ? stringifyLegacy(JSON.parse(out.jsonText) as unknown, true) + '\n' : out.jsonText;
    else text = stringifyLegacy(out.json, pretty) + (pretty ? '\n' : '');
    headers['Content-Type'] = 'application/json';
    res.writeHead(out.status, headers);
    res.end(text);
  }
}

/** A path segment percent-decoded as Go's net/http does (left as it is when it is not valid). */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The body decoded as a Go agent decodes it (Go's json.Decoder; 400 with Go's text). */
export function parseBody(req: SimRequest): unknown {
  if (req.body === '') throw new SimHttpError(400, 'Request body is empty');
  try {
    return goDecode(req.body);
  } catch (e) {
    if (e instanceof GoJsonSyntaxError) throw new SimHttpError(400, e.message);
    throw e;
  }
}

/**
 * A simulated agent: its HTTP server, fault switches and call log. Subclasses answer with `route`
 * and name the headers of the faults' broken answers (their index header).
 */
export abstract class SimAgent {
  /** fault switches for reliability tests */
  readonly faults: SimFaults = noFaults();
  /** every request received, in order (path still percent-encoded, query without "?") */
  readonly calls: Array<{ method: string; path: string; query: string }> = [];
  /** the request headers of each entry of `calls` */
  readonly callHeaders: http.IncomingHttpHeaders[] = [];
  protected readonly http: AgentServer;

  constructor(tls: SimTls | undefined) {
    this.http = new AgentServer({
      tls,
      faults: this.faults,
      calls: this.calls,
      callHeaders: this.callHeaders,
      route: (req) => this.route(req),
      faultHeaders: () => this.faultHeaders(),
    });
  }

  protected abstract route(req: SimRequest): Promise<SimAnswer> | SimAnswer;
  protected abstract faultHeaders(): Record<string, string>;

  /** Starts listening; resolves the base URL (http(s)://host:port). Port 0 = a free port. */
  listen(port = 0, host = '127.0.0.1'): Promise<string> {
    return this.http.listen(port, host);
  }

  /** Base URL once listening ('' before). */
  get url(): string {
    return this.http.url;
  }

  /**
   * The agent goes away: stops listening and drops every connection (requests in flight get no
   * answer), keeping its state; `listen(port)` on the same port brings it back.
   */
  goAway(): Promise<void> {
    return this.http.goAway();
  }

  resetCalls(): void {
    this.calls.length = 0;
    this.callHeaders.length = 0;
  }
}
