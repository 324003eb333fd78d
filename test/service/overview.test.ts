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
});
