/**
 * TLS to Nomad, with a CA and certificates made at test time by openssl: verification on, a wrong CA,
 * NOMAD_SKIP_VERIFY, NOMAD_TLS_SERVER_NAME, and mutual TLS.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { NomadClient, type NomadClientConfig } from '../../src/nomad/client';
import { StringValue } from '../../src/nomad/types';
import { makePki, type Pki } from '../support/pki';

let pki: Pki;
const f = (name: string) => pki.file(name);

let server: https.Server;
let port: number;
let lastClientCert: string | null = null;

beforeAll(async () => {
  pki = makePki();
  server = https.createServer(
    {
      key: pki.read('server.key'),
      cert: pki.read('server.pem'),
      ca: pki.read('ca.pem'),
      requestCert: true,
      rejectUnauthorized: false, // the test asserts what the client presented
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      lastClientCert = peer && peer.subject ? String(peer.subject.CN) : null;
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Nomad-Index': '1' });
      res.end('"127.0.0.1:4647"');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}, 60000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  pki.remove();
});

function client(over: Partial<NomadClientConfig>): NomadClient {
  return new NomadClient({
    nomad_addr: `https://127.0.0.1:${port}`,
    nomad_token: '',
    nomad_region: '',
    nomad_namespace: '',
    nomad_cacert: '',
    nomad_client_cert: '',
    nomad_client_key: '',
    nomad_skip_verify: false,
    nomad_tls_server_name: '',
    nomad_timeout_ms: 3000,
    nomad_max_sockets: 2,
    ...over,
  });
}

describe('TLS to Nomad', () => {
  beforeEach(() => {
    lastClientCert = null;
  });

  it('verifies the server against NOMAD_CACERT', async () => {
    const c = client({ nomad_cacert: f('ca.pem') });
    await expect(c.get('/v1/status/leader', StringValue)).resolves.toMatchObject({ data: '127.0.0.1:4647' });
    c.close();
  });

  it('refuses a server signed by another CA, with a clear error', async () => {
    const c = client({ nomad_cacert: f('other-ca.pem') });
    const err = await c.get('/v1/status/leader', StringValue).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unreachable', status: 0 });
    expect(String((err as Error).message)).toMatch(/cannot reach Nomad at https:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
    c.close();
  });

  it('refuses an unknown CA by default', async () => {
    const c = client({});
    await expect(c.get('/v1/status/leader', StringValue)).rejects.toMatchObject({ kind: 'unreachable' });
    c.close();
  });

  it('skips verification with NOMAD_SKIP_VERIFY', async () => {
    const c = client({ nomad_skip_verify: true });
    await expect(c.get('/v1/status/leader', StringValue)).resolves.toMatchObject({ data: '127.0.0.1:4647' });
    c.close();
  });

  it('checks the name given by NOMAD_TLS_SERVER_NAME', async () => {
    const good = client({ nomad_cacert: f('ca.pem'), nomad_tls_server_name: 'server.global.nomad' });
    await expect(good.get('/v1/status/leader', StringValue)).resolves.toMatchObject({ data: '127.0.0.1:4647' });
    good.close();
    const bad = client({ nomad_cacert: f('ca.pem'), nomad_tls_server_name: 'client.global.nomad' });
    await expect(bad.get('/v1/status/leader', StringValue)).rejects.toMatchObject({ kind: 'unreachable' });
    bad.close();
  });

  it('presents the client certificate for mTLS', async () => {
    const c = client({ nomad_cacert: f('ca.pem'), nomad_client_cert: f('client.pem'), nomad_client_key: f('client.key') });
    await c.get('/v1/status/leader', StringValue);
    expect(lastClientCert).toBe('client');
    c.close();
    const none = client({ nomad_cacert: f('ca.pem') });
    await none.get('/v1/status/leader', StringValue);
    expect(lastClientCert).toBeNull();
    none.close();
  });

  it('says which certificate file cannot be read', () => {
    expect(() => client({ nomad_cacert: f('missing.pem') })).toThrow(/cannot read NOMAD_CACERT .*missing\.pem/);
  });
});
