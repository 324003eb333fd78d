/**
 * What the simulated dtle driver keeps in Consul (sim/src/dtle/store.ts, on the driver's hooks):
 * each job's state as dtle 4.x's store.go writes it (keys under the Nomad job Name, dtle's value
 * formats, libkv's Flags), the replication when told to move on, and the position the alloc
 * signals stats, pause and resume see (driver/driver.go SignalTask).
 */
import { dtleTemplate, LIBKV_FLAGS, SimConsul, SimNomad } from '../../src';
import type { JobInput } from '../../../src/nomad/types';

let consul: SimConsul;
let sim: SimNomad;
let url: string;

async function start(dtleVersion = '4.23.04.3'): Promise<void> {
  consul = new SimConsul();
  await consul.listen();
  sim = new SimNomad({ consul, nodes: [{ name: 'nomad0', dtleVersion }], replication: { rows: 120_000, rowsPerSecond: 4000, txPerSecond: 20 } });
  url = await sim.listen();
}

afterEach(async () => {
  await sim.close();
  await consul.close();
});

function job(id: string, gtid = ''): JobInput {
  const j = dtleTemplate(id, 'dc1');
  const src = j.TaskGroups?.[0]?.Tasks?.[0];
  if (src?.Config) src.Config.Gtid = gtid;
  return j;
}

/** A per-task (dtle <= 4.22.07) job: each task its own ConnectionConfig. */
function perTaskJob(id: string): JobInput {
  const conn = (host: string) => ({ Host: host, Port: 3306, User: 'repl', Password: 'sim-password' });
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      { Name: 'src', Count: 1, Tasks: [{ Name: 'src', Driver: 'dtle', Config: { Gtid: '', ConnectionConfig: conn('10.0.0.11') } }] },
      { Name: 'dest', Count: 1, Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { ConnectionConfig: conn('10.0.0.21') } }] },
    ],
  };
}

const allocsOf = async (id: string) => (await (await fetch(`${url}/v1/job/${id}/allocations`)).json()) as Array<{ ID: string; TaskGroup: string }>;
const events = (allocId: string, task: string) =>
  (sim.state.allocs.get(allocId)?.alloc.TaskStates?.[task]?.Events ?? []).map((e) => [e.Type, e.DisplayMessage]);

describe('the state a starting job writes', () => {
  it('dtle 4.23: Config (the src task config, passwords in clear), NatsAddr, JobStage full, DumpProgress, all with libkv Flags', async () => {
    await start();
    sim.registerJob(job('orders'));
    expect(consul.keys('dtle/orders/')).toEqual(['dtle/orders/Config', 'dtle/orders/DumpProgress', 'dtle/orders/JobStage', 'dtle/orders/NatsAddr']);
    const config = JSON.parse(consul.value('dtle/orders/Config') ?? '{}') as Record<string, { Password?: string }>;
    expect(config.SrcConnectionConfig?.Password).toBe('sim-password');
    expect(consul.value('dtle/orders/NatsAddr')).toBe('127.0.0.1:8193');
    expect(consul.value('dtle/orders/JobStage')).toBe('job_stage_full');
    expect(consul.value('dtle/orders/DumpProgress')).toBe('[0,120000]');
    expect(consul.kv.entries.get('dtle/orders/Gtid')).toBeUndefined();
    expect(consul.kv.entries.get('dtle/orders/NatsAddr')?.Flags).toBe(LIBKV_FLAGS);
    expect(consul.keys('dtleJobList/')).toEqual([]);
  });

  it('dtle 4.22.07: SourceType, NatsAddr; no Config, JobStage or DumpProgress (later releases brought them)', async () => {
    await start('4.22.07.2');
    sim.registerJob(perTaskJob('old'));
    expect(consul.keys('dtle/old/')).toEqual(['dtle/old/NatsAddr', 'dtle/old/SourceType']);
    expect(consul.value('dtle/old/SourceType')).toBe('mysql');
    sim.advanceReplication(30_000);
    expect(consul.keys('dtle/old/')).toEqual(['dtle/old/BinlogFilePos', 'dtle/old/Gtid', 'dtle/old/NatsAddr', 'dtle/old/SourceType']);
  });
});

