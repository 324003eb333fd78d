import type { Request, Response } from 'express';
import type { Blocking, QueryMeta, Scope } from '../nomad/client';
import { parseGoDuration } from '../nomad/go';
import { LegacyHttpError, badRequest } from '../legacy/errors';
import { stringifyLegacy } from '../legacy/int64';

/** A token or header value we forward must be one visible-ASCII line: nothing can be injected upstream. */
const SAFE_HEADER = /^[\x21-\x7e]{1,512}$/;

function queryString(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  throw badRequest(`Invalid ${name}`);
}

export function hasQueryFlag(req: Request, name: string): boolean {
  const v = req.query[name];
  return v !== undefined && v !== 'false' && v !== '0';
}

/** The 401 text when require_caller_token is on and the caller sent no token. */
export const MISSING_TOKEN = 'missing X-Nomad-Token: this service requires callers to send their own Nomad token';

/**
 * The caller-token rule, for every surface (legacy routes, passthrough, the operator page): the
 * caller's Nomad token from X-Nomad-Token, undefined when none (or an empty one) is sent; 400 when
 * the header is not one visible-ASCII line; 401 when `required` (require_caller_token) and none is
 * sent, so that a caller without a token never acts with the configured one.
 */
export function callerToken(req: Request, required = false): string | undefined {
  const h = req.headers['x-nomad-token'];
  const raw = typeof h === 'string' && h !== '' ? h : undefined;
  if (raw === undefined) {
    if (required) throw new LegacyHttpError(401, MISSING_TOKEN);
    return undefined;
  }
  if (!SAFE_HEADER.test(raw)) throw badRequest('Invalid X-Nomad-Token header');
  return raw;
}

/** What a legacy request asks of Nomad: whose view (scope) and, for reads, how to block. */
export interface LegacyQuery {
  scope: Scope;
  block: Blocking;
}

/**
 * Reads the 2.x query options: the caller's token and region (the scope), blocking (index, wait)
 * and stale; validates them as 2.x did (`Invalid index`, `Invalid wait time`), on every route.
 */
export function legacyQuery(req: Request): LegacyQuery {
  const scope: Scope = {};
  const block: Blocking = {};
  const token = callerToken(req);
  if (token) scope.token = token;
  const region = queryString(req, 'region');
  if (region) scope.region = region;
  const index = queryString(req, 'index');
  if (index !== undefined && index !== '') {
    if (!/^\d{1,20}$/.test(index)) throw badRequest('Invalid index');
    block.index = index;
  }
  const wait = queryString(req, 'wait');
  if (wait !== undefined && wait !== '') {
    const ms = parseGoDuration(wait);
    if (ms === null || ms < 0) throw badRequest('Invalid wait time');
    block.wait = wait;
  }
  if (req.query.stale !== undefined) block.stale = true;
  return { scope, block };
}

/**
 * The scope of a route where 2.x parsed no query options (/v1/self, /v1/members: agent_endpoint.go
 * reads none, so `?index=abc` or `?wait=bogus` are no errors there and nothing blocks): the caller's token only.
 */
export function callerScope(req: Request): Scope {
  const token = callerToken(req);
  return token ? { token } : {};
}

export function prefixOf(req: Request): string | undefined {
  const p = queryString(req, 'prefix');
  return p === '' ? undefined : p;
}

/** 2.x's query-meta headers, filled from Nomad's. */
export function setQueryMeta(res: Response, meta: QueryMeta | undefined): void {
  if (!meta) return;
  if (meta.index !== null) res.setHeader('X-Udup-Index', meta.index);
  // the names as 2.x wrote them on the wire (Go's canonical form of X-Udup-KnownLeader)
  if (meta.knownLeader !== null) res.setHeader('X-Udup-Knownleader', meta.knownLeader);
  if (meta.lastContact !== null) res.setHeader('X-Udup-Lastcontact', meta.lastContact);
}

/** 2.x indented its JSON when the query had `pretty` (any value but false/0). */
export function wantsPretty(req: Request): boolean {
  return req.query.pretty !== undefined && req.query.pretty !== 'false' && req.query.pretty !== '0';
}

/** Answers a legacy caller with JSON text made already (see sendLegacy). */
export function sendLegacyText(res: Response, text: string | Buffer, meta?: QueryMeta, status = 200): void {
  setQueryMeta(res, meta);
  res.status(status).setHeader('Content-Type', 'application/json');
  res.end(text);
}

/** Answers a legacy caller: JSON (indented with ?pretty), query-meta headers. */
export function sendLegacy(req: Request, res: Response, body: unknown, meta?: QueryMeta, status = 200): void {
  const pretty = wantsPretty(req);
  sendLegacyText(res, stringifyLegacy(body, pretty) + (pretty ? '\n' : ''), meta, status);
}

export { LegacyHttpError };
