import { dtleJob, startSim, type SimClient } from './helpers';

interface NodeStubJson {
  Address: string;
  ID: string;
  Name: string;
  Datacenter: string;
  NodeClass: string;
  NodePool: string;
  Version: string;
  Status: string;
  SchedulingEligibility: string;
  Drain: boolean;
  Drivers: Record<string, { Attributes: Record<string, string>; Detected: boolean; Healthy: boolean; HealthDescription: string; UpdateTime: string }>;
  CreateIndex: number;
  ModifyIndex: number;
}

describe('nodes', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSim({ datacenter: 'dc7', nodes: [{ name: 'nomad0' }, { name: 'n2', address: '10.1.2.3', dtleVersion: '3.21.07.0' }, { name: 'plain', address: '10.1.2.4', dtleVersion: null }] });
  });
  afterAll(() => c.close());

  it('lists NodeListStubs with Address, Drivers (dtle version attributes), Status and eligibility', async () => {
    const res = await c.get('/v1/nodes');
    expect(res.headers.get('x-nomad-index')).toMatch(/^\d+$/);
    const nodes = res.json as NodeStubJson[];
    expect(nodes).toHaveLength(3);
    expect(nodes.map((n) => n.ID)).toEqual([...nodes.map((n) => n.ID)].sort());
    const byName = Object.fromEntries(nodes.map((n) => [n.Name, n]));
    expect(byName.n2).toMatchObject({ Address: '10.1.2.3', Datacenter: 'dc7', Status: 'ready', SchedulingEligibility: 'eligible', Drain: false, NodeClass: '', NodePool: 'default', Version: '1.11.3' });
    expect(byName.n2?.Drivers.dtle).toMatchObject({ Detected: true, Healthy: true, HealthDescription: 'Healthy', Attributes: { 'driver.dtle': 'true', 'driver.dtle.version': '3.21.07.0', 'driver.dtle.full_version': expect.stringMatching(/^3\.21\.07\.0-HEAD-[0-9a-f]{7}$/) } });
    // the real-dtle tier's builds of dtle's tags: <version>-HEAD-<the tag's release commit>
    expect(byName.nomad0?.Drivers.dtle?.Attributes['driver.dtle.full_version']).toBe('4.23.04.3-HEAD-0645b24');
    expect(byName.plain?.Drivers.raw_exec?.Attributes).toEqual({ 'driver.raw_exec': 'true' });
    expect(byName.nomad0?.Drivers.dtle?.Attributes['driver.dtle.version']).toBe('4.23.04.3');
    expect(byName.nomad0?.Address).toBe('127.0.0.1');
    expect(byName.plain?.Drivers).not.toHaveProperty('dtle');
    expect(byName.plain?.Drivers).toHaveProperty('raw_exec');
    expect(Object.keys(nodes[0] as object)).toEqual(['Address', 'ID', 'Datacenter', 'Name', 'NodePool', 'NodeClass', 'Version', 'Drain', 'SchedulingEligibility', 'Status', 'StatusDescription', 'Drivers', 'HostVolumes', 'LastDrain', 'CreateIndex', 'ModifyIndex']);
    const withFields = (await c.get('/v1/nodes?resources=true&os=true')).json as Array<Record<string, unknown>>;
    expect(withFields[0]).toHaveProperty('NodeResources');
    expect(withFields[0]).toHaveProperty('Attributes', { 'os.name': 'ubuntu' });
    expect((await c.get(`/v1/nodes?prefix=${byName.n2?.ID.slice(0, 8) ?? ''}`)).json).toHaveLength(1);
  });

  it('reads one node with HTTPAddr, Attributes, Drivers, Meta and the JSON extension Drain', async () => {
    const nodes = (await c.get('/v1/nodes')).json as NodeStubJson[];
    const n2 = nodes.find((n) => n.Name === 'n2');
    const res = await c.get(`/v1/node/${n2?.ID ?? ''}`);
    const node = res.json as Record<string, unknown> & { Attributes: Record<string, string>; Drivers: Record<string, { Attributes: Record<string, string> }>; Meta: Record<string, string> };
    expect(node).toMatchObject({ ID: n2?.ID, Name: 'n2', Datacenter: 'dc7', HTTPAddr: '10.1.2.3:4646', SecretID: '', Status: 'ready', Drain: false, NodePool: 'default' });
    expect(node.ComputedClass).toMatch(/^v1:\d+$/);
    expect(node.Attributes['unique.network.ip-address']).toBe('10.1.2.3');
    expect(node.Attributes['driver.dtle.version']).toBe('3.21.07.0');
    expect(node.Attributes['nomad.version']).toBe('1.11.3');
    // Nomad writes a detected driver's attribute as "1" in the node's Attributes; the driver's own fingerprint says "true"
    expect([node.Attributes['driver.dtle'], node.Attributes['driver.raw_exec'], node.Drivers.dtle?.Attributes['driver.dtle']]).toEqual(['1', '1', 'true']);
    expect(node.Meta['connect.log_level']).toBe('info');
    expect(res.headers.get('x-nomad-index')).toBe(String(node.ModifyIndex));
  });

  it('lists the allocations of a node (full allocations) and evaluates a node', async () => {
    const nodes = (await c.get('/v1/nodes')).json as NodeStubJson[];
    const n0 = nodes.find((n) => n.Name === 'nomad0');
    const job = dtleJob('on-node', { Datacenters: ['dc7'] });
    for (const tg of job.TaskGroups as Array<Record<string, unknown>>) tg.Constraints = [{ LTarget: '${node.unique.name}', RTarget: 'nomad0', Operand: '=' }];
    c.sim.registerJob(job);
    const allocs = (await c.get(`/v1/node/${n0?.ID ?? ''}/allocations`)).json as Array<{ JobID: string; Job: { ID: string }; NodeName: string }>;
    expect(allocs.map((a) => [a.JobID, a.Job.ID, a.NodeName])).toEqual([
      ['on-node', 'on-node', 'nomad0'],
      ['on-node', 'on-node', 'nomad0'],
    ]);
    expect((await c.get('/v1/node/00000000-0000-0000-0000-000000000000/allocations')).json).toEqual([]);
    const ev = await c.send('PUT', `/v1/node/${n0?.ID ?? ''}/evaluate`);
    expect(ev.status).toBe(200);
    const body = ev.json as { EvalIDs: string[]; EvalCreateIndex: number; Index: number; NumNodes: number; LeaderRPCAddr: string };
    expect(body.EvalIDs).toHaveLength(1);
    expect(body).toMatchObject({ NumNodes: 3, LeaderRPCAddr: '127.0.0.1:4647', Index: body.EvalCreateIndex });
    const e = (await c.get(`/v1/evaluation/${body.EvalIDs[0] ?? ''}`)).json as Record<string, unknown>;
    expect(e).toMatchObject({ TriggeredBy: 'node-update', NodeID: n0?.ID, JobID: 'on-node', Status: 'complete' });
    const missing = await c.send('POST', '/v1/node/00000000-0000-0000-0000-000000000000/evaluate');
    expect([missing.status, missing.text]).toEqual([500, 'node not found']);
    const malformed = await c.send('POST', '/v1/node/nope/evaluate');
    expect([malformed.status, malformed.text]).toEqual([500, 'node lookup failed: index error: UUID must be 36 characters']);
  });
});

