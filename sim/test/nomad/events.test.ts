/**
 * GET /v1/event/stream as Nomad 1.11.3 serves it (command/agent/event_endpoint.go,
 * nomad/event_endpoint.go, nomad/stream/*, nomad/state/events.go): the framing, which writes give
 * which frames and events, the payloads (the GET answers' JSON), the filters, the buffer's start,
 * the heartbeats, refusals.
 */
import { dtleJob, sleep, startSim, type SimClient } from './helpers';
import { EventStreamReader, type StreamEvent, type StreamFrame } from './eventStream';

const STREAM = '/v1/event/stream';

/** Topic/Type of each event of a frame (sorted: the order within a frame is memdb's order of writes, no contract), with the frame's index. */
const summary = (f: StreamFrame): string => `${f.Index} ${f.Events.map((e) => `${e.Topic}/${e.Type}`).sort().join(' ')}`;

/** A deployment that succeeded: a registration's last event. */
const deploymentDone = (e: StreamEvent): boolean => e.Topic === 'Deployment' && (e.Payload.Deployment as { Status?: string }).Status === 'successful';
/** A job marked stable (its deployment succeeded). */
const stableJob = (e: StreamEvent): boolean => e.Topic === 'Job' && (e.Payload.Job as { Stable?: boolean }).Stable === true;

async function withSim<T>(opts: Parameters<typeof startSim>[0], f: (c: SimClient) => Promise<T>): Promise<T> {
  const c = await startSim(opts);
  try {
    return await f(c);
  } finally {
    await c.close();
  }
}

async function open(c: SimClient, query: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  return EventStreamReader.open(c.url, STREAM + query, headers);
}

