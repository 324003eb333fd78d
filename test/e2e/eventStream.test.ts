/**
 * Nomad's event stream (GET /v1/event/stream) from the simulator against the real agent: the same
 * job registered on the raw_exec agent and on the simulator, both streams read from the
 * registration's index, compared by framing, topics, types, keys, FilterKeys, frame and event
 * keys, payload key sets and JSON types; the heartbeat; where a subscription starts; refusals
 * (ACL, region) and the agent's 400/405 answers. What the simulator leaves out is listed here
 * and in sim/src/nomad/events.ts.
 */
import { SimNomad } from '@dtle-compat/sim';
import { aclNomadAddr, aclToken, nomadAddr, nomadCall, standinJob } from './helpers';
import { EventStreamReader, type StreamEvent, type StreamFrame } from '../../sim/test/nomad/eventStream';
import { diffShapes, shapeOf, type ShapeDiff } from '../../sim/test/nomad/helpers';

const JOB = 'e2e-events-standin';
const STREAM = '/v1/event/stream';

interface Side {
  name: 'sim' | 'real';
  url: string;
  /** the registration's raft index */
  index: number;
  evalId: string;
  stream: EventStreamReader;
}

const sides: Side[] = [];
let sim: SimNomad;
const readers: EventStreamReader[] = [];

async function open(url: string, query: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  const r = await EventStreamReader.open(url, STREAM + query, headers);
  readers.push(r);
  return r;
}

/** The job's own events: its Job, its evaluations', allocations' and deployments' (their FilterKeys hold the job's ID). */
const jobTopics = `&topic=Job:${JOB}&topic=Evaluation:${JOB}&topic=Allocation:${JOB}&topic=Deployment:${JOB}`;

const deploymentDone = (e: StreamEvent): boolean => e.Topic === 'Deployment' && (e.Payload.Deployment as { Status?: string }).Status === 'successful';
const pairs = (frames: StreamFrame[]): Set<string> => new Set(frames.flatMap((f) => f.Events.map((e) => `${e.Topic}/${e.Type}`)));

async function register(name: 'sim' | 'real', url: string): Promise<Side> {
  const reply = await nomadCall(url, 'PUT', '/v1/jobs', { Job: standinJob(JOB) });
  expect(reply.status).toBe(200);
  const { JobModifyIndex: index, EvalID: evalId } = reply.json as { JobModifyIndex: number; EvalID: string };
  const stream = await open(url, `?index=${index}${jobTopics}`);
  return { name, url, index, evalId, stream };
}

beforeAll(async () => {
  sim = new SimNomad({ nodes: [{ name: 'e2e-events-sim', dtleVersion: null }] });
  sides.push(await register('sim', await sim.listen()));
  sides.push(await register('real', nomadAddr()));
  for (const s of sides) await s.stream.until(`the deployment's success on ${s.name}`, (r) => r.events().some(deploymentDone), 45_000);
}, 60_000);

afterAll(async () => {
  for (const r of readers) r.close();
  await nomadCall(nomadAddr(), 'DELETE', `/v1/job/${JOB}?purge=true`);
  await sim.close();
});

