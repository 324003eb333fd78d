import { loadAnswered } from '../support/fixtures2x';

/** The real 2.x server's /v1/self, and its config blocks that Nomad has no counterpart for. */
const SELF_2X = JSON.parse(loadAnswered('self').body) as { config: Record<string, unknown>; stats: Record<string, Record<string, string>> };
const ONLY_2X_CONFIG = Object.fromEntries(
  ['Consul', 'CoverageReportPort', 'CoverageReportRawCodeDir', 'JaegerAgentAddress', 'JaegerAgentPort', 'Metric', 'Network'].map((k) => [k, SELF_2X.config[k]]),
);
import { AgentSelf, ServerMembers } from '../../src/nomad/types';
import { legacyAgentSelf, legacyMembers, legacyMemberTags } from '../../src/translate/agent';
import { legacyFixture, sortedKeys, typesOf } from '../support/runtimeFixtures';

/** seed 003: GET /v1/members of a 2.x server */
const seedMembers = legacyFixture<{ Members: Array<Record<string, unknown>> } & Record<string, unknown>>('members.json');
const seedMember = seedMembers.Members[0] as Record<string, unknown>;

/** Nomad 1.x's /v1/agent/members for one server (api.AgentMember fields, the tags a Nomad server sets) */
const nomadMembers = ServerMembers.parse({
  ServerName: 'udp-6',
  ServerRegion: 'global',
  ServerDC: 'dc1',
  Members: [
    {
      Name: 'udp-6.global',
      Addr: '172.17.5.6',
      Port: 4648,
      Tags: {
        role: 'nomad',
        region: 'global',
        dc: 'dc1',
        port: '4647',
        bootstrap: '1',
        build: '1.11.3',
        vsn: '1',
        mvn: '1',
        raft_vsn: '3',
        id: '6a4f3c4e-0000-0000-0000-000000000001',
        rpc_addr: '172.17.5.6',
      },
      Status: 'alive',
      ProtocolMin: 1,
      ProtocolMax: 5,
      ProtocolCur: 2,
      DelegateMin: 2,
      DelegateMax: 5,
      DelegateCur: 4,
    },
  ],
});

describe('legacyMembers', () => {
  const out = legacyMembers(nomadMembers);
  it("has seed 003's keys and JSON types", () => {
    expect(sortedKeys(out)).toEqual(sortedKeys(seedMembers));
    expect(typesOf(out)).toEqual(typesOf(seedMembers));
    const m = (out.Members ?? [])[0] as unknown as Record<string, unknown>;
    expect(sortedKeys(m)).toEqual(sortedKeys(seedMember));
    expect(typesOf(m)).toEqual(typesOf(seedMember));
    expect(sortedKeys(m.Tags)).toEqual(sortedKeys(seedMember.Tags));
  });
  it("maps Nomad's tags to 2.x's: role nomad → server; region, dc, port, bootstrap, build kept; the rest dropped", () => {
    expect(out).toEqual({
      ServerName: 'udp-6',
      ServerRegion: 'global',
      ServerDC: 'dc1',
      Members: [
        {
          Name: 'udp-6.global',
          Addr: '172.17.5.6',
          Port: 4648,
          Tags: { role: 'server', region: 'global', dc: 'dc1', port: '4647', bootstrap: '1', build: '1.11.3' },
          Status: 'alive',
          ProtocolMin: 1,
          ProtocolMax: 5,
          ProtocolCur: 2,
          DelegateMin: 2,
          DelegateMax: 5,
          DelegateCur: 4,
        },
      ],
    });
  });
  it('keeps another role as it is and tolerates null tags', () => {
    expect(legacyMemberTags({ role: 'client', expect: '3' })).toEqual({ role: 'client' });
    expect(legacyMemberTags(null)).toBeNull();
  });
});

