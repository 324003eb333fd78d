/**
 * Nomad's event stream (GET /v1/event/stream) over the simulator's state, as Nomad 1.11.3 makes it:
 *
 *   nomad/state/state_changes.go  every write transaction of a raft apply tracks its memdb changes;
 *                                 its commit turns them into one `structs.Events` (one frame)
 *   nomad/state/events.go         which table's change gives which event (Topic, Key, FilterKeys,
 *                                 Namespace, Payload); the Type is the apply's message type
 *   nomad/stream/event_buffer.go  the last `event_buffer_size` frames (default 100)
 *   nomad/stream/event_broker.go  where a subscription starts (StartAtClosest)
 *   nomad/stream/subscription.go  the topic/key/namespace filter (with its quirks)
 *   nomad/stream/ndjson.go        `{}` at once, then every heartbeat (30 s), one JSON per line
 *
 * The state records its changes (`SimState.changed`) within the apply each `bump` opens; the
 * apply's commit hands them here (`publish`). Payloads are the objects as the simulator's GET
 * endpoints answer them (omitEmpty for the omitempty structs Allocation and Evaluation).
 */
import { stringifyLegacy } from '../../../src/legacy/int64';
import { omitEmpty } from './shapes';
import type { Allocation, Deployment, Evaluation, Job, Node } from './structs';

/** structs.Topic values the simulator publishes. */
export type EventTopic = 'Deployment' | 'Evaluation' | 'Allocation' | 'Job' | 'Node';

/**
 * The event Type of a raft apply (state/events.go MsgTypeEvents: the message type of the apply
 * names every event of it); null: an apply Nomad publishes nothing for (variables, GC reaps).
 */
export type ApplyType =
  | 'NodeRegistration'
  | 'NodeDeregistration'
  | 'NodeStreamEvent'
  | 'NodeDrain'
  | 'JobRegistered'
  | 'JobDeregistered'
  | 'JobBatchDeregistered'
  | 'EvaluationUpdated'
  | 'PlanResult'
  | 'AllocationUpdated'
  | 'AllocationUpdateDesiredStatus'
  | 'DeploymentStatusUpdate'
  | 'DeploymentPromotion'
  | 'DeploymentAllocHealth';

/** The memdb tables whose changes are events (others: job_summary, job_version, variables, … give none). */
export type EventTable = 'jobs' | 'evals' | 'allocs' | 'deployment' | 'nodes';

/** One object's change within an apply: memdb.Change (after null: deleted). */
export type Change =
  | { table: 'jobs'; key: string; after: Job | null; before: Job | null }
  | { table: 'evals'; key: string; after: Evaluation; before: null }
  | { table: 'allocs'; key: string; after: Allocation; before: null }
  | { table: 'deployment'; key: string; after: Deployment; before: null }
  | { table: 'nodes'; key: string; after: Node | null; before: Node | null };

/** A structs.Event, its JSON written once. */
export interface PublishedEvent {
  topic: EventTopic;
  key: string;
  namespace: string;
  filterKeys: readonly string[] | null;
  /** the event's JSON: {"Topic","Type","Key","Namespace","FilterKeys","Index","Payload"} */
  json: string;
}

/** One buffered structs.Events: the events of one write transaction. */
export interface Frame {
  index: number;
  events: readonly PublishedEvent[];
}

/** state/events.go eventFromChange (the tables the simulator has). */
function eventOf(c: Change): { topic: EventTopic; key: string; namespace: string; filterKeys: string[] | null; payload: unknown } | null {
  switch (c.table) {
    case 'jobs': {
      if (c.after === null) {
        // a deleted job: its last version, Deleted true
        if (c.before === null) return null;
        return { topic: 'Job', key: c.before.ID, namespace: c.before.Namespace, filterKeys: null, payload: { Job: c.before, Deleted: true } };
      }
      // JobEvent.Deleted is `json:",omitempty"`, but Nomad's codec goes by `codec` tags: always written
      return { topic: 'Job', key: c.after.ID, namespace: c.after.Namespace, filterKeys: null, payload: { Job: c.after, Deleted: false } };
    }
    case 'evals':
      return { topic: 'Evaluation', key: c.after.ID, namespace: c.after.Namespace, filterKeys: [c.after.JobID, c.after.DeploymentID], payload: { Evaluation: omitEmpty(c.after) } };
    case 'allocs': {
      // Sanitize (no SignedIdentities) and no Job, "to help keep size of alloc event down"
      const a: Partial<Allocation> & { SignedIdentities?: unknown } = { ...c.after };
      delete a.Job;
      delete a.SignedIdentities;
      return { topic: 'Allocation', key: c.after.ID, namespace: c.after.Namespace, filterKeys: [c.after.JobID, c.after.DeploymentID], payload: { Allocation: omitEmpty(a) } };
    }
    case 'deployment':
      return { topic: 'Deployment', key: c.after.ID, namespace: c.after.Namespace, filterKeys: [c.after.JobID], payload: { Deployment: c.after } };
    case 'nodes': {
      const n = c.after ?? c.before;
      if (n === null) return null;
      // Node.Sanitize: the simulator's nodes carry no SecretID (its GET answers "" too)
      return { topic: 'Node', key: n.ID, namespace: '', filterKeys: null, payload: { Node: n } };
    }
  }
}