describe('evaluations and allocations lists', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSim();
    c.sim.registerJob(dtleJob('ev-1'));
  });
  afterAll(() => c.close());

  it('lists, filters and reads evaluations and their allocations', async () => {
    const evals = (await c.get('/v1/evaluations?job=ev-1')).json as Array<{ ID: string }>;
    expect(evals).toHaveLength(1);
    const id = evals[0]?.ID ?? '';
    expect(((await c.get(`/v1/evaluations?prefix=${id.slice(0, 4)}`)).json as unknown[]).length).toBeGreaterThanOrEqual(1);
    expect((await c.get('/v1/evaluations?status=blocked')).json).toEqual([]);
    const one = await c.get(`/v1/evaluation/${id}`);
    expect(one.json).toMatchObject({ ID: id, JobID: 'ev-1', Status: 'complete' });
    const allocs = (await c.get(`/v1/evaluation/${id}/allocations`)).json as Array<{ EvalID: string }>;
    expect(allocs.map((a) => a.EvalID)).toEqual([id, id]);
  });

  it('lists allocations with ?prefix, ?task_states=false and ?resources=true', async () => {
    const all = (await c.get('/v1/allocations')).json as Array<{ ID: string; TaskStates: unknown; AllocatedResources?: unknown }>;
    expect(all).toHaveLength(2);
    expect(all[0]?.TaskStates).not.toBeNull();
    expect(all[0]).not.toHaveProperty('AllocatedResources');
    const bare = (await c.get('/v1/allocations?task_states=false&resources=true')).json as typeof all;
    expect(bare[0]?.TaskStates).toBeNull();
    expect(bare[0]?.AllocatedResources).toMatchObject({ Shared: { DiskMB: 300 } });
    expect((await c.get(`/v1/allocations?prefix=${all[0]?.ID.slice(0, 6) ?? ''}`)).json).toHaveLength(1);
  });
});

