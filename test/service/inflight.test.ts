import { InFlight } from '../../src/service/inflight';

describe('InFlight', () => {
  it('shares a run among the asks for its key while it runs, and forgets it once settled', async () => {
    const f = new InFlight<number>();
    let runs = 0;
    let finish: (n: number) => void = () => undefined;
    const start = () => {
      runs++;
      return new Promise<number>((r) => (finish = r));
    };
    const a = f.run('k', start);
    const b = f.run('k', start);
    const other = f.run('other', () => Promise.resolve(7));
    expect(a).toBe(b);
    expect([runs, f.size]).toEqual([1, 2]);
    finish(42);
    expect(await Promise.all([a, b, other])).toEqual([42, 42, 7]);
    expect(f.size).toBe(0);
  });

  it('shares a failure too, and a later ask runs again', async () => {
    const f = new InFlight<number>();
    let runs = 0;
    const failing = () => {
      runs++;
      return Promise.reject(new Error('down'));
    };
    const results = await Promise.allSettled([f.run('k', failing), f.run('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toBe(1);
    await expect(f.run('k', () => Promise.resolve(1))).resolves.toBe(1);
  });
});
