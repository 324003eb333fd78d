import { BodyError } from '../../src/legacy/schema';
import { TranslateError } from '../../src/translate/config';
import { canaryJob, simJobIds } from '../reliability/helpers';
import { CANARY, startHarness, type Harness } from '../support/harness';

describe('JobWrites', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const writes = () => h.built.services.jobWrites;

  it('register writes the translated job and answers 2.x JobResponse with the write index', async () => {
    const { response, meta } = await writes().register(canaryJob('w-1'), {});
    expect(response).toMatchObject({ Success: true, LastContact: 0, KnownLeader: false });
    expect(meta.index).toBe(String(response.Index));
    expect(simJobIds(h.sim)).toEqual(['w-1']);
  });

  it('a body without an ID takes the path ID; a body error and a translation error are thrown as themselves', async () => {
    const { ID: _id, ...body } = canaryJob('ignored');
    void _id;
    const { job } = await writes().translate({ ...body, Name: 'n' }, {}, 'from-path');
    expect(job.ID).toBe('from-path');
    await expect(writes().translate([1], {})).rejects.toBeInstanceOf(BodyError);
    await expect(writes().translate({ ...body, Type: 'weird' }, {})).rejects.toBeInstanceOf(TranslateError);
    expect(simJobIds(h.sim)).toEqual([]);
  });

  it('fills "*" passwords from the stored job before it translates', async () => {
    await writes().register(canaryJob('w-2'), {});
    const masked = JSON.parse(JSON.stringify(canaryJob('w-2')).split(CANARY).join('*')) as unknown;
    const { job } = await writes().translate(masked, {});
    expect(JSON.stringify(job.TaskGroups[0]?.Tasks[0]?.Config)).toContain(CANARY);
  });

  it('validate: a job the translation refuses is answered with the reason, a body that is no job is thrown', async () => {
    expect(await writes().validate({ ...canaryJob('v-1'), Type: 'weird' }, {})).toEqual({
      DriverConfigValidated: false,
      ValidationTasks: null,
      Error: 'Type: unknown job type "weird" (one of synchronous, migration, subscribe)',
    });
    expect((await writes().validate({ ...canaryJob('v-1'), Failover: 'x' }, {})).Error).toMatch(/^Failover: /);
    await expect(writes().validate('x', {})).rejects.toMatchObject({ field: '', message: 'body: must be a JSON object holding a job' });
    expect(await writes().validate(canaryJob('v-2'), {})).toMatchObject({ DriverConfigValidated: true, Error: '' });
    expect(simJobIds(h.sim)).toEqual([]);
  });

  it('delete purges the job (purge_on_delete) and forgets its cached spec', async () => {
    await writes().register(canaryJob('w-3'), {});
    await h.built.services.jobReads.list({});
    expect(h.built.services.jobReads.cachedView('w-3', {})).toBeDefined();
    h.sim.resetCalls();
    const { response } = await writes().delete('w-3', {});
    expect(response.Success).toBe(true);
    expect(h.sim.calls.filter((c) => c.method === 'DELETE').map((c) => `${c.path}?${c.query}`)).toEqual(['/v1/job/w-3?purge=true']);
    expect(h.built.services.jobReads.cachedView('w-3', {})).toBeUndefined();
    await expect(writes().delete('w-3', {})).rejects.toMatchObject({ status: 404 });
  });
});
