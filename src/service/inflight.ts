/**
 * In-flight de-duplication: asks for the same key while a run is under way share that run (its
 * result or its failure); nothing is kept once it settles. Keys must hold everything the result
 * depends on (e.g. the caller's token), since callers with the same key get the same answer.
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.running.get(key);
    if (running) return running;
    const started = start();
    this.running.set(key, started);
    const forget = () => {
      if (this.running.get(key) === started) this.running.delete(key);
    };
    started.then(forget, forget);
    return started;
  }

  /** how many runs are under way */
  get size(): number {
    return this.running.size;
  }
}
