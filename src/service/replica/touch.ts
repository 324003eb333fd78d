/**
 * Which kept Nomad answers an event of Nomad's event stream (or a write through this service)
 * changes. Pure functions, no I/O.
 *
 * Every kept answer has tags derived from its path; an event names the tags it touches; an answer
 * with one of them is dropped and read again from Nomad when next asked for. The mapping follows
 * what Nomad publishes (nomad/state/events.go, nomad/structs/event.go, 1.11.3):
 *
 * - an event's topic is the table that changed (jobs → Job, allocs → Allocation, evals →
 *   Evaluation, nodes → Node, deployment → Deployment) and its payload is the object after the
 *   change; its Type only names the raft message (JobRegistered, PlanResult, …) and is not looked
 *   at, so a new message type of a known table still touches what it changes;
 * - an allocation's event has no job (`alloc.Job = nil`) and carries JobID, NodeID, EvalID,
 *   DeploymentID; the job summaries (Nomad's `job_summary` table, which has no topic) change with
 *   allocations and evaluations, so those touch `/v1/jobs` and `/v1/job/{ID}/summary` too;
 * - an in-place update moves an allocation to a new evaluation and the event names only the new
 *   one, so an allocation touches every kept `/v1/evaluation/{ID}/allocations`;
 * - deleting allocations, evaluations, deployments (garbage collection: EvalDeleteRequestType,
 *   DeploymentDeleteRequestType) or nodes in a batch publishes nothing: the replica's
 *   `replica_max_age_ms` bounds how long such an answer is kept.
 *
 * Paths are compared as the client sends them: each ID segment percent-encoded (nomadPath).
 */
import { z } from 'zod';

/** How an answer is kept: until an event touches it, or for a short time (paths Nomad publishes no events for). */
export type KeepKind = 'events' | 'ttl';

export interface PathClass {
  kind: KeepKind;
  tags: string[];
}

/** Sub-paths of a job whose answers follow its job, allocations, evaluations and deployments. */
const JOB_SUBPATHS = new Set(['allocations', 'evaluations', 'summary', 'deployments', 'deployment', 'versions']);

/** Answers kept for replica_poll_ms: Nomad publishes no event for them. */
const TTL_PATHS = new Set(['/v1/status/leader', '/v1/status/peers', '/v1/regions', '/v1/agent/members', '/v1/agent/self', '/v1/operator/raft/configuration']);

const enc = (id: string) => encodeURIComponent(id);

/**
 * How the answer to a GET of `path` is kept, with its tags; null when it is never kept (live
 * client data under /v1/client/, anything not listed, a path that is not one Nomad object's).
 */
export function classifyPath(path: string): PathClass | null {
  if (TTL_PATHS.has(path)) return { kind: 'ttl', tags: [] };
  if (path === '/v1/vars' || path.startsWith('/v1/var/')) return { kind: 'ttl', tags: ['vars'] };
  const seg = path.split('/').slice(1);
  if (seg[0] !== 'v1' || seg.some((s) => s === '')) return null;
  const [, what, id, sub, ...more] = seg;
  if (more.length > 0) return null;
  const ev = (...tags: string[]): PathClass => ({ kind: 'events', tags });
  if (id === undefined) {
    switch (what) {
      case 'jobs':
        return ev('jobs');
      case 'allocations':
        return ev('allocs');
      case 'evaluations':
        return ev('evals');
      case 'nodes':
        return ev('nodes');
      default:
        return null;
    }
  }
  if (sub === undefined) {
    switch (what) {
      case 'job':
        return ev(`job:${id}`);
      case 'allocation':
        return ev(`alloc:${id}`);
      case 'evaluation':
        return ev(`eval:${id}`);
      case 'node':
        return ev(`node:${id}`);
      default:
        return null;
    }
  }
  if (what === 'job' && JOB_SUBPATHS.has(sub)) return ev(`job:${id}`, `jobsub:${id}`);
  if (what === 'evaluation' && sub === 'allocations') return ev('evalallocs');
  if (what === 'node' && sub === 'allocations') return ev(`nodeallocs:${id}`);
  return null;
}

/** The tags a write through this service may change that no event reports (Nomad Variables). */
export function tagsOfWrite(path: string): string[] {
  return path === '/v1/vars' || path.startsWith('/v1/var/') ? ['vars'] : [];
}

/** Job writes whose raft apply publishes Job or Evaluation events (state/events.go MsgTypeEvents). */
const JOB_WRITES = new Set(['evaluate', 'dispatch', 'revert']);
/** Node writes that publish Node (or Evaluation) events. */
const NODE_WRITES = new Set(['eligibility', 'drain', 'evaluate', 'purge']);

