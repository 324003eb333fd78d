/**
 * The simulator's waits: every delay a Nomad agent sleeps through (a task's restart delay, a
 * reschedule's delay, the time a task takes to dial its database) goes through one clock, so that
 * `timeScale` can run them faster (0.001: a 15 s restart delay takes 15 ms) and `close()` can
 * cancel them all. Durations are Go's, in nanoseconds; the timers never keep the process alive.
 */
export class SimClock {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** @param scale what a policy's delay is multiplied by (1 = Nomad's own) */
  constructor(readonly scale: number) {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`sim: timeScale must be a positive number, not ${scale}`);
  }

  /** A policy's delay as the simulator applies it (nanoseconds, whole). */
  scaled(ns: number): number {
    return Math.max(0, Math.round(ns * this.scale));
  }

  /** Runs `fn` after `ns` nanoseconds (already scaled); nothing after close(). */
  after(ns: number, fn: () => void): () => void {
    if (this.closed) return () => undefined;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ns / 1e6));
    t.unref();
    this.timers.add(t);
    return () => {
      clearTimeout(t);
      this.timers.delete(t);
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
