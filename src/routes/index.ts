import express, { type Express } from 'express';
import type { RouteContext } from './types';
import { registerJobRoutes, type JobSubHandler } from './jobs';

/** Every legacy 2.x route, in 2.x's matching order. */
export function registerLegacyRoutes(app: Express, ctx: RouteContext): void {
  // 2.x decoded any body as JSON whatever its Content-Type (curl -d sends form encoding)
  const json = express.json({ limit: ctx.config.body_limit, type: () => true });
  app.use(['/v1/jobs', '/v1/job', '/v1/validate'], (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return next();
    json(req, res, next);
  });
  const jobSub: Record<string, JobSubHandler> = {};
  registerJobRoutes(app, ctx, jobSub);
}