/**
 * Whether the raft index of a write to `path` shows in the stream (a read after it waits for the
 * stream to pass it): registrations and deregistrations of jobs, their evaluations, dispatches and
 * reverts, node eligibility, drain, evaluation and purge, an allocation's stop. Not: plans,
 * validation, parsing, Variables, ACLs, client calls, job stability (JobStabilityRequestType
 * publishes nothing), which would hold reads for an index the stream never reaches.
 */
export function writeShowsInStream(path: string): boolean {
  if (path === '/v1/jobs') return true;
  const seg = path.split('/').slice(1);
  if (seg[0] !== 'v1' || seg.some((x) => x === '')) return false;
  const [, what, id, sub, ...more] = seg;
  if (id === undefined || more.length > 0) return false;
  if (what === 'job') return sub === undefined || JOB_WRITES.has(sub);
  if (what === 'node') return sub !== undefined && NODE_WRITES.has(sub);
  if (what === 'allocation') return sub === 'stop';
  return false;
}

/**
 * The key of a kept answer: its path and its query parameters but the blocking ones (index,
 * wait) and stale, in a fixed order.
 */
export function answerKey(path: string, params: Readonly<Record<string, string>>): string {
  const rest = Object.entries(params)
    .filter(([k]) => k !== 'index' && k !== 'wait' && k !== 'stale')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return rest.length === 0 ? path : `${path}?${rest.join('&')}`;
}

/** The topics the replica subscribes to. */
export const TOPICS = ['Job', 'Allocation', 'Evaluation', 'Node', 'Deployment'] as const;

/** One event of a frame, as far as the replica reads it (structs.Event). */
export const StreamEvent = z.looseObject({
  Topic: z.string(),
  Type: z.string().nullish(),
  Key: z.string().nullish(),
  Namespace: z.string().nullish(),
  Index: z.number().int().nonnegative().nullish(),
  Payload: z.unknown(),
});
export type StreamEvent = z.infer<typeof StreamEvent>;

/** A line of the stream: Nomad's heartbeat `{}`, or the events of one raft index. */
export const StreamFrame = z.union([
  z.looseObject({ Index: z.number().int().nonnegative(), Events: z.array(StreamEvent).nullish().transform((v) => v ?? []) }),
  z.strictObject({}).transform(() => null),
]);
export type StreamFrame = z.infer<typeof StreamFrame>;

const id = z.string();
const JobPayload = z.looseObject({ Job: z.looseObject({ ID: id }) });
const AllocPayload = z.looseObject({ Allocation: z.looseObject({ ID: id, JobID: id, NodeID: id, EvalID: id }) });
const EvalPayload = z.looseObject({ Evaluation: z.looseObject({ ID: id, JobID: id }) });
const NodePayload = z.looseObject({ Node: z.looseObject({ ID: id }) });
const DeploymentPayload = z.looseObject({ Deployment: z.looseObject({ ID: id, JobID: id }) });

/** What an event touches: tags, nothing (another topic or namespace), or everything (a payload we cannot read). */
export type Touch = { tags: string[] } | 'all';

/**
 * The tags an event touches. `namespace` is the stream's (events of another namespace touch
 * nothing: no answer of theirs is kept). A payload of a known topic that does not have the fields
 * the mapping needs touches everything rather than guessing.
 */
export function touchedBy(event: StreamEvent, namespace: string): Touch {
  const ns = event.Namespace ?? '';
  if (ns !== '' && ns !== namespace) return { tags: [] };
  switch (event.Topic) {
    case 'Job': {
      const p = JobPayload.safeParse(event.Payload);
      if (!p.success) return 'all';
      return { tags: ['jobs', `job:${enc(p.data.Job.ID)}`] };
    }
    case 'Allocation': {
      const p = AllocPayload.safeParse(event.Payload);
      if (!p.success) return 'all';
      const a = p.data.Allocation;
      return { tags: ['allocs', `alloc:${enc(a.ID)}`, `jobsub:${enc(a.JobID)}`, 'jobs', `nodeallocs:${enc(a.NodeID)}`, 'evalallocs'] };
    }
    case 'Evaluation': {
      const p = EvalPayload.safeParse(event.Payload);
      if (!p.success) return 'all';
      const e = p.data.Evaluation;
      return { tags: ['evals', `eval:${enc(e.ID)}`, `jobsub:${enc(e.JobID)}`, 'jobs'] };
    }
    case 'Node': {
      const p = NodePayload.safeParse(event.Payload);
      if (!p.success) return 'all';
      return { tags: ['nodes', `node:${enc(p.data.Node.ID)}`] };
    }
    case 'Deployment': {
      const p = DeploymentPayload.safeParse(event.Payload);
      if (!p.success) return 'all';
      return { tags: [`jobsub:${enc(p.data.Deployment.JobID)}`] };
    }
    default:
      return { tags: [] };
  }
}
