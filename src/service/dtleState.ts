/**
 * dtle's replication state in Consul: each job's keys under its Nomad job Name, read in one
 * recursive call (`dtle/<job>/?recurse`), and every job's `dtleJobList/<job>` entry (the pause
 * flag) kept current by one blocking query on `dtleJobList/?recurse` (like the Nomad job watch),
 * so a legacy list of any size costs Consul nothing. Reads never throw: Consul off, down, slow or
 * answering garbage gives no state (logged once per streak, counted in /metrics), and the answers
 * carry what Nomad gives. Writes (dtle's pause flag, the cleanup of a deleted job) throw ConsulError.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { ConsulClient } from '../consul/client';
import { ConsulError } from '../consul/errors';
import type { KvEntry } from '../consul/types';
import {
  DTLE_JOB_STATUS,
  DTLE_STATE_ROOT,
  JOB_LIST_ROOT,
  dtleStateOf,
  dtleStatePrefix,
  jobListItemOf,
  jobListKey,
  type DtleState,
  type Indexed,
  type JobListItem,
} from '../translate/dtleState';
import { etaOf } from '../translate/stats';
import { FailureStreak, runValueWatch, type WatchOptions } from './watch';

export interface DtleStateDeps {
  config: Config;
  consul: ConsulClient | null;
  logger: Logger;
}

/** The watched dtleJobList entries count as current this long after the watch last answered (it answers at least every 5 minutes). */
const WATCH_FRESH_MS = 6 * 60_000;
/** DumpProgress readings kept per job for the copy rate */
const READINGS_PER_JOB = 8;
/** check-and-set attempts of a dtleJobList write racing another writer */
const CAS_ATTEMPTS = 5;

/**
 * dtle's JobListItemV2 for a job that has none (jobs made through Nomad or dtle-compat): the zero
 * value of every field, as dtle's SaveJobInfo writes one, but `user`: dtle's own API shows a job
 * only to users that may see its entry's user, and treats a job without an entry as its platform
 * administrator's (`platform:admin`, JobListV2); an empty user would hide the job from it.
 */
function newJobListItem(jobName: string, status: string): Record<string, unknown> {
  return {
    job_id: jobName,
    job_status: status,
    topic: '',
    job_create_time: '',
    src_database_type: '',
    dst_database_type: '',
    src_addr_list: null,
    dst_addr_list: null,
    user: 'platform:admin',
    job_steps: null,
    allocation_status: null,
  };
}

/** A job Name whose keys can be asked for (no empty name; no `.`/`..` segment, which URL parsing would resolve away). */
export function usableJobName(name: string): boolean {
  return name !== '' && !name.split('/').some((s) => s === '.' || s === '..');
}

/** dtleJobList entries by job Name. */
function byJobName(entries: readonly KvEntry[]): Map<string, KvEntry> {
  return new Map(entries.map((e) => [e.key.slice(JOB_LIST_ROOT.length), e]));
}

interface Reading {
  modifyIndex: number;
  exec: number;
  atMs: number;
}

export class DtleStateStore {
  private readonly streak: FailureStreak;
  /** dtleJobList/ as the watch last read it: entry by job Name */
  private watched: { entries: Map<string, KvEntry>; index: string; at: number } | null = null;
  /** a watch runs (current or retrying) */
  private watching = false;
  /** DumpProgress values by job, each with the time it was first seen */
  private readonly readings = new LRUCache<string, Reading[]>({ max: 10_000 });
  /** the replication position's ModifyIndex by job, with when it was first seen */
  private readonly positions = new LRUCache<string, { modifyIndex: number; atMs: number; exact: boolean }>({ max: 10_000 });

  constructor(private readonly deps: DtleStateDeps) {
    this.streak = new FailureStreak(deps.logger, 'reading dtle state from Consul', '; answering without it');
  }

  /** Whether a Consul address is configured. */
  get enabled(): boolean {
    return this.deps.consul !== null;
  }

  /* ------------------------------------------------------------------ reads */

  /**
   * A job's state: one recursive read of `dtle/<job>/` and, when the watch is not current, one
   * read of its dtleJobList entry, in parallel. Null when Consul is off or could not be read.
   */
  async read(jobName: string): Promise<DtleState | null> {
    const consul = this.deps.consul;
    if (consul === null || !usableJobName(jobName)) return null;
    try {
      const [{ entries }, entry] = await Promise.all([consul.kvList(dtleStatePrefix(jobName), 'consul.kv.state'), this.jobListEntry(jobName)]);
      this.streak.succeeded();
      const state = dtleStateOf(jobName, entries, entry);
      if (state.unreadable.length > 0) this.deps.logger.warn('dtle state in Consul not in dtle\'s format; left out', { job: jobName, keys: state.unreadable });
      return state;
    } catch (e) {
      this.streak.failed(e, { job: jobName });
      return null;
    }
  }

