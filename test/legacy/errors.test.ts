import { LegacyHttpError, badRequest, notFound } from '../../src/legacy/errors';

describe('LegacyHttpError', () => {
  it('carries the status and the plain text 2.x answered', () => {
    expect([badRequest('Invalid index').status, badRequest('Invalid index').message]).toEqual([400, 'Invalid index']);
    expect(notFound('job not found')).toMatchObject({ status: 404, message: 'job not found', name: 'LegacyHttpError' });
    expect(new LegacyHttpError(501, 'x')).toBeInstanceOf(Error);
  });
});
