/**
 * The same legacy requests answered through the simulated Nomad (sim/) and through the real
 * agent give the same JSON shapes: key sets and JSON types, recursively (IDs, indexes, times and
 * other values differ). A difference is drift between the simulator and real Nomad.
 *
 * Both sides are set up alike: one node without the dtle driver (the simulator's node with
 * dtleVersion null), a legacy job that therefore stays unplaced, and the raw_exec stand-in job
 * running its src and dest allocations.
 */
import request from 'supertest';
import { SimNomad } from '@dtle-compat/sim';
import { legacyJob, nomadAddr, nomadCall, record, standinJob, startCompat, waitFor, type Compat } from './helpers';

/** A JSON value's type tree. Maps keyed by data (attributes, tags, task states…) are compared by their values' shapes. */
type Shape = string | { array: Shape[] } | { object: Record<string, Shape> } | { map: Shape[] };

const MAPS = new Set([
  'Attributes',
  'Tags',
  'stats',
  'NodesAvailable',
  'ClassFiltered',
  'ConstraintFiltered',
  'ClassExhausted',
  'DimensionExhausted',
  'Scores',
  'ClassEligibility',
  'QueuedAllocations',
  'FailedTGAllocs',
  'HTTPAPIResponseHeaders',
]);

function union(shapes: Shape[]): Shape[] {
  const seen = new Map<string, Shape>();
  for (const s of shapes) seen.set(JSON.stringify(s), s);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
}

function shapeOf(v: unknown, key = ''): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return { array: union(v.map((x) => shapeOf(x))) };
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (MAPS.has(key)) return { map: union(entries.map(([k, x]) => shapeOf(x, k))) };
    const out: Record<string, Shape> = {};
    for (const [k, x] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = shapeOf(x, k);
    return { object: out };
  }
  return typeof v;
}

interface Side {
  name: 'sim' | 'real';
  nomad: string;
  compat: Compat;
  sim?: SimNomad;
  ids: { src: string; dest: string; node: string; evalId: string };
}

const DTLE = 'e2e-shape-dtle';
const STANDIN = 'e2e-shape-standin';
const sides: Side[] = [];

async function setUp(name: 'sim' | 'real', nomad: string, sim?: SimNomad): Promise<Side> {
  const compat = startCompat(nomad);
  const reg = record(await request(compat.built.app).post('/v1/jobs').send(legacyJob(DTLE)));
  expect(reg.status).toBe(200);
  if (sim) sim.registerJob(standinJob(STANDIN));
  else expect((await nomadCall(nomad, 'PUT', '/v1/jobs', { Job: standinJob(STANDIN) })).status).toBe(200);
  const allocs = await waitFor(`the stand-in's allocations running on ${name}`, async () => {
    const list = (await nomadCall(nomad, 'GET', `/v1/job/${STANDIN}/allocations`)).json as Array<{ ID: string; TaskGroup: string; NodeID: string; EvalID: string; ClientStatus: string }>;
    return list.length === 2 && list.every((a) => a.ClientStatus === 'running') ? list : undefined;
  });
  const src = allocs.find((a) => a.TaskGroup === 'src');
  const dest = allocs.find((a) => a.TaskGroup === 'dest');
  return { name, nomad, compat, ...(sim ? { sim } : {}), ids: { src: src?.ID ?? '', dest: dest?.ID ?? '', node: src?.NodeID ?? '', evalId: src?.EvalID ?? '' } };
}

