/**
 * Nomad's JSON, read without losing digits. Go writes int64 fields (SubmitTime, CreateTime, event
 * Time, …) as bare numbers that may exceed 2^53; JSON.parse would round them. Every integer beyond
 * JavaScript's safe range comes back as its digits (a string), which the schemas' Int64 accepts;
 * every other number is the JavaScript number JSON.parse gives.
 */
import { isInteger, isSafeNumber, parse } from 'lossless-json';

/** An integer literal below 16 digits is always safe: such a text needs no lossless parse. */
const LONG_DIGITS = /\d{16}/;

function parseNumber(text: string): number | string {
  return !isSafeNumber(text) && isInteger(text) ? text : Number(text);
}

/** JSON.parse for Nomad's answers: unsafe integers kept as their digits. Throws on invalid JSON. */
export function parseNomadJson(text: string): unknown {
  return LONG_DIGITS.test(text) ? parse(text, null, parseNumber) : JSON.parse(text);
}