describe('replication', () => {
  it('copies (DumpProgress [exec,total]), then goes incremental with a Gtid and binlog position that move', async () => {
    await start();
    sim.registerJob(job('orders'));
    sim.advanceReplication(10_000);
    expect(consul.value('dtle/orders/DumpProgress')).toBe('[40000,120000]');
    sim.advanceReplication(20_000);
    expect(consul.value('dtle/orders/DumpProgress')).toBe('[120000,120000]');
    expect(consul.value('dtle/orders/JobStage')).toBe('job_stage_incr');
    expect(consul.value('dtle/orders/Gtid')).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171');
    expect(consul.value('dtle/orders/BinlogFilePos')).toBe('mysql-bin.000003//dtle//4');
    const dest = (await allocsOf('orders')).find((a) => a.TaskGroup === 'dest');
    expect(events(dest?.ID ?? '', 'dest').at(-1)).toEqual(['Driver', 'job_stage_incr']);
    sim.advanceReplication(1000);
    expect(consul.value('dtle/orders/Gtid')).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-191');
    expect(consul.value('dtle/orders/BinlogFilePos')).toBe(`mysql-bin.000003//dtle//${4 + 20 * 473}`);
  });

  it('a job starting from a Gtid goes incremental at the first upload; the Gtid kept in Consul wins over the job\'s', async () => {
    await start();
    consul.kv.put('dtle/resumed/Gtid', Buffer.from('11111111-2222-3333-4444-555555555555:1-900'));
    sim.registerJob(job('resumed', '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171'));
    sim.advanceReplication(1000);
    expect(consul.value('dtle/resumed/JobStage')).toBe('job_stage_incr');
    expect(consul.value('dtle/resumed/Gtid')).toBe('11111111-2222-3333-4444-555555555555:1-900');
    sim.advanceReplication(1000);
    expect(consul.value('dtle/resumed/Gtid')).toBe('11111111-2222-3333-4444-555555555555:1-920');
  });

  it('a job whose dtleJobList entry says paused starts with its runners off', async () => {
    await start();
    consul.kv.put('dtleJobList/held', Buffer.from(JSON.stringify({ job_id: 'held', job_status: 'paused' })));
    sim.registerJob(job('held'));
    sim.advanceReplication(10_000);
    expect(consul.value('dtle/held/DumpProgress')).toBeNull();
  });

  it('keeps the state when the job is purged (dtle leaves it to whoever deletes the job)', async () => {
    await start();
    sim.registerJob(job('gone'));
    sim.advanceReplication(40_000);
    await fetch(`${url}/v1/job/gone?purge=true`, { method: 'DELETE' });
    sim.advanceReplication(1000);
    expect(consul.value('dtle/gone/Gtid')).toBe('8868d98f-af5e-11e8-9aa9-0242ac110002:1-171');
  });
});

describe('alloc signals', () => {
  it('stats: 500 with the task\'s TaskStatistics after `rpc error: code = Unknown desc = `, and two task events', async () => {
    await start();
    sim.registerJob(job('sig'));
    sim.advanceReplication(15_000);
    const src = (await allocsOf('sig')).find((a) => a.TaskGroup === 'src');
    const r = await fetch(`${url}/v1/client/allocation/${src?.ID}/signal`, { method: 'POST', body: JSON.stringify({ Task: 'src', Signal: 'stats' }) });
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await r.text();
    expect(text.startsWith('rpc error: code = Unknown desc = {"CurrentCoordinates":')).toBe(true);
    const stats = JSON.parse(text.slice('rpc error: code = Unknown desc = '.length)) as Record<string, unknown>;
    expect(Object.keys(stats)).toEqual([
      'CurrentCoordinates', 'TableStats', 'DelayCount', 'ProgressPct', 'ExecMasterRowCount', 'ExecMasterTxCount', 'ReadMasterRowCount', 'ReadMasterTxCount',
      'ETA', 'Backlog', 'ThroughputStat', 'MsgStat', 'BufferStat', 'Stage', 'Timestamp', 'MemoryStat', 'HandledTxCount', 'HandledQueryCount',
    ]);
    expect(stats).toMatchObject({ ProgressPct: '50.0', ExecMasterRowCount: 60000, ReadMasterRowCount: 120000, ETA: '15s', Stage: 'Sending data' });
    expect(events(src?.ID ?? '', 'src').slice(-2)).toEqual([
      ['Signaling', 'Task being sent a signal'],
      ['Driver', 'Task receive signal stats'],
    ]);
  });

  it('pause stops the runners (no progress), resume starts them again; both answer {"Index":0}', async () => {
    await start();
    sim.registerJob(job('p'));
    const allocs = await allocsOf('p');
    for (const a of allocs) {
      const r = await fetch(`${url}/v1/client/allocation/${a.ID}/signal`, { method: 'POST', body: JSON.stringify({ Signal: 'pause' }) });
      expect([r.status, await r.text()]).toEqual([200, '{"Index":0}']);
    }
    sim.advanceReplication(10_000);
    expect(consul.value('dtle/p/DumpProgress')).toBe('[0,120000]');
    for (const a of allocs) await fetch(`${url}/v1/client/allocation/${a.ID}/signal`, { method: 'POST', body: JSON.stringify({ Signal: 'resume' }) });
    sim.advanceReplication(10_000);
    expect(consul.value('dtle/p/DumpProgress')).toBe('[40000,120000]');
  });

  it('a task that is not running: Nomad\'s "Task not running" (named) or its multierror (all tasks); an unknown allocation 404', async () => {
    await start();
    sim.registerJob(job('stopped'));
    const [a] = await allocsOf('stopped');
    await fetch(`${url}/v1/job/stopped`, { method: 'DELETE' });
    const named = await fetch(`${url}/v1/client/allocation/${a?.ID}/signal`, { method: 'POST', body: JSON.stringify({ Task: a?.TaskGroup, Signal: 'stats' }) });
    expect([named.status, await named.text()]).toEqual([500, 'Task not running']);
    const all = await fetch(`${url}/v1/client/allocation/${a?.ID}/signal`, { method: 'POST', body: JSON.stringify({ Signal: 'pause' }) });
    expect(await all.text()).toBe(`1 error occurred:\n\t* Failed to signal task: ${a?.TaskGroup}, err: Task not running\n\n`);
    const unknown = await fetch(`${url}/v1/client/allocation/00000000-0000-0000-0000-000000000000/signal`, { method: 'POST', body: '{"Signal":"stats"}' });
    expect([unknown.status, await unknown.text()]).toEqual([404, 'Unknown allocation "00000000-0000-0000-0000-000000000000"']);
  });
});
