/**
 * The Consul client against the simulated Consul (itself checked against a real agent by the real
 * tier): KV reads and writes, the address forms of dtle's plugin and Consul's CLI, the token, TLS,
 * timeouts, and what each failure looks like (never the token, never a value).
 */
import { SimConsul } from '@dtle-compat/sim';
import { ConsulClient, consulBaseUrl, kvPath, type ConsulClientConfig } from '../../src/consul/client';
import { ConsulError, legacyStatusOfConsul } from '../../src/consul/errors';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import { makePki, type Pki } from '../support/pki';

function cfg(over: Partial<ConsulClientConfig>): ConsulClientConfig {
  return {
    consul: '',
    consul_token: '',
    consul_ssl: false,
    consul_cacert: '',
    consul_client_cert: '',
    consul_client_key: '',
    consul_ssl_verify: true,
    consul_tls_server_name: '',
    consul_timeout_ms: 2000,
    ...over,
  };
}

describe('configuration as dtle and Consul\'s CLI take it', () => {
  it('an address is host:port (dtle\'s `consul`) or a URL (CONSUL_HTTP_ADDR); CONSUL_HTTP_SSL picks https for host:port; empty is off', () => {
    expect(consulBaseUrl({ consul: '127.0.0.1:8500', consul_ssl: false })).toBe('http://127.0.0.1:8500');
    expect(consulBaseUrl({ consul: 'consul.service:8501', consul_ssl: true })).toBe('https://consul.service:8501');
    expect(consulBaseUrl({ consul: 'https://10.0.0.5:8501/', consul_ssl: false })).toBe('https://10.0.0.5:8501');
    expect(consulBaseUrl({ consul: '', consul_ssl: false })).toBeNull();
    expect(() => new ConsulClient(cfg({}))).toThrow('no Consul address is configured');
  });

  it('reads the CONSUL_* variables; the default is dtle\'s 127.0.0.1:8500; an empty CONSUL_HTTP_SSL_VERIFY keeps verifying', () => {
    const defaults = loadConfig({ env: {} });
    expect([defaults.consul, defaults.consul_ssl_verify, defaults.consul_timeout_ms]).toEqual(['127.0.0.1:8500', true, 3000]);
    const c = loadConfig({
      env: {
        CONSUL_HTTP_ADDR: 'https://consul:8501',
        CONSUL_HTTP_TOKEN: 'tok',
        CONSUL_CACERT: '/ca.pem',
        CONSUL_CLIENT_CERT: '/c.pem',
        CONSUL_CLIENT_KEY: '/c.key',
        CONSUL_HTTP_SSL_VERIFY: 'false',
        CONSUL_TLS_SERVER_NAME: 'server.dc1.consul',
        CONSUL_HTTP_SSL: 'true',
      },
    });
    expect([c.consul, c.consul_token, c.consul_cacert, c.consul_client_cert, c.consul_client_key, c.consul_ssl_verify, c.consul_tls_server_name, c.consul_ssl]).toEqual([
      'https://consul:8501',
      'tok',
      '/ca.pem',
      '/c.pem',
      '/c.key',
      false,
      'server.dc1.consul',
      true,
    ]);
    expect(loadConfig({ env: { CONSUL_HTTP_SSL_VERIFY: '' } }).consul_ssl_verify).toBe(true);
    expect(loadConfig({ env: { CONSUL_HTTP_ADDR: '' } }).consul).toBe('');
    expect(() => loadConfig({ env: { CONSUL_HTTP_ADDR: 'consul/v1' } })).toThrow(/"consul"/);
  });

  it('a key\'s path keeps its slashes and encodes each segment', () => {
    expect(kvPath('dtle/job a/Gtid')).toBe('/v1/kv/dtle/job%20a/Gtid');
    expect(kvPath('dtle/a?b/')).toBe('/v1/kv/dtle/a%3Fb/');
  });
});

