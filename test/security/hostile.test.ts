/**
 * Hostile input: generated legacy job bodies and query strings (fast-check), job IDs that try to
 * reach another Nomad endpoint, oversized bodies, and headers that try to get into the calls to Nomad.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { NomadClient } from '../../src/nomad/client';
import { AgentNomad } from '../support/agentNomad';
import { collect } from '../support/canary';
import { collectedApp, startHarness, type Harness } from '../support/harness';
import { canaryJob, simJobIds, simWrites } from '../reliability/helpers';
import { LegacyJobInput } from '../../src/legacy/schema';
import { legacyToNomadJob } from '../../src/translate/job';

let h: Harness;
let server: http.Server;
let base: string;
/** Nomad's agent endpoints behind the passthrough routes (/v1/join, /v1/managers, …), recording headers */
let agent: AgentNomad;
let agentNomad: NomadClient;
let passServer: http.Server;
let passBase: string;

beforeAll(async () => {
  // blocking queries end quickly: generated ?index=&wait= must not hold the suite
  h = await startHarness({}, { blockingMaxWaitMs: 100 });
  h.sim.seedDtleJobs(2);
  server = http.createServer(h.built.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new AgentNomad();
  const agentUrl = await agent.listen();
  const config = Object.freeze({ ...loadConfig({ env: {} }), consul: '', nomad_addr: agentUrl });
  agentNomad = new NomadClient(config);
  passServer = http.createServer(collectedApp(config, agentNomad));
  await new Promise<void>((r) => passServer.listen(0, '127.0.0.1', r));
  passBase = `http://127.0.0.1:${(passServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [server, passServer]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  agentNomad.close();
  await agent.close();
  await h.close();
});

const app = () => h.built.app;

/** Nomad's own 5xx a generated query may provoke (passed on as Nomad said it), and 2.x's own 500s (pause/resume of a missing job), never ours. */
const NOMAD_5XX = new Set(['No path to region', 'job not found']);
/** Nomad's own 500 for a list ?prefix= that cannot start a UUID (go-memdb's UUID index), passed on */
const NOMAD_PREFIX_5XX = /^(?:(?:alloc|eval|node) lookup failed: )?index error: /;

/** 2.x's own 500s of POST /v1/validate/job: its job checks, an unknown driver, a config that does not decode */
const VALIDATE_2X_500 = /^(?:\d+ errors? occurred:\n|failed to create driver for task "|task ".*" -> config: )/s;

function expectNotOurs5xx(res: { status: number; text: string }, what: string): void {
  if (res.status >= 500 && !NOMAD_5XX.has(res.text) && !NOMAD_PREFIX_5XX.test(res.text)) throw new Error(`${what}: ${res.status} ${res.text}`);
}

/* ------------------------------------------------------------------ generated job bodies */

const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', '*', 'Src', 'Dest', 'MySQL', 'Kafka', '__proto__', 'constructor', '../x', 'a/b', '%2F', ' ', '\u00e9\u4e2d', '\u0000'));
const connection = fc.record(
  {
    Host: fc.oneof(text, anyJson),
    Port: fc.oneof(fc.constantFrom('3306', 3306, '-1', '99999', 'abc', 1e300), anyJson),
    User: fc.oneof(text, anyJson),
    Password: fc.oneof(fc.constant('CANARY-pw-7f3a'), fc.constant('*'), anyJson),
  },
  { requiredKeys: [] },
);
const config = fc.record(
  {
    ConnectionConfig: fc.oneof(connection, anyJson),
    Gtid: fc.oneof(text, anyJson),
    ChunkSize: fc.oneof(fc.constantFrom('2000', 2000, '-5', 'x', 1.5), anyJson),
    ReplChanBufferSize: fc.oneof(fc.constantFrom('60', 60), anyJson),
    ReplicateDoDb: fc.oneof(fc.constant([{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }]), anyJson),
    Brokers: fc.oneof(fc.constant(['127.0.0.1:9092']), anyJson),
    Topic: fc.oneof(text, anyJson),
  },
  { requiredKeys: [] },
);
const task = fc.record(
  {
    Type: fc.oneof(fc.constantFrom('Src', 'Dest', 'src', 'Other'), anyJson),
    Driver: fc.oneof(fc.constantFrom('MySQL', 'Kafka', '', 'Oracle', 'mysql'), anyJson),
    NodeName: fc.oneof(text, anyJson),
    NodeID: fc.oneof(text, anyJson),
    Config: fc.oneof(config, anyJson),
  },
  { requiredKeys: [] },
);
const jobBody = fc.record(
  {
    ID: fc.oneof(text, anyJson),
    Name: fc.oneof(text, anyJson),
    Type: fc.oneof(fc.constantFrom('synchronous', 'migration', 'subscribe', 'batch'), anyJson),
    Datacenters: fc.oneof(fc.constant(['dc1']), anyJson),
    Region: fc.oneof(fc.constantFrom('global', 'elsewhere'), anyJson),
    Tasks: fc.oneof(fc.array(task, { maxLength: 3 }), anyJson),
    EnforceIndex: fc.oneof(fc.boolean(), anyJson),
    JobModifyIndex: fc.oneof(fc.nat(), anyJson),
    __proto__: anyJson,
  },
  { requiredKeys: [] },
);
/** a valid job with one field replaced by anything */
const mutatedValid = fc
  .tuple(fc.constantFrom('ID', 'Name', 'Tasks', 'Type', 'Datacenters'), anyJson, fc.string({ minLength: 1, maxLength: 8 }))
  .map(([key, value, id]) => ({ ...canaryJob(`mut-${Buffer.from(id).toString('hex')}`), [key]: value }));
const wrapped = jobBody.map((j) => ({ Job: j }));
const bodyText = fc.oneof(
  jobBody.map((j) => JSON.stringify(j)),
  wrapped.map((j) => JSON.stringify(j)),
  mutatedValid.map((j) => JSON.stringify(j)),
  anyJson.map((j) => JSON.stringify(j)),
  fc.string({ maxLength: 64 }),
  jobBody.map((j) => JSON.stringify(j).slice(0, -3)),
);

describe('generated legacy job bodies', () => {
  it.each([
    ['POST', '/v1/jobs'],
    ['PUT', '/v1/job/gen-path-id'],
    ['POST', '/v1/validate/job'],
  ])('%s %s: never a 5xx, never a crash; a refused body registers nothing, an accepted one registers one job', async (method, path) => {
    await fc.assert(
      fc.asyncProperty(bodyText, fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'), async (body, type) => {
        const jobsBefore = simJobIds(h.sim);
        const writesBefore = simWrites(h.sim).length;
        const res = await request(app())[method === 'POST' ? 'post' : 'put'](path).set('Content-Type', type).send(body);
        // 2.x's validate answered 500 with its job checks' or the task config's text (go-multierror, mapstructure)
        if (!(path === '/v1/validate/job' && res.status === 500 && VALIDATE_2X_500.test(res.text))) expectNotOurs5xx(res, `${method} ${path} ${body}`);
        const jobsAfter = simJobIds(h.sim);
        if (res.status !== 200 || path === '/v1/validate/job') {
          // the simulator's state: nothing registered, whether we or Nomad refused the body
          expect(jobsAfter).toEqual(jobsBefore);
        } else {
          const added = jobsAfter.filter((id) => !jobsBefore.includes(id));
          expect(added.length).toBeLessThanOrEqual(1);
          expect(simWrites(h.sim).slice(writesBefore).filter((c) => c.path === '/v1/jobs')).toHaveLength(1);
        }
        expect(res.text).not.toContain('CANARY-pw-7f3a');
      }),
      { numRuns: 120 },
    );
  }, 120000);
});

/* ------------------------------------------------------------------ generated query strings */

const queryKey = fc.constantFrom(
  'index', 'wait', 'stale', 'prefix', 'region', 'pretty', 'all', 'task', 'namespace', 'purge', 'per_page', 'token',
  'index[]', 'prefix[a]', 'wait[0]', '__proto__', '__proto__[x]', 'constructor[prototype]', 'a', '', '%', 'prefix%5B%5D',
);
const goDuration = fc.tuple(fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true })), fc.constantFrom('ns', 'us', 'ms', 's', 'm', 'h', '', 'd')).map(([n, u]) => `${n}${u}`);
const queryValue = fc.oneof(
  fc.string({ maxLength: 16 }),
  goDuration,
  fc.constantFrom('1', '0', 'true', 'false', '-1', '18446744073709551616', '99999999999999999999', 'global', '%', '%zz', '&', '=', '\u00e9', '../v1/status/leader'),
);
const rawFragment = fc.constantFrom('&&', '=', '%', '%zz', '&=&', '#frag', '?', '+', ';');
const queryString = fc
  .array(fc.oneof(fc.tuple(queryKey, queryValue).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), queryKey, rawFragment), { maxLength: 5 })
  .map((parts) => parts.join('&'));

describe('generated query strings', () => {
  const routes = [
    '/v1/jobs',
    '/v1/job/sim-dtle-00001',
    '/v1/job/sim-dtle-00001/allocations',
    '/v1/job/sim-dtle-00001/evaluations',
    '/v1/allocations',
    '/v1/evaluations',
    '/v1/nodes',
    '/v1/members',
    '/v1/leader',
    '/v1/peers',
    '/v1/regions',
    '/v1/self',
  ];
  it('GET on every read route: never a 5xx of ours, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), queryString, async (route, query) => {
        const res = await request(app()).get(`${route}?${query}`);
        collect('bodies', res.text);
        expectNotOurs5xx(res, `GET ${route}?${query}`);
        expect([200, 400, 404, 500]).toContain(res.status);
      }),
      { numRuns: 300 },
    );
  }, 120000);

  it('a huge ?wait blocks as long as Nomad lets it (not a 504 at once); beyond Go\'s durations it is 400 as 2.x', async () => {
    const list = await request(app()).get('/v1/jobs');
    const index = list.headers['x-udup-index'] as string;
    for (const wait of ['1h', '1000000h', '2562047h']) {
      const res = await request(app()).get(`/v1/jobs?index=${index}&wait=${wait}`);
      expect([wait, res.status, res.headers['x-udup-index']]).toEqual([wait, 200, index]);
    }
    for (const wait of ['2562048h', '9999999999999h', '1e12s', '5d']) {
      const res = await request(app()).get(`/v1/jobs?index=${index}&wait=${wait}`);
      expect([wait, res.status, res.text]).toEqual([wait, 400, 'Invalid wait time']);
    }
  });
});

/* ------------------------------------------------------------------ job IDs in paths */

/** The job ID of a call the simulator received on /v1/job/…, decoded; null for other paths. */
function simJobPathId(path: string): string | null {
  const m = /^\/v1\/job\/([^/]*)(?:\/(allocations|evaluations))?$/.exec(path);
  if (!m) return null;
  return decodeURIComponent(m[1] as string);
}

/** Paths the simulator may see for legacy calls on one job, besides /v1/job/{that ID}. */
const OTHER_ALLOWED = [/^\/v1\/jobs$/, /^\/v1\/nodes$/, /^\/v1\/vars$/, /^\/v1\/var\/dtle-compat\/paused\/[^/]+$/];

const idChar = fc.oneof(
  fc.constantFrom('/', '.', '..', '%', '%2F', '%2f', '%25', ' ', '?', '#', '&', '=', '+', '\\', ';', ':', '\u00e9', '\u4e2d', '\ud83d\ude00', 'v1', 'status', 'leader', 'allocations', 'pause'),
  fc.string({ minLength: 1, maxLength: 3 }),
);
const jobId = fc.array(idChar, { minLength: 1, maxLength: 8 }).map((parts) => parts.join(''));

describe('job IDs with /, .., %2F, spaces, unicode', () => {
  it('are encoded when calling Nomad and reach /v1/job/{that ID} only', async () => {
    await fc.assert(
      fc.asyncProperty(jobId, fc.constantFrom('', '/allocations', '/evaluations', '/pause', '/resume'), fc.constantFrom('GET', 'DELETE', 'PUT'), async (id, suffix, method) => {
        const from = h.sim.calls.length;
        const res = await request(app())[method.toLowerCase() as 'get'](`/v1/job/${encodeURIComponent(id)}${suffix}`).send(method === 'PUT' && suffix === '' ? {} : undefined);
        collect('bodies', res.text);
        expectNotOurs5xx(res, `${method} ${id}${suffix}`);
        for (const call of h.sim.calls.slice(from)) {
          const got = simJobPathId(call.path);
          if (got !== null) expect([call.path, got]).toEqual([call.path, id]);
          else expect([call.path, OTHER_ALLOWED.some((re) => re.test(call.path))]).toEqual([call.path, true]);
        }
      }),
      { numRuns: 200 },
    );
  }, 120000);

  it('"." and "..": 404 job not found, and Nomad never sees a path they would resolve', async () => {
    for (const [path, id] of [['/v1/job/%2E%2E', '..'], ['/v1/job/%2e', '.'], ['/v1/job/%2E%2E/allocations', '..'], ['/v1/job/./evaluations', '.']] as const) {
      const from = h.sim.calls.length;
      const res = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect([path, res.status, res.answer.split('\r\n\r\n')[1]]).toEqual([path, 404, 'job not found']);
      for (const call of h.sim.calls.slice(from)) expect([path, call.path]).toEqual([path, `/v1/var/dtle-compat/paused/~${Buffer.from(id).toString('hex')}`]);
    }
  });

  it('a job ID with a space is refused by Nomad (400 passed on), nothing registered', async () => {
    const before = simJobIds(h.sim);
    const reg = await request(app()).post('/v1/jobs').send(canaryJob('with space'));
    expect([reg.status, reg.text]).toEqual([400, expect.stringMatching(/space/i)]);
    expect(simJobIds(h.sim)).toEqual(before);
  });

  it('a registered job with such an ID is read back and deleted under its own ID', async () => {
    for (const id of ['a%2Fb', 'caf\u00e9-\u4e2d\u6587', '?x=1#y']) {
      const reg = await request(app()).post('/v1/jobs').send(canaryJob(id));
      expect([id, reg.status]).toEqual([id, 200]);
      const got = await request(app()).get(`/v1/job/${encodeURIComponent(id)}`);
      expect([id, got.status, (got.body as { ID: string }).ID]).toEqual([id, 200, id]);
      const del = await request(app()).delete(`/v1/job/${encodeURIComponent(id)}`);
      expect([id, del.status]).toEqual([id, 200]);
      expect(simJobIds(h.sim)).not.toContain(id);
    }
  });

  it('an ID with "/" or ".." is refused at POST (it would nest dtle\'s Consul keys or NATS subjects); one written in Nomad directly is read back and deleted', async () => {
    for (const id of ['team/sync', '../../v1/status/leader', 'a/..']) {
      const reg = await request(app()).post('/v1/jobs').send(canaryJob(id));
      expect([id, reg.status, reg.text]).toEqual([id, 400, expect.stringMatching(/^ID: must not /)]);
      expect(simJobIds(h.sim)).not.toContain(id);
      const { job } = legacyToNomadJob(LegacyJobInput.parse(canaryJob('written-elsewhere')), { dialect: 'src-only', driverName: 'dtle', datacenters: ['dc1'] });
      h.sim.registerJob({ ...job, ID: id, Name: id, Meta: {} });
      const got = await request(app()).get(`/v1/job/${encodeURIComponent(id)}`);
      expect([id, got.status, (got.body as { ID: string }).ID, (got.body as { Name: string }).Name]).toEqual([id, 200, id, id]);
      const del = await request(app()).delete(`/v1/job/${encodeURIComponent(id)}`);
      expect([id, del.status]).toEqual([id, 200]);
      expect(simJobIds(h.sim)).not.toContain(id);
    }
  });

  it('raw, unencoded traversal in the path stays inside one ID', async () => {
    for (const path of ['/v1/job/../../v1/status/leader', '/v1/job/..%2F..%2Fv1%2Fstatus%2Fleader', '/v1/job/%2e%2e/%2e%2e/v1/status/leader', '/v1/job/a/../../agent/self', '/v1/job/x%00y']) {
      const from = h.sim.calls.length;
      const res = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect([path, res.status]).toEqual([path, 404]);
      const paths = h.sim.calls.slice(from).map((c) => c.path);
      expect(paths.length).toBeGreaterThan(0);
      for (const p of paths) expect([path, p, simJobPathId(p) !== null || OTHER_ALLOWED.some((re) => re.test(p))]).toEqual([path, p, true]);
    }
  });

  it('an ID that is not valid percent-encoding is a 400, and Nomad is not called', async () => {
    const from = h.sim.calls.length;
    expect(await request(app()).get('/v1/job/%E0%A4%A').then((r) => [r.status, r.text])).toEqual([400, "Failed to decode param '%E0%A4%A'"]);
    expect(await request(app()).get('/v1/job/%E0%A4%A/allocations').then((r) => [r.status, r.text])).toEqual([400, "Failed to decode param '%E0%A4%A/allocations'"]);
    expect(await request(app()).get('/v1/agent/allocation/%E0%A4%A/stats').then((r) => [r.status, r.text])).toEqual([400, 'Invalid job ID encoding']);
    expect(h.sim.calls.length).toBe(from);
  });
});

/* ------------------------------------------------------------------ body size */

describe('body size limit', () => {
  it.each([
    ['POST', '/v1/jobs'],
    ['PUT', '/v1/job/big'],
    ['POST', '/v1/validate/job'],
  ])('%s %s over body_limit: 413, and Nomad is not called', async (method, path) => {
    const from = h.sim.calls.length;
    const big = JSON.stringify({ ...canaryJob('big'), Pad: 'x'.repeat(5 * 1024 * 1024) });
    const res = await request(app())[method === 'POST' ? 'post' : 'put'](path).set('Content-Type', 'application/json').send(big);
    expect([res.status, res.text]).toEqual([413, 'request body too large (limit 4mb)']);
    expect(h.sim.calls.length).toBe(from);
    expect(simJobIds(h.sim)).not.toContain('big');
  });
});

describe('body size limit on the passthrough routes', () => {
  it('PUT /v1/join over body_limit: 413, not streamed to Nomad', async () => {
    const from = agent.calls.length;
    const res = await request(passBase).put('/v1/join?address=10.0.0.2').set('Content-Type', 'application/json').send('"' + 'x'.repeat(5 * 1024 * 1024) + '"');
    expect([res.status, res.text]).toEqual([413, 'request body too large (limit 4mb)']);
    expect(agent.calls.length).toBe(from);
  });

  it('a small body is forwarded as it came, chunked or not', async () => {
    const small = await request(passBase).put('/v1/join?address=10.0.0.2').set('Content-Type', 'application/json').send('{"a":1}');
    expect([small.status, small.body]).toEqual([200, { num_joined: 1, error: '' }]);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${passBase}/v1/join?address=10.0.0.3`, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write('{"a":');
      req.end('2}');
    });
    expect(chunked).toBe(200);
    expect(agent.calls.slice(-2).map((c) => [c.path, c.query.address, c.headers['content-length'], c.headers['transfer-encoding']])).toEqual([
      ['/v1/agent/join', '10.0.0.2', '7', undefined],
      ['/v1/agent/join', '10.0.0.3', '7', undefined],
    ]);
  });
});

