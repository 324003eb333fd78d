/**
 * Nomad nodes → dtle 2.x nodes. Pure functions.
 *
 * `HTTPAddr` of a 2.x node was that node's 2.x API (the 2.x Go client calls
 * `http://{HTTPAddr}/v1/agent/allocation/{ID}/stats`), so here it names dtle-compat: the configured
 * `advertise_addr`, else the node's address with the port of `api_addr`. Never Nomad's own port.
 */
import type { NodeDetail, NodeListStub, NodeUpdateResponse } from '../nomad/types';
import type { LegacyNode, LegacyNodeListStub, LegacyNodeUpdateResponse } from '../legacy/types';

export interface HttpAddrOptions {
  /** config advertise_addr ("" = derive) */
  advertiseAddr: string;
  /** config api_addr (host:port this service listens on) */
  apiAddr: string;
}

/** host:port, IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/** The host part of host:port (brackets of IPv6 removed); the whole text when there is no port. */
export function hostOf(addr: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  if (v6) return v6[1] as string;
  const colon = addr.lastIndexOf(':');
  if (colon > 0 && addr.indexOf(':') === colon) return addr.slice(0, colon);
  return addr;
}

export function portOf(addr: string): string {
  const colon = addr.lastIndexOf(':');
  return colon >= 0 ? addr.slice(colon + 1) : '';
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** The 2.x API address of a node whose reachable address is `nodeAddress`. */
export function legacyHttpAddr(nodeAddress: string, opts: HttpAddrOptions): string {
  if (opts.advertiseAddr !== '') return opts.advertiseAddr;
  const port = portOf(opts.apiAddr);
  if (nodeAddress !== '') return joinHostPort(nodeAddress, port);
  const listen = hostOf(opts.apiAddr);
  return WILDCARD.has(listen) ? '' : joinHostPort(listen, port);
}

/** A node's reachable address: Nomad's Address, else its unique.network.ip-address, else the host of its HTTPAddr. */
export function nodeAddressOf(n: { Address?: string | undefined; Attributes?: Record<string, string> | null; HTTPAddr?: string | undefined }): string {
  if (n.Address) return n.Address;
  const ip = n.Attributes?.['unique.network.ip-address'];
  if (ip) return ip;
  return n.HTTPAddr ? hostOf(n.HTTPAddr) : '';
}

/** models.NodeListStub */
export function legacyNodeStub(n: NodeListStub, opts: HttpAddrOptions): LegacyNodeListStub {
  return {
    ID: n.ID,
    Datacenter: n.Datacenter,
    Name: n.Name,
    HTTPAddr: legacyHttpAddr(nodeAddressOf(n), opts),
    Status: n.Status,
    StatusDescription: n.StatusDescription,
    CreateIndex: n.CreateIndex,
    ModifyIndex: n.ModifyIndex,
  };
}

/**
 * 2.x's node Attributes (internal/client/client.go:564): exactly its two drivers, for a node that
 * runs dtle (its `driver.<name>` fingerprint, for a name in `drivers`); Nomad's fingerprint keys
 * are not 2.x's. A node without dtle has none.
 */
export function legacyNodeAttributes(attributes: Record<string, string> | null, drivers: readonly string[]): Record<string, string> {
  const detected = (v: string | undefined) => v === 'true' || v === '1';
  return drivers.some((d) => detected(attributes?.[`driver.${d}`])) ? { 'driver.Kafka': '1', 'driver.MySQL': '1' } : {};
}

/** models.Node. NatsAddr / NatsAdvertiseAddr belong to the dtle plugin's config, which Nomad does not report: "". */
export function legacyNode(n: NodeDetail, opts: HttpAddrOptions, drivers: readonly string[]): LegacyNode {
  return {
    ID: n.ID,
    Datacenter: n.Datacenter,
    Name: n.Name,
    HTTPAddr: legacyHttpAddr(nodeAddressOf({ Attributes: n.Attributes, HTTPAddr: n.HTTPAddr }), opts),
    NatsAddr: '',
    NatsAdvertiseAddr: '',
    Attributes: legacyNodeAttributes(n.Attributes, drivers),
    ComputedClass: n.ComputedClass,
    Status: n.Status,
    StatusDescription: n.StatusDescription,
    StatusUpdatedAt: n.StatusUpdatedAt,
    CreateIndex: n.CreateIndex,
    ModifyIndex: n.ModifyIndex,
  };
}

/** models.NodeUpdateResponse from Nomad's (the same fields; Nomad's extra ones are dropped). */
export function legacyNodeUpdateResponse(r: NodeUpdateResponse): LegacyNodeUpdateResponse {
  return {
    HeartbeatTTL: r.HeartbeatTTL,
    EvalIDs: r.EvalIDs,
    EvalCreateIndex: r.EvalCreateIndex,
    NodeModifyIndex: r.NodeModifyIndex,
    LeaderRPCAddr: r.LeaderRPCAddr,
    NumNodes: r.NumNodes,
    Servers:
      r.Servers?.map((s) => ({
        RPCAdvertiseAddr: s.RPCAdvertiseAddr,
        RPCMajorVersion: s.RPCMajorVersion,
        RPCMinorVersion: s.RPCMinorVersion,
        Datacenter: s.Datacenter,
      })) ?? null,
    Index: r.Index,
    LastContact: r.LastContact,
    KnownLeader: r.KnownLeader,
  };
}
