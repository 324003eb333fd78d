/**
 * The operator pages (outside the legacy /v1 namespace), server-rendered HTML refreshed by the
 * browser every few seconds, no script, no password, every text HTML-escaped:
 *
 *   GET /ui/              the dtle jobs (failing first; ?status= filters) and the Nomad nodes
 *   GET /ui/job/{ID}      one job: replication, tasks, each allocation's task events, the 2.x job
 *
 * Data: services.overview (translate/overview.ts builds the view; list.ts, job.ts render it).
 */
import type { Express, NextFunction, Request, Response } from 'express';
import { LegacyHttpError } from '../../legacy/errors';
import { redactText } from '../../logging';
import { NomadError, legacyStatusOf } from '../../nomad/errors';
import type { NodeListStub } from '../../nomad/types';
import type { ConsulRead, OverviewData } from '../../service/overview';
import {
  STATUS_FILTERS,
  agoText,
  allocsByJob,
  isStatusFilter,
  sortJobs,
  uiJobOf,
  uiNodeOf,
  type StatusFilter,
} from '../../translate/overview';
import { callerToken } from '../context';
import type { RouteContext } from '../types';
import { clockText, sendHtml } from './html';
import { renderJobPage } from './job';
import { renderUi, renderUiError, renderUiProblem, type UiBanner, type UiModel } from './list';

export { escapeHtml } from './html';
export { renderUi, renderUiError, type UiModel } from './list';
export { renderJobPage, type UiJobPage } from './job';

/** Seconds between refreshes when the query names none. */
export const DEFAULT_REFRESH_SECONDS = 10;

/** ?refresh=N seconds (0 = off, at most an hour); anything else is the default. */
export function refreshSecondsOf(req: Request): number {
  const v = req.query.refresh;
  if (typeof v !== 'string' || !/^\d{1,4}$/.test(v)) return DEFAULT_REFRESH_SECONDS;
  return Math.min(Number(v), 3600);
}

/** The ?refresh= the caller gave, kept in the page's own links; null when none (or not a number). */
function refreshQueryOf(req: Request): string | null {
  const v = req.query.refresh;
  return typeof v === 'string' && /^\d{1,4}$/.test(v) ? v : null;
}

/** ?status=: null for none; a 400 naming the parameter for a value that is not a filter. */
function statusFilterOf(req: Request): StatusFilter | null {
  const v = req.query.status;
  if (v === undefined || v === '') return null;
  if (typeof v === 'string' && isStatusFilter(v)) return v;
  throw new LegacyHttpError(400, `status: must be one of ${STATUS_FILTERS.join(', ')} (or left out for all jobs)`);
}

function nodeNamesOf(nodes: readonly NodeListStub[]): Map<string, string> {
  return new Map(nodes.map((n) => [n.ID, n.Name]));
}

function consulBanners(consul: ConsulRead, scrub: (s: string) => string): UiBanner[] {
  const without = "stages come from the tasks' events only; no copy progress, Gtid or binlog position";
  if (!consul.enabled) return [{ id: 'no-consul', text: `No Consul address is configured (consul): ${without}.` }];
  if (consul.failure !== null) return [{ id: 'consul-down', text: `Consul could not be read: ${scrub(consul.failure)}; ${without}.` }];
  return [];
}

export interface ListPageOptions {
  filter: StatusFilter | null;
  refreshSeconds: number;
  /** the ?refresh= given, kept in the page's links */
  refreshQuery: string | null;
  /** the dtle driver names (config dtle_drivers) */
  drivers: readonly string[];
  /** scrubs secrets from upstream error texts */
  scrub: (s: string) => string;
  nowMs: number;
}

