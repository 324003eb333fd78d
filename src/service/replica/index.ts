/**
 * The replica: a local answerer of Nomad GETs beneath NomadClient (its LocalReads), kept current
 * by Nomad's event stream. Every service, translation and route stays as it is; only where the
 * client's GETs are answered from changes.
 *
 * What it keeps: per Nomad GET (path and query but index/wait/stale) the answer's text and its
 * X-Nomad-* meta, status 200 only, in an lru-cache bounded in bytes (replica_max_bytes). An
 * answer is kept until an event touches it (touch.ts says which; an event at an index the answer
 * already reflects touches nothing), then read again from Nomad once, however many readers want
 * it (they share the read). A read that started before a touching event is not kept unless its
 * index shows that it saw the change. Paths Nomad publishes no events for (leader, peers,
 * regions, members, agent, Variables) are kept for replica_poll_ms; writes through this client
 * drop the Variables answers.
 *
 * Whom it answers: reads with the service's own token, region and namespace (the stream's view);
 * any other token is answered by Nomad.
 *
 * Consistency:
 * - a read after a write through this client waits (at most replica_read_wait_ms) until the
 *   stream has passed the write's index, else asks Nomad;
 * - while the stream is subscribed the replica answers; when it has been quiet for half of
 *   replica_max_staleness_ms, a read asks Nomad's leader (one call, shared) whether Nomad is
 *   there; once nothing was heard for replica_max_staleness_ms (stream lost, Nomad without a
 *   leader) reads go to Nomad and answer or fail as Nomad does;
 * - a blocking query (?index=&wait=) is answered as soon as the kept answer's index passes the
 *   caller's, else when a touching event brings a newer answer or its wait ends (Nomad's rules:
 *   at most 300 s plus up to a sixteenth), without a Nomad blocking query per poller;
 * - every reconnect, a gap (the first frame after the asked index), a restarted Nomad (an index
 *   going backwards) or an unreadable line drops everything kept: the next reads refetch.
 */
import { LRUCache } from 'lru-cache';
import type { Method } from 'axios';
import type { Config } from '../../config';
import type { Logger } from '../../logging';
import type { Metrics } from '../../metrics';
import { metaIndex, type Blocking, type LocalReads, type NomadClient, type NomadTextResponse, type QueryMeta, type Scope } from '../../nomad/client';
import { NomadError } from '../../nomad/errors';
import { StringValue } from '../../nomad/types';
import { blockingTimeMs } from '../../nomad/go';
import { answerKey, classifyPath, tagsOfWrite, touchedBy, writeShowsInStream, type KeepKind, type PathClass, type StreamEvent } from './touch';
import { describeDown, runEventStream, type StreamDown, type StreamOptions } from './stream';

export interface ReplicaDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  metrics: Metrics;
}

/** Stream timings, for tests (defaults: Nomad's). */
export type ReplicaStreamOptions = Omit<StreamOptions, 'fromIndex'>;

interface Entry {
  key: string;
  kind: KeepKind;
  tags: string[];
  text: string;
  meta: QueryMeta;
  /** X-Nomad-Index of the answer (0 when none) */
  index: bigint;
  /** when it was read (ms since epoch) */
  at: number;
}

/** What became of a read from Nomad: kept, or why not. */
type Fate = 'kept' | 'touched' | 'dropped' | 'unkept';

interface FlightState {
  tags: string[];
  generation: number;
  /** the highest index of an event that touched it while it ran (WRITE for a write through this client) */
  touched: bigint;
}

interface Flight {
  state: FlightState;
  promise: Promise<{ entry: Entry; fate: Fate }>;
}

/** A touch by a write through this client: no read that was under way may be kept. */
const WRITE = 2n ** 64n;

/** What the service's answers need beside the text (the routes' X-Udup-* headers come from it). */
const ENTRY_OVERHEAD = 256;

/** A failure that means Nomad is not there to answer (not Nomad's answer about the thing read). */
function lostNomad(e: unknown): boolean {
  return e instanceof NomadError && (e.kind === 'unreachable' || e.kind === 'timeout' || (e.kind === 'http' && e.status >= 500 && e.indexError === null));
}

function indexOf(meta: QueryMeta): bigint {
  return metaIndex(meta) ?? 0n;
}

