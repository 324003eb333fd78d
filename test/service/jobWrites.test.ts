import { GoTypeError } from '../../src/legacy/gojson';
import { TranslateError } from '../../src/translate/config';
import { canaryJob, freePort, simJobIds } from '../reliability/helpers';
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

  it('a body without an ID gets a new random UUID as its ID and Nomad Name (the legacy Name in Meta); errors are thrown as themselves', async () => {
    const { ID: _id, ...body } = canaryJob('ignored');
    void _id;
    const first = (await writes().translate({ ...body, Name: 'n' }, {})).job;
    const second = (await writes().translate({ ...body, Name: 'n' }, {})).job;
    expect(first.ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.ID).not.toBe(first.ID);
    expect(first.Name).toBe(first.ID);
    expect(JSON.parse(first.Meta.dtle_compat_job ?? '{}')).toMatchObject({ Name: 'n' });
    await expect(writes().translate([1], {})).rejects.toBeInstanceOf(GoTypeError);
    await expect(writes().translate({ ...body, Type: 'weird' }, {})).rejects.toBeInstanceOf(TranslateError);
    expect(simJobIds(h.sim)).toEqual([]);
  });

  it('fills "*" passwords from the stored job before it translates', async () => {
    await writes().register(canaryJob('w-2'), {});
    const masked = JSON.parse(JSON.stringify(canaryJob('w-2')).split(CANARY).join('*')) as unknown;
    const { job } = await writes().translate(masked, {});
    expect(JSON.stringify(job.TaskGroups[0]?.Tasks[0]?.Config)).toContain(CANARY);
  });

  it("validate: 2.x's job checks are a 500 with their text; the pre-flight runs per task; nothing is written", async () => {
    await expect(writes().validate({}, {})).rejects.toMatchObject({ status: 500, message: '1 error occurred:\n\t* Missing job tasks\n\n' });
    await expect(writes().validate({ Tasks: [{ Type: 'Src' }, { Type: 'Src', Driver: 'Oracle' }] }, {})).rejects.toMatchObject({
      status: 500,
      message: "1 error occurred:\n\t* Job task 2 redefines 'Src' from task 1\n\n",
    });
    await expect(writes().validate('x', {})).rejects.toBeInstanceOf(GoTypeError);
    const port = await freePort();
    const job = JSON.parse(JSON.stringify(canaryJob('v-2')).replace(/"Port":"?\d+"?/g, `"Port":${port}`).replace(/"Host":"[^"]*"/g, '"Host":"127.0.0.1"')) as unknown;
    const answer = await writes().validate(job, {});
    expect(answer.DriverConfigValidated).toBe(true);
    expect(answer.ValidationTasks?.map((t) => [t.Type, t.Connection])).toEqual([
      ['Src', { Success: false, Error: `dial tcp 127.0.0.1:${port}: connect: connection refused` }],
      ['Dest', { Success: false, Error: `dial tcp 127.0.0.1:${port}: connect: connection refused` }],
    ]);
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
    // a second delete: Success, as 2.x's deregister of a missing job; Nomad is not asked to delete anything
    h.sim.resetCalls();
    expect((await writes().delete('w-3', {})).response.Success).toBe(true);
    expect(h.sim.calls.filter((c) => c.method === 'DELETE')).toEqual([]);
  });
});
