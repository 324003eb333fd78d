/**
 * Nomad 1.x's HTTP API: paths, methods, query parameters, headers, status codes and error texts
 * (command/agent/*_endpoint.go, command/agent/http.go at v1.11.3), answered from SimState; served
 * by the agent server every simulated agent shares (../http/server.ts).
 */
import { canonicalJob, DecodeError, decodeWriteRequest, field, isObject, multierrorText, validateJob } from './decode';
import { goKindOf } from '../../../src/legacy/gojson';
import { decodeSegment, parseBody, SimHttpError, type SimFaults, type SimAnswer as Res, type SimRequest as Req } from '../http/server';
import { parseGoBool, parseGoDuration } from '../../../src/nomad/go';
import { stringifyLegacy } from '../../../src/legacy/int64';
import { allocStub, jobStub, NOMAD_REVISION, NOMAD_VERSION, nodeStub, omitEmpty } from './shapes';
import type { JobRecord, SimState, Table } from './state';
import type { AgentMember, Allocation, Evaluation, Job, JobSummary, Node, StrMap, Variable } from './structs';

export interface ServerContext {
  state: SimState;
  faults: SimFaults;
  aclToken: string | undefined;
  tokenAccessor: string;
  blockingMaxWaitMs: number;
  /** the event stream's heartbeat interval, ms (Nomad 1.11.3: 30 s) */
  eventHeartbeatMs: number;
  /** when a refused event stream's connection closes, ms after its headers; null: when the caller goes */
  eventRefusedCloseMs: number | null;
  member: AgentMember;
  leaderAddr: string;
  agentNode: { name: string; address: string };
}

const INVALID_METHOD = 'Invalid method';
const GET: readonly string[] = ['GET'];
const WRITE: readonly string[] = ['PUT', 'POST'];

const err = (status: number, message: string): SimHttpError => new SimHttpError(status, message);

/**
 * What Nomad's UUID index (go-memdb's UUIDFieldIndex, exact lookups) says of an ID that is not a
 * UUID, as Nomad 1.x answers it after its lookup prefix ("alloc lookup failed: …", 500); null for
 * a well-formed ID. Checked against Nomad 1.11.3 by the real-Nomad tier (test/e2e).
 */
export function uuidIndexError(id: string, asPrefix = false): string | null {
  if (asPrefix && id === '') return null;
  if (!asPrefix && id.length !== 36) return 'index error: UUID must be 36 characters';
  if (id.length > 36) return `index error: Invalid UUID length. UUID have 36 characters; got ${id.length}`;
  const hyphens = id.split('-').length - 1;
  if (hyphens > 4) return `index error: UUID should have maximum of 4 "-"; got ${hyphens}`;
  const hex = id.replace(/-/g, '');
  if (hex.length % 2 !== 0) return 'index error: Input (without hyphens) must be even length';
  const bad = [...hex].find((ch) => !/[0-9a-fA-F]/.test(ch));
  if (bad !== undefined) {
    const code = bad.codePointAt(0) ?? 0;
    return `index error: Invalid UUID: encoding/hex: invalid byte: U+${code.toString(16).toUpperCase().padStart(4, '0')} ${JSON.stringify(bad).replace(/^"|"$/g, "'")}`;
  }
  return null;
}

/** Throws Nomad's 500 for an exact lookup by an ID that is not a UUID. */
function checkUuid(id: string, prefix: string): void {
  const bad = uuidIndexError(id);
  if (bad !== null) throw err(500, prefix + bad);
}

/** Throws Nomad's 500 for a list's ?prefix= that cannot start a UUID (odd length, not hex). */
function checkUuidPrefix(idPrefix: string, prefix: string): void {
  const bad = uuidIndexError(idPrefix, true);
  if (bad !== null) throw err(500, prefix + bad);
}

