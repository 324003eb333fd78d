import { startHarness, type Harness } from '../support/harness';

describe('Overview (the operator page reads)', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it('reads the dtle jobs, their allocations and the nodes; loads at once for one token share the reads', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(2, { withAllocs: true });
    h.sim.faults.delayMs = 5;
    h.sim.resetCalls();
    const [a, b] = await Promise.all([h.built.services.overview.load(undefined), h.built.services.overview.load(undefined)]);
    expect(a).toBe(b);
    expect(a.jobs.map((j) => j.ID)).toEqual(['sim-dtle-00001', 'sim-dtle-00002']);
    expect(a.allocs).toHaveLength(4);
    expect(a.nodes.map((n) => n.Name)).toEqual(['nomad0']);
    expect(h.sim.calls.filter((c) => c.path === '/v1/nodes')).toHaveLength(1);
    const later = await h.built.services.overview.load(undefined);
    expect(later).not.toBe(a);
  });

  it('does not share a load between tokens', async () => {
    h = await startHarness({}, { aclToken: 'right-token-456' });
    const ok = h.built.services.overview.load('right-token-456');
    const refused = h.built.services.overview.load('wrong');
    await expect(ok).resolves.toMatchObject({ jobs: [] });
    await expect(refused).rejects.toMatchObject({ status: 403 });
  });

  it('a load costs the legacy list, one allocations list, one node list and one recursive Consul read: no call per job once the specs are cached', async () => {
    h = await startHarness();
    // (the count is the benchmark's business: 300 jobs show any per-job call as well as 1,000)
    h.sim.seedDtleJobs(300, { withAllocs: true });
    // the first load reads the specs the cache does not hold yet, as the first legacy list does
    await h.built.services.overview.load(undefined);
    h.sim.resetCalls();
    h.consul.calls.length = 0;
    const data = await h.built.services.overview.load(undefined);
    expect(data.jobs).toHaveLength(300);
    expect(data.allocs).toHaveLength(600);
    expect(data.observed.size).toBe(300);
    expect(h.sim.calls.map((c) => c.path).filter((p) => !p.startsWith('/v1/var')).sort()).toEqual(['/v1/allocations', '/v1/jobs', '/v1/nodes']);
    expect(h.consul.calls.map((c) => `${c.path}?${c.query}`).sort()).toEqual(['/v1/kv/dtle/?recurse=', '/v1/kv/dtleJobList/?recurse=', '/v1/kv/dtleJobList/?recurse=']);
  }, 60_000);

  it('keeps the last good load per token: Nomad failing then gives it back marked with the failure', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(1);
    const good = await h.built.services.overview.load(undefined);
    expect(good.nomadFailure).toBeNull();
    h.sim.faults.status = 500;
    const stale = await h.built.services.overview.load(undefined);
    expect(stale.jobs).toBe(good.jobs);
    expect(stale.readAtMs).toBe(good.readAtMs);
    expect(stale.nomadFailure?.status).toBe(500);
    // another token has no earlier load: the failure itself
    await expect(h.built.services.overview.load('other')).rejects.toMatchObject({ status: 500 });
  });
});
