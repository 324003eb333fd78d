/**
 * dtle-compat answers as the real dtle 2.x server did (test/fixtures/legacy-2x/): for each
 * capture, the same request through dtle-compat (simulated Nomad) gives 2.x's status, its X-Udup-*
 * headers (names as 2.x wrote them) and, where the answer is not made of this server's own IDs and
 * indexes, its exact body text. The differences docs/migration.md lists are pinned as such.
 */
import request from 'supertest';
import { loadAnswered, loadCapture, type AnsweredCapture } from '../support/fixtures2x';
import { record, startHarness, type Harness } from '../support/harness';
import { canaryJob, freePort } from '../reliability/helpers';
import { JobList } from '../../src/nomad/types';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
const app = () => h.built.app;
/** The Nomad jobs (ID, Name) the simulated Nomad holds. */
const nomadJobs = async () => (await h.nomad.get('/v1/jobs', JobList)).data.map((j) => ({ ID: j.ID, Name: j.Name }));

/** The X-Udup-* header names 2.x sent (values are its own indexes). */
const udupNames = (headers: Record<string, string>) =>
  Object.keys(headers)
    .filter((k) => k.startsWith('X-Udup-'))
    .sort();

/** What dtle-compat sends of them, with the case it writes on the wire. */
function ourUdupNames(res: request.Response): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  return raw.filter((k, i) => i % 2 === 0 && k.startsWith('X-Udup-')).sort();
}

/** Replays a capture's request (method, path, body) against dtle-compat. */
async function replay(c: AnsweredCapture | ReturnType<typeof loadCapture>, path = c.request.path): Promise<request.Response> {
  const m = c.request.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  let r = request(app())[m](path);
  if (c.request.body !== undefined) r = r.set('Content-Type', 'application/json').send(c.request.body);
  return record(await r);
}

function expectAs2x(res: request.Response, c: AnsweredCapture, exactBody = true): void {
  expect(res.status).toBe(c.status);
  expect(ourUdupNames(res)).toEqual(udupNames(c.headers));
  expect(res.headers['content-type']).toBe(c.headers['Content-Type']);
  if (exactBody) expect(res.text).toBe(c.body);
}

describe('bodies that do not decode: Go encoding/json texts, 400', () => {
  it.each(['jobs-post-bad-json', 'jobs-post-empty-body', 'jobs-post-array', 'jobs-post-failover-string', 'jobs-post-name-number', 'jobs-post-config-string', 'job-put-bad-json', 'validate-bad-json', 'jobs-post-no-name'])(
    '%s',
    async (name) => {
      const c = loadAnswered(name);
      expectAs2x(await replay(c), c);
    },
  );
});

