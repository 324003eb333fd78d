/**
 * Go's int64 fields (CreateTime, Timestamp, …) can exceed JavaScript's safe integers.
 * An Int64Value serialises as a bare JSON number with every digit kept: JSON.stringify
 * writes a marker string that `stringifyLegacy` turns back into the digits.
 */
import { randomBytes } from 'node:crypto';

/** The marker carries a secret of this process, so no string a caller sends can pass for an int64. */
const NONCE = randomBytes(8).toString('hex');
const MARK = `\u0000i64.${NONCE}:`;

export class Int64Value {
  constructor(readonly digits: string) {
    if (!/^-?\d+$/.test(digits)) throw new Error(`not an integer: ${digits}`);
  }
  toJSON(): string {
    return MARK + this.digits;
  }
  toString(): string {
    return this.digits;
  }
}

export function int64(v: string | number | bigint): Int64Value {
  return new Int64Value(typeof v === 'number' ? BigInt(Math.trunc(v)).toString() : String(v));
}

const MARKED = new RegExp(`"\\\\u0000i64\\.${NONCE}:(-?\\d+)"`, 'g');

/** JSON.stringify that writes Int64Value as bare numbers. */
export function stringifyLegacy(value: unknown, pretty = false): string {
  const text = JSON.stringify(value, null, pretty ? 4 : undefined) ?? 'null';
  return text.includes(`\\u0000i64.${NONCE}:`) ? text.replace(MARKED, '$1') : text;
}
