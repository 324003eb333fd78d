import { LRUCache } from 'lru-cache';
import type { LegacyJobSpec } from '../legacy/types';
import type { AllocJobView } from '../translate/alloc';

/**
 * What lists need of a job, made once per JobModifyIndex. The Nomad spec and the unmasked legacy
 * job are not kept: at 10,000 jobs they would triple the cache's memory for no list's use.
 */
export interface CachedJob {
  jobModifyIndex: number;
  modifyIndex: number;
  /**
   * the legacy job's spec fields with every secret masked, as JSON text (a tenth of the memory of the object
   * graph; parsed again only when a list is rebuilt), or null when the job is not a dtle job
   */
  masked: string | null;
  /** the task layout that allocation lists need, or null when the job is not a dtle job */
  view: AllocJobView | null;
}

/** The masked legacy spec of an entry (JSON this service wrote). */
export function maskedJob(entry: CachedJob): LegacyJobSpec | null {
  return entry.masked === null ? null : (JSON.parse(entry.masked) as LegacyJobSpec);
}

/**
 * Job specs keyed by scope + job ID and valid for one JobModifyIndex: an entry is used only when
 * the list being answered names the same JobModifyIndex, so no answer carries a spec older than
 * its list. Bounded (lru-cache); the least recently used entry goes first, and is counted.
 */
export class JobSpecCache {
  private readonly lru: LRUCache<string, CachedJob>;
  evictions = 0;

  constructor(maxEntries: number, onEvict: () => void = () => undefined) {
    this.lru = new LRUCache<string, CachedJob>({
      max: Math.max(1, maxEntries),
      dispose: (_value, _key, reason) => {
        if (reason !== 'evict') return;
        this.evictions++;
        onEvict();
      },
    });
  }

  static key(scope: string, id: string): string {
    return `${scope}\u0000${id}`;
  }

  get size(): number {
    return this.lru.size;
  }

  /** The entry if it holds exactly this JobModifyIndex (and it becomes the most recently used). */
  get(key: string, jobModifyIndex: number): CachedJob | undefined {
    const e = this.lru.peek(key);
    return e !== undefined && e.jobModifyIndex === jobModifyIndex ? this.lru.get(key) : undefined;
  }

  /** The entry whatever its JobModifyIndex, for views that only need the task layout. */
  latest(key: string): CachedJob | undefined {
    return this.lru.peek(key);
  }

  set(key: string, entry: CachedJob): void {
    const old = this.lru.peek(key);
    if (old && old.jobModifyIndex > entry.jobModifyIndex) return; // never go back in time
    this.lru.set(key, entry);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Drops entries of a scope whose IDs are not in `live`. */
  retain(scope: string, live: ReadonlySet<string>): void {
    const prefix = `${scope}\u0000`;
    for (const key of [...this.lru.keys()]) {
      if (key.startsWith(prefix) && !live.has(key.slice(prefix.length))) this.lru.delete(key);
    }
  }

  clear(): void {
    this.lru.clear();
  }
}
