import type { LegacyJob } from '../legacy/types';
import type { AllocJobView } from '../translate/alloc';

/**
 * What lists need of a job, made once per JobModifyIndex. The Nomad spec and the unmasked legacy
 * job are not kept: at 10,000 jobs they would triple the cache's memory for no list's use.
 */
export interface CachedJob {
  jobModifyIndex: number;
  modifyIndex: number;
  /**
   * the legacy job with every secret masked, as JSON text (a tenth of the memory of the object
   * graph; parsed again only when a list is rebuilt), or null when the job is not a dtle job
   */
  masked: string | null;
  /** the task layout that allocation lists need, or null when the job is not a dtle job */
  view: AllocJobView | null;
}

/**
 * Job specs keyed by scope + job ID and valid for one JobModifyIndex: an entry is used only when
 * the list being answered names the same JobModifyIndex, so no answer carries a spec older than
 * its list. Bounded; the least recently used entry goes first.
 */
/** The masked legacy job of an entry. */
export function maskedJob(entry: CachedJob): LegacyJob | null {
  return entry.masked === null ? null : (JSON.parse(entry.masked) as LegacyJob);
}

export class JobSpecCache {
  private readonly map = new Map<string, CachedJob>();
  evictions = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict: () => void = () => undefined,
  ) {}

  static key(scope: string, id: string): string {
    return `${scope}\u0000${id}`;
  }

  get size(): number {
    return this.map.size;
  }

  /** The entry if it holds exactly this JobModifyIndex. */
  get(key: string, jobModifyIndex: number): CachedJob | undefined {
    const e = this.map.get(key);
    if (e === undefined || e.jobModifyIndex !== jobModifyIndex) return undefined;
    this.map.delete(key);
    this.map.set(key, e);
    return e;
  }

  /** The entry whatever its JobModifyIndex, for views that only need the task layout. */
  latest(key: string): CachedJob | undefined {
    return this.map.get(key);
  }

  set(key: string, entry: CachedJob): void {
    const old = this.map.get(key);
    if (old && old.jobModifyIndex > entry.jobModifyIndex) return; // never go back in time
    this.map.delete(key);
    this.map.set(key, entry);
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.evictions++;
      this.onEvict();
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops entries of a scope whose IDs are not in `live`. */
  retain(scope: string, live: ReadonlySet<string>): void {
    const prefix = `${scope}\u0000`;
    for (const key of this.map.keys()) {
      if (key.startsWith(prefix) && !live.has(key.slice(prefix.length))) this.map.delete(key);
    }
  }

  clear(): void {
    this.map.clear();
  }
}
