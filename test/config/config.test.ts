import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, splitHostPort } from '../../src/config';

const tmp = mkdtempSync(path.join(tmpdir(), 'dtle-compat-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('loadConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    const c = loadConfig({ env: {} });
    expect(c.api_addr).toBe('0.0.0.0:8190');
    expect(c.nomad_addr).toBe('http://127.0.0.1:4646');
    expect(c.nomad_token).toBe('');
    expect(c.dtle_drivers).toEqual(['dtle']);
    expect(c.dtle_dialect).toBe('auto');
    expect(c.purge_on_delete).toBe(true);
    expect(c.log_format).toBe('json');
  });

  it('honours the Nomad CLI environment and DTLE_API_ADDR', () => {
    const c = loadConfig({
      env: {
        DTLE_API_ADDR: '127.0.0.1:18190',
        NOMAD_ADDR: 'https://nomad.example:4646',
        NOMAD_TOKEN: 'tok-123',
        NOMAD_REGION: 'r1',
        NOMAD_NAMESPACE: 'ns1',
        NOMAD_CACERT: '/ca.pem',
        NOMAD_CLIENT_CERT: '/c.pem',
        NOMAD_CLIENT_KEY: '/k.pem',
        NOMAD_SKIP_VERIFY: 'true',
        NOMAD_TLS_SERVER_NAME: 'server.global.nomad',
      },
    });
    expect(c).toMatchObject({
      api_addr: '127.0.0.1:18190',
      nomad_addr: 'https://nomad.example:4646',
      nomad_token: 'tok-123',
      nomad_region: 'r1',
      nomad_namespace: 'ns1',
      nomad_cacert: '/ca.pem',
      nomad_client_cert: '/c.pem',
      nomad_client_key: '/k.pem',
      nomad_skip_verify: true,
      nomad_tls_server_name: 'server.global.nomad',
    });
  });

  it('layers defaults < --config file < environment < overrides', () => {
    const f = file('layers.json', JSON.stringify({ api_addr: '127.0.0.1:1000', nomad_timeout_ms: 1234, log_level: 'debug' }));
    const c = loadConfig({ file: f, env: { DTLE_COMPAT_NOMAD_TIMEOUT_MS: '999' }, overrides: { log_level: 'warn' } });
    expect(c.api_addr).toBe('127.0.0.1:1000');
    expect(c.nomad_timeout_ms).toBe(999);
    expect(c.log_level).toBe('warn');
  });

  it('coerces DTLE_COMPAT_ lists and booleans from the environment', () => {
    const c = loadConfig({ env: { DTLE_COMPAT_DTLE_DRIVERS: 'dtle, raw_exec', DTLE_COMPAT_PURGE_ON_DELETE: '0' } });
    expect(c.dtle_drivers).toEqual(['dtle', 'raw_exec']);
    expect(c.purge_on_delete).toBe(false);
  });

  it('names the bad key', () => {
    expect(() => loadConfig({ env: { DTLE_API_ADDR: 'nonsense' } })).toThrow(/"api_addr": must be host:port/);
    expect(() => loadConfig({ env: { NOMAD_SKIP_VERIFY: 'maybe' } })).toThrow(/"nomad_skip_verify"/);
    expect(() => loadConfig({ env: { NOMAD_ADDR: 'ftp://x' } })).toThrow(/"nomad_addr"/);
    expect(() => loadConfig({ env: { DTLE_COMPAT_NOMAD_TIMEOUT_MS: 'soon' } })).toThrow(ConfigError);
  });

  it('refuses unknown keys in a config file, by name', () => {
    const f = file('unknown.json', JSON.stringify({ api_adr: '1.2.3.4:5' }));
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/unknown key\(s\) "api_adr"/);
  });

  it('says which file is unreadable or not JSON', () => {
    expect(() => loadConfig({ file: path.join(tmp, 'missing.json'), env: {} })).toThrow(/cannot read config file .*missing\.json/);
    const bad = file('bad.json', '{ nope');
    expect(() => loadConfig({ file: bad, env: {} })).toThrow(/bad\.json is not valid JSON/);
  });

  it('returns a frozen object', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).toBe(true);
  });
});

describe('splitHostPort', () => {
  it('splits IPv4, names and bracketed IPv6', () => {
    expect(splitHostPort('0.0.0.0:8190')).toEqual({ host: '0.0.0.0', port: 8190 });
    expect(splitHostPort('localhost:1')).toEqual({ host: 'localhost', port: 1 });
    expect(splitHostPort('[::1]:8190')).toEqual({ host: '::1', port: 8190 });
  });
});