/** The list page from the overview's data: the view model (translate/overview.ts), then the HTML. */
export function listPage(data: OverviewData, o: ListPageOptions): string {
  const nodeNames = nodeNamesOf(data.nodes);
  const byJob = allocsByJob(data.allocs);
  const empty = { state: null, eta: null, moved: null };
  const banners: UiBanner[] = [];
  if (data.nomadFailure) {
    banners.push({
      id: 'stale',
      text: `Nomad could not be read just now (${o.scrub(data.nomadFailure.message)}): showing what was read at ${clockText(data.readAtMs)}, ${agoText(o.nowMs - data.readAtMs)} ago.`,
    });
  }
  banners.push(...consulBanners(data.consul, o.scrub));
  const model: UiModel = {
    jobs: sortJobs(data.jobs.map((j) => uiJobOf(j, byJob.get(j.ID) ?? [], data.observed.get(j.ID) ?? empty, nodeNames))),
    nodes: data.nodes.map((n) => uiNodeOf(n, o.drivers)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    refreshSeconds: o.refreshSeconds,
    filter: o.filter,
    readAtMs: data.readAtMs,
    nowMs: o.nowMs,
    banners,
  };
  return renderUi(model, o.refreshQuery);
}

/** The caller's token, or a 401 page already sent (null). */
function tokenOr401(req: Request, res: Response, required: boolean): { token: string | undefined } | null {
  try {
    return { token: callerToken(req, required) };
  } catch (e) {
    if (!(e instanceof LegacyHttpError && e.status === 401)) throw e;
    res.status(401).setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${e.message}\n`);
    return null;
  }
}

/** Registers GET /ui/ (and /ui) and GET /ui/job/{ID}. */
export function registerUiRoutes(app: Express, ctx: RouteContext): void {
  const { services, config } = ctx;
  const secrets = [config.nomad_token, config.consul_token].filter((s) => s !== '');
  const scrub = (s: string) => redactText(s, secrets);

  app.get(['/ui', '/ui/'], (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = '/ui/';
    const refresh = refreshSecondsOf(req);
    let filter: StatusFilter | null;
    let caller;
    try {
      filter = statusFilterOf(req);
      caller = tokenOr401(req, res, config.require_caller_token);
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 400) return sendHtml(res, 400, renderUiProblem('bad request', e.message));
      return next(e);
    }
    if (caller === null) return;
    services.overview.load(caller.token).then(
      (data) => sendHtml(res, 200, listPage(data, { filter, refreshSeconds: refresh, refreshQuery: refreshQueryOf(req), drivers: config.dtle_drivers, scrub, nowMs: Date.now() })),
      (e: unknown) => {
        if (!(e instanceof NomadError)) return next(e);
        sendHtml(res, legacyStatusOf(e), renderUiError(scrub(e.message), refresh));
      },
    );
  });

  app.get(/^\/ui\/job\/(.+)$/, (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = '/ui/job/{ID}';
    const refresh = refreshSecondsOf(req);
    let id: string;
    let caller;
    try {
      try {
        id = decodeURIComponent(req.path.slice('/ui/job/'.length));
      } catch {
        return sendHtml(res, 400, renderUiProblem('bad request', 'job ID: not a valid percent-encoding'));
      }
      caller = tokenOr401(req, res, config.require_caller_token);
    } catch (e) {
      return next(e);
    }
    if (caller === null) return;
    services.overview.job(id, caller.token).then(
      (data) => {
        const nodeNames = nodeNamesOf(data.nodes);
        const job = uiJobOf(data.job, data.allocs, data.observed, nodeNames);
        sendHtml(
          res,
          200,
          renderJobPage({ job, legacy: data.job, allocs: data.allocs, nodeNames, refreshSeconds: refresh, readAtMs: data.readAtMs, nowMs: Date.now(), banners: consulBanners(data.consul, scrub) }),
        );
      },
      (e: unknown) => {
        if (e instanceof LegacyHttpError && e.status === 404) return sendHtml(res, 404, renderUiProblem('no such job', `no dtle job ${JSON.stringify(id)}`));
        if (!(e instanceof NomadError)) return next(e);
        sendHtml(res, legacyStatusOf(e), renderUiError(scrub(e.message), refresh));
      },
    );
  });
}
