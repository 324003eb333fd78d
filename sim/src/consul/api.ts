/**
 * The part of Consul 1.x's HTTP API dtle and dtle-compat use (agent/kvs_endpoint.go,
 * agent/http.go at v1.22): KV GET (one key, `?recurse`, `?keys`, `?raw`, blocking `?index`/`?wait`),
 * PUT (`?cas`, `?flags`), DELETE (`?recurse`, `?cas`), and the leader. Paths, status codes, error
 * texts and headers as a Consul 1.22.6 agent answers (checked by the real tier, test/e2e).
 */
import { parseGoDuration } from '../../../src/nomad/go';
import { int64 } from '../../../src/legacy/int64';
import { decodeSegment, SimHttpError, type SimAnswer as Res, type SimFaults, type SimRequest as Req } from '../http/server';
import type { SimKv, SimKvEntry } from './kv';

/** Consul's MaxQueryTime and default wait of a blocking query. */
const MAX_WAIT_MS = 600_000;
const DEFAULT_WAIT_MS = 300_000;
/** kv_max_value_size */
const MAX_VALUE_BYTES = 512 * 1024;

export interface ConsulContext {
  kv: SimKv;
  faults: SimFaults;
  /** ACLs on (default policy deny): every KV call needs this token */
  aclToken: string | undefined;
  leaderAddr: string;
}

const err = (status: number, message: string): SimHttpError => new SimHttpError(status, message);

/** structs.DirEntry as Consul's HTTP API writes it (Session only when set). */
export function dirEntryJson(e: SimKvEntry): Record<string, unknown> {
  return {
    LockIndex: e.LockIndex,
    Key: e.Key,
    Flags: int64(e.Flags),
    Value: e.Value === null ? null : e.Value.toString('base64'),
    ...(e.Session !== '' ? { Session: e.Session } : {}),
    CreateIndex: e.CreateIndex,
    ModifyIndex: e.ModifyIndex,
  };
}

export class ConsulApi {
  constructor(private readonly ctx: ConsulContext) {}

  private get aclPolicy(): string {
    return this.ctx.aclToken === undefined ? 'allow' : 'deny';
  }

  /** Headers on every answer of the agent. */
  private baseHeaders(): Record<string, string> {
    return { Vary: 'Accept-Encoding', 'X-Consul-Default-Acl-Policy': this.aclPolicy };
  }

  private token(req: Req): string {
    const h = req.headers['x-consul-token'];
    const v = Array.isArray(h) ? h[0] : h;
    if (v) return v;
    const auth = req.headers.authorization;
    if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
    return req.query.get('token') ?? '';
  }

  private acl(req: Req, key: string, access: 'read' | 'write'): void {
    if (this.ctx.aclToken === undefined) return;
    const t = this.token(req);
    if (t === '') {
      throw err(
        403,
        `Permission denied: anonymous token lacks permission 'key:${access}' on ${JSON.stringify(key)}. The anonymous token is used implicitly when a request does not specify a token.`,
      );
    }
    if (t !== this.ctx.aclToken) throw err(403, 'ACL not found');
  }

  async route(req: Req): Promise<Res> {
    let res: Res;
    try {
      res = await this.dispatch(req);
    } catch (e) {
      if (!(e instanceof SimHttpError)) throw e;
      res = { status: e.status, text: e.message };
    }
    return { ...res, headers: { ...this.baseHeaders(), ...(res.headers ?? {}) } };
  }

  private async dispatch(req: Req): Promise<Res> {
    if (req.rawPath === '/v1/status/leader') {
      if (req.method !== 'GET') throw err(405, `method ${req.method} not allowed`);
      return { status: 200, json: this.ctx.faults.noLeader ? '' : this.ctx.leaderAddr };
    }
    if (req.rawPath === '/v1/kv') return { status: 307, headers: { Location: '/v1/kv/' }, text: '' };
    if (!req.rawPath.startsWith('/v1/kv/')) throw err(404, '');
    if (this.ctx.faults.noLeader) throw err(500, 'No cluster leader');
    const key = req.rawPath.slice('/v1/kv/'.length).split('/').map(decodeSegment).join('/');
    switch (req.method) {
      case 'GET':
        return this.get(req, key);
      case 'PUT':
        return this.put(req, key);
      case 'DELETE':
        return this.delete(req, key);
      default:
        return { status: 405, headers: { Allow: 'OPTIONS,GET,PUT,DELETE' }, text: `method ${req.method} not allowed` };
    }
  }

