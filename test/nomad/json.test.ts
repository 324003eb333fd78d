import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseNomadJson } from '../../src/nomad/json';
import { Allocation } from '../../src/nomad/types';

describe('parseNomadJson', () => {
  it('keeps the digits of integers beyond 2^53, whatever the field is called; safe numbers stay numbers', () => {
    expect(parseNomadJson('{"Time":1645601194094486985,"Index":12345678901234567,"SubmitTime": 1645601194094486985,"N":42,"F":1.5}')).toEqual({
      Time: '1645601194094486985',
      Index: '12345678901234567',
      SubmitTime: '1645601194094486985',
      N: 42,
      F: 1.5,
    });
  });

  it('reads negative int64 values (Go zero times) and digits inside strings as they are', () => {
    expect(parseNomadJson('[-6795364578871345152, "x 12345678901234567890 y", 9007199254740991, 0.12345678901234567]')).toEqual([
      '-6795364578871345152',
      'x 12345678901234567890 y',
      9007199254740991,
      0.12345678901234567,
    ]);
  });

  it('is JSON.parse for texts without long numbers', () => {
    const text = '{"a":[1,2,{"b":null,"c":true}],"d":"e"}';
    expect(parseNomadJson(text)).toEqual(JSON.parse(text));
  });

  it('throws on text that is not JSON', () => {
    expect(() => parseNomadJson('{"a":')).toThrow();
    expect(() => parseNomadJson('{"a":12345678901234567,')).toThrow();
  });

  it("gives a captured allocation's nanosecond times to the schema exactly", () => {
    const text = readFileSync(path.resolve(__dirname, '..', 'fixtures', 'nomad', 'allocation-detail.json'), 'utf8');
    const digits = /"CreateTime":\s*(\d+)/.exec(text)?.[1];
    const alloc = Allocation.parse(parseNomadJson(text));
    expect(alloc.CreateTime).toBe(digits);
  });
});
