/**
 * The part of Consul's HTTP API the service reads (KV, status), as zod schemas at the edge.
 * Field names and types as Consul 1.x writes them (api.KVPair / structs.DirEntry): `Value` is
 * base64 or null, `Flags` a uint64 (kept as its digits when beyond 2^53), `Session` only when set.
 */
import { z } from 'zod';

const Uint = z.number().int().nonnegative();

/** One KV entry as Consul answers it. */
export const KvPairJson = z.looseObject({
  Key: z.string(),
  Value: z.string().nullish(),
  Flags: z.union([Uint, z.string().regex(/^\d+$/)]).nullish(),
  CreateIndex: Uint,
  ModifyIndex: Uint,
  LockIndex: Uint.nullish(),
  Session: z.string().nullish(),
});

/** GET /v1/kv/<key>[?recurse]: the entries found (Consul answers 404 when none). */
export const KvPairList = z.array(KvPairJson);

/** PUT and DELETE /v1/kv/<key>: whether the write was applied (false: a check-and-set that lost). */
export const KvWriteResult = z.boolean();

/** GET /v1/status/leader: "host:port", or "" without a leader. */
export const ConsulLeader = z.string();

/** A KV entry as the service uses it: the value decoded from base64. */
export interface KvEntry {
  key: string;
  /** the value's bytes; null when Consul holds none */
  value: Buffer | null;
  createIndex: number;
  modifyIndex: number;
}

export function kvEntryOf(p: z.infer<typeof KvPairJson>): KvEntry {
  return {
    key: p.Key,
    value: p.Value === null || p.Value === undefined ? null : Buffer.from(p.Value, 'base64'),
    createIndex: p.CreateIndex,
    modifyIndex: p.ModifyIndex,
  };
}
