/**
 * What a legacy DELETE does to dtle's state in Consul (delete_consul_state, on by default): it
 * removes `dtle/<job Name>/` and `dtleJobList/<job Name>` as dtle's own delete (DestroyJob) does and
 * as 2.x behaved, so a job re-created under that name starts from the position its body posts
 * (dtle would otherwise resume from the Gtid kept in Consul).
 *
 *  - First the job's tasks are let stop (bounded by SETTLE_MS): a running task writes its Gtid
 *    every 15 s, and would write it back after the cleanup.
 *  - Never while the job is paused by the emulation: its resume needs that state (the cleanup runs
 *    only once the saved spec is gone).
 *  - A cleanup that failed answers 502 (504 when Consul did not answer in time) saying the job is
 *    deleted and its state is not, and is remembered: the same DELETE again retries it, though the
 *    job is gone from Nomad by then.
 */
import { nomadPath, type NomadClient, type Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { AllocList, Allocation, type AllocListStub } from '../nomad/types';
import type { Logger } from '../logging';
import { LegacyHttpError } from '../legacy/errors';
import { ConsulError, legacyStatusOfConsul } from '../consul/errors';
import { dtleStatePrefix, jobListKey } from '../translate/dtleState';
import type { DtleStateStore } from './dtleState';

/** How long a delete waits for the job's tasks to stop before it removes their state. */
export const SETTLE_MS = 30_000;

const TERMINAL = new Set(['complete', 'failed', 'lost']);

export interface DtleCleanupDeps {
  nomad: NomadClient;
  dtleState: DtleStateStore;
  logger: Logger;
  /** delete_consul_state */
  enabled: boolean;
}

export class DtleCleanup {
  /** cleanups that failed, by job ID: the job Name whose state is left */
  private readonly pending = new Map<string, string>();

  constructor(private readonly deps: DtleCleanupDeps) {}

  private get active(): boolean {
    return this.deps.enabled && this.deps.dtleState.enabled;
  }

  /** The job's allocations whose tasks may still run (read before it is deregistered). */
  async running(id: string, scope: Scope): Promise<AllocListStub[]> {
    if (!this.active) return [];
    const { data } = await this.deps.nomad.get(nomadPath`/v1/job/${id}/allocations`, AllocList, { scope, op: 'job.allocations' });
    return data.filter((a) => !TERMINAL.has(a.ClientStatus));
  }

  /** Waits (bounded) until each of these allocations has stopped or is gone. */
  private async settle(allocs: readonly AllocListStub[], scope: Scope): Promise<boolean> {
    const deadline = Date.now() + SETTLE_MS;
    const one = async (a: AllocListStub): Promise<boolean> => {
      let index = '0';
      while (Date.now() < deadline) {
        let res;
        try {
          const wait = `${Math.max(1, Math.ceil((deadline - Date.now()) / 1000))}s`;
          res = await this.deps.nomad.get(nomadPath`/v1/allocation/${a.ID}`, Allocation, { scope, block: { index, wait }, op: 'alloc.read' });
        } catch (e) {
          if (e instanceof NomadError && e.isNotFound) return true;
          throw e;
        }
        if (TERMINAL.has(res.data.ClientStatus)) return true;
        index = res.meta.index ?? index;
      }
      return false;
    };
    return (await Promise.all(allocs.map(one))).every(Boolean);
  }

  /**
   * Removes the state of a job just deleted from Nomad, once `allocs` (its tasks that ran) have
   * stopped. Throws a LegacyHttpError (502/504) when Consul refused or did not answer.
   */
  async afterDelete(id: string, name: string, allocs: readonly AllocListStub[], scope: Scope): Promise<void> {
    if (!this.active) return;
    if (allocs.length > 0 && !(await this.settle(allocs, scope))) {
      this.deps.logger.warn('deleted job\'s tasks still running; removing their dtle state anyway', { job: id, after_ms: SETTLE_MS });
    }
    await this.remove(id, name);
  }

  /** A DELETE of a job Nomad no longer has: retries the cleanup a failed DELETE left; false when none is pending. */
  async retry(id: string): Promise<boolean> {
    const name = this.pending.get(id);
    if (name === undefined || !this.active) return false;
    await this.remove(id, name);
    return true;
  }

  private async remove(id: string, name: string): Promise<void> {
    try {
      await this.deps.dtleState.destroy(name);
      this.pending.delete(id);
    } catch (e) {
      if (!(e instanceof ConsulError)) throw e;
      this.pending.set(id, name);
      this.deps.logger.warn('deleted job\'s dtle state not removed from Consul', { job: id, name, kind: e.kind, reason: e.reason });
      throw new LegacyHttpError(
        legacyStatusOfConsul(e),
        `job ${JSON.stringify(id)} is deleted, but its dtle state in Consul (${dtleStatePrefix(name)}, ${jobListKey(name)}) is not: ${e.reason}; DELETE the job again to retry`,
      );
    }
  }
}
