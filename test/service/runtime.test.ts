import { startHarness, type Harness } from '../support/harness';

describe('RuntimeService', () => {
  let h: Harness;
  afterEach(async () => h.close());

  it("job allocations: a missing job has none, with the list read's meta", async () => {
    h = await startHarness();
    const { body, meta } = await h.built.services.runtime.jobAllocations('nope', {}, {}, false);
    expect(body).toEqual([]);
    expect(meta.index).toMatch(/^\d+$/);
  });

  it("job allocations: the job's allocations keyed by legacy task, the job looked up without blocking", async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(1, { withAllocs: true });
    h.sim.resetCalls();
    const { body, meta } = await h.built.services.runtime.jobAllocations('sim-dtle-00001', {}, { index: '1', wait: '10ms' }, false);
    expect(body.map((a) => [a.Task, a.Name]).sort()).toEqual([
      ['Dest', 'sim-dtle-00001.Dest'],
      ['Src', 'sim-dtle-00001.Src'],
    ]);
    expect(meta.index).toMatch(/^\d+$/);
    const blocking = h.sim.calls.filter((c) => /(^|&)index=/.test(c.query)).map((c) => c.path);
    expect(blocking).toEqual(['/v1/job/sim-dtle-00001/allocations']);
  });

  it('lists of allocations take the task layout from the job-spec cache once it holds the job', async () => {
    h = await startHarness();
    h.sim.seedDtleJobs(2, { withAllocs: true });
    await h.built.services.jobReads.list({});
    h.sim.resetCalls();
    const { body } = await h.built.services.runtime.allocations({}, {});
    expect(body).toHaveLength(4);
    expect(h.sim.calls.map((c) => c.path)).toEqual(['/v1/allocations']);
  });

  it("statistics of an allocation it does not know: 2.x's 500 unknown allocation ID", async () => {
    h = await startHarness();
    await expect(h.built.services.runtime.allocStats('a3c5e7f9-1b2d-4c6e-8a0f-2d4b6c8e0a1f', '', {})).rejects.toMatchObject({
      status: 500,
      message: 'unknown allocation ID "a3c5e7f9-1b2d-4c6e-8a0f-2d4b6c8e0a1f"',
    });
  });

  it('status reads answer Nomad\'s value as it is', async () => {
    h = await startHarness();
    const leader = await h.built.services.runtime.status('/v1/status/leader', {}, {});
    const peers = await h.built.services.runtime.status('/v1/status/peers', {}, {});
    expect(typeof leader.body).toBe('string');
    expect(peers.body).toContain(leader.body);
  });
});
