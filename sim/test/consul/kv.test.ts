/**
 * The simulated Consul's KV API against what a Consul 1.22.6 agent answers (probed by hand and
 * checked by the real tier, test/e2e/dtle-consul.test.ts): statuses, texts, headers, entry shapes,
 * indexes, blocking queries, check-and-set, recursive deletes.
 */
import { SimConsul } from '../../src';

let consul: SimConsul;
let url: string;

beforeEach(async () => {
  consul = new SimConsul();
  url = await consul.listen();
});
afterEach(() => consul.close());

const put = (key: string, body: string, q = '') => fetch(`${url}/v1/kv/${key}${q}`, { method: 'PUT', body });
const get = (p: string) => fetch(`${url}/v1/kv/${p}`);

describe('PUT and GET', () => {
  it('stores a value and answers it as Consul does: a list of one DirEntry, base64 Value, the entry index', async () => {
    const w = await put('dtle/j1/Gtid', 'hello');
    expect(w.status).toBe(200);
    expect(w.headers.get('content-type')).toBe('application/json');
    expect(w.headers.get('x-consul-index')).toBeNull();
    expect(await w.text()).toBe('true');
    const r = await get('dtle/j1/Gtid');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    const index = Number(r.headers.get('x-consul-index'));
    expect(r.headers.get('x-consul-knownleader')).toBe('true');
    expect(r.headers.get('x-consul-lastcontact')).toBe('0');
    expect(r.headers.get('x-consul-query-backend')).toBe('blocking-query');
    expect(r.headers.get('x-consul-default-acl-policy')).toBe('allow');
    const text = await r.text();
    expect(Object.keys((JSON.parse(text) as Array<Record<string, unknown>>)[0] ?? {})).toEqual(['LockIndex', 'Key', 'Flags', 'Value', 'CreateIndex', 'ModifyIndex']);
    expect(JSON.parse(text)).toEqual([{ LockIndex: 0, Key: 'dtle/j1/Gtid', Flags: 0, Value: 'aGVsbG8=', CreateIndex: index, ModifyIndex: index }]);
  });

  it('keeps a uint64 Flags with all its digits and an empty value as null', async () => {
    await put('x/flag', 'f', '?flags=3304740253564472344');
    await put('x/empty', '');
    expect(await (await get('x/flag')).text()).toContain('"Flags":3304740253564472344');
    expect(((await (await get('x/empty')).json()) as Array<{ Value: unknown }>)[0]?.Value).toBeNull();
  });

  it('answers a missing key 404 with no body and no content type, at the KV index', async () => {
    await put('a', '1');
    const r = await get('nope');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBeNull();
    expect(await r.text()).toBe('');
    expect(r.headers.get('x-consul-index')).toBe(String(consul.kv.index));
  });

  it('lists a prefix in key order with ?recurse, at the highest index under it; ?keys lists the names', async () => {
    await put('dtle/j1/Gtid', 'g');
    await put('dtle/j1/BinlogFilePos', 'mysql-bin.000003//dtle//4');
    await put('dtle/j10/Gtid', 'other');
    const r = await get('dtle/j1/?recurse');
    const body = (await r.json()) as Array<{ Key: string; ModifyIndex: number }>;
    expect(body.map((e) => e.Key)).toEqual(['dtle/j1/BinlogFilePos', 'dtle/j1/Gtid']);
    expect(r.headers.get('x-consul-index')).toBe(String(Math.max(...body.map((e) => e.ModifyIndex))));
    expect(await (await get('dtle/?keys')).json()).toEqual(['dtle/j1/BinlogFilePos', 'dtle/j1/Gtid', 'dtle/j10/Gtid']);
    expect((await get('dtle/none/?recurse')).status).toBe(404);
  });

  it('check-and-set: cas=0 only when absent, cas=N only at that ModifyIndex; false otherwise', async () => {
    expect(await (await put('k', 'a', '?cas=0')).text()).toBe('true');
    expect(await (await put('k', 'b', '?cas=0')).text()).toBe('false');
    const [e] = (await (await get('k')).json()) as Array<{ ModifyIndex: number; CreateIndex: number }>;
    expect(await (await put('k', 'c', `?cas=${(e?.ModifyIndex ?? 0) + 1}`)).text()).toBe('false');
    expect(await (await put('k', 'c', `?cas=${e?.ModifyIndex}`)).text()).toBe('true');
    expect(consul.value('k')).toBe('c');
    const [after] = (await (await get('k')).json()) as Array<{ ModifyIndex: number; CreateIndex: number }>;
    expect(after?.CreateIndex).toBe(e?.CreateIndex);
    expect(after?.ModifyIndex).toBeGreaterThan(e?.ModifyIndex ?? 0);
  });

  it('decodes the path: %2F is a / of the key', async () => {
    await put('sp%20ace/a%2Fb', 'v');
    expect(consul.keys('')).toEqual(['sp ace/a/b']);
  });
});

