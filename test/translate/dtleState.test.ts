/**
 * dtle's state read from Consul: the keys and value formats of dtle 4.x's store.go, each read
 * into the record or, when it is not in dtle's format, left out and named.
 */
import type { KvEntry } from '../../src/consul/types';
import { binlogPosOf, dtleStateOf, dtleStatePrefix, dumpProgressOf, jobListItemOf, jobListKey } from '../../src/translate/dtleState';

let index = 10;
const kv = (key: string, value: string | null): KvEntry => ({ key, value: value === null ? null : Buffer.from(value), createIndex: index, modifyIndex: index++ });

describe('keys', () => {
  it('are under the Nomad job Name, a job\'s prefix ending in a slash', () => {
    expect(dtleStatePrefix('orders')).toBe('dtle/orders/');
    expect(jobListKey('orders')).toBe('dtleJobList/orders');
  });
});

describe('values', () => {
  it('BinlogFilePos is <file>//dtle//<pos>', () => {
    expect(binlogPosOf('mysql-bin.000003//dtle//1543')).toEqual({ file: 'mysql-bin.000003', pos: 1543 });
    expect(binlogPosOf('//dtle//0')).toEqual({ file: '', pos: 0 });
    for (const bad of ['mysql-bin.000003:1543', 'a//dtle//b', 'a//dtle//1//dtle//2']) expect(binlogPosOf(bad)).toBeNull();
  });

  it('DumpProgress is JSON [exec,total]', () => {
    expect(dumpProgressOf('[40000,120000]')).toEqual({ exec: 40000, total: 120000 });
    for (const bad of ['[1]', '[1,2,3]', '{"exec":1}', '[-1,2]', 'x']) expect(dumpProgressOf(bad)).toBeNull();
  });

  it("dtleJobList's JobListItemV2, unknown fields kept", () => {
    expect(jobListItemOf(Buffer.from('{"job_id":"a","job_status":"paused","topic":"","job_steps":null}'))).toEqual({ job_id: 'a', job_status: 'paused', topic: '', job_steps: null });
    expect(jobListItemOf(Buffer.from('not json'))).toBeNull();
    expect(jobListItemOf(null)).toBeNull();
  });
});

describe('dtleStateOf', () => {
  it('reads every key dtle writes for the job, with the index each was written at; masks Config', () => {
    const entries = [
      kv('dtle/orders/BinlogFilePos', 'mysql-bin.000003//dtle//4'),
      kv('dtle/orders/Config', '{"SrcConnectionConfig":{"Host":"10.0.0.1","Password":"secret-pw-1"},"DestConnectionConfig":{"Password":"secret-pw-2"}}'),
      kv('dtle/orders/DumpProgress', '[120000,120000]'),
      kv('dtle/orders/Gtid', '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171'),
      kv('dtle/orders/JobStage', 'job_stage_incr'),
      kv('dtle/orders/NatsAddr', '127.0.0.1:8193'),
      kv('dtle/orders/targetGtid', ''),
      kv('dtle/orders-2/Gtid', 'another job'),
    ];
    const state = dtleStateOf('orders', entries, kv('dtleJobList/orders', '{"job_id":"orders","job_status":"paused"}'));
    expect(state).toEqual({
      gtid: { value: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171', modifyIndex: entries[3]?.modifyIndex },
      binlog: { value: { file: 'mysql-bin.000003', pos: 4 }, modifyIndex: entries[0]?.modifyIndex },
      stage: 'incr',
      dumpProgress: { value: { exec: 120000, total: 120000 }, modifyIndex: entries[2]?.modifyIndex },
      natsAddr: '127.0.0.1:8193',
      sourceType: null,
      config: { SrcConnectionConfig: { Host: '10.0.0.1', Password: '*' }, DestConnectionConfig: { Password: '*' } },
      jobList: { job_id: 'orders', job_status: 'paused' },
      unreadable: [],
    });
    expect(JSON.stringify(state)).not.toMatch(/secret-pw/);
  });

  it("dtle 4.22.07's keys: no JobStage, DumpProgress or Config; an empty Gtid is none", () => {
    const state = dtleStateOf('old', [kv('dtle/old/Gtid', ''), kv('dtle/old/NatsAddr', 'waitdst'), kv('dtle/old/SourceType', 'mysql')], null);
    expect(state).toMatchObject({ gtid: null, stage: null, dumpProgress: null, config: null, jobList: null, natsAddr: 'waitdst', sourceType: 'mysql', unreadable: [] });
  });

  it('leaves out and names values not in dtle\'s format', () => {
    const state = dtleStateOf(
      'j',
      [kv('dtle/j/BinlogFilePos', 'garbage'), kv('dtle/j/JobStage', 'copying'), kv('dtle/j/DumpProgress', '{}'), kv('dtle/j/Config', 'Password=x')],
      kv('dtleJobList/j', '[]'),
    );
    expect(state).toMatchObject({ binlog: null, stage: null, dumpProgress: null, config: null, jobList: null });
    expect(state.unreadable).toEqual(['dtle/j/BinlogFilePos', 'dtle/j/JobStage', 'dtle/j/DumpProgress', 'dtle/j/Config', 'dtleJobList/j']);
  });
});
