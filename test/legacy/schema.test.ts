import { BodyError, parseRegisterBody } from '../../src/legacy/schema';

function bodyError(body: unknown): BodyError {
  try {
    parseRegisterBody(body);
  } catch (e) {
    if (e instanceof BodyError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('parseRegisterBody', () => {
  it("takes the bare job (2.x's server) and the wrapped one (2.x's Go client)", () => {
    expect(parseRegisterBody({ Name: 'a' })).toEqual({ job: { Name: 'a' }, enforceIndex: false, jobModifyIndex: null });
    expect(parseRegisterBody({ Job: { Name: 'a' }, EnforceIndex: true, JobModifyIndex: 7 })).toEqual({ job: { Name: 'a' }, enforceIndex: true, jobModifyIndex: 7 });
    expect(parseRegisterBody({ Name: 'a', EnforceIndex: true, JobModifyIndex: 9 })).toMatchObject({ enforceIndex: true, jobModifyIndex: 9 });
  });

  it('keeps keys it does not know (2.x was loose)', () => {
    expect(parseRegisterBody({ Name: 'a', Extra: 1 }).job).toEqual({ Name: 'a', Extra: 1 });
  });

  it('names the field of a wrong JSON type; the body as a whole is field ""', () => {
    const e = bodyError({ Name: 'a', Failover: 'yes', Tasks: [{ Config: 5 }] });
    expect(e.field).toBe('Failover');
    expect(e.message).toMatch(/^Failover: .*; Tasks\[0\]\.Config: /);
    expect([bodyError([1]).field, bodyError([1]).message]).toEqual(['', 'body: must be a JSON object holding a job']);
    expect([bodyError({ Job: 'x' }).field, bodyError({ Job: 'x' }).message]).toEqual(['Job', 'Job: must be an object']);
    expect(bodyError({ Job: {}, EnforceIndex: 'no' }).field).toBe('EnforceIndex');
  });
});
