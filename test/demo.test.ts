/**
 * `dtle-compat --demo`'s agents: three sample jobs as the service registers them, replicating: two
 * incremental from their Gtid, one copying first, every state in Consul where dtle keeps it.
 */
import { startDemoNomad, type DemoAgents } from '../src/demo';

let demo: DemoAgents;
beforeAll(async () => {
  demo = await startDemoNomad();
});
afterAll(() => demo.close());

describe('the demo', () => {
  it('starts two jobs incremental (their Gtid moving) and one copying, then incremental', () => {
    const { consul, nomad } = demo;
    expect(consul.value('dtle/orders-sync/JobStage')).toBe('job_stage_incr');
    expect(consul.value('dtle/events-to-kafka/JobStage')).toBe('job_stage_incr');
    expect(consul.value('dtle/billing-migration/JobStage')).toBe('job_stage_full');
    expect(consul.value('dtle/billing-migration/DumpProgress')).toBe('[4000,160000]');
    const gtid = consul.value('dtle/orders-sync/Gtid');
    expect(gtid).toMatch(/^8868d98f-af5e-11e8-9aa9-0242ac110002:1-\d+$/);
    nomad.advanceReplication(40_000);
    expect(consul.value('dtle/billing-migration/JobStage')).toBe('job_stage_incr');
    expect(consul.value('dtle/billing-migration/Gtid')).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171');
    expect(consul.value('dtle/orders-sync/Gtid')).not.toBe(gtid);
    // the src task keeps its config, passwords and all, in Consul as dtle 4.23 does
    expect(consul.value('dtle/orders-sync/Config')).toContain('"Password":"demo-password"');
  });
});