describe('job identity: a body without ID is a new job with a random UUID (2.x), the path of a PUT is ignored', () => {
  it('POST twice without ID: two jobs of one Name, each answered with only X-Udup-Index', async () => {
    const first = loadAnswered('jobs-post-no-id');
    const again = loadAnswered('jobs-post-no-id-again');
    const before = new Set((await nomadJobs()).map((j) => j.ID));
    for (const c of [first, again]) expectAs2x(await replay(c), c, false);
    const added = (await nomadJobs()).filter((j) => !before.has(j.ID));
    expect(added).toHaveLength(2);
    // the Nomad Name is the ID (dtle's state key); the legacy Name comes back from Meta
    for (const j of added) expect(j.Name).toBe(j.ID);
    const list = (await request(app()).get('/v1/jobs')).body as Array<{ ID: string; Name: string }>;
    const posted = JSON.parse(first.request.body ?? '{}') as { Name: string };
    expect(list.filter((s) => added.some((j) => j.ID === s.ID)).map((s) => s.Name)).toEqual([posted.Name, posted.Name]);
    for (const j of added) expect(j.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('PUT /v1/job/{path} without ID: a new UUID, the path stays unknown (404 with the query meta)', async () => {
    const put = loadAnswered('job-put-path-no-id');
    expectAs2x(await replay(put), put, false);
    const lookup = loadAnswered('job-put-path-no-id-lookup');
    expectAs2x(await replay(lookup), lookup);
  });

  it.each([
    ['x'.repeat(65), /^ID: must be at most 64 bytes/],
    ['\u00e9'.repeat(33), /^ID: must be at most 64 bytes/],
    ['team/sync', /^ID: must not contain "\/"/],
    ['a b', /^ID: must not contain whitespace or control characters$/],
    ['a\tb', /^ID: must not contain whitespace/],
    ['orders.*', /^ID: must not contain "\*" or ">"/],
    ['orders.>', /^ID: must not contain "\*" or ">"/],
    ['.hidden', /^ID: must not start or end with "\." or contain "\.\."/],
    ['trailing.', /^ID: must not start or end with "\." or contain "\.\."/],
    ['a..b', /^ID: must not start or end with "\." or contain "\.\."/],
    ['orders_dtrev', /^ID: must not end with "_dtrev"/],
    ['', /^ID: must not be empty/],
  ])('refuses the ID %j with a 400 naming ID, registering nothing', async (id, text) => {
    const before = (await nomadJobs()).length;
    const res = record(await request(app()).post('/v1/jobs').send({ ...canaryJob('x'), ID: id }));
    expect([res.status, res.text]).toEqual([400, expect.stringMatching(text)]);
    expect(await nomadJobs()).toHaveLength(before);
  });

  it('accepts 64 bytes, dots inside, and the legacy Name is free (any length, any characters)', async () => {
    for (const id of ['x'.repeat(64), 'a.b.c', 'a-b_c']) {
      const res = record(await request(app()).post('/v1/jobs').send({ ...canaryJob(id), Name: `a name / with * anything ${'n'.repeat(80)}` }));
      expect([id, res.status]).toEqual([id, 200]);
    }
  });
});

describe('404s carry the query meta; not-a-uuid IDs are 500 without it', () => {
  it.each(['job-missing', 'job-not-a-uuid', 'allocation-missing', 'evaluation-missing', 'node-missing'])('%s', async (name) => {
    const c = loadAnswered(name);
    expectAs2x(await replay(c), c);
  });

  it.each(['allocation-not-a-uuid', 'evaluation-not-a-uuid', 'node-not-a-uuid', 'evaluation-not-a-uuid-allocations', 'node-not-a-uuid-allocations'])('%s', async (name) => {
    const c = loadAnswered(name);
    expectAs2x(await replay(c), c);
  });
});

describe('a missing or deleted job', () => {
  it.each(['job-missing-allocations', 'job-missing-evaluations'])('%s: 200 [] with the query meta', async (name) => {
    const c = loadAnswered(name);
    expectAs2x(await replay(c), c);
  });

  it.each(['job-missing-pause-post', 'job-missing-pause-get', 'job-missing-resume-post', 'job-missing-resume-get'])('%s: 500 job not found, no headers', async (name) => {
    const c = loadAnswered(name);
    expectAs2x(await replay(c), c);
  });

  it('DELETE of a missing job, twice, and of a job, twice: 200 Success each time, only X-Udup-Index', async () => {
    for (const name of ['job-delete-missing', 'job-delete-missing-again']) {
      const c = loadAnswered(name);
      expectAs2x(await replay(c), c, false);
      expect(Object.keys(JSON.parse((await replay(c)).text) as object).sort()).toEqual(Object.keys(JSON.parse(c.body) as object).sort());
    }
    await request(app()).post('/v1/jobs').send(canaryJob('to-delete'));
    for (const name of ['job-delete', 'job-delete-again']) {
      const c = loadAnswered(name);
      const res = await replay(c, '/v1/job/to-delete');
      expectAs2x(res, c, false);
      expect((res.body as { Success: boolean }).Success).toBe(true);
    }
    for (const name of ['job-deleted-detail', 'job-deleted-allocations']) {
      const c = loadAnswered(name);
      expectAs2x(await replay(c, c.request.path.replace(/[0-9a-f-]{36}/, 'to-delete')), c, false);
    }
  });

  it("a deleted job's evaluations: [] (a documented difference: 2.x still listed its job-deregister evaluations)", async () => {
    const c = loadAnswered('job-deleted-evaluations');
    const res = await replay(c, '/v1/job/to-delete/evaluations');
    expect([res.status, ourUdupNames(res)]).toEqual([c.status, udupNames(c.headers)]);
    expect(res.text).toBe('[]');
    expect((JSON.parse(c.body) as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('pause of a paused job, resume of a running one: Success false, Index 0, only X-Udup-Index', () => {
  it.each([
    ['job-pause-paused', 'pause'],
    ['job-resume-running', 'resume'],
  ])('%s', async (name, step) => {
    await request(app()).post('/v1/jobs').send(canaryJob(`p-${step}`));
    if (step === 'pause') await request(app()).post(`/v1/job/p-${step}/pause`);
    const c = loadAnswered(name);
    const res = await replay(c, `/v1/job/p-${step}/${step}`);
    expectAs2x(res, c);
  });
});

describe('routes where 2.x parsed no query options', () => {
  it.each(['members-wait-bogus', 'self-index-abc'])('%s: 200, the normal answer', async (name) => {
    const c = loadAnswered(name);
    const res = await replay(c);
    expectAs2x(res, c, false);
    expect(Object.keys(res.body as object).sort()).toEqual(Object.keys(JSON.parse(c.body) as object).sort());
  });

  it.each(['jobs-wait-bogus', 'jobs-index-abc'])('%s: where 2.x parsed them, its 400', async (name) => {
    const c = loadAnswered(name);
    expectAs2x(await replay(c), c);
  });
});

describe('agent and nodes', () => {
  it("/v1/self: 2.x's config keys and stats sections", async () => {
    const c = loadAnswered('self');
    const ours = (await replay(c)).body as { config: object; stats: object };
    const theirs = JSON.parse(c.body) as { config: object; stats: object };
    expect(Object.keys(ours.config).sort()).toEqual(Object.keys(theirs.config).sort());
    expect(Object.keys(ours.stats).sort()).toEqual(Object.keys(theirs.stats).sort());
  });

  it("/v1/node/{ID}: exactly 2.x's Attributes", async () => {
    const c = loadAnswered('node-detail');
    const node = ((await request(app()).get('/v1/nodes')).body as Array<{ ID: string }>)[0];
    const res = await replay(c, `/v1/node/${node?.ID ?? ''}`);
    expectAs2x(res, c, false);
    expect((res.body as { Attributes: unknown }).Attributes).toEqual((JSON.parse(c.body) as { Attributes: unknown }).Attributes);
  });

  it('DELETE /v1/operator/raft/peer without parameters: 400 with 2.x text', async () => {
    const c = loadAnswered('operator-raft-peer-delete-no-params');
    expectAs2x(await replay(c), c);
  });

  it('/v1/operator/raft/configuration: answered in 2.x shape (a documented difference: 2.x dropped the connection)', async () => {
    const c = loadCapture('operator-raft-configuration');
    expect(c.status).toBeNull();
    const res = await replay(c);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object).sort()).toEqual(['Index', 'Servers']);
    expect(Object.keys((res.body as { Servers: object[] }).Servers[0] ?? {}).sort()).toEqual(['Address', 'ID', 'Leader', 'Node', 'Voter']);
  });
});

describe('Orders: null when none was posted', () => {
  it('in the detail, as 2.x', async () => {
    const c = loadAnswered('job-detail');
    const posted = JSON.parse(loadAnswered('jobs-post-no-id').request.body ?? '{}') as Record<string, unknown>;
    await request(app()).post('/v1/jobs').send({ ...posted, ID: 'orders-null' });
    const res = await request(app()).get('/v1/job/orders-null');
    expect((res.body as { Orders: unknown }).Orders).toEqual((JSON.parse(c.body) as { Orders: unknown }).Orders);
  });
});

describe('POST /v1/validate/job', () => {
  it("{}: 2.x's 500 with go-multierror's text", async () => {
    const c = loadAnswered('validate-empty-object');
    expectAs2x(await replay(c), c);
  });

  it("the seed job on a closed port: 2.x's ValidationTasks (GtidMode with the error after 2.x's prefix)", async () => {
    const port = String(await freePort());
    const c = loadAnswered('validate-seed-job', [['46185', port]]);
    const res = await replay(c);
    expectAs2x(res, c, false);
    const theirs = JSON.parse(c.body) as { ValidationTasks: Array<{ Connection: { Error: string }; GtidMode: { Error: string } }> };
    const expected = {
      ...theirs,
      ValidationTasks: theirs.ValidationTasks.map((t) => (t.GtidMode.Error === '' ? t : { ...t, GtidMode: { ...t.GtidMode, Error: t.GtidMode.Error + t.Connection.Error } })),
    };
    expect(res.body).toEqual(expected);
  });

  it("a Port that does not decode: 2.x's 500", async () => {
    const c = loadAnswered('validate-mariadb-port-not-a-number');
    expectAs2x(await replay(c), c);
  });

  it('a Src-only job is validated as 2.x did (no Dest needed to validate)', async () => {
    const port = String(await freePort());
    const c = loadAnswered('validate-mariadb-src-only', [['46477', port]]);
    const res = await replay(c);
    expect(res.status).toBe(c.status);
    expect((res.body as { ValidationTasks: Array<{ Type: string }> }).ValidationTasks.map((t) => t.Type)).toEqual(
      (JSON.parse(c.body) as { ValidationTasks: Array<{ Type: string }> }).ValidationTasks.map((t) => t.Type),
    );
  });

  it('a MySQL task without ConnectionConfig: an error naming it (a documented difference: 2.x crashed, no answer)', async () => {
    const c = loadCapture('validate-no-connection-config');
    expect(c.status).toBeNull();
    const res = await replay(c);
    expect([res.status, res.text]).toEqual([500, 'task "Src" -> config: ConnectionConfig is missing']);
  });

  it('a "*" password is the stored one', async () => {
    const port = await freePort();
    const job = JSON.parse(JSON.stringify(canaryJob('val-stored')).replace(/"Port":"?\d+"?/g, `"Port":${port}`).replace(/"Host":"[^"]*"/g, '"Host":"127.0.0.1"')) as Record<string, unknown>;
    await request(app()).post('/v1/jobs').send(job);
    const masked = JSON.parse(JSON.stringify(job).replace(/"Password":"[^"]*"/g, '"Password":"*"')) as Record<string, unknown>;
    const res = record(await request(app()).post('/v1/validate/job').send(masked));
    expect(res.status).toBe(200);
    expect((res.body as { ValidationTasks: unknown[] }).ValidationTasks).toHaveLength(2);
  });
});
