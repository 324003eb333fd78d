import { CLAIM_TTL_MS, decodeJobSegment, encodeJobSegment, specForSaving } from '../../src/service/pauseStore';
import { startHarness, type Harness } from '../support/harness';

describe('job IDs as Nomad Variable path segments', () => {
  it.each(['job-1', 'a_b', 'with space', 'a/b', '..', 'ünï', 'x'.repeat(101)])('%s round-trips and stays one safe segment', (id) => {
    const seg = encodeJobSegment(id);
    expect(seg).toMatch(/^[a-zA-Z0-9_~-]+$/);
    expect(decodeJobSegment(seg)).toBe(id);
  });

  it('refuses segments it did not make', () => {
    expect(decodeJobSegment('~zz')).toBeNull();
    expect(decodeJobSegment('a.b')).toBeNull();
  });
});

describe('specForSaving', () => {
  it('drops what Nomad manages and saves the job running', () => {
    expect(specForSaving({ ID: 'j', Stop: true, Status: 'dead', Version: 3, SubmitTime: '1', JobModifyIndex: 9, TaskGroups: [] })).toEqual({ ID: 'j', Stop: false, TaskGroups: [] });
  });
});

describe('PauseStore against the simulated Nomad', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const raw = { ID: 'p-1', Name: 'p-1', TaskGroups: [{ Name: 'src', Tasks: [{ Name: 'src', Driver: 'dtle', Config: {} }] }] };

  it('saves once (check-and-set), lists, reads, claims once and removes', async () => {
    const store = h.built.services.pauseStore;
    expect(await store.save('p-1', raw, {})).toBe(true);
    expect(await store.save('p-1', raw, {})).toBe(false);
    expect([...(await store.ids({})).keys()]).toEqual(['p-1']);
    const entry = await store.get('p-1', {});
    expect(entry?.spec.ID).toBe('p-1');
    expect(entry?.items.job_id).toBe('p-1');
    const now = Date.now();
    const claimed = await store.claim(entry!, {}, now);
    expect(claimed).not.toBeNull();
    // a second claim within the TTL is another resume at work; one after it takes over
    expect(await store.claim(claimed!, {}, now + 1000)).toBeNull();
    const taken = await store.claim(claimed!, {}, now + CLAIM_TTL_MS + 1000);
    expect(taken).not.toBeNull();
    await store.remove(taken!, {});
    expect(await store.get('p-1', {})).toBeNull();
    expect((await store.ids({})).size).toBe(0);
  });

  it('claims nothing once the saved spec changed under it', async () => {
    const store = h.built.services.pauseStore;
    await store.save('p-2', { ...raw, ID: 'p-2' }, {});
    const entry = await store.get('p-2', {});
    await store.claim(entry!, {});
    expect(await store.claim({ ...entry!, items: { ...entry!.items, resuming_at: '' } }, {})).toBeNull();
  });
});