/* ------------------------------------------------------------------ headers */

/** Sends exact bytes, returns the status and the raw answer. */
function raw(text: string, to = base): Promise<{ status: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(new URL(to).port), '127.0.0.1', () => sock.write(text));
    let answer = '';
    sock.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => {
      collect('bodies', answer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), answer });
    });
  });
}

describe('headers cannot be injected into calls to Nomad', () => {
  const HOSTILE = [
    'X-Injected: 1',
    'Connection: keep-alive, X-Injected, X-Nomad-Token',
    'Upgrade: websocket',
    'TE: trailers',
    'Keep-Alive: timeout=600',
    'Proxy-Authorization: Basic dXNlcjpwYXNz',
    'Authorization: Bearer caller-bearer-token',
    'Cookie: session=abc',
    'X-Forwarded-For: 10.9.9.9',
    'X-Nomad-Namespace: other',
    'Host: nomad.attacker.invalid',
  ];

  it.each(['/v1/jobs', '/v1/job/sim-dtle-00001', '/v1/nodes', '/v1/leader', '/v1/managers', '/v1/operator/raft/configuration'])(
    'GET %s: Nomad gets none of the caller\'s other headers',
    async (path) => {
      const passthrough = path === '/v1/managers' || path.startsWith('/v1/operator/');
      const seen = passthrough ? () => agent.calls.map((c) => c.headers) : () => h.sim.callHeaders;
      const from = seen().length;
      const res = await raw(`GET ${path} HTTP/1.1\r\n${HOSTILE.join('\r\n')}\r\nConnection: close\r\n\r\n`, passthrough ? passBase : base);
      expect(res.status).toBe(200);
      const sent = seen().slice(from);
      const upstream = passthrough ? agent.calls.at(-1)?.path : h.sim.url;
      expect(sent.length).toBeGreaterThan(0);
      expect(upstream).toBeDefined();
      for (const headers of sent) {
        expect(headers['x-injected']).toBeUndefined();
        expect(headers.upgrade).toBeUndefined();
        expect(headers.te).toBeUndefined();
        expect(headers['proxy-authorization']).toBeUndefined();
        expect(headers.authorization).toBeUndefined();
        expect(headers.cookie).toBeUndefined();
        expect(headers['x-forwarded-for']).toBeUndefined();
        expect(headers['x-nomad-namespace']).toBeUndefined();
        expect(headers['x-nomad-token']).toBeUndefined();
        expect(headers.host).toBe(new URL(passthrough ? passBase.replace(/:\d+$/, '') : h.sim.url).host === '' ? '' : headers.host);
        expect(String(headers.host)).not.toContain('attacker');
        expect(String(headers.connection ?? '')).not.toMatch(/x-injected|x-nomad-token/i);
      }
    },
  );

  it.each([
    ['CR/LF smuggled into the value (obs-fold: Node refuses the request)', 'X-Nomad-Token: abc\r\n X-Injected: 1', 400, null],
    ['a second token after a comma', 'X-Nomad-Token: abc, def', 400, 'Invalid X-Nomad-Token header'],
    ['two X-Nomad-Token headers', 'X-Nomad-Token: abc\r\nX-Nomad-Token: def', 400, 'Invalid X-Nomad-Token header'],
    ['a space inside', 'X-Nomad-Token: abc def', 400, 'Invalid X-Nomad-Token header'],
    ['a control character', 'X-Nomad-Token: abc\u0001def', 400, null],
    ['a non-ASCII byte', 'X-Nomad-Token: abc\u00e9', 400, 'Invalid X-Nomad-Token header'],
  ])('X-Nomad-Token with %s: refused, Nomad not called', async (_what, header, status, body) => {
    const from = h.sim.calls.length;
    const agentFrom = agent.calls.length;
    for (const [path, to] of [['/v1/jobs', base], ['/v1/managers', passBase]] as const) {
      const res = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n${header}\r\nConnection: close\r\n\r\n`, to);
      expect([path, res.status]).toEqual([path, status]);
      if (body !== null) expect([path, res.answer.split('\r\n\r\n')[1]]).toEqual([path, body]);
    }
    expect(h.sim.calls.length).toBe(from);
    expect(agent.calls.length).toBe(agentFrom);
  });

  it("a caller's valid token goes upstream as exactly one header", async () => {
    const from = h.sim.calls.length;
    await raw('GET /v1/nodes HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: tok-123\r\nConnection: close\r\n\r\n');
    const sent = h.sim.callHeaders.slice(from);
    expect(sent.map((hd) => hd['x-nomad-token'])).toEqual(['tok-123']);
    await raw('GET /v1/managers HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: tok-123\r\nAuthorization: Bearer other\r\nConnection: close\r\n\r\n', passBase);
    expect(agent.calls.at(-1)?.headers['x-nomad-token']).toBe('tok-123');
    expect(agent.calls.at(-1)?.headers.authorization).toBeUndefined();
  });
});
