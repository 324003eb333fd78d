import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { NomadClient, nomadPath, type NomadClientConfig } from '../../src/nomad/client';
import { NomadError } from '../../src/nomad/errors';
import { AllocListStub, StringValue } from '../../src/nomad/types';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A scripted upstream: each test sets `reply`. */
let reply: (req: http.IncomingMessage, res: http.ServerResponse) => void;
const seen: Seen[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      reply(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen.length = 0;
});

function client(over: Partial<NomadClientConfig> = {}): NomadClient {
  return new NomadClient({
    nomad_addr: base,
    nomad_token: '',
    nomad_region: '',
    nomad_namespace: '',
    nomad_cacert: '',
    nomad_client_cert: '',
    nomad_client_key: '',
    nomad_skip_verify: false,
    nomad_tls_server_name: '',
    nomad_timeout_ms: 2000,
    nomad_max_sockets: 4,
    ...over,
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

describe('NomadClient', () => {
  it('returns typed data and Nomad query meta', async () => {
    reply = json(200, '"127.0.0.1:4647"', { 'X-Nomad-Index': '17', 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0' });
    const c = client();
    const r = await c.get('/v1/status/leader', StringValue);
    expect(r.data).toBe('127.0.0.1:4647');
    expect(r.meta).toEqual({ index: '17', knownLeader: 'true', lastContact: '0' });
    c.close();
  });

  it('sends the configured token, and the caller token over it', async () => {
    reply = json(200, '"x"');
    const c = client({ nomad_token: 'configured' });
    await c.get('/v1/status/leader', StringValue);
    await c.get('/v1/status/leader', StringValue, { scope: { token: 'caller' } });
    expect(seen.map((s) => s.headers['x-nomad-token'])).toEqual(['configured', 'caller']);
    c.close();
  });

  it('sends no token header when none is configured', async () => {
    reply = json(200, '"x"');
    const c = client();
    await c.get('/v1/status/leader', StringValue);
    expect(seen[0]?.headers['x-nomad-token']).toBeUndefined();
    c.close();
  });

  it('passes region, namespace and blocking-query parameters', async () => {
    reply = json(200, '"x"');
    const c = client({ nomad_region: 'r1', nomad_namespace: 'ns1' });
    await c.get('/v1/jobs', StringValue, { block: { index: '42', wait: '5s', stale: true }, params: { prefix: 'ab' } });
    const u = new URL(seen[0]?.url ?? '', base);
    expect(Object.fromEntries(u.searchParams)).toEqual({ region: 'r1', namespace: 'ns1', index: '42', wait: '5s', stale: '', prefix: 'ab' });
    await c.get('/v1/jobs', StringValue, { scope: { region: 'other' } });
    expect(new URL(seen[1]?.url ?? '', base).searchParams.get('region')).toBe('other');
    c.close();
  });

  it('reuses one keep-alive connection', async () => {
    reply = json(200, '"x"');
    const c = client();
    const ports = new Set<number>();
    server.on('connection', (s) => ports.add(s.remotePort ?? 0));
    for (let i = 0; i < 5; i++) await c.get('/v1/status/leader', StringValue);
    expect(ports.size).toBeLessThanOrEqual(1);
    c.close();
  });


  it('asks for uncompressed answers unless nomad_gzip is on, and reads gzip ones', async () => {
    const body = JSON.stringify('127.0.0.1:4647');
    reply = (req, res) => {
      const gz = req.headers['accept-encoding'] === 'gzip';
      res.writeHead(200, { 'Content-Type': 'application/json', ...(gz ? { 'Content-Encoding': 'gzip' } : {}) });
      res.end(gz ? gzipSync(body) : body);
    };
    const plain = client();
    const zipped = client({ nomad_gzip: true });
    expect((await plain.get('/v1/status/leader', StringValue)).data).toBe('127.0.0.1:4647');
    expect((await zipped.get('/v1/status/leader', StringValue)).data).toBe('127.0.0.1:4647');
    expect(seen.map((s) => s.headers['accept-encoding'])).toEqual(['identity', 'gzip']);
    plain.close();
    zipped.close();
  });
  it('keeps int64 nanosecond times exact', async () => {
    reply = json(
      200,
      '[{"ID":"a","CreateTime":1645601194102268758,"ModifyTime":1645601194102268758,"TaskStates":{"t":{"State":"running","Events":[{"Type":"Started","Time":1645601194094486985}]}}}]',
    );
    const c = client();
    const r = await c.get('/v1/allocations', z.array(AllocListStub));
    expect(r.data[0]?.CreateTime).toBe('1645601194102268758');
    expect(r.data[0]?.TaskStates?.t?.Events[0]?.Time).toBe('1645601194094486985');
    c.close();
  });

  it('keeps Nomad status and message in a typed error', async () => {
    reply = (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('job not found');
    };
    const c = client();
    const err = await c.get('/v1/job/x', StringValue).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NomadError);
    expect(err).toMatchObject({ kind: 'http', status: 404, reason: 'job not found', isNotFound: true });
    c.close();
  });

  it('scrubs secrets from Nomad error messages', async () => {
    reply = (_req, res) => {
      res.writeHead(400);
      res.end('1 error occurred: "Password":"CANARY-pw-7f3a" is invalid');
    };
    const c = client();
    const err = (await c.get('/v1/job/x', StringValue).catch((e: unknown) => e)) as NomadError;
    expect(err.reason).not.toContain('CANARY');
    expect(err.message).not.toContain('CANARY');
    c.close();
  });

  it('calls malformed JSON malformed', async () => {
    reply = json(200, '{"ID": "trunc');
    const c = client();
    await expect(c.get('/v1/job/x', StringValue)).rejects.toMatchObject({ kind: 'malformed', status: 200 });
    c.close();
  });

  it('calls an unexpected shape malformed, naming where', async () => {
    reply = json(200, '{"not":"a string"}');
    const c = client();
    await expect(c.get('/v1/status/leader', StringValue)).rejects.toMatchObject({ kind: 'malformed' });
    c.close();
  });

  it('calls a refused connection unreachable', async () => {
    const c = client({ nomad_addr: 'http://127.0.0.1:1' });
    await expect(c.get('/v1/status/leader', StringValue)).rejects.toMatchObject({ kind: 'unreachable', status: 0 });
    c.close();
  });

  it('times out a slow Nomad', async () => {
    reply = (_req, res) => {
      setTimeout(() => json(200, '"late"')(_req, res), 500);
    };
    const c = client({ nomad_timeout_ms: 100 });
    await expect(c.get('/v1/status/leader', StringValue)).rejects.toMatchObject({ kind: 'timeout' });
    c.close();
  });

  it('extends the timeout by the blocking wait', () => {
    const c = client({ nomad_timeout_ms: 1000 });
    expect(c.timeoutFor(undefined)).toBe(1000);
    expect(c.timeoutFor('16s')).toBe(1000 + 17000);
    c.close();
  });

  it('sends JSON bodies', async () => {
    reply = json(200, '"ok"');
    const c = client();
    await c.put('/v1/jobs', { Job: { ID: 'a' } }, StringValue);
    expect(seen[0]).toMatchObject({ method: 'PUT', body: '{"Job":{"ID":"a"}}' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    c.close();
  });
});

describe('nomadPath', () => {
  it('encodes every interpolated segment', () => {
    expect(nomadPath`/v1/job/${'a/../b c%2F'}/allocations`).toBe('/v1/job/a%2F..%2Fb%20c%252F/allocations');
  });
});
