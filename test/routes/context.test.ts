import type { Request } from 'express';
import { MISSING_TOKEN, callerToken, legacyQuery } from '../../src/routes/context';
import { LegacyHttpError } from '../../src/legacy/errors';

/** The parts of an express request these functions read. */
function req(headers: Record<string, string>, query: Record<string, unknown> = {}): Request {
  const r: Pick<Request, 'headers' | 'query'> = { headers, query: query as Request['query'] };
  return r as Request;
}

function failure(f: () => unknown): [number, string] {
  try {
    f();
  } catch (e) {
    if (e instanceof LegacyHttpError) return [e.status, e.message];
    throw e;
  }
  return [0, ''];
}

describe('callerToken: the one caller-token rule', () => {
  it("is the caller's X-Nomad-Token, undefined when none or an empty one is sent", () => {
    expect(callerToken(req({ 'x-nomad-token': 'abc-123' }))).toBe('abc-123');
    expect(callerToken(req({}))).toBeUndefined();
    expect(callerToken(req({ 'x-nomad-token': '' }))).toBeUndefined();
  });

  it('refuses a token that is not one visible-ASCII line (400), and no token where one is required (401)', () => {
    expect(failure(() => callerToken(req({ 'x-nomad-token': 'a b' })))).toEqual([400, 'Invalid X-Nomad-Token header']);
    expect(failure(() => callerToken(req({ 'x-nomad-token': 'é' })))).toEqual([400, 'Invalid X-Nomad-Token header']);
    expect(failure(() => callerToken(req({}), true))).toEqual([401, MISSING_TOKEN]);
    expect(failure(() => callerToken(req({ 'x-nomad-token': '' }), true))).toEqual([401, MISSING_TOKEN]);
    expect(callerToken(req({ 'x-nomad-token': 't' }), true)).toBe('t');
  });
});

describe('legacyQuery: the scope apart from the blocking options', () => {
  it('reads token and region into the scope, index, wait and stale into the blocking options', () => {
    expect(legacyQuery(req({ 'x-nomad-token': 't' }, { region: 'r1', index: '42', wait: '5s', stale: '' }))).toEqual({
      scope: { token: 't', region: 'r1' },
      block: { index: '42', wait: '5s', stale: true },
    });
    expect(legacyQuery(req({}, { index: ['7', '8'] }))).toEqual({ scope: {}, block: { index: '7' } });
  });

  it("validates as 2.x did", () => {
    expect(failure(() => legacyQuery(req({}, { index: 'abc' })))).toEqual([400, 'Invalid index']);
    expect(failure(() => legacyQuery(req({}, { wait: 'soon' })))).toEqual([400, 'Invalid wait time']);
    expect(failure(() => legacyQuery(req({}, { wait: '-1s' })))).toEqual([400, 'Invalid wait time']);
    expect(failure(() => legacyQuery(req({}, { region: { a: 1 } })))).toEqual([400, 'Invalid region']);
  });
});
