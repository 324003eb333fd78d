/**
 * TLS to Nomad through the whole service: the simulated Nomad serves HTTPS with a certificate made
 * at test time and asks for client certificates; legacy routes (translated and passthrough) and
 * /-/ready with verification on, mutual TLS, NOMAD_SKIP_VERIFY, NOMAD_TLS_SERVER_NAME, a wrong CA,
 * a missing or foreign client certificate, and http/https mismatches. (test/nomad/tls.test.ts
 * covers the client alone.)
 */
import request from 'supertest';
import type { Config } from '../../src/config';
import { SimNomad } from '@dtle-compat/sim';
import { collectedApp, startHarness, type Harness } from '../support/harness';
import { makePki, type Pki } from '../support/pki';
import { loadConfig } from '../../src/config';
import { NomadClient } from '../../src/nomad/client';
import { canaryJob } from '../reliability/helpers';

let pki: Pki;
/** a simulated Nomad over HTTPS that requires a client certificate signed by the CA */
let mtls: Harness;
/** a simulated Nomad over HTTPS without client certificates */
let tlsOnly: SimNomad;

beforeAll(async () => {
  pki = makePki();
  const tls = { key: pki.read('server.key'), cert: pki.read('server.pem'), ca: pki.read('ca.pem') };
  mtls = await startHarness(
    { nomad_cacert: pki.file('ca.pem'), nomad_client_cert: pki.file('client.pem'), nomad_client_key: pki.file('client.key') },
    { tls: { ...tls, requireClientCert: true } },
  );
  mtls.sim.seedDtleJobs(1);
  tlsOnly = new SimNomad({ tls });
  await tlsOnly.listen();
  tlsOnly.seedDtleJobs(1);
}, 60_000);
afterAll(async () => {
  await mtls.close();
  await tlsOnly.close();
  pki.remove();
});

/** An app with the given TLS settings against `url`; closed by the caller. */
function appFor(url: string, over: Partial<Config>) {
  const config = Object.freeze({ ...loadConfig({ env: {} }), consul: '', nomad_addr: url, nomad_timeout_ms: 3000, ...over });
  const nomad = new NomadClient(config);
  return { app: collectedApp(config, nomad), close: () => nomad.close() };
}

