/**
 * 2.x paths whose Nomad counterpart answers in the same shape: proxied to Nomad as they are
 * (path rewritten, query kept), with the caller's or the configured token, a timeout, Nomad's
 * X-Nomad-* meta headers renamed X-Udup-*, and every password in a JSON answer masked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createProxyMiddleware, responseInterceptor } from 'http-proxy-middleware';
import { legacyStatusOf } from '../nomad/errors';
import { maskSecretsInJsonText } from '../translate/mask';
import { callerToken } from './context';
import type { RouteContext } from './types';

const META_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-nomad-index', 'X-Udup-Index'],
  ['x-nomad-knownleader', 'X-Udup-KnownLeader'],
  ['x-nomad-lastcontact', 'X-Udup-LastContact'],
];

/**
 * The only request headers forwarded to Nomad; the token is set by us. Everything else the caller
 * sent (hop-by-hop headers such as Connection, Upgrade, TE; credentials such as Authorization,
 * Cookie; X-Forwarded-*; anything Nomad might read) stays here.
 */
const FORWARDED_REQUEST_HEADERS = new Set(['host', 'accept', 'accept-encoding', 'content-type', 'content-length', 'user-agent']);

/** The Nomad path and query for a proxied request: `path` plus the caller's query, the default region added. */
export function proxiedUrl(originalUrl: string, path: string, defaultRegion: string): string {
  const u = new URL(originalUrl, 'http://legacy.invalid');
  if (defaultRegion !== '' && !u.searchParams.has('region')) u.searchParams.set('region', defaultRegion);
  const query = u.searchParams.toString();
  return path + (query === '' ? '' : `?${query}`);
}

export interface PassthroughOptions {
  /** the Nomad path for this request (no query) */
  path: (req: Request) => string;
  /** ms before an unanswered call is abandoned (504); default the Nomad timeout */
  timeoutMs?: number;
}

/** A proxy to Nomad for one legacy route. The caller's token must have been validated (callerToken) before. */
export function nomadPassthrough(ctx: RouteContext, opts: PassthroughOptions): RequestHandler {
  const { nomad, config, logger } = ctx;
  const timeoutMs = opts.timeoutMs ?? config.nomad_timeout_ms;
  const timedOut = new WeakSet<IncomingMessage>();
  const proxy = createProxyMiddleware<Request, Response>({
    target: nomad.baseURL,
    agent: nomad.agent,
    changeOrigin: true,
    secure: !config.nomad_skip_verify,
    selfHandleResponse: true,
    xfwd: false,
    ejectPlugins: true,
    pathRewrite: (_path, req) => proxiedUrl(req.originalUrl, opts.path(req), nomad.resolve().region ?? ''),
    plugins: [
      (server) => {
        server.on('proxyReq', (proxyReq, req) => {
          for (const h of proxyReq.getHeaderNames()) if (!FORWARDED_REQUEST_HEADERS.has(h)) proxyReq.removeHeader(h);
          const token = nomad.tokenFor(callerToken(req));
          if (token) proxyReq.setHeader('X-Nomad-Token', token);
          // the body was read (and its size checked) before proxying: send it as it came
          const body = (req as Request).body as unknown;
          if (Buffer.isBuffer(body)) {
            proxyReq.setHeader('Content-Length', String(body.length));
            proxyReq.write(body);
          }
          proxyReq.setTimeout(timeoutMs, () => {
            timedOut.add(req);
            proxyReq.destroy(new Error('timeout'));
          });
        });
        server.on(
          'proxyRes',
          responseInterceptor(async (buffer, proxyRes, req, res) => {
            // hop-by-hop: this connection's keep-alive is ours to decide (a caller's Connection: close holds)
            for (const h of ['connection', 'keep-alive']) res.removeHeader(h);
            for (const [from, to] of META_HEADERS) {
              const v = proxyRes.headers[from];
              res.removeHeader(from);
              if (typeof v === 'string') res.setHeader(to, v);
            }
            const type = String(proxyRes.headers['content-type'] ?? '');
            if (buffer.length === 0 || !/\bjson\b|^text\//i.test(type)) return buffer;
            // Nomad may quote the token it refused: scrub the caller's and the configured one
            const text = nomad.scrubTokens(buffer.toString('utf8'), callerToken(req));
            return /\bjson\b/i.test(type) ? maskSecretsInJsonText(text) : text;
          }),
        );
        server.on('error', (err: Error, req: IncomingMessage, res: ServerResponse | unknown) => {
          const r = res as ServerResponse;
          if (typeof r?.writeHead !== 'function') return;
          const timeout = timedOut.has(req);
          logger.warn('nomad passthrough failed', { path: req.url, timeout, error: err.message });
          if (r.headersSent) {
            r.end();
            return;
          }
          const failure = nomad.proxyFailure(err, req.url ?? '', timeout);
          r.writeHead(legacyStatusOf(failure), { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
          r.end(failure.reason);
        });
      },
    ],
  });
  // a body over body_limit is a 413 here, not streamed to Nomad
  const readBody = express.raw({ limit: config.body_limit, type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    readBody(req, res, (err?: unknown) => {
      if (err) return next(err);
      void proxy(req, res, next);
    });
  };
}
