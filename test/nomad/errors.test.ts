import { NomadError, legacyStatusOf } from '../../src/nomad/errors';

describe('legacyStatusOf: one mapping from a Nomad failure to what a legacy caller gets', () => {
  it.each([
    [new NomadError('timeout', 0, 'no answer', '/v1/jobs'), 504],
    [new NomadError('unreachable', 0, 'connect ECONNREFUSED', '/v1/jobs'), 502],
    [new NomadError('malformed', 200, 'not JSON', '/v1/jobs'), 502],
    [new NomadError('http', 500, 'No cluster leader', '/v1/jobs'), 503],
    [new NomadError('http', 500, 'rpc error: no leader', '/v1/jobs'), 503],
    [new NomadError('http', 500, 'rpc error: leadership lost while committing log', '/v1/jobs'), 500],
    [new NomadError('http', 403, 'Permission denied', '/v1/jobs'), 403],
    [new NomadError('http', 302, 'moved', '/v1/jobs'), 502],
  ])('%s → %i', (e, status) => {
    expect(legacyStatusOf(e)).toBe(status);
  });
});

describe('NomadError', () => {
  it('scrubs secrets from the reason and tells "nothing found" apart', () => {
    const e = new NomadError('http', 400, ' bad "Password":"CANARY-pw-7f3a" ', '/v1/jobs');
    expect(e.reason).toBe('bad "Password":"*"');
    expect(e.message).toBe('Nomad 400: bad "Password":"*"');
    expect(new NomadError('http', 404, 'job not found', '/v1/job/x').isNotFound).toBe(true);
    expect(new NomadError('http', 500, 'alloc lookup failed: index error: UUID must be 36 characters', '/v1/allocation/x').isNotFound).toBe(true);
    expect(new NomadError('http', 500, 'rpc error', '/v1/allocation/x').isNotFound).toBe(false);
    expect(new NomadError('timeout', 0, 'x', '/').isNotFound).toBe(false);
  });
});