describe('KV calls', () => {
  let consul: SimConsul;
  let client: ConsulClient;
  const metrics = new Metrics();

  beforeEach(async () => {
    consul = new SimConsul({ aclToken: 'consul-token-5e1f' });
    await consul.listen();
    client = new ConsulClient(cfg({ consul: consul.addr, consul_token: 'consul-token-5e1f' }), metrics.observeConsul);
  });
  afterEach(async () => {
    client.close();
    await consul.close();
  });

  it('put, get, list (recurse), delete (recurse), with the token in X-Consul-Token', async () => {
    expect(await client.kvPut('dtle/j/Gtid', 'g:1-5', 'test.put')).toBe(true);
    expect(await client.kvPut('dtle/j/NatsAddr', '127.0.0.1:8193', 'test.put')).toBe(true);
    const one = await client.kvGet('dtle/j/Gtid', 'test.get');
    expect(one.entry).toMatchObject({ key: 'dtle/j/Gtid', createIndex: expect.any(Number) });
    expect(one.entry?.value?.toString()).toBe('g:1-5');
    expect(one.meta).toEqual({ index: String(one.entry?.modifyIndex), knownLeader: 'true', lastContact: '0' });
    const list = await client.kvList('dtle/j/', 'test.list');
    expect(list.entries.map((e) => [e.key, e.value?.toString()])).toEqual([
      ['dtle/j/Gtid', 'g:1-5'],
      ['dtle/j/NatsAddr', '127.0.0.1:8193'],
    ]);
    expect(await client.kvDelete('dtle/j/', 'test.delete', { recurse: true })).toBe(true);
    expect((await client.kvList('dtle/j/', 'test.list')).entries).toEqual([]);
    expect((await client.kvGet('dtle/j/Gtid', 'test.get')).entry).toBeNull();
    expect(new Set(consul.callHeaders.map((h) => h['x-consul-token']))).toEqual(new Set(['consul-token-5e1f']));
  });

  it('check-and-set: false when it lost', async () => {
    expect(await client.kvPut('k', 'a', 'test.put', 0)).toBe(true);
    expect(await client.kvPut('k', 'b', 'test.put', 0)).toBe(false);
    expect(consul.value('k')).toBe('a');
  });

  it('a blocking list waits for a change past the index', async () => {
    await client.kvPut('dtleJobList/a', '{}', 'test.put');
    const { meta } = await client.kvList('dtleJobList/', 'test.list');
    setTimeout(() => consul.kv.put('dtleJobList/b', Buffer.from('{}')), 100);
    const next = await client.kvList('dtleJobList/', 'test.list', { index: meta.index ?? '0', wait: '5s' });
    expect(next.entries.map((e) => e.key)).toEqual(['dtleJobList/a', 'dtleJobList/b']);
    expect(Number(next.meta.index)).toBeGreaterThan(Number(meta.index));
  });

  it('a refused token is Consul\'s 403, counted; the token is never in the error', async () => {
    const wrong = new ConsulClient(cfg({ consul: consul.addr, consul_token: 'wrong-token-0a0a' }), metrics.observeConsul);
    const err = (await wrong.kvGet('dtle/j/Gtid', 'test.refused').catch((e: unknown) => e)) as ConsulError;
    wrong.close();
    expect(err).toBeInstanceOf(ConsulError);
    expect([err.kind, err.status, err.message]).toEqual(['http', 403, 'Consul 403: ACL not found']);
    expect(legacyStatusOfConsul(err)).toBe(502);
    expect(await metrics.registry.getSingleMetricAsString('dtle_compat_consul_errors_total')).toContain('dtle_compat_consul_errors_total{op="test.refused",kind="http"} 1');
  });

  it('a missing key is no failure in the metrics; every call is counted by operation and status', async () => {
    await client.kvGet('absent', 'test.absent');
    const text = await metrics.registry.metrics();
    expect(text).toContain('dtle_compat_consul_request_duration_seconds_count{op="test.absent",status="404"} 1');
    expect(text).not.toContain('op="test.absent",kind=');
  });

  it('a slow Consul times out after consul_timeout_ms; garbage is `malformed`; gone is `unreachable`', async () => {
    const quick = new ConsulClient(cfg({ consul: consul.addr, consul_token: 'consul-token-5e1f', consul_timeout_ms: 150 }), metrics.observeConsul);
    consul.faults.delayMs = 400;
    await expect(quick.kvGet('k', 'test.slow')).rejects.toMatchObject({ kind: 'timeout', message: `Consul timeout: no answer from Consul at ${consul.url} within 150 ms` });
    consul.faults.delayMs = 0;
    consul.faults.malformed = true;
    await expect(quick.kvList('dtle/', 'test.garbage')).rejects.toMatchObject({ kind: 'malformed', message: 'Consul malformed: answer to /v1/kv/dtle/ is not valid JSON' });
    consul.faults.malformed = false;
    await consul.goAway();
    await expect(quick.kvGet('k', 'test.down')).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringMatching(/^Consul unreachable: cannot reach Consul at http:\/\/127\.0\.0\.1:\d+: /) });
    quick.close();
    const text = await metrics.registry.metrics();
    for (const [op, kind] of [['test.slow', 'timeout'], ['test.garbage', 'malformed'], ['test.down', 'unreachable']]) {
      expect(text).toContain(`dtle_compat_consul_errors_total{op="${op}",kind="${kind}"} 1`);
    }
  });

  it('an answer of the wrong shape names the path and the issue, never a value', async () => {
    const other = new SimConsul();
    await other.listen();
    const c = new ConsulClient(cfg({ consul: other.addr }));
    other.faults.status = 200;
    other.faults.statusBody = '[{"Key":"dtle/j/Config","Value":"c2VjcmV0LXB3","CreateIndex":"x"}]';
    // a 200 text answer: not the JSON a KV read is
    const err = (await c.kvGet('dtle/j/Config', 'test.shape').catch((e: unknown) => e)) as ConsulError;
    expect(err.kind).toBe('malformed');
    expect(err.message).not.toContain('c2VjcmV0LXB3');
    c.close();
    await other.close();
  });
});

