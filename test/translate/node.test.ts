import { loadAnswered } from '../support/fixtures2x';
import { NodeDetail, NodeListStub, NodeUpdateResponse } from '../../src/nomad/types';
import {
  hostOf,
  joinHostPort,
  legacyHttpAddr,
  legacyNode,
  legacyNodeAttributes,
  legacyNodeStub,
  legacyNodeUpdateResponse,
  nodeAddressOf,
} from '../../src/translate/node';
import { legacyFixture, sortedKeys, typesOf } from '../support/runtimeFixtures';

/** seed 003: GET /v1/nodes of a 2.x server */
const seedNodes = legacyFixture<Array<Record<string, unknown>>>('nodes.json');

/** seed 002: GET /v1/nodes of Nomad with the dtle plugin (fields as shown there) */
const nomadStub = NodeListStub.parse({
  Address: '127.0.0.1',
  Datacenter: 'dc1',
  Drivers: {
    dtle: {
      Attributes: { 'driver.dtle': 'true', 'driver.dtle.version': '9.9.9.9', 'driver.dtle.full_version': '9.9.9.9-master-eeb399e9' },
      Detected: true,
      Healthy: true,
    },
  },
  ID: '0e70636d-b274-c139-185e-e37dcf7a4bca',
  Name: 'nomad0',
  Status: 'ready',
  StatusDescription: '',
  Version: '0.11.2',
  CreateIndex: 4,
  ModifyIndex: 43,
});

const derived = { advertiseAddr: '', apiAddr: '0.0.0.0:8190' };

describe('HTTPAddr: the 2.x API of the node, i.e. this service', () => {
  it("is the node's address with the port of api_addr (never Nomad's 4646)", () => {
    expect(legacyHttpAddr('172.17.5.6', derived)).toBe('172.17.5.6:8190');
    expect(legacyHttpAddr('fd00::5', { advertiseAddr: '', apiAddr: '[::]:18190' })).toBe('[fd00::5]:18190');
  });
  it('is advertise_addr when set', () => {
    expect(legacyHttpAddr('172.17.5.6', { advertiseAddr: 'dtle-api.example:8190', apiAddr: '0.0.0.0:8190' })).toBe('dtle-api.example:8190');
  });
  it('falls back to a specific listen address, else empty', () => {
    expect(legacyHttpAddr('', { advertiseAddr: '', apiAddr: '10.1.2.3:8190' })).toBe('10.1.2.3:8190');
    expect(legacyHttpAddr('', derived)).toBe('');
  });
  it("finds a node's address: Address, else unique.network.ip-address, else the host of Nomad's HTTPAddr", () => {
    expect(nodeAddressOf({ Address: '10.0.0.1', Attributes: { 'unique.network.ip-address': '10.0.0.2' } })).toBe('10.0.0.1');
    expect(nodeAddressOf({ Attributes: { 'unique.network.ip-address': '10.0.0.2' }, HTTPAddr: '10.0.0.3:4646' })).toBe('10.0.0.2');
    expect(nodeAddressOf({ Attributes: null, HTTPAddr: '10.0.0.3:4646' })).toBe('10.0.0.3');
    expect(nodeAddressOf({ HTTPAddr: '[fd00::3]:4646' })).toBe('fd00::3');
  });
  it('hostOf / joinHostPort', () => {
    expect(hostOf('0.0.0.0:8190')).toBe('0.0.0.0');
    expect(hostOf('[::1]:8190')).toBe('::1');
    expect(hostOf('fd00::1')).toBe('fd00::1');
    expect(joinHostPort('::1', '1')).toBe('[::1]:1');
  });
});

describe('legacyNodeStub', () => {
  const out = legacyNodeStub(nomadStub, derived);
  it("has exactly seed 003's NodeListStub keys and JSON types", () => {
    expect(sortedKeys(out)).toEqual(sortedKeys(seedNodes[0]));
    expect(typesOf(out)).toEqual(typesOf(seedNodes[0]));
  });
  it('fills them from Nomad', () => {
    expect(out).toEqual({
      ID: '0e70636d-b274-c139-185e-e37dcf7a4bca',
      Datacenter: 'dc1',
      Name: 'nomad0',
      HTTPAddr: '127.0.0.1:8190',
      Status: 'ready',
      StatusDescription: '',
      CreateIndex: 4,
      ModifyIndex: 43,
    });
  });
});

describe('legacyNode', () => {
  const node = NodeDetail.parse({
    ID: '0e70636d-b274-c139-185e-e37dcf7a4bca',
    Name: 'nomad0',
    Datacenter: 'dc1',
    HTTPAddr: '172.17.5.6:4646',
    Attributes: { 'unique.network.ip-address': '172.17.5.6', 'kernel.name': 'linux' },
    ComputedClass: 'v1:1234',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: 1645601190,
    CreateIndex: 4,
    ModifyIndex: 43,
  });
  it("is 2.x's Node: HTTPAddr on the 2.x API port, NATS addresses unknown to Nomad left empty, none of Nomad's attributes", () => {
    expect(legacyNode(node, derived, ['dtle'])).toEqual({
      ID: '0e70636d-b274-c139-185e-e37dcf7a4bca',
      Datacenter: 'dc1',
      Name: 'nomad0',
      HTTPAddr: '172.17.5.6:8190',
      NatsAddr: '',
      NatsAdvertiseAddr: '',
      Attributes: {},
      ComputedClass: 'v1:1234',
      Status: 'ready',
      StatusDescription: '',
      StatusUpdatedAt: 1645601190,
      CreateIndex: 4,
      ModifyIndex: 43,
    });
  });
});

describe('legacyNodeUpdateResponse', () => {
  it("keeps 2.x's NodeUpdateResponse fields only", () => {
    const r = NodeUpdateResponse.parse({
      HeartbeatTTL: 0,
      EvalIDs: ['e1'],
      EvalCreateIndex: 50,
      NodeModifyIndex: 43,
      LeaderRPCAddr: '',
      NumNodes: 0,
      Servers: null,
      SchedulingEligibility: '',
      Features: 0,
      Index: 50,
      LastContact: 0,
      KnownLeader: false,
      NextToken: '',
    });
    expect(legacyNodeUpdateResponse(r)).toEqual({
      HeartbeatTTL: 0,
      EvalIDs: ['e1'],
      EvalCreateIndex: 50,
      NodeModifyIndex: 43,
      LeaderRPCAddr: '',
      NumNodes: 0,
      Servers: null,
      Index: 50,
      LastContact: 0,
      KnownLeader: false,
    });
  });
});

describe('legacyNodeAttributes', () => {
  it("is exactly 2.x's two drivers for a node that runs dtle (as the real 2.x server answered), else empty", () => {
    const node2x = JSON.parse(loadAnswered('node-detail').body) as { Attributes: Record<string, string> };
    expect(legacyNodeAttributes({ 'driver.dtle': 'true', 'kernel.name': 'linux' }, ['dtle'])).toEqual(node2x.Attributes);
    expect(legacyNodeAttributes({ 'driver.dtle': '1' }, ['dtle'])).toEqual(node2x.Attributes);
    expect(legacyNodeAttributes({ 'driver.raw_exec': '1' }, ['dtle'])).toEqual({});
    expect(legacyNodeAttributes(null, ['dtle'])).toEqual({});
  });
});
