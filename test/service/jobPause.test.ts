import { canaryJob } from '../reliability/helpers';
import { startHarness, type Harness } from '../support/harness';

describe('JobPause', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ pause_mechanism: 'emulate' });
  });
  afterEach(async () => h.close());

  const unchanged = { Success: false, Index: 0, LastContact: 0, KnownLeader: false };

  it('pause saves the spec and stops the job; a second pause changes nothing; resume brings it back', async () => {
    const { jobWrites, jobPause, jobReads } = h.built.services;
    await jobWrites.register(canaryJob('pz-1'), {});
    const paused = await jobPause.pause('pz-1', {});
    expect(paused.response.Success).toBe(true);
    expect((await jobReads.get('pz-1', {})).job.Status).toBe('pause');
    const again = await jobPause.pause('pz-1', {});
    expect([again.response, again.meta.index]).toEqual([unchanged, '0']);
    const resumed = await jobPause.resume('pz-1', {});
    expect(resumed.response.Success).toBe(true);
    const read = await jobReads.get('pz-1', {});
    expect([read.job.Status, read.paused, read.raw?.Stop]).toEqual([read.raw?.Status, null, false]);
    expect((await jobPause.resume('pz-1', {})).response).toEqual(unchanged);
  });

  it('resumes a paused job Nomad has garbage-collected, from its saved spec', async () => {
    const { jobWrites, jobPause, jobReads } = h.built.services;
    await jobWrites.register(canaryJob('pz-2'), {});
    await jobPause.pause('pz-2', {});
    h.sim.gcJob('pz-2');
    const gone = await jobReads.get('pz-2', {});
    expect([gone.raw, gone.job.Status]).toEqual([null, 'pause']);
    expect((await jobPause.resume('pz-2', {})).response.Success).toBe(true);
    expect((await jobReads.get('pz-2', {})).raw?.ID).toBe('pz-2');
  });
});
