import { JobSpecCache, type CachedJob } from '../../src/service/jobCache';

function entry(jobModifyIndex: number): CachedJob {
  return { jobModifyIndex, modifyIndex: jobModifyIndex, masked: null, view: null };
}

describe('JobSpecCache', () => {
  it('answers only for the exact JobModifyIndex and never goes back in time', () => {
    const c = new JobSpecCache(10);
    c.set('s\u0000a', entry(5));
    expect(c.get('s\u0000a', 5)?.jobModifyIndex).toBe(5);
    expect(c.get('s\u0000a', 6)).toBeUndefined();
    c.set('s\u0000a', entry(4));
    expect(c.get('s\u0000a', 5)?.jobModifyIndex).toBe(5);
  });

  it('is bounded, drops the least recently used first and counts evictions', () => {
    let evicted = 0;
    const c = new JobSpecCache(2, () => evicted++);
    c.set('s\u0000a', entry(1));
    c.set('s\u0000b', entry(1));
    c.get('s\u0000a', 1); // a is now the most recent
    c.set('s\u0000c', entry(1));
    expect(c.size).toBe(2);
    expect(c.get('s\u0000b', 1)).toBeUndefined();
    expect(c.get('s\u0000a', 1)).toBeDefined();
    expect(evicted).toBe(1);
    expect(c.evictions).toBe(1);
  });

  it('retains only live IDs of one scope', () => {
    const c = new JobSpecCache(10);
    c.set('x\u0000a', entry(1));
    c.set('x\u0000b', entry(1));
    c.set('y\u0000a', entry(1));
    c.retain('x', new Set(['b']));
    expect(c.get('x\u0000a', 1)).toBeUndefined();
    expect(c.get('x\u0000b', 1)).toBeDefined();
    expect(c.get('y\u0000a', 1)).toBeDefined();
  });

  it('latest ignores the JobModifyIndex and leaves recency alone; delete and clear forget', () => {
    const c = new JobSpecCache(2);
    c.set('s\u0000a', entry(3));
    c.set('s\u0000b', entry(1));
    expect(c.latest('s\u0000a')?.jobModifyIndex).toBe(3);
    c.set('s\u0000c', entry(1)); // latest did not make a the most recent: a goes
    expect(c.latest('s\u0000a')).toBeUndefined();
    c.delete('s\u0000b');
    expect(c.size).toBe(1);
    c.clear();
    expect(c.size).toBe(0);
  });

  it('counts only evictions, not replacements or deletions', () => {
    let evicted = 0;
    const c = new JobSpecCache(1, () => evicted++);
    c.set('s\u0000a', entry(1));
    c.set('s\u0000a', entry(2));
    c.delete('s\u0000a');
    c.set('s\u0000b', entry(1));
    c.retain('s', new Set());
    expect([evicted, c.evictions, c.size]).toEqual([0, 0, 0]);
  });
});
