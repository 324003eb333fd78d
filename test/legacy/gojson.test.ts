import { GoJsonSyntaxError, goDecode } from '../../src/legacy/gojson';

describe("goDecode (Go's json.Decoder.Decode on a request body)", () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    [' [1, {"b": [true, null]}] ', [1, { b: [true, null] }]],
    ['{}', {}],
    ['[]', []],
    // only the first value is read: what follows it is left alone, as the agent leaves it
    ['{"a":1} trailing', { a: 1 }],
    ['[1]]', [1]],
  ])('%s', (text, value) => {
    expect(goDecode(text)).toEqual(value);
  });

  it.each([
    ['', 'EOF'],
    ['  \n', 'EOF'],
    ['{"a": ', 'unexpected EOF'],
    ['[1,', 'unexpected EOF'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{1:2}', "invalid character '1' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":-x}', "invalid character 'x' in numeric literal"],
    ['{"a":1.}', "invalid character '}' after decimal point in numeric literal"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
  ])('%p → %s', (text, message) => {
    expect(() => goDecode(text)).toThrow(new GoJsonSyntaxError(message));
  });
});
