/**
 * Nomad agent answers → dtle 2.x agent answers (/v1/members, /v1/self). Pure functions.
 *
 * 2.x servers tagged their serf members with role "server" (Nomad says "nomad") plus region, dc,
 * port (RPC), bootstrap and build; other Nomad tags (vsn, raft_vsn, id, rpc_addr, …) had no 2.x
 * counterpart and are dropped.
 */
import type { AgentMember, AgentSelf, RaftConfiguration, ServerMembers } from '../nomad/types';
import type { LegacyAgentConfig, LegacyAgentSelf, LegacyRaftConfiguration, LegacyServerMember, LegacyServerMembers } from '../legacy/types';
import { hostOf, portOf } from './node';
import { goDuration } from '../nomad/go';
import { int64 } from '../legacy/int64';

const KEPT_TAGS = ['region', 'dc', 'port', 'bootstrap', 'build'] as const;

/** Nomad's member tags as 2.x's. */
export function legacyMemberTags(tags: Record<string, string> | null): Record<string, string> | null {
  if (tags === null) return null;
  const out: Record<string, string> = {};
  if (tags.role !== undefined) out.role = tags.role === 'nomad' ? 'server' : tags.role;
  for (const k of KEPT_TAGS) if (tags[k] !== undefined) out[k] = tags[k] as string;
  return out;
}

export function legacyMember(m: AgentMember): LegacyServerMember {
  return {
    Name: m.Name,
    Addr: m.Addr,
    Port: m.Port,
    Tags: legacyMemberTags(m.Tags),
    Status: m.Status,
    ProtocolMin: m.ProtocolMin,
    ProtocolMax: m.ProtocolMax,
    ProtocolCur: m.ProtocolCur,
    DelegateMin: m.DelegateMin,
    DelegateMax: m.DelegateMax,
    DelegateCur: m.DelegateCur,
  };
}

/** models.ServerMembersResponse */
/** 2.x's RaftConfigurationResponse: each server's ID, Node, Address, Leader, Voter (no RaftProtocol). */
export function legacyRaftConfiguration(c: RaftConfiguration): LegacyRaftConfiguration {
  return { Servers: c.Servers.map(({ ID, Node, Address, Leader, Voter }) => ({ ID, Node, Address, Leader, Voter })), Index: int64(c.Index) };
}

export function legacyMembers(s: ServerMembers): LegacyServerMembers {
  return { ServerName: s.ServerName, ServerRegion: s.ServerRegion, ServerDC: s.ServerDC, Members: s.Members.map(legacyMember) };
}

