import { JOB_META_KEY, TASK_META_KEY, jobMeta, readJobMeta, readTaskMeta, taskMeta } from '../../src/translate/meta';

describe('the Meta dtle-compat writes', () => {
  it('is read back as written', () => {
    const job = jobMeta({ Name: 'test1-2', Type: 'migration', Orders: ['o1'], Failover: true, Constraints: [{ LTarget: 'a', RTarget: 'b', Operand: '=' }] });
    expect(JSON.parse(job[JOB_META_KEY] as string)).toEqual({ Name: 'test1-2', Type: 'migration', Orders: ['o1'], Failover: true, Constraints: [{ LTarget: 'a', RTarget: 'b', Operand: '=' }] });
    expect(readJobMeta(job)).toEqual({ Name: 'test1-2', Type: 'migration', Orders: ['o1'], Failover: true, Constraints: [{ LTarget: 'a', RTarget: 'b', Operand: '=' }] });
    const task = taskMeta({ Type: 'Dest', Driver: 'Kafka', NodeID: 'n1', NodeName: '', Leader: true, Constraints: null, Config: { Topic: 't', Port: '3306' } });
    expect(readTaskMeta(task)).toEqual({ Type: 'Dest', Driver: 'Kafka', NodeID: 'n1', NodeName: '', Leader: true, Constraints: null, Config: { Topic: 't', Port: '3306' } });
  });

  it('never holds a password', () => {
    const task = taskMeta({ Type: 'Src', Driver: 'MySQL', NodeID: '', NodeName: '', Leader: false, Constraints: null, Config: { ConnectionConfig: { Host: 'h', Password: 'CANARY-pw-7f3a' } } });
    expect(task[TASK_META_KEY]).not.toContain('CANARY-pw-7f3a');
  });
});

describe('Meta written by someone else (anyone with Nomad write rights can)', () => {
  it('ignores each field that is not what dtle-compat writes, keeping the others', () => {
    const meta = {
      [TASK_META_KEY]: JSON.stringify({
        Type: 'Source',
        Driver: 'Oracle',
        NodeID: { $ne: '' },
        NodeName: 'n2',
        Leader: 'yes',
        Constraints: [{ LTarget: '${attr.x}', RTarget: 'y', Operand: '=', Extra: 1 }],
        Config: ['not', 'an', 'object'],
      }),
    };
    expect(readTaskMeta(meta)).toEqual({ NodeName: 'n2' });
    expect(readJobMeta({ [JOB_META_KEY]: JSON.stringify({ Type: 'batch', Orders: [1], Failover: 'true', Constraints: 5 }) })).toEqual({});
  });

  it('drops secrets from a posted config it did not write', () => {
    const meta = { [TASK_META_KEY]: JSON.stringify({ Config: { ConnectionConfig: { Host: 'h', Password: 'planted' }, Token: 'x' } }) };
    expect(readTaskMeta(meta).Config).toEqual({ ConnectionConfig: { Host: 'h' } });
  });

  it('reads no Meta, text that is not JSON and JSON that is not an object as nothing', () => {
    expect(readTaskMeta(null)).toEqual({});
    expect(readTaskMeta({ other: '1' })).toEqual({});
    expect(readTaskMeta({ [TASK_META_KEY]: '{not json' })).toEqual({});
    expect(readJobMeta({ [JOB_META_KEY]: '[1,2]' })).toEqual({});
  });
});
