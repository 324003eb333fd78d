/**
 * The real-Nomad tier's harness: dtle-compat built in-process with the app factory (as
 * test/support/harness.ts does for the simulator), pointed at a Nomad dev agent that
 * test/e2e/globalSetup.ts started.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createApp, type BuiltApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { LegacyJob } from '../../src/legacy/types';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import type { ConsulClient } from '../../src/consul/client';
import type { JobInput } from '../../src/nomad/types';
import { CANARY, collect, collectBodies, consulClientOf, TEST_REPLICA } from '../support/harness';

export { CANARY, record } from '../support/harness';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this suite with npm run test:nomad`);
  return v;
}

/** The agent with raw_exec enabled and no ACLs. */
export const nomadAddr = (): string => env('DTLE_COMPAT_E2E_NOMAD_ADDR');
/** The agent with ACLs on, and its management token. */
export const aclNomadAddr = (): string => env('DTLE_COMPAT_E2E_ACL_NOMAD_ADDR');
export const aclToken = (): string => env('DTLE_COMPAT_E2E_ACL_TOKEN');
export const nomadBin = (): string => env('DTLE_COMPAT_NOMAD_BIN');

export interface Compat {
  built: BuiltApp;
  config: Config;
  nomad: NomadClient;
  consul: ConsulClient | null;
  close(): void;
}

/**
 * dtle-compat in-process against a Nomad address; raw_exec counts as a dtle driver (the stand-in).
 * No Consul unless `consul` names one (the real-dtle tests name the tier's Consul).
 */
export function startCompat(addr: string, over: Partial<Config> = {}): Compat {
  const config = Object.freeze({
    ...loadConfig({ env: {} }),
    consul: '',
    replica: TEST_REPLICA,
    nomad_addr: addr,
    api_addr: '127.0.0.1:8190',
    dtle_drivers: ['dtle', 'raw_exec'],
    ...over,
  });
  const nomad = new NomadClient(config);
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      collect('logs', chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] });
  const consul = consulClientOf(config);
  const built = createApp({ config, nomad, consul, logger });
  // every answer's body goes to the canary check too
  collectBodies(built.app);
  return {
    built,
    config,
    nomad,
    consul,
    close: () => {
      nomad.close();
      consul?.close();
    },
  };
}

export interface Reply {
  status: number;
  text: string;
  json: unknown;
  headers: Headers;
}

/** A call straight to Nomad's HTTP API (not through dtle-compat). */
export async function nomadCall(addr: string, method: string, p: string, body?: unknown, token?: string): Promise<Reply> {
  const res = await fetch(addr + p, {
    method,
    headers: token ? { 'X-Nomad-Token': token } : {},
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    json = null;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** Polls until `f` returns a value that is not undefined (or throws after timeoutMs). */
export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const seedJob = JSON.parse(readFileSync(path.resolve(__dirname, '..', 'fixtures', 'legacy', 'job-detail.json'), 'utf8')) as LegacyJob;

/** Seed 003's job (test/fixtures/legacy/job-detail.json) under another ID/Name with `password` as every password. */
export function legacyJob(id: string, password = CANARY): LegacyJob {
  const job = JSON.parse(JSON.stringify(seedJob).split('"111111"').join(JSON.stringify(password))) as LegacyJob;
  return { ...job, ID: id, Name: id };
}

/** The real password of a task group's connection config as Nomad stores it (src-only dialect). */
export function storedPasswords(nomadJob: unknown): { src: unknown; dest: unknown } {
  const groups = (nomadJob as { TaskGroups: Array<{ Name: string; Tasks: Array<{ Config: Record<string, { Password?: unknown } | undefined> }> }> }).TaskGroups;
  const config = groups.find((g) => g.Name === 'src')?.Tasks[0]?.Config ?? {};
  return { src: config.SrcConnectionConfig?.Password, dest: config.DestConnectionConfig?.Password };
}

/**
 * The stand-in for a running dtle job: groups src and dest whose tasks use raw_exec
 * (`/bin/sleep 600`) and carry dtle-compat's task meta, so with dtle_drivers ["dtle","raw_exec"]
 * it is a dtle job with allocations on the agent's node.
 */
export function standinJob(id: string): JobInput {
  const task = (type: 'Src' | 'Dest') => ({
    Name: type.toLowerCase(),
    Driver: 'raw_exec',
    Config: { command: '/bin/sleep', args: ['600'] },
    Meta: {
      dtle_compat_task: JSON.stringify({
        Type: type,
        Driver: 'MySQL',
        NodeID: '',
        NodeName: '',
        Leader: type === 'Dest',
        Constraints: null,
        Config: {},
      }),
    },
    Resources: { CPU: 20, MemoryMB: 32 },
    KillTimeout: 1_000_000_000,
  });
  return {
    ID: id,
    Name: id,
    Type: 'service',
    Datacenters: ['dc1'],
    Meta: { dtle_compat_job: JSON.stringify({ Type: 'synchronous', Orders: [], Failover: false, Constraints: null }) },
    TaskGroups: [
      { Name: 'src', Count: 1, Tasks: [task('Src')] },
      { Name: 'dest', Count: 1, Tasks: [task('Dest')] },
    ],
  };
}
