import { startSim, type SimClient } from './helpers';

interface Var {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  CreateTime: number;
  ModifyIndex: number;
  ModifyTime: number;
  Items?: Record<string, string>;
}

let c: SimClient;
beforeAll(async () => {
  c = await startSim();
});
afterAll(() => c.close());

describe('Nomad Variables (/v1/var, /v1/vars)', () => {
  it('writes, reads, lists and deletes a variable', async () => {
    const put = await c.send('PUT', '/v1/var/dtle-compat/paused/job-1', { Path: 'ignored', Items: { job: '{"ID":"job-1"}' } });
    expect(put.status).toBe(200);
    const v = put.json as Var;
    expect(Object.keys(v)).toEqual(['Namespace', 'Path', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime', 'Items']);
    expect(v).toMatchObject({ Namespace: 'default', Path: 'dtle-compat/paused/job-1', Items: { job: '{"ID":"job-1"}' } });
    expect(v.CreateIndex).toBe(v.ModifyIndex);
    expect(put.headers.get('x-nomad-index')).toBe(String(v.ModifyIndex));
    expect(put.text).toMatch(/"CreateTime":\d{19},/);

    const got = await c.get('/v1/var/dtle-compat/paused/job-1');
    expect(got.json).toEqual(v);
    expect(got.headers.get('x-nomad-index')).toBe(String(v.ModifyIndex));

    await c.send('PUT', '/v1/var/dtle-compat/paused/job-2', { Items: { job: '{}' } });
    await c.send('PUT', '/v1/var/other/x', { Items: { a: 'b' } });
    const list = (await c.get('/v1/vars?prefix=dtle-compat/paused/')).json as Var[];
    expect(list.map((x) => x.Path)).toEqual(['dtle-compat/paused/job-1', 'dtle-compat/paused/job-2']);
    expect(list[0]).not.toHaveProperty('Items');
    expect(((await c.get('/v1/vars')).json as Var[]).length).toBe(3);

    const del = await c.send('DELETE', '/v1/var/dtle-compat/paused/job-2');
    expect([del.status, del.text]).toEqual([204, '']);
    expect((await c.get('/v1/var/dtle-compat/paused/job-2')).status).toBe(404);
    // deleting what is not there is no error
    expect((await c.send('DELETE', '/v1/var/never/there')).status).toBe(204);
  });

  it('updates keep CreateIndex and move ModifyIndex; an identical write changes nothing', async () => {
    const a = (await c.send('PUT', '/v1/var/upd/x', { Items: { k: '1' } })).json as Var;
    const b = (await c.send('PUT', '/v1/var/upd/x', { Items: { k: '2' } })).json as Var;
    expect(b.CreateIndex).toBe(a.CreateIndex);
    expect(b.ModifyIndex).toBeGreaterThan(a.ModifyIndex);
    const same = (await c.send('PUT', '/v1/var/upd/x', { Items: { k: '2' } })).json as Var;
    expect(same.ModifyIndex).toBe(b.ModifyIndex);
  });

  it('check-and-set: 409 with the current variable on a conflict', async () => {
    const first = await c.send('PUT', '/v1/var/cas/one?cas=0', { Items: { v: '1' } });
    expect(first.status).toBe(200);
    const cur = first.json as Var;
    const again = await c.send('PUT', '/v1/var/cas/one?cas=0', { Items: { v: '2' } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual(cur);
    expect(again.headers.get('x-nomad-index')).toBe(String(cur.ModifyIndex));
    const stale = await c.send('PUT', `/v1/var/cas/one?cas=${cur.ModifyIndex - 1}`, { Items: { v: '2' } });
    expect([stale.status, (stale.json as Var).Items]).toEqual([409, { v: '1' }]);
    const ok = await c.send('PUT', `/v1/var/cas/one?cas=${cur.ModifyIndex}`, { Items: { v: '2' } });
    expect([ok.status, (ok.json as Var).Items]).toEqual([200, { v: '2' }]);
    // cas on a variable that does not exist: a zero variable as the conflict
    const none = await c.send('PUT', '/v1/var/cas/none?cas=5', { Items: { v: '1' } });
    expect(none.status).toBe(409);
    expect(none.json).toEqual({ Namespace: 'default', Path: 'cas/none', CreateIndex: 0, CreateTime: 0, ModifyIndex: 0, ModifyTime: 0 });
    // delete with cas
    const okIdx = (ok.json as Var).ModifyIndex;
    const badDel = await c.send('DELETE', `/v1/var/cas/one?cas=${okIdx + 50}`);
    expect(badDel.status).toBe(409);
    expect((badDel.json as Var).ModifyIndex).toBe(okIdx);
    expect(badDel.json).not.toHaveProperty('Items');
    expect((await c.send('DELETE', `/v1/var/cas/one?cas=${okIdx}`)).status).toBe(204);
    expect((await c.send('PUT', '/v1/var/cas/one?cas=abc', { Items: { v: '1' } })).status).toBe(400);
  });

  it('refuses what Nomad refuses', async () => {
    expect((await c.send('PUT', '/v1/var/empty', { Items: {} })).text).toBe('variable missing required Items object');
    expect((await c.send('PUT', '/v1/var/empty', { Path: 'x' })).text).toBe('variable missing required Items object');
    const bad = await c.send('PUT', '/v1/var/bad%20path', { Items: { a: 'b' } });
    expect([bad.status, bad.text]).toEqual([400, 'invalid path "bad path"']);
    const reserved = await c.send('PUT', '/v1/var/nomad', { Items: { a: 'b' } });
    expect(reserved.status).toBe(400);
    expect((await c.send('PUT', '/v1/var/nomad/jobs/x', { Items: { a: 'b' } })).status).toBe(200);
    const num = await c.send('PUT', '/v1/var/typed', { Items: { a: 1 } });
    expect([num.status, num.text]).toEqual([400, 'json: cannot unmarshal number into Go struct field VariableDecrypted.Items of type string']);
    expect((await c.send('PATCH', '/v1/var/x', { Items: { a: 'b' } })).text).toBe('Invalid method');
    expect((await c.send('PATCH', '/v1/var/x', { Items: { a: 'b' } })).status).toBe(400);
    expect((await c.send('POST', '/v1/vars')).status).toBe(405);
  });

  it('keeps namespaces apart', async () => {
    await c.send('PUT', '/v1/var/ns/x?namespace=team', { Items: { a: 'b' } });
    expect((await c.get('/v1/var/ns/x')).status).toBe(404);
    expect(((await c.get('/v1/var/ns/x?namespace=team')).json as Var).Namespace).toBe('team');
    expect(((await c.get('/v1/vars?namespace=*&prefix=ns/')).json as Var[]).map((v) => v.Namespace)).toEqual(['team']);
  });
});
