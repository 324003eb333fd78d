import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from './config';
import type { Logger } from './logging';
import { redactText } from './logging';
import { Metrics } from './metrics';
import { NomadClient } from './nomad/client';
import type { ConsulClient } from './consul/client';
import { ConsulError, legacyStatusOfConsul } from './consul/errors';
import { NomadError, legacyStatusOf } from './nomad/errors';
import { StringValue } from './nomad/types';
import { LegacyHttpError } from './legacy/errors';
import { BodyError } from './legacy/schema';
import { GoJsonSyntaxError, GoTypeError } from './legacy/gojson';
import { TranslateError } from './translate/config';
import { createServices, type Services } from './service';
import { registerLegacyRoutes } from './routes';
import { setQueryMeta } from './routes/context';
import { registerUiRoutes } from './routes/ui';

export interface AppDeps {
  config: Config;
  nomad: NomadClient;
  /** where dtle keeps each job's replication state; null when no Consul address is configured */
  consul: ConsulClient | null;
  logger: Logger;
  metrics?: Metrics;
}

export interface BuiltApp {
  app: express.Express;
  services: Services;
  metrics: Metrics;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Writes a plain-text error the way dtle 2.x's Go handlers did. */
export function sendText(res: Response, status: number, text: string): void {
  res.status(status).setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(text);
}

/**
 * Builds the express app from its dependencies. No network is touched until a request arrives,
 * but with `replica` on: then the replica's event stream is opened here (it closes with the Nomad
 * client, or with services.replica.stop()).
 */
export function createApp(deps: AppDeps): BuiltApp {
  const { config, nomad, consul, logger } = deps;
  const metrics = deps.metrics ?? new Metrics();
  nomad.setObserver(metrics.observeUpstream);
  consul?.setObserver(metrics.observeConsul);
  const services = createServices({ config, nomad, consul, logger, metrics });
  services.replica?.start();
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'extended');

  // request id + access log + metrics
  app.use((req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = typeof res.locals.route === 'string' ? res.locals.route : req.route ? String(req.baseUrl + req.route.path) : 'unmatched';
      metrics.requests.labels(route, req.method, String(res.statusCode)).inc();
      metrics.requestSeconds.labels(route, req.method).observe(seconds);
      logger.info('request', {
        request_id: id,
        method: req.method,
        path: req.path,
        route,
        status: res.statusCode,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
      });
    });
    next();
  });

  // health, readiness and metrics live outside the legacy namespace (readiness is Nomad's: without
  // Consul the service still answers everything Nomad holds)
  app.get('/-/healthy', (_req, res) => sendText(res, 200, 'OK\n'));
  app.get('/-/ready', async (_req, res) => {
    if (Date.now() - nomad.lastSuccess <= config.ready_max_age_ms) return sendText(res, 200, 'OK\n');
    try {
      await nomad.get('/v1/status/leader', StringValue, { op: 'status.leader', local: false });
      sendText(res, 200, 'OK\n');
    } catch (e) {
      sendText(res, 503, `not ready: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  registerLegacyRoutes(app, { config, nomad, consul, logger, metrics, services });
  // the operator page, outside the legacy namespace
  registerUiRoutes(app, { config, nomad, consul, logger, metrics, services });

  // anything else: Go's mux answer
  app.use((_req: Request, res: Response) => sendText(res, 404, '404 page not found\n'));

  // one error middleware: status + plain text, no stack traces
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const id = String(res.locals.requestId ?? '');
    if (err instanceof LegacyHttpError) {
      setQueryMeta(res, err.meta ?? undefined);
      return sendText(res, err.status, err.message);
    }
    // a body that is no legacy job, or one the dtle driver would refuse: 400 naming the field
    if (err instanceof BodyError || err instanceof TranslateError) return sendText(res, 400, err.message);
    // a body 2.x's Go decoder refused: Go's own text, as 2.x answered it
    if (err instanceof GoJsonSyntaxError || err instanceof GoTypeError) return sendText(res, 400, err.message);
    if (err instanceof NomadError) {
      const status = legacyStatusOf(err);
      logger.warn('nomad call failed', { request_id: id, path: req.path, kind: err.kind, upstream_status: err.status, reason: err.reason });
      return sendText(res, status, err.reason);
    }
    // a write of dtle's state (its pause flag) that Consul refused or did not answer
    if (err instanceof ConsulError) {
      logger.warn('consul call failed', { request_id: id, path: req.path, kind: err.kind, upstream_status: err.status, reason: err.reason });
      return sendText(res, legacyStatusOfConsul(err), err.reason);
    }
    const e = err as { type?: unknown; status?: unknown; message?: unknown };
    if (e && e.type === 'entity.too.large') return sendText(res, 413, `request body too large (limit ${config.body_limit})`);
    if (e && e.type === 'entity.parse.failed') {
      return sendText(res, 400, `invalid JSON body: ${redactText(String(e.message ?? ''))}`);
    }
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendText(res, e.status, redactText(String(e.message ?? 'bad request')));
    }
    logger.error('internal error', { request_id: id, path: req.path, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return sendText(res, 500, 'internal error');
  });

  return { app, services, metrics };
}
