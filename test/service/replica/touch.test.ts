import { readFileSync } from 'node:fs';
import path from 'node:path';
import { answerKey, classifyPath, StreamFrame, tagsOfWrite, touchedBy, writeShowsInStream, type StreamEvent } from '../../../src/service/replica/touch';
import { nomadPath } from '../../../src/nomad/client';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'nomad', 'event-stream');

/** The captured frames of a Nomad 1.11.3 job lifecycle (register, run, stop, purge, node eligibility). */
function capturedFrames(): Array<{ index: number; events: StreamEvent[] }> {
  const out: Array<{ index: number; events: StreamEvent[] }> = [];
  for (const line of readFileSync(path.join(FIXTURES, 'job-lifecycle.ndjson'), 'utf8').split('\n')) {
    if (line === '') continue;
    const frame = StreamFrame.parse(JSON.parse(line));
    if (frame !== null) out.push({ index: frame.Index, events: frame.Events });
  }
  return out;
}

const JOB = 'events-capture';
const ALLOC = '1c2812f3-8d55-7d37-43da-c398169bb306';
const NODE = 'd04c7ebe-1dd8-7a14-75a5-36356b741ff3';
const EVAL = '28a23a65-0c8c-5311-1cf7-adf801be336d';

describe('classifyPath: which Nomad GETs are kept, and how', () => {
  it('the reads behind the legacy routes are kept until an event touches them, with their tags', () => {
    expect(classifyPath('/v1/jobs')).toEqual({ kind: 'events', tags: ['jobs'] });
    expect(classifyPath(nomadPath`/v1/job/${'a/b'}`)).toEqual({ kind: 'events', tags: ['job:a%2Fb'] });
    for (const sub of ['allocations', 'evaluations', 'summary', 'deployments', 'deployment', 'versions']) {
      expect(classifyPath(`/v1/job/j1/${sub}`)).toEqual({ kind: 'events', tags: ['job:j1', 'jobsub:j1'] });
    }
    expect(classifyPath('/v1/allocations')).toEqual({ kind: 'events', tags: ['allocs'] });
    expect(classifyPath(`/v1/allocation/${ALLOC}`)).toEqual({ kind: 'events', tags: [`alloc:${ALLOC}`] });
    expect(classifyPath('/v1/evaluations')).toEqual({ kind: 'events', tags: ['evals'] });
    expect(classifyPath(`/v1/evaluation/${EVAL}`)).toEqual({ kind: 'events', tags: [`eval:${EVAL}`] });
    expect(classifyPath(`/v1/evaluation/${EVAL}/allocations`)).toEqual({ kind: 'events', tags: ['evalallocs'] });
    expect(classifyPath('/v1/nodes')).toEqual({ kind: 'events', tags: ['nodes'] });
    expect(classifyPath(`/v1/node/${NODE}`)).toEqual({ kind: 'events', tags: [`node:${NODE}`] });
    expect(classifyPath(`/v1/node/${NODE}/allocations`)).toEqual({ kind: 'events', tags: [`nodeallocs:${NODE}`] });
  });

  it('paths without events are kept for a short time; Variables with a tag writes drop', () => {
    for (const p of ['/v1/status/leader', '/v1/status/peers', '/v1/regions', '/v1/agent/members', '/v1/agent/self', '/v1/operator/raft/configuration']) {
      expect(classifyPath(p)).toEqual({ kind: 'ttl', tags: [] });
    }
    expect(classifyPath('/v1/vars')).toEqual({ kind: 'ttl', tags: ['vars'] });
    expect(classifyPath('/v1/var/dtle-compat/paused/j1')).toEqual({ kind: 'ttl', tags: ['vars'] });
    expect(tagsOfWrite('/v1/var/dtle-compat/paused/j1')).toEqual(['vars']);
    expect(tagsOfWrite('/v1/jobs')).toEqual([]);
  });

  it('live client data, writes-only paths and anything unlisted are never kept', () => {
    for (const p of [
      `/v1/client/allocation/${ALLOC}/stats`,
      `/v1/client/fs/logs/${ALLOC}`,
      '/v1/job/j1/plan',
      '/v1/job/j1/scale',
      '/v1/job/j1/allocations/extra',
      '/v1/event/stream',
      '/v1/acl/tokens',
      '/v1/job//allocations',
      '/v2/jobs',
    ]) {
      expect(classifyPath(p)).toBeNull();
    }
  });

  it('keys hold the path and the query but index, wait and stale, in a fixed order', () => {
    expect(answerKey('/v1/jobs', { region: 'global', prefix: 'a b', index: '7', wait: '5s', stale: '' })).toBe('/v1/jobs?prefix=a%20b&region=global');
    expect(answerKey('/v1/jobs', { prefix: 'x', namespace: 'ns' })).toBe(answerKey('/v1/jobs', { namespace: 'ns', prefix: 'x' }));
    expect(answerKey('/v1/nodes', {})).toBe('/v1/nodes');
  });
});

