import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { parseNomadJson } from '../../src/nomad/json';
import { Job } from '../../src/nomad/types';
import { LegacyJobInput } from '../../src/legacy/schema';
import { legacyToNomadJob } from '../../src/translate/job';

const fixtures = path.resolve(__dirname, '..', 'fixtures');

/** A Nomad answer from test/fixtures/nomad, read as the Nomad client reads it (long integers kept as digits). */
export function nomadFixture<T>(name: string, schema: z.ZodType<T>): T {
  return schema.parse(parseNomadJson(readFileSync(path.join(fixtures, 'nomad', name), 'utf8')));
}

/** A 2.x answer from test/fixtures/legacy (plain JSON.parse: only for shapes and types). */
export function legacyFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(path.join(fixtures, 'legacy', name), 'utf8')) as T;
}

/** The raw text of a fixture. */
export function fixtureText(rel: string): string {
  return readFileSync(path.join(fixtures, rel), 'utf8');
}

/** JSON type names of an object's keys ("null", "array", "object", "string", "number", "boolean"). */
export function typesOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  }
  return out;
}

export function sortedKeys(value: unknown): string[] {
  return Object.keys(value as object).sort();
}


/** Seed 003's job (GET /v1/job/{ID} sample) with the given password, as legacy input. */
export function seed003Job(password: string, over: Record<string, unknown> = {}): LegacyJobInput {
  const conn = (host: string, user: string) => ({ Host: host, Port: '3306', User: user, Password: password });
  return LegacyJobInput.parse({
    ID: '8ce4b408-8c64-41b9-04d7-baf451348e89',
    Name: 'test1-2',
    Region: 'global',
    Datacenters: ['dc1'],
    Type: 'synchronous',
    Tasks: [
      {
        Type: 'Src',
        NodeName: 'dtle',
        Driver: 'MySQL',
        Config: {
          Gtid: '8868d98f-af5e-11e8-9aa9-0242ac110002:1-171',
          ChunkSize: '2000',
          ReplChanBufferSize: '60',
          ReplicateDoDb: [{ TableSchema: 'db1', Tables: [{ TableName: 'tb1' }] }],
          ConnectionConfig: conn('172.100.9.3', 'lx1'),
        },
      },
      { Type: 'Dest', NodeName: 'dtle', Driver: 'MySQL', Config: { ConnectionConfig: conn('172.100.9.6', 'test1') } },
    ],
    ...over,
  });
}

/** The Nomad job dtle-compat registers for seed 003's job, as Nomad then stores it. */
export function storedSeedJob(password: string): Job {
  const { job } = legacyToNomadJob(seed003Job(password), { dialect: 'src-only', driverName: 'dtle', datacenters: ['dc1'] });
  return Job.parse({
    ...job,
    Namespace: 'default',
    Status: 'running',
    StatusDescription: '',
    Stop: false,
    Version: 0,
    SubmitTime: '1538993511580000000',
    CreateIndex: 59,
    ModifyIndex: 471,
    JobModifyIndex: 471,
  });
}