export class Replica implements LocalReads {
  private readonly lru: LRUCache<string, Entry>;
  /** kept keys by tag */
  private readonly tagged = new Map<string, Set<string>>();
  /** reads from Nomad under way, by key */
  private readonly flights = new Map<string, Flight>();
  /** blocking readers waiting for a tag to be touched */
  private readonly tagWaiters = new Map<string, Set<() => void>>();
  /** readers waiting for any change of the replica's state (stream up/down, everything dropped, stop) */
  private readonly stateWaiters = new Set<() => void>();
  /** readers waiting for the stream to reach an index */
  private readonly indexWaiters = new Set<{ index: bigint; wake: () => void }>();
  /** bumped whenever everything is dropped: reads under way then are not kept */
  private generation = 0;
  private started = false;
  private stopped = false;
  private stopStream: (() => void) | null = null;
  /** subscribed now */
  private up = false;
  /** subscribed at least once */
  private everUp = false;
  /** the last line of the stream or confirmation of the leader while subscribed (ms since epoch) */
  private contactAt = 0;
  /** the index of the last frame, null before any */
  private last: bigint | null = null;
  /** the next frame is the first of its connection */
  private firstFrame = true;
  /** the highest index of a write through this client */
  private writeIndex = 0n;
  private probing: Promise<void> | null = null;
  private readonly namespace: string;
  private readonly serviceParams: string;

