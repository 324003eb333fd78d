/**
 * Go's json.Decoder.Decode on a request body: the first JSON value is read (anything after it is
 * ignored) and a syntax error has Go's text ("invalid character 'x' looking for beginning of
 * value", "unexpected EOF", …), which Nomad's agent returns as a 400.
 */

export class GoJsonSyntaxError extends Error {}

function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** The end offset of the first JSON value in `s`, or a Go syntax error. */
function scanValue(s: string): number {
  let i = 0;
  const eof = (): never => {
    throw new GoJsonSyntaxError('unexpected EOF');
  };
  const bad = (ctx: string): never => {
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(s.charAt(i))} ${ctx}`);
  };
  const skip = () => {
    while (i < s.length && WS.has(s.charAt(i))) i++;
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++, i++) {
      if (i >= s.length) eof();
      if (s.charAt(i) !== word.charAt(k)) bad(`in literal ${word} (expecting ${quoteChar(word.charAt(k))})`);
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= s.length) eof();
      const c = s.charAt(i);
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        if (i >= s.length) eof();
        const e = s.charAt(i);
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= s.length) eof();
            if (!/[0-9a-fA-F]/.test(s.charAt(i))) bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) bad('in string escape code');
        i++;
        continue;
      }
      if (c < ' ') bad('in string literal');
      i++;
    }
  };
  const number = () => {
    if (s.charAt(i) === '-') {
      i++;
      if (i >= s.length) eof();
      if (!/[0-9]/.test(s.charAt(i))) bad('in numeric literal');
    }
    if (s.charAt(i) === '0') i++;
    else while (i < s.length && /[0-9]/.test(s.charAt(i))) i++;
    if (s.charAt(i) === '.') {
      i++;
      if (i >= s.length) eof();
      if (!/[0-9]/.test(s.charAt(i))) bad('after decimal point in numeric literal');
      while (i < s.length && /[0-9]/.test(s.charAt(i))) i++;
    }
    if (s.charAt(i) === 'e' || s.charAt(i) === 'E') {
      i++;
      if (s.charAt(i) === '+' || s.charAt(i) === '-') i++;
      if (i >= s.length) eof();
      if (!/[0-9]/.test(s.charAt(i))) bad('in exponent of numeric literal');
      while (i < s.length && /[0-9]/.test(s.charAt(i))) i++;
    }
  };
  /** The elements of an object or an array after its opening bracket, up to the closing one. */
  const sequence = (close: '}' | ']', element: () => void, afterElement: string): void => {
    i++;
    skip();
    if (i >= s.length) eof();
    if (s.charAt(i) === close) {
      i++;
      return;
    }
    for (;;) {
      element();
      skip();
      if (i >= s.length) eof();
      if (s.charAt(i) === ',') {
        i++;
        continue;
      }
      if (s.charAt(i) === close) {
        i++;
        return;
      }
      bad(afterElement);
    }
  };
  const member = (): void => {
    skip();
    if (i >= s.length) eof();
    if (s.charAt(i) !== '"') bad('looking for beginning of object key string');
    string();
    skip();
    if (i >= s.length) eof();
    if (s.charAt(i) !== ':') bad('after object key');
    i++;
    value();
  };
  const value = (): void => {
    skip();
    if (i >= s.length) eof();
    const c = s.charAt(i);
    if (c === '{') return sequence('}', member, 'after object key:value pair');
    if (c === '[') return sequence(']', value, 'after array element');
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    bad('looking for beginning of value');
  };
  value();
  return i;
}

/** Decodes a body as Go's json.Decoder does (first value only); throws GoJsonSyntaxError. */
export function goDecode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (text.trim() === '') throw new GoJsonSyntaxError('EOF');
    const end = scanValue(text);
    return JSON.parse(text.slice(0, end)) as unknown;
  }
}
