/**
 * Before a purge, the job's evaluations the scheduler may still be planning. Nomad 1.11.3's leader
 * panics when a job is purged while the plan of one of its evaluations is being applied (found on
 * the real tier: a DELETE with purge right after the job was registered or stopped). So a purging
 * DELETE first waits, bounded by EVAL_WAIT_MS, until none of the job's evaluations is `pending`;
 * a delayed one (a reschedule whose WaitUntil is still ahead) is not planned before its time and
 * is not waited for. Past the bound the purge goes ahead, logged.
 */
import { z } from 'zod';
import { nowNanos } from '../nomad/go';
import { nomadPath, type NomadClient, type Scope } from '../nomad/client';
import { NomadError } from '../nomad/errors';
import { Evaluation } from '../nomad/types';
import { rfc3339ToNanos } from '../translate/time';
import type { Logger } from '../logging';

/** How long a purge waits for the job's pending evaluations. */
export const EVAL_WAIT_MS = 10_000;

const EvalWithWait = Evaluation.extend({ WaitUntil: z.string().nullish() });
const EvalWithWaitList = z.array(EvalWithWait).nullish().transform((v) => v ?? []);
type EvalWithWait = z.infer<typeof EvalWithWait>;

/** An evaluation the scheduler may be planning now: pending and not delayed. */
export function beingPlanned(e: EvalWithWait, now: bigint): boolean {
  if (e.Status !== 'pending') return false;
  const until = e.WaitUntil ? rfc3339ToNanos(e.WaitUntil) : null;
  return until === null || until <= now;
}

/**
 * Waits until the job has no evaluation being planned, or `boundMs` passed (blocking reads of
 * the job's evaluations). True when none is left; a job Nomad does not have has none.
 */
export async function awaitPlannedEvals(nomad: NomadClient, logger: Logger, id: string, scope: Scope, boundMs = EVAL_WAIT_MS): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  let index = '0';
  for (;;) {
    const left = deadline - Date.now();
    let res;
    try {
      const block = index === '0' ? {} : { index, wait: `${Math.max(1, Math.ceil(left / 1000))}s` };
      res = await nomad.get(nomadPath`/v1/job/${id}/evaluations`, EvalWithWaitList, { scope, block, op: 'job.evaluations' });
    } catch (e) {
      if (e instanceof NomadError && e.isNotFound) return true;
      throw e;
    }
    const planned = res.data.filter((e) => beingPlanned(e, nowNanos()));
    if (planned.length === 0) return true;
    if (Date.now() >= deadline) {
      logger.warn('purging a job whose evaluations are still pending', { job: id, evals: planned.map((e) => e.ID), after_ms: boundMs });
      return false;
    }
    index = res.meta.index ?? index;
  }
}
