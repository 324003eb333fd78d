import type { Express, NextFunction, Request, Response } from 'express';
import { badRequest, LegacyHttpError } from '../legacy/errors';
import { maskSecrets } from '../translate/mask';
import { decodeBodyText } from '../legacy/jobBody';
import { legacyQuery, prefixOf, sendLegacy, sendLegacyText, wantsPretty } from './context';
import type { RouteContext } from './types';

export const INVALID_METHOD = 'Invalid method';

/** A request's job body, decoded as 2.x's Go decoder did (Go's texts for a body that is not JSON, `EOF` for none). */
export function jobBodyOf(req: Request): unknown {
  return decodeBodyText(typeof req.body === 'string' ? req.body : '');
}

/** A handler for /v1/job/{ID}/<sub> (allocations, evaluations, pause, resume, …). */
export type JobSubHandler = (req: Request, res: Response, jobId: string) => Promise<void>;

/** Wraps an async handler: errors go to the error middleware; the route label is set for metrics. */
export function handle(route: string, fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.route = route;
    fn(req, res).catch(next);
  };
}

/** The job ID in a /v1/job/… path, decoded as Go's net/http decoded URL paths (so %2F is part of the ID). */
export function decodePathId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest('Invalid job ID encoding');
  }
}

export function registerJobRoutes(app: Express, ctx: RouteContext, sub: Record<string, JobSubHandler>): void {
  const { services } = ctx;

  // 2.x answered pause/resume for any method, with its JobResponse and the index header
  sub.pause = async (req, res, id) => {
    const { response, meta } = await services.jobPause.pause(id, legacyQuery(req).scope);
    sendLegacy(req, res, response, meta);
  };
  sub.resume = async (req, res, id) => {
    const { response, meta } = await services.jobPause.resume(id, legacyQuery(req).scope);
    sendLegacy(req, res, response, meta);
  };

  app.all(
    '/v1/jobs',
    handle('/v1/jobs', async (req, res) => {
      if (req.method === 'GET') {
        // the service builds list stubs from specs it masked once per JobModifyIndex
        const { scope, block } = legacyQuery(req);
        const { text, meta } = await services.jobReads.listText(scope, block, prefixOf(req), wantsPretty(req));
        return sendLegacyText(res, text, meta);
      }
      if (req.method === 'PUT' || req.method === 'POST') {
        const { response, meta } = await services.jobWrites.register(jobBodyOf(req), legacyQuery(req).scope);
        return sendLegacy(req, res, response, meta);
      }
      throw new LegacyHttpError(405, INVALID_METHOD);
    }),
  );

  app.all(
    '/v1/validate/job',
    handle('/v1/validate/job', async (req, res) => {
      if (req.method !== 'PUT' && req.method !== 'POST') throw new LegacyHttpError(405, INVALID_METHOD);
      sendLegacy(req, res, await services.jobWrites.validate(jobBodyOf(req), legacyQuery(req).scope));
    }),
  );

  // 2.x matched "/v1/job/" as a prefix and dispatched on the path's suffix (agent/job_endpoint.go)
  app.all(
    /^\/v1\/job\/(.+)$/,
    (req: Request, res: Response, next: NextFunction): void => {
      const rest = req.path.slice('/v1/job/'.length);
      const slash = rest.lastIndexOf('/');
      const suffix = slash >= 0 ? rest.slice(slash + 1) : '';
      const subHandler = slash >= 0 ? sub[suffix] : undefined;
      if (subHandler) {
        res.locals.route = `/v1/job/{ID}/${suffix}`;
        let id: string;
        try {
          id = decodePathId(rest.slice(0, slash));
        } catch (e) {
          return next(e);
        }
        subHandler(req, res, id).catch(next);
        return;
      }
      handle('/v1/job/{ID}', async () => {
        const id = decodePathId(rest);
        switch (req.method) {
          case 'GET': {
            const { scope, block } = legacyQuery(req);
            const { job, meta } = await services.jobReads.get(id, scope, block);
            return sendLegacy(req, res, maskSecrets(job), meta);
          }
          case 'PUT':
          case 'POST': {
            // 2.x never read the path here (agent/job_endpoint.go jobUpdate): the body's ID, else a new one
            const { response, meta } = await services.jobWrites.register(jobBodyOf(req), legacyQuery(req).scope);
            return sendLegacy(req, res, response, meta);
          }
          case 'DELETE': {
            const { response, meta } = await services.jobWrites.delete(id, legacyQuery(req).scope);
            return sendLegacy(req, res, response, meta);
          }
          default:
            throw new LegacyHttpError(405, INVALID_METHOD);
        }
      })(req, res, next);
    },
  );
}
