/**
 * Pause and resume, emulated on Nomad: a paused job is a stopped (not purged) Nomad job whose full
 * spec is kept in a Nomad Variable (`<pause_var_prefix>/<job>`), so it outlives Nomad's garbage
 * collection of stopped jobs; resume re-registers that spec with check-and-set and then deletes the
 * variable. Nomad Variables need Nomad 1.4 or later.
 */
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { Blocking, NomadClient, Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { Job, JsonObject, Variable } from '../nomad/types';
import { runValueWatch, type WatchOptions } from './watch';

export const VariableMetaList = z
  .array(z.looseObject({ Path: z.string(), ModifyIndex: z.number().nullish().transform((v) => v ?? 0), Namespace: z.string().nullish() }))
  .nullish()
  .transform((v) => v ?? []);

const SAFE_ID = /^[a-zA-Z0-9_-]{1,100}$/;

/** A job ID as a variable path segment ([a-zA-Z0-9-_~/] only): safe IDs as they are, others `~` + hex. */
export function encodeJobSegment(id: string): string {
  return SAFE_ID.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('hex')}`;
}

export function decodeJobSegment(seg: string): string | null {
  if (!seg.startsWith('~')) return SAFE_ID.test(seg) ? seg : null;
  const hex = seg.slice(1);
  if (!/^([0-9a-f]{2})+$/.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('utf8');
}

/** Server-managed fields dropped from a saved spec before it is registered again. */
const SERVER_FIELDS = ['Status', 'StatusDescription', 'Stable', 'Version', 'SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex'];

export function specForSaving(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw, Stop: false };
  for (const k of SERVER_FIELDS) delete out[k];
  return out;
}

/** How long a resume's claim on a saved spec keeps other resumes off (see PauseStore.claim). */
export const CLAIM_TTL_MS = 60_000;

export interface PausedEntry {
  id: string;
  path: string;
  modifyIndex: number;
  /** the saved Nomad job spec (with real passwords: never sent to a caller unmasked) */
  spec: Job;
  raw: Record<string, unknown>;
  /** the variable's items as read (job_id, job, paused_at, …) */
  items: Record<string, string>;
}

export class PauseStore {
  private readonly specs = new Map<string, PausedEntry>();
  private watched: { ids: Map<string, number>; at: number } | null = null;

  constructor(
    private readonly deps: { config: Config; nomad: NomadClient; logger: Logger },
  ) {}

  pathFor(id: string): string {
    return `${this.deps.config.pause_var_prefix.replace(/\/+$/, '')}/${encodeJobSegment(id)}`;
  }

  private varUrl(path: string): string {
    return '/v1/var/' + path.split('/').map(encodeURIComponent).join('/');
  }

  /** The saved spec of a paused job, or null. */
  async get(id: string, scope: Scope): Promise<PausedEntry | null> {
    const path = this.pathFor(id);
    let v;
    try {
      v = (await this.deps.nomad.get(this.varUrl(path), Variable, { scope, op: 'var.read' })).data;
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) return null;
      throw e;
    }
    return this.entryOf(id, path, v);
  }

  private entryOf(id: string, path: string, v: Variable): PausedEntry | null {
    const cached = this.specs.get(path);
    if (cached && cached.modifyIndex === v.ModifyIndex) return cached;
    const text = v.Items.job;
    if (typeof text !== 'string') return null;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.deps.logger.warn('paused job variable holds no valid job', { path });
      return null;
    }
    const spec = Job.safeParse(raw);
    const object = JsonObject.safeParse(raw);
    if (!spec.success || !object.success) return null;
    const entry: PausedEntry = { id, path, modifyIndex: v.ModifyIndex, spec: spec.data, raw: object.data, items: v.Items };
    this.specs.set(path, entry);
    return entry;
  }

  /** IDs of paused jobs with their variable's ModifyIndex: from the watch when fresh, else one list call. */
  async ids(scope: Scope): Promise<Map<string, number>> {
    const defaultScope = !scope.token && !scope.region && !scope.namespace;
    if (this.watched && defaultScope && Date.now() - this.watched.at < 10 * 60_000) return this.watched.ids;
    return this.listIds(scope);
  }

  private async listIds(scope: Scope, block?: Blocking) {
    const prefix = this.deps.config.pause_var_prefix.replace(/\/+$/, '') + '/';
    const res = await this.deps.nomad.get('/v1/vars', VariableMetaList, { scope, block, params: { prefix }, op: 'vars.list' });
    const ids = new Map<string, number>();
    for (const m of res.data) {
      if (!m.Path.startsWith(prefix)) continue;
      const id = decodeJobSegment(m.Path.slice(prefix.length));
      if (id !== null) ids.set(id, m.ModifyIndex);
    }
    return Object.assign(ids, { index: res.meta.index ?? '0' });
  }

  /** Saved specs of paused jobs that Nomad no longer has (garbage-collected). */
  async orphans(ids: Map<string, number>, live: ReadonlySet<string>, scope: Scope): Promise<PausedEntry[]> {
    const out: PausedEntry[] = [];
    for (const [id, modifyIndex] of ids) {
      if (live.has(id)) continue;
      const cached = this.specs.get(this.pathFor(id));
      const entry = cached && cached.modifyIndex === modifyIndex ? cached : await this.get(id, scope);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Saves a spec only if nothing is saved yet (cas=0). Returns false when one already was. */
  async save(id: string, raw: Record<string, unknown>, scope: Scope): Promise<boolean> {
    const path = this.pathFor(id);
    const body = {
      Path: path,
      Items: { job_id: id, job: JSON.stringify(specForSaving(raw)), paused_at: new Date().toISOString() },
    };
    try {
      await this.deps.nomad.put(this.varUrl(path), body, z.unknown(), { scope, params: { cas: '0' }, op: 'var.write' });
    } catch (e) {
      if (e instanceof NomadError && e.kind === 'http' && e.status === 409) return false;
      throw e;
    }
    this.noteChanged(id, true);
    return true;
  }

  /**
   * Claims a saved spec for one resume: writes the variable again (same spec, plus resuming_at)
   * with check-and-set on the ModifyIndex read. Nomad checks a variable's CAS in its state store,
   * so of concurrent resumes exactly one gets the claim. (EnforceIndex on the job registration
   * does not do this: Nomad checks it before the raft write, and two concurrent registrations of a
   * garbage-collected job both passed it on Nomad 1.11.3.) Returns the claimed entry with its new
   * ModifyIndex, or null when another resume claimed it or it is gone. A claim younger than
   * CLAIM_TTL_MS is another resume at work (null); an older one was left by a resume that died,
   * and is taken over.
   */
  async claim(entry: PausedEntry, scope: Scope, now = Date.now()): Promise<PausedEntry | null> {
    const claimedAt = Date.parse(entry.items.resuming_at ?? '');
    if (Number.isFinite(claimedAt) && now - claimedAt < CLAIM_TTL_MS && now >= claimedAt - CLAIM_TTL_MS) return null;
    const body = { Path: entry.path, Items: { ...entry.items, resuming_at: new Date(now).toISOString() } };
    let v: Variable;
    try {
      v = (await this.deps.nomad.put(this.varUrl(entry.path), body, Variable, { scope, params: { cas: String(entry.modifyIndex) }, op: 'var.write' })).data;
    } catch (e) {
      if (e instanceof NomadError && e.kind === 'http' && (e.status === 409 || e.status === 404)) return null;
      throw e;
    }
    const claimed: PausedEntry = { ...entry, modifyIndex: v.ModifyIndex, items: Object.keys(v.Items).length > 0 ? v.Items : body.Items };
    this.specs.set(entry.path, claimed);
    return claimed;
  }

  /** Deletes the saved spec if it is still the one read (cas). */
  async remove(entry: { id: string; path: string; modifyIndex: number }, scope: Scope): Promise<void> {
    try {
      await this.deps.nomad.delete(this.varUrl(entry.path), z.unknown(), { scope, params: { cas: String(entry.modifyIndex) }, op: 'var.delete' });
    } catch (e) {
      if (!(e instanceof NomadError && e.kind === 'http' && (e.status === 409 || e.status === 404))) throw e;
    }
    this.specs.delete(entry.path);
    this.noteChanged(entry.id, false);
  }

  private noteChanged(id: string, paused: boolean): void {
    if (!this.watched) return;
    if (paused) this.watched.ids.set(id, this.watched.ids.get(id) ?? 0);
    else this.watched.ids.delete(id);
  }

  /** Keeps the set of paused jobs fresh with a blocking query on the variables list. */
  startWatch(opts: WatchOptions = {}): () => void {
    return runValueWatch(
      'paused jobs',
      this.deps.logger,
      async (index, wait) => {
        const ids = await this.listIds({}, { index, wait });
        return { value: { ids, at: Date.now() }, index: ids.index };
      },
      (value) => {
        this.watched = value;
      },
      opts,
    );
  }
}

/** Nomad's answer when EnforceIndex check-and-set fails. */
export function isEnforceIndexConflict(e: unknown): boolean {
  return e instanceof NomadError && e.kind === 'http' && /enforcing job modify index/i.test(e.reason);
}