describe('DELETE', () => {
  it('deletes one key or, with ?recurse, a prefix; what is not there is no error; the prefix index does not go back', async () => {
    await put('dtle/j/Gtid', 'g');
    await put('dtle/j/NatsAddr', 'n');
    await put('dtleJobList/j', '{}');
    const before = Number((await get('dtle/j/?recurse')).headers.get('x-consul-index'));
    const d = await fetch(`${url}/v1/kv/dtle/j/?recurse`, { method: 'DELETE' });
    expect([d.status, await d.text()]).toEqual([200, 'true']);
    const gone = await get('dtle/j/?recurse');
    expect(gone.status).toBe(404);
    expect(Number(gone.headers.get('x-consul-index'))).toBeGreaterThan(before);
    expect(consul.keys('')).toEqual(['dtleJobList/j']);
    expect(await (await fetch(`${url}/v1/kv/nothing/here`, { method: 'DELETE' })).text()).toBe('true');
  });
});

describe('blocking queries', () => {
  it('hold a read until the prefix changes past ?index, then answer the new index', async () => {
    await put('dtle/j/Gtid', 'g1');
    const first = await get('dtle/j/?recurse');
    const index = first.headers.get('x-consul-index');
    const t0 = Date.now();
    const pending = get(`dtle/j/?recurse&index=${index}&wait=5s`);
    setTimeout(() => void put('dtle/j/Gtid', 'g2'), 150);
    const r = await pending;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(120);
    expect(Number(r.headers.get('x-consul-index'))).toBeGreaterThan(Number(index));
    expect(((await r.json()) as Array<{ Value: string }>)[0]?.Value).toBe(Buffer.from('g2').toString('base64'));
  });

  it('answer at the end of ?wait when nothing changed (a missing prefix: 404 at the same index)', async () => {
    await put('a', '1');
    const index = consul.kv.index;
    const t0 = Date.now();
    const r = await get(`dtle/x/?recurse&index=${index}&wait=200ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect([r.status, r.headers.get('x-consul-index')]).toEqual([404, String(index)]);
  });

  it('refuse a bad index or wait with Consul texts', async () => {
    const bad = await get('k?index=abc');
    expect([bad.status, bad.headers.get('content-type'), await bad.text()]).toEqual([400, 'text/plain; charset=utf-8', 'Invalid index']);
    expect(await (await get('k?index=1&wait=zz')).text()).toBe('Invalid wait time');
  });
});

describe('errors', () => {
  it('answers other methods 405 with Allow, an empty key 400, and no leader 500', async () => {
    const r = await fetch(`${url}/v1/kv/a`, { method: 'POST' });
    expect([r.status, r.headers.get('allow'), await r.text()]).toEqual([405, 'OPTIONS,GET,PUT,DELETE', 'method POST not allowed']);
    expect(await (await get('')).text()).toBe('Missing key name');
    consul.faults.noLeader = true;
    const nl = await get('a');
    expect([nl.status, await nl.text()]).toEqual([500, 'No cluster leader']);
    expect(await (await fetch(`${url}/v1/status/leader`)).json()).toBe('');
  });

  it('with ACLs, refuses a missing or unknown token and takes X-Consul-Token', async () => {
    const acl = new SimConsul({ aclToken: 'consul-secret-token' });
    const u = await acl.listen();
    try {
      const anon = await fetch(`${u}/v1/kv/dtle/j/Gtid`);
      expect(anon.status).toBe(403);
      expect(anon.headers.get('x-consul-default-acl-policy')).toBe('deny');
      expect(await anon.text()).toMatch(/^Permission denied: anonymous token lacks permission 'key:read' on "dtle\/j\/Gtid"/);
      expect(await (await fetch(`${u}/v1/kv/dtle/j/Gtid`, { headers: { 'X-Consul-Token': 'other' } })).text()).toBe('ACL not found');
      expect((await fetch(`${u}/v1/kv/dtle/j/Gtid`, { method: 'PUT', body: 'g', headers: { 'X-Consul-Token': 'consul-secret-token' } })).status).toBe(200);
      expect(acl.value('dtle/j/Gtid')).toBe('g');
    } finally {
      await acl.close();
    }
  });
});
