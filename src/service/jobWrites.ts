/**
 * Legacy job writes over Nomad: a legacy body translated (and checked) into the Nomad job to
 * register, registration, validation and deletion. Bad bodies fail with their own typed errors
 * (BodyError, TranslateError), which the error middleware answers as 400 naming the field.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { Logger } from '../logging';
import { nomadPath, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { JobWriteResponse } from '../nomad/types';
import { LegacyHttpError } from '../legacy/errors';
import type { LegacyJob, LegacyJobResponse } from '../legacy/types';
import { parseRegisterBody, type LegacyJobInput } from '../legacy/schema';
import { jobValidationError, type LegacyJobValidateResponse } from '../legacy/validation';
import { preflightTasks } from '../mysql/preflight';
import { restoreMasked } from '../translate/fromLegacy';
import { hasMaskedSecret } from '../translate/mask';
import { legacyToNomadJob, type NomadJobWrite } from '../translate/job';
import type { DialectProbe } from './dialect';
import type { JobRead, JobReads } from './jobReads';
import type { PauseStore } from './pauseStore';
import type { DtleStateStore } from './dtleState';
import { DtleCleanup } from './dtleCleanup';
import { awaitPlannedEvals } from './evalWait';

export interface JobWritesDeps {
  config: Config;
  logger: Logger;
  nomad: NomadClient;
  reads: JobReads;
  dialect: DialectProbe;
  pauseStore: PauseStore;
  dtleState: DtleStateStore;
}

/** 2.x's JobResponse from a Nomad write answer (keys in 2.x's order on the wire). */
export function legacyJobResponse(index: number, success = true): LegacyJobResponse {
  return { Index: index, KnownLeader: false, LastContact: 0, Success: success };
}

/** 2.x's answer and headers for a Nomad write: the write's index, from its header or its body; only X-Udup-Index (2.x's setIndex). */
export function writeAnswer(index: number, meta: Pick<QueryMeta, 'index'>): { response: LegacyJobResponse; meta: QueryMeta } {
  return { response: legacyJobResponse(index), meta: { index: meta.index ?? String(index), knownLeader: null, lastContact: null } };
}

export class JobWrites {
  private readonly cleanup: DtleCleanup;

  constructor(private readonly deps: JobWritesDeps) {
    this.cleanup = new DtleCleanup({ ...deps, enabled: deps.config.delete_consul_state });
  }

  /** Turns a legacy body into the Nomad job to write; a BodyError or TranslateError naming the field when it cannot. */
  async translate(body: unknown, scope: Scope): Promise<{ job: NomadJobWrite; enforceIndex: boolean; jobModifyIndex: number | null }> {
    const parsed = parseRegisterBody(body);
    const input = parsed.job;
    const existing = await this.storedFor(input, scope);
    const dialect = await this.deps.dialect.dialect(scope);
    const { job } = legacyToNomadJob(input, {
      dialect,
      driverName: this.deps.config.dtle_drivers[0] ?? 'dtle',
      datacenters: this.deps.config.datacenters,
      namespace: this.deps.nomad.resolve(scope).namespace,
      existing,
    });
    return { job, enforceIndex: parsed.enforceIndex, jobModifyIndex: parsed.jobModifyIndex };
  }