const EMPTY_MEMBER: LegacyServerMember = {
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
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const bool = (v: unknown): boolean => v === true;
const strs = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;
const strMap = (v: unknown): Record<string, string> | null => {
  if (!isObj(v)) return null;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};
/** a Go duration that Nomad wrote as nanoseconds (or already as text) */
const duration = (v: unknown): string => (typeof v === 'number' ? goDuration(v) : str(v));
const portNumber = (addr: string): number => {
  const p = Number(portOf(addr));
  return Number.isInteger(p) ? p : 0;
};

export interface SelfOptions {
  /** config api_addr: the 2.x HTTP address is this service's */
  apiAddr: string;
  /** config advertise_addr */
  advertiseAddr: string;
}

/** Nomad's agent Version ({Version, VersionPrerelease, VersionMetadata, Revision}) as 2.x's Version text. */
function versionText(v: unknown): { version: string; revision: string } {
  if (typeof v === 'string') return { version: v, revision: '' };
  const o = obj(v);
  let version = str(o.Version);
  if (str(o.VersionPrerelease)) version += `-${str(o.VersionPrerelease)}`;
  if (str(o.VersionMetadata)) version += `+${str(o.VersionMetadata)}`;
  return { version, revision: str(o.Revision) };
}

/**
 * 2.x's agent Config from Nomad's agent config: the values Nomad has, 2.x's zero values for the
 * rest. The HTTP address and port are this service's (it is the 2.x API), NATS belongs to the
 * dtle plugin (not reported by Nomad): 0 / "". Nothing secret is copied (Consul and Vault blocks,
 * ACL and TLS settings are left out).
 */
export function legacyAgentConfig(config: Obj, opts: SelfOptions): LegacyAgentConfig {
  const ports = obj(config.Ports);
  const addresses = obj(config.Addresses);
  const advertise = obj(config.AdvertiseAddrs);
  const client = obj(config.Client);
  const server = obj(config.Server);
  const serverJoin = obj(server.ServerJoin);
  const { version, revision } = versionText(config.Version);
  const apiHost = hostOf(opts.apiAddr);
  return {
    Region: str(config.Region),
    Datacenter: str(config.Datacenter),
    NodeName: str(config.NodeName),
    DataDir: str(config.DataDir),
    PprofSwitch: false,
    PprofTime: 0,
    LogLevel: str(config.LogLevel),
    LogMaxSize: 0,
    LogMaxBackups: num(config.LogRotateMaxFiles),
    LogToStdout: str(config.LogFile) === '',
    PidFile: '',
    LogFile: str(config.LogFile),
    BindAddr: str(config.BindAddr),
    Ports: { HTTP: portNumber(opts.apiAddr), RPC: num(ports.RPC), Serf: num(ports.Serf), Nats: 0 },
    Addresses: { HTTP: apiHost === '0.0.0.0' ? '' : apiHost, RPC: str(addresses.RPC), Serf: str(addresses.Serf), Nats: '' },
    AdvertiseAddrs: { HTTP: opts.advertiseAddr, RPC: str(advertise.RPC), Serf: str(advertise.Serf), Nats: '' },
    Client: {
      Enabled: bool(client.Enabled),
      StateDir: str(client.StateDir),
      Servers: strs(client.Servers),
      NoHostUUID: bool(client.NoHostUUID),
    },
    Server: {
      Enabled: bool(server.Enabled),
      BootstrapExpect: num(server.BootstrapExpect),
      DataDir: str(server.DataDir),
      NumSchedulers: num(server.NumSchedulers),
      EnabledSchedulers: strs(server.EnabledSchedulers),
      HeartbeatGrace: duration(server.HeartbeatGrace),
      StartJoin: strs(server.StartJoin) ?? strs(serverJoin.StartJoin),
      RetryMaxAttempts: num(server.RetryMaxAttempts) || num(serverJoin.RetryMaxAttempts),
      RetryInterval: duration(server.RetryInterval) || duration(serverJoin.RetryInterval),
    },
    Profile: '',
    LeaveOnInt: bool(config.LeaveOnInt),
    LeaveOnTerm: bool(config.LeaveOnTerm),
    Version: version,
    Revision: revision,
    Files: strs(config.Files),
    HTTPAPIResponseHeaders: strMap(config.HTTPAPIResponseHeaders),
    EnableUi: bool(obj(config.UI).Enabled),
    UiDir: '',
    DtleSchemaName: 'dtle',
    ...ONLY_2X_CONFIG,
    Consul: { ...ONLY_2X_CONFIG.Consul },
    Metric: { ...ONLY_2X_CONFIG.Metric },
    Network: { ...ONLY_2X_CONFIG.Network },
  };
}

/**
 * 2.x's config blocks that describe 2.x's own agent (its Consul client, coverage and Jaeger
 * settings, metrics, NATS payload): its defaults (agent/config.go DefaultConfig), since nothing of
 * Nomad's corresponds; Nomad's Consul block (with its token) is never copied.
 */
const ONLY_2X_CONFIG = {
  Consul: {
    Addr: '', Auth: '', AutoAdvertise: true, CAFile: '', CertFile: '', ChecksUseAdvertise: false, ClientAutoJoin: true, ClientServiceName: 'client',
    EnableSSL: false, KeyFile: '', ServerAutoJoin: true, ServerServiceName: 'server', Timeout: 5_000_000_000, Token: '', VerifySSL: false,
  },
  CoverageReportPort: 0,
  CoverageReportRawCodeDir: '',
  JaegerAgentAddress: '',
  JaegerAgentPort: '',
  Metric: { CollectionInterval: '1s', DisableHostname: false, PublishAllocationMetrics: false, PublishNodeMetrics: false, UseNodeName: false },
  Network: { MaxPayload: 104_857_600 },
} as const satisfies Pick<LegacyAgentConfig, 'Consul' | 'CoverageReportPort' | 'CoverageReportRawCodeDir' | 'JaegerAgentAddress' | 'JaegerAgentPort' | 'Metric' | 'Network'>;

/**
 * 2.x's stats sections (internal/server/server.go:793–800): client, server, raft, serf, runtime.
 * Nomad's `nomad` section is 2.x's `server` (its `server` flag is 2.x's `manager`); Nomad-only
 * sections (vault, …) are left out.
 */
function legacyStats(nomad: Record<string, unknown>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [section, values] of Object.entries(nomad)) {
    const m = strMap(values);
    if (m === null) continue;
    if (section === 'nomad') {
      const { server, ...rest } = m;
      out.server = server === undefined ? rest : { manager: server, ...rest };
    } else if (['client', 'raft', 'serf', 'runtime'].includes(section)) out[section] = m;
  }
  return out;
}

/** 2.x's agentSelf from Nomad's /v1/agent/self. */
export function legacyAgentSelf(self: AgentSelf, opts: SelfOptions): LegacyAgentSelf {
  const stats = legacyStats(self.stats);
  const config = legacyAgentConfig(self.config, opts);
  // Nomad leaves config.NodeName empty unless `name` is set, and then names its member
  // "<hostname>.<region>"; 2.x's NodeName defaulted to the hostname as well
  const memberName = typeof self.member?.Name === 'string' ? self.member.Name : '';
  if (config.NodeName === '' && config.Region !== '' && memberName.endsWith(`.${config.Region}`)) {
    config.NodeName = memberName.slice(0, -(config.Region.length + 1));
  }
  return {
    config,
    member: self.member ? legacyMember(self.member) : EMPTY_MEMBER,
    stats,
  };
}
