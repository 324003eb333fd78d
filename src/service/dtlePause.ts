/**
 * Pause and resume by dtle's own mechanism (dtle >= 4.22.07, api/handler/v2 PauseJobV2 and
 * ResumeJobV2), so dtle's own tools and dtle-compat agree on what is paused: the job's
 * `dtleJobList/<job Name>` entry gets job_status `paused` (or `non-paused`), then each allocation
 * Nomad wants to run (DesiredStatus `run`) gets the alloc signal `pause` (or `resume`), which
 * stops (or restarts) the task's runner and keeps the task running. A task that is not running
 * (restarting after a failure) cannot take the signal, and needs none: dtle reads the flag when a
 * task starts (driver/handle.go), so it starts paused (or not). Any other signal failure undoes a
 * pause's flag, as dtle does.
 */
import { nomadPath, type NomadClient, type QueryMeta, type Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { AllocList, JsonObject, type Job } from '../nomad/types';
import { DTLE_JOB_STATUS } from '../translate/dtleState';
import type { DtleStateStore } from './dtleState';

const TERMINAL = new Set(['complete', 'failed', 'lost']);

/** Nomad's answer when a task of the signalled allocation is not running (client/allocrunner). */
const NOT_RUNNING = /^(\d+ errors? occurred:\s*(\* Failed to signal task: [^,]+, err: Task not running\s*)+|Task not running)$/;

export interface DtlePauseDeps {
  nomad: NomadClient;
  dtleState: DtleStateStore;
}

export class DtlePause {
  constructor(private readonly deps: DtlePauseDeps) {}

  /**
   * Sets the flag, then signals each allocation to run; false when the flag said so already (then
   * nothing is signalled). Answers the index of the allocations read.
   */
  async set(job: Job, paused: boolean, scope: Scope): Promise<{ changed: boolean; meta: QueryMeta }> {
    const name = job.Name || job.ID;
    const status = paused ? DTLE_JOB_STATUS.paused : DTLE_JOB_STATUS.nonPaused;
    const { data: allocs, meta } = await this.deps.nomad.get(nomadPath`/v1/job/${job.ID}/allocations`, AllocList, { scope, op: 'job.allocations' });
    const previous = await this.deps.dtleState.setJobStatus(name, status);
    if ((previous === DTLE_JOB_STATUS.paused) === paused) return { changed: false, meta };
    try {
      for (const a of allocs) {
        // as PauseJobV2: the allocations Nomad wants to run (and, beyond it, not those whose tasks are all gone)
        if (a.DesiredStatus !== 'run' || TERMINAL.has(a.ClientStatus)) continue;
        await this.signal(a.ID, paused ? 'pause' : 'resume', scope);
      }
    } catch (e) {
      // as PauseJobV2: a pause that could not reach a task takes its flag back (a failed resume keeps it off)
      if (paused) await this.deps.dtleState.setJobStatus(name, previous === '' ? DTLE_JOB_STATUS.nonPaused : previous).catch(() => undefined);
      throw e;
    }
    return { changed: true, meta };
  }

  /** Signals every task of an allocation, as dtle's sentSignalToTask (no Task in the body). */
  private async signal(allocId: string, signal: 'pause' | 'resume', scope: Scope): Promise<void> {
    try {
      await this.deps.nomad.post(nomadPath`/v1/client/allocation/${allocId}/signal`, { Signal: signal }, JsonObject, { scope, op: `alloc.signal.${signal}` });
    } catch (e) {
      if (e instanceof NomadError && e.kind === 'http' && NOT_RUNNING.test(e.reason.trim())) return;
      throw e;
    }
  }
}
