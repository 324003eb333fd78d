import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LegacyJob } from '../../src/legacy/types';
import type { SimNomad } from '@dtle-compat/sim';
import { CANARY } from '../support/canary';

const seedJob = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8')) as LegacyJob;

/** Seed 003's legacy job under another ID, every password the canary. */
export function canaryJob(id: string): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('111111').join(CANARY)) as LegacyJob;
  return { ...job, ID: id, Name: id };
}

/** A loopback port nothing listens on (taken and given back). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** IDs of the jobs the simulator holds, sorted. */
export function simJobIds(sim: SimNomad): string[] {
  return [...sim.state.jobs.values()].map((r) => r.job.ID).sort();
}

/** The writes (non-GET calls) the simulator received. */
export function simWrites(sim: SimNomad): Array<{ method: string; path: string; query: string }> {
  return sim.calls.filter((c) => c.method !== 'GET');
}