  /** parseWait: ?index and ?wait (400 "Invalid index" / "Invalid wait time"). */
  private blocking(req: Req): { minIndex: number; waitMs: number } {
    let waitMs = DEFAULT_WAIT_MS;
    const wait = req.query.get('wait');
    if (wait !== null && wait !== '') {
      const d = parseGoDuration(wait);
      if (d === null) throw err(400, 'Invalid wait time');
      waitMs = d > MAX_WAIT_MS ? MAX_WAIT_MS : d;
    }
    let minIndex = 0;
    const idx = req.query.get('index');
    if (idx !== null && idx !== '') {
      if (!/^\d+$/.test(idx)) throw err(400, 'Invalid index');
      minIndex = Number(idx);
    }
    return { minIndex, waitMs };
  }

  private queryMeta(index: number): Record<string, string> {
    return {
      'X-Consul-Index': String(index),
      'X-Consul-Knownleader': 'true',
      'X-Consul-Lastcontact': '0',
      'X-Consul-Query-Backend': 'blocking-query',
    };
  }

  private async get(req: Req, key: string): Promise<Res> {
    const { minIndex, waitMs } = this.blocking(req);
    const recurse = req.query.has('recurse');
    const keys = req.query.has('keys');
    if (key === '' && !recurse && !keys) throw err(400, 'Missing key name');
    this.acl(req, key, 'read');
    const kv = this.ctx.kv;
    if (keys || recurse) {
      const r = await kv.feed.block(minIndex, waitMs, req.abort, () => kv.list(key));
      if (r.found.length === 0) return { status: 404, headers: this.queryMeta(r.index) };
      const json = keys ? r.found.map((e) => e.Key) : r.found.map(dirEntryJson);
      return { status: 200, headers: this.queryMeta(r.index), json };
    }
    const r = await kv.feed.block(minIndex, waitMs, req.abort, () => kv.get(key));
    if (r.found === null) return { status: 404, headers: this.queryMeta(r.index) };
    if (req.query.has('raw')) return { status: 200, headers: { ...this.queryMeta(r.index), 'Content-Type': 'text/plain; charset=utf-8' }, text: r.found.Value?.toString('utf8') ?? '' };
    return { status: 200, headers: this.queryMeta(r.index), json: [dirEntryJson(r.found)] };
  }

  private uintParam(req: Req, name: string): string | null {
    const v = req.query.get(name);
    if (v === null) return null;
    if (!/^\d+$/.test(v)) throw err(400, `Invalid ${name} value: ${JSON.stringify(v)}`);
    return v;
  }

  private put(req: Req, key: string): Res {
    if (key === '') throw err(400, 'Missing key name');
    this.acl(req, key, 'write');
    const body = Buffer.from(req.body, 'utf8');
    if (body.length > MAX_VALUE_BYTES) {
      throw err(413, `Request body(${body.length} bytes) too large, max size: ${MAX_VALUE_BYTES} bytes. See https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.`);
    }
    const cas = this.uintParam(req, 'cas');
    const flags = this.uintParam(req, 'flags');
    const ok = this.ctx.kv.put(key, body, { cas: cas === null ? null : Number(cas), ...(flags !== null ? { flags } : {}) });
    return { status: 200, json: ok };
  }

  private delete(req: Req, key: string): Res {
    this.acl(req, key, 'write');
    const cas = this.uintParam(req, 'cas');
    const ok = this.ctx.kv.delete(key, { recurse: req.query.has('recurse'), cas: cas === null ? null : Number(cas) });
    return { status: 200, json: ok };
  }
}
