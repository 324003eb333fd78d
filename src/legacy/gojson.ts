/**
 * Go's encoding/json as Go servers read request bodies (dtle 2.x's agent and Nomad's alike), with
 * Go's own error texts: json.Decoder.Decode reads the first JSON value (anything after it is
 * ignored) a syntax error has Go's text ("invalid character 'x' looking for beginning of
 * value", "unexpected EOF", "EOF" for an empty body); a value of the wrong JSON type for a Go
 * field is Go's UnmarshalTypeError ("json: cannot unmarshal string into Go struct field
 * Job.Failover of type bool"); a struct field is found by its exact name, else ignoring case.
 * Shared by the service (2.x job bodies) and the simulator (Nomad's request bodies).
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

/** The JSON kind of a value as Go's UnmarshalTypeError names it. */
export function goKindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

/** A value of the wrong JSON type for its Go field: Go's UnmarshalTypeError, with its text. */
export class GoTypeError extends Error {}

/**
 * Where the decoder is (Go's errorContext): the innermost Go struct and the field path from the
 * root value, e.g. struct `Task`, path `Tasks.Config` inside an api.Job.
 */
export interface GoField {
  struct: string;
  path: readonly string[];
}

/**
 * Go's UnmarshalTypeError text for `v` decoded into a field of Go type `goType`: a number that
 * does not fit an integer type is quoted ("number -1"), as Go quotes the literal.
 */
export function goTypeErrorText(at: GoField, field: string, v: unknown, goType: string): string {
  let value = goKindOf(v);
  if (typeof v === 'number' && /^u?int\d*$|Duration$/.test(goType)) value = `number ${String(v)}`;
  return `json: cannot unmarshal ${value} into Go struct field ${at.struct}.${[...at.path, field].join('.')} of type ${goType}`;
}

/** Go's text for a top-level value of the wrong kind: "json: cannot unmarshal array into Go value of type api.Job". */
export function goValueTypeErrorText(v: unknown, goType: string): string {
  return `json: cannot unmarshal ${goKindOf(v)} into Go value of type ${goType}`;
}

/**
 * Go's field lookup: every key of the object that names the field, exactly or ignoring case, is
 * decoded into it in document order, so the last such key wins.
 */
export function goField(o: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  let found: unknown = undefined;
  for (const k of Object.keys(o)) if (k === name || k.toLowerCase() === lower) found = o[k];
  return found;
}