  constructor(
    private readonly deps: ReplicaDeps,
    private readonly streamOptions: ReplicaStreamOptions = {},
  ) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: deps.config.replica_max_bytes,
      sizeCalculation: (e) => e.text.length + e.key.length + ENTRY_OVERHEAD,
      dispose: (e, key, reason) => {
        if (reason === 'set') return;
        for (const t of e.tags) {
          const keys = this.tagged.get(t);
          keys?.delete(key);
          if (keys?.size === 0) this.tagged.delete(t);
        }
      },
    });
    const own = deps.nomad.resolve({});
    this.namespace = own.namespace ?? 'default';
    this.serviceParams = JSON.stringify(own);
    deps.metrics.replicaGauges = () => ({
      index: this.last,
      lagSeconds: (this.contactAgeMs ?? 0) / 1000,
      bytes: this.lru.calculatedSize,
      entries: this.lru.size,
      up: this.up,
    });
  }

  /** Opens the event stream; the replica answers once it is subscribed. Stops when the client closes. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const closed = this.deps.nomad.closedSignal;
    if (closed.aborted) return this.stop();
    closed.addEventListener('abort', () => this.stop(), { once: true });
    this.stopStream = runEventStream(
      this.deps.nomad,
      this.deps.logger,
      {
        subscribed: (n) => this.subscribed(n),
        frame: (index, events) => this.frame(index, events),
        contact: () => {
          this.contactAt = Date.now();
        },
        unreadable: (why) => {
          this.deps.logger.warn('event stream line not read; dropping every kept answer', { reason: why });
          this.dropAll('unreadable');
        },
        down: (why) => this.down(why),
      },
      { ...this.streamOptions, fromIndex: () => this.last ?? 0n },
    );
  }

  /** Closes the stream, answers every waiting reader with what it has, keeps nothing more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.up = false;
    this.stopStream?.();
    this.stopStream = null;
    this.lru.clear();
    this.flights.clear();
    this.wakeAll();
    this.deps.metrics.replicaGauges = null;
  }

  /** The last index the stream delivered (null before any). */
  get index(): bigint | null {
    return this.last;
  }

  /** Whether the stream is subscribed now. */
  get streamUp(): boolean {
    return this.up;
  }

  /** Milliseconds since the replica last heard from Nomad (null before it ever did). */
  get contactAgeMs(): number | null {
    return this.everUp ? Date.now() - this.contactAt : null;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }

  /* ------------------------------------------------------------------ LocalReads */

  async answer(path: string, params: Readonly<Record<string, string>>, scope: Scope, block: Blocking, op: string): Promise<NomadTextResponse | null> {
    if (!this.started || this.stopped) return null;
    const cls = classifyPath(path);
    if (cls === null || !this.serves(scope)) return null;
    const key = answerKey(path, params);
    if (cls.kind === 'ttl') return this.ttlAnswer(key, path, params, cls, block, op);
    return this.eventAnswer(key, path, params, cls, block, op);
  }

  wrote(_method: Method, path: string, scope: Scope, index: bigint | null): void {
    if (this.stopped) return;
    const tags = tagsOfWrite(path);
    if (tags.length > 0) {
      // Variables have no events: their kept answers go, and reads under way are not kept
      this.touch(tags, WRITE);
      return;
    }
    if (index === null || !writeShowsInStream(path) || JSON.stringify(this.deps.nomad.resolve(scope)) !== this.serviceParams) return;
    if (index > this.writeIndex) this.writeIndex = index;
  }

  /** Whether a read of this scope may be answered here: the service's own token, region and namespace. */
  private serves(scope: Scope): boolean {
    const nomad = this.deps.nomad;
    return nomad.tokenFor(scope.token) === nomad.tokenFor(undefined) && JSON.stringify(nomad.resolve(scope)) === this.serviceParams;
  }

  private async ttlAnswer(key: string, path: string, params: Readonly<Record<string, string>>, cls: PathClass, block: Blocking, op: string): Promise<NomadTextResponse | null> {
    // Nomad would block until these change; no event says when: Nomad answers
    if (blockingTimeMs(block.index, block.wait) > 0) {
      this.deps.metrics.replicaMisses.labels('blocking').inc();
      return null;
    }
    const kept = this.lru.get(key);
    if (kept && Date.now() - kept.at < this.deps.config.replica_poll_ms) {
      this.deps.metrics.replicaHits.labels('ttl').inc();
      return this.respond(kept);
    }
    this.deps.metrics.replicaMisses.labels('absent').inc();
    try {
      return this.respond((await this.fetch(key, path, params, cls, op)).entry);
    } catch (e) {
      // Nomad lost (or without a leader): what was read last serves within the staleness bound, as event-kept answers do
      if (kept && lostNomad(e) && Date.now() - kept.at <= this.deps.config.replica_poll_ms + this.deps.config.replica_max_staleness_ms) {
        this.deps.metrics.replicaHits.labels('ttl').inc();
        return this.respond(kept);
      }
      throw e;
    }
  }

  private async eventAnswer(key: string, path: string, params: Readonly<Record<string, string>>, cls: PathClass, block: Blocking, op: string): Promise<NomadTextResponse | null> {
    if (!this.everUp) {
      this.deps.metrics.replicaMisses.labels('no_stream').inc();
      return null;
    }
    if (!(await this.current())) {
      this.deps.metrics.replicaMisses.labels('stale').inc();
      return null;
    }
    if (!(await this.caughtUp())) {
      this.deps.metrics.replicaMisses.labels('behind').inc();
      return null;
    }
    const blockMs = blockingTimeMs(block.index, block.wait);
    if (blockMs === 0) return this.respond((await this.read(key, path, params, cls, op)).entry);
    const min = BigInt(block.index ?? '0');
    const deadline = Date.now() + blockMs;
    for (;;) {
      const { entry, fate } = await this.read(key, path, params, cls, op);
      if (this.stopped) return this.respond(entry);
      if (entry.index > min) return this.respond(entry);
      // an answer that cannot be kept cannot be waited on here
      if (fate === 'unkept') {
        this.deps.metrics.replicaMisses.labels('unkept').inc();
        return null;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return (await this.current()) ? this.respond(entry) : null;
      if (fate !== 'kept') continue;
      await this.waitForChange(key, entry, remaining);
      if (this.stopped) return this.respond(entry);
      // lost Nomad for longer than the bound: Nomad answers (or fails) as it does without the replica
      if (!this.up && !this.withinStaleness()) {
        this.deps.metrics.replicaMisses.labels('stale').inc();
        return null;
      }
    }
  }

  /** The kept answer, or one read from Nomad now (shared with every reader of the key). */
  private async read(key: string, path: string, params: Readonly<Record<string, string>>, cls: PathClass, op: string): Promise<{ entry: Entry; fate: Fate }> {
    const kept = this.lru.get(key);
    if (kept) {
      if (Date.now() - kept.at <= this.deps.config.replica_max_age_ms) {
        this.deps.metrics.replicaHits.labels('events').inc();
        return { entry: kept, fate: 'kept' };
      }
      this.lru.delete(key);
    }
    this.deps.metrics.replicaMisses.labels('absent').inc();
    return this.fetch(key, path, params, cls, op);
  }

  /** Reads an answer from Nomad for the replica (one read per key at a time) and keeps it unless touched meanwhile. */
  private fetch(key: string, path: string, params: Readonly<Record<string, string>>, cls: PathClass, op: string): Promise<{ entry: Entry; fate: Fate }> {
    const running = this.flights.get(key);
    if (running) return running.promise;
    const flight: FlightState = { tags: cls.tags, generation: this.generation, touched: 0n };
    const promise = (async () => {
      try {
        const res = await this.deps.nomad.getText(path, { params: { ...params }, local: false, op });
        const entry: Entry = { key, kind: cls.kind, tags: cls.tags, text: res.text, meta: res.meta, index: indexOf(res.meta), at: Date.now() };
        let fate: Fate;
        if (this.stopped || flight.generation !== this.generation) fate = 'dropped';
        else if (flight.touched > entry.index) fate = 'touched';
        else fate = res.status === 200 && this.keep(entry) ? 'kept' : 'unkept';
        return { entry, fate };
      } finally {
        if (this.flights.get(key)?.state === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, { state: flight, promise });
    return promise;
  }

  private keep(entry: Entry): boolean {
    this.lru.set(entry.key, entry);
    if (this.lru.peek(entry.key) !== entry) return false;
    for (const t of entry.tags) {
      let keys = this.tagged.get(t);
      if (!keys) this.tagged.set(t, (keys = new Set()));
      keys.add(entry.key);
    }
    return true;
  }

  /** The answer as the client returns it: Nomad's text and meta; X-Nomad-LastContact the time since the stream was lost, while it is. */
  private respond(entry: Entry): NomadTextResponse {
    if (entry.kind === 'ttl' || this.up) return { text: entry.text, status: 200, meta: entry.meta };
    const since = Math.max(0, Date.now() - this.contactAt);
    const nomad = entry.meta.lastContact !== null && /^\d+$/.test(entry.meta.lastContact) ? Number(entry.meta.lastContact) : 0;
    return { text: entry.text, status: 200, meta: { ...entry.meta, lastContact: String(Math.max(nomad, since)) } };
  }

  /* ------------------------------------------------------------------ freshness */

  private withinStaleness(): boolean {
    return this.everUp && Date.now() - this.contactAt <= this.deps.config.replica_max_staleness_ms;
  }

  /**
   * Whether the replica may answer: subscribed and heard from recently (a quiet stream is
   * confirmed by asking Nomad's leader, one call shared by every reader), or lost for less than
   * replica_max_staleness_ms.
   */
  private async current(): Promise<boolean> {
    if (!this.up) return this.withinStaleness();
    const bound = this.deps.config.replica_max_staleness_ms;
    const age = Date.now() - this.contactAt;
    if (age <= bound / 2) return true;
    const probe = this.probe();
    if (age <= bound) return true;
    await Promise.race([probe, this.sleep(this.deps.config.replica_read_wait_ms)]);
    return this.up && this.withinStaleness();
  }

  /** Asks Nomad's leader whether Nomad is there (while the stream is subscribed, a known leader is contact). */
  private probe(): Promise<void> {
    if (this.probing) return this.probing;
    const sent = Date.now();
    this.probing = this.deps.nomad
      .get('/v1/status/leader', StringValue, { local: false, op: 'replica.probe' })
      .then(
        ({ data }) => {
          if (data !== '' && this.up) this.contactAt = Math.max(this.contactAt, sent);
        },
        () => undefined,
      )
      .finally(() => {
        this.probing = null;
      });
    return this.probing;
  }

  /** Whether the stream has passed every write made through this client (waiting at most replica_read_wait_ms). */
  private caughtUp(): Promise<boolean> {
    const target = this.writeIndex;
    if (this.last !== null && this.last >= target) return Promise.resolve(true);
    if (target === 0n) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        index: target,
        wake: () => {
          clearTimeout(timer);
          this.indexWaiters.delete(waiter);
          resolve(this.last !== null && this.last >= this.writeIndex);
        },
      };
      const timer = setTimeout(waiter.wake, this.deps.config.replica_read_wait_ms);
      timer.unref();
      this.indexWaiters.add(waiter);
    });
  }

  /**
   * Waits until the kept entry is touched (or dropped), the replica's state changes, the entry's
   * max age ends, or `ms` pass.
   */
  private waitForChange(key: string, entry: Entry, ms: number): Promise<void> {
    if (this.lru.peek(key) !== entry) return Promise.resolve();
    const age = this.deps.config.replica_max_age_ms - (Date.now() - entry.at);
    // while the stream is lost, wake when the staleness bound passes
    const bound = this.up ? Infinity : this.contactAt + this.deps.config.replica_max_staleness_ms - Date.now() + 1;
    const wait = Math.max(1, Math.min(ms, age, bound));
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        for (const t of entry.tags) {
          const set = this.tagWaiters.get(t);
          set?.delete(wake);
          if (set?.size === 0) this.tagWaiters.delete(t);
        }
        this.stateWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      timer.unref();
      for (const t of entry.tags) {
        let set = this.tagWaiters.get(t);
        if (!set) this.tagWaiters.set(t, (set = new Set()));
        set.add(wake);
      }
      this.stateWaiters.add(wake);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  /* ------------------------------------------------------------------ the stream */

  private subscribed(connection: number): void {
    this.up = true;
    this.everUp = true;
    this.firstFrame = true;
    this.contactAt = Date.now();
    // what was kept may have missed events while the stream was lost (or Nomad restarted empty)
    if (connection > 1) this.dropAll('reconnect');
    else this.wakeAll();
    this.seed();
  }

  /** The first reads, kept ahead of the first legacy reads: the job, allocation and node lists. */
  private seed(): void {
    const params = this.deps.nomad.queryParams({});
    for (const [path, op] of [
      ['/v1/jobs', 'jobs.list'],
      ['/v1/allocations', 'allocs.list'],
      ['/v1/nodes', 'nodes.list'],
    ] as const) {
      const cls = classifyPath(path);
      if (cls === null) continue;
      this.read(answerKey(path, params), path, params, cls, op).catch((e: unknown) =>
        this.deps.logger.debug('replica seed read failed', { path, error: e instanceof Error ? e.message : String(e) }),
      );
    }
  }

  private frame(index: bigint, events: StreamEvent[]): void {
    const last = this.last;
    const first = this.firstFrame;
    this.firstFrame = false;
    if (last !== null && index < last) {
      // a Nomad with a new raft log (restarted without its data): nothing kept is its state
      this.deps.logger.warn('event stream index went backwards (Nomad restarted); dropping every kept answer', { index: index.toString(), last: last.toString() });
      this.writeIndex = 0n;
      this.dropAll('restart');
    } else if (first && last !== null && index > last) {
      // asked for `last`, got a later one first: Nomad's buffer no longer has it, events may be lost
      this.deps.logger.info('event stream resumed past the index asked for; dropping every kept answer', { asked: last.toString(), got: index.toString() });
      this.dropAll('gap');
    }
    // frames of one index may come as several lines; frames asked for again on reconnect touch
    // nothing newer than what was read since (an event touches only answers older than it)
    for (const event of events) {
      this.deps.metrics.replicaEvents.labels(event.Topic).inc();
      const touch = touchedBy(event, this.namespace);
      if (touch === 'all') {
        this.deps.logger.warn('event payload not understood; dropping every kept answer', { topic: event.Topic, type: event.Type ?? '', index: index.toString() });
        this.dropAll('unreadable');
      } else if (touch.tags.length > 0) this.touch(touch.tags, index);
    }
    this.last = index;
    for (const w of [...this.indexWaiters]) if (index >= w.index) w.wake();
  }

  private down(why: StreamDown): void {
    const was = this.up;
    this.up = false;
    if (was) this.deps.logger.info('replica stream lost: kept answers are served within replica_max_staleness_ms', { reason: describeDown(why) });
    this.wakeAll();
  }

  /** Drops the kept answers with these tags that `index` is newer than, and keeps no read under way for them. */
  private touch(tags: string[], index: bigint): void {
    for (const t of tags) {
      for (const key of [...(this.tagged.get(t) ?? [])]) {
        const e = this.lru.peek(key);
        if (e && index > e.index) this.lru.delete(key);
      }
      for (const wake of [...(this.tagWaiters.get(t) ?? [])]) wake();
    }
    for (const [key, { state: flight }] of this.flights) {
      if (!flight.tags.some((t) => tags.includes(t))) continue;
      if (index > flight.touched) flight.touched = index;
      // readers from now on need a read that started after this event
      this.flights.delete(key);
    }
  }

  private dropAll(reason: string): void {
    this.generation++;
    this.lru.clear();
    this.tagged.clear();
    this.flights.clear();
    this.deps.metrics.replicaReseeds.labels(reason).inc();
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const set of [...this.tagWaiters.values()]) for (const wake of [...set]) wake();
    for (const wake of [...this.stateWaiters]) wake();
    for (const w of [...this.indexWaiters]) w.wake();
  }
}