describe('agent and status', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSim({ region: 'east', datacenter: 'east-1', nodes: [{ name: 'server-1', address: '192.168.1.10' }] });
  });
  afterAll(() => c.close());

  it('GET /v1/agent/members: ServerMembers with serf tags', async () => {
    const res = await c.get('/v1/agent/members');
    expect(res.headers.get('x-nomad-index')).toBeNull();
    const m = res.json as { ServerName: string; ServerRegion: string; ServerDC: string; Members: Array<Record<string, unknown> & { Tags: Record<string, string> }> };
    expect(m).toMatchObject({ ServerName: 'server-1', ServerRegion: 'east', ServerDC: 'east-1' });
    expect(m.Members[0]).toMatchObject({ Name: 'server-1.east', Addr: '192.168.1.10', Port: 4648, Status: 'alive', ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4 });
    expect(m.Members[0]?.Tags).toMatchObject({ role: 'nomad', region: 'east', dc: 'east-1', port: '4647', rpc_addr: '192.168.1.10', build: '1.11.3', bootstrap: '1', expect: '1', raft_vsn: '3', vsn: '1' });
  });

  it('GET /v1/agent/self: config (PascalCase), member, stats (lower-case keys)', async () => {
    const self = (await c.get('/v1/agent/self')).json as { config: Record<string, unknown>; member: Record<string, unknown>; stats: Record<string, Record<string, string>> };
    expect(Object.keys(self)).toEqual(['config', 'member', 'stats']);
    expect(self.config).toMatchObject({ Region: 'east', Datacenter: 'east-1', NodeName: 'server-1', Ports: { HTTP: 4646, RPC: 4647, Serf: 4648 }, Version: { Version: '1.11.3' } });
    expect(self.member).toMatchObject({ Name: 'server-1.east' });
    expect(self.stats.nomad).toMatchObject({ leader: 'true', server: 'true' });
    expect(Object.values(self.stats).every((s) => Object.values(s).every((v) => typeof v === 'string'))).toBe(true);
  });

  it('status leader, peers and regions (JSON values, no query meta)', async () => {
    const leader = await c.get('/v1/status/leader');
    expect([leader.text, leader.headers.get('x-nomad-index')]).toEqual(['"192.168.1.10:4647"', null]);
    expect((await c.get('/v1/status/peers')).json).toEqual(['192.168.1.10:4647']);
    expect((await c.get('/v1/regions')).json).toEqual(['east']);
    expect((await c.get('/v1/agent/health')).json).toEqual({ client: { ok: true, message: 'ok' }, server: { ok: true, message: 'ok' } });
  });

  it('refuses another region: 500 No path to region', async () => {
    const res = await c.get('/v1/jobs?region=west');
    expect([res.status, res.text]).toEqual([500, 'No path to region']);
    expect((await c.get('/v1/jobs?region=east')).status).toBe(200);
  });

  it('puts jobs without a region (or "global") in the agent region', async () => {
    c.sim.registerJob(dtleJob('regional'));
    expect(((await c.get('/v1/job/regional')).json as { Region: string }).Region).toBe('east');
  });
});