  /**
   * The stored job (unmasked) a body's `"*"` passwords stand for: read only when the body has one.
   * A body without ID is a new job (2.x gave it a random UUID): nothing is stored for it.
   */
  private async storedFor(input: LegacyJobInput, scope: Scope): Promise<LegacyJob | null> {
    if (!input.ID || !hasMaskedSecret(input.Tasks ?? [])) return null;
    try {
      return (await this.deps.reads.get(input.ID, scope)).job;
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 404) return null;
      throw e;
    }
  }

  /** POST /v1/jobs, PUT|POST /v1/job/{ID} (2.x ignored the path: the body's ID, else a new one) */
  async register(body: unknown, scope: Scope): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const t = await this.translate(body, scope);
    const payload: Record<string, unknown> = { Job: t.job };
    if (t.enforceIndex) {
      payload.EnforceIndex = true;
      payload.JobModifyIndex = t.jobModifyIndex ?? 0;
    }
    const { data, meta } = await this.deps.nomad.put('/v1/jobs', payload, JobWriteResponse, { scope, op: 'jobs.register' });
    return writeAnswer(data.Index ?? data.JobModifyIndex, meta);
  }

  /**
   * DELETE /v1/job/{ID}: deregisters (purges when configured, once none of its evaluations is being
   * planned: evalWait.ts) a dtle job, then removes its dtle
   * state from Consul (DtleCleanup: once its tasks stopped, never before a paused job's saved spec
   * is gone). A job that is not there (or is no dtle job: it is left alone) answers Success as 2.x's
   * deregister of a missing job did, after retrying a cleanup an earlier DELETE could not finish.
   */
  async delete(id: string, scope: Scope): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    let current: JobRead;
    try {
      current = await this.deps.reads.get(id, scope);
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 404) {
        await this.cleanup.retry(id);
        return writeAnswer(Number(e.meta?.index ?? 0), { index: e.meta?.index ?? null });
      }
      throw e;
    }
    let answer = writeAnswer(current.paused?.modifyIndex ?? 0, { index: current.meta.index });
    const name = current.raw?.Name || current.paused?.spec.Name || id;
    const running = current.raw !== null ? await this.cleanup.running(id, scope) : [];
    if (current.raw !== null) {
      // Nomad 1.11.3's leader panics on a purge while one of the job's plans is being applied (evalWait.ts)
      if (this.deps.config.purge_on_delete) await awaitPlannedEvals(this.deps.nomad, this.deps.logger, id, scope);
      const { data, meta } = await this.deps.nomad.delete(nomadPath`/v1/job/${id}`, JobWriteResponse, {
        scope,
        params: this.deps.config.purge_on_delete ? { purge: 'true' } : {},
        op: 'job.deregister',
      });
      answer = writeAnswer(data.Index ?? data.EvalCreateIndex ?? data.JobModifyIndex, meta);
    }
    // a deleted paused job takes its saved spec with it
    if (current.paused) await this.deps.pauseStore.remove(current.paused, scope);
    this.deps.reads.forget(id, scope);
    // the emulation's resume needs the state: it goes only once no saved spec is left
    if (current.paused === null || (await this.deps.pauseStore.get(id, scope)) === null) await this.cleanup.afterDelete(id, name, running, scope);
    return answer;
  }

  /**
   * POST|PUT /v1/validate/job, as 2.x's Job.Validate: the job's own checks (500 with their
   * go-multierror text), then each task's MySQL pre-flight (src/mysql) with the stored password
   * where the caller sent "*" (500 with 2.x's text for a driver or config that does not decode).
   * Nothing is written; Nomad is only read for a stored password.
   */
  async validate(body: unknown, scope: Scope): Promise<LegacyJobValidateResponse> {
    const input = parseRegisterBody(body).job;
    // 2.x's api.Job.Canonicalize and ApiJobToStructJob: an ID, the Name from it, Driver MySQL
    const id = input.ID ?? randomUUID();
    const tasks = (input.Tasks ?? []).map((t) => ({ Type: t.Type ?? '', Driver: t.Driver || 'MySQL', Config: t.Config ?? {} }));
    const invalid = jobValidationError({ ID: id, Name: input.Name ?? id, Type: input.Type ?? 'synchronous', Tasks: tasks });
    if (invalid !== null) throw new LegacyHttpError(500, invalid);
    const stored = await this.storedFor(input, scope);
    const withStored = tasks.map((t, i) => ({
      ...t,
      Config: restoreMasked(t.Config, stored?.Tasks.find((s) => s.Type === t.Type)?.Config, `Tasks[${i}].Config`, true),
    }));
    const result = await preflightTasks(withStored, { logger: this.deps.logger });
    if (!result.ok) throw new LegacyHttpError(500, result.error);
    return { DriverConfigValidated: true, ValidationTasks: result.ValidationTasks, Error: '' };
  }
}
