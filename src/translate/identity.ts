/**
 * A dtle job's identity. The dtle driver keys all of a job's state by the Nomad job Name (its
 * `cfg.JobName`: Consul `dtle/<Name>/…` and `dtleJobList/<Name>`, the NATS subjects
 * `<Name>_full`, `<Name>_incr_hete`, …, the `job_name` column of dtle.gtid_executed_v4 and the
 * metrics label `task_name="<Name>_<task>"`), and 2.x let two jobs share a Name. So:
 *
 *   Nomad job ID   = the legacy ID (a body without one gets a random UUID, as 2.x gave it)
 *   Nomad job Name = the Nomad job ID: dtle's state key, one per legacy job
 *   legacy Name    = the Name the caller posted, kept in the job's Meta (meta.ts); a job written
 *                    elsewhere (Nomad CLI, dtle's own API: no Meta) shows its Nomad Name
 *
 * What would break dtle's keys, or what the driver refuses when the task starts, is refused here
 * (a 400 naming `ID`). Pure functions.
 */
import type { Job } from '../nomad/types';
import { TranslateError } from './config';
import { readJobMeta } from './meta';

/** dtle's g.JobNameLenLimit: the driver refuses a longer job name at task start (common.ValidateJobName, Go `len`: bytes). */
export const JOB_NAME_BYTES_LIMIT = 64;

/**
 * dtle's state key of a Nomad job: its Name (Nomad sets it to the ID when a job is written
 * without one). Consul `dtle/<key>/…`, `dtleJobList/<key>`, NATS subjects and metrics labels.
 */
export function dtleStateKey(job: Pick<Job, 'ID' | 'Name'>): string {
  return job.Name || job.ID;
}

/** The Name a legacy client sees of a Nomad job: the posted one (job Meta), else its Nomad Name. */
export function legacyNameOf(job: Pick<Job, 'ID' | 'Name' | 'Meta'>): string {
  return readJobMeta(job.Meta).Name ?? dtleStateKey(job);
}

/** The suffix dtle gives the reverse direction of a two-way job (driver/handle.go, dtle 4.23). */
const REVERSE_SUFFIX = '_dtrev';

/** Why an ID cannot be dtle's state key, or null when it can. */
export function stateKeyProblem(id: string): string | null {
  if (id === '') return 'must not be empty (leave ID out and a random one is given)';
  if (Buffer.byteLength(id, 'utf8') > JOB_NAME_BYTES_LIMIT) {
    return `must be at most ${JOB_NAME_BYTES_LIMIT} bytes: it is the Nomad job name, and the dtle driver refuses longer job names when the task starts`;
  }
  if (id.includes('/')) return 'must not contain "/": dtle keeps the job\'s state in Consul under dtle/<ID>/, and a "/" would nest it in another job\'s';
  if (/[\s\p{Cc}]/u.test(id)) return 'must not contain whitespace or control characters';
  if (/[*>]/.test(id)) return 'must not contain "*" or ">": dtle names its NATS subjects after the job (<ID>_full, …) and these are NATS wildcards';
  if (id.startsWith('.') || id.endsWith('.') || id.includes('..')) {
    return 'must not start or end with "." or contain "..": dtle names its NATS subjects after the job, and NATS refuses an empty subject token';
  }
  if (id.endsWith(REVERSE_SUFFIX)) {
    return `must not end with "${REVERSE_SUFFIX}": a two-way dtle job names its reverse job <ID>${REVERSE_SUFFIX}, whose state would be this job's`;
  }
  return null;
}

/** Refuses (TranslateError naming `ID`) an ID that cannot be dtle's state key. */
export function checkStateKey(id: string): void {
  const problem = stateKeyProblem(id);
  if (problem !== null) throw new TranslateError('ID', problem);
}