describe('TLS to Consul', () => {
  let pki: Pki;
  let consul: SimConsul;

  beforeAll(async () => {
    pki = makePki();
    consul = new SimConsul({ tls: { key: pki.read('server.key'), cert: pki.read('server.pem'), ca: pki.read('ca.pem'), requireClientCert: true } });
    await consul.listen();
  }, 60000);
  afterAll(async () => {
    await consul.close();
    pki.remove();
  });

  const tls = (over: Partial<ConsulClientConfig>) => new ConsulClient(cfg({ consul: consul.url, ...over }));

  it('verifies Consul against CONSUL_CACERT and presents CONSUL_CLIENT_CERT/KEY', async () => {
    const c = tls({ consul_cacert: pki.file('ca.pem'), consul_client_cert: pki.file('client.pem'), consul_client_key: pki.file('client.key') });
    await expect(c.leader()).resolves.toBe('127.0.0.1:8300');
    c.close();
  });

  it('refuses a Consul signed by another CA, naming CONSUL_CACERT; CONSUL_HTTP_SSL_VERIFY=false skips the check', async () => {
    const wrongCa = tls({ consul_cacert: pki.file('other-ca.pem'), consul_client_cert: pki.file('client.pem'), consul_client_key: pki.file('client.key') });
    await expect(wrongCa.leader()).rejects.toMatchObject({ kind: 'unreachable', message: expect.stringContaining('CONSUL_CACERT') });
    wrongCa.close();
    const skip = tls({ consul_ssl_verify: false, consul_client_cert: pki.file('client.pem'), consul_client_key: pki.file('client.key') });
    await expect(skip.leader()).resolves.toBe('127.0.0.1:8300');
    skip.close();
  });

  it('checks CONSUL_TLS_SERVER_NAME; says which file cannot be read', async () => {
    const bad = tls({ consul_cacert: pki.file('ca.pem'), consul_client_cert: pki.file('client.pem'), consul_client_key: pki.file('client.key'), consul_tls_server_name: 'client.global.nomad' });
    await expect(bad.leader()).rejects.toMatchObject({ kind: 'unreachable' });
    bad.close();
    expect(() => tls({ consul_cacert: pki.file('missing.pem') })).toThrow(/cannot read CONSUL_CACERT .*missing\.pem/);
  });
});