  /**
   * Every job's state at once (the operator page): one recursive read of `dtle/` and the dtleJobList
   * entries from the watch when current, else one recursive read of `dtleJobList/`, in parallel.
   * Never throws: `failure` says why Consul could not be read (null states), and null states with
   * no failure mean no Consul is configured.
   */
  async readAll(): Promise<{ states: Map<string, DtleState> | null; failure: string | null }> {
    const consul = this.deps.consul;
    if (consul === null) return { states: null, failure: null };
    try {
      const w = this.current();
      const [{ entries }, listed] = await Promise.all([
        consul.kvList(DTLE_STATE_ROOT, 'consul.kv.state.all'),
        w ? Promise.resolve(w.entries) : consul.kvList(JOB_LIST_ROOT, 'consul.kv.joblist').then((r) => byJobName(r.entries)),
      ]);
      this.streak.succeeded();
      const byJob = new Map<string, KvEntry[]>();
      for (const e of entries) {
        const slash = e.key.lastIndexOf('/');
        if (slash <= DTLE_STATE_ROOT.length) continue;
        const name = e.key.slice(DTLE_STATE_ROOT.length, slash);
        const list = byJob.get(name);
        if (list) list.push(e);
        else byJob.set(name, [e]);
      }
      const states = new Map<string, DtleState>();
      for (const name of new Set([...byJob.keys(), ...listed.keys()])) states.set(name, dtleStateOf(name, byJob.get(name) ?? [], listed.get(name) ?? null));
      return { states, failure: null };
    } catch (e) {
      this.streak.failed(e);
      return { states: null, failure: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * When the job's replication position (Gtid, binlog file/position) last moved, as far as this
   * process has seen: the time a new ModifyIndex was first read (Consul keeps no times). `exact`
   * is false while the index is the first one seen for the job: it moved at that time or before.
   */
  positionMoved(jobName: string, modifyIndex: number, nowMs = Date.now()): { atMs: number; exact: boolean } {
    const seen = this.positions.get(jobName);
    if (seen && seen.modifyIndex === modifyIndex) return { atMs: seen.atMs, exact: seen.exact };
    const next = { modifyIndex, atMs: nowMs, exact: seen !== undefined };
    this.positions.set(jobName, next);
    return { atMs: next.atMs, exact: next.exact };
  }

  /** The job's dtleJobList entry: the watch's when current, else read now (throws ConsulError). */
  private async jobListEntry(jobName: string): Promise<KvEntry | null> {
    const w = this.current();
    if (w) return w.entries.get(jobName) ?? null;
    const consul = this.deps.consul;
    if (consul === null) return null;
    return (await consul.kvGet(jobListKey(jobName), 'consul.kv.joblist')).entry;
  }

  private current(): { entries: Map<string, KvEntry>; index: string } | null {
    return this.watched && Date.now() - this.watched.at < WATCH_FRESH_MS ? this.watched : null;
  }

  /**
   * Names of the jobs whose dtleJobList entry says paused: from the watch when it is current;
   * where no watch runs (a check, a test), one recursive read of dtleJobList/; null when neither
   * answers (Consul off or failing: then no job is shown paused by dtle's flag, and a failing
   * Consul is not asked again on every list while its watch retries).
   */
  async pausedNames(): Promise<ReadonlySet<string> | null> {
    const w = this.current();
    const consul = this.deps.consul;
    let entries: Iterable<[string, KvEntry]>;
    if (w) entries = w.entries;
    else if (this.watching || consul === null) return null;
    else {
      try {
        entries = byJobName((await consul.kvList(JOB_LIST_ROOT, 'consul.kv.joblist')).entries);
        this.streak.succeeded();
      } catch (e) {
        this.streak.failed(e);
        return null;
      }
    }
    const out = new Set<string>();
    for (const [name, e] of entries) if (jobListItemOf(e.value)?.job_status === DTLE_JOB_STATUS.paused) out.add(name);
    return out;
  }

  /** Whether dtle's flag says the job is paused: the watch's answer, else (no watch runs) one read; false when Consul cannot say. */
  async pausedByDtle(jobName: string): Promise<boolean> {
    if (!this.enabled || !usableJobName(jobName)) return false;
    const w = this.current();
    if (w) return jobListItemOf(w.entries.get(jobName)?.value ?? null)?.job_status === DTLE_JOB_STATUS.paused;
    // the watch is retrying a failing Consul: a job read does not wait for it too
    if (this.watching) return false;
    try {
      const entry = await this.jobListEntry(jobName);
      this.streak.succeeded();
      return jobListItemOf(entry?.value ?? null)?.job_status === DTLE_JOB_STATUS.paused;
    } catch (e) {
      this.streak.failed(e, { job: jobName });
      return false;
    }
  }

  /** Keeps every dtleJobList entry current with a blocking query (one call per change, whatever the number of jobs). */
  startWatch(opts: WatchOptions = {}): () => void {
    const consul = this.deps.consul;
    if (consul === null) return () => undefined;
    this.watching = true;
    const stop = runValueWatch(
      'dtle job list (Consul)',
      this.deps.logger,
      async (index, wait) => {
        const { entries, meta } = await consul.kvList(JOB_LIST_ROOT, 'consul.kv.joblist.watch', { index, wait });
        const next = meta.index ?? index;
        return { value: { entries: byJobName(entries), index: next, at: Date.now() }, index: next };
      },
      (value) => {
        this.watched = value;
      },
      opts,
    );
    return () => {
      stop();
      this.watching = false;
    };
  }

  /* ------------------------------------------------------------------ the copy's progress */

  /**
   * The full copy's remaining time from the readings of DumpProgress seen so far (each new value
   * with the time it was first seen); null until two readings give a rate.
   */
  etaOf(jobName: string, dump: Indexed<{ exec: number; total: number }>, nowMs = Date.now()): string | null {
    let list = this.readings.get(jobName) ?? [];
    const last = list.at(-1);
    // a copy that starts over (fewer rows than before) starts the readings over
    if (last && dump.value.exec < last.exec) list = [];
    if (!list.some((r) => r.modifyIndex === dump.modifyIndex)) {
      list = [...list, { modifyIndex: dump.modifyIndex, exec: dump.value.exec, atMs: nowMs }].slice(-READINGS_PER_JOB);
      this.readings.set(jobName, list);
    }
    const first = list[0];
    const newest = list.at(-1);
    if (!first || !newest || first === newest) return null;
    return etaOf(first, { exec: newest.exec, total: dump.value.total, atMs: newest.atMs });
  }

  /* ------------------------------------------------------------------ writes */

  /**
   * Sets the job's dtleJobList job_status as dtle's PauseJobV2/ResumeJobV2 do (the rest of the entry
   * kept; a new entry as dtle writes one), with check-and-set on the entry read. Returns the status
   * it had ('' when none). Throws ConsulError.
   */
  async setJobStatus(jobName: string, status: string): Promise<string> {
    const consul = this.requireConsul();
    const key = jobListKey(jobName);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const { entry } = await consul.kvGet(key, 'consul.kv.joblist');
      let item: JobListItem | null = null;
      if (entry) {
        item = jobListItemOf(entry.value);
        if (item === null) throw new ConsulError('malformed', 200, `${key} holds no dtle JobListItemV2; not overwritten`, key);
      }
      const previous = item?.job_status ?? '';
      const next = item ? { ...item, job_id: item.job_id ?? jobName, job_status: status } : newJobListItem(jobName, status);
      if (await consul.kvPut(key, JSON.stringify(next), 'consul.kv.joblist.write', entry?.modifyIndex ?? 0)) {
        this.noteWritten(jobName, key, next);
        return previous;
      }
    }
    throw new ConsulError('http', 409, `${key} kept changing under ${CAS_ATTEMPTS} check-and-set writes`, key);
  }

  /** The watch's view follows a write through this service at once (its next answer confirms it). */
  private noteWritten(jobName: string, key: string, item: Record<string, unknown> | null): void {
    const w = this.watched;
    if (!w) return;
    if (item === null) w.entries.delete(jobName);
    else w.entries.set(jobName, { key, value: Buffer.from(JSON.stringify(item)), createIndex: 0, modifyIndex: 0 });
  }

  /** Removes the job's state as dtle's DestroyJob does: `dtle/<job>/` (recursive) and `dtleJobList/<job>`. Throws ConsulError. */
  async destroy(jobName: string): Promise<void> {
    const consul = this.requireConsul();
    if (!usableJobName(jobName)) return;
    await consul.kvDelete(dtleStatePrefix(jobName), 'consul.kv.state.delete', { recurse: true });
    await consul.kvDelete(jobListKey(jobName), 'consul.kv.joblist.delete');
    this.noteWritten(jobName, jobListKey(jobName), null);
    this.readings.delete(jobName);
    this.positions.delete(jobName);
  }

  private requireConsul(): ConsulClient {
    if (this.deps.consul === null) throw new ConsulError('unreachable', 0, 'no Consul address is configured (consul)', '');
    return this.deps.consul;
  }
}
