/**
 * The store of dtle's state in Consul: one recursive read per job, the dtleJobList watch that
 * serves every job's pause flag without a call per job, dtle's own writes (the flag, the cleanup),
 * and reads that never throw.
 */
import { SimConsul } from '@dtle-compat/sim';
import { ConsulClient } from '../../src/consul/client';
import { DtleStateStore, usableJobName } from '../../src/service/dtleState';
import { collectingLogger, testConfig } from '../support/harness';

let consul: SimConsul;
let client: ConsulClient;
let store: DtleStateStore;
let lines: string[];

beforeEach(async () => {
  consul = new SimConsul();
  await consul.listen();
  const config = testConfig({ consul: consul.addr });
  client = new ConsulClient(config);
  lines = [];
  store = new DtleStateStore({ config, consul: client, logger: collectingLogger(lines) });
});
afterEach(async () => {
  client.close();
  await consul.close();
});

const put = (key: string, value: string) => consul.kv.put(key, Buffer.from(value));
const untilAsync = async (ok: () => Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await ok()).toBe(true);
};

describe('read', () => {
  it('one recursive read of dtle/<job>/ and one of dtleJobList/<job> while no watch runs', async () => {
    put('dtle/j/Gtid', 'g:1-5');
    put('dtle/j2/Gtid', 'other');
    put('dtleJobList/j', '{"job_id":"j","job_status":"paused"}');
    consul.resetCalls();
    const state = await store.read('j');
    expect(state).toMatchObject({ gtid: { value: 'g:1-5' }, jobList: { job_status: 'paused' } });
    expect(consul.calls.map((c) => `${c.path}?${c.query}`).sort()).toEqual(['/v1/kv/dtle/j/?recurse=', '/v1/kv/dtleJobList/j?']);
  });

  it('is null, never a throw, when Consul is down; a warning once per streak, then the recovery', async () => {
    await consul.goAway();
    expect(await store.read('j')).toBeNull();
    expect(await store.read('j')).toBeNull();
    await consul.listen(Number(new URL(consul.url).port));
    expect(await store.read('j')).toMatchObject({ gtid: null });
    const logged = lines.map((l) => JSON.parse(l) as { level: string; message: string });
    expect(logged.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'reading dtle state from Consul failed; answering without it'],
      ['debug', 'reading dtle state from Consul still failing'],
      ['info', 'reading dtle state from Consul recovered'],
    ]);
  });

  it('asks for no key a name could not be (empty, . or .. segments)', async () => {
    expect([usableJobName('a'), usableJobName(''), usableJobName('..'), usableJobName('a/../b'), usableJobName('a/b')]).toEqual([true, false, false, false, true]);
    consul.resetCalls();
    expect(await store.read('..')).toBeNull();
    expect(consul.calls).toEqual([]);
  });
});

describe('the dtleJobList watch', () => {
  it('keeps every entry current with one blocking query: the paused set without a call per job', async () => {
    put('dtleJobList/a', '{"job_id":"a","job_status":"paused"}');
    put('dtleJobList/b', '{"job_id":"b","job_status":"non-paused"}');
    // no watch: one recursive read of dtleJobList/ per question
    consul.resetCalls();
    expect([...((await store.pausedNames()) ?? [])]).toEqual(['a']);
    expect(consul.calls.map((c) => `${c.path}?${c.query}`)).toEqual(['/v1/kv/dtleJobList/?recurse=']);
    const stop = store.startWatch({ wait: '2s' });
    let names: ReadonlySet<string> | null = null;
    const poll = async () => {
      names = await store.pausedNames();
      return names;
    };
    try {
      await untilAsync(async () => (await poll())?.has('a') === true);
      put('dtleJobList/b', '{"job_id":"b","job_status":"paused"}');
      await untilAsync(async () => (await poll())?.size === 2);
      consul.resetCalls();
      expect([...((await store.pausedNames()) ?? [])].sort()).toEqual(['a', 'b']);
      expect(await store.pausedByDtle('b')).toBe(true);
      expect(await store.read('b')).toMatchObject({ jobList: { job_status: 'paused' } });
      // the job's own keys are read; its dtleJobList entry comes from the watch
      expect(consul.calls.filter((c) => c.query.indexOf('index=') < 0).map((c) => c.path)).toEqual(['/v1/kv/dtle/b/']);
    } finally {
      stop();
    }
    // the watch stopped: back to one read per question
    consul.resetCalls();
    expect((await store.pausedNames())?.size).toBe(2);
    expect(consul.calls).toHaveLength(1);
  });

  it('while the watch retries a failing Consul, a list does not ask Consul too: no job is paused by the flag', async () => {
    const stop = store.startWatch({ wait: '2s', retryMs: 10_000 });
    try {
      await consul.goAway();
      await untilAsync(async () => (await store.pausedNames()) === null);
      consul.resetCalls();
      expect(await store.pausedNames()).toBeNull();
      expect(await store.pausedByDtle('a')).toBe(false);
    } finally {
      stop();
    }
  });
});

