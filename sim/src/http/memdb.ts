/**
 * What every simulated agent's state store shares (Nomad's and Consul's are both go-memdb with a
 * raft index): tables that list in key order, and the change feed blocking queries wait on.
 */

/** A table as go-memdb iterates one: a Map whose values list in key order (the sort kept until a key comes or goes). */
export class SortedTable<V> extends Map<string, V> {
  private sortedKeys: string[] | null = null;

  override set(key: string, value: V): this {
    if (!this.has(key)) this.sortedKeys = null;
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.sortedKeys = null;
    return super.delete(key);
  }

  override clear(): void {
    this.sortedKeys = null;
    super.clear();
  }

  /** The keys in order (go-memdb's radix tree order: byte order). */
  keysInOrder(): readonly string[] {
    this.sortedKeys ??= [...this.keys()].sort();
    return this.sortedKeys;
  }

  inKeyOrder(): V[] {
    const out: V[] = [];
    for (const k of this.keysInOrder()) {
      const v = this.get(k);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
}

/** The change feed: writes call `changed()`; blocking queries wait for the next change. */
export class ChangeFeed {
  private readonly waiters = new Set<(changed: boolean) => void>();
  private notifyScheduled = false;
  closed = false;

  /** Wakes every waiter once the current write is done (writes of one request come as one change). */
  changed(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      const ws = [...this.waiters];
      this.waiters.clear();
      for (const w of ws) w(true);
    });
  }

  /** Resolves true at the next change, false when the time is up or the feed closes. */
  next(timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    if (this.closed || timeoutMs <= 0 || abort?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const finish = (changed: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters.delete(finish);
        abort?.removeEventListener('abort', onAbort);
        resolve(changed);
      };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(finish);
      abort?.addEventListener('abort', onAbort);
    });
  }

  close(): void {
    this.closed = true;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w(false);
  }

  /**
   * A blocking query: runs `run` until the index it reports passes `minIndex` or `waitMs` is up
   * (a `minIndex` of 0 answers at once), as Nomad's and Consul's blockingQuery loops do.
   */
  async block<T extends { index: number }>(minIndex: number, waitMs: number, abort: AbortSignal | undefined, run: () => T): Promise<T> {
    let r = run();
    if (minIndex <= 0 || r.index > minIndex) return r;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const changed = await this.next(deadline - Date.now(), abort);
      r = run();
      if (!changed || r.index > minIndex) return r;
    }
  }
}