describe('ACLs', () => {
  let c: SimClient;
  const token = 'b1a2c3d4-0000-4000-8000-000000000001';
  beforeAll(async () => {
    c = await startSim({ aclToken: token });
  });
  afterAll(() => c.close());

  it('refuses calls without the token and with another one: 403 Permission denied either way, as Nomad 1.11.3 does', async () => {
    for (const p of ['/v1/jobs', '/v1/job/x', '/v1/nodes', '/v1/allocations', '/v1/vars', '/v1/agent/self', '/v1/agent/members']) {
      const res = await c.get(p);
      expect([p, res.status, res.text]).toEqual([p, 403, 'Permission denied']);
    }
    const wrong = await c.get('/v1/jobs', { 'X-Nomad-Token': 'not-it' });
    expect([wrong.status, wrong.text]).toEqual([403, 'Permission denied']);
    const put = await c.send('PUT', '/v1/jobs', { Job: dtleJob('acl-1') });
    expect([put.status, put.text]).toEqual([403, 'Permission denied']);
    expect((await c.send('DELETE', '/v1/job/acl-1')).status).toBe(403);
  });

  it('accepts X-Nomad-Token and Authorization: Bearer; status calls need none', async () => {
    expect((await c.get('/v1/jobs', { 'X-Nomad-Token': token })).status).toBe(200);
    expect((await c.get('/v1/jobs', { Authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await c.get('/v1/status/leader')).status).toBe(200);
    expect((await c.get('/v1/regions')).status).toBe(200);
    const put = await c.send('PUT', '/v1/jobs', { Job: dtleJob('acl-2') }, { 'X-Nomad-Token': token });
    expect(put.status).toBe(200);
    const job = (await c.get('/v1/job/acl-2', { 'X-Nomad-Token': token })).json as { NomadTokenID: string };
    expect(job.NomadTokenID).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.NomadTokenID).not.toBe(token);
  });
});

describe('fault switches', () => {
  let c: SimClient;
  beforeAll(async () => {
    c = await startSim();
    c.sim.registerJob(dtleJob('fault-1'));
  });
  afterEach(() => {
    Object.assign(c.sim.faults, { delayMs: 0, status: null, statusBody: '', malformed: false, noLeader: false });
  });
  afterAll(() => c.close());

  it('status: every call answers that status with statusBody', async () => {
    c.sim.faults.status = 503;
    c.sim.faults.statusBody = 'service unavailable';
    const res = await c.get('/v1/jobs');
    expect([res.status, res.text, res.headers.get('content-type')]).toEqual([503, 'service unavailable', 'text/plain; charset=utf-8']);
    expect(c.sim.calls[c.sim.calls.length - 1]?.path).toBe('/v1/jobs');
  });

  it('malformed: 200 with a body that is not JSON', async () => {
    c.sim.faults.malformed = true;
    const res = await fetch(`${c.url}/v1/job/fault-1`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it('delayMs: answers late', async () => {
    c.sim.faults.delayMs = 250;
    const t = Date.now();
    expect((await c.get('/v1/status/leader')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(240);
  });

  it('noLeader: 500 No cluster leader, except ?stale reads (KnownLeader false) and agent/status calls', async () => {
    c.sim.faults.noLeader = true;
    const res = await c.get('/v1/jobs');
    expect([res.status, res.text]).toEqual([500, 'No cluster leader']);
    expect((await c.send('PUT', '/v1/jobs', { Job: dtleJob('fault-2') })).text).toBe('No cluster leader');
    const stale = await c.get('/v1/jobs?stale');
    expect([stale.status, stale.headers.get('x-nomad-knownleader')]).toEqual([200, 'false']);
    expect((await c.get('/v1/status/leader')).json).toBe('');
    expect((await c.get('/v1/agent/members')).status).toBe(200);
    expect(((await c.get('/v1/agent/self')).json as { stats: { nomad: { leader: string } } }).stats.nomad.leader).toBe('false');
  });
});
