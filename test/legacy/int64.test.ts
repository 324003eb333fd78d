import { Int64Value, int64, stringifyLegacy } from '../../src/legacy/int64';

describe('Int64Value and stringifyLegacy', () => {
  it('writes every digit of an int64 beyond 2^53 as a bare JSON number', () => {
    expect(stringifyLegacy({ CreateTime: int64('1645601194102268758'), Name: 'x' })).toBe('{"CreateTime":1645601194102268758,"Name":"x"}');
    expect(stringifyLegacy([int64(-5), int64(12n)])).toBe('[-5,12]');
  });

  it('indents like Go with ?pretty, and writes nothing else differently', () => {
    expect(stringifyLegacy({ a: int64('9007199254740993') }, true)).toBe('{\n    "a": 9007199254740993\n}');
    expect(stringifyLegacy({ s: '\u0000i64:1' })).toBe('{"s":"\\u0000i64:1"}');
    expect(stringifyLegacy(undefined)).toBe('null');
  });

  it('truncates a float and refuses text that is not an integer', () => {
    expect(int64(1.9).digits).toBe('1');
    expect(() => new Int64Value('12a')).toThrow('not an integer');
    expect(String(int64('42'))).toBe('42');
  });
});