describe('framing', () => {
  it('answers 200 on a connection of its own (Connection: close, no chunks, no Date), {} first, then one JSON object per line', () =>
    withSim({}, async (c) => {
      const { JobModifyIndex: n } = c.sim.registerJob(dtleJob('frame-1'));
      const r = await open(c, `?index=${n}`);
      try {
        expect(r.status).toBe(200);
        // the header block a hijacked Go connection writes: Connection, then the handler's headers sorted
        expect(r.rawHeaders).toEqual(['Connection', 'close', 'Cache-Control', 'no-cache', 'Content-Type', 'application/json', 'Vary', 'Accept-Encoding']);
        await r.until('the registration, its plan, evaluation and client update', (x) => x.frames().length >= 5);
        const lines = r.lines();
        expect(lines[0]).toBe('{}');
        for (const l of lines.slice(1)) {
          expect(l).toMatch(/^\{"Index":\d+,"Events":\[\{"Topic":"/);
          const f = JSON.parse(l) as StreamFrame;
          expect(Object.keys(f)).toEqual(['Index', 'Events']);
          for (const e of f.Events) {
            // structs.Event's fields in their order; each event carries its frame's index
            expect(Object.keys(e)).toEqual(['Topic', 'Type', 'Key', 'Namespace', 'FilterKeys', 'Index', 'Payload']);
            expect(e.Index).toBe(f.Index);
          }
        }
        expect(r.raw.endsWith('\n')).toBe(true);
      } finally {
        r.close();
      }
    }));

  it('parses index and topic as the agent does: 400 with its text, 405 for another method', () =>
    withSim({}, async (c) => {
      const bad = await c.get(`${STREAM}?index=abc`);
      expect([bad.status, bad.text]).toEqual([400, 'Unable to parse index: strconv.Atoi: parsing "abc": invalid syntax']);
      const big = await c.get(`${STREAM}?index=99999999999999999999`);
      expect([big.status, big.text]).toEqual([400, 'Unable to parse index: strconv.Atoi: parsing "99999999999999999999": value out of range']);
      const topic = await c.get(`${STREAM}?topic=Job:a:b`);
      expect([topic.status, topic.text]).toEqual([400, 'Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: Job:a:b']);
      const post = await c.send('POST', STREAM, {});
      expect([post.status, post.text]).toEqual([405, 'Invalid method']);
    }));
});

describe('which writes give which frames', () => {
  it('a registration: the job and its evaluation as two frames at its index, then the plan, the evaluation, the client, the deployment watcher', () =>
    withSim({}, async (c) => {
      const { JobModifyIndex: n } = c.sim.registerJob(dtleJob('flow-1'));
      const r = await open(c, `?index=${n}`);
      try {
        await r.until('six frames', (x) => x.frames().length >= 6);
        // the sequence Nomad 1.11.3 gives, but that its client reports pending, running, then healthy
        // (three AllocationUpdated frames where the simulator's one update says all), and that its
        // deployment watcher's evaluation has events of its own (before, in and after the last plan)
        expect(r.frames().slice(0, 6).map(summary)).toEqual([
          `${n} Job/JobRegistered`,
          `${n} Evaluation/JobRegistered`,
          `${n + 1} Allocation/PlanResult Allocation/PlanResult Deployment/PlanResult Evaluation/PlanResult Job/PlanResult`,
          `${n + 2} Evaluation/EvaluationUpdated`,
          // the client's update also sets the node's LastAllocUpdateIndex
          `${n + 3} Allocation/AllocationUpdated Allocation/AllocationUpdated Deployment/AllocationUpdated Node/AllocationUpdated`,
          // the deployment watcher's plan: the deployment successful, the job version stable
          `${n + 4} Deployment/PlanResult Job/PlanResult`,
        ]);
        expect(r.frames()[5]?.Events.some(deploymentDone)).toBe(true);
        expect(r.frames()[5]?.Events.some(stableJob)).toBe(true);
        const [job, ev, plan] = r.frames();
        expect(job?.Events[0]?.Key).toBe('flow-1');
        expect((job?.Events[0]?.Payload.Job as { Status: string }).Status).toBe('pending');
        const evKey = ev?.Events[0]?.Key;
        // the plan's apply sets its evaluation's ModifyIndex; the job runs once its allocations are placed
        const planEval = plan?.Events.find((e) => e.Topic === 'Evaluation');
        expect(planEval?.Key).toBe(evKey);
        expect((planEval?.Payload.Evaluation as { ModifyIndex: number; Status: string })).toMatchObject({ ModifyIndex: n + 1, Status: 'pending' });
        expect((plan?.Events.find((e) => e.Topic === 'Job')?.Payload.Job as { Status: string }).Status).toBe('running');
      } finally {
        r.close();
      }
    }));

  it('a stop: the stopped job and the deregistration evaluation at its index; a purge: the job deleted (Deleted true); a GC: JobBatchDeregistered', () =>
    withSim({}, async (c) => {
      c.sim.registerJob(dtleJob('stop-1'));
      c.sim.registerJob(dtleJob('purge-1'));
      const stop = c.sim.state.deregister('default', 'stop-1', false);
      const purge = c.sim.state.deregister('default', 'purge-1', true);
      c.sim.gcJob('stop-1');
      const r = await open(c, `?index=${stop.Index}&topic=Job&topic=Evaluation:stop-1&topic=Evaluation:purge-1`);
      try {
        await r.until('the GC', (x) => x.events().some((e) => e.Type === 'JobBatchDeregistered'));
        const frames = r.frames();
        expect(frames.slice(0, 2).map(summary)).toEqual([`${stop.Index} Job/JobDeregistered`, `${stop.Index} Evaluation/JobDeregistered`]);
        const stopped = frames[0]?.Events[0] as StreamEvent;
        // JobEvent.Deleted is written false too (Nomad's codec ignores its json omitempty)
        expect(stopped.Payload).toEqual({ Job: expect.anything(), Deleted: false });
        expect((stopped.Payload.Job as { Stop: boolean }).Stop).toBe(true);
        const purged = frames.filter((f) => f.Index === purge.Index);
        expect(purged.map(summary)).toEqual([`${purge.Index} Job/JobDeregistered`, `${purge.Index} Evaluation/JobDeregistered`]);
        const deleted = purged[0]?.Events[0] as StreamEvent;
        expect(deleted.Key).toBe('purge-1');
        expect(Object.keys(deleted.Payload)).toEqual(['Job', 'Deleted']);
        expect(deleted.Payload.Deleted).toBe(true);
        expect((deleted.Payload.Job as { ID: string; Stop: boolean }).ID).toBe('purge-1');
        const gc = r.events().filter((e) => e.Type === 'JobBatchDeregistered');
        expect(gc.map((e) => [e.Topic, e.Key, e.Payload.Deleted])).toEqual([['Job', 'stop-1', true]]);
      } finally {
        r.close();
      }
    }));

  it('writes Nomad publishes nothing for (variables) give no frame', () =>
    withSim({}, async (c) => {
      const before = c.sim.state.events.length;
      expect((await c.send('PUT', '/v1/var/dtle-compat/paused/x', { Items: { job: '{}' } })).status).toBe(200);
      await sleep(10);
      expect(c.sim.state.index).toBeGreaterThan(0);
      expect(c.sim.state.events.length).toBe(before);
    }));
});

describe('payloads', () => {
  it('are the objects as the GET endpoints answer them at that index; an allocation without its Job', () =>
    withSim({}, async (c) => {
      c.sim.registerJob(dtleJob('payload-1'));
      const r = await open(c, '?index=0');
      try {
        await r.until('the deployment watcher', (x) => x.events().some(deploymentDone));
        await sleep(50);
        // the last event of each object is its current state
        const last = new Map<string, StreamEvent>();
        for (const e of r.events()) last.set(`${e.Topic}/${e.Key}`, e);
        const seen = new Set<string>();
        for (const e of last.values()) {
          seen.add(e.Topic);
          const inner = e.Payload[e.Topic];
          switch (e.Topic) {
            case 'Job':
              expect(inner).toEqual((await c.get(`/v1/job/${e.Key}`)).json);
              expect(e.FilterKeys).toBeNull();
              expect(e.Namespace).toBe('default');
              break;
            case 'Evaluation':
              expect(inner).toEqual((await c.get(`/v1/evaluation/${e.Key}`)).json);
              break;
            case 'Allocation': {
              const got = (await c.get(`/v1/allocation/${e.Key}`)).json as Record<string, unknown>;
              expect(got.Job).toBeDefined();
              const { Job: _job, ...rest } = got;
              void _job;
              expect(inner).toEqual(rest);
              expect(Object.keys(inner as object)).not.toContain('Job');
              expect(e.FilterKeys).toEqual([got.JobID, got.DeploymentID]);
              break;
            }
            case 'Deployment': {
              const got = (await c.get(`/v1/deployment/${e.Key}`)).json as { JobID: string };
              expect(inner).toEqual(got);
              expect(e.FilterKeys).toEqual([got.JobID]);
              break;
            }
            case 'Node':
              expect(inner).toEqual((await c.get(`/v1/node/${e.Key}`)).json);
              expect(e.Namespace).toBe('');
              expect(e.FilterKeys).toBeNull();
              expect((inner as { SecretID: string }).SecretID).toBe('');
              break;
            default:
              throw new Error(`unexpected topic ${e.Topic}`);
          }
          // the payload wraps the object in a field named by the topic (structs.JobEvent, AllocationEvent, …)
          expect(Object.keys(e.Payload)).toEqual(e.Topic === 'Job' ? ['Job', 'Deleted'] : [e.Topic]);
        }
        expect([...seen].sort()).toEqual(['Allocation', 'Deployment', 'Evaluation', 'Job', 'Node']);
      } finally {
        r.close();
      }
    }));

  it('Evaluation and Allocation payloads leave their empty fields out (omitempty structs), Job and Deployment keep theirs', () =>
    withSim({}, async (c) => {
      c.sim.registerJob(dtleJob('omit-1'));
      const r = await open(c, '?index=0');
      try {
        await r.until('the client update', (x) => x.events().some((e) => e.Type === 'AllocationUpdated'));
        const ev = r.events().find((e) => e.Topic === 'Evaluation')?.Payload.Evaluation as Record<string, unknown>;
        expect(ev).not.toHaveProperty('NodeID');
        expect(ev).not.toHaveProperty('DeploymentID');
        const alloc = r.events().find((e) => e.Topic === 'Allocation')?.Payload.Allocation as Record<string, unknown>;
        expect(alloc).not.toHaveProperty('PreviousAllocation');
        expect(alloc).not.toHaveProperty('SignedIdentities');
        const job = r.events().find((e) => e.Topic === 'Job')?.Payload.Job as Record<string, unknown>;
        expect(job).toHaveProperty('ParentID', '');
        expect(job).toHaveProperty('Periodic', null);
      } finally {
        r.close();
      }
    }));
});

describe('filters', () => {
  /** The (Topic, Key) of every event from the start of the buffer, for a query. */
  async function keys(c: SimClient, query: string, until: (r: EventStreamReader) => boolean): Promise<string[]> {
    const r = await open(c, `?index=0${query}`);
    try {
      await r.until(`the events of ${query}`, until);
      return r.events().map((e) => `${e.Topic}:${e.Key}`);
    } finally {
      r.close();
    }
  }

  it('topic, topic:key (Key or a FilterKey), namespace; Node events pass any namespace', () =>
    withSim({}, async (c) => {
      c.sim.registerJob(dtleJob('filter-a'));
      c.sim.registerJob(dtleJob('filter-b'));
      await sleep(20);
      const allocA = c.sim.state.allocsOfJob(c.sim.state.job('default', 'filter-a')!)[0]!.ID;
      const jobs = await keys(c, '&topic=Job', (r) => r.events().filter(stableJob).length >= 2);
      expect(new Set(jobs)).toEqual(new Set(['Job:filter-a', 'Job:filter-b']));
      const a = await keys(c, '&topic=Job:filter-a', (r) => r.events().some(stableJob));
      expect(new Set(a)).toEqual(new Set(['Job:filter-a']));
      // an allocation's FilterKeys hold its JobID: Allocation:<job> is the job's allocations
      const allocs = await keys(c, '&topic=Allocation:filter-a', (r) => r.events().some((e) => e.Type === 'AllocationUpdated'));
      expect(allocs.length).toBeGreaterThan(0);
      for (const k of allocs) expect(c.sim.state.allocs.get(k.slice('Allocation:'.length))?.alloc.JobID).toBe('filter-a');
      const one = await keys(c, `&topic=Allocation:${allocA}`, (r) => r.events().some((e) => e.Type === 'AllocationUpdated'));
      expect(new Set(one)).toEqual(new Set([`Allocation:${allocA}`]));
      // another namespace: the namespaced events are left out, the nodes' (no namespace) stay
      const other = await keys(c, '&namespace=elsewhere', (r) => r.events().length >= 1);
      expect(other.every((k) => k.startsWith('Node:'))).toBe(true);
      const star = await keys(c, '&namespace=*&topic=Job', (r) => r.events().filter(stableJob).length >= 2);
      expect(new Set(star)).toEqual(new Set(['Job:filter-a', 'Job:filter-b']));
    }));

  it("keeps subscription.go's quirks: * beside a key of the same topic matches no other key; an event matching two keys comes twice", () =>
    withSim({}, async (c) => {
      c.sim.registerJob(dtleJob('quirk-a'));
      c.sim.registerJob(dtleJob('quirk-b'));
      await sleep(20);
      const lone = await keys(c, '&topic=Job:*&topic=Job:quirk-a', (r) => r.events().some(stableJob));
      expect(new Set(lone)).toEqual(new Set(['Job:quirk-a']));
      const allocA = c.sim.state.allocsOfJob(c.sim.state.job('default', 'quirk-a')!)[0]!.ID;
      const r = await open(c, `?index=0&topic=Allocation:${allocA}&topic=Allocation:quirk-a`);
      try {
        await r.until('the client update', (x) => x.events().some((e) => e.Type === 'AllocationUpdated'));
        const plan = r.frames().find((f) => f.Events.some((e) => e.Type === 'PlanResult'));
        const mine = (plan?.Events ?? []).filter((e) => e.Key === allocA);
        expect(mine).toHaveLength(2);
      } finally {
        r.close();
      }
    }));
});

describe('where a subscription starts (eventBufferSize)', () => {
  it('keeps the last eventBufferSize frames; an older index silently starts at the oldest kept', () =>
    withSim({ eventBufferSize: 3 }, async (c) => {
      c.sim.registerJob(dtleJob('gap-1'));
      await sleep(10);
      const frames = c.sim.state.events.buffered();
      expect(frames).toHaveLength(3);
      const oldest = c.sim.state.events.oldestIndex;
      expect(oldest).toBeGreaterThan(2);
      for (const q of ['?index=1', '', '?index=0']) {
        const r = await open(c, q);
        try {
          await r.until('the three frames', (x) => x.frames().length >= 3);
          expect(r.frames().map((f) => f.Index)).toEqual(frames.map((f) => f.index));
          expect(r.frames()[0]?.Index).toBe(oldest);
        } finally {
          r.close();
        }
      }
    }));

  it('the frame at the index asked is handed over again; an index past every frame gets the newest one, then waits for the next', () =>
    withSim({}, async (c) => {
      const { JobModifyIndex: n } = c.sim.registerJob(dtleJob('start-1'));
      await sleep(10);
      const at = await open(c, `?index=${n + 2}`);
      try {
        await at.until('a frame', (x) => x.frames().length >= 1);
        expect(at.frames()[0]?.Index).toBe(n + 2);
      } finally {
        at.close();
      }
      const newest = c.sim.state.events.buffered().at(-1)?.index ?? 0;
      const past = await open(c, `?index=${newest + 1000}`);
      try {
        await past.until('the newest frame', (x) => x.frames().length >= 1);
        await sleep(30);
        expect(past.frames().map((f) => f.Index)).toEqual([newest]);
        c.sim.registerJob(dtleJob('start-2'));
        await past.until('the next write', (x) => x.frames().length >= 2);
        expect(past.frames()[1]?.Index).toBe(newest + 1);
      } finally {
        past.close();
      }
    }));
});

describe('heartbeats, ends, refusals', () => {
  it('writes {} at once and every eventHeartbeatMs, between frames', () =>
    withSim({ eventHeartbeatMs: 40 }, async (c) => {
      const r = await open(c, '?topic=Job');
      try {
        await r.until('the first heartbeat', (x) => x.lines().length >= 1);
        expect(r.lines()).toEqual(['{}']);
        await r.until('three more', (x) => x.lines().length >= 4, 2000);
        expect(r.lines().every((l) => l === '{}')).toBe(true);
        c.sim.registerJob(dtleJob('beat-1'));
        await r.until('the job', (x) => x.frames().length >= 1);
        await r.until('a heartbeat after it', (x) => x.lines().at(-1) === '{}', 2000);
      } finally {
        r.close();
      }
    }));

  it('the caller going away ends its subscription; the simulator closing ends every stream', async () => {
    const c = await startSim({});
    const gone = await open(c, '');
    await gone.until('the first heartbeat', (x) => x.lines().length >= 1);
    const stays = await open(c, '');
    await stays.until('the first heartbeat', (x) => x.lines().length >= 1);
    expect(c.sim.state.events.subscriberCount).toBe(2);
    gone.close();
    for (let i = 0; i < 100 && c.sim.state.events.subscriberCount > 1; i++) await sleep(5);
    expect(c.sim.state.events.subscriberCount).toBe(1);
    await c.close();
    await stays.closed(2000);
    expect(stays.ended).toBe(true);
    expect(c.sim.state.events.subscriberCount).toBe(0);
  });

  it('with ACLs on, a stream without the token is a 200 with no line, left open (Nomad writes 200 before the server checks)', () =>
    withSim({ aclToken: 'secret-1' }, async (c) => {
      const refused: Array<Record<string, string>> = [{}, { 'X-Nomad-Token': 'not-it' }];
      for (const headers of refused) {
        const r = await open(c, '?topic=Job', headers);
        await sleep(100);
        expect([r.status, r.raw, r.ended]).toEqual([200, '', false]);
        r.close();
      }
      const held = await open(c, '?topic=Job');
      await sleep(20);
      await c.close();
      await held.closed(2000);
      expect(held.raw).toBe('');
    }));

  it('eventRefusedCloseMs: the refused stream closes that long after its headers, still with no line', () =>
    withSim({ aclToken: 'secret-1', eventRefusedCloseMs: 50 }, async (c) => {
      const r = await open(c, '?topic=Job');
      await r.closed(2000);
      expect([r.status, r.raw]).toEqual([200, '']);
    }));

  it('with ACLs on, the management token streams', () =>
    withSim({ aclToken: 'secret-1' }, async (c) => {
      const ok = await open(c, '?topic=Job', { 'X-Nomad-Token': 'secret-1' });
      try {
        await ok.until('the first heartbeat', (x) => x.lines().length >= 1);
        expect(ok.lines()[0]).toBe('{}');
      } finally {
        ok.close();
      }
    }));

  it('another region: 200, no line (the forward finds no path)', () =>
    withSim({ eventRefusedCloseMs: 50 }, async (c) => {
      const r = await open(c, '?region=elsewhere');
      await r.closed(2000);
      expect([r.status, r.raw]).toEqual([200, '']);
    }));
});

describe('restart (sim.restart(): a dev agent restarting)', () => {
  it('ends the streams; the index starts again lower, the buffer holds only what came after, an old index starts at its oldest frame', () =>
    withSim({}, async (c) => {
      for (let i = 0; i < 3; i++) c.sim.registerJob(dtleJob(`before-${i}`));
      await sleep(10);
      const seen = c.sim.state.index;
      const r = await open(c, `?index=${seen}`);
      await r.until('the newest frame', (x) => x.frames().length >= 1);
      c.sim.restart();
      await r.closed(2000);
      expect(c.sim.state.index).toBe(1);
      expect(c.sim.state.jobList()).toEqual([]);
      expect((await c.get('/v1/jobs')).json).toEqual([]);
      const { JobModifyIndex: n } = c.sim.registerJob(dtleJob('after-1'));
      expect(n).toBeLessThan(seen);
      // a client resuming from the index it had: no error, no gap marker, only what is buffered now
      const again = await open(c, `?index=${seen}`);
      try {
        await again.until('a frame', (x) => x.frames().length >= 1);
        expect(again.frames()[0]?.Index).toBeLessThan(seen);
        const all = await open(c, '?index=0');
        try {
          await all.until('the node and the job', (x) => x.events().some((e) => e.Key === 'after-1'));
          expect(all.frames()[0]?.Events[0]?.Topic).toBe('Node');
          expect(all.frames()[0]?.Index).toBe(1);
          expect(all.events().some((e) => e.Key.startsWith('before-'))).toBe(false);
        } finally {
          all.close();
        }
      } finally {
        again.close();
      }
    }));
});