const side = (name: 'sim' | 'real'): Side => {
  const s = sides.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name} side`);
  return s;
};

describe('the event stream of one registration, simulator against the real agent', () => {
  it('the same header block and framing: {} first, then {"Index","Events"} lines with structs.Event fields in order', () => {
    const [s, r] = [side('sim').stream, side('real').stream];
    expect(s.status).toBe(200);
    expect(r.status).toBe(200);
    expect(s.rawHeaders).toEqual(r.rawHeaders);
    for (const x of [s, r]) {
      expect(x.lines()[0]).toBe('{}');
      for (const f of x.frames()) {
        expect(Object.keys(f)).toEqual(['Index', 'Events']);
        for (const e of f.Events) {
          expect(Object.keys(e)).toEqual(['Topic', 'Type', 'Key', 'Namespace', 'FilterKeys', 'Index', 'Payload']);
          expect(e.Index).toBe(f.Index);
        }
      }
    }
  });

  it('starts with the job and its evaluation, two frames at the registration index', () => {
    for (const s of sides) {
      const [job, ev] = s.stream.frames();
      expect([job?.Index, job?.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`)]).toEqual([s.index, [`Job/JobRegistered/${JOB}`]]);
      expect([ev?.Index, ev?.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`)]).toEqual([s.index, [`Evaluation/JobRegistered/${s.evalId}`]]);
    }
  });

  it("the same topics and types, but the deployment watcher's evaluation (the simulator keeps none)", () => {
    const s = pairs(side('sim').stream.frames());
    const r = pairs(side('real').stream.frames());
    expect([...s].filter((p) => !r.has(p))).toEqual([]);
    expect([...r].filter((p) => !s.has(p))).toEqual(['Evaluation/AllocationUpdateDesiredStatus']);
    expect([...s].sort()).toEqual(
      [
        'Allocation/AllocationUpdated',
        'Allocation/PlanResult',
        'Deployment/AllocationUpdated',
        'Deployment/PlanResult',
        'Evaluation/EvaluationUpdated',
        'Evaluation/JobRegistered',
        'Evaluation/PlanResult',
        'Job/JobRegistered',
        'Job/PlanResult',
      ].sort(),
    );
  });

  it('keys and FilterKeys: the job ID; the evaluations, allocations and deployment by ID with the job (and deployment) in FilterKeys', async () => {
    for (const s of sides) {
      const allocs = ((await nomadCall(s.url, 'GET', `/v1/job/${JOB}/allocations`)).json as Array<{ ID: string; DeploymentID: string }>).map((a) => a.ID).sort();
      const events = s.stream.events();
      const keysOf = (t: string) => [...new Set(events.filter((e) => e.Topic === t).map((e) => e.Key))].sort();
      expect(keysOf('Job')).toEqual([JOB]);
      expect(keysOf('Allocation')).toEqual(allocs);
      expect(keysOf('Evaluation')).toContain(s.evalId);
      expect(keysOf('Deployment')).toHaveLength(1);
      const deployment = keysOf('Deployment')[0] ?? '';
      for (const e of events) {
        expect(e.Namespace).toBe('default');
        if (e.Topic === 'Job') expect(e.FilterKeys).toBeNull();
        if (e.Topic === 'Allocation') expect(e.FilterKeys).toEqual([JOB, deployment]);
        if (e.Topic === 'Deployment') expect(e.FilterKeys).toEqual([JOB]);
        if (e.Topic === 'Evaluation') {
          expect(e.FilterKeys?.[0]).toBe(JOB);
          expect(['', deployment]).toContain(e.FilterKeys?.[1]);
        }
      }
    }
  });

  it('payloads: the same key sets and JSON types, topic by topic (an allocation without its Job on both)', () => {
    // the last event of each topic; of the evaluations, the registration's (the real agent's last one is its deployment watcher's)
    const last = (s: Side, topic: string) => s.stream.events().filter((e) => e.Topic === topic && (topic !== 'Evaluation' || e.Key === s.evalId)).at(-1);
    const diffs: Record<string, ShapeDiff[]> = {};
    for (const topic of ['Job', 'Evaluation', 'Allocation', 'Deployment']) {
      const [se, re] = [last(side('sim'), topic), last(side('real'), topic)];
      expect(Object.keys(se?.Payload ?? {})).toEqual(Object.keys(re?.Payload ?? {}));
      // JobEvent's Deleted is written even when false
      expect(Object.keys(re?.Payload ?? {})).toEqual(topic === 'Job' ? ['Job', 'Deleted'] : [topic]);
      const d = diffShapes(shapeOf(re?.Payload[topic]), shapeOf(se?.Payload[topic]));
      if (d.length > 0) diffs[topic] = d;
    }
    expect(Object.keys(last(side('real'), 'Allocation')?.Payload.Allocation as object)).not.toContain('Job');
    expect(diffs).toEqual({});
  });

  it('Node events: the same payload keys and types', async () => {
    const reals = await open(nomadAddr(), '?index=1&topic=Node');
    const sims = await open(side('sim').url, '?index=1&topic=Node');
    for (const x of [reals, sims]) await x.until('a node event', (r) => r.events().length >= 1);
    const [re, se] = [reals.events().at(-1), sims.events().at(-1)];
    expect(re?.Namespace).toBe('');
    expect(se?.Namespace).toBe('');
    expect(re?.FilterKeys).toBeNull();
    expect(se?.FilterKeys).toBeNull();
    expect(Object.keys(se?.Payload ?? {})).toEqual(Object.keys(re?.Payload ?? {}));
    // NodeResources.Networks: a host with bridge networking lists {"Mode":"bridge"} first (an
    // omitempty NetworkResource with nothing else); the shapes are compared by the host entries
    const hostNetworks = (n: unknown): unknown => {
      const node = JSON.parse(JSON.stringify(n)) as { NodeResources: { Networks: Array<{ Mode: string }> | null } };
      node.NodeResources.Networks = (node.NodeResources.Networks ?? []).filter((x) => x.Mode === 'host');
      return node;
    };
    expect(diffShapes(shapeOf(hostNetworks(re?.Payload.Node)), shapeOf(hostNetworks(se?.Payload.Node)))).toEqual([]);
    expect((re?.Payload.Node as { SecretID: string }).SecretID).toBe('');
  });
});

describe('where a subscription starts, heartbeats, refusals', () => {
  it('an index past every frame hands over the newest frame (its index lower than asked), then waits', async () => {
    for (const s of sides) {
      const r = await open(s.url, '?index=1000000000');
      await r.until(`a frame on ${s.name}`, (x) => x.frames().length >= 1);
      await new Promise((res) => setTimeout(res, 300));
      expect(r.lines()[0]).toBe('{}');
      expect(r.frames()).toHaveLength(1);
      expect(r.frames()[0]?.Index).toBeLessThan(1_000_000_000);
      r.close();
    }
  });

  it('the 400 and 405 answers, with the same texts', async () => {
    for (const q of ['?index=abc', '?index=99999999999999999999', '?topic=Job:a:b']) {
      const [s, r] = [await nomadCall(side('sim').url, 'GET', STREAM + q), await nomadCall(nomadAddr(), 'GET', STREAM + q)];
      expect([s.status, s.text]).toEqual([r.status, r.text]);
      expect(r.status).toBe(400);
    }
    const [s, r] = [await nomadCall(side('sim').url, 'POST', STREAM, {}), await nomadCall(nomadAddr(), 'POST', STREAM, {})];
    expect([s.status, s.text]).toEqual([405, r.text]);
  });

  it('another region: 200 with the same headers, then no line', async () => {
    const [s, r] = [await open(side('sim').url, '?region=elsewhere'), await open(nomadAddr(), '?region=elsewhere')];
    await new Promise((res) => setTimeout(res, 1500));
    expect([s.status, s.raw]).toEqual([200, '']);
    expect([r.status, r.raw]).toEqual([200, '']);
    expect(s.rawHeaders).toEqual(r.rawHeaders);
  });

  it('ACLs on: without a token or with an unknown one, 200 with no line; the management token streams', async () => {
    const acl = new SimNomad({ aclToken: aclToken() });
    try {
      const aclSim = await acl.listen();
      const refused: Array<Record<string, string>> = [{}, { 'X-Nomad-Token': '00000000-0000-0000-0000-000000000000' }];
      for (const headers of refused) {
        const [s, r] = [await open(aclSim, '?topic=Job', headers), await open(aclNomadAddr(), '?topic=Job', headers)];
        await new Promise((res) => setTimeout(res, 1500));
        expect([r.status, r.raw]).toEqual([200, '']);
        expect([s.status, s.raw]).toEqual([200, '']);
        expect(s.rawHeaders).toEqual(r.rawHeaders);
      }
      for (const url of [aclSim, aclNomadAddr()]) {
        const ok = await open(url, '?topic=Job', { 'X-Nomad-Token': aclToken() });
        await ok.until(`the first heartbeat from ${url}`, (x) => x.lines().length >= 1);
        expect(ok.lines()[0]).toBe('{}');
      }
    } finally {
      await acl.close();
    }
  });

  it('heartbeats: {} at once, then every 30 s on both', async () => {
    const times: Record<string, number[]> = { sim: [], real: [] };
    const streams = await Promise.all(sides.map((s) => open(s.url, '?topic=Job:e2e-events-none')));
    await Promise.all(
      streams.map(async (x, i) => {
        const name = sides[i]?.name ?? '';
        const t0 = Date.now();
        await x.until('the first heartbeat', (r) => r.lines().length >= 1);
        times[name]?.push(Date.now() - t0);
        await x.until('the second heartbeat', (r) => r.lines().length >= 2, 40_000);
        times[name]?.push(Date.now() - t0);
        expect(x.lines().slice(0, 2)).toEqual(['{}', '{}']);
      }),
    );
    for (const name of ['sim', 'real']) {
      const [first, second] = times[name] ?? [];
      expect(first).toBeLessThan(1000);
      expect(second).toBeGreaterThan(29_000);
      expect(second).toBeLessThan(32_000);
    }
  }, 50_000);

  /** each side's stream from its purge's index */
  const purged = new Map<string, EventStreamReader>();

  it('a purge: the job deleted (Deleted true) and the deregistration evaluation, two frames at its index', async () => {
    for (const s of sides) {
      const reply = await nomadCall(s.url, 'DELETE', `/v1/job/${JOB}?purge=true`);
      expect(reply.status).toBe(200);
      const { Index: index, EvalID: evalId } = reply.json as { Index: number; EvalID: string };
      const r = await open(s.url, `?index=${index}${jobTopics}`);
      purged.set(s.name, r);
      await r.until(`the purge's frames on ${s.name}`, (x) => x.frames().length >= 2);
      const [job, ev] = r.frames();
      expect([job?.Index, job?.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`)]).toEqual([index, [`Job/JobDeregistered/${JOB}`]]);
      expect(Object.keys(job?.Events[0]?.Payload ?? {})).toEqual(['Job', 'Deleted']);
      expect(job?.Events[0]?.Payload.Deleted).toBe(true);
      expect([ev?.Index, ev?.Events.map((e) => `${e.Topic}/${e.Type}/${e.Key}`)]).toEqual([index, [`Evaluation/JobDeregistered/${evalId}`]]);
    }
  });

  // the simulator's purge removes the job's allocations, evaluations and deployments at once
  // (as Nomad's GC would later, which publishes nothing); the real agent's scheduler first stops
  // the allocations of the purged job, and its client reports them complete
  it.failing('after a purge, the allocations stop with the same events as on the real agent', async () => {
    const [s, r] = [purged.get('sim'), purged.get('real')];
    if (!s || !r) throw new Error('the purge test did not run');
    await r.until('the allocations stopped on the real agent', (x) => x.events().filter((e) => e.Topic === 'Allocation' && e.Type === 'AllocationUpdated').length >= 2, 20_000);
    expect(pairs(s.frames())).toEqual(pairs(r.frames()));
  });
});