describe('verification on, mutual TLS', () => {
  it('reads, writes and readiness work over HTTPS with the client certificate', async () => {
    expect(mtls.sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const list = await request(mtls.built.app).get('/v1/jobs');
    expect([list.status, (list.body as Array<{ ID: string }>).map((j) => j.ID)]).toEqual([200, ['sim-dtle-00001']]);
    const reg = await request(mtls.built.app).post('/v1/jobs').send(canaryJob('over-tls'));
    expect([reg.status, (reg.body as { Success: boolean }).Success]).toEqual([200, true]);
    expect((await request(mtls.built.app).get('/-/ready')).text).toBe('OK\n');
  });

  it('the passthrough routes use the same TLS settings', async () => {
    // the simulator has no /v1/agent/servers: its 404 proves the TLS handshake (with client certificate) succeeded
    const res = await request(mtls.built.app).get('/v1/managers');
    expect([res.status, res.text]).toEqual([404, '']);
    expect(mtls.sim.calls.at(-1)?.path).toBe('/v1/agent/servers');
  });

  it('without a client certificate: 502 naming the refusal, /-/ready 503', async () => {
    const a = appFor(mtls.sim.url, { nomad_cacert: pki.file('ca.pem') });
    const res = await request(a.app).get('/v1/jobs');
    expect(res.status).toBe(502);
    expect(res.text).toMatch(new RegExp(`^cannot reach Nomad at ${mtls.sim.url.replace(/\./g, '\\.')}: .*(certificate required|socket hang up|ECONNRESET)`));
    const ready = await request(a.app).get('/-/ready');
    expect([ready.status, ready.text.startsWith('not ready: Nomad unreachable: cannot reach Nomad at https://')]).toEqual([503, true]);
    a.close();
  });

  it('with a client certificate from another CA: 502', async () => {
    const a = appFor(mtls.sim.url, { nomad_cacert: pki.file('ca.pem'), nomad_client_cert: pki.file('rogue-client.pem'), nomad_client_key: pki.file('rogue-client.key') });
    const res = await request(a.app).get('/v1/job/sim-dtle-00001');
    expect(res.status).toBe(502);
    expect(res.text).toMatch(/^cannot reach Nomad at https:\/\/127\.0\.0\.1:\d+: /);
    a.close();
  });
});

describe('server verification', () => {
  it('a wrong CA: 502 with a clear reason, on translated and passthrough routes, and nothing registered', async () => {
    const a = appFor(tlsOnly.url, { nomad_cacert: pki.file('other-ca.pem') });
    const reason = `cannot reach Nomad at ${tlsOnly.url}: self-signed certificate in certificate chain (Nomad's certificate is not signed by the CA in NOMAD_CACERT)`;
    const res = await request(a.app).get('/v1/jobs');
    expect([res.status, res.text]).toEqual([502, reason]);
    const before = tlsOnly.state.jobs.size;
    const reg = await request(a.app).post('/v1/jobs').send(canaryJob('wrong-ca'));
    expect([reg.status, reg.text]).toEqual([502, reason]);
    expect(tlsOnly.state.jobs.size).toBe(before);
    expect((await request(a.app).get('/-/ready')).text).toBe(`not ready: Nomad unreachable: ${reason}\n`);
    // the passthrough gives the same reason
    const proxied = await request(a.app).get('/v1/managers');
    expect([proxied.status, proxied.text]).toEqual([502, reason]);
    a.close();
  });

  it('no CA configured: the system roots do not know the test CA, 502 saying so', async () => {
    const a = appFor(tlsOnly.url, {});
    const res = await request(a.app).get('/v1/nodes');
    expect([res.status, res.text]).toEqual([
      502,
      `cannot reach Nomad at ${tlsOnly.url}: self-signed certificate in certificate chain (Nomad's certificate is not signed by a system CA (NOMAD_CACERT is not set))`,
    ]);
    a.close();
  });

  it('NOMAD_SKIP_VERIFY: an unknown CA is accepted, translated and passthrough', async () => {
    const a = appFor(tlsOnly.url, { nomad_skip_verify: true });
    const res = await request(a.app).get('/v1/job/sim-dtle-00001');
    expect([res.status, (res.body as { ID: string }).ID]).toEqual([200, 'sim-dtle-00001']);
    const proxied = await request(a.app).get('/v1/managers');
    expect([proxied.status, proxied.text]).toEqual([404, '']);
    a.close();
  });

  it('NOMAD_TLS_SERVER_NAME: the name in the certificate passes, another is 502 naming the mismatch', async () => {
    const good = appFor(tlsOnly.url, { nomad_cacert: pki.file('ca.pem'), nomad_tls_server_name: 'server.global.nomad' });
    expect((await request(good.app).get('/v1/leader')).status).toBe(200);
    good.close();
    const bad = appFor(tlsOnly.url, { nomad_cacert: pki.file('ca.pem'), nomad_tls_server_name: 'client.global.nomad' });
    const res = await request(bad.app).get('/v1/leader');
    expect(res.status).toBe(502);
    expect(res.text).toMatch(/^cannot reach Nomad at https:\/\/127\.0\.0\.1:\d+: Hostname\/IP does not match certificate's altnames: Host: client\.global\.nomad/);
    bad.close();
  });

  it('http:// to an HTTPS Nomad, and https:// to a plain one: 502', async () => {
    const plainToTls = appFor(tlsOnly.url.replace('https:', 'http:'), {});
    const res = await request(plainToTls.app).get('/v1/jobs');
    expect(res.status).toBe(502);
    plainToTls.close();
    const plain = new SimNomad();
    const url = await plain.listen();
    const tlsToPlain = appFor(url.replace('http:', 'https:'), { nomad_cacert: pki.file('ca.pem') });
    const res2 = await request(tlsToPlain.app).get('/v1/jobs');
    expect([res2.status, res2.text]).toEqual([502, expect.stringMatching(new RegExp(`^cannot reach Nomad at ${url.replace('http:', 'https:').replace(/\./g, '\\.')}: .*wrong version number`))]);
    tlsToPlain.close();
    await plain.close();
  });
});
