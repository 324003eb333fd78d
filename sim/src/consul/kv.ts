/**
 * Consul's KV store (agent/consul/state/kvs.go at v1.22): entries in key order, one raft index,
 * tombstones for deleted keys (so a prefix's index never goes back when its last key goes), and
 * the indexes Consul answers with: a found key its ModifyIndex, a list the highest index under the
 * prefix (entries or tombstones), anything missing the KV table's index.
 */
import { ChangeFeed, SortedTable } from '../http/memdb';

export interface SimKvEntry {
  Key: string;
  /** null when the value is empty (Go's nil []byte) */
  Value: Buffer | null;
  /** a uint64, kept as its digits */
  Flags: string;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session: string;
}

export interface KvRead<T> {
  index: number;
  found: T;
}

export class SimKv {
  /** the raft index: a Consul dev agent has written a dozen entries of its own before the first KV write */
  index = 12;
  /** the KV tables' index (kvs and tombstones) */
  private kvIndex = 0;
  readonly entries = new SortedTable<SimKvEntry>();
  private readonly tombstones = new Map<string, number>();
  readonly feed = new ChangeFeed();

  /** A raft write; the KV tables' index moves only when it changed something. */
  private write(changes: boolean): number {
    this.index += 1;
    if (changes) {
      this.kvIndex = this.index;
      this.feed.changed();
    }
    return this.index;
  }

  /** Answers 1 instead of 0, as Consul does ("index 1 is impossible due to Raft internals"). */
  private static atLeastOne(n: number): number {
    return n > 0 ? n : 1;
  }

  get(key: string): KvRead<SimKvEntry | null> {
    const e = this.entries.get(key);
    return e ? { index: e.ModifyIndex, found: e } : { index: SimKv.atLeastOne(this.kvIndex), found: null };
  }

  list(prefix: string): KvRead<SimKvEntry[]> {
    const found: SimKvEntry[] = [];
    let max = 0;
    for (const k of this.entries.keysInOrder()) {
      if (!k.startsWith(prefix)) continue;
      const e = this.entries.get(k) as SimKvEntry;
      found.push(e);
      max = Math.max(max, e.ModifyIndex);
    }
    for (const [k, idx] of this.tombstones) if (k.startsWith(prefix)) max = Math.max(max, idx);
    if (prefix === '') max = this.kvIndex;
    return { index: SimKv.atLeastOne(max > 0 ? max : this.kvIndex), found };
  }

  /** KVS.Apply set / cas. With `cas`, only when the key's ModifyIndex is that (0: only when absent). */
  put(key: string, value: Buffer, opts: { cas?: number | null; flags?: string } = {}): boolean {
    const existing = this.entries.get(key);
    const cas = opts.cas ?? null;
    if (cas !== null && (cas === 0 ? existing !== undefined : existing?.ModifyIndex !== cas)) return false;
    const idx = this.write(true);
    this.entries.set(key, {
      Key: key,
      Value: value.length === 0 ? null : value,
      Flags: opts.flags ?? '0',
      CreateIndex: existing ? existing.CreateIndex : idx,
      ModifyIndex: idx,
      LockIndex: existing ? existing.LockIndex : 0,
      Session: existing ? existing.Session : '',
    });
    this.tombstones.delete(key);
    return true;
  }

  /** KVS.Apply delete / delete-tree / delete-cas. Deleting what is not there is applied (true), as in Consul. */
  delete(key: string, opts: { recurse?: boolean; cas?: number | null } = {}): boolean {
    const cas = opts.cas ?? null;
    if (!opts.recurse && cas !== null) {
      const existing = this.entries.get(key);
      if (cas !== 0 && existing?.ModifyIndex !== cas) return false;
    }
    const keys = opts.recurse ? this.entries.keysInOrder().filter((k) => k.startsWith(key)) : this.entries.has(key) ? [key] : [];
    const idx = this.write(keys.length > 0);
    for (const k of keys) {
      this.entries.delete(k);
      this.tombstones.set(k, idx);
    }
    return true;
  }

  close(): void {
    this.feed.close();
  }
}
