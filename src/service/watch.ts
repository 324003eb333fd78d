import type { Logger } from '../logging';

/**
 * Logs a streak of failures of one thing without flooding the log: the first failure of a streak
 * is a warning, the next ones debug lines, the recovery an info line.
 */
export class FailureStreak {
  failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly name: string,
    /** what the warning adds, e.g. "; retrying" */
    private readonly then = '',
  ) {}

  failed(e: unknown, fields: Record<string, unknown> = {}): void {
    this.failures++;
    const all = { error: e instanceof Error ? e.message : String(e), ...fields, failures: this.failures };
    if (this.failures === 1) this.logger.warn(`${this.name} failed${this.then}`, all);
    else this.logger.debug(`${this.name} still failing`, all);
  }

  succeeded(): void {
    if (this.failures > 0) this.logger.info(`${this.name} recovered`, { after_failures: this.failures });
    this.failures = 0;
  }
}

export interface WatchOptions {
  /** blocking-query wait sent to Nomad (default 5m, Nomad's own maximum) */
  wait?: string;
  /** first retry delay after a failure, doubled per failure (default 1 s) */
  retryMs?: number;
  /** longest retry delay (default 30 s) */
  maxRetryMs?: number;
}

/**
 * Runs a blocking-query loop: `step(index, wait)` makes one blocking call and returns Nomad's new
 * index. An index that goes backwards (Nomad restarted with a new raft log) restarts from 0.
 * Failures back off exponentially; the first failure of a streak is a warning, the recovery an
 * info line, so a Nomad that is down does not flood the log. Returns a function that stops it.
 */
export function runWatch(
  name: string,
  logger: Logger,
  step: (index: string, wait: string) => Promise<string>,
  opts: WatchOptions = {},
): () => void {
  const wait = opts.wait ?? '5m';
  const retryMs = opts.retryMs ?? 1000;
  const maxRetryMs = opts.maxRetryMs ?? 30_000;
  let stopped = false;
  let index = '0';
  const streak = new FailureStreak(logger, `${name} watch`, '; retrying');
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

  const loop = async (): Promise<void> => {
    while (!stopped) {
      const started = Date.now();
      try {
        const next = await step(index, wait);
        if (stopped) return;
        streak.succeeded();
        const unchanged = next === index;
        index = /^\d+$/.test(next) && BigInt(next) >= BigInt(index) ? next : '0';
        // a server that answers at once without moving its index would make this a busy loop
        if (unchanged && Date.now() - started < 50) await sleep(retryMs);
      } catch (e) {
        if (stopped) return;
        const delay = Math.min(maxRetryMs, retryMs * 2 ** streak.failures);
        streak.failed(e, { retry_ms: delay });
        await sleep(delay);
      }
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

/**
 * A watch that keeps one value current: `read` makes one blocking call and answers the value and
 * the index it was read at; `keep` is given each value, and null while the watch fails and once it
 * stops (so a stale value is never served). Returns a function that stops it.
 */
export function runValueWatch<T>(
  name: string,
  logger: Logger,
  read: (index: string, wait: string) => Promise<{ value: T; index: string }>,
  keep: (value: T | null) => void,
  opts: WatchOptions = {},
): () => void {
  const stop = runWatch(
    name,
    logger,
    async (index, wait) => {
      try {
        const r = await read(index, wait);
        keep(r.value);
        return r.index;
      } catch (e) {
        keep(null);
        throw e;
      }
    },
    opts,
  );
  return () => {
    stop();
    keep(null);
  };
}