describe('legacyAgentSelf', () => {
  /** the parts of Nomad 1.x's /v1/agent/self that 2.x had, plus secrets that must not come out */
  const self = AgentSelf.parse({
    config: {
      Region: 'global',
      Datacenter: 'dc1',
      NodeName: 'udp-6',
      DataDir: '/var/lib/nomad',
      LogLevel: 'INFO',
      LogFile: '',
      BindAddr: '0.0.0.0',
      Ports: { HTTP: 4646, RPC: 4647, Serf: 4648 },
      Addresses: { HTTP: '0.0.0.0', RPC: '0.0.0.0', Serf: '0.0.0.0' },
      AdvertiseAddrs: { HTTP: '172.17.5.6:4646', RPC: '172.17.5.6:4647', Serf: '172.17.5.6:4648' },
      Client: { Enabled: true, StateDir: '/var/lib/nomad/client', Servers: ['127.0.0.1:4647'], NoHostUUID: true },
      Server: {
        Enabled: true,
        BootstrapExpect: 1,
        DataDir: '/var/lib/nomad/server',
        NumSchedulers: 2,
        EnabledSchedulers: ['service', 'batch', 'system', 'sysbatch', '_core'],
        HeartbeatGrace: 10_000_000_000,
        StartJoin: null,
        RetryMaxAttempts: 0,
        RetryInterval: 30_000_000_000,
      },
      LeaveOnInt: false,
      LeaveOnTerm: true,
      Version: { Revision: 'abc123', Version: '1.11.3', VersionPrerelease: '', VersionMetadata: '' },
      Files: ['/etc/nomad.d/nomad.hcl'],
      HTTPAPIResponseHeaders: null,
      UI: { Enabled: true },
      Consul: { Token: 'consul-secret-token', Addr: '127.0.0.1:8500' },
      Vault: { Token: 'vault-secret-token' },
      ACL: { Enabled: true, ReplicationToken: 'acl-secret' },
    },
    member: nomadMembers.Members[0],
    stats: { nomad: { leader: 'true', server: 'true' }, runtime: { goroutines: '93' }, bogus: 'x' },
  });
  const out = legacyAgentSelf(self, { apiAddr: '0.0.0.0:8190', advertiseAddr: '172.17.5.6:8190' });

  it("has 2.x's lower-case top keys, Datacenter and Region where the 2.x client reads them", () => {
    expect(Object.keys(out)).toEqual(['config', 'member', 'stats']);
    expect(out.config.Datacenter).toBe('dc1');
    expect(out.config.Region).toBe('global');
    expect(out.member.Name).toBe('udp-6.global');
    expect(out.member.Tags).toEqual({ role: 'server', region: 'global', dc: 'dc1', port: '4647', bootstrap: '1', build: '1.11.3' });
  });

  it("fills 2.x's Config from Nomad's; the HTTP address is this service's; durations in Go's text", () => {
    expect(out.config).toEqual({
      Region: 'global',
      Datacenter: 'dc1',
      NodeName: 'udp-6',
      DataDir: '/var/lib/nomad',
      PprofSwitch: false,
      PprofTime: 0,
      LogLevel: 'INFO',
      LogMaxSize: 0,
      LogMaxBackups: 0,
      LogToStdout: true,
      PidFile: '',
      LogFile: '',
      BindAddr: '0.0.0.0',
      Ports: { HTTP: 8190, RPC: 4647, Serf: 4648, Nats: 0 },
      Addresses: { HTTP: '', RPC: '0.0.0.0', Serf: '0.0.0.0', Nats: '' },
      AdvertiseAddrs: { HTTP: '172.17.5.6:8190', RPC: '172.17.5.6:4647', Serf: '172.17.5.6:4648', Nats: '' },
      Client: { Enabled: true, StateDir: '/var/lib/nomad/client', Servers: ['127.0.0.1:4647'], NoHostUUID: true },
      Server: {
        Enabled: true,
        BootstrapExpect: 1,
        DataDir: '/var/lib/nomad/server',
        NumSchedulers: 2,
        EnabledSchedulers: ['service', 'batch', 'system', 'sysbatch', '_core'],
        HeartbeatGrace: '10s',
        StartJoin: null,
        RetryMaxAttempts: 0,
        RetryInterval: '30s',
      },
      Profile: '',
      LeaveOnInt: false,
      LeaveOnTerm: true,
      Version: '1.11.3',
      Revision: 'abc123',
      Files: ['/etc/nomad.d/nomad.hcl'],
      HTTPAPIResponseHeaders: null,
      EnableUi: true,
      UiDir: '',
      DtleSchemaName: 'dtle',
      ...ONLY_2X_CONFIG,
    });
  });

  it('copies no Consul, Vault or ACL secret', () => {
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/secret/);
  });

  it("keeps 2.x's string-valued stats sections, Nomad's `nomad` as 2.x's `server` (its `server` flag as `manager`)", () => {
    expect(out.stats).toEqual({ server: { leader: 'true', manager: 'true' }, runtime: { goroutines: '93' } });
    expect(Object.keys(SELF_2X.stats).sort()).toEqual(['client', 'raft', 'runtime', 'serf', 'server']);
    expect(Object.keys(SELF_2X.stats.server ?? {}).sort()).toEqual(['bootstrap', 'known_regions', 'leader', 'leader_addr', 'manager']);
  });

  it("takes NodeName from the member's name when Nomad's config has none (no `name` set: hostname.region), as 2.x defaulted to the hostname", () => {
    const unnamed = AgentSelf.parse({ config: { ...self.config, NodeName: '' }, member: { ...nomadMembers.Members[0], Name: 'vm.global' }, stats: {} });
    expect(legacyAgentSelf(unnamed, { apiAddr: '0.0.0.0:8190', advertiseAddr: '' }).config.NodeName).toBe('vm');
    // a member of another region's name is not taken apart
    const other = AgentSelf.parse({ config: { ...self.config, NodeName: '' }, member: { ...nomadMembers.Members[0], Name: 'vm.east' }, stats: {} });
    expect(legacyAgentSelf(other, { apiAddr: '0.0.0.0:8190', advertiseAddr: '' }).config.NodeName).toBe('');
    expect(out.config.NodeName).toBe('udp-6');
  });

  it('gives an empty member for an agent that is not a server', () => {
    const client = legacyAgentSelf(AgentSelf.parse({ config: {}, stats: {} }), { apiAddr: '127.0.0.1:8190', advertiseAddr: '' });
    expect(client.member).toEqual({
      Name: '',
      Addr: '',
      Port: 0,
      Tags: null,
      Status: '',
      ProtocolMin: 0,
      ProtocolMax: 0,
      ProtocolCur: 0,
      DelegateMin: 0,
      DelegateMax: 0,
      DelegateCur: 0,
    });
    expect(client.config.Addresses.HTTP).toBe('127.0.0.1');
    expect(client.config.Ports.HTTP).toBe(8190);
  });
});