/** Go's strconv.Atoi: the integer, or the error's text. */
function goAtoi(s: string): number | string {
  if (!/^[+-]?\d+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return Number(n);
}

function boolParam(req: Req, name: string): boolean | null {
  const v = req.query.get(name);
  if (v === null || v === '') return null;
  const b = parseGoBool(v);
  if (b === null) throw err(500, `Failed to parse value of ${JSON.stringify(name)} (${v}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
  return b;
}

/** Nomad's endpoints (the `route` of its AgentServer). */
export class NomadApi {
  constructor(private readonly ctx: ServerContext) {}

  /* ------------------------------------------------------------------ common parsing */

  private token(req: Req): string {
    const h = req.headers['x-nomad-token'];
    const v = Array.isArray(h) ? h[0] : h;
    if (v !== undefined && v.trim() !== '') return v.trim();
    const auth = req.headers.authorization;
    if (auth) {
      const parts = auth.split(' ');
      if (parts.length > 1 && (parts[0] as string).toLowerCase() === 'bearer') return (parts.slice(1).join(' ').trim().split(' ')[0] as string).trim();
    }
    return '';
  }

  private acl(req: Req): void {
    if (this.ctx.aclToken === undefined) return;
    const t = this.token(req);
    if (t === '') throw err(403, 'Permission denied');
    // Nomad 1.11.3 answers an unknown token as a missing one (checked by the real-Nomad tier)
    if (t !== this.ctx.aclToken) throw err(403, 'Permission denied');
  }

  private region(req: Req): void {
    const r = req.query.get('region');
    if (r !== null && r !== '' && r !== this.ctx.state.region) throw err(500, 'No path to region');
  }

  /** A call that needs the leader (every RPC but ?stale reads). */
  private leader(req: Req, read: boolean): void {
    if (!this.ctx.faults.noLeader) return;
    if (read && req.query.has('stale')) return;
    throw err(500, 'No cluster leader');
  }

  private namespace(req: Req): string {
    const n = req.query.get('namespace');
    return n !== null && n !== '' ? n : 'default';
  }

  /** parseWait: ?wait and ?index (400 "Invalid wait time" / "Invalid index"). */
  private waitParams(req: Req): { minIndex: number; waitMs: number } {
    const stale = req.query.get('stale');
    if (stale !== null && stale !== '' && parseGoBool(stale) === null) throw err(400, 'Expect `true` or `false` for `stale` query string parameter');
    let waitMs = 0;
    const wait = req.query.get('wait');
    if (wait !== null && wait !== '') {
      const d = parseGoDuration(wait);
      if (d === null) throw err(400, 'Invalid wait time');
      waitMs = d;
    }
    let minIndex = 0;
    const idx = req.query.get('index');
    if (idx !== null && idx !== '') {
      if (!/^\d+$/.test(idx)) throw err(400, 'Invalid index');
      minIndex = Number(idx);
    }
    const perPage = req.query.get('per_page');
    if (perPage !== null && perPage !== '' && !/^-?\d+$/.test(perPage)) throw err(400, 'Expect a number for `per_page` query string parameter');
    return { minIndex, waitMs };
  }

  /** A read: region, token, leader, then Nomad's blocking query (runs `run` until its index passes ?index or the wait ends). */
  private async read(req: Req, run: () => { index: number; res: Res }): Promise<Res> {
    this.region(req);
    const { minIndex, waitMs } = this.waitParams(req);
    this.acl(req);
    this.leader(req, true);
    const max = this.ctx.blockingMaxWaitMs;
    const r = await this.ctx.state.feed.block(minIndex, waitMs <= 0 || waitMs > max ? max : waitMs, req.abort, run);
    const res = r.res;
    // query meta
    const meta = { 'X-Nomad-Index': String(r.index), 'X-Nomad-KnownLeader': this.ctx.faults.noLeader ? 'false' : 'true', 'X-Nomad-LastContact': '0' };
    return { ...res, headers: { ...(res.headers ?? {}), ...meta } };
  }

  /** A write: region, token, leader. */
  private write_(req: Req): void {
    this.region(req);
    this.acl(req);
    this.leader(req, false);
  }

  /* ------------------------------------------------------------------ routing */

  /** Nomad's paths without an ID: the methods each takes (any other: 405) and its handler. */
  private readonly exact: ReadonlyMap<string, { methods: readonly string[]; run: (req: Req) => Promise<Res> | Res }> = new Map([
    ['/v1/jobs', { methods: ['GET', 'PUT', 'POST'], run: (req: Req) => (req.method === 'GET' ? this.jobList(req) : this.jobRegister(req, null)) }],
    ['/v1/validate/job', { methods: WRITE, run: (req: Req) => this.validate(req) }],
    ['/v1/allocations', { methods: GET, run: (req: Req) => this.allocList(req) }],
    ['/v1/evaluations', { methods: GET, run: (req: Req) => this.evalList(req) }],
    ['/v1/deployments', { methods: GET, run: (req: Req) => this.deploymentList(req) }],
    ['/v1/nodes', { methods: GET, run: (req: Req) => this.nodeList(req) }],
    ['/v1/agent/members', { methods: GET, run: (req: Req) => this.agentMembers(req) }],
    ['/v1/agent/self', { methods: GET, run: (req: Req) => this.agentSelf(req) }],
    ['/v1/agent/health', { methods: GET, run: () => ({ status: 200, json: { client: { ok: true, message: 'ok' }, server: { ok: true, message: 'ok' } } }) }],
    ['/v1/status/leader', { methods: GET, run: (req: Req) => this.status(req, this.ctx.faults.noLeader ? '' : this.ctx.leaderAddr) }],
    ['/v1/status/peers', { methods: GET, run: (req: Req) => this.status(req, [this.ctx.leaderAddr]) }],
    ['/v1/regions', { methods: GET, run: (req: Req) => this.status(req, [this.ctx.state.region]) }],
    ['/v1/vars', { methods: GET, run: (req: Req) => this.varList(req) }],
    ['/v1/operator/raft/configuration', { methods: GET, run: (req: Req) => this.raftConfiguration(req) }],
    ['/v1/event/stream', { methods: GET, run: (req: Req) => this.eventStream(req) }],
  ]);

  /** Nomad's paths with an ID (and maybe more) after a prefix: each handler checks its methods. */
  private readonly prefixed: ReadonlyArray<[string, (req: Req, rest: string) => Promise<Res> | Res]> = [
    ['/v1/job/', (req, rest) => this.jobSpecific(req, rest)],
    ['/v1/allocation/', (req, rest) => this.allocSpecific(req, rest)],
    ['/v1/evaluation/', (req, rest) => this.evalSpecific(req, rest)],
    ['/v1/deployment/', (req, rest) => this.deploymentSpecific(req, rest)],
    ['/v1/node/', (req, rest) => this.nodeSpecific(req, rest)],
    ['/v1/client/allocation/', (req, rest) => this.clientAlloc(req, rest)],
    ['/v1/var/', (req, rest) => this.varSpecific(req, rest)],
  ];

  async route(req: Req): Promise<Res> {
    const p = req.rawPath;
    const exact = this.exact.get(p);
    if (exact) {
      if (!exact.methods.includes(req.method)) throw err(405, INVALID_METHOD);
      return exact.run(req);
    }
    for (const [prefix, run] of this.prefixed) if (p.startsWith(prefix)) return run(req, p.slice(prefix.length));
    // command/agent/http.go handleRootFallthrough: anything else is a bare 404
    return { status: 404 };
  }

  /** /v1/status/leader, /v1/status/peers, /v1/regions: answered by any server, leader or not. */
  private status(req: Req, json: unknown): Res {
    this.region(req);
    this.waitParams(req);
    return { status: 200, json };
  }

  /** command/agent/operator_endpoint.go: the one server of this agent; no query meta headers. */
  private raftConfiguration(req: Req): Res {
    this.region(req);
    this.acl(req);
    const server = { ID: this.ctx.member.Tags.id ?? '', Node: `${this.ctx.agentNode.name}.${this.ctx.state.region}`, Address: this.ctx.leaderAddr, Leader: true, Voter: true, RaftProtocol: '3' };
    return { status: 200, json: { Servers: [server], Index: 0 } };
  }

  private agentMembers(req: Req): Res {
    this.region(req);
    this.waitParams(req);
    this.acl(req);
    return { status: 200, json: { ServerName: this.ctx.agentNode.name, ServerRegion: this.ctx.state.region, ServerDC: this.ctx.state.datacenter, Members: [this.ctx.member] } };
  }

  /* ------------------------------------------------------------------ event stream */

  /**
   * GET /v1/event/stream (command/agent/event_endpoint.go, nomad/event_endpoint.go at v1.11.3):
   * `index` and `topic` are checked first (400); then the agent hijacks the connection and writes
   * 200 before the server has looked at the region or the token, so a refused stream (no path to
   * the region, a token without the topics' capabilities) is that 200 and no line at all, the
   * connection left open: the agent's error is written to the hijacked writer, which drops it, and
   * nothing closes the connection but Go's collector finalizing it (seen after about 11 s; the
   * simulator keeps it open until the caller goes, or `eventRefusedCloseMs`). An accepted stream
   * writes `{}` at once, then the frames from `index` on, one JSON object per line, and `{}` every
   * heartbeat.
   */
  private eventStream(req: Req): Res {
    const indexText = req.query.get('index') ?? '';
    const index = goAtoi(indexText === '' ? '0' : indexText);
    if (typeof index === 'string') throw err(400, `Unable to parse index: ${index}`);
    const topics = new Map<string, string[]>();
    if (!req.query.has('topic')) topics.set('*', ['*']);
    for (const t of req.query.getAll('topic')) {
      const parts = t.split(':');
      if (parts.length > 2) throw err(400, `Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: ${t}`);
      const [topic, key] = parts.length === 1 ? [t, '*'] : (parts as [string, string]);
      topics.set(topic, [...(topics.get(topic) ?? []), key]);
    }
    const st = this.ctx.state;
    const region = req.query.get('region');
    const refused = (region !== null && region !== '' && region !== st.region) || !this.eventTopicsAllowed(req);
    const ns = this.namespace(req);
    const namespaces = ns === '*' ? [...new Set(['default', ...st.jobList().map((r) => r.job.Namespace)])] : [ns];
    const heartbeatMs = this.ctx.eventHeartbeatMs;
    return {
      status: 200,
      // what the handler and the compress handler had set when the connection was hijacked
      headers: { 'Cache-Control': 'no-cache', 'Content-Type': 'application/json', Vary: 'Accept-Encoding' },
      stream: (sink) => {
        if (sink.signal.aborted) {
          sink.end();
          return;
        }
        if (refused) {
          const after = this.ctx.eventRefusedCloseMs;
          if (after !== null) {
            const t = setTimeout(() => sink.end(), after);
            sink.signal.addEventListener('abort', () => clearTimeout(t));
          }
          return;
        }
        let timer: NodeJS.Timeout | null = null;
        let sub: { unsubscribe(): void } | null = null;
        const stop = () => {
          if (timer) clearInterval(timer);
          timer = null;
          sub?.unsubscribe();
          sink.end();
        };
        sink.signal.addEventListener('abort', stop);
        // stream.NewJsonStream: a heartbeat first, then one every interval
        sink.write('{}\n');
        timer = setInterval(() => sink.write('{}\n'), heartbeatMs);
        sub = st.events.subscribe({ topics, index: index < 0 ? Number.MAX_SAFE_INTEGER : index, namespaces }, (line) => sink.write(line + '\n'), stop);
      },
    };
  }

  /**
   * nomad/event_endpoint.go validateNsOp: Deployment, Evaluation, Allocation, Job (and Service,
   * CSIPlugin) need read-job in the namespace, Node node:read, NodePool and `*` a management token.
   * The simulator's one token is a management token; without ACLs everything is allowed.
   */
  private eventTopicsAllowed(req: Req): boolean {
    if (this.ctx.aclToken === undefined) return true;
    return this.token(req) === this.ctx.aclToken;
  }

  /* ------------------------------------------------------------------ jobs */

  private jobList(req: Req): Promise<Res> {
    const ns = this.namespace(req);
    const prefix = req.query.get('prefix') ?? '';
    const meta = boolParam(req, 'meta') === true;
    const st = this.ctx.state;
    return this.read(req, () => {
      const index = st.indexOf('jobs', 'job_summary');
      const key = `${ns}\u0000${prefix}\u0000${meta ? 1 : 0}`;
      const cached = st.listCache.get(key);
      if (cached && cached.index === index && st.index === cached.index) return { index, res: { status: 200, jsonText: cached.body } };
      const parts: string[] = [];
      for (const r of st.jobList()) {
        if (ns !== '*' && r.job.Namespace !== ns) continue;
        if (prefix !== '' && !r.job.ID.startsWith(prefix)) continue;
        parts.push(meta ? stringifyLegacy(jobStub(r.job, r.summary, true)) : st.stubJsonOf(r));
      }
      const body = `[${parts.join(',')}]`;
      st.listCache.set(key, { index, body });
      if (st.listCache.size > 64) st.listCache.delete(st.listCache.keys().next().value as string);
      return { index, res: { status: 200, jsonText: body } };
    });
  }

  /** PUT/POST /v1/jobs and /v1/job/{id}: command/agent jobUpdate + Job.Register. */
  private jobRegister(req: Req, pathId: string | null): Res {
    const body = parseBody(req);
    let fields;
    try {
      fields = decodeWriteRequest(body, 'JobRegisterRequest');
    } catch (e) {
      if (e instanceof DecodeError) throw err(400, e.message);
      throw e;
    }
    if (!fields.job) throw err(400, 'Job must be specified');
    if (!fields.jobIdGiven) throw err(400, "Job ID hasn't been provided");
    let job;
    try {
      job = canonicalJob(fields.job, this.scope(req, fields.region, fields.namespace));
    } catch (e) {
      if (e instanceof DecodeError) throw err(400, e.message);
      throw e;
    }
    if (pathId !== null && job.ID !== pathId) throw err(400, 'Job ID does not match name');
    if (job.Type === 'system' && job.TaskGroups.some((tg) => tg.Scaling !== null)) {
      throw err(400, 'Task groups with job type system do not support scaling blocks');
    }
    this.write_(req);
    const errors = validateJob(job);
    if (errors.length > 0) throw err(500, multierrorText(errors));
    const out = this.ctx.state.register(job, {
      enforceIndex: fields.enforceIndex,
      jobModifyIndex: fields.jobModifyIndex,
      ...(this.ctx.aclToken !== undefined ? { tokenAccessor: this.ctx.tokenAccessor } : {}),
    });
    return {
      status: 200,
      headers: { 'X-Nomad-Index': String(out.Index) },
      json: { EvalID: out.EvalID, EvalCreateIndex: out.EvalCreateIndex, JobModifyIndex: out.JobModifyIndex, Warnings: out.Warnings, Index: out.Index, LastContact: 0, KnownLeader: false, NextToken: '' },
    };
  }

  private scope(req: Req, bodyRegion: string, bodyNamespace: string) {
    const qr = req.query.get('region') ?? '';
    const qn = req.query.get('namespace') ?? '';
    return { agentRegion: this.ctx.state.region, queryRegion: qr, queryNamespace: qn, bodyRegion, bodyNamespace };
  }

  private static readonly JOB_SUFFIXES = [
    'evaluate',
    'allocations',
    'evaluations',
    'periodic/force',
    'plan',
    'summary',
    'dispatch',
    'dispatch/payload',
    'versions',
    'revert',
    'deployments',
    'deployment',
    'stable',
    'scale',
    'services',
    'submission',
    'actions',
    'action',
  ];

  private jobSpecific(req: Req, rest: string): Promise<Res> | Res {
    let suffix = '';
    for (const s of NomadApi.JOB_SUFFIXES) {
      if (rest.endsWith('/' + s) && rest.length > s.length + 1) {
        if (s === 'payload' && !rest.endsWith('/dispatch/payload')) continue;
        suffix = s;
        break;
      }
    }
    const id = decodeSegment(suffix === '' ? rest : rest.slice(0, rest.length - suffix.length - 1));
    const m = req.method;
    switch (suffix) {
      case '':
        if (m === 'GET') return this.jobPart(req, id, 'jobs', (r) => r.job);
        if (m === 'PUT' || m === 'POST') return this.jobRegister(req, id);
        if (m === 'DELETE') return this.jobDelete(req, id);
        throw err(405, INVALID_METHOD);
      case 'allocations':
        if (m !== 'GET') throw err(405, INVALID_METHOD);
        return this.jobAllocations(req, id);
      case 'evaluations':
        if (m !== 'GET') throw err(405, INVALID_METHOD);
        return this.jobEvaluations(req, id);
      case 'summary':
        return this.jobPart(req, id, 'job_summary', (r) => r.summary);
      case 'versions':
        return this.jobVersions(req, id);
      case 'deployment':
        if (m !== 'GET') throw err(405, INVALID_METHOD);
        return this.jobDeployment(req, id, false);
      case 'deployments':
        if (m !== 'GET') throw err(405, INVALID_METHOD);
        return this.jobDeployment(req, id, true);
      case 'evaluate':
        if (m !== 'PUT' && m !== 'POST') throw err(405, INVALID_METHOD);
        return this.jobEvaluate(req, id);
      default:
        return { status: 404 };
    }
  }

  /** GET /v1/job/{id} and /v1/job/{id}/summary: a job's spec or summary, at its own index. */
  private jobPart(req: Req, id: string, table: Table, part: (r: JobRecord) => Job | JobSummary): Promise<Res> {
    const ns = this.namespace(req);
    const st = this.ctx.state;
    return this.read(req, () => {
      const r = st.job(ns, id);
      if (!r) return { index: st.indexOf(table), res: { status: 404, text: 'job not found' } };
      const json = part(r);
      return { index: Math.max(json.ModifyIndex, 1), res: { status: 200, json } };
    });
  }

  private jobDelete(req: Req, id: string): Res {
    const purge = boolParam(req, 'purge') === true;
    boolParam(req, 'global');
    const ep = req.query.get('eval_priority');
    if (ep !== null && ep !== '') {
      if (!/^-?\d+$/.test(ep)) throw err(500, `Failed to parse value of "eval_priority" (${ep}) as a int: strconv.Atoi: parsing ${JSON.stringify(ep)}: invalid syntax`);
      const n = Number(ep);
      if (n > 0 && (n < 1 || n > 100)) throw err(400, 'Eval priority must be between 1 and 100');
    }
    this.write_(req);
    const out = this.ctx.state.deregister(this.namespace(req), id, purge);
    return {
      status: 200,
      headers: { 'X-Nomad-Index': String(out.Index) },
      json: { EvalID: out.EvalID, EvalCreateIndex: out.EvalCreateIndex, JobModifyIndex: out.JobModifyIndex, VolumeEvalID: out.VolumeEvalID, VolumeEvalIndex: out.VolumeEvalIndex, Index: out.Index, LastContact: 0, KnownLeader: false, NextToken: '' },
    };
  }

  private jobAllocations(req: Req, id: string): Promise<Res> {
    const ns = this.namespace(req);
    const all = parseGoBool(req.query.get('all') ?? '') === true;
    const st = this.ctx.state;
    return this.read(req, () => {
      const r = st.job(ns, id);
      const index = st.indexOf('allocs');
      if (!r) return { index, res: { status: 200, jsonText: '[]' } };
      let allocs = st.allocsOfJob(r);
      if (!all) allocs = allocs.filter((a) => a.Job.CreateIndex === r.job.CreateIndex);
      const parts = allocs.map((a) => {
        const rec = st.allocs.get(a.ID);
        return rec ? st.allocStubJsonOf(rec) : stringifyLegacy(allocStub(a, { resources: false, taskStates: true }));
      });
      return { index, res: { status: 200, jsonText: `[${parts.join(',')}]` } };
    });
  }

  private jobEvaluations(req: Req, id: string): Promise<Res> {
    const ns = this.namespace(req);
    const st = this.ctx.state;
    return this.read(req, () => {
      const r = st.job(ns, id);
      const index = st.indexOf('evals');
      return { index, res: { status: 200, json: r ? st.evalsOfJob(r).map((e) => omitEmpty(e)) : [] } };
    });
  }

  private jobVersions(req: Req, id: string): Promise<Res> {
    const ns = this.namespace(req);
    const diffs = boolParam(req, 'diffs') === true;
    const st = this.ctx.state;
    return this.read(req, () => {
      const r = st.job(ns, id);
      const index = st.indexOf('job_version');
      if (!r) return { index, res: { status: 404, text: 'job versions not found' } };
      const versions = r.versions.map((v) => (v.Version === r.job.Version ? r.job : v));
      return { index, res: { status: 200, json: { Versions: versions, Diffs: diffs ? [] : null, Index: index, LastContact: 0, KnownLeader: true, NextToken: '' } } };
    });
  }

  private jobDeployment(req: Req, id: string, all: boolean): Promise<Res> {
    const ns = this.namespace(req);
    const st = this.ctx.state;
    return this.read(req, () => {
      const r = st.job(ns, id);
      const index = st.indexOf('deployment');
      const list = r ? r.deploymentIds.map((d) => st.deployments.get(d)).filter((d) => d !== undefined).sort((a, b) => b.CreateIndex - a.CreateIndex) : [];
      return { index, res: { status: 200, json: all ? list : (list[0] ?? null) } };
    });
  }

  private jobEvaluate(req: Req, id: string): Res {
    let jobId = id;
    if (req.body !== '') {
      const body = parseBody(req);
      if (!isObject(body)) throw err(400, `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type structs.JobEvaluateRequest`);
      const bid = field(body, 'JobID');
      if (typeof bid !== 'string' || bid === '') throw err(400, 'Job ID must be specified');
      if (id !== '' && bid !== id) throw err(400, 'JobID not same as job name');
      jobId = bid;
    }
    this.write_(req);
    const st = this.ctx.state;
    const r = st.job(this.namespace(req), jobId);
    if (!r) throw err(500, 'job not found');
    if (r.job.Periodic !== null) throw err(500, "can't evaluate periodic job");
    if (r.job.ParameterizedJob !== null) throw err(500, "can't evaluate parameterized job");
    const out = st.register(r.job);
    return { status: 200, headers: { 'X-Nomad-Index': String(out.Index) }, json: { EvalID: out.EvalID, EvalCreateIndex: out.EvalCreateIndex, JobModifyIndex: out.JobModifyIndex, Warnings: '', Index: out.Index, LastContact: 0, KnownLeader: false, NextToken: '' } };
  }

  /** PUT/POST /v1/validate/job: JobValidateResponse (errors in the body, status 200). */
  private validate(req: Req): Res {
    const body = parseBody(req);
    let fields;
    let job;
    try {
      fields = decodeWriteRequest(body, 'JobValidateRequest');
      if (!fields.job) throw err(400, 'Job must be specified');
      job = canonicalJob(fields.job, this.scope(req, fields.region, ''), 'JobValidateRequest');
    } catch (e) {
      if (e instanceof DecodeError) throw err(400, e.message);
      throw e;
    }
    this.region(req);
    this.acl(req);
    this.leader(req, false);
    const errors = validateJob(job);
    return {
      status: 200,
      json: {
        DriverConfigValidated: true,
        ValidationErrors: errors.length > 0 ? errors : null,
        Error: errors.length > 0 ? multierrorText(errors) : '',
        Warnings: '',
      },
    };
  }

  /* ------------------------------------------------------------------ allocations */

  private allocList(req: Req): Promise<Res> {
    const ns = this.namespace(req);
    const prefix = req.query.get('prefix') ?? '';
    const resources = boolParam(req, 'resources');
    const taskStates = boolParam(req, 'task_states');
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuidPrefix(prefix, 'alloc lookup failed: ');
      const index = st.indexOf('allocs');
      const recs = [...st.allocs.values()].filter((r) => (ns === '*' || r.alloc.Namespace === ns) && r.alloc.ID.startsWith(prefix));
      recs.sort((a, b) => (a.alloc.ID < b.alloc.ID ? -1 : 1));
      const custom = resources === true || taskStates === false;
      const parts = recs.map((r) => (custom ? stringifyLegacy(allocStub(r.alloc, { resources: resources === true, taskStates: taskStates !== false })) : st.allocStubJsonOf(r)));
      return { index, res: { status: 200, jsonText: `[${parts.join(',')}]` } };
    });
  }

  private allocSpecific(req: Req, rest: string): Promise<Res> | Res {
    const tokens = rest.split('/');
    if (tokens.length > 2) throw err(404, 'resource not found');
    const id = decodeSegment(tokens[0] as string);
    if (tokens.length === 2) {
      if (tokens[1] === 'stop') return this.allocStop(req, id);
      throw err(404, 'resource not found');
    }
    if (req.method !== 'GET') throw err(405, INVALID_METHOD);
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuid(id, 'alloc lookup failed: ');
      const r = st.allocs.get(id);
      if (!r || (this.namespace(req) !== '*' && r.alloc.Namespace !== this.namespace(req))) return { index: st.indexOf('allocs'), res: { status: 404, text: 'alloc not found' } };
      return { index: r.alloc.ModifyIndex, res: { status: 200, json: omitEmpty(r.alloc) } };
    });
  }

  private allocStop(req: Req, id: string): Res {
    if (req.method !== 'PUT' && req.method !== 'POST') throw err(405, INVALID_METHOD);
    boolParam(req, 'no_shutdown_delay');
    boolParam(req, 'reschedule');
    this.write_(req);
    const st = this.ctx.state;
    const r = st.allocs.get(id);
    if (!r) throw err(404, 'allocation not found');
    const jr = st.job(r.alloc.Namespace, r.alloc.JobID);
    if (!jr) throw err(404, 'allocation not found');
    // the scheduler replaces a stopped allocation: a forced evaluation of the job does the same here
    const idx = st.bump('AllocationUpdateDesiredStatus', 'allocs');
    st.putAlloc({ ...r.alloc, DesiredTransition: { ...r.alloc.DesiredTransition, Migrate: true }, ModifyIndex: idx });
    const out = st.register(jr.job);
    return { status: 200, headers: { 'X-Nomad-Index': String(out.Index) }, json: { EvalID: out.EvalID, Index: out.Index } };
  }

  /** /v1/client/allocation/{id}/stats and /signal: the client's allocation endpoints. */
  private clientAlloc(req: Req, rest: string): Promise<Res> | Res {
    const tokens = rest.split('/');
    if (tokens.length !== 2) throw err(404, 'resource not found');
    const id = decodeSegment(tokens[0] as string);
    if (tokens[1] === 'stats') return this.clientAllocStats(req, id);
    if (tokens[1] === 'signal') return this.clientAllocSignal(req, id);
    throw err(404, 'resource not found');
  }

  /** GET /v1/client/allocation/{id}/stats: the client's AllocResourceUsage (allocRunner.LatestAllocStats). */
  private clientAllocStats(req: Req, id: string): Res {
    this.region(req);
    this.acl(req);
    checkUuid(id, 'alloc lookup failed: ');
    const r = this.ctx.state.allocs.get(id);
    if (!r) throw err(404, `Unknown allocation ${JSON.stringify(id)}`);
    const task = req.query.get('task') ?? '';
    if (task !== '' && !Object.prototype.hasOwnProperty.call(r.alloc.TaskStates ?? {}, task)) throw err(500, `task ${JSON.stringify(task)} not found`);
    const usage = this.ctx.state.client.stats(id, task);
    if (!usage) throw err(404, `Unknown allocation ${JSON.stringify(id)}`);
    // Nomad writes a float64 with its decimal point ("Percent":0.0)
    const text = stringifyLegacy(usage).replace(/"(SystemMode|UserMode|TotalTicks|Percent)":(-?\d+)(?=[,}])/g, '"$1":$2.0');
    return { status: 200, jsonText: text };
  }

  /**
   * POST|PUT /v1/client/allocation/{id}/signal {Task, Signal}: the client's Allocations.Signal. A
   * driver's error is the answer (500, its text); `Task not running` for a task between two runs
   * or dead; every task of the allocation when Task is empty (a multierror).
   */
  private clientAllocSignal(req: Req, id: string): Res {
    if (req.method !== 'POST' && req.method !== 'PUT') throw err(405, INVALID_METHOD);
    let body: unknown;
    try {
      body = parseBody(req);
    } catch (e) {
      if (e instanceof SimHttpError) throw err(400, `Failed to decode body: ${e.message}`);
      throw e;
    }
    if (body === null) body = {};
    if (!isObject(body)) throw err(400, `Failed to decode body: json: cannot unmarshal ${goKindOf(body)} into Go value of type structs.AllocSignalRequest`);
    const fields = body;
    const text = (name: string): string => {
      const v = field(fields, name);
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw err(400, `Failed to decode body: json: cannot unmarshal ${goKindOf(v)} into Go struct field AllocSignalRequest.${name} of type string`);
      return v;
    };
    const task = text('Task');
    const signal = text('Signal');
    this.region(req);
    this.acl(req);
    checkUuid(id, 'alloc lookup failed: ');
    if (!this.ctx.state.allocs.has(id)) throw err(404, `Unknown allocation ${JSON.stringify(id)}`);
    const out = this.ctx.state.client.signal(id, task, signal);
    if (out !== null) throw err(out.status, out.text);
    return { status: 200, json: { Index: 0 } };
  }

  /* ------------------------------------------------------------------ evaluations */

  private evalList(req: Req): Promise<Res> {
    const ns = this.namespace(req);
    const prefix = req.query.get('prefix') ?? '';
    const status = req.query.get('status') ?? '';
    const jobId = req.query.get('job') ?? '';
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuidPrefix(prefix, 'eval lookup failed: ');
      const index = st.indexOf('evals');
      const list = [...st.evals.values()]
        .filter((e) => (ns === '*' || e.Namespace === ns) && e.ID.startsWith(prefix) && (status === '' || e.Status === status) && (jobId === '' || e.JobID === jobId))
        .sort((a, b) => (a.ID < b.ID ? -1 : 1))
        .map((e) => omitEmpty(e));
      return { index, res: { status: 200, json: list } };
    });
  }

  private evalSpecific(req: Req, rest: string): Promise<Res> {
    const st = this.ctx.state;
    if (rest.endsWith('/allocations')) {
      const id = decodeSegment(rest.slice(0, -'/allocations'.length));
      if (req.method !== 'GET') throw err(405, INVALID_METHOD);
      return this.read(req, () => {
        checkUuid(id, '');
        const index = st.indexOf('allocs');
        const parts = [...st.allocs.values()]
          .filter((r) => r.alloc.EvalID === id)
          .sort((a, b) => (a.alloc.ID < b.alloc.ID ? -1 : 1))
          .map((r) => st.allocStubJsonOf(r));
        return { index, res: { status: 200, jsonText: `[${parts.join(',')}]` } };
      });
    }
    const id = decodeSegment(rest);
    if (req.method !== 'GET') throw err(405, INVALID_METHOD);
    const related = req.query.get('related') === 'true';
    return this.read(req, () => {
      checkUuid(id, 'failed to lookup eval: eval lookup failed: ');
      const e = st.evals.get(id);
      if (!e) return { index: st.indexOf('evals'), res: { status: 404, text: 'eval not found' } };
      const view: Evaluation = related ? { ...e, RelatedEvals: this.relatedEvals(e) } : e;
      return { index: e.ModifyIndex, res: { status: 200, json: omitEmpty(view) } };
    });
  }

  private relatedEvals(e: Evaluation) {
    const st = this.ctx.state;
    return [...st.evals.values()]
      .filter((x) => x.ID !== e.ID && x.JobID === e.JobID && (x.PreviousEval === e.ID || e.PreviousEval === x.ID || e.BlockedEval === x.ID || x.BlockedEval === e.ID))
      .map((x) => ({ ID: x.ID, Namespace: x.Namespace, Priority: x.Priority, Type: x.Type, TriggeredBy: x.TriggeredBy, JobID: x.JobID, NodeID: x.NodeID, DeploymentID: x.DeploymentID, Status: x.Status, StatusDescription: x.StatusDescription, WaitUntil: x.WaitUntil, NextEval: x.NextEval, PreviousEval: x.PreviousEval, BlockedEval: x.BlockedEval, CreateIndex: x.CreateIndex, ModifyIndex: x.ModifyIndex, CreateTime: x.CreateTime, ModifyTime: x.ModifyTime }));
  }

  /* ------------------------------------------------------------------ deployments */

  private deploymentList(req: Req): Promise<Res> {
    const ns = this.namespace(req);
    const prefix = req.query.get('prefix') ?? '';
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuidPrefix(prefix, '');
      return {
        index: st.indexOf('deployment'),
        res: {
          status: 200,
          json: [...st.deployments.values()].filter((d) => (ns === '*' || d.Namespace === ns) && d.ID.startsWith(prefix)).sort((a, b) => (a.ID < b.ID ? -1 : 1)),
        },
      };
    });
  }

  private deploymentSpecific(req: Req, rest: string): Promise<Res> {
    const id = decodeSegment(rest);
    if (req.method !== 'GET') throw err(405, INVALID_METHOD);
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuid(id, 'deployment lookup failed: ');
      const d = st.deployments.get(id);
      if (!d) return { index: st.indexOf('deployment'), res: { status: 404, text: 'deployment not found' } };
      return { index: d.ModifyIndex, res: { status: 200, json: d } };
    });
  }

  /* ------------------------------------------------------------------ nodes */

  private nodeList(req: Req): Promise<Res> {
    const prefix = req.query.get('prefix') ?? '';
    let resources: boolean | null;
    let os: boolean | null;
    try {
      resources = boolParam(req, 'resources');
      os = boolParam(req, 'os');
    } catch (e) {
      throw err(400, `Failed to parse node list fields: ${e instanceof Error ? e.message : String(e)}`);
    }
    const st = this.ctx.state;
    return this.read(req, () => {
      checkUuidPrefix(prefix, 'node lookup failed: ');
      return {
        index: st.indexOf('nodes'),
        res: { status: 200, json: st.nodes.filter((n) => n.ID.startsWith(prefix)).map((n) => nodeStub(n, { resources: resources === true, os: os === true })) },
      };
    });
  }

  private nodeSpecific(req: Req, rest: string): Promise<Res> | Res {
    const st = this.ctx.state;
    const m = req.method;
    if (rest.endsWith('/evaluate')) {
      const id = decodeSegment(rest.slice(0, -'/evaluate'.length));
      if (m !== 'PUT' && m !== 'POST') throw err(405, INVALID_METHOD);
      this.write_(req);
      checkUuid(id, 'node lookup failed: ');
      const out = st.evaluateNode(id);
      return {
        status: 200,
        headers: { 'X-Nomad-Index': String(out.index) },
        json: {
          HeartbeatTTL: 0,
          EvalIDs: out.evalIds.length > 0 ? out.evalIds : null,
          EvalCreateIndex: out.index,
          NodeModifyIndex: 0,
          Features: 0,
          LeaderRPCAddr: this.ctx.leaderAddr,
          NumNodes: st.nodes.length,
          Servers: [{ RPCAdvertiseAddr: this.ctx.leaderAddr, RPCMajorVersion: 1, RPCMinorVersion: 1, Datacenter: st.datacenter }],
          SchedulingEligibility: '',
          SignedIdentity: null,
          Index: out.index,
          LastContact: 0,
          KnownLeader: false,
          NextToken: '',
        },
      };
    }
    if (rest.endsWith('/allocations')) {
      const id = decodeSegment(rest.slice(0, -'/allocations'.length));
      if (m !== 'GET') throw err(405, INVALID_METHOD);
      return this.read(req, () => {
        const allocs: Allocation[] = [...st.allocs.values()].map((r) => r.alloc).filter((a) => a.NodeID === id);
        let index = 0;
        for (const a of allocs) index = Math.max(index, a.ModifyIndex);
        if (index === 0) index = st.indexOf('allocs');
        return { index, res: { status: 200, json: allocs.sort((a, b) => (a.ID < b.ID ? -1 : 1)).map((a) => omitEmpty(a)) } };
      });
    }
    for (const s of ['/drain', '/eligibility', '/purge']) {
      if (rest.endsWith(s)) {
        if (m !== 'PUT' && m !== 'POST') throw err(405, INVALID_METHOD);
        return { status: 404 };
      }
    }
    const id = decodeSegment(rest);
    if (m !== 'GET') throw err(405, INVALID_METHOD);
    return this.read(req, () => {
      checkUuid(id, 'node lookup failed: ');
      const n: Node | undefined = st.node(id);
      if (!n) return { index: st.indexOf('nodes'), res: { status: 404, text: 'node not found' } };
      return { index: n.ModifyIndex, res: { status: 200, json: n } };
    });
  }

  /* ------------------------------------------------------------------ agent */

  private agentSelf(req: Req): Res {
    this.acl(req);
    return { status: 200, json: this.agentSelfBody() };
  }

  private agentSelfBody(): unknown {
    const st = this.ctx.state;
    const addr = this.ctx.agentNode.address;
    return {
      config: {
        Region: st.region,
        Datacenter: st.datacenter,
        NodeName: this.ctx.agentNode.name,
        DataDir: '/opt/nomad/data',
        PluginDir: '/opt/nomad/data/plugins',
        LogLevel: 'INFO',
        LogJson: false,
        LogFile: '',
        LogIncludeLocation: false,
        LogRotateDuration: '',
        LogRotateBytes: 0,
        LogRotateMaxFiles: 0,
        BindAddr: '0.0.0.0',
        EnableDebug: false,
        Ports: { HTTP: 4646, RPC: 4647, Serf: 4648 },
        Addresses: { HTTP: '0.0.0.0', RPC: '0.0.0.0', Serf: '0.0.0.0' },
        AdvertiseAddrs: { HTTP: `${addr}:4646`, RPC: `${addr}:4647`, Serf: `${addr}:4648` },
        Client: {
          Enabled: true,
          StateDir: '/opt/nomad/data/client',
          AllocDir: '/opt/nomad/data/alloc',
          AllocMountsDir: '',
          Servers: [`${addr}:4647`],
          NodeClass: '',
          NodePool: 'default',
          Options: null,
          Meta: null,
          NetworkInterface: '',
          NetworkSpeed: 0,
          CpuCompute: 0,
          MemoryMB: 0,
          DiskTotalMB: 0,
          DiskFreeMB: 0,
          MaxKillTimeout: '30s',
          ClientMaxPort: 14512,
          ClientMinPort: 14000,
          MaxDynamicPort: 32000,
          MinDynamicPort: 20000,
          NoHostUUID: false,
          GCInterval: 60_000_000_000,
          GCParallelDestroys: 2,
          GCDiskUsageThreshold: 80,
          GCInodeUsageThreshold: 70,
          GCMaxAllocs: 50,
          ServerJoin: { StartJoin: null, RetryJoin: [], RetryMaxAttempts: 0, RetryInterval: 30_000_000_000 },
        },
        Server: {
          Enabled: true,
          AuthoritativeRegion: '',
          BootstrapExpect: 1,
          DataDir: '',
          ProtocolVersion: 0,
          RaftProtocol: 3,
          NumSchedulers: 4,
          EnabledSchedulers: null,
          NodeGCThreshold: '',
          JobGCInterval: '',
          JobGCThreshold: '',
          EvalGCThreshold: '',
          DeploymentGCThreshold: '',
          HeartbeatGrace: 0,
          MinHeartbeatTTL: 0,
          MaxHeartbeatsPerSecond: 0,
          RejoinAfterLeave: false,
          ServerJoin: { StartJoin: [], RetryJoin: [], RetryMaxAttempts: 0, RetryInterval: 30_000_000_000 },
          DefaultSchedulerConfig: null,
          JobMaxPriority: 100,
          JobDefaultPriority: 50,
        },
        ACL: { Enabled: this.ctx.aclToken !== undefined, TokenTTL: 30_000_000_000, PolicyTTL: 30_000_000_000, RoleTTL: 30_000_000_000, ReplicationToken: '' },
        Telemetry: { CollectionInterval: '1s', PublishAllocationMetrics: false, PublishNodeMetrics: false, PrometheusMetrics: false },
        LeaveOnInt: false,
        LeaveOnTerm: false,
        EnableSyslog: false,
        SyslogFacility: 'LOCAL0',
        DisableUpdateCheck: false,
        DisableAnonymousSignature: false,
        Consuls: [{ Name: 'default', Addr: '127.0.0.1:8500', Token: '', ServerServiceName: 'nomad', ClientServiceName: 'nomad-client', AutoAdvertise: true }],
        Vaults: [{ Name: 'default', Enabled: false, Addr: 'https://vault.service.consul:8200' }],
        UI: { Enabled: true, ContentSecurityPolicy: null, Consul: null, Vault: null, Label: null },
        DevMode: false,
        Version: { Revision: NOMAD_REVISION, Version: NOMAD_VERSION, VersionMetadata: '', VersionPrerelease: '', BuildDate: '2025-01-01T00:00:00Z' },
        Files: ['/etc/nomad.d/nomad.hcl'],
        TLSConfig: { EnableHTTP: false, EnableRPC: false, VerifyServerHostname: false, VerifyHTTPSClient: false, CAFile: '', CertFile: '', KeyFile: '' },
        HTTPAPIResponseHeaders: {},
        Sentinel: null,
        Autopilot: { CleanupDeadServers: true, ServerStabilizationTime: 10_000_000_000, LastContactThreshold: 200_000_000, MaxTrailingLogs: 250, MinQuorum: 0, EnableRedundancyZones: null, DisableUpgradeMigration: null, EnableCustomUpgrades: null },
        Plugins: [{ Name: 'dtle', Args: null, Config: { nats_bind: '0.0.0.0:8193', nats_advertise: `${addr}:8193`, nomad_addr: `${addr}:4646`, consul: '127.0.0.1:8500', api_addr: '', data_dir: '/opt/nomad/data' } }],
        Limits: { HTTPSHandshakeTimeout: '5s', HTTPMaxConnsPerClient: 100, RPCHandshakeTimeout: '5s', RPCMaxConnsPerClient: 100 },
        Audit: null,
        Reporting: null,
        KEKProviders: null,
        Eventlog: null,
      },
      member: this.ctx.member,
      stats: {
        nomad: { server: 'true', leader: this.ctx.faults.noLeader ? 'false' : 'true', leader_addr: this.ctx.faults.noLeader ? '' : this.ctx.leaderAddr, bootstrap: 'true', known_regions: '1' },
        // the key sets of Nomad 1.11.3's sections (checked by the real-Nomad tier, test/e2e/shapes.test.ts)
        raft: {
          applied_index: String(st.index),
          commit_index: String(st.index),
          fsm_pending: '0',
          last_contact: '0',
          last_log_index: String(st.index),
          last_log_term: '2',
          last_snapshot_index: '0',
          last_snapshot_term: '0',
          latest_configuration: `[{Suffrage:Voter ID:${this.ctx.member.Tags?.id ?? ''} Address:${this.ctx.leaderAddr}}]`,
          latest_configuration_index: '0',
          num_peers: '0',
          protocol_version: '3',
          protocol_version_max: '3',
          protocol_version_min: '0',
          snapshot_version_max: '1',
          snapshot_version_min: '0',
          state: this.ctx.faults.noLeader ? 'Candidate' : 'Leader',
          term: '2',
        },
        serf: { coordinate_resets: '0', encrypted: 'false', event_queue: '0', event_time: '1', failed: '0', health_score: '0', intent_queue: '0', left: '0', member_time: '1', members: '1', query_queue: '0', query_time: '1' },
        runtime: { arch: 'amd64', cpu_count: '4', goroutines: '120', 'kernel.name': 'linux', max_procs: '4', version: 'go1.24.6' },
        client: { heartbeat_ttl: '18.05s', known_servers: `${addr}:4647`, last_heartbeat: '1.2s', node_id: st.nodes[0]?.ID ?? '', num_allocations: String(st.allocs.size) },
      },
    };
  }

  /* ------------------------------------------------------------------ variables */

  private varList(req: Req): Promise<Res> {
    const ns = this.namespace(req);
    const prefix = req.query.get('prefix') ?? '';
    const st = this.ctx.state;
    return this.read(req, () => ({
      index: st.indexOf('variables'),
      res: {
        status: 200,
        json: st
          .varList()
          .filter((v) => (ns === '*' || v.Namespace === ns) && v.Path.startsWith(prefix))
          .map((v) => metaOf(v)),
      },
    }));
  }

  private varSpecific(req: Req, rest: string): Promise<Res> | Res {
    const path = rest.split('/').map(decodeSegment).join('/');
    if (path === '') throw err(400, 'missing variable path');
    const st = this.ctx.state;
    const ns = this.namespace(req);
    const m = req.method;
    if (m === 'GET') {
      return this.read(req, () => {
        const v = st.getVar(ns, path);
        if (!v) return { index: st.indexOf('variables'), res: { status: 404, text: 'variable not found' } };
        return { index: v.ModifyIndex, res: { status: 200, json: v } };
      });
    }
    if (m === 'PUT' || m === 'POST' || m === 'DELETE') {
      const locks = ['lock-renew', 'lock-acquire', 'lock-release'].filter((k) => req.query.has(k));
      if (m !== 'DELETE' && locks.length > 0) {
        if (locks.length > 1) throw err(400, 'multiple lock operations');
        if (req.query.get('cas')) throw err(400, "CAS can't be used with lock operations");
        throw err(400, 'variable locks are not supported by the simulator');
      }
      let cas: number | null = null;
      const cq = req.query.get('cas');
      if (cq !== null && cq !== '') {
        if (!/^\d+$/.test(cq)) throw err(400, `can not parse cas: strconv.ParseUint: parsing ${JSON.stringify(cq)}: invalid syntax`);
        cas = Number(cq);
      }
      if (m === 'DELETE') {
        this.write_(req);
        const out = st.deleteVar(ns, path, cas);
        if ('conflict' in out) return { status: 409, headers: { 'X-Nomad-Index': String(out.conflict.ModifyIndex) }, json: metaOf(out.conflict) };
        return { status: 204, headers: { 'X-Nomad-Index': String(out.ok) } };
      }
      const body = parseBody(req);
      if (!isObject(body)) throw err(400, `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type structs.VariableDecrypted`);
      const itemsRaw = field(body, 'Items');
      const items: StrMap = {};
      if (itemsRaw !== undefined && itemsRaw !== null) {
        if (!isObject(itemsRaw)) throw err(400, `json: cannot unmarshal ${Array.isArray(itemsRaw) ? 'array' : typeof itemsRaw} into Go struct field VariableDecrypted.Items of type structs.VariableItems`);
        for (const [k, v] of Object.entries(itemsRaw)) {
          if (typeof v !== 'string') throw err(400, `json: cannot unmarshal ${typeof v === 'number' ? 'number' : Array.isArray(v) ? 'array' : typeof v} into Go struct field VariableDecrypted.Items of type string`);
          items[k] = v;
        }
      }
      if (Object.keys(items).length === 0) throw err(400, 'variable missing required Items object');
      this.write_(req);
      if (ns === '*') throw err(400, 'can not target wildcard ("*")namespace');
      if (!/^[a-zA-Z0-9\-_~/]{1,128}$/.test(path)) throw err(400, `invalid path ${JSON.stringify(path)}`);
      const parts = path.split('/');
      if (parts[0] === 'nomad' && !(parts[1] === 'jobs' || parts[1] === 'sentinel' || (parts[1] === 'job-templates' && parts.length === 3))) {
        throw err(400, parts.length === 1 ? '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", "nomad/job-templates", "nomad/sentinel", or below' : `invalid path ${JSON.stringify(path)}`);
      }
      const size = Object.entries(items).reduce((n, [k, v]) => n + k.length + v.length, 0);
      if (size > 64 * 1024) throw err(400, 'variables are limited to 64KiB in total size');
      const out = st.putVar(ns, path, items, cas);
      if ('conflict' in out) return { status: 409, headers: { 'X-Nomad-Index': String(out.conflict.ModifyIndex) }, json: out.conflict };
      return { status: 200, headers: { 'X-Nomad-Index': String(out.ok.ModifyIndex) }, json: out.ok };
    }
    throw err(400, INVALID_METHOD);
  }
}

/** structs.VariableMetadata (no Items) */
function metaOf(v: Variable): Variable {
  const { Items: _items, ...meta } = v;
  void _items;
  return meta;
}
