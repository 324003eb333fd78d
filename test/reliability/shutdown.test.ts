/**
 * Shutdown while the service is busy with Nomad: once shutdown() resolves, no further call reaches
 * Nomad (queued and in-flight calls of the background watches are abandoned), so the process can exit.
 */
import { startService } from '../../src';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging';
import { TEST_REPLICA } from '../support/harness';
import { SimNomad } from '@dtle-compat/sim';

it('after shutdown() resolves, Nomad receives no more calls', async () => {
  const sim = new SimNomad();
  const url = await sim.listen();
  sim.seedDtleJobs(200);
  // every answer is slow: the job-spec watch's cold fetch of 200 jobs (16 at a time) takes seconds
  sim.faults.delayMs = 300;
  const service = await startService({
    config: Object.freeze({ ...loadConfig({ env: {} }), consul: '', replica: TEST_REPLICA, api_addr: '127.0.0.1:0', nomad_addr: url, shutdown_timeout_ms: 2000 }),
    logger: createLogger({ silent: true }),
  });
  try {
    // the watch has listed the jobs and is fetching them
    for (let i = 0; i < 100 && !sim.calls.some((c) => c.path.startsWith('/v1/job/')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sim.calls.some((c) => c.path.startsWith('/v1/job/'))).toBe(true);
    await service.shutdown();
    // requests already on the wire when the sockets closed may still be read by the simulator (seen
    // under load); a fan-out that went on would keep calling for seconds (200 jobs, 16 at a time, 300 ms each)
    await new Promise((r) => setTimeout(r, 250));
    const atShutdown = sim.calls.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(sim.calls.slice(atShutdown)).toEqual([]);
  } finally {
    await service.shutdown();
    sim.faults.delayMs = 0;
    await sim.close();
  }
});
