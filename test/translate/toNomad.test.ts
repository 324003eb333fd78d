import { Job } from '../../src/nomad/types';
import { dtleJobOfLegacy } from '../../src/translate/fromLegacy';
import { dtleJobOfNomad } from '../../src/translate/fromNomad';
import { JOB_META_KEY, TASK_META_KEY } from '../../src/translate/meta';
import { legacyTaskOf } from '../../src/translate/toLegacy';
import { nomadJobOf } from '../../src/translate/toNomad';
import { seed003Job } from '../support/runtimeFixtures';

const PASSWORD = 'CANARY-pw-7f3a';
const record = (dialect: 'per-task' | 'src-only') => dtleJobOfLegacy(seed003Job(PASSWORD), { dialect, datacenters: ['dc1'] }).job;

describe('nomadJobOf', () => {
  it('per-task: each task its own options, Gtid and ConnectionConfig', () => {
    const job = nomadJobOf(record('per-task'), { dialect: 'per-task', driverName: 'dtle', namespace: 'ns1' });
    expect(job).toMatchObject({ ID: '8ce4b408-8c64-41b9-04d7-baf451348e89', Name: '8ce4b408-8c64-41b9-04d7-baf451348e89', Type: 'service', Priority: 50, Region: 'global', Namespace: 'ns1' });
    expect(job.TaskGroups.map((g) => [g.Name, g.Count, g.Tasks[0]?.Name, g.Tasks[0]?.Driver])).toEqual([
      ['src', 1, 'src', 'dtle'],
      ['dest', 1, 'dest', 'dtle'],
    ]);
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({
      Gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
      ConnectionConfig: { Host: '172.100.9.6', Port: 3306, User: 'test1', Password: PASSWORD },
    });
  });

  it('src-only: everything on src, dest only DestType', () => {
    const job = nomadJobOf(record('src-only'), { dialect: 'src-only', driverName: 'dtle' });
    const src = job.TaskGroups[0]?.Tasks[0]?.Config ?? {};
    expect(Object.keys(src).sort()).toEqual(['ChunkSize', 'DestConnectionConfig', 'Gtid', 'ReplChanBufferSize', 'ReplicateDoDb', 'SrcConnectionConfig', 'TrafficAgainstLimits']);
    expect(job.TaskGroups[1]?.Tasks[0]?.Config).toEqual({ DestType: 'mysql' });
    expect(job).not.toHaveProperty('Namespace');
  });

  it('pins by NodeID before NodeName, and escapes HCL templates in every string', () => {
    const r = record('per-task');
    const pinned = { ...r, tasks: r.tasks.map((t, i) => ({ ...t, node: i === 0 ? { id: 'n-1', name: 'x' } : t.node, gtid: i === 0 ? 'a${b}%{c}' : t.gtid })) };
    const job = nomadJobOf(pinned, { dialect: 'per-task', driverName: 'dtle' });
    expect(job.TaskGroups.map((g) => g.Constraints)).toEqual([
      [{ LTarget: '${node.unique.id}', RTarget: 'n-1', Operand: '=' }],
      [{ LTarget: '${node.unique.name}', RTarget: 'dtle', Operand: '=' }],
    ]);
    expect(job.TaskGroups[0]?.Tasks[0]?.Config.Gtid).toBe('a$${b}%%{c}');
  });

  it('writes what only 2.x had into Meta, never a password', () => {
    const job = nomadJobOf(record('src-only'), { dialect: 'src-only', driverName: 'dtle' });
    expect(JSON.parse(job.Meta[JOB_META_KEY] as string)).toEqual({ Name: 'test1-2', Type: 'synchronous', Orders: null, Failover: false, Constraints: null });
    const meta = JSON.parse(job.TaskGroups[0]?.Tasks[0]?.Meta[TASK_META_KEY] as string) as Record<string, unknown>;
    expect(meta).toMatchObject({ Type: 'Src', Driver: 'MySQL', NodeID: '', NodeName: 'dtle', Leader: false, Constraints: null });
    expect(JSON.stringify(job.Meta) + JSON.stringify(job.TaskGroups.map((g) => g.Tasks[0]?.Meta))).not.toContain(PASSWORD);
  });

  it.each(['per-task', 'src-only'] as const)('reads back (%s) into the tasks it was made from', (dialect) => {
    const r = record(dialect);
    const back = dtleJobOfNomad(Job.parse({ ...nomadJobOf(r, { dialect, driverName: 'dtle' }), Status: 'running' }), ['dtle']);
    expect(back?.tasks.map(legacyTaskOf)).toEqual(r.tasks.map((t) => legacyTaskOf({ ...t, derived: t.type === 'Dest' && dialect === 'src-only' })));
  });
});
