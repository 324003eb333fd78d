import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createApp, type BuiltApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logging';
import { NomadClient } from '../../src/nomad/client';
import { SimNomad, type SimOptions } from '../../src/sim';

/**
 * Every log line and response body of the whole suite goes to files in the directory that
 * test/support/globalSetup.ts made; globalTeardown fails the run if the canary password is in any.
 */
function collect(kind: 'logs' | 'bodies', text: string): void {
  const dir = process.env.DTLE_COMPAT_CANARY_DIR;
  if (!dir) return;
  appendFileSync(path.join(dir, `${kind}-${process.pid}.txt`), text + '\n');
}

export const CANARY = 'CANARY-pw-7f3a';

export interface Harness {
  sim: SimNomad;
  built: BuiltApp;
  config: Config;
  nomad: NomadClient;
  close(): Promise<void>;
}

/** A simulated Nomad on loopback and the app wired to it, logs collected. */
export async function startHarness(over: Partial<Config> = {}, simOpts: SimOptions = {}): Promise<Harness> {
  const sim = new SimNomad(simOpts);
  const url = await sim.listen();
  const config = Object.freeze({ ...loadConfig({ env: {} }), nomad_addr: url, ...over });
  const nomad = new NomadClient(config);
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      collect('logs', chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] });
  const built = createApp({ config, nomad, logger });
  return {
    sim,
    built,
    config,
    nomad,
    async close() {
      nomad.close();
      await sim.close();
    },
  };
}

/** Records a response body for the canary check and returns it. */
export function record<T extends { text?: string }>(res: T): T {
  if (typeof res.text === 'string') collect('bodies', res.text);
  return res;
}
