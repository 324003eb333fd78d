/**
 * Nomad job ⇄ legacy 2.x job, through the dtle job record (dtleJob.ts): a Nomad job is parsed
 * once (fromNomad.ts) and rendered to 2.x (toLegacy.ts); a legacy body is parsed (fromLegacy.ts)
 * and rendered to Nomad in the dialect asked for (toNomad.ts). Pure functions: no I/O, no masking
 * (callers mask on the way out).
 */
import type { Job, JobListStub } from '../nomad/types';
import type { LegacyJob, LegacyJobListStub, LegacyJobSpec } from '../legacy/types';
import type { LegacyJobInput } from '../legacy/schema';
import { dtleJobOfNomad } from './fromNomad';
import { dtleJobOfLegacy } from './fromLegacy';
import { legacyJobOf, legacyListStubOf, legacySpecOf, stateOf } from './toLegacy';
import { nomadJobOf, type NomadJobWrite } from './toNomad';
import type { Dialect } from './spec';

export type { NomadJobWrite } from './toNomad';

/** The spec fields of a Nomad job as the 2.x `Job` shows them, or null when it is not a dtle job. */
export function nomadSpecToLegacy(job: Job, drivers: readonly string[]): LegacyJobSpec | null {
  const record = dtleJobOfNomad(job, drivers);
  return record === null ? null : legacySpecOf(record);
}

/** A Nomad job as the 2.x `Job` (`pause` when paused), or null when it is not a dtle job. Secrets are NOT masked here. */
export function nomadJobToLegacy(job: Job, drivers: readonly string[], paused = false): LegacyJob | null {
  const spec = nomadSpecToLegacy(job, drivers);
  return spec === null ? null : legacyJobOf(spec, { state: stateOf(job), paused });
}

/**
 * The 2.x list stub: status and indexes from Nomad's list (never older than the list), the spec
 * from the job. A paused job shows 2.x's `pause`.
 */
export function legacyListStub(
  stub: Pick<JobListStub, 'Status' | 'StatusDescription' | 'CreateIndex' | 'ModifyIndex' | 'JobModifyIndex'>,
  spec: LegacyJobSpec,
  paused = false,
): LegacyJobListStub {
  return legacyListStubOf(spec, { state: stateOf(stub), paused });
}

export interface LegacyToNomadOptions {
  dialect: Dialect;
  /** driver name written to Nomad (the first of dtle_drivers) */
  driverName: string;
  datacenters: readonly string[];
  namespace?: string | undefined;
  /** the job as stored now, unmasked, to fill `"*"` passwords from */
  existing?: LegacyJob | null;
  /** the ID of a body without one (a new random UUID by default) */
  newId?: () => string;
}

export interface LegacyToNomadResult {
  job: NomadJobWrite;
  /** legacy keys the driver does not accept, kept only in Meta */
  dropped: string[];
}

/** Validates a legacy job body and turns it into the Nomad job to register. Throws TranslateError naming the field. */
export function legacyToNomadJob(input: LegacyJobInput, opts: LegacyToNomadOptions): LegacyToNomadResult {
  const { job, dropped } = dtleJobOfLegacy(input, { dialect: opts.dialect, datacenters: opts.datacenters, existing: opts.existing ?? null, ...(opts.newId ? { newId: opts.newId } : {}) });
  return { job: nomadJobOf(job, { dialect: opts.dialect, driverName: opts.driverName, namespace: opts.namespace }), dropped };
}