beforeAll(async () => {
  const sim = new SimNomad({ nodes: [{ name: 'e2e-sim', dtleVersion: null }] });
  sides.push(await setUp('sim', await sim.listen(), sim));
  sides.push(await setUp('real', nomadAddr()));
});
afterAll(async () => {
  for (const s of sides) {
    s.compat.close();
    if (s.sim) await s.sim.close();
  }
  for (const id of [DTLE, STANDIN]) await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${id}?purge=true`);
});

/** GET through both services; the answers (filtered to this suite's jobs where lists hold others) */
async function both(path: (ids: Side['ids']) => string, pick: (body: unknown) => unknown = (b) => b): Promise<Array<{ status: number; shape: Shape; body: unknown; index: string | undefined }>> {
  const out = [];
  for (const s of sides) {
    const res = record(await request(s.compat.built.app).get(path(s.ids)));
    const body = pick(res.body as unknown);
    out.push({ status: res.status, shape: shapeOf(body), body, index: res.headers['x-udup-index'] as string | undefined });
  }
  return out;
}

const ours = (b: unknown) => (b as Array<{ ID?: string; JobID?: string }>).filter((x) => [DTLE, STANDIN].includes(x.JobID ?? x.ID ?? ''));

describe('legacy answers have the same shapes through the simulator and the real agent', () => {
  const all = (b: unknown) => b;
  /**
   * /v1/self without config.Client.Servers: it is the agent's configuration, not a shape (a list
   * where client.servers is set, as in seed 000's capture that the simulator follows; null on a
   * dev agent whose client uses its own server). Its type is checked apart below.
   */
  const withoutClientServers = (b: unknown) => {
    const self = JSON.parse(JSON.stringify(b)) as { config: { Client: Record<string, unknown> } };
    delete self.config.Client.Servers;
    return self;
  };
  const routes: Array<[string, (ids: Side['ids']) => string, (b: unknown) => unknown]> = [
    ['GET /v1/jobs', () => '/v1/jobs', ours],
    ['GET /v1/job/{ID} (unplaced dtle job)', () => `/v1/job/${DTLE}`, all],
    ['GET /v1/job/{ID} (running stand-in)', () => `/v1/job/${STANDIN}`, all],
    ['GET /v1/job/{ID}/allocations (unplaced)', () => `/v1/job/${DTLE}/allocations`, all],
    ['GET /v1/job/{ID}/allocations (running)', () => `/v1/job/${STANDIN}/allocations`, all],
    ['GET /v1/job/{ID}/evaluations (unplaced: blocked)', () => `/v1/job/${DTLE}/evaluations`, all],
    ['GET /v1/job/{ID}/evaluations (running)', () => `/v1/job/${STANDIN}/evaluations`, all],
    ['GET /v1/allocations', () => '/v1/allocations', ours],
    ['GET /v1/allocation/{ID}', (ids) => `/v1/allocation/${ids.src}`, all],
    ['GET /v1/agent/allocation/{ID}/stats (Src)', (ids) => `/v1/agent/allocation/${ids.src}/stats`, all],
    ['GET /v1/agent/allocation/{ID}/stats (Dest)', (ids) => `/v1/agent/allocation/${ids.dest}/stats`, all],
    ['GET /v1/evaluations', () => '/v1/evaluations', ours],
    ['GET /v1/evaluation/{ID}', (ids) => `/v1/evaluation/${ids.evalId}`, all],
    ['GET /v1/evaluation/{ID}/allocations', (ids) => `/v1/evaluation/${ids.evalId}/allocations`, all],
    ['GET /v1/nodes', () => '/v1/nodes', all],
    ['GET /v1/node/{ID}', (ids) => `/v1/node/${ids.node}`, all],
    ['GET /v1/node/{ID}/allocations', (ids) => `/v1/node/${ids.node}/allocations`, ours],
    ['GET /v1/members', () => '/v1/members', all],
    ['GET /v1/self', () => '/v1/self', withoutClientServers],
    ['GET /v1/leader', () => '/v1/leader', all],
    ['GET /v1/peers', () => '/v1/peers', all],
    ['GET /v1/regions', () => '/v1/regions', all],
  ];

  it.each(routes)('%s', async (_name, path, pick) => {
    const [sim, real] = await both(path, pick);
    expect(real?.status).toBe(200);
    expect(sim?.status).toBe(200);
    expect(real?.shape).toEqual(sim?.shape);
    // the same X-Udup-Index header presence (values differ)
    expect(typeof real?.index).toBe(typeof sim?.index);
  });

  it("/v1/self's config.Client.Servers: a list of strings on the simulator, null on the dev agent", async () => {
    const [sim, real] = await both(() => '/v1/self', (b) => (b as { config: { Client: { Servers: unknown } } }).config.Client.Servers);
    expect(sim?.shape).toEqual({ array: ['string'] });
    expect(real?.body).toBeNull();
  });

  it('lists hold the same entries (by task and job) on both sides', async () => {
    const tasks = (b: unknown) => (ours(b) as Array<{ JobID: string; Task: string }>).map((a) => `${a.JobID}:${a.Task}`).sort();
    const [sim, real] = await both(() => '/v1/allocations', tasks);
    expect(real?.body).toEqual(sim?.body);
    expect(real?.body).toEqual([`${STANDIN}:Dest`, `${STANDIN}:Src`]);
    const jobs = (b: unknown) => (ours(b) as Array<{ ID: string; Status: string }>).map((j) => `${j.ID}:${j.Status}`).sort();
    const [simJobs, realJobs] = await both(() => '/v1/jobs', jobs);
    expect(realJobs?.body).toEqual(simJobs?.body);
    expect(realJobs?.body).toEqual([`${DTLE}:pending`, `${STANDIN}:running`]);
  });

  it('write answers (register, pause, resume, delete) have the same shapes', async () => {
    for (const step of ['pause', 'resume'] as const) {
      const out = [];
      for (const s of sides) {
        const res = record(await request(s.compat.built.app).put(`/v1/job/${DTLE}/${step}`));
        out.push({ status: res.status, shape: shapeOf(res.body), success: (res.body as { Success: boolean }).Success });
      }
      expect(out[1]).toEqual(out[0]);
      expect(out[1]?.success).toBe(true);
    }
    const out = [];
    for (const s of sides) {
      const res = record(await request(s.compat.built.app).delete(`/v1/job/${DTLE}`));
      out.push({ status: res.status, shape: shapeOf(res.body) });
    }
    expect(out[1]).toEqual(out[0]);
  });
});