describe('writes', () => {
  it("setJobStatus: dtle's zero JobListItemV2 (the platform admin's) for a new entry, the rest of an entry kept; returns the status before", async () => {
    expect(await store.setJobStatus('fresh', 'paused')).toBe('');
    expect(JSON.parse(consul.value('dtleJobList/fresh') ?? '')).toEqual({
      job_id: 'fresh',
      job_status: 'paused',
      topic: '',
      job_create_time: '',
      src_database_type: '',
      dst_database_type: '',
      src_addr_list: null,
      dst_addr_list: null,
      // dtle's API shows a job only to users that may see its entry's user: a job without one is its platform admin's
      user: 'platform:admin',
      job_steps: null,
      allocation_status: null,
    });
    put('dtleJobList/made', '{"job_id":"made","job_status":"paused","topic":"t","user":"platform:admin"}');
    expect(await store.setJobStatus('made', 'non-paused')).toBe('paused');
    expect(consul.value('dtleJobList/made')).toBe('{"job_id":"made","job_status":"non-paused","topic":"t","user":"platform:admin"}');
  });

  it('setJobStatus refuses to overwrite an entry that is not dtle\'s', async () => {
    put('dtleJobList/odd', 'not json');
    await expect(store.setJobStatus('odd', 'paused')).rejects.toMatchObject({ kind: 'malformed', message: expect.stringContaining('holds no dtle JobListItemV2') });
    expect(consul.value('dtleJobList/odd')).toBe('not json');
  });

  it("destroy removes dtle/<job>/ and dtleJobList/<job>, as dtle's DestroyJob, and nothing of another job", async () => {
    put('dtle/j/Gtid', 'g');
    put('dtle/j/Config', '{}');
    put('dtle/j2/Gtid', 'g2');
    put('dtleJobList/j', '{}');
    put('dtleJobList/j2', '{}');
    await store.destroy('j');
    expect(consul.keys('')).toEqual(['dtle/j2/Gtid', 'dtleJobList/j2']);
  });
});

describe('etaOf', () => {
  it('from the first and the newest DumpProgress values, each timed when first seen', () => {
    expect(store.etaOf('j', { value: { exec: 0, total: 1000 }, modifyIndex: 1 }, 0)).toBeNull();
    expect(store.etaOf('j', { value: { exec: 0, total: 1000 }, modifyIndex: 1 }, 5000)).toBeNull();
    expect(store.etaOf('j', { value: { exec: 100, total: 1000 }, modifyIndex: 2 }, 10_000)).toBe('1m30s');
    // read again later without a new value: the rate stays the one between the two writes seen
    expect(store.etaOf('j', { value: { exec: 100, total: 1000 }, modifyIndex: 2 }, 20_000)).toBe('1m30s');
    // a copy that starts over starts the readings over
    expect(store.etaOf('j', { value: { exec: 10, total: 1000 }, modifyIndex: 3 }, 30_000)).toBeNull();
  });
});