/** state/events.go eventsFromChanges: the events of one transaction's changes (null: none). */
export function frameOf(index: number, type: ApplyType, changes: readonly Change[]): Frame | null {
  const events: PublishedEvent[] = [];
  for (const c of changes) {
    const e = eventOf(c);
    if (!e) continue;
    const json = stringifyLegacy({ Topic: e.topic, Type: type, Key: e.key, Namespace: e.namespace, FilterKeys: e.filterKeys, Index: index, Payload: e.payload });
    events.push({ topic: e.topic, key: e.key, namespace: e.namespace, filterKeys: e.filterKeys, json });
  }
  return events.length > 0 ? { index, events } : null;
}

/* ------------------------------------------------------------------ subscriptions */

/** stream.SubscribeRequest: topics (Topic → keys, `*` any), start index, the namespaces allowed. */
export interface SubscribeRequest {
  topics: ReadonlyMap<string, readonly string[]>;
  index: number;
  namespaces: readonly string[];
}

/**
 * subscription.go filter, quirks kept: `*` alone among a topic's keys matches every key, but next to
 * other keys of that topic it matches only a key that is literally "*"; an event that matches two
 * of the keys is there twice; events of another namespace are left out (those without one, Node's,
 * never).
 */
export function filterEvents(req: SubscribeRequest, events: readonly PublishedEvent[]): PublishedEvent[] {
  const all = req.topics.get('*') ?? [];
  const out: PublishedEvent[] = [];
  for (const e of events) {
    if (e.namespace !== '' && !req.namespaces.includes(e.namespace)) continue;
    if (all.length === 1 && all[0] === '*') {
      out.push(e);
      continue;
    }
    const keys = [...all, ...(req.topics.get(e.topic) ?? [])];
    if (keys.length === 1 && keys[0] === '*') {
      out.push(e);
      continue;
    }
    for (const k of keys) if (e.key === k || (e.filterKeys ?? []).includes(k)) out.push(e);
  }
  return out;
}

/** The NDJSON line of a frame's events for one subscriber (without the newline). */
export function frameLine(index: number, events: readonly PublishedEvent[]): string {
  return `{"Index":${index},"Events":[${events.map((e) => e.json).join(',')}]}`;
}

export interface Subscription {
  /** stops the deliveries (the caller went) */
  unsubscribe(): void;
}

interface Subscriber {
  req: SubscribeRequest;
  /** the sequence number of the next frame to hand over */
  next: number;
  deliver: (line: string) => void;
  end: () => void;
}

/**
 * stream.EventBroker with its eventBuffer: the last `size` frames (frames without events are not
 * published, so they take no room) and the subscribers, handed each frame in order as it comes.
 */
export class EventBroker {
  /** buffered frames, oldest first; `seq0` is the sequence number of the first */
  private frames: Frame[] = [];
  private seq0 = 0;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  constructor(readonly size: number = 100) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`sim: eventBufferSize must be a positive integer, not ${size}`);
  }

  /** How many frames are buffered. */
  get length(): number {
    return this.frames.length;
  }

  /** The index of the oldest buffered frame (0: none). */
  get oldestIndex(): number {
    return this.frames[0]?.index ?? 0;
  }

  /** How many subscriptions are open. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The frames as buffered (tests). */
  buffered(): readonly Frame[] {
    return this.frames;
  }

  /** eventBuffer.Append: buffers a frame (dropping the oldest past `size`) and hands it to the subscribers. */
  publish(frame: Frame | null): void {
    if (frame === null || frame.events.length === 0 || this.closed) return;
    this.frames.push(frame);
    while (this.frames.length > this.size) {
      this.frames.shift();
      this.seq0 += 1;
    }
    for (const s of [...this.subscribers]) this.drain(s);
  }

  /**
   * EventBroker.Subscribe + eventBuffer.StartAtClosest: index 0 starts at the oldest buffered frame;
   * an index older than it starts there too (what was dropped is silently skipped); else the first
   * frame at or after the index (the frame *at* the index is handed over again), and an index past
   * every frame starts at the newest frame, which is handed over too. With nothing buffered the
   * subscription waits for the next frame.
   */
  subscribe(req: SubscribeRequest, deliver: (line: string) => void, end: () => void): Subscription {
    let start = this.seq0;
    if (req.index !== 0 && this.frames.length > 0) {
      const at = this.frames.findIndex((f) => f.index >= req.index);
      start = this.seq0 + (at >= 0 ? at : this.frames.length - 1);
    }
    const s: Subscriber = { req, next: start, deliver, end };
    if (this.closed) {
      end();
      return { unsubscribe: () => undefined };
    }
    this.subscribers.add(s);
    this.drain(s);
    return { unsubscribe: () => void this.subscribers.delete(s) };
  }

  private drain(s: Subscriber): void {
    // a subscriber behind the buffer's head: Nomad's reader gets "event dropped from buffer" and
    // the stream ends; the simulator hands frames over as they come, so it cannot fall behind
    if (s.next < this.seq0) s.next = this.seq0;
    while (this.subscribers.has(s) && s.next < this.seq0 + this.frames.length) {
      const f = this.frames[s.next - this.seq0] as Frame;
      s.next += 1;
      const events = filterEvents(s.req, f.events);
      if (events.length > 0) s.deliver(frameLine(f.index, events));
    }
  }

  /** Ends every subscription (the agent stops); later subscriptions end at once. */
  close(): void {
    this.closed = true;
    this.endAll();
  }

  /** An agent's restart: the buffer is empty again and every subscription ends. */
  reset(): void {
    this.endAll();
    this.frames = [];
    this.seq0 = 0;
  }

  private endAll(): void {
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) s.end();
  }
}
