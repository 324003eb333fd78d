import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createApp, type BuiltApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger, type Logger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import { ConsulClient, consulBaseUrl } from '../../src/consul/client';
import { SimConsul, SimNomad, type SimOptions } from '@dtle-compat/sim';

import { collect } from './canary';

/**
 * Every log line and response body of the whole suite goes to files in the directory that
 * test/support/globalSetup.ts made; globalTeardown fails the run if a canary password is in any.
 */
export { CANARY, collect } from './canary';

/** Collects the body of every answer written to `res` (whatever the test does with it). */
export function tapResponse(res: ServerResponse): void {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as { write: unknown }).write = (chunk: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    return write(chunk, ...rest);
  };
  (res as { end: unknown }).end = (chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk, rest[0]);
    return end(chunk, ...rest);
  };
  res.once('finish', () => collect('bodies', Buffer.concat(chunks)));
}

/** Makes an express app collect every body it answers. */
export function collectBodies<T extends object>(app: T): T {
  // express calls app.handle(req, res, next) for every request
  const target = app as unknown as { handle: (req: unknown, res: ServerResponse, next?: unknown) => unknown };
  const handle = target.handle.bind(app);
  target.handle = (req: unknown, res: ServerResponse, next?: unknown) => {
    tapResponse(res);
    return handle(req, res, next);
  };
  return app;
}

export interface Harness {
  sim: SimNomad;
  /** the simulated Consul the sim's dtle driver writes each job's state to (the app reads it unless `consul: ''`) */
  consul: SimConsul;
  built: BuiltApp;
  config: Config;
  nomad: NomadClient;
  consulClient: ConsulClient | null;
  /** every log line of the app, as written (JSON) */
  logs: string[];
  close(): Promise<void>;
}

/** A logger whose every line goes to the canary collection (and to `lines` when given). */
export function collectingLogger(lines?: string[]): Logger {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines?.push(chunk.toString().trim());
      collect('logs', chunk.toString());
      cb();
    },
  });
  return createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] });
}

/** A Consul client for a config, or null when it names no Consul. */
export function consulClientOf(config: Config): ConsulClient | null {
  return consulBaseUrl(config) === null ? null : new ConsulClient(config);
}

/** The express app for a config and client, every body and log line collected for the canary check. */
export function collectedApp(config: Config, nomad: NomadClient, consul: ConsulClient | null = null): BuiltApp['app'] {
  return collectBodies(createApp({ config, nomad, consul, logger: collectingLogger() }).app);
}

/**
 * DTLE_COMPAT_TEST_REPLICA=1 runs every test app with the replica on (config `replica`), to see
 * the whole suite through it; a test that sets `replica` itself keeps its own.
 */
export const TEST_REPLICA = process.env.DTLE_COMPAT_TEST_REPLICA === '1';

/** The service's defaults for tests: no Consul unless one is named (the default address may hold anything). */
export function testConfig(over: Partial<Config> = {}): Config {
  return Object.freeze({ ...loadConfig({ env: {} }), consul: '', replica: TEST_REPLICA, ...over });
}

/** A simulated Nomad and Consul on loopback and the app wired to both, logs collected. */
export async function startHarness(over: Partial<Config> = {}, simOpts: SimOptions = {}): Promise<Harness> {
  const consul = simOpts.consul ?? new SimConsul();
  if (!consul.url) await consul.listen();
  const sim = new SimNomad({ ...simOpts, consul });
  const url = await sim.listen();
  const config = testConfig({ nomad_addr: url, consul: consul.addr, ...over });
  const nomad = new NomadClient(config);
  const consulClient = consulClientOf(config);
  const logs: string[] = [];
  const logger = collectingLogger(logs);
  const built = createApp({ config, nomad, consul: consulClient, logger });
  collectBodies(built.app);
  return {
    sim,
    consul,
    built,
    config,
    nomad,
    consulClient,
    logs,
    async close() {
      nomad.close();
      consulClient?.close();
      await sim.close();
      await consul.close();
    },
  };
}

/** Records a response body for the canary check and returns it (harness apps collect every body already). */
export function record<T extends { text?: string }>(res: T): T {
  if (typeof res.text === 'string') collect('bodies', res.text);
  return res;
}
