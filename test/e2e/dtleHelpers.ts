/**
 * The real-dtle part of the tier: Nomad agents with the real dtle plugin (one per dtle version)
 * and the Consul dev agent they keep their state in, started by test/e2e/globalSetup.ts.
 *
 * No MySQL can run on the machines this tier runs on (Debian ships only MariaDB, which dtle
 * rejects: it reads @@GTID_MODE), so the tasks never replicate. Every MySQL address in these
 * tests is a loopback port that was free a moment before (nothing listens there): each dtle task
 * gets past config decoding, verification and its Consul reads and writes, then ends at
 * `dial tcp 127.0.0.1:<port>: connect: connection refused`, and Nomad restarts it.
 */
import type { LegacyJob } from '../../src/legacy/types';
import { nomadDtleJob as buildNomadDtleJob, type NomadDtleJob } from '../../scripts/dtle-jobs';
import { freePort } from '../../scripts/nomad-agent';
import type { DtleAgentInfo } from './globalSetup';
import { CANARY, legacyJob, nomadCall, waitFor } from './helpers';

/** The agents with the real dtle plugin, oldest version first ([] when the part was skipped). */
export function dtleAgents(): DtleAgentInfo[] {
  const raw = process.env.DTLE_COMPAT_E2E_DTLE;
  if (!raw) return [];
  return (JSON.parse(raw) as DtleAgentInfo[]).slice().sort((a, b) => a.version.localeCompare(b.version));
}

/** The agent running dtle `version`. */
export function dtleAgent(version: string): DtleAgentInfo {
  const a = dtleAgents().find((x) => x.version === version);
  if (!a) throw new Error(`no Nomad agent with dtle ${version} (the real-dtle part was not started)`);
  return a;
}

/** Why the real-dtle part did not start ('' when it did). */
export function dtleSkipReason(): string {
  return process.env.DTLE_COMPAT_E2E_DTLE_SKIPPED ?? (dtleAgents().length === 0 ? 'the real-dtle part was not started' : '');
}

/**
 * `describe` for each dtle version, or one skipped block saying why when the part is off
 * (DTLE_COMPAT_SKIP_DTLE=1): the skip is visible in jest's summary.
 */
export function describeEachDtle(title: string, body: (agent: DtleAgentInfo) => void): void {
  const agents = dtleAgents();
  if (agents.length === 0) {
    describe.skip(`${title} (SKIPPED: ${dtleSkipReason()})`, () => {
      it('needs the real dtle driver', () => undefined);
    });
    return;
  }
  describe.each(agents)(`${title}: dtle $version`, body);
}

/** The Consul dev agent's HTTP address. */
export function consulAddr(): string {
  const v = process.env.DTLE_COMPAT_E2E_CONSUL_ADDR;
  if (!v) throw new Error('DTLE_COMPAT_E2E_CONSUL_ADDR is not set: run this suite with npm run test:nomad');
  return v;
}

/** One entry of Consul's `GET /v1/kv/<key>` answer. */
export interface ConsulKvEntry {
  Key: string;
  Value: string | null;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
}

