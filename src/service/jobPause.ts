/**
 * Legacy pause and resume, by one of two mechanisms (pause_mechanism; `auto` from the plugin
 * version the nodes report, DialectProbe):
 *  - dtle's own (DtlePause, dtle >= 4.22.07): the dtleJobList flag in Consul and the alloc signals;
 *    the job keeps running in Nomad, dtle's own tools see it paused;
 *  - the emulation for dtle without it: pause saves the job's full spec (PauseStore) and stops the
 *    job; resume claims the saved spec, registers it again and deletes it.
 * Resume follows how the job was paused, whatever the setting is now. Either one on a job already
 * in the asked state changes nothing and answers as 2.x did.
 */
import { z } from 'zod';
import { nomadPath, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { JobWriteResponse, type Job } from '../nomad/types';
import type { LegacyJobResponse } from '../legacy/types';
import { JOB_NOT_FOUND, type JobRead, type JobReads } from './jobReads';
import { LegacyHttpError } from '../legacy/errors';
import { isEnforceIndexConflict, type PauseStore } from './pauseStore';
import { legacyJobResponse, writeAnswer } from './jobWrites';
import type { DialectProbe } from './dialect';
import type { DtleStateStore } from './dtleState';
import { DtlePause } from './dtlePause';

export interface JobPauseDeps {
  nomad: NomadClient;
  reads: JobReads;
  pauseStore: PauseStore;
  dialect: DialectProbe;
  dtleState: DtleStateStore;
}

type Answer = { response: LegacyJobResponse; meta: QueryMeta };

/** 2.x's answer when a job already was in the asked state: Success false, Index 0 (its only header), nothing changed. */
function unchanged(): Answer {
  return { response: legacyJobResponse(0, false), meta: { index: '0', knownLeader: null, lastContact: null } };
}

export class JobPause {
  private readonly dtle: DtlePause;

  constructor(private readonly deps: JobPauseDeps) {
    this.dtle = new DtlePause(deps);
  }

  /** dtle's mechanism: the flag and the signals; the answer's index is that of the allocations read. */
  private async byDtle(job: Job, paused: boolean, scope: Scope): Promise<Answer> {
    const { changed, meta } = await this.dtle.set(job, paused, scope);
    this.deps.reads.forget(job.ID, scope);
    return changed ? writeAnswer(Number(meta.index ?? 0), meta) : unchanged();
  }

  /** The job now; 2.x's Job.UpdateStatus answered a missing job with 500 `job not found` (no headers). */
  private async current(id: string, scope: Scope): Promise<JobRead> {
    try {
      return await this.deps.reads.get(id, scope);
    } catch (e) {
      if (e instanceof LegacyHttpError && e.status === 404) throw new LegacyHttpError(500, JOB_NOT_FOUND);
      throw e;
    }
  }

  /**
   * GET|PUT|POST /v1/job/{ID}/pause: dtle's own pause (see DtlePause), or the emulation: saves the
   * job's full spec in a Nomad Variable, then stops the job (no purge). Pausing a paused job
   * changes nothing.
   */
  async pause(id: string, scope: Scope): Promise<Answer> {
    const current = await this.current(id, scope);
    if (current.paused || current.dtlePaused || current.raw === null) return unchanged();
    if ((await this.deps.dialect.pauseMechanism(scope, this.deps.dtleState.enabled)) === 'dtle') return this.byDtle(current.raw, true, scope);
    const raw = (await this.deps.nomad.get(nomadPath`/v1/job/${id}`, z.record(z.string(), z.unknown()), { scope, op: 'job.read' })).data;
    const saved = await this.deps.pauseStore.save(id, raw, scope);
    if (!saved) return unchanged();
    const { data, meta } = await this.deps.nomad.delete(nomadPath`/v1/job/${id}`, JobWriteResponse, { scope, op: 'job.deregister' });
    return writeAnswer(data.Index ?? data.EvalCreateIndex ?? data.JobModifyIndex, meta);
  }

  /**
   * GET|PUT|POST /v1/job/{ID}/resume: a job paused by dtle's flag is resumed by dtle's mechanism;
   * one paused by the emulation: claims the saved spec (check-and-set on its variable), registers
   * it again (check-and-set on the stopped job's JobModifyIndex, or on its absence), then deletes the
   * saved copy. Resuming a running job changes nothing; of two concurrent resumes only one registers.
   */
  async resume(id: string, scope: Scope): Promise<Answer> {
    const current = await this.current(id, scope);
    if (!current.paused && current.dtlePaused && current.raw !== null) return this.byDtle(current.raw, false, scope);
    if (!current.paused) return unchanged();
    // one resume at a time: the saved spec is claimed with check-and-set first
    const entry = await this.deps.pauseStore.claim(current.paused, scope);
    if (!entry) return unchanged();
    const payload = {
      Job: { ...entry.raw, Stop: false, SubmitTime: undefined },
      EnforceIndex: true,
      JobModifyIndex: current.raw ? current.raw.JobModifyIndex : 0,
    };
    let answer: Answer;
    try {
      const r = await this.deps.nomad.put('/v1/jobs', payload, JobWriteResponse, { scope, op: 'jobs.register' });
      answer = writeAnswer(r.data.Index ?? r.data.JobModifyIndex, r.meta);
    } catch (e) {
      // another resume won the race: it registered, this one changes nothing
      if (isEnforceIndexConflict(e)) return unchanged();
      throw e;
    }
    await this.deps.pauseStore.remove(entry, scope);
    this.deps.reads.forget(id, scope);
    return answer;
  }
}
