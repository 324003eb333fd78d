/**
 * Consul is not what the service's health depends on: without it the service answers everything
 * Nomad holds, so /-/ready stays ready; /metrics counts Consul's calls and failures apart from Nomad's.
 */
import request from 'supertest';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.close());

describe('Consul and the service\'s health', () => {
  it('/-/ready answers 200 while Consul is down', async () => {
    await h.consul.goAway();
    const r = await request(h.built.app).get('/-/ready');
    expect([r.status, r.text]).toEqual([200, 'OK\n']);
  });

  it('/metrics has the Consul call and failure series', async () => {
    const r = await request(h.built.app).get('/metrics');
    expect(r.text).toContain('# HELP dtle_compat_consul_request_duration_seconds Consul call latency by operation and status');
    expect(r.text).toContain('# HELP dtle_compat_consul_errors_total Consul calls that failed, by operation and kind');
  });
});
