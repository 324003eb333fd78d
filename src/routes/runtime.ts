/**
 * The legacy runtime routes: allocations, evaluations, nodes, agent, status, statistics, the
 * paths proxied to Nomad, and the 2.x-only features. Thin: parse, call the service, mask, answer.
 * Path matching and method checks follow dtle 2.x's agent/http.go and its *_endpoint.go handlers.
 */
import type { Express, NextFunction, Request, Response } from 'express';
import { LegacyHttpError, notFound } from '../legacy/errors';
import { parseGoBool } from '../nomad/go';
import { maskSecrets } from '../translate/mask';
import { callerScope, callerToken, legacyQuery, prefixOf, sendLegacy, type LegacyQuery } from './context';
import { decodePathId, handle, INVALID_METHOD, type JobSubHandler } from './jobs';
import { nomadPassthrough } from './passthrough';
import type { Answer } from '../service/runtime';
import type { RouteContext } from './types';

/** 2.x's answer for a path under /v1/agent/allocation/ that is not `{ID}/stats`. */
export const RESOURCE_NOT_FOUND = 'resource not found';

/** Text of 501 answers for 2.x features that have no counterpart on Nomad with dtle 3.x/4.x. */
export function unsupportedText(feature: string): string {
  return `not supported: ${feature} of dtle 2.x has no equivalent in dtle 3.x/4.x on Nomad`;
}

const invalidMethod = () => new LegacyHttpError(405, INVALID_METHOD);

function requireMethod(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) throw invalidMethod();
}

/** Go's strconv.ParseBool, false when absent or invalid (as 2.x ignored the error). */
function queryBool(req: Request, name: string): boolean {
  const v = req.query[name];
  const s = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
  return parseGoBool(s) === true;
}

function queryText(req: Request, name: string): string {
  const v = req.query[name];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
}

/** The part of the request path after `prefix`, percent-decoded as Go's net/http did. */
function pathRest(req: Request, prefix: string): string {
  return decodePathId(req.path.slice(prefix.length));
}

/** An empty-bodied status, as 2.x's handlers that only called WriteHeader answered. */
function bare(res: Response, status: number): void {
  res.status(status).end();
}