describe('writeShowsInStream: writes whose index a read waits for', () => {
  it('job registrations, deregistrations, evaluations; node and allocation writes that publish events', () => {
    for (const p of ['/v1/jobs', '/v1/job/j1', '/v1/job/j1/evaluate', '/v1/job/j1/dispatch', '/v1/job/j1/revert', `/v1/node/${NODE}/eligibility`, `/v1/node/${NODE}/drain`, `/v1/node/${NODE}/evaluate`, `/v1/node/${NODE}/purge`, `/v1/allocation/${ALLOC}/stop`]) {
      expect([p, writeShowsInStream(p)]).toEqual([p, true]);
    }
  });

  it('not plans, validation, parsing, Variables, client calls, job stability (no event: a read would wait in vain)', () => {
    for (const p of ['/v1/job/j1/plan', '/v1/validate/job', '/v1/jobs/parse', '/v1/var/dtle-compat/paused/j1', `/v1/client/allocation/${ALLOC}/signal`, '/v1/job/j1/stable', '/v1/acl/token', '/v1/job/j1/scale']) {
      expect([p, writeShowsInStream(p)]).toEqual([p, false]);
    }
  });
});

describe('touchedBy: the answers an event changes (captured Nomad 1.11.3 frames)', () => {
  const frames = capturedFrames();
  const at = (index: number, topic: string) => {
    const e = frames.filter((f) => f.index === index).flatMap((f) => f.events).find((x) => x.Topic === topic);
    if (!e) throw new Error(`no ${topic} event at ${index}`);
    return e;
  };

  it('the captured stream is read whole: every line a heartbeat or a frame with the five topics only', () => {
    expect(frames.length).toBeGreaterThan(15);
    expect(new Set(frames.flatMap((f) => f.events.map((e) => e.Topic)))).toEqual(new Set(['Job', 'Allocation', 'Evaluation', 'Node', 'Deployment']));
    for (const f of frames) for (const e of f.events) expect(touchedBy(e, 'default')).not.toBe('all');
  });

  it('a Job event touches the job list, the job and its sub-paths', () => {
    expect(touchedBy(at(10, 'Job'), 'default')).toEqual({ tags: ['jobs', `job:${JOB}`] });
    // the purge (JobDeregistered, the job's last state with Deleted)
    expect(touchedBy(at(20, 'Job'), 'default')).toEqual({ tags: ['jobs', `job:${JOB}`] });
  });

  it('an Allocation event (no Job in it) touches the allocation lists, the allocation, its job sub-paths, the job list (summaries), its node and every evaluation allocation list', () => {
    expect(touchedBy(at(13, 'Allocation'), 'default')).toEqual({
      tags: ['allocs', `alloc:${ALLOC}`, `jobsub:${JOB}`, 'jobs', `nodeallocs:${NODE}`, 'evalallocs'],
    });
  });

  it('an Evaluation event touches the evaluation lists, the evaluation, its job sub-paths and the job list (queued counts)', () => {
    expect(touchedBy(at(12, 'Evaluation'), 'default')).toEqual({ tags: ['evals', `eval:${EVAL}`, `jobsub:${JOB}`, 'jobs'] });
  });

  it('a Node event touches the node list and the node; a Deployment event its job sub-paths', () => {
    expect(touchedBy(at(22, 'Node'), 'default')).toEqual({ tags: ['nodes', `node:${NODE}`] });
    expect(touchedBy(at(17, 'Deployment'), 'default')).toEqual({ tags: [`jobsub:${JOB}`] });
  });

  it('events of another namespace and unknown topics touch nothing; a payload without the fields touches everything', () => {
    expect(touchedBy(at(10, 'Job'), 'other')).toEqual({ tags: [] });
    // nodes have no namespace: every stream gets them
    expect(touchedBy(at(22, 'Node'), 'other')).toEqual({ tags: ['nodes', `node:${NODE}`] });
    expect(touchedBy({ Topic: 'Service', Key: 'x', Namespace: 'default', Payload: {} }, 'default')).toEqual({ tags: [] });
    expect(touchedBy({ Topic: 'Allocation', Key: ALLOC, Namespace: 'default', Payload: { Allocation: { ID: ALLOC } } }, 'default')).toBe('all');
    expect(touchedBy({ Topic: 'Job', Key: JOB, Namespace: 'default', Payload: null }, 'default')).toBe('all');
  });

  it('an ID is matched as the client writes it in a path (percent-encoded)', () => {
    const ev: StreamEvent = { Topic: 'Job', Key: 'a/b c', Namespace: 'default', Payload: { Job: { ID: 'a/b c' } } };
    const touch = touchedBy(ev, 'default');
    expect(touch).not.toBe('all');
    if (touch === 'all') return;
    expect(touch.tags).toEqual(expect.arrayContaining(classifyPath(nomadPath`/v1/job/${'a/b c'}`)?.tags ?? ['missing']));
  });
});

describe('StreamFrame', () => {
  it('reads a heartbeat as null and a frame with its index and events; anything else fails', () => {
    expect(StreamFrame.parse({})).toBeNull();
    expect(StreamFrame.parse({ Index: 12, Events: [] })).toEqual({ Index: 12, Events: [] });
    expect(StreamFrame.safeParse({ Index: -1, Events: [] }).success).toBe(false);
    expect(StreamFrame.safeParse({ Error: 'x' }).success).toBe(false);
    expect(StreamFrame.safeParse([]).success).toBe(false);
  });
});
