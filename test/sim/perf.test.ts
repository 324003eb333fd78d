import { startSim } from './helpers';

// Timings belong to the benchmark (npm run bench); this only proves the benchmark's setup works at its size.
describe('10,000 dtle jobs (the benchmark setup)', () => {
  it('seeds them with allocations, lists them all, and re-lists after changes', async () => {
    const c = await startSim();
    try {
      c.sim.seedDtleJobs(10_000, { withAllocs: true });
      const res0 = await fetch(`${c.url}/v1/jobs`);
      expect((JSON.parse(await res0.text()) as unknown[]).length).toBe(10_000);

      // a change shows in the next list
      c.sim.setTaskStage('sim-dtle-05000', 'src', 'job_stage_incr');
      await c.send('DELETE', '/v1/job/sim-dtle-00001');
      const res = await c.get('/v1/jobs?prefix=sim-dtle-0000');
      expect((res.json as Array<{ ID: string; Status: string }>)[0]).toMatchObject({ ID: 'sim-dtle-00001', Status: 'dead' });

      const allocs = await c.get('/v1/job/sim-dtle-09999/allocations');
      expect((allocs.json as unknown[]).length).toBe(2);
    } finally {
      await c.close();
    }
  }, 60_000);
});