export function registerRuntimeRoutes(app: Express, ctx: RouteContext, jobSub: Record<string, JobSubHandler>): void {
  const runtime = ctx.services.runtime;

  /**
   * A legacy read, after its method check and path ID: the caller's query, the service's answer,
   * masked when it carries job specs.
   */
  const answer = async (req: Request, res: Response, read: (q: LegacyQuery) => Promise<Answer<unknown>>, masked = false) => {
    const { body, meta } = await read(legacyQuery(req));
    sendLegacy(req, res, masked ? maskSecrets(body) : body, meta);
  };
  /** A GET route of its own (the path names no ID). */
  const get = (path: RegExp, route: string, read: (q: LegacyQuery, req: Request) => Promise<Answer<unknown>>, masked = false) =>
    app.all(
      path,
      handle(route, async (req, res) => {
        requireMethod(req, 'GET');
        await answer(req, res, (q) => read(q, req), masked);
      }),
    );
  /** A route under a prefix whose path names an ID (percent-decoded before the query is read). */
  const byId = (route: string, methods: string[], id: () => string, read: (id: string, q: LegacyQuery) => Promise<Answer<unknown>>, masked = false) =>
    handle(route, async (req, res) => {
      requireMethod(req, ...methods);
      const decoded = id();
      await answer(req, res, (q) => read(decoded, q), masked);
    });

  /* ---------------------------------------------------------------- /v1/job/{ID}/… */

  jobSub.allocations = async (req, res, id) => {
    requireMethod(req, 'GET');
    await answer(req, res, ({ scope, block }) => runtime.jobAllocations(id, scope, block, queryBool(req, 'all')), true);
  };
  jobSub.evaluations = async (req, res, id) => {
    requireMethod(req, 'GET');
    await answer(req, res, ({ scope, block }) => runtime.jobEvaluations(id, scope, block));
  };

  /* ---------------------------------------------------------------- allocations */

  get(/^\/v1\/allocations$/, '/v1/allocations', ({ scope, block }, req) => runtime.allocations(scope, block, prefixOf(req)), true);
  app.all(/^\/v1\/allocation\//, (req: Request, res: Response, next: NextFunction) =>
    byId('/v1/allocation/{ID}', ['GET'], () => pathRest(req, '/v1/allocation/'), (id, { scope, block }) => runtime.allocation(id, scope, block), true)(req, res, next),
  );

  // 2.x: no method check here; `{ID}/stats` only, anything else `resource not found`
  app.all(
    /^\/v1\/agent\/allocation\//,
    handle('/v1/agent/allocation/{ID}/stats', async (req, res) => {
      const tokens = req.path.slice('/v1/agent/allocation/'.length).split('/');
      if (tokens.length !== 2 || tokens[1] !== 'stats') throw notFound(RESOURCE_NOT_FOUND);
      const id = decodePathId(tokens[0] as string);
      const task = queryText(req, 'task');
      const stats = await runtime.allocStats(id, task, legacyQuery(req).scope);
      sendLegacy(req, res, stats);
    }),
  );

  /* ---------------------------------------------------------------- evaluations */

  get(/^\/v1\/evaluations$/, '/v1/evaluations', ({ scope, block }, req) => runtime.evaluations(scope, block, prefixOf(req)));
  app.all(/^\/v1\/evaluation\//, (req: Request, res: Response, next: NextFunction) => {
    const rest = req.path.slice('/v1/evaluation/'.length);
    const inner = rest.endsWith('/allocations')
      ? byId('/v1/evaluation/{ID}/allocations', ['GET'], () => decodePathId(rest.slice(0, -'/allocations'.length)), (id, { scope, block }) => runtime.evaluationAllocations(id, scope, block), true)
      : byId('/v1/evaluation/{ID}', ['GET'], () => decodePathId(rest), (id, { scope, block }) => runtime.evaluation(id, scope, block));
    inner(req, res, next);
  });

  /* ---------------------------------------------------------------- nodes */

  get(/^\/v1\/nodes$/, '/v1/nodes', ({ scope, block }, req) => runtime.nodes(scope, block, prefixOf(req)));
  // 2.x dispatched on the suffix: /evaluate, /allocations, else the node itself (so /drain & co. are "node not found")
  app.all(/^\/v1\/node\//, (req: Request, res: Response, next: NextFunction) => {
    const rest = req.path.slice('/v1/node/'.length);
    const idBefore = (suffix: string) => () => decodePathId(rest.slice(0, -suffix.length));
    const inner = rest.endsWith('/evaluate')
      ? byId('/v1/node/{ID}/evaluate', ['PUT', 'POST'], idBefore('/evaluate'), (id, { scope }) => runtime.nodeEvaluate(id, scope))
      : rest.endsWith('/allocations')
        ? byId('/v1/node/{ID}/allocations', ['GET'], idBefore('/allocations'), (id, { scope, block }) => runtime.nodeAllocations(id, scope, block), true)
        : byId('/v1/node/{ID}', ['GET'], () => decodePathId(rest), (id, { scope, block }) => runtime.node(id, scope, block));
    inner(req, res, next);
  });

  /* ---------------------------------------------------------------- agent and status */

  // 2.x parsed no query options on these two (no blocking, no 400 for a bad index or wait)
  const agentRead = (path: RegExp, route: string, read: (req: Request) => Promise<Answer<unknown>>) =>
    app.all(
      path,
      handle(route, async (req, res) => {
        requireMethod(req, 'GET');
        const { body, meta } = await read(req);
        sendLegacy(req, res, body, meta);
      }),
    );
  agentRead(/^\/v1\/self$/, '/v1/self', (req) => runtime.self(callerScope(req), {}));
  agentRead(/^\/v1\/members$/, '/v1/members', (req) => runtime.members(callerScope(req), {}));
  get(/^\/v1\/regions$/, '/v1/regions', ({ scope, block }) => runtime.status('/v1/regions', scope, block));
  get(/^\/v1\/leader$/, '/v1/leader', ({ scope, block }) => runtime.status('/v1/status/leader', scope, block));
  get(/^\/v1\/peers$/, '/v1/peers', ({ scope, block }) => runtime.status('/v1/status/peers', scope, block));

  /* ---------------------------------------------------------------- passthrough to Nomad */

  /** Checks the method (405 as 2.x) and the caller's token before proxying. */
  const proxied = (route: string, methods: string[], path: (req: Request) => string, emptyBody405 = false) => {
    const proxy = nomadPassthrough(ctx, { path });
    return (req: Request, res: Response, next: NextFunction) => {
      res.locals.route = route;
      if (!methods.includes(req.method)) {
        if (emptyBody405) return bare(res, 405);
        return next(invalidMethod());
      }
      try {
        callerToken(req);
      } catch (e) {
        return next(e);
      }
      proxy(req, res, next);
    };
  };

  app.all(/^\/v1\/join$/, proxied('/v1/join', ['PUT', 'POST'], () => '/v1/agent/join'));
  app.all(/^\/v1\/agent\/force-leave$/, proxied('/v1/agent/force-leave', ['PUT', 'POST'], () => '/v1/agent/force-leave'));
  app.all(/^\/v1\/managers$/, proxied('/v1/managers', ['GET', 'PUT', 'POST'], () => '/v1/agent/servers'));

  // 2.x: /v1/operator/raft/configuration* (GET) and /v1/operator/raft/peer* (DELETE), bare 405 otherwise;
  // any other /v1/operator/ path 404 "Invalid method". (2.x never registered its Operator RPC: both
  // dropped the connection past these checks; dtle-compat answers through Nomad, see docs/migration.md.)
  const raftConfiguration = handle('/v1/operator/raft/configuration', async (req, res) => {
    if (req.method !== 'GET') return bare(res, 405);
    await answer(req, res, ({ scope, block }) => runtime.raftConfiguration(scope, block));
  });
  const peerProxy = proxied('/v1/operator/raft/peer', ['DELETE'], () => '/v1/operator/raft/peer', true);
  const raftPeer = (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'DELETE') {
      // agent/operator_endpoint.go:85–106: exactly one of ?id and ?address
      const hasId = req.query.id !== undefined;
      const hasAddress = req.query.address !== undefined;
      res.locals.route = '/v1/operator/raft/peer';
      if (!hasId && !hasAddress) return next(new LegacyHttpError(400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove"));
      if (hasId && hasAddress) return next(new LegacyHttpError(400, 'Must specify only one of ?id or ?address'));
    }
    peerProxy(req, res, next);
  };
  app.all(/^\/v1\/operator\//, (req: Request, res: Response, next: NextFunction) => {
    const rest = req.path.startsWith('/v1/operator/raft/') ? req.path.slice('/v1/operator/raft/'.length) : null;
    if (rest !== null && rest.startsWith('configuration')) return raftConfiguration(req, res, next);
    if (rest !== null && rest.startsWith('peer')) return raftPeer(req, res, next);
    res.locals.route = '/v1/operator/';
    next(new LegacyHttpError(404, INVALID_METHOD));
  });

  /* ---------------------------------------------------------------- 2.x-only features */

  const unsupported = (feature: string) => new LegacyHttpError(501, unsupportedText(feature));
  /** A 2.x feature without a counterpart: 405 for another method, else 501 naming it. */
  const unsupportedRoute = (path: RegExp, route: string, method: string, feature: string) =>
    app.all(
      path,
      handle(route, async (req) => {
        requireMethod(req, method);
        throw unsupported(feature);
      }),
    );

  unsupportedRoute(/^\/v1\/login$/, '/v1/login', 'PUT', 'login (orders)');
  // orders (traffic quotas): none exist on Nomad, so lists are empty and single orders are not found
  app.all(
    /^\/v1\/orders$/,
    handle('/v1/orders', async (req, res) => {
      if (req.method === 'GET') return sendLegacy(req, res, []);
      requireMethod(req, 'PUT', 'POST');
      throw unsupported('orders');
    }),
  );
  app.all(
    /^\/v1\/orders\/pending$/,
    handle('/v1/orders/pending', async (req, res) => {
      requireMethod(req, 'GET');
      sendLegacy(req, res, []);
    }),
  );
  app.all(
    /^\/v1\/orders\/level\//,
    handle('/v1/orders/level/', async (req, res) => {
      if (req.method !== 'GET') return bare(res, 405);
      throw unsupported('setting the log level');
    }),
  );
  app.all(
    /^\/v1\/order\//,
    handle('/v1/order/{ID}', async (req) => {
      if (req.method === 'GET' || req.method === 'DELETE') throw notFound('order not found');
      requireMethod(req, 'PUT', 'POST');
      throw unsupported('orders');
    }),
  );
  unsupportedRoute(/^\/v1\/cloud\/order$/, '/v1/cloud/order', 'GET', 'cloud orders');
  // exact paths that 2.x matched before its /v1/job/ prefix
  unsupportedRoute(/^\/v1\/job\/renewal$/, '/v1/job/renewal', 'PUT', 'job renewal (orders)');
  unsupportedRoute(/^\/v1\/job\/info$/, '/v1/job/info', 'POST', 'job info (reading the source database schema)');
}
