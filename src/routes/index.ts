import express, { type Express } from 'express';
import type { RouteContext } from './types';
import { callerToken } from './context';
import { registerJobRoutes, type JobSubHandler } from './jobs';
import { registerRuntimeRoutes } from './runtime';

/** Every legacy 2.x route, in 2.x's matching order. */
export function registerLegacyRoutes(app: Express, ctx: RouteContext): void {
  // 2.x decoded any body as JSON whatever its Content-Type (curl -d sends form encoding), with Go's
  // decoder: the text is kept here and decoded where a job body is read (routes/jobs.ts jobBodyOf)
  const text = express.text({ limit: ctx.config.body_limit, type: () => true });
  app.use(['/v1/jobs', '/v1/job', '/v1/validate'], (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return next();
    text(req, res, next);
  });
  if (ctx.config.require_caller_token) {
    // without this, a caller with no token would act with the configured one
    app.use('/v1', (req, _res, next) => {
      try {
        callerToken(req, true);
      } catch (e) {
        return next(e);
      }
      next();
    });
  }
  const jobSub: Record<string, JobSubHandler> = {};
  // before the job routes: 2.x matched /v1/job/renewal and /v1/job/info ahead of its /v1/job/ prefix
  registerRuntimeRoutes(app, ctx, jobSub);
  registerJobRoutes(app, ctx, jobSub);
}
