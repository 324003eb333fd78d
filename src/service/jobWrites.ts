/**
 * Legacy job writes over Nomad: a legacy body translated (and checked) into the Nomad job to
 * register, registration, validation and deletion. Bad bodies fail with their own typed errors
 * (BodyError, TranslateError), which the error middleware answers as 400 naming the field.
 */
import type { Config } from '../config';
import { nomadPath, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { JobValidateResponse, JobWriteResponse } from '../nomad/types';
import { LegacyHttpError } from '../legacy/errors';
import type { LegacyJob, LegacyJobResponse } from '../legacy/types';
import { BodyError, parseRegisterBody } from '../legacy/schema';
import { TranslateError } from '../translate/config';
import { hasMaskedSecret } from '../translate/mask';
import { legacyToNomadJob, type NomadJobWrite } from '../translate/job';
import type { Logger } from '../logging';
import type { DialectProbe } from './dialect';
import type { JobReads } from './jobReads';
import type { PauseStore } from './pauseStore';
import type { DtleStateStore } from './dtleState';
import { DtleCleanup } from './dtleCleanup';

export interface JobWritesDeps {
  config: Config;
  nomad: NomadClient;
  logger: Logger;
  reads: JobReads;
  dialect: DialectProbe;
  pauseStore: PauseStore;
  dtleState: DtleStateStore;
}

/** The query meta of an answer made without a Nomad write. */
const NO_META: QueryMeta = { index: null, knownLeader: null, lastContact: null };

/** 2.x's JobResponse from a Nomad write answer. */
export function legacyJobResponse(index: number): LegacyJobResponse {
  return { Success: true, Index: index, LastContact: 0, KnownLeader: false };
}

/** 2.x's answer and headers for a Nomad write: the write's index, from its header or its body. */
export function writeAnswer(index: number, meta: QueryMeta): { response: LegacyJobResponse; meta: QueryMeta } {
  return { response: legacyJobResponse(index), meta: { ...meta, index: meta.index ?? String(index) } };
}

/** 2.x's JobValidateResponse. */
export interface LegacyValidateResponse {
  DriverConfigValidated: boolean;
  ValidationTasks: null;
  Error: string;
}

export class JobWrites {
  private readonly cleanup: DtleCleanup;

  constructor(private readonly deps: JobWritesDeps) {
    this.cleanup = new DtleCleanup({ ...deps, enabled: deps.config.delete_consul_state });
  }

  /** Turns a legacy body into the Nomad job to write; a BodyError or TranslateError naming the field when it cannot. */
  async translate(body: unknown, scope: Scope, pathId?: string): Promise<{ job: NomadJobWrite; enforceIndex: boolean; jobModifyIndex: number | null }> {
    const parsed = parseRegisterBody(body);
    const input = parsed.job;
    // 2.x used the body's ID and ignored the path; a body without an ID updates the job in the path
    if (pathId !== undefined && !input.ID) input.ID = pathId;
    let existing: LegacyJob | null = null;
    const id = input.ID || input.Name;
    if (id && hasMaskedSecret(input.Tasks ?? [])) {
      try {
        existing = (await this.deps.reads.get(id, scope)).job;
      } catch (e) {
        if (!(e instanceof LegacyHttpError && e.status === 404)) throw e;
      }
    }
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

  /** POST /v1/jobs, PUT|POST /v1/job/{ID} */
  async register(body: unknown, scope: Scope, pathId?: string): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    const t = await this.translate(body, scope, pathId);
    const payload: Record<string, unknown> = { Job: t.job };
    if (t.enforceIndex) {
      payload.EnforceIndex = true;
      payload.JobModifyIndex = t.jobModifyIndex ?? 0;
    }
    const { data, meta } = await this.deps.nomad.put('/v1/jobs', payload, JobWriteResponse, { scope, op: 'jobs.register' });
    return writeAnswer(data.Index ?? data.JobModifyIndex, meta);
  }

  /**
   * DELETE /v1/job/{ID}: deregisters (purges when configured) a dtle job, then removes its dtle
   * state from Consul (DtleCleanup: once its tasks stopped, never before a paused job's saved spec
   * is gone). A DELETE that finds the job gone retries a cleanup an earlier one could not finish.
   */
  async delete(id: string, scope: Scope): Promise<{ response: LegacyJobResponse; meta: QueryMeta }> {
    let current;
    try {
      current = await this.deps.reads.get(id, scope);
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 404 && (await this.cleanup.retry(id))) return { response: legacyJobResponse(0), meta: NO_META };
      throw e;
    }
    let answer = { response: legacyJobResponse(current.paused?.modifyIndex ?? 0), meta: current.meta };
    const name = current.raw?.Name || current.paused?.spec.Name || id;
    const running = current.raw !== null ? await this.cleanup.running(id, scope) : [];
    if (current.raw !== null) {
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
   * POST|PUT /v1/validate/job: 2.x's JobValidateResponse from the translation and Nomad's
   * validation. A job the translation refuses is answered with its reason; a body that is no job
   * at all is a 400.
   */
  async validate(body: unknown, scope: Scope): Promise<LegacyValidateResponse> {
    let job: NomadJobWrite;
    try {
      job = (await this.translate(body, scope)).job;
    } catch (e) {
      if (e instanceof TranslateError || (e instanceof BodyError && e.field !== '')) {
        return { DriverConfigValidated: false, ValidationTasks: null, Error: e.message };
      }
      throw e;
    }
    const { data } = await this.deps.nomad.put('/v1/validate/job', { Job: job }, JobValidateResponse, { scope, op: 'job.validate' });
    // Nomad's Error is already the text of all ValidationErrors ("1 error occurred:\n\t* …"), as 2.x's was
    const error = data.Error ? data.Error : (data.ValidationErrors ?? []).join('; ');
    return { DriverConfigValidated: data.DriverConfigValidated, ValidationTasks: null, Error: error };
  }
}
