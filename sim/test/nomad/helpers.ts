import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobInput } from '../../../src/nomad/types';
import { dtleTemplate, SimNomad, type SimOptions } from '../../src';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** the body parsed (int64 digits beyond 2^53 lose precision: only for shapes and small numbers) */
  json: unknown;
}

/** A started simulator and a small fetch client for it. */
export interface SimClient {
  sim: SimNomad;
  url: string;
  get(p: string, headers?: Record<string, string>): Promise<Reply>;
  send(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export async function startSim(opts: SimOptions = {}): Promise<SimClient> {
  const sim = new SimNomad(opts);
  const url = await sim.listen();
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const res = await fetch(url + p, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = undefined;
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) json = JSON.parse(text) as unknown;
    return { status: res.status, headers: res.headers, text, json };
  };
  return {
    sim,
    url,
    get: (p, headers) => call('GET', p, undefined, headers),
    send: call,
    close: () => sim.close(),
  };
}

/** A simulator for the tests of a describe block: started before them, closed after. */
export function useSim(opts: SimOptions = {}): () => SimClient {
  let c: SimClient | undefined;
  beforeAll(async () => {
    c = await startSim(opts);
  });
  afterAll(() => c?.close());
  return () => {
    if (!c) throw new Error('the simulator is not started');
    return c;
  };
}

/* ------------------------------------------------------------------ shapes */

export type Shape = 'string' | 'number' | 'boolean' | 'null' | { array: Shape | 'empty' } | { object: Record<string, Shape> };

/** A JSON value's type tree: scalars by JSON type, arrays by their first element, objects key by key. */
export function shapeOf(v: unknown): Shape {
  if (v === null) return 'null';
  if (Array.isArray(v)) return { array: v.length === 0 ? 'empty' : shapeOf(v[0]) };
  if (typeof v === 'object') {
    const out: Record<string, Shape> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = shapeOf(x);
    return { object: out };
  }
  return typeof v as 'string' | 'number' | 'boolean';
}

/**
 * Objects whose keys are data (group, task, node, datacenter names…): their values are compared
 * with each other, not key by key.
 */
const MAP_KEYS = new Set([
  'Summary',
  'TaskStates',
  'Config',
  'Meta',
  'Details',
  'QueuedAllocations',
  'NodesAvailable',
  'TaskResources',
  'TaskLifecycles',
  'Scores',
  'Attributes',
  'Drivers',
  'DesiredTGUpdates',
  // a map in Deployment and AllocatedResources, a list in Job and TaskGroup
  'TaskGroups',
  'Tasks',
]);

/** Free-form objects (a task's driver config): only their JSON type is compared. */
const OPAQUE_KEYS = new Set(['Config']);

export interface ShapeDiff {
  path: string;
  problem: string;
}

function kind(s: Shape): string {
  if (typeof s === 'string') return s;
  return 'array' in s ? 'array' : 'object';
}

/**
 * Differences between the shape of a real Nomad answer and the simulator's. A null on one side
 * and an object, array or (time) string on the other is no difference: Go writes nil pointers,
 * slices, maps and zero times as null.
 */
export function diffShapes(real: Shape, sim: Shape, at = '', mapLevel = false): ShapeDiff[] {
  const out: ShapeDiff[] = [];
  const kr = kind(real);
  const ks = kind(sim);
  if (kr !== ks) {
    const nullable = (a: string, b: string) => a === 'null' && (b === 'object' || b === 'array' || b === 'string');
    if (!nullable(kr, ks) && !nullable(ks, kr)) out.push({ path: at || '(root)', problem: `type ${kr} in Nomad, ${ks} in the simulator` });
    return out;
  }
  if (typeof real === 'string' || typeof sim === 'string') return out;
  if ('array' in real && 'array' in sim) {
    if (real.array === 'empty' || sim.array === 'empty') return out;
    return diffShapes(real.array, sim.array, `${at}[]`);
  }
  if ('object' in real && 'object' in sim) {
    if (mapLevel) {
      // compare every value of the real map with the first value of the simulator's
      const simFirst = Object.values(sim.object)[0];
      if (simFirst === undefined) return out;
      for (const v of Object.values(real.object)) out.push(...diffShapes(v, simFirst, `${at}{}`));
      return dedupe(out);
    }
    for (const [k, v] of Object.entries(real.object)) {
      const s = sim.object[k];
      const p = at === '' ? k : `${at}.${k}`;
      if (s === undefined) out.push({ path: p, problem: 'missing in the simulator' });
      else if (OPAQUE_KEYS.has(k)) out.push(...diffShapes(kind(v) === 'object' ? { object: {} } : v, kind(s) === 'object' ? { object: {} } : s, p));
      else out.push(...diffShapes(v, s, p, MAP_KEYS.has(k)));
    }
    for (const k of Object.keys(sim.object)) {
      if (!(k in real.object)) out.push({ path: at === '' ? k : `${at}.${k}`, problem: 'only in the simulator' });
    }
  }
  return out;
}

function dedupe(d: ShapeDiff[]): ShapeDiff[] {
  const seen = new Set<string>();
  return d.filter((x) => {
    const k = `${x.path}|${x.problem}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/* ------------------------------------------------------------------ seed 000 */

/** The repository's Nomad captures (test/fixtures/nomad/README.md says where each comes from). */
const NOMAD_FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'nomad');

/** A real Nomad 1.2 answer captured in seed 000, by its fixture file name. */
export function seedAnswer(file: string): unknown {
  return JSON.parse(readFileSync(path.join(NOMAD_FIXTURES, file), 'utf8')) as unknown;
}

/** The real dtle driver's answers captured through Nomad (test/fixtures/dtle/README.md), by version and file. */
export function dtleCapture(version: string, file: string): string {
  return readFileSync(path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'dtle', version, file), 'utf8');
}

/** A dtle job as dtle-compat writes it (groups src and dest, driver dtle), with the Meta it adds. */
export function dtleJob(id: string, over: Partial<JobInput> = {}): JobInput {
  return { ...dtleTemplate(id, 'dc1'), Meta: { dtle_compat_job: '{"Type":"synchronous"}' }, ...over };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
