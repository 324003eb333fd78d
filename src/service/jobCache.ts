import type { Job } from '../nomad/types';
import type { LegacyJob } from '../legacy/types';

export interface CachedJob {
  jobModifyIndex: number;
  modifyIndex: number;
  job: Job;
  /** the legacy view (unmasked), or null when the job is not a dtle job */
  legacy: LegacyJob | null;
  /** the legacy view with every secret masked, made once per JobModifyIndex for lists */
  masked: LegacyJob | null;
}

/**
 * Job specs keyed by scope + job ID and valid for one JobModifyIndex: an entry is used only when
 * the list being answered names the same JobModifyIndex, so no answer carries a spec older than
 * its list. Bounded; the least recently used entry goes first.
 */
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
