import { GoTypeError } from '../../src/legacy/gojson';
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

  it("answers a value of a wrong JSON type for an api.Job field with Go's text (the first in the document)", () => {
    const goError = (body: unknown) => {
      try {
        parseRegisterBody(body);
      } catch (e) {
        if (e instanceof GoTypeError) return e.message;
      }
      throw new Error('no GoTypeError');
    };
    expect(goError({ Name: 'a', Failover: 'yes', Tasks: [{ Config: 5 }] })).toBe('json: cannot unmarshal string into Go struct field Job.Failover of type bool');
    expect(goError({ Name: 'a', Tasks: [{ Config: 5 }], Failover: 'yes' })).toBe('json: cannot unmarshal number into Go struct field Task.Tasks.Config of type map[string]interface {}');
    expect(goError([1])).toBe('json: cannot unmarshal array into Go value of type api.Job');
    expect(goError({ Job: 'x' })).toBe('json: cannot unmarshal string into Go value of type api.Job');
    expect(goError({ Name: 'a', CreateIndex: -1 })).toBe('json: cannot unmarshal number -1 into Go struct field Job.CreateIndex of type uint64');
    expect(goError({ Name: 'a', Orders: ['o', 1] })).toBe('json: cannot unmarshal number into Go struct field Job.Orders of type string');
    expect(goError({ Name: 'a', Tasks: [7] })).toBe('json: cannot unmarshal number into Go struct field Job.Tasks of type api.Task');
    expect(bodyError({ Job: {}, EnforceIndex: 'no' }).field).toBe('EnforceIndex');
  });

  it('finds api.Job and api.Task fields ignoring case, the last key winning, as Go does; null leaves a field unset', () => {
    expect(parseRegisterBody({ name: 'a', NAME: 'b', id: 'x', tasks: [{ type: 'Src', config: {} }] }).job).toEqual({ Name: 'b', ID: 'x', Tasks: [{ Type: 'Src', Config: {} }] });
    expect(parseRegisterBody({ Name: 'a', ID: null, Failover: null }).job).toEqual({ Name: 'a' });
  });
});