/** A Consul KV read (straight to Consul, not through dtle-compat): status, entries, headers. */
export async function consulKv(key: string, query = ''): Promise<{ status: number; entries: ConsulKvEntry[]; headers: Headers; text: string }> {
  const res = await fetch(`${consulAddr()}/v1/kv/${key}${query}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, entries: res.status === 200 ? (JSON.parse(text) as ConsulKvEntry[]) : [], headers: res.headers, text };
}

/** The keys under a prefix, sorted. */
export async function consulKeys(prefix: string): Promise<string[]> {
  const { entries } = await consulKv(prefix, '?recurse=true');
  return entries.map((e) => e.Key).sort();
}

/** A Consul value as text ('' when absent). */
export async function consulValue(key: string): Promise<string> {
  const { entries } = await consulKv(key);
  const v = entries[0]?.Value;
  return v ? Buffer.from(v, 'base64').toString('utf8') : '';
}

/** Removes everything dtle keeps for a job name (its own delete, DestroyJob, does the same). */
export async function consulForget(name: string): Promise<void> {
  for (const key of [`dtle/${name}/?recurse=true`, `dtleJobList/${name}`]) {
    await fetch(`${consulAddr()}/v1/kv/${key}`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
  }
}

/** Loopback ports with nothing listening: where the tests' "MySQL servers" are. */
export interface DeadEnds {
  src: number;
  dest: number;
}

export async function deadEnds(): Promise<DeadEnds> {
  return { src: await freePort(), dest: await freePort() };
}

/**
 * Seed 003's 2.x job (test/fixtures/legacy/job-detail.json) aimed at this machine: both
 * connections at 127.0.0.1 on the given dead-end ports, no node pin (the seed pins NodeName
 * "dtle"), every password the canary. `kafka`: the Dest task is 2.x's Kafka driver instead.
 */
export function realLegacyJob(id: string, ports: DeadEnds, opts: { name?: string; kafka?: boolean; password?: string } = {}): LegacyJob {
  const job = legacyJob(id, opts.password ?? CANARY);
  const [src, dest] = job.Tasks as [LegacyJob['Tasks'][number], LegacyJob['Tasks'][number]];
  const conn = (c: unknown, port: number) => ({ ...(c as Record<string, unknown>), Host: '127.0.0.1', Port: String(port) });
  src.NodeName = '';
  dest.NodeName = '';
  src.Config = { ...src.Config, ConnectionConfig: conn(src.Config.ConnectionConfig, ports.src), NatsAddr: '' };
  if (opts.kafka) {
    dest.Driver = 'Kafka';
    dest.Config = { Brokers: [`127.0.0.1:${ports.dest}`], Topic: 'dtle-compat-e2e', Converter: 'json' };
  } else {
    dest.Config = { ...dest.Config, ConnectionConfig: conn(dest.Config.ConnectionConfig, ports.dest), NatsAddr: '' };
  }
  return { ...job, ID: id, Name: opts.name ?? id };
}

/** A task event as Nomad keeps it (the fields these tests read). */
export interface NomadTaskEvent {
  Type: string;
  Time: number;
  DisplayMessage: string;
  Message: string;
  DriverMessage: string;
  DriverError: string;
  ExitCode: number;
  RestartReason: string;
  StartDelay: number;
  Details: Record<string, string> | null;
}

export interface NomadAllocStub {
  ID: string;
  Name: string;
  JobID: string;
  TaskGroup: string;
  NodeID: string;
  EvalID: string;
  DesiredStatus: string;
  ClientStatus: string;
  ClientDescription: string;
  CreateTime: number;
  TaskStates: Record<string, { State: string; Failed: boolean; Restarts: number; Events: NomadTaskEvent[] | null }> | null;
}

export async function nomadAllocs(nomad: string, jobId: string): Promise<NomadAllocStub[]> {
  const { status, json } = await nomadCall(nomad, 'GET', `/v1/job/${encodeURIComponent(jobId)}/allocations`);
  if (status !== 200) throw new Error(`allocations of ${jobId}: ${status}`);
  return json as NomadAllocStub[];
}

/** Every event text (DisplayMessage) of a job's task `task` (src or dest) over all its allocations. */
export async function eventTexts(nomad: string, jobId: string, task: 'src' | 'dest'): Promise<string[]> {
  const allocs = await nomadAllocs(nomad, jobId);
  return allocs.flatMap((a) => (a.TaskStates?.[task]?.Events ?? []).map((e) => e.DisplayMessage));
}

/** Waits until some event of the job's task `task` matches, and returns its text. */
export async function waitForEvent(nomad: string, jobId: string, task: 'src' | 'dest', match: RegExp, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    `a ${task} task event of ${jobId} matching ${match}`,
    async () => (await eventTexts(nomad, jobId, task)).find((t) => match.test(t)),
    timeoutMs,
  );
}

/**
 * Waits (up to 15 s) until no evaluation of the job is pending. Purging a job while the scheduler
 * is applying its plan makes Nomad 1.11.3's leader panic (nil job in nomad/plan_apply.go:249
 * applyPlan, after "attempted to create allocation for stopped or non-existent job").
 */
export async function settled(nomad: string, jobId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { status, json } = await nomadCall(nomad, 'GET', `/v1/job/${encodeURIComponent(jobId)}/evaluations`);
    if (status !== 200) return;
    // a follow-up evaluation of a reschedule waits (WaitUntil) without being planned
    const evals = json as Array<{ Status: string; WaitUntil?: string }>;
    const planning = (e: { Status: string; WaitUntil?: string }) => e.Status === 'pending' && (!e.WaitUntil || e.WaitUntil.startsWith('0001-'));
    if (!evals.some(planning)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops and purges a Nomad job (straight to Nomad, once its plans are applied) and forgets its dtle state in Consul. */
export async function purge(nomad: string, jobId: string, name = jobId): Promise<void> {
  await settled(nomad, jobId);
  await nomadCall(nomad, 'DELETE', `/v1/job/${encodeURIComponent(jobId)}?purge=true`);
  await consulForget(name);
}

/** Events that would mean the driver refused the task config (these must never appear). */
export const CONFIG_REFUSALS = /DecodeDriverConfig|invalide driver config|failed to decode driver config|Unsupported argument|job name too long/;

export { dialectOf, silentListener } from '../../scripts/dtle-jobs';

/** A dtle job as a Nomad user writes it, its passwords the canary (scripts/dtle-jobs.ts). */
export function nomadDtleJob(id: string, name: string, version: string, ports: DeadEnds, password = CANARY): NomadDtleJob {
  return buildNomadDtleJob(id, name, version, ports, password);
}

/** PUT /v1/jobs straight to Nomad. */
export async function registerInNomad(nomad: string, job: Record<string, unknown>): Promise<void> {
  const r = await nomadCall(nomad, 'PUT', '/v1/jobs', { Job: job });
  if (r.status !== 200) throw new Error(`registering ${String(job.ID)}: ${r.status} ${r.text}`);
}
